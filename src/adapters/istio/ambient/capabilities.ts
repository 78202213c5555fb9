/**
 * What Istio's ambient data plane (`--set dataplane=ambient`) can express through unimesh today: what
 * ztunnel enforces at L4 (istio.io `content/en/docs/ambient/usage/l4-policy/index.md`). Everything that
 * needs L7 processing (routing, retries, timeouts, faults, mirroring, header changes, traffic policy,
 * HTTP access conditions, JWT) needs a waypoint proxy (`usage/waypoint/index.md`, "Do you need a
 * waypoint proxy?"), which this adapter does not emit yet: those features are `none` and every use is an
 * error naming the field (ambient/translator.ts).
 */
import type { Capabilities } from "../../../api/adapter.js";
import { full, none, partial } from "../../../api/feature-module.js";
import { FEATURES, type Feature } from "../../../api/features.js";

/** Why a feature is not available in ambient mode (without a waypoint). */
export const NEEDS_WAYPOINT = "needs an Istio waypoint proxy in ambient mode (ztunnel is L4 only); unimesh does not emit waypoints yet";

/** Features ztunnel enforces (with what it cannot), by feature. */
const L4: Partial<Capabilities> = {
  access: full("AuthorizationPolicy with selector, enforced by ztunnel: ALLOW (allow-nothing when no allow rule) + DENY, from.source {principals, namespaces, ipBlocks}"),
  accessL7: partial("AuthorizationPolicy to.operation.ports (ztunnel)", "ports only: methods, paths and headers need a waypoint (ztunnel would drop such an ALLOW rule and widen such a DENY rule); unimesh does not emit waypoints yet"),
  accessNegation: partial("AuthorizationPolicy from.source {notPrincipals, notNamespaces, notIpBlocks}, to.operation.notPorts (ztunnel)", "notMethods, notPaths and notHeaders need a waypoint; unimesh does not emit waypoints yet"),
  scope: full("AuthorizationPolicy and PeerAuthentication without selector: in the namespace, or in the root namespace (rootNamespace setting) for the mesh"),
  mtls: partial("PeerAuthentication {mtls, portLevelMtls} (ztunnel)", "strict and permissive only: ztunnel always uses mTLS (HBONE) between ambient workloads and ignores DISABLE"),
};

/** The capabilities of an Istio version with the ambient data plane (the version only matters for Beta vs GA, said at translate time). */
export function ambientCapabilities(_version: string): Capabilities {
  return Object.fromEntries(FEATURES.map((f: Feature) => [f, L4[f] ?? none(NEEDS_WAYPOINT)])) as Capabilities;
}
