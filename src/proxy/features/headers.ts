/**
 * `headers`: set/add/remove on the request (before forwarding) and on the response (before it goes
 * back), applied remove → set → add. Header maps here are plain objects with lower-case names.
 */
import type { HeaderOps } from "../../api/generated/proxyConfig.js";

/** Headers as the proxy carries them. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** Applies header operations in place. */
export function applyHeaderOps(h: HeaderMap, ops: HeaderOps | undefined): void {
  if (!ops) return;
  if (ops.remove) for (const k of ops.remove) delete h[k];
  if (ops.set) for (const [k, v] of Object.entries(ops.set)) h[k] = v;
  if (ops.add) {
    for (const [k, v] of Object.entries(ops.add)) {
      const cur = h[k];
      h[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
    }
  }
}
