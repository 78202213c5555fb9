/**
 * Feature `rewrite`: refused. Rewrites exist only on ingress `GatewayRoute`s (`gatewayroute_types.go`), not on east-west `VirtualRouter` routes (`virtualrouter_types.go`).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `rewrite`: nothing. */
export const rewriteFeature: FeatureModule = refusedFeature("rewrite", "GatewayRoute rewrites at ingress only");

/** Reports a route's rewrite (an error); false when the route cannot be emitted at all. */
export function refuseRewrite(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.rewrite) return true;
  tx.report(r.policy, r.rewrite.pointer, {
    feature: "rewrite",
    kind: "unsupported-feature",
    severity: "error",
    message: `rewrite: ${tx.mesh} rewrites only at ingress (GatewayRoute.spec.httpRoute.action.rewrite on a VirtualGateway), not between services; rewrite in the application, or ${OTHER_MESHES}`,
  });
  return true;
}
