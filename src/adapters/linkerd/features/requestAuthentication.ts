/**
 * Feature `requestAuthentication`: refused in every Linkerd version. Its proxy authorizes by mesh
 * identity (MeshTLSAuthentication) and network (NetworkAuthentication) only, and has no JWT validation:
 * every RequestAuthentication and every end-user condition of an access rule is an error
 * (src/adapters/shared/request-auth.ts); access.ts translates nothing of a destination with such a rule.
 */
import type { Model } from "../../../api/model.js";
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import { refuseRequestAuthentication as refuse } from "../../shared/request-auth.js";

/** What Linkerd can do of `requestAuthentication`: nothing, in every version. */
export const requestAuthenticationFeature: FeatureModule = refusedFeature(
  "requestAuthentication",
  "No end-user token (JWT) validation: Linkerd authorizes by mesh identity (MeshTLSAuthentication) and network only.",
);

/** Reports every RequestAuthentication and end-user condition (errors). */
export function refuseRequestAuthentication(model: Model, ctx: TranslateContext): void {
  refuse(
    model,
    ctx,
    `Linkerd ${ctx.version}`,
    "its proxy authorizes by mesh identity (MeshTLSAuthentication) and network (NetworkAuthentication) only, and has no JWT validation",
  );
}
