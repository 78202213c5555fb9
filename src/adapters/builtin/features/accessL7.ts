/**
 * Feature `accessL7` (methods, paths, ports and headers of access rules) → `Destination.access` rules
 * (`AccessRule` methods, paths, ports, headers), compiled with the rest of each rule by access.ts and
 * enforced by the proxy's access filter.
 */
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `accessL7` (format version 1). */
export const accessL7Feature: FeatureModule = {
  features: ["accessL7"],
  capabilities: () => ({ accessL7: full("Destination.access") }),
};
