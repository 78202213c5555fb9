/** `directResponse` → `Route.directResponse`. */
import type { RouteFeature } from "./types.js";

export const directResponse: RouteFeature = (r, out) => {
  if (r.action.kind !== "directResponse") return;
  const x = r.action.directResponse;
  out.directResponse = { status: x.status, ...(x.body !== undefined ? { body: x.body } : {}) };
};
