/** `timeout` → `Route.timeoutMs`. */
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `timeout` (format version 1). */
export const timeoutFeature: FeatureModule = {
  features: ["timeout"],
  capabilities: () => ({ timeout: full("Route.timeoutMs") }),
};

export const timeout: RouteFeature = (r, out) => {
  if (r.timeout) out.timeoutMs = Math.max(1, Math.ceil(r.timeout.value));
};
