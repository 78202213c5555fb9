/**
 * The Linkerd adapter (`--mesh linkerd[@VERSION]`): Linkerd 2.14 to 2.20, default 2.20.
 *
 * Two profiles, because Linkerd's configuration API changed in 2.16:
 * - 2.16–2.20 (edge): Gateway API HTTPRoute/GRPCRoute with a Service parent (matching, weighted splits,
 *   header changes, redirects), `retry.linkerd.io/*` and `timeout.linkerd.io/*` route annotations,
 *   failure accrual as Service annotations (a server-side-apply patch), Server + AuthorizationPolicy +
 *   MeshTLSAuthentication/NetworkAuthentication (+ inbound HTTPRoutes) for access, HTTPLocalRateLimitPolicy
 *   (2.17+). Gateway API apiVersions follow the release (v1beta1/v1alpha2 on 2.16–2.17, v1 on 2.18+), and
 *   only Gateway API 1.1 fields are used (Linkerd 2.20 ignores a resource with fields newer than 1.2.1).
 * - 2.14–2.15 (legacy): ServiceProfile for retries, policy.linkerd.io/v1beta3 HTTPRoute for routing and
 *   timeouts, the same authorization resources.
 *
 * See `README.md` in this folder for the mapping, the traps it models and what must be applied
 * server-side. Settings: {@link LINKERD_SETTINGS}; approximations: {@link LINKERD_APPROXIMATIONS}.
 */
import type { Adapter, Capabilities, Capability } from "../../api/adapter.js";
import type { Feature } from "../../api/features.js";
import { LINKERD_APPROXIMATIONS, LINKERD_SETTINGS } from "./context.js";
import { linkerdCluster } from "./cluster.js";
import { translateLinkerd } from "./translator.js";
import { DEFAULT_LINKERD_VERSION, LINKERD_VERSIONS, versionFacts } from "./versions.js";

export { LINKERD_APPROXIMATIONS, LINKERD_SETTINGS } from "./context.js";
export { LINKERD_VERSIONS, DEFAULT_LINKERD_VERSION, versionFacts, type VersionFacts } from "./versions.js";
export { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE } from "./resources.js";

/** What a Linkerd version can express, for `unimesh meshes` and the README matrix. */
export function linkerdCapabilities(version: string): Capabilities {
  const f = versionFacts(version);
  const none = (note: string): Capability => ({ support: "none", note });
  const route = f.legacy ? "policy.linkerd.io HTTPRoute" : `HTTPRoute (${f.outboundHttpRoute})`;
  const caps: Record<Feature, Capability> = {
    match: {
      support: "partial", via: `${route} rules[].matches`,
      note: "No header-absence match. Linkerd picks the most specific match, not the first: route orders it cannot reproduce are errors. String prefixes become anchored regexes (PathPrefix is segment-based).",
    },
    split: {
      support: "full", via: `${route} rules[].backendRefs[].weight`,
      note: "Subsets are Services named <service>-<subset>, which must exist (unimesh does not create Services).",
    },
    timeout: f.legacy
      ? { support: "full", via: "policy.linkerd.io HTTPRoute rules[].timeouts.request (ServiceProfile routes[].timeout when retries need a ServiceProfile)" }
      : { support: "full", via: "HTTPRoute annotation timeout.linkerd.io/request", note: "Request timeouts are not retried (as in the model); per-try timeouts are retry.linkerd.io/timeout." },
    retries: f.legacy
      ? {
        support: "partial", via: "ServiceProfile routes[].isRetryable + retryBudget",
        note: "No attempt count (a Service-wide retry budget: approximation retry-budget), no per-try timeout, retries 5xx only; the ServiceProfile makes Linkerd ignore the Service's HTTPRoutes and failure accrual.",
      }
      : {
        support: "partial", via: "HTTPRoute/GRPCRoute annotations retry.linkerd.io/limit, /timeout, /http, /grpc",
        note: "Retries status codes (and always REFUSED_STREAM), never connect-failure or reset; no back-off setting.",
      },
    faultInjection: none("No fault injection; Linkerd's pattern is a weighted backend answering errors."),
    mirror: none("RequestMirror is rejected by the policy controller (linkerd2#4385)."),
    headers: f.legacy
      ? { support: "partial", via: "policy.linkerd.io HTTPRoute RequestHeaderModifier", note: "No response header changes for a whole route (no ResponseHeaderModifier on policy.linkerd.io HTTPRoute rules; a split target's backendRefs filters have it)." }
      : { support: "full", via: "HTTPRoute RequestHeaderModifier / ResponseHeaderModifier filters" },
    cors: none("No CORS filter in the Gateway API versions Linkerd reads."),
    rewrite: none("URLRewrite is rejected by the policy controller."),
    redirect: { support: "partial", via: `${route} RequestRedirect filter`, note: "Status 301 or 302 only." },
    directResponse: none("No direct responses."),
    outlierDetection: f.legacy
      ? {
        support: "partial", via: "Service annotations balancer.linkerd.io/failure-accrual* (server-side-apply patch)",
        note: "Consecutive failures only; no ejection cap (approximation unbounded-ejection); not with a ServiceProfile (retries).",
      }
      : {
        support: "partial", via: "Service annotations balancer.linkerd.io/failure-accrual* (server-side-apply patch)",
        note: "Consecutive failures only (gateway errors only when implied by the 5xx limit); no ejection cap (approximation unbounded-ejection).",
      },
    connectionPool: none("No connection-pool limits."),
    loadBalancer: none("EWMA only; no algorithm choice, no consistent hashing."),
    rateLimit: f.rateLimit
      ? { support: "partial", via: "HTTPLocalRateLimitPolicy on a Server", note: "Burst equals requestsPerSecond; one port per limit; the Server admits every caller (or only meshed ones when strict)." }
      : none("HTTPLocalRateLimitPolicy exists from Linkerd 2.17."),
    mtls: {
      support: "partial",
      via: f.serverAccessPolicy ? "namespace annotation config.linkerd.io/default-inbound-policy (patch); Server accessPolicy" : "namespace annotation config.linkerd.io/default-inbound-policy (patch); Server + AuthorizationPolicy",
      note: "mTLS between meshed pods is always on: disabled cannot be expressed; the namespace annotation applies to pods created after it.",
    },
    access: {
      support: "partial", via: `Server (${f.server}) + AuthorizationPolicy + MeshTLSAuthentication / NetworkAuthentication`,
      note: "Allow-only: deny rules only when they can be subtracted exactly. Needs known ports (a Server per pod port).",
    },
    accessL7: {
      support: "partial", via: "inbound policy.linkerd.io HTTPRoute (parent Server) + AuthorizationPolicy",
      note: "One route per request (the most specific): overlapping rules need a provable order or an extra route for their overlap. Kubelet probes need an explicit allow rule.",
    },
    scope: {
      support: "partial", via: "Namespace annotation config.linkerd.io/default-inbound-policy (a patch) + the services' Servers",
      note: "Namespace-wide: deny, all-authenticated or all-unauthenticated only (no named callers, conditions or deny rules); mesh-wide: none (proxy.defaultInboundPolicy is set at install).",
    },
    accessNegation: {
      support: "partial", via: "Server per pod port (notPorts)",
      note: "notPorts only (the rule is left off the excluded pod ports' Servers); no notServiceAccounts, notNamespaces, notIpBlocks (authentications are allow-lists), no notMethods, notPaths, notHeaders (route matches cannot negate).",
    },
    requestAuthentication: none("No end-user token (JWT) validation: Linkerd authorizes by mesh identity (MeshTLSAuthentication) and network only."),
    trafficSource: none("Routes apply to every client of a Service."),
    subsetSettings: none("Failure accrual is set per Service clients call, for every backend of its routes; no connection pools or balancer choice."),
  };
  return caps;
}

/** The Linkerd adapter. Pure and synchronous; see the module documentation. */
export const linkerd: Adapter = {
  name: "linkerd",
  description: "Linkerd 2.14-2.20: Gateway API routes with retry/timeout annotations (2.16+) or ServiceProfiles (2.14-2.15), Server-based authorization, failure accrual, local rate limits (2.17+)",
  versions: LINKERD_VERSIONS,
  apiGroups: ["policy.linkerd.io", "linkerd.io", "gateway.networking.k8s.io", "split.smi-spec.io"],
  cluster: linkerdCluster,
  defaultVersion: DEFAULT_LINKERD_VERSION,
  profiles: [
    { label: "2.16-2.20 (edge)", versions: ["2.16", "2.17", "2.18", "2.19", "2.20"] },
    { label: "2.14-2.15 (legacy)", versions: ["2.14", "2.15"] },
  ],
  approximations: LINKERD_APPROXIMATIONS,
  settings: LINKERD_SETTINGS,
  capabilities: linkerdCapabilities,
  translate: translateLinkerd,
};
