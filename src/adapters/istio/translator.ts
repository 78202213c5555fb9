/**
 * The Istio translation (sidecar data plane; `--set dataplane=ambient`: ambient/translator.ts). Per destination (`model.destinations()`, sorted): a skeleton VirtualService and
 * DestinationRule, then one feature module per model feature fills its own fields, in a fixed order.
 *
 * - ONE VirtualService per destination host (`<svc>.<ns>.svc.<clusterDomain>`, in the destination's
 *   namespace, `gateways` omitted = `mesh`: Istio does not merge several VirtualServices of one host for
 *   sidecars, IST0109) with every route of `DestinationView.routes` in that order (the model already sorted
 *   them most specific first; Istio takes the first match), then a plain default route to the service when
 *   `needsDefaultRoute`. Every route carries `retries` (see features/retries.ts). Routes of declared TCP
 *   ports go to `tcp[]` instead (features/tcp.ts).
 * - ONE DestinationRule per host with the subsets (`DestinationView.subsets`) and the destination-level
 *   traffic policy (outlierDetection, connectionPool, loadBalancer, client TLS for mTLS).
 * - RequestAuthentications, AuthorizationPolicies, PeerAuthentications and the rate-limit EnvoyFilter per
 *   destination; the namespace- and mesh-wide AccessPolicies and MTLSPolicies as policies without selector
 *   (in the root namespace for the mesh).
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { EffectiveRoute, Model } from "../../api/model.js";
import { objectMeta } from "../../api/ownership.js";
import { translateAmbient } from "./ambient/translator.js";
import { createContext } from "./context.js";
import { type DestinationRuleDraft, DestinationRuleSet } from "./destinationRules.js";
import { authorizationPolicies, scopedAuthorizationPolicies } from "./features/access.js";
import { applyConnectionPool } from "./features/connectionPool.js";
import { applyCors } from "./features/cors.js";
import { applyDirectResponse } from "./features/directResponse.js";
import { applyFaultInjection } from "./features/faultInjection.js";
import { applyHeaders } from "./features/headers.js";
import { applyLoadBalancer } from "./features/loadBalancer.js";
import { translateMatch } from "./features/match.js";
import { applyMirror } from "./features/mirror.js";
import { applyClientTls, namespacePeerAuthentications, podOnlyPortNotes, servicePeerAuthentication } from "./features/mtls.js";
import { applyOutlierDetection } from "./features/outlierDetection.js";
import { rateLimitFilter } from "./features/rateLimit.js";
import { requestAuthentication } from "./features/requestAuthentication.js";
import { wasmPlugins } from "./features/wasmExtension.js";
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
import { applyFailover, clusterSubsetName, pinnedToClusters, refuseCrossClusterSplits, registerIncomingClusterSubset } from "./features/crossCluster.js";

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

/** Destination-level features filling `DestinationRule.spec.trafficPolicy`. */
const DESTINATION_FEATURES: readonly ((dc: DestinationContext, dr: DestinationRuleDraft) => void)[] = [
  applyOutlierDetection,
  applyConnectionPool,
  applyLoadBalancer,
  applyFailover,
];

/** Translates a model to Istio objects (see the module doc). Pure; reports through `ctx`. */
export function translateIstio(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterSplits(model, ctx);
  const ic = createContext(model, ctx);
  if (ic.dataplane === "ambient") return translateAmbient(ic);
  const drs = new DestinationRuleSet(ic);
  const views = model.destinations();
  // Subsets first: routes and mirrors of any destination may name subsets of any host.
  for (const v of views) if (v.trafficPolicies.length) drs.addSubsets(v.namespace, v.service, v.subsets);
  const out: KubeObject[] = [];
  for (const view of views) {
    const dc: DestinationContext = { ic, view, drs };
    if (view.trafficPolicies.length) {
      out.push(virtualService(dc));
      const dr = drs.get(view.namespace, view.service);
      const pinned = pinnedToClusters(view);
      for (const r of view.routes) {
        if (r.action.kind === "split" && (pinned || r.action.targets.some((t) => t.subset))) dr.policies.add(r.policy.id);
        if (r.mirror?.value.subsetResolved) dr.policies.add(r.policy.id);
      }
      for (const apply of DESTINATION_FEATURES) apply(dc, dr);
      registerIncomingClusterSubset(dc, dr);
    }
    if (view.mtls) {
      applyClientTls(dc, drs.get(view.namespace, view.service));
      const pa = servicePeerAuthentication(dc);
      if (pa) out.push(pa);
    }
    out.push(...requestAuthentication(dc));
    out.push(...wasmPlugins(dc));
    out.push(...authorizationPolicies(dc));
    const rl = rateLimitFilter(dc);
    if (rl) out.push(rl);
  }
  out.push(...scopedAuthorizationPolicies(ic));
  out.push(...namespacePeerAuthentications(ic));
  podOnlyPortNotes(ic);
  out.push(...drs.objects());
  return out;
}

/** The destination's VirtualService: its routes in model order, then the default route. */
export function virtualService(dc: DestinationContext): IstioObject<VirtualServiceSpec> {
  const { view, ic } = dc;
  const http: HTTPRoute[] = [];
  const tcp: TCPRoute[] = [];
  for (const r of view.routes) {
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
function defaultRoute(dc: DestinationContext): HTTPRoute {
  const { view, ic } = dc;
  const subset = pinnedToClusters(view) ? clusterSubsetName(dc, undefined) : undefined;
  return {
    name: DEFAULT_ROUTE_NAME,
    route: [{ destination: { host: ic.host(view.service, view.namespace), ...(subset !== undefined ? { subset } : {}) } }],
    retries: { attempts: 0 },
  };
}
