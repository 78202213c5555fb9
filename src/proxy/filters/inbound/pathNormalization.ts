/**
 * `pathNormalization` (inbound): the path is normalized again (idempotent: a path the caller's proxy
 * normalized stays as it is); access control, the rate limit and the app see this path, the query
 * string is kept as it is. 400 for a path that cannot be normalized.
 */
import { normalizePath } from "../../features/pathNormalization.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { InboundExchange } from "./exchange.js";

export function pathNormalization(x: InboundExchange): Step {
  const np = normalizePath(x.path);
  if (!np.ok) {
    localReply(x.req, x.res, 400, `unimesh: ${np.reason}`, { flag: "DPE" });
    x.record(400, ["DPE"]);
    return DONE;
  }
  x.path = np.path;
  return NEXT;
}
