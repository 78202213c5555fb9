/**
 * Feature `outlierDetection`: refused in every Gateway API release (no field of a route or Service ejects failing endpoints).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refuseServiceSetting } from "./refusals.js";

/** What Gateway API can do of `outlierDetection`: nothing, in every release. */
export const outlierDetectionFeature: FeatureModule = refusedFeature("outlierDetection", "No outlier detection.");

/** Reports the destination's outlierDetection (an error). */
export function refuseOutlierDetection(gc: GatewayContext, v: DestinationView): void {
  refuseServiceSetting(gc, v, "outlierDetection", "outlier detection (no field ejects failing endpoints)");
}
