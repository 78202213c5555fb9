/**
 * Feature `rateLimit`: refused. App Mesh has no rate limiting (aws/aws-app-mesh-roadmap#107, open).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";

/** What App Mesh can do of `rateLimit`: nothing. */
export const rateLimitFeature: FeatureModule = refusedFeature("rateLimit", "aws/aws-app-mesh-roadmap#107");

/** Reports the destination's rate limit (an error). */
export function refuseRateLimit(tx: Tx, v: DestinationView): void {
  if (!v.rateLimit) return;
  tx.report(v.rateLimit.policy, v.rateLimit.pointer, {
    feature: "rateLimit",
    kind: "unsupported-feature",
    severity: "error",
    message: `rateLimit: ${tx.mesh} has no rate limiting (aws/aws-app-mesh-roadmap#107); limit in the application, or use --mesh linkerd (HTTPLocalRateLimitPolicy)`,
  });
}
