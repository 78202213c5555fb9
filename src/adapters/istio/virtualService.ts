/**
 * The VirtualService of one destination (sidecar data plane, and a waypoint's when HTTPRoute cannot carry
 * the destination's routes: ambient/virtualService.ts): its routes in model order, each filled by the
 * route-level feature modules in a fixed order, then the default route.
 */
import type { EffectiveRoute } from "../../api/model.js";
import { objectMeta } from "../../api/ownership.js";
import { applyCors } from "./features/cors.js";
import { clusterSubsetName, pinnedToClusters } from "./features/crossCluster.js";
import { applyDirectResponse } from "./features/directResponse.js";
import { applyFaultInjection } from "./features/faultInjection.js";
import { applyHeaders } from "./features/headers.js";
import { translateMatch } from "./features/match.js";
import { applyMirror } from "./features/mirror.js";
import { applyRedirect } from "./features/redirect.js";
import { applyRetries } from "./features/retries.js";
import { applyRewrite } from "./features/rewrite.js";
import { applySplit } from "./features/split.js";
import { applyTimeout } from "./features/timeout.js";
import { isTcpRoute, tcpRoutes } from "./features/tcp.js";
import { sourceMatches } from "./features/trafficSource.js";
import type { DestinationContext } from "./features/types.js";
import { DEFAULT_ROUTE_NAME, virtualServiceName } from "./naming.js";
import { type HTTPMatchRequest, type HTTPRoute, type IstioObject, NETWORKING_V1, type TCPRoute, type VirtualServiceSpec } from "./resources.js";

/** Route-level features, in the order they fill an `HTTPRoute` (the action first). */
const ROUTE_FEATURES: readonly ((r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext) => void)[] = [
  applySplit,
  applyRedirect,
  applyDirectResponse,
  applyRewrite,
  applyTimeout,
  applyRetries,
  applyFaultInjection,
  applyMirror,
  applyHeaders,
  applyCors,
];

/**
 * The destination's VirtualService: its routes in model order, then the default route.
 * @param routes the routes to write (default: all of the destination's; ambient leaves out refused ones).
 */
export function virtualService(dc: DestinationContext, routes: readonly EffectiveRoute[] = dc.view.routes): IstioObject<VirtualServiceSpec> {
  const { view, ic } = dc;
  const http: HTTPRoute[] = [];
  const tcp: TCPRoute[] = [];
  for (const r of routes) {
    const sources = sourceMatches(r, dc);
    tcp.push(...tcpRoutes(r, dc, sources));
    if (isTcpRoute(r, dc)) continue;
    const route = httpRoute(r, dc, sources);
    if (route) http.push(route);
  }
  if (view.needsDefaultRoute) http.push(defaultRoute(dc));
  return {
    apiVersion: NETWORKING_V1,
    kind: "VirtualService",
    metadata: objectMeta(virtualServiceName(view.service), view.namespace, view.trafficPolicies),
    spec: { hosts: [ic.host(view.service, view.namespace)], ...(http.length ? { http } : {}), ...(tcp.length ? { tcp } : {}) },
  };
}

/**
 * One model route as an `HTTPRoute`; `undefined` when no caller of it can be expressed (reported).
 * @param sources the source part of each match entry (trafficSource.ts); computed by the caller once.
 */
export function httpRoute(r: EffectiveRoute, dc: DestinationContext, sources = sourceMatches(r, dc)): HTTPRoute | undefined {
  if (!sources.length) return undefined;
  const base = translateMatch(r, dc);
  const match: HTTPMatchRequest[] = sources.map((s) => ({ ...base, ...s }));
  const out: HTTPRoute = { name: routeName(r) };
  if (match.some((m) => Object.keys(m).length > 0)) out.match = match;
  for (const apply of ROUTE_FEATURES) apply(r, out, dc);
  return out;
}

/** `HTTPRoute.name` (debugging and access logs only): `<policy>` or `<policy>.<route name or index>`. */
export function routeName(r: EffectiveRoute): string {
  const policy = r.policy.name;
  if (r.index === null) return policy;
  return `${policy}.${r.name ?? String(r.index)}`;
}

/**
 * The plain route to the whole service, for requests no model route catches. No retries, as the model
 * means. In a destination pinned to clusters (crossCluster.ts), to the local cluster's endpoints only.
 */
export function defaultRoute(dc: DestinationContext): HTTPRoute {
  const { view, ic } = dc;
  const subset = pinnedToClusters(view) ? clusterSubsetName(dc, undefined) : undefined;
  return {
    name: DEFAULT_ROUTE_NAME,
    route: [{ destination: { host: ic.host(view.service, view.namespace), ...(subset !== undefined ? { subset } : {}) } }],
    retries: { attempts: 0 },
  };
}
