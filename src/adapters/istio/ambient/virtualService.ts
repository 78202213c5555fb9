/**
 * A waypoint's VirtualService (Istio ambient mode): the routes of a destination that HTTPRoute cannot
 * carry — fault injection (Gateway API has no fault filter), a direct response other than "answer 404
 * for the rest", or a prefix rewrite after a string prefix (ReplacePrefixMatch needs a PathPrefix match,
 * which is segment-wise) — are written as ONE `VirtualService` for the Service's host instead of HTTPRoutes, with
 * every route of the destination in the model's order (Istio takes the first match), as in sidecar mode
 * (istio/virtualService.ts), and no HTTPRoute for that Service.
 *
 * Waypoints read it: istiod builds a waypoint's inbound routes for a Service from the VirtualServices
 * whose `hosts` match it, in the Service's or the waypoint's namespace (istio/istio
 * `pilot/pkg/networking/core/listener_waypoint.go` `buildWaypointInboundHTTPRouteConfig`, at every tag
 * 1.22.0 ... 1.30.0; 1.22-1.25 take the first such VirtualService, 1.26+ all of them), and translate
 * `match`, `route`, `redirect`, `directResponse`, `rewrite`, `timeout`, `retries`, `fault`, `mirror(s)`,
 * `headers` and `corsPolicy` of each route (1.22-1.25 `translateWaypointRoute`, 1.26+ the sidecar's
 * `route.TranslateRoute`). Two differences are handled:
 *
 * - `rewrite.uriRegexRewrite` (the model's `replaceFullPath`, and a prefix rewrite of a `segmentPrefix`)
 *   is read from Istio 1.24 (1.22-1.23 read `rewrite.uri` and `authority` only): an error before;
 * - `match[].sourceLabels` is dropped by waypoints (istio/istio#51565): source-specific routes are
 *   refused before (ambient/routes.ts), as for HTTPRoutes.
 *
 * istio.io marks this Alpha: "VirtualService support with waypoints is Alpha ... Mixing VirtualService
 * and HTTPRoute for the same workload is not supported" (`docs/ambient/migrate/migrate-policies`; the
 * 1.22 `ambient/usage/l7-features` page: "The Istio classic traffic management APIs (virtual service,
 * destination rules etc) remain at Alpha in the ambient data plane mode"): a warning says so, and the
 * destination gets no HTTPRoute. Subsets are the Services `<service>-<subset>` as for HTTPRoutes
 * (their DestinationRules carry the subsets' traffic policy: routes.ts `waypointDestinationRules`), so
 * that only the route kind differs between the two translations. TCP routes are not translated at
 * waypoints (an error, as for HTTPRoutes).
 */
import type { KubeObject } from "../../../api/adapter.js";
import { type DestinationView, type EffectiveRoute, canonicalJson, exposedPorts, isNotFoundForTheRest } from "../../../api/model.js";
import { compareVersions } from "../../../api/versions.js";
import { subsetServiceName } from "../../shared/gamma/features/split.js";
import type { IstioContext } from "../context.js";
import { DestinationRuleSet } from "../destinationRules.js";
import type { DestinationContext } from "../features/types.js";
import { virtualServiceName } from "../naming.js";
import { type Destination, type HTTPRoute, NETWORKING_V1 } from "../resources.js";
import { defaultRoute, httpRoute } from "../virtualService.js";
import { objectMeta } from "../../../api/ownership.js";

/** The first Istio minor whose waypoints read `rewrite.uriRegexRewrite` of a VirtualService. */
export const WAYPOINT_URI_REGEX_REWRITE_SINCE = "1.24";

/** Why a route needs a VirtualService at its waypoint (undefined: an HTTPRoute carries it). */
export function virtualServiceReason(r: EffectiveRoute): { pointer: string; what: string } | undefined {
  if (r.faultInjection) return { pointer: r.faultInjection.pointer, what: "fault injection (HTTPRoute has no fault filter)" };
  if (r.action.kind === "directResponse" && !isNotFoundForTheRest(r))
    return { pointer: r.action.pointer, what: "a direct response (HTTPRoute has none besides its own 404 for unmatched requests)" };
  if (r.rewrite?.value.path?.replacePrefixMatch !== undefined && r.match?.value.path?.prefix !== undefined)
    return {
      pointer: `${r.rewrite.pointer}/path/replacePrefixMatch`,
      what: "a prefix rewrite after a string prefix (HTTPRoute replaces a prefix only after a PathPrefix match, which is segment-wise)",
    };
  return undefined;
}

/** True when the destination's routes are a VirtualService at its waypoint (see the module doc). */
export function needsWaypointVirtualService(routes: readonly EffectiveRoute[]): boolean {
  return routes.some((r) => virtualServiceReason(r) !== undefined);
}

/**
 * The waypoint VirtualService of one destination (see the module doc): `routes` are the destination's
 * routes not refused before. What a waypoint would not apply is reported (errors); the Alpha status is a
 * warning at the first route that needs the VirtualService.
 */
export function waypointVirtualService(dc: DestinationContext, routes: readonly EffectiveRoute[]): KubeObject[] {
  const { ic, view: v } = dc;
  if (!routes.length) return [];
  refuseTcpRoutes(ic, v, routes);
  // The sidecar modules register subsets in DestinationRules; here subsets are Services, so a scratch set.
  const scratch: DestinationContext = { ic, view: v, drs: new DestinationRuleSet(ic) };
  const http: HTTPRoute[] = [];
  for (const r of routes) {
    if (r.mirror?.value.subset && !r.mirror.value.subsetResolved) {
      ic.report(r.policy, `${r.mirror.pointer}/subset`, {
        feature: "mirror",
        kind: "unsupported-value",
        what: "subset",
        severity: "error",
        message: `at a waypoint a subset is a Service (<service>-<subset>), and unimesh names a subset's Service only for subsets of the destination itself; mirror to a Service that selects these pods instead`,
      });
      continue;
    }
    const route = httpRoute(r, scratch);
    if (!route) continue;
    if (route.rewrite?.uriRegexRewrite && compareVersions(ic.version, WAYPOINT_URI_REGEX_REWRITE_SINCE) < 0 && r.rewrite) {
      ic.report(r.policy, r.rewrite.pointer, {
        feature: "rewrite",
        kind: "unsupported-value",
        what: "waypoint-regex-rewrite",
        severity: "error",
        message: `this rewrite is a VirtualService rewrite.uriRegexRewrite, which Istio ${ic.version} waypoints ignore (they read rewrite.uri and authority only; uriRegexRewrite from Istio ${WAYPOINT_URI_REGEX_REWRITE_SINCE}, istio/istio pilot/pkg/networking/core/listener_waypoint.go); rewrite a prefix match's prefix, or target Istio ${WAYPOINT_URI_REGEX_REWRITE_SINCE}+`,
      });
    }
    http.push(toSubsetServices(ic, v, route));
  }
  if (v.needsDefaultRoute) http.push(defaultRoute(scratch));
  const first = routes.map((r) => [r, virtualServiceReason(r)] as const).find(([, why]) => why)!;
  ic.report(first[0].policy, first[1]!.pointer, {
    feature: first[0].faultInjection ? "faultInjection" : first[0].action.kind === "directResponse" ? "directResponse" : "rewrite",
    kind: "note",
    what: "waypoint-virtual-service",
    severity: "warning",
    message: `${v.namespace}/${v.service}'s routes need ${first[1]!.what}, so they are a VirtualService read by its waypoint, and no HTTPRoute is written for this Service: istio.io marks VirtualService with waypoints Alpha, and mixing VirtualService and HTTPRoute for one workload is not supported (docs/ambient/migrate/migrate-policies), so attach no HTTPRoute of your own to ${v.service}`,
  });
  reportSubsetServices(ic, v, http);
  return [
    {
      apiVersion: NETWORKING_V1,
      kind: "VirtualService",
      metadata: objectMeta(virtualServiceName(v.service), v.namespace, v.trafficPolicies),
      spec: { hosts: [ic.host(v.service, v.namespace)], ...(http.length ? { http } : {}) },
    },
  ];
}

/** HTTP routes do not apply to a TCP port; TCP routing at waypoints is not translated: an error per route that reaches one. */
function refuseTcpRoutes(ic: IstioContext, v: DestinationView, routes: readonly EffectiveRoute[]): void {
  const tcp = exposedPorts(v.ports)
    .filter((p) => p.protocol === "tcp")
    .map((p) => p.port);
  for (const r of routes) {
    const hit = r.port !== undefined ? (tcp.includes(r.port) ? [r.port] : []) : tcp;
    if (!hit.length) continue;
    ic.report(r.policy, r.pointer, {
      feature: "match",
      kind: "unsupported-value",
      what: "tcp-port",
      severity: "error",
      message: `port ${hit.join(", ")} of ${v.namespace}/${v.service} is declared tcp: the waypoint's HTTP routes do not apply to it, and unimesh does not translate TCP routes at waypoints; give this route an HTTP port (destination.port)`,
    });
  }
}

/** A route with its subset destinations sent to the subsets' Services `<service>-<subset>` (no DestinationRule subsets at waypoints). */
function toSubsetServices(ic: IstioContext, v: DestinationView, route: HTTPRoute): HTTPRoute {
  const map = (d: Destination): Destination => {
    if (d.subset === undefined) return d;
    const subset = v.subsets.find((s) => s.name === d.subset);
    if (!subset) return d; // not the destination's own subset (reported before)
    const { subset: _subset, ...rest } = d;
    return { ...rest, host: ic.host(subsetServiceName(v.service, subset), v.namespace) };
  };
  return {
    ...route,
    ...(route.route ? { route: route.route.map((x) => ({ ...x, destination: map(x.destination) })) } : {}),
    ...(route.mirror ? { mirror: map(route.mirror) } : {}),
  };
}

/** Info: the Services that must exist for the subsets the VirtualService sends to. */
function reportSubsetServices(ic: IstioContext, v: DestinationView, http: HTTPRoute[]): void {
  const used = new Set<string>();
  for (const h of http) for (const d of [...(h.route ?? []).map((x) => x.destination), ...(h.mirror ? [h.mirror] : [])]) used.add(d.host);
  const subsets = v.subsets.filter((s) => used.has(ic.host(subsetServiceName(v.service, s), v.namespace)));
  if (!subsets.length || !v.trafficPolicies[0]) return;
  const list = subsets.map((s) => `${subsetServiceName(v.service, s)} (selector ${canonicalJson({ ...v.facts.selector, ...s.labels })})`).join(", ");
  ic.report(v.trafficPolicies[0], "/spec", {
    feature: "split",
    kind: "note",
    severity: "info",
    message: `at a waypoint the subsets of ${v.namespace}/${v.service} are the Services ${list} in namespace ${v.namespace}, with the same ports as ${v.service}: the VirtualService routes to them. They must exist: unimesh does not create or change Services`,
  });
}
