/**
 * Feature `headers`: refused. VirtualRouter routes and their weightedTargets cannot change headers.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `headers`: nothing. */
export const headersFeature: FeatureModule = { features: ["headers"], capabilities: () => ({ headers: { support: "none" } }) };

/** Reports a route's headers (an error); false when the route cannot be emitted at all. */
export function refuseHeaders(tx: Tx, r: EffectiveRoute): boolean {
  if (r.headers) {
    tx.report(r.policy, r.headers.pointer, {
      feature: "headers",
      kind: "unsupported-feature",
      severity: "error",
      message: `headers: ${tx.mesh} cannot change request or response headers on VirtualRouter routes; change them in the application, or ${OTHER_MESHES} / --mesh linkerd`,
    });
  }
  if (r.action.kind === "split") {
    for (const t of r.action.targets) {
      if (!t.headers) continue;
      tx.report(r.policy, t.headers.pointer, {
        feature: "headers",
        kind: "unsupported-feature",
        what: "split-target",
        severity: "error",
        message: `headers: ${tx.mesh} cannot change request or response headers, for a route or for one of its weightedTargets; change them in the application, or ${OTHER_MESHES} / --mesh linkerd`,
      });
    }
  }
  return true;
}
