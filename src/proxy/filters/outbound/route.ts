/**
 * `route`: the first route of the destination's table for the request's port that selects the caller
 * (`source`) and matches the request (method, path, query, headers): decide.ts `selectRoute`, the same
 * decision `unimesh explain` shows; 404 when none does.
 */
import { selectRoute } from "../../decide.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function route(x: OutboundExchange): Step {
  const view = x.view!;
  const r = selectRoute(x.service!.destination, view.port.port, x.caller.peer, { method: x.method, path: x.path, query: x.query, headers: x.req.headers });
  if (r) {
    x.route = r;
    return NEXT;
  }
  localReply(x.req, x.res, 404, "unimesh: no route matched", { flag: "NR" });
  x.record(404, ["NR"]);
  return DONE;
}
