/**
 * Feature `cors`: refused. App Mesh has no CORS policy.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `cors`: nothing. */
export const corsFeature: FeatureModule = { features: ["cors"], capabilities: () => ({ cors: { support: "none" } }) };

/** Reports a route's cors (an error); false when the route cannot be emitted at all. */
export function refuseCors(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.cors) return true;
  tx.report(r.policy, r.cors.pointer, {
    feature: "cors",
    kind: "unsupported-feature",
    severity: "error",
    message: `cors: ${tx.mesh} has no CORS policy; answer CORS in the application, or ${OTHER_MESHES}`,
  });
  return true;
}
