/**
 * Feature `scope` (namespace- and mesh-wide AccessPolicies): refused in every Gateway API release, which has no authorization API; the
 * AccessPolicy using it is refused as a whole at `/spec` (access.ts `refuseAccess`).
 */
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import { NO_AUTHZ } from "./access.js";

/** What Gateway API can do of `scope`: nothing, in every release. */
export const scopeFeature: FeatureModule = refusedFeature("scope", NO_AUTHZ);
