/** `directResponse` → `Route.directResponse`. */
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `directResponse` (format version 1). */
export const directResponseFeature: FeatureModule = {
  features: ["directResponse"],
  capabilities: () => ({ directResponse: full("Route.directResponse") }),
};

export const directResponse: RouteFeature = (r, out) => {
  if (r.action.kind !== "directResponse") return;
  const x = r.action.directResponse;
  out.directResponse = { status: x.status, ...(x.body !== undefined ? { body: x.body } : {}) };
};
