/**
 * What Linkerd cannot express at all: one error diagnostic per policy and field (never a silent drop).
 *
 * - `faultInjection`: no fault filter or annotation in any Linkerd version; the documented pattern is a
 *   weighted HTTPRoute backend pointing at an error-injecting Service (`2-edge/tasks/fault-injection.md`).
 * - `mirror`: the policy controller rejects the `RequestMirror` filter and drops the whole route
 *   (`policy-controller/k8s/index/src/outbound/index/http.rs` `convert_gateway_filter`; linkerd2#4385).
 * - `rewrite`: `URLRewrite` is rejected the same way (same function).
 * - `cors`: no CORS filter in the Gateway API versions Linkerd reads (the CORS filter is Gateway API 1.5,
 *   newer than the 1.2.1 ceiling of Linkerd 2.20, which would ignore the whole route).
 * - `directResponse`: Gateway API 1.1 has no direct-response filter; Linkerd answers only redirects.
 * - `connectionPool`: no connection or request limits per client in Linkerd.
 * - `loadBalancer`: Linkerd always balances with peak-EWMA power-of-two-choices; no algorithm choice, no
 *   consistent hashing.
 * - `trafficSource`: routes attach to a Service and apply to every client (an HTTPRoute has no source
 *   match), so a TrafficPolicy with `source` cannot be expressed.
 */
import type { DestinationView, EffectiveRoute } from "../../../api/model.js";
import type { Feature } from "../../../api/features.js";
import type { LinkerdContext } from "../context.js";

/** Reports every route-level feature Linkerd lacks; returns true when the route has one. */
export function reportUnsupportedRouteFeatures(lc: LinkerdContext, r: EffectiveRoute): boolean {
  // Called for every route: nothing is built for the usual route that has none of these features.
  if (!r.faultInjection && !r.mirror && !r.rewrite && !r.cors && r.action.kind !== "directResponse") return false;
  const v = `Linkerd ${lc.version}`;
  let bad = false;
  const err = (pointer: string, feature: Feature, message: string) => {
    bad = true;
    lc.report(r.policy, pointer, feature, "error", "adapter/unsupported-feature", message);
  };
  if (r.faultInjection) {
    err(r.faultInjection.pointer, "faultInjection",
      `${v} has no fault injection (no HTTPRoute filter or annotation delays or aborts requests); Linkerd's documented pattern is a weighted HTTPRoute backend that points at a Service answering errors (e.g. an nginx returning 503). Remove faultInjection, or deploy such a Service and split a share of the traffic to it`);
  }
  if (r.mirror) {
    err(r.mirror.pointer, "mirror",
      `${v} cannot mirror requests: its policy controller rejects the HTTPRoute RequestMirror filter and drops the whole route (linkerd2#4385). Remove mirror`);
  }
  if (r.rewrite) {
    err(r.rewrite.pointer, "rewrite",
      `${v} cannot rewrite URLs: its policy controller rejects the HTTPRoute URLRewrite filter and drops the whole route. Rewrite in the application or at an ingress`);
  }
  if (r.cors) {
    err(r.cors.pointer, "cors",
      `${v} has no CORS support: the Gateway API CORS filter is newer (1.5) than the Gateway API fields Linkerd reads (up to 1.2.1; Linkerd 2.20 ignores a route that uses newer fields). Answer CORS in the application or at an ingress`);
  }
  if (r.action.kind === "directResponse") {
    err(r.action.pointer, "directResponse",
      `${v} cannot answer requests itself: the Gateway API HTTPRoute it reads has no direct-response filter (only redirects). Route to a Service that answers ${r.action.directResponse.status}`);
  }
  return bad;
}

/** Reports destination-level settings Linkerd lacks (connectionPool, loadBalancer). */
export function reportUnsupportedDestinationFeatures(lc: LinkerdContext, v: DestinationView): void {
  if (!v.connectionPool && !v.loadBalancer) return;
  const ver = `Linkerd ${lc.version}`;
  if (v.connectionPool) {
    lc.report(v.connectionPool.policy, v.connectionPool.pointer, "connectionPool", "error", "adapter/unsupported-feature",
      `${ver} has no connection-pool limits (no annotation or CRD limits connections, pending or concurrent requests per client); its load balancer sheds load by latency instead. Remove connectionPool`);
  }
  if (v.loadBalancer) {
    lc.report(v.loadBalancer.policy, v.loadBalancer.pointer, "loadBalancer", "error", "adapter/unsupported-feature",
      `${ver} always balances requests with its latency-aware peak-EWMA power-of-two-choices balancer and offers no choice of algorithm and no consistent hashing. Remove loadBalancer`);
  }
}

/** Reports a source-scoped TrafficPolicy (once per policy). */
export function reportTrafficSource(lc: LinkerdContext, r: EffectiveRoute): void {
  lc.report(r.policy, r.source?.pointer ?? "/spec/source", "trafficSource", "error", "adapter/unsupported-feature",
    `${`Linkerd ${lc.version}`} routes apply to every client of a Service (an HTTPRoute has no source match; ServiceProfiles neither), so a TrafficPolicy for some callers only cannot be expressed. Remove source to apply the policy to every caller`);
}
