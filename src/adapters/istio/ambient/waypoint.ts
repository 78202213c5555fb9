/**
 * Ambient mode with a waypoint: the destinations whose access rules have HTTP conditions (methods,
 * paths, headers, their negations, end-user token conditions), that have a RequestAuthentication, that
 * run WasmExtensions (or that have TrafficPolicies, routes.ts) get their L7 policy enforced (and their
 * extensions run) by a waypoint proxy, as istio.io documents it:
 *
 * - the waypoint: a `Gateway` (`gateway.networking.k8s.io/v1`) named `waypointName` (setting, default
 *   `waypoint`) in the destination's namespace, exactly what `istioctl waypoint generate --for service`
 *   prints: label `istio.io/waypoint-for: service`, `gatewayClassName: istio-waypoint`, one listener
 *   `{name: mesh, port: 15008, protocol: HBONE}` (istio.io `content/en/docs/ambient/usage/waypoint/index.md`,
 *   "Deploy a waypoint proxy"). istiod deploys it with a service account of the Gateway's name (the
 *   `istio-waypoint` class has `disableNameSuffix`, istio/istio `pilot/pkg/config/kube/gateway`
 *   `classInfo`), so its identity is `<trustDomain>/ns/<ns>/sa/<waypointName>`;
 * - the Service uses it: a PATCH of the user's Service (annotation `unimesh.io/patch: server-side-apply`,
 *   metadata only: `unimesh apply` adds the labels with server-side apply and never creates, owns or
 *   deletes the Service; `--prune` releases only the labels, see CONTRIBUTING "Patches of user-owned
 *   objects") with `istio.io/use-waypoint: <waypointName>` ("Configure a service to use a specific
 *   waypoint") and `istio.io/ingress-use-waypoint: "true"` (ingress gateways otherwise skip the
 *   waypoint: istio/istio `pilot/pkg/networking/core` "Ingress behaves differently, must explicitly opt
 *   in"; on a release without it, ingress traffic is refused by the ztunnel policy below, never let in);
 * - the access rules → `AuthorizationPolicy` `<svc>-allow` (ALLOW, always: without allow rules it is
 *   allow-nothing) and `<svc>-deny` (DENY) with `targetRefs: [{group: "", kind: Service, name: <svc>}]`,
 *   the rules translated as in sidecar mode (features/access.ts, accessL7.ts): the waypoint sees the
 *   client's identity and the request ("Attach a L7 policy to a specific service",
 *   `usage/l7-features/index.md` "Authorization policy attachment": targetRefs Service → enforced by the
 *   waypoint, source identity the client pod). Istio's evaluation there is the sidecar's (DENY before
 *   ALLOW; with an ALLOW policy a request needs a match), so deny-by-default-once-selected and deny-wins
 *   hold at the waypoint;
 * - the RequestAuthentication → the same with `targetRefs` to the Service ("RequestAuthentication |
 *   Beta | targetRefs");
 * - each WasmExtension → a `WasmPlugin` with `targetRefs` to the Service (features/wasmExtension.ts
 *   `waypointWasmPlugins`; istio.io `docs/ambient/usage/extend-waypoint-wasm`). The service's own access
 *   rules then move to the waypoint too, because ztunnel would see the waypoint's identity instead of the
 *   caller's, and the ztunnel policy below is emitted (an extension may deny requests: nobody skips it);
 * - ztunnel admits only the waypoint: `AuthorizationPolicy` `<svc>-ztunnel` with the pods' `selector`,
 *   ALLOW from the waypoint's principal. "Traffic arriving at the destination ztunnel will be coming from
 *   the waypoint's identity ... An additional TCP policy may be applied to your workload to request that
 *   ztunnel enforce rules like 'in-mesh traffic needs to come from my waypoint'" (`usage/l4-policy`);
 *   istio.io's own getting-started did the same (istio/istio.io#16091, `productpage-ztunnel`). Without
 *   it, a caller dialing a pod address (which a service waypoint does not see) would get past every L7
 *   rule: with it, such connections are refused, which is stricter than the model for pod-address
 *   callers (an info note says so).
 *
 * Refused (errors), because the waypoint translation would not be exact:
 * - port conditions (rule `ports`/`notPorts`, a port-scoped policy): a waypoint matches ports of the
 *   Service VIP it serves, not the pod ports sidecars and ztunnel see; not verified here, so not emitted;
 * - a destination that needs a waypoint and is also governed by namespace- or mesh-wide AccessPolicies
 *   (their no-selector policies stay on ztunnel, where they would be evaluated against the waypoint's
 *   identity);
 * - pods shared with other Services (model `podSharers`): the ztunnel policy would refuse their callers.
 */
import type { KubeObject } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { type DestinationView, type EffectiveAccessRule, policyScope } from "../../../api/model.js";
import { dnsSubdomain } from "../../../api/names.js";
import { PATCH_ANNOTATION, objectMeta } from "../../../api/ownership.js";
import type { IstioContext } from "../context.js";
import { principal, translateRule } from "../features/access.js";
import { requestAuthentication } from "../features/requestAuthentication.js";
import { workloadLabels } from "../features/selector.js";
import { waypointWasmPlugins } from "../features/wasmExtension.js";
import type { DestinationContext } from "../features/types.js";
import { allowPolicyName, denyPolicyName } from "../naming.js";
import { type AuthorizationPolicySpec, type AuthzRule, type IstioObject, type PolicyTargetReference, SECURITY_V1 } from "../resources.js";

/** Access rule fields that are HTTP attributes (a waypoint's job), with the feature each belongs to. */
export const HTTP_RULE_FIELDS: Readonly<Record<string, "accessL7" | "accessNegation" | "requestAuthentication">> = {
  methods: "accessL7",
  paths: "accessL7",
  headers: "accessL7",
  notMethods: "accessNegation",
  notPaths: "accessNegation",
  notHeaders: "accessNegation",
  requestPrincipals: "requestAuthentication",
  notRequestPrincipals: "requestAuthentication",
  claims: "requestAuthentication",
  notClaims: "requestAuthentication",
};

/** L7 access conditions and JWT, enforced by a waypoint. */
export const WAYPOINT_FEATURES: readonly FeatureModule[] = [
  {
    features: ["accessL7", "requestAuthentication"],
    capabilities: () => ({
      accessL7: partial(
        "AuthorizationPolicy to.operation.ports (ztunnel); methods, paths, headers: AuthorizationPolicy with targetRefs Service, enforced by a waypoint (Gateway istio-waypoint + istio.io/use-waypoint label on the Service)",
        "HTTP conditions only in a service's own AccessPolicies (not namespace- or mesh-wide), without port conditions in that service's rules; ztunnel then admits only the waypoint on its pods",
      ),
      requestAuthentication: partial(
        "RequestAuthentication + AuthorizationPolicy with targetRefs Service, enforced by a waypoint",
        "only for a service's own policies (not namespace- or mesh-wide end-user conditions); no port conditions in that service's rules",
      ),
    }),
  },
];

/** `gateway.networking.k8s.io/v1`. */
export const GATEWAY_V1 = "gateway.networking.k8s.io/v1";
/** The label that sends a Service's traffic through a waypoint (istio.io docs/ambient/usage/waypoint). */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
/** The label that makes ingress gateways send a Service's traffic through its waypoint too. */
export const INGRESS_USE_WAYPOINT_LABEL = "istio.io/ingress-use-waypoint";

/** True when a rule has an HTTP condition. */
export function ruleNeedsWaypoint(r: EffectiveAccessRule): boolean {
  return Object.keys(HTTP_RULE_FIELDS).some((k) => (r.rule as Record<string, unknown>)[k] !== undefined);
}

/**
 * True when the destination's own policies need L7 processing: an HTTP condition in a service-level
 * access rule, a RequestAuthentication, or a TrafficPolicy (routing and traffic policy are applied by
 * waypoints, ambient/routes.ts).
 */
export function needsWaypoint(v: DestinationView): boolean {
  return waypointReasons(v).length > 0;
}

/** Why a destination is served through a waypoint, for messages (empty: it is not). */
export function waypointReasons(v: DestinationView): string[] {
  const out: string[] = [];
  if ([...v.allow, ...v.deny].some((r) => r.scope === "service" && ruleNeedsWaypoint(r))) out.push("its access rules have HTTP conditions");
  if (v.requestAuthentications.length) out.push("it validates tokens");
  if (v.trafficPolicies.length) out.push("it has TrafficPolicies");
  if (v.wasmExtensions.length) out.push("it runs WasmExtensions");
  return out;
}

/** The waypoint principal ztunnel sees for traffic the waypoint forwards: `<trustDomain>/ns/<ns>/sa/<waypointName>`. */
export function waypointPrincipal(ic: IstioContext, namespace: string): string {
  return principal(ic.model.trustDomain, namespace, ic.waypointName);
}

/**
 * The objects of one destination served by a waypoint (see the module doc): its waypoint policies, its
 * ztunnel policy and the Service patch. The waypoint Gateway itself is {@link waypointGateway} (one per
 * namespace). Refusals are reported; the caller's translation then has errors and no output.
 */
export function waypointDestination(dc: DestinationContext): KubeObject[] {
  const { ic, view: v } = dc;
  const own = v.accessPolicies.filter((p) => policyScope(p) === "service");
  const anchor = own[0] ?? v.requestAuthentications[0] ?? v.wasmExtensions[0] ?? v.trafficPolicies[0];
  const anchorFeature = own.length ? "access" : v.requestAuthentications.length ? "requestAuthentication" : "wasmExtension";
  const me = `${v.namespace}/${v.service}`;
  const why = waypointReasons(v).join(", ");
  // With access rules, token checks or WasmExtensions (which may deny requests), ztunnel admits only the
  // waypoint on the pods (below): nobody skips them by dialing a pod address.
  const guarded = own.length > 0 || v.requestAuthentications.length > 0 || v.wasmExtensions.length > 0;
  const wide = v.accessPolicies.filter((p) => policyScope(p) !== "service");
  if (wide.length) {
    ic.report(anchor, "/spec/destination", {
      feature: "scope",
      kind: "unsupported-value",
      what: "needs-waypoint",
      severity: "error",
      related: wide.map((p) => p.id),
      message: `${me} needs a waypoint (${why}), and namespace- or mesh-wide AccessPolicies (${wide.map((p) => p.id).join(", ")}) govern it too: their policies without selector stay on ztunnel, which sees the waypoint's identity rather than the caller's for this service's traffic, so unimesh cannot make both layers enforce them exactly (not supported yet); drop what needs the waypoint, or write those rules into ${me}'s own AccessPolicy`,
    });
  }
  for (const p of own) {
    if (p.doc.spec.destination?.port !== undefined) {
      ic.report(p, "/spec/destination/port", {
        feature: "access",
        kind: "unsupported-value",
        what: "needs-waypoint",
        severity: "error",
        message: `destination.port: ${me} needs a waypoint, and a waypoint matches the ports of the Service address it serves, not the pod ports ztunnel and sidecars see; unimesh does not translate port conditions for waypoints yet: write a policy for every port, or drop the HTTP conditions (then ztunnel enforces the port)`,
      });
    }
  }
  for (const r of [...v.allow, ...v.deny].filter((x) => x.scope === "service")) {
    for (const k of ["ports", "notPorts"] as const) {
      if (r.rule[k] === undefined) continue;
      ic.report(r.policy, `${r.pointer}/${k}`, {
        feature: k === "ports" ? "accessL7" : "accessNegation",
        kind: "unsupported-value",
        what: "needs-waypoint",
        severity: "error",
        message: `${k}: ${me} needs a waypoint, and a waypoint matches the ports of the Service address it serves, not the pod ports ztunnel and sidecars see; unimesh does not translate port conditions for waypoints yet: split the rule into one without ${k}, or drop the HTTP conditions of this service's rules (then ztunnel enforces ${k})`,
      });
    }
  }
  const sharers = guarded ? ic.model.podSharers(v.namespace, v.service) : [];
  if (sharers.length) {
    ic.report(anchor, "/spec/destination", {
      feature: "access",
      kind: "unsupported-value",
      what: "shared-pods",
      severity: "error",
      message: `${me} needs a waypoint, and ${sharers.map((s) => `${v.namespace}/${s.facts.name}`).join(", ")} select${sharers.length === 1 ? "s" : ""} some of the same pods: ztunnel would admit only ${me}'s waypoint on those pods and refuse the other services' callers; give the services selectors that cannot pick the same pods`,
    });
  }
  if (guarded && v.ports.some((p) => p.podOnly)) {
    ic.report(anchor, "/spec/destination", {
      feature: "access",
      kind: "note",
      what: "pod-only-ports",
      severity: "warning",
      message: `${me} needs a waypoint, which only sees traffic sent to the Service: ztunnel admits only the waypoint on these pods, so the pod-only ports (${v.ports
        .filter((p) => p.podOnly)
        .map((p) => p.port)
        .join(", ")}) refuse every caller`,
    });
  }
  const labels = guarded ? workloadLabels(dc, anchor, "/spec/destination", anchorFeature, "AuthorizationPolicy") : undefined;
  if (guarded && !labels) return [];
  const targetRefs: PolicyTargetReference[] = [{ group: "", kind: "Service", name: v.service }];
  const out: KubeObject[] = [];
  if (own.length) {
    const ownAllow = v.allow.filter((r) => r.scope === "service");
    const ownDeny = v.deny.filter((r) => r.scope === "service");
    const allow = ownAllow.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
    const deny = ownDeny.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
    const policy = (name: string, action: "ALLOW" | "DENY", rules: AuthzRule[], from: readonly { id: string }[]): IstioObject<AuthorizationPolicySpec> => ({
      apiVersion: SECURITY_V1,
      kind: "AuthorizationPolicy",
      metadata: objectMeta(
        name,
        v.namespace,
        from.map((p) => p.id),
      ),
      spec: { targetRefs, action, ...(rules.length ? { rules } : {}) },
    });
    out.push(policy(allowPolicyName(v.service), "ALLOW", allow, own));
    if (deny.length) out.push(policy(denyPolicyName(v.service), "DENY", deny, [...new Set(ownDeny.map((r) => r.policy))]));
  }
  for (const ra of requestAuthentication(dc)) {
    const { selector: _selector, ...rest } = ra.spec as { selector?: unknown; jwtRules: unknown };
    out.push({ ...ra, spec: { targetRefs, ...rest } });
  }
  out.push(...waypointWasmPlugins(dc));
  const guards = [...own, ...v.requestAuthentications, ...v.wasmExtensions];
  if (labels) {
    out.push({
      apiVersion: SECURITY_V1,
      kind: "AuthorizationPolicy",
      metadata: objectMeta(dnsSubdomain(v.service, "ztunnel"), v.namespace, guards),
      spec: { selector: { matchLabels: labels }, action: "ALLOW", rules: [{ from: [{ source: { principals: [waypointPrincipal(ic, v.namespace)] } }] }] },
    } satisfies IstioObject<AuthorizationPolicySpec>);
  }
  const from = [...guards, ...v.trafficPolicies];
  out.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: objectMeta(v.service, v.namespace, from, {
      labels: { [USE_WAYPOINT_LABEL]: ic.waypointName, [INGRESS_USE_WAYPOINT_LABEL]: "true" },
      annotations: { [PATCH_ANNOTATION]: "server-side-apply" },
    }),
  });
  ic.report(anchor, "/spec/destination", {
    ...(guarded ? { feature: anchorFeature } : {}),
    kind: "note",
    what: "waypoint",
    severity: "info",
    message: guarded
      ? `${me} is served through the waypoint ${v.namespace}/${ic.waypointName} (${why}): the waypoint enforces its policies for requests sent to the Service, and ztunnel admits only the waypoint on its pods, so callers dialing a pod address directly are refused`
      : `${me} is served through the waypoint ${v.namespace}/${ic.waypointName} (${why}): the waypoint routes requests sent to the Service; callers dialing a pod address directly bypass its routes and traffic policy (as with any Service-level routing)`,
  });
  return out;
}

/** The waypoint of a namespace, as `istioctl waypoint generate --for service` prints it (see the module doc). */
export function waypointGateway(ic: IstioContext, namespace: string, from: Iterable<{ id: string }>): KubeObject {
  return {
    apiVersion: GATEWAY_V1,
    kind: "Gateway",
    metadata: objectMeta(
      ic.waypointName,
      namespace,
      [...from].map((p) => p.id),
      { labels: { "istio.io/waypoint-for": "service" } },
    ),
    spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
  };
}
