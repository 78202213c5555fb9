/**
 * Feature `faultInjection`: refused. App Mesh has no fault injection (aws/aws-app-mesh-roadmap#36, open).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";

/** What App Mesh can do of `faultInjection`: nothing. */
export const faultInjectionFeature: FeatureModule = refusedFeature("faultInjection", "aws/aws-app-mesh-roadmap#36");

/** Reports a route's faultInjection (an error); false when the route cannot be emitted at all. */
export function refuseFaultInjection(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.faultInjection) return true;
  tx.report(r.policy, r.faultInjection.pointer, {
    feature: "faultInjection",
    kind: "unsupported-feature",
    severity: "error",
    message: `faultInjection: ${tx.mesh} has no fault injection (aws/aws-app-mesh-roadmap#36); remove it for --mesh appmesh, or run the resilience test with --mesh istio`,
  });
  return true;
}
