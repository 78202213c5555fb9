/**
 * The Istio translation for the ambient data plane (`--set dataplane=ambient`, Istio 1.22+).
 *
 * In ambient mode a per-node proxy, ztunnel, carries every connection of an enrolled workload in mTLS
 * (HBONE) and enforces L4 authorization; L7 processing only happens in a waypoint proxy
 * (istio.io `content/en/docs/ambient/usage/waypoint/index.md`). What is emitted here:
 *
 * - AccessPolicies → `AuthorizationPolicy` with `selector` (per destination) or without (namespace, and
 *   the root namespace for `scope: mesh`), exactly the sidecar translation (features/access.ts): "The
 *   behavior of the L4 AuthorizationPolicy API has the same functional behavior in Istio ambient mode as
 *   in sidecar mode ... Once a policy is provisioned, pods matching the selector in the policy only allow
 *   traffic which is explicitly allowed" (`usage/l4-policy/index.md`), so deny-by-default-once-selected
 *   and deny-wins hold as in sidecar mode. Sources (identities as SPIFFE principals, namespaces, IP
 *   blocks, their `not` forms) and ports are what ztunnel reads (ambient/ztunnel.ts).
 * - MTLSPolicies → `PeerAuthentication` (features/mtls.ts) in strict and permissive modes, which ztunnel
 *   supports, `portLevelMtls` included (policies.go `convertPeerAuthentication`). `disabled` is an error:
 *   "it is not possible to use the DISABLE mode in a policy. Such policies will be ignored"
 *   (`usage/l4-policy/index.md`, Peer authentication). No DestinationRule client TLS: ambient callers
 *   have no sidecar; ztunnel picks HBONE itself.
 * - WasmExtensions → a `WasmPlugin` with `targetRefs` to the Service, run by the destination's waypoint
 *   (ambient/waypoint.ts, features/wasmExtension.ts `waypointWasmPlugins`).
 *
 * Refused with an error naming the field, because they need a waypoint which unimesh does not emit yet:
 * every TrafficPolicy feature (routes, matches, splits, timeouts, retries, faults, mirroring, header
 * changes, CORS, rewrites, redirects, direct responses, outlier detection, connection pools, load
 * balancing, rate limits, source-specific rules), RequestAuthentication and end-user conditions of
 * access rules, and the HTTP conditions of access rules (`methods`, `paths`, `headers` and their `not`
 * forms). ztunnel would turn such an ALLOW rule into one that never matches and such a DENY rule into
 * one that denies every request of its callers (ambient/ztunnel.ts): fail-closed, but not what the
 * policy says, and unimesh never emits a rule that is dropped or widened. The output is checked for it
 * ({@link assertZtunnelOnly}).
 */
import type { KubeObject } from "../../../api/adapter.js";
import { escapePointerToken } from "../../../api/diagnostics.js";
import { featureUses } from "../../../api/feature-use.js";
import { policyScope } from "../../../api/model.js";
import type { IstioContext } from "../context.js";
import { authorizationPolicies, scopedAuthorizationPolicies } from "../features/access.js";
import { namespacePeerAuthentications, servicePeerAuthentication } from "../features/mtls.js";
import type { DestinationContext } from "../features/types.js";
import { referenceGrants } from "../../shared/gamma/routes.js";
import type { CrossNamespaceRef } from "../../shared/gamma/features/mirror.js";
import { DestinationRuleSet } from "../destinationRules.js";
import { waypointDestinationRules, waypointGatewayContext, waypointRouteRefusals, waypointRoutes } from "./routes.js";
import { HTTP_RULE_FIELDS, needsWaypoint, waypointDestination, waypointGateway } from "./waypoint.js";
import { needsWaypointVirtualService, waypointVirtualService } from "./virtualService.js";
import { assertZtunnelOnly } from "./ztunnel.js";

/** Why a feature outside TrafficPolicies and a service's own access policies is refused in ambient mode. */
const NEEDS_WAYPOINT =
  "needs an Istio waypoint proxy in ambient mode (ztunnel is L4 only; istio.io docs/ambient/usage/waypoint), and unimesh serves a destination through a waypoint only for its TrafficPolicies and its own AccessPolicies and RequestAuthentications";

/** Translates the model for Istio's ambient data plane (see the module doc). Pure; reports through `ic`. */
export function translateAmbient(ic: IstioContext): KubeObject[] {
  const views = ic.model.destinations();
  const waypointed = new Set(views.filter(needsWaypoint).map((v) => `${v.namespace}/${v.service}`));
  const refused = refuseWaypointUses(ic, waypointed);
  refuseDisabledMtls(ic);
  const gc = waypointGatewayContext(ic);
  // DestinationRules carry the waypoints' traffic policy only: no client TLS (ztunnel picks HBONE itself).
  const drs = new DestinationRuleSet(ic);
  const refs: CrossNamespaceRef[] = [];
  const out: KubeObject[] = [];
  const waypoints = new Map<string, Set<{ id: string }>>(); // namespace → the policies that need its waypoint
  for (const view of views) {
    const dc: DestinationContext = { ic, view, drs };
    if (view.mtls) {
      const pa = servicePeerAuthentication(dc);
      if (pa) out.push(pa);
    }
    if (waypointed.has(`${view.namespace}/${view.service}`)) {
      out.push(...waypointDestination(dc));
      if (view.trafficPolicies.length) {
        const routes = waypointRouteRefusals(ic, view);
        // Fault injection and direct responses have no HTTPRoute field: the whole table is a VirtualService then.
        if (needsWaypointVirtualService(routes)) out.push(...waypointVirtualService(dc, routes));
        else out.push(...waypointRoutes(gc, view, routes, refs));
        waypointDestinationRules(dc, drs);
      }
      const from = waypoints.get(view.namespace) ?? new Set();
      for (const p of [
        ...view.accessPolicies.filter((x) => policyScope(x) === "service"),
        ...view.requestAuthentications,
        ...view.trafficPolicies,
        ...view.wasmExtensions,
      ])
        from.add(p);
      waypoints.set(view.namespace, from);
    } else {
      out.push(...authorizationPolicies(dc));
    }
  }
  for (const [namespace, from] of waypoints) out.push(waypointGateway(ic, namespace, from));
  out.push(...referenceGrants(refs));
  out.push(...drs.objects());
  out.push(...scopedAuthorizationPolicies(ic));
  out.push(...namespacePeerAuthentications(ic));
  // With a refused HTTP condition the translation has errors and no output; otherwise nothing ztunnel
  // cannot enforce may be in it.
  if (!refused) assertZtunnelOnly(out);
  return out;
}

/**
 * Every use of a feature ztunnel cannot enforce: an error at the field. Returns true when an access
 * rule's HTTP condition was refused (the access translation then holds HTTP attributes: no output).
 */
function refuseWaypointUses(ic: IstioContext, waypointed: ReadonlySet<string>): boolean {
  let http = false;
  for (const u of featureUses(ic.model)) {
    const field = u.pointer.slice(u.pointer.lastIndexOf("/") + 1);
    // WasmExtensions run in their destination's waypoint (waypoint.ts, features/wasmExtension.ts).
    if (u.feature === "access" || u.feature === "scope" || u.feature === "mtls" || u.feature === "wasmExtension") continue;
    // TrafficPolicies are the waypoint's: routes, traffic policy and their refusals (routes.ts).
    if (u.entry.doc.kind === "TrafficPolicy" && u.feature !== "crossCluster") continue;
    // A service-level AccessPolicy or RequestAuthentication of a destination served by a waypoint: its
    // HTTP conditions and token checks are the waypoint's (waypoint.ts).
    const dest = (u.entry.doc.spec as { destination?: { service?: string } }).destination?.service;
    const waypointFeature = u.feature === "accessL7" || u.feature === "accessNegation" || u.feature === "requestAuthentication";
    if (
      waypointFeature &&
      (u.entry.doc.kind === "AccessPolicy" || u.entry.doc.kind === "RequestAuthentication") &&
      dest !== undefined &&
      waypointed.has(`${u.entry.namespace}/${dest}`)
    )
      continue;
    if (u.feature === "accessL7" || u.feature === "accessNegation" || (u.feature === "requestAuthentication" && field in HTTP_RULE_FIELDS)) {
      if (!(field in HTTP_RULE_FIELDS)) continue; // ports, notPorts, not* sources: L4
      http = true;
      ic.report(u.entry, u.pointer, {
        feature: u.feature,
        kind: "unsupported-value",
        what: "needs-waypoint",
        severity: "error",
        message: `${field}: in Istio ambient mode ztunnel enforces L4 only (identities, namespaces, IP blocks, ports); ${field} is an HTTP attribute that needs a waypoint proxy (an AuthorizationPolicy with targetRefs), and unimesh serves a destination through a waypoint for its own AccessPolicies only, not for namespace- or mesh-wide ones. ztunnel would never match such an allow rule and would deny every request of a deny rule's callers (istio.io docs/ambient/usage/l4-policy). Move the rule into the destination's own AccessPolicy, remove ${field}, or translate for the sidecar data plane (--set dataplane=sidecar)`,
      });
      continue;
    }
    if (u.feature === "requestAuthentication") http = true;
    const what =
      u.feature === "requestAuthentication"
        ? u.pointer === "/spec"
          ? "RequestAuthentication (JWT validation)"
          : `${field} (end-user token conditions)`
        : u.feature === "trafficSource"
          ? "source-specific routes"
          : `${u.feature}`;
    ic.report(u.entry, u.pointer, {
      feature: u.feature,
      kind: "unsupported-feature",
      what: "needs-waypoint",
      severity: "error",
      message: `${what}: ${NEEDS_WAYPOINT}, so this cannot be translated for --set dataplane=ambient; translate for the sidecar data plane (--set dataplane=sidecar)`,
    });
  }
  return http;
}

/** MTLSPolicy `disabled` (the mode, or a port's): ztunnel ignores DISABLE, so it is an error. */
function refuseDisabledMtls(ic: IstioContext): void {
  const why =
    "ztunnel carries all traffic between ambient workloads in mTLS (HBONE) and ignores a PeerAuthentication DISABLE (istio.io docs/ambient/usage/l4-policy, Peer authentication); write permissive to also accept plaintext callers, or take the namespace out of ambient mode (remove its istio.io/dataplane-mode label)";
  for (const e of ic.model.mtlsPolicies) {
    if (e.doc.spec.mode === "disabled") {
      ic.report(e, "/spec/mode", { feature: "mtls", kind: "unsupported-value", what: "disabled", severity: "error", message: `mode disabled: ${why}` });
    }
    for (const [port, mode] of Object.entries(e.doc.spec.ports ?? {})) {
      if (mode === "disabled") {
        ic.report(e, `/spec/ports/${escapePointerToken(port)}`, {
          feature: "mtls",
          kind: "unsupported-value",
          what: "disabled",
          severity: "error",
          message: `port ${port} disabled: ${why}`,
        });
      }
    }
  }
}
