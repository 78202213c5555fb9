/**
 * Feature `mirror`: refused. VirtualRouter routes only have weightedTargets.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `mirror`: nothing. */
export const mirrorFeature: FeatureModule = { features: ["mirror"], capabilities: () => ({ mirror: { support: "none" } }) };

/** Reports a route's mirror (an error); false when the route cannot be emitted at all. */
export function refuseMirror(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.mirror) return true;
  tx.report(r.policy, r.mirror.pointer, {
    feature: "mirror",
    kind: "unsupported-feature",
    severity: "error",
    message: `mirror: ${tx.mesh} cannot mirror traffic (VirtualRouter routes only have weightedTargets); remove it for --mesh appmesh, or ${OTHER_MESHES}`,
  });
  return true;
}
