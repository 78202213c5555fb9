/**
 * Feature `faultInjection` → `HTTPRoute.fault` (istio/api `networking/v1alpha3/virtual_service.proto`
 * `HTTPFaultInjection`; Envoy `envoy.filters.http.fault` in the caller's sidecar).
 *
 * - `delay.fixedDelay` → `fault.delay.fixedDelay`; `delay.percent` → `fault.delay.percentage.value`.
 * - `abort.httpStatus` / `abort.grpcStatus` → `fault.abort.httpStatus` / `fault.abort.grpcStatus` (the
 *   status name, e.g. `UNAVAILABLE`); `abort.percent` → `fault.abort.percentage.value`.
 * - The percentage is always written (100 when the model omits it): Istio injects into NO request when
 *   `percentage` is unset.
 * - Istio rejects `fault` together with `redirect` or `directResponse` (validation `validateHTTPRoute`):
 *   an abort on such a route is an error.
 *
 * Faults are injected before the router: injected aborts are not retried, and an injected delay is
 * not counted in the route timeout (which starts when the request is sent upstream).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { HTTPFaultInjection, HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `faultInjection`, per version. */
export const faultInjectionFeature: FeatureModule = {
  features: ["faultInjection"],
  capabilities: () => ({
    faultInjection: full(
      "VirtualService.http[].fault {delay, abort}.percentage",
      "injected in the caller's sidecar: injected aborts are not retried; not on redirect/directResponse routes",
    ),
  }),
};

/** Fills `HTTPRoute.fault`; reports a fault on a redirect/directResponse route. */
export function applyFaultInjection(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  const fi = r.faultInjection;
  if (!fi) return;
  if (r.action.kind !== "split") {
    dc.ic.report(r.policy, fi.pointer, {
      feature: "faultInjection",
      kind: "unsupported-value",
      what: "route-action",
      severity: "error",
      message: `Istio does not allow fault injection on a route that answers with a ${r.action.kind} (VirtualService validation rejects fault with redirect or directResponse); move the fault to a forwarding route`,
    });
    return;
  }
  const fault: HTTPFaultInjection = {};
  const { delay, abort } = fi.value;
  if (delay) fault.delay = { fixedDelay: formatDuration(parseDuration(delay.fixedDelay) ?? 0), percentage: { value: delay.percent ?? 100 } };
  if (abort) {
    fault.abort = {
      ...(abort.httpStatus !== undefined ? { httpStatus: abort.httpStatus } : { grpcStatus: abort.grpcStatus }),
      percentage: { value: abort.percent ?? 100 },
    };
  }
  out.fault = fault;
}
