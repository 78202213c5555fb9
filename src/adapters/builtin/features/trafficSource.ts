/**
 * `source` of a TrafficPolicy → `Route.source`: the route applies only when the calling listener's
 * identity (its service account's SPIFFE ID, or its namespace) matches.
 */
import { sourceMatch } from "./common.js";
import type { RouteFeature } from "./types.js";

export const trafficSource: RouteFeature = (r, out, { model }) => {
  const s = sourceMatch(model, r.source);
  if (s) out.source = s;
  if (r.port) out.port = r.port;
};
