/**
 * Feature `redirect`: refused. VirtualRouter routes can only forward to weightedTargets; the route is not emitted.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `redirect`: nothing. */
export const redirectFeature: FeatureModule = { features: ["redirect"], capabilities: () => ({ redirect: { support: "none" } }) };

/** Reports a route's redirect (an error); false when the route cannot be emitted at all. */
export function refuseRedirect(tx: Tx, r: EffectiveRoute): boolean {
  if (r.action.kind !== "redirect") return true;
  tx.report(r.policy, r.action.pointer, {
    feature: "redirect",
    kind: "unsupported-feature",
    severity: "error",
    message: `redirect: ${tx.mesh} VirtualRouter routes can only forward to weightedTargets, not answer with a redirect; redirect in the application, or ${OTHER_MESHES}`,
  });
  return false;
}
