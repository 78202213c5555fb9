/**
 * What Istio's ambient data plane (`--set dataplane=ambient`) can express through unimesh today: what
 * ztunnel enforces at L4 (istio.io `content/en/docs/ambient/usage/l4-policy/index.md`). Everything that
 * needs L7 processing (routing, retries, timeouts, faults, mirroring, header changes, traffic policy,
 * HTTP access conditions, JWT) needs a waypoint proxy (`usage/waypoint/index.md`, "Do you need a
 * waypoint proxy?"). HTTP access conditions and JWT of a service's own policies go to a waypoint
 * (ambient/waypoint.ts); routing and traffic policy at waypoints are not emitted yet: those features are
 * `none` and every use is an error naming the field (ambient/translator.ts).
 */
import type { Capabilities } from "../../../api/adapter.js";
import { full, none, partial } from "../../../api/feature-module.js";
import { FEATURES, type Feature } from "../../../api/features.js";

/** Why a traffic feature is not available in ambient mode yet. */
export const NEEDS_WAYPOINT = "needs an Istio waypoint proxy in ambient mode (ztunnel is L4 only); unimesh does not emit waypoint routing (HTTPRoute) or traffic policy yet";

/** Features ztunnel enforces (with what it cannot), by feature. */
const L4: Partial<Capabilities> = {
  access: full("AuthorizationPolicy with selector, enforced by ztunnel: ALLOW (allow-nothing when no allow rule) + DENY, from.source {principals, namespaces, ipBlocks}"),
  accessL7: partial("AuthorizationPolicy to.operation.ports (ztunnel); methods, paths, headers: AuthorizationPolicy with targetRefs Service, enforced by a waypoint (Gateway istio-waypoint + istio.io/use-waypoint label on the Service)",
    "HTTP conditions only in a service's own AccessPolicies (not namespace- or mesh-wide), without port conditions in that service's rules; ztunnel then admits only the waypoint on its pods"),
  accessNegation: partial("AuthorizationPolicy from.source {notPrincipals, notNamespaces, notIpBlocks}, to.operation.notPorts (ztunnel); notMethods, notPaths, notHeaders at a waypoint (targetRefs)",
    "notMethods, notPaths and notHeaders only in a service's own AccessPolicies, without port conditions"),
  requestAuthentication: partial("RequestAuthentication + AuthorizationPolicy with targetRefs Service, enforced by a waypoint",
    "only for a service's own policies (not namespace- or mesh-wide end-user conditions); no port conditions in that service's rules"),
  scope: full("AuthorizationPolicy and PeerAuthentication without selector: in the namespace, or in the root namespace (rootNamespace setting) for the mesh"),
  mtls: partial("PeerAuthentication {mtls, portLevelMtls} (ztunnel)", "strict and permissive only: ztunnel always uses mTLS (HBONE) between ambient workloads and ignores DISABLE"),
};

/** The capabilities of an Istio version with the ambient data plane (the version only matters for Beta vs GA, said at translate time). */
export function ambientCapabilities(_version: string): Capabilities {
  return Object.fromEntries(FEATURES.map((f: Feature) => [f, L4[f] ?? none(NEEDS_WAYPOINT)])) as Capabilities;
}
