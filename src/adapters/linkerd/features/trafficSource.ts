/**
 * Feature `trafficSource`: refused in every Linkerd version. Routes attach to a Service and apply to
 * every client (an HTTPRoute has no source match; ServiceProfiles neither), so a TrafficPolicy with
 * `source` cannot be expressed; its routes are left out (with the error, nothing is emitted).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `trafficSource`: nothing, in every version. */
export const trafficSourceFeature: FeatureModule = refusedFeature("trafficSource", "Routes apply to every client of a Service.");

/** Reports a source-scoped route (an error); true when the route has a source (then it is not translated). */
export function refuseTrafficSource(lc: LinkerdContext, r: EffectiveRoute): boolean {
  if (!r.source) return false;
  lc.report(r.policy, r.source?.pointer ?? "/spec/source", {
    feature: "trafficSource",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} routes apply to every client of a Service (an HTTPRoute has no source match; ServiceProfiles neither), so a TrafficPolicy for some callers only cannot be expressed. Remove source to apply the policy to every caller`,
  });
  return true;
}
