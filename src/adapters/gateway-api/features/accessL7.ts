/**
 * Feature `accessL7` (request conditions (methods, paths, ports, headers)): refused in every Gateway API release, which has no authorization API; the
 * AccessPolicy using it is refused as a whole at `/spec` (access.ts `refuseAccess`).
 */
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import { NO_AUTHZ } from "./access.js";

/** What Gateway API can do of `accessL7`: nothing, in every release. */
export const accessL7Feature: FeatureModule = refusedFeature("accessL7", NO_AUTHZ);
