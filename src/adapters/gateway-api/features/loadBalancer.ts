/**
 * Feature `loadBalancer`: refused in every Gateway API release (no field of a route or Service chooses the algorithm; session persistence is not a balancer choice).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refuseServiceSetting } from "./refusals.js";

/** What Gateway API can do of `loadBalancer`: nothing, in every release. */
export const loadBalancerFeature: FeatureModule = refusedFeature("loadBalancer", "No load-balancing algorithm choice.");

/** Reports the destination's loadBalancer (an error). */
export function refuseLoadBalancer(gc: GatewayContext, v: DestinationView): void {
  refuseServiceSetting(gc, v, "loadBalancer", "choice of load-balancing algorithm (session persistence is not a balancer choice)");
}
