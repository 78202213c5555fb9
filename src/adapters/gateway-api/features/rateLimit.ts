/**
 * Feature `rateLimit`: refused in every Gateway API release (no field of a route or Service limits the request rate).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refuseServiceSetting } from "./refusals.js";

/** What Gateway API can do of `rateLimit`: nothing, in every release. */
export const rateLimitFeature: FeatureModule = refusedFeature("rateLimit", "No rate limiting.");

/** Reports the destination's rateLimit (an error). */
export function refuseRateLimit(gc: GatewayContext, v: DestinationView): void {
  refuseServiceSetting(gc, v, "rateLimit", "rate limiting");
}
