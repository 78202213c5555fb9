/**
 * `pathNormalization`: the path is normalized once (features/pathNormalization.ts); every filter after
 * it and the upstream see the normalized path. A path that cannot be normalized is refused (400).
 */
import { normalizePath } from "../../features/pathNormalization.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function pathNormalization(x: OutboundExchange): Step {
  const np = normalizePath(x.path);
  if (!np.ok) {
    localReply(x.req, x.res, 400, `unimesh: ${np.reason}`, { flag: "DPE" });
    x.record(400, ["DPE"]);
    return DONE;
  }
  x.path = np.path;
  x.upstreamPath = np.path;
  return NEXT;
}
