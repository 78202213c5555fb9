/**
 * `pathNormalization` (inbound): a method with lower-case letters is refused (400, as HTTP/1.1 refuses it),
 * and the path is normalized again (idempotent: a path the caller's proxy
 * normalized stays as it is); access control, the rate limit and the app see this path, the query
 * string is kept as it is. 400 for a path that cannot be normalized.
 */
import { normalizePath } from "../../features/pathNormalization.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { InboundExchange } from "./exchange.js";

export function pathNormalization(x: InboundExchange): Step {
  // Methods are case-sensitive (RFC 9110 §9.1) and HTTP/1.1 callers can send upper-case ones only (Node's
  // parser); HTTP/2 ones get the same 400: an app that upper-cases methods (Django, Werkzeug) would run as
  // DELETE a "delete" that a rule on DELETE never matched.
  if (/[a-z]/.test(x.method)) {
    localReply(x.req, x.res, 400, "unimesh: the method has lower-case letters", { flag: "DPE" });
    x.record(400, ["DPE"]);
    return DONE;
  }
  const np = normalizePath(x.path);
  if (!np.ok) {
    localReply(x.req, x.res, 400, `unimesh: ${np.reason}`, { flag: "DPE" });
    x.record(400, ["DPE"]);
    return DONE;
  }
  x.path = np.path;
  return NEXT;
}
