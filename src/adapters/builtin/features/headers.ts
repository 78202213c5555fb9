/** `headers` → `Route.headers` (request and response set/add/remove, lower-case names). */
import type { HeaderOps as ModelOps } from "../../../api/generated/model.js";
import type { HeaderOps } from "../resources.js";
import { lowerKeys } from "./common.js";
import type { RouteFeature } from "./types.js";

function ops(o: ModelOps | undefined): HeaderOps | undefined {
  if (!o) return undefined;
  return {
    ...(o.set ? { set: lowerKeys(o.set) } : {}),
    ...(o.add ? { add: lowerKeys(o.add) } : {}),
    ...(o.remove ? { remove: o.remove.map((h) => h.toLowerCase()) } : {}),
  };
}

export const headers: RouteFeature = (r, out) => {
  const h = r.headers?.value;
  if (!h) return;
  const request = ops(h.request);
  const response = ops(h.response);
  out.headers = { ...(request ? { request } : {}), ...(response ? { response } : {}) };
};
