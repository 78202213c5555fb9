/** `timeout` → `Route.timeoutMs`. */
import type { RouteFeature } from "./types.js";

export const timeout: RouteFeature = (r, out) => {
  if (r.timeout) out.timeoutMs = Math.max(1, Math.ceil(r.timeout.value));
};
