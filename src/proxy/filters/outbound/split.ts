/**
 * `split`: one of the route's targets, drawn by weight (features/split.ts), with its upstream resolved
 * for the port when the configuration was compiled (settings: the subset's own or the destination's;
 * instances; protocol), and the caller's state towards those settings (balancer, connection-pool
 * admission, outlier detection). 503 when every weight is 0.
 */
import { pickWeighted } from "../../features/split.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function split(x: OutboundExchange): Step {
  const route = x.route!;
  const i = pickWeighted(route.weights, route.totalWeight);
  if (i < 0) {
    localReply(x.req, x.res, 503, "no healthy upstream", { flag: "UH" });
    x.record(503, ["UH"], { route });
    return DONE;
  }
  const upstream = x.view!.upstreams.get(route)![i];
  x.upstream = upstream;
  x.state = x.ctx.caller(x.key, x.caller.peer.label, upstream.settings, x.view!.h2);
  return NEXT;
}
