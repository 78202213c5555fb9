/**
 * `headers` → `Route.headers` (request and response set/add/remove, lower-case names); a split target's
 * → `Route.forward.targets[].headers` (split.ts).
 */
import type { HeaderOps as ModelOps, Headers as ModelHeaders } from "../../../api/generated/model.js";
import type { HeaderOps } from "../resources.js";
import { lowerKeys } from "./common.js";
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `headers` (format version 1). */
export const headersFeature: FeatureModule = {
  features: ["headers"],
  capabilities: () => ({ headers: full("Route.headers") }),
};

function ops(o: ModelOps | undefined): HeaderOps | undefined {
  if (!o) return undefined;
  return {
    ...(o.set ? { set: lowerKeys(o.set) } : {}),
    ...(o.add ? { add: lowerKeys(o.add) } : {}),
    ...(o.remove ? { remove: o.remove.map((h) => h.toLowerCase()) } : {}),
  };
}

/** Model header changes (a route's or a split target's) as the proxy's `headers` (lower-case names). */
export function headerChanges(h: ModelHeaders): { request?: HeaderOps; response?: HeaderOps } {
  const request = ops(h.request);
  const response = ops(h.response);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

export const headers: RouteFeature = (r, out) => {
  const h = r.headers?.value;
  if (h) out.headers = headerChanges(h);
};
