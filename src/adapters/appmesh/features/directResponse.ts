/**
 * Feature `directResponse`: refused. VirtualRouter routes can only forward to weightedTargets; the route is not emitted.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `directResponse`: nothing. */
export const directResponseFeature: FeatureModule = { features: ["directResponse"], capabilities: () => ({ directResponse: { support: "none" } }) };

/** Reports a route's directResponse (an error); false when the route cannot be emitted at all. */
export function refuseDirectResponse(tx: Tx, r: EffectiveRoute): boolean {
  if (r.action.kind !== "directResponse") return true;
  tx.report(r.policy, r.action.pointer, {
    feature: "directResponse",
    kind: "unsupported-feature",
    severity: "error",
    message: `directResponse: ${tx.mesh} VirtualRouter routes can only forward to weightedTargets, not answer directly; answer in the application, or ${OTHER_MESHES}`,
  });
  return false;
}
