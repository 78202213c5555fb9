/**
 * The Istio adapter: `--mesh istio[@1.22 … 1.30]` (default 1.30). Emits `networking.istio.io/v1`
 * VirtualService and DestinationRule, `security.istio.io/v1` AuthorizationPolicy and PeerAuthentication
 * (both API versions are served from Istio 1.22), and `networking.istio.io/v1alpha3` EnvoyFilter for
 * local rate limits. Sidecar mode: VirtualServices are bound to the `mesh` gateway only. Ambient mode
 * (`--set dataplane=ambient`): what ztunnel enforces, see ambient/translator.ts.
 *
 * Settings (`TranslateOptions.settings`, see `ISTIO_SETTINGS`): `clusterDomain` (default `cluster.local`),
 * the DNS domain of service hosts; `rootNamespace` (default `istio-system`), Istio's root namespace, where
 * workload-scoped policies would apply mesh-wide (refused). The trust domain of principals is
 * `model.trustDomain` (the core setting `trustDomain`).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import type { Adapter, Capabilities, Capability, VersionProfile } from "../../api/adapter.js";
import { ambientCapabilities } from "./ambient/capabilities.js";
import { ISTIO_SETTINGS } from "./context.js";
import { istioCluster } from "./cluster.js";
import { crossClusterCapability } from "./features/crossCluster.js";
import { translateIstio } from "./translator.js";
import { DEFAULT_ISTIO_VERSION, FIELD_SINCE, ISTIO_VERSIONS, compareVersions, hasField } from "./versions.js";

const BACKOFF_SINCE = FIELD_SINCE["VirtualService.http[].retries.backoff"];

/**
 * What an Istio version can express, feature by feature, for the data plane of `settings.dataplane`
 * (sidecar by default; ambient: ambient/capabilities.ts).
 */
export function istioCapabilities(version: string, settings?: Readonly<Record<string, string>>): Capabilities {
  if (settings?.dataplane === "ambient") return ambientCapabilities(version);
  const full = (via: string, note?: string): Capability => ({ support: "full", via, ...(note ? { note } : {}) });
  const partial = (via: string, note: string): Capability => ({ support: "partial", via, note });
  const backoff = hasField(version, "VirtualService.http[].retries.backoff");
  return {
    match: full("VirtualService.http[].match[] {uri, method, headers, withoutHeaders, queryParams, port}"),
    split: full("VirtualService.http[].route[].weight + DestinationRule.subsets[]"),
    timeout: full("VirtualService.http[].timeout"),
    retries: backoff
      ? full("VirtualService.http[].retries {attempts, perTryTimeout, retryOn, backoff}", "attempts: 0 on every route without retries (Istio retries twice by default)")
      : partial("VirtualService.http[].retries {attempts, perTryTimeout, retryOn}", `backoff needs Istio ${BACKOFF_SINCE} (HTTPRetry.backoff is not in this release's CRD); attempts: 0 on every route without retries`),
    faultInjection: full("VirtualService.http[].fault {delay, abort}.percentage", "injected in the caller's sidecar: injected aborts are not retried; not on redirect/directResponse routes"),
    mirror: full("VirtualService.http[].mirror + mirrorPercentage", "a subset of another service is added to that host's DestinationRule"),
    headers: full("VirtualService.http[].headers.request|response {set, add, remove}", "pseudo-headers and host cannot be changed (use rewrite.authority)"),
    cors: full("VirtualService.http[].corsPolicy", "answered by the caller's sidecar (mesh gateway); maxAge in whole seconds"),
    rewrite: full("VirtualService.http[].rewrite {uri, uriRegexRewrite, authority}"),
    redirect: full("VirtualService.http[].redirect"),
    directResponse: full("VirtualService.http[].directResponse"),
    outlierDetection: full("DestinationRule.trafficPolicy.outlierDetection"),
    connectionPool: full("DestinationRule.trafficPolicy.connectionPool {tcp, http}"),
    loadBalancer: partial("DestinationRule.trafficPolicy.loadBalancer {simple, consistentHash}", "cookie hashing needs a ttl (Istio requires httpCookie.ttl)"),
    rateLimit: partial("EnvoyFilter (envoy.filters.http.local_ratelimit, SIDECAR_INBOUND)", "total per-instance bucket only; perIdentity and overrides are not expressible"),
    mtls: full("PeerAuthentication {mtls, portLevelMtls} + DestinationRule.trafficPolicy.tls where auto mTLS would disagree"),
    access: full("AuthorizationPolicy ALLOW (allow-nothing when no allow rule) + DENY: from.source {principals, namespaces, ipBlocks}"),
    accessNegation: partial("AuthorizationPolicy from.source {notPrincipals, notNamespaces, notIpBlocks}, to.operation {notMethods, notPaths, notPorts}, when[].notValues",
      "notHeaders values cannot start or end with *"),
    scope: full("AuthorizationPolicy and PeerAuthentication without selector: in the namespace, or in the root namespace (rootNamespace setting) for the mesh"),
    accessL7: partial("AuthorizationPolicy rules[].to.operation {methods, paths, ports} + when request.headers[]",
      "header values cannot start or end with *; HTTP conditions on TCP ports fail closed"),
    requestAuthentication: hasField(version, "RequestAuthentication.jwtRules[].spaceDelimitedClaims")
      ? full("RequestAuthentication.jwtRules[] + AuthorizationPolicy from.source.{requestPrincipals, notRequestPrincipals}, when request.auth.claims[]")
      : partial("RequestAuthentication.jwtRules[] + AuthorizationPolicy from.source.{requestPrincipals, notRequestPrincipals}, when request.auth.claims[]",
        `spaceDelimitedClaims needs Istio ${FIELD_SINCE["RequestAuthentication.jwtRules[].spaceDelimitedClaims"]} (scope and permission are always space-delimited)`),
    trafficSource: partial("VirtualService.http[].match[].sourceLabels + sourceNamespace",
      "callers selected by pod labels and namespace, not identity; serviceAccounts \"*\" is not expressible"),
    subsetSettings: full("DestinationRule.subsets[].trafficPolicy {outlierDetection, connectionPool, loadBalancer}"),
    crossCluster: crossClusterCapability(),
  };
}

/** The Istio adapter. */
export const istio: Adapter = {
  name: "istio",
  description: "Istio 1.22-1.30: sidecar mode (VirtualService, DestinationRule, AuthorizationPolicy, PeerAuthentication, EnvoyFilter) or ambient mode with --set dataplane=ambient (ztunnel: AuthorizationPolicy, PeerAuthentication)",
  versions: ISTIO_VERSIONS,
  apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io"],
  cluster: istioCluster,
  defaultVersion: DEFAULT_ISTIO_VERSION,
  profiles: versionProfiles(),
  settings: ISTIO_SETTINGS,
  capabilities: istioCapabilities,
  translate: translateIstio,
  importer: async () => (await import("./import/index.js")).istioImporter,
};

/**
 * Matrix columns: the versions between two releases that added a field of {@link FIELD_SINCE} behave
 * alike (e.g. `1.22-1.27`, `1.28-1.29`, `1.30`), in sidecar mode; then one column for the ambient data
 * plane (`ambient 1.22-1.30`, settings `dataplane=ambient`).
 */
function versionProfiles(): VersionProfile[] {
  return [...sidecarProfiles(), { label: `ambient ${ISTIO_VERSIONS[0]}-${ISTIO_VERSIONS[ISTIO_VERSIONS.length - 1]}`, versions: [...ISTIO_VERSIONS], settings: { dataplane: "ambient" } }];
}

function sidecarProfiles(): { label: string; versions: string[] }[] {
  const starts = [...new Set([ISTIO_VERSIONS[0] as string, ...Object.values(FIELD_SINCE)])].sort(compareVersions);
  return starts.map((from, i) => {
    const versions = ISTIO_VERSIONS.filter((v) => compareVersions(v, from) >= 0 && (i + 1 === starts.length || compareVersions(v, starts[i + 1]) < 0));
    const last = versions[versions.length - 1];
    return { label: versions.length === 1 ? from : `${from}-${last}`, versions };
  });
}
