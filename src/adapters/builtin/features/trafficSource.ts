/**
 * `source` of a TrafficPolicy → `Route.source`: the route applies only when the calling listener's
 * identity (its service account's SPIFFE ID, or its namespace) matches.
 */
import { sourceMatch } from "./common.js";
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `trafficSource` (format version 1). */
export const trafficSourceFeature: FeatureModule = {
  features: ["trafficSource"],
  capabilities: () => ({ trafficSource: full("Route.source") }),
};

export const trafficSource: RouteFeature = (r, out, { model }) => {
  const s = sourceMatch(model, r.source);
  if (s) out.source = s;
  if (r.port) out.port = r.port;
};
