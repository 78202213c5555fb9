/**
 * `rewrite` → `Route.rewrite`. replacePrefixMatch carries the matched prefix (`match.path.prefix`, or
 * `match.path.segmentPrefix`, replaced segment-wise as Gateway API's ReplacePrefixMatch), so the proxy
 * replaces exactly what the route matched.
 */
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `rewrite` (format version 1). */
export const rewriteFeature: FeatureModule = {
  features: ["rewrite"],
  capabilities: () => ({ rewrite: full("Route.rewrite") }),
};

export const rewrite: RouteFeature = (r, out) => {
  const w = r.rewrite?.value;
  if (!w) return;
  const prefix = r.match?.value.path?.prefix;
  const segmentPrefix = r.match?.value.path?.segmentPrefix;
  out.rewrite = {
    ...(w.path?.replacePrefixMatch !== undefined && prefix !== undefined ? { prefix, replacePrefixMatch: w.path.replacePrefixMatch } : {}),
    ...(w.path?.replacePrefixMatch !== undefined && segmentPrefix !== undefined ? { replacePrefixMatch: w.path.replacePrefixMatch, segmentPrefix } : {}),
    ...(w.path?.replaceFullPath !== undefined ? { replaceFullPath: w.path.replaceFullPath } : {}),
    ...(w.authority ? { authority: w.authority } : {}),
  };
};
