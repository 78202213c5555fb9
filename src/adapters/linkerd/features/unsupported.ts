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
import { subsetServiceName } from "./split.js";

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

/**
 * Reports destination-level settings Linkerd lacks (connectionPool, loadBalancer), and every subset's
 * own settings (`subsetSettings`): Linkerd configures failure accrual per Service a client calls (the
 * parent Service's annotations, sent with its routes as `failure_accrual` and applied to every backend of
 * them: policy controller `outbound/index.rs`, proxy `http/logical/policy/router.rs`), so it cannot differ
 * for the requests a route sends to the subset's Service `<service>-<subset>`.
 */
export function reportUnsupportedDestinationFeatures(lc: LinkerdContext, v: DestinationView): void {
  for (const s of v.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const x = s[k];
      if (!x) continue;
      // At the entry (`/spec/subsetSettings/<i>`): the subset and the setting together cannot be expressed.
      lc.report(x.policy, x.pointer.slice(0, x.pointer.lastIndexOf("/")), k, "error", "adapter/unsupported-feature", k === "outlierDetection"
        ? `subsetSettings: Linkerd ${lc.version} sets failure accrual per Service that clients call (annotations of ${v.service}, applied to every backend of its routes), so the requests routed to subset ${s.subset.name} (Service ${subsetServiceName(v.service, s.subset)}) cannot get an outlier detection of their own; set it for the whole destination (spec.outlierDetection)`
        : `subsetSettings: Linkerd ${lc.version} has no ${k === "connectionPool" ? "connection-pool limits" : "choice of load-balancing algorithm"} (${k}), for a destination or for one of its subsets; remove it`);
    }
  }
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
