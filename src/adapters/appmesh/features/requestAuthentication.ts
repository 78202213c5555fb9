/**
 * Feature `requestAuthentication`: refused. The controller configures no jwt_authn filter in its Envoys
 * and VirtualNodes have no token settings: every RequestAuthentication and every end-user condition of
 * an access rule is an error (src/adapters/shared/request-auth.ts).
 */
import type { Model } from "../../../api/model.js";
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import { refuseRequestAuthentication as refuse } from "../../shared/request-auth.js";

/** What App Mesh can do of `requestAuthentication`: nothing. */
export const requestAuthenticationFeature: FeatureModule = refusedFeature(
  "requestAuthentication",
  "no end-user token (JWT) validation: App Mesh's Envoy gets no jwt_authn filter from the controller",
);

/** Reports every RequestAuthentication and end-user condition (errors). */
export function refuseRequestAuthentication(model: Model, ctx: TranslateContext): void {
  refuse(model, ctx, `App Mesh ${ctx.version}`, "the controller configures no jwt_authn filter in its Envoys and VirtualNodes have no token settings");
}
