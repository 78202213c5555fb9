/**
 * Feature `accessNegation` (negative conditions): refused in every Gateway API release, which has no authorization API; the
 * AccessPolicy using it is refused as a whole at `/spec` (access.ts `refuseAccess`).
 */
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import { NO_AUTHZ } from "./access.js";

/** What Gateway API can do of `accessNegation`: nothing, in every release. */
export const accessNegationFeature: FeatureModule = refusedFeature("accessNegation", NO_AUTHZ);
