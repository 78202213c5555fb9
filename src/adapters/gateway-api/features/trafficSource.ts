/**
 * Feature `trafficSource`: refused in every Gateway API release. A producer route (in the Service's
 * namespace) applies to every client; consumer routes (in a client namespace) apply to the clients of that
 * namespace only, never to callers chosen by service account or pod labels.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";

/** What Gateway API can do of `trafficSource`: nothing, in every release. */
export const trafficSourceFeature: FeatureModule = refusedFeature("trafficSource", "Routes apply to every client of a Service.");

/** Reports a source-scoped route (an error); true when the route has a source (it is then left out). */
export function refuseTrafficSource(gc: GatewayContext, r: EffectiveRoute): boolean {
  if (!r.source) return false;
  gc.report(r.policy, r.source.pointer, {
    feature: "trafficSource",
    kind: "unsupported-feature",
    severity: "error",
    message: `a Gateway API route attached to a Service applies to every client (a consumer route in a client's namespace applies to that namespace's clients, never to callers chosen by service account or pod labels), so a TrafficPolicy for some callers cannot be expressed portably. Remove source`,
  });
  return true;
}
