/**
 * Feature `trafficSource`: refused. VirtualRouter routes cannot match the calling VirtualNode.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";

/** What App Mesh can do of `trafficSource`: nothing. */
export const trafficSourceFeature: FeatureModule = refusedFeature("trafficSource", "routes apply to every caller of a VirtualService");

/** Reports a route's trafficSource (an error); false when the route cannot be emitted at all. */
export function refuseTrafficSource(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.source) return true;
  tx.report(r.policy, r.source.pointer, {
    feature: "trafficSource",
    kind: "unsupported-feature",
    severity: "error",
    message: `source: ${tx.mesh} routes apply to every caller of a VirtualService (VirtualRouter routes cannot match the calling VirtualNode), so source-specific routes cannot be expressed; drop spec.source for --mesh appmesh, or use --mesh istio`,
  });
  return false;
}
