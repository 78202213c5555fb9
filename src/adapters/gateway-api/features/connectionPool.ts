/**
 * Feature `connectionPool`: refused in every Gateway API release (no field of a route or Service limits connections or requests).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refuseServiceSetting } from "./refusals.js";

/** What Gateway API can do of `connectionPool`: nothing, in every release. */
export const connectionPoolFeature: FeatureModule = refusedFeature("connectionPool", "No connection-pool limits.");

/** Reports the destination's connectionPool (an error). */
export function refuseConnectionPool(gc: GatewayContext, v: DestinationView): void {
  refuseServiceSetting(gc, v, "connectionPool", "connection-pool limits");
}
