/** Feature `requestAuthentication`: Kuma has no end-user token (JWT) validation policy; every RequestAuthentication and end-user access condition is an error (src/adapters/shared/request-auth.ts). */
import type { TranslateContext } from "../../../api/adapter.js";
import type { Model } from "../../../api/model.js";
import { refuseRequestAuthentication } from "../../shared/request-auth.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const requestAuthentication: FeatureModule = refusedFeature(
  "requestAuthentication",
  "No end-user token (JWT) validation: MeshTrafficPermission matches mesh identities (SPIFFE IDs) only.",
);

/** Reports every use. */
export function refuseJwt(model: Model, ctx: TranslateContext): void {
  refuseRequestAuthentication(model, ctx, "Kuma", "Kuma has no end-user token validation policy; MeshTrafficPermission matches mesh identities only");
}
