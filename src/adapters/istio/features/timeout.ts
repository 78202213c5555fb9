/**
 * Feature `timeout`: the request timeout → `HTTPRoute.timeout` (istio/api
 * `networking/v1alpha3/virtual_service.proto`; Envoy `RouteAction.timeout`, retries included). Durations
 * are written with `formatDuration` (`2s`, `1500ms`), which satisfies the CRD's CEL rule
 * `duration(self) >= duration('1ms')`. No timeout in the model → none in Istio (its default is disabled).
 *
 * Redirect and directResponse routes answer in the caller's proxy without an upstream request; Istio
 * only applies `timeout` to forwarding routes (pilot `applyHTTPRouteDestination`), so it is not written
 * there (nothing to time out, nothing lost).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { formatDuration } from "../../../api/duration.js";
import type { HTTPRoute } from "../resources.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `timeout`, per version. */
export const timeoutFeature: FeatureModule = {
  features: ["timeout"],
  capabilities: () => ({
    timeout: full("VirtualService.http[].timeout"),
  }),
};

/** Fills `HTTPRoute.timeout` for a forwarding route. */
export function applyTimeout(r: EffectiveRoute, out: HTTPRoute): void {
  if (r.timeout && r.action.kind === "split") out.timeout = formatDuration(r.timeout.value);
}
