/**
 * Feature `accessNegation` (the `not*` conditions of access rules and sources) → the `not*` lists of
 * `SourceMatch` and `AccessRule` in `Destination.access`, compiled with the rest of each rule by access.ts
 * (`sourceMatch` in common.ts for the source).
 */
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `accessNegation` (format version 1). */
export const accessNegationFeature: FeatureModule = {
  features: ["accessNegation"],
  capabilities: () => ({ accessNegation: full("Destination.access (SourceMatch and AccessRule not* lists)") }),
};
