/**
 * Feature `requestAuthentication`: refused in every Gateway API release: no end-user token (JWT)
 * validation for mesh traffic. Every RequestAuthentication and end-user access condition is an error
 * (src/adapters/shared/request-auth.ts).
 */
import type { Model } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { refuseRequestAuthentication as refuseAll } from "../../shared/request-auth.js";

/** What Gateway API can do of `requestAuthentication`: nothing, in every release. */
export const requestAuthenticationFeature: FeatureModule = refusedFeature("requestAuthentication", "No end-user token (JWT) validation.");

/** Reports every RequestAuthentication and end-user access condition (errors). */
export function refuseRequestAuthentication(gc: GatewayContext, model: Model): void {
  refuseAll(model, gc.ctx, gc.release, "Gateway API has no token validation for mesh traffic");
}
