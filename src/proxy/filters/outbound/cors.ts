/**
 * `cors`: the route's CORS policy. A preflight from an allowed origin is answered here (200 with the
 * policy's headers); any other request from an allowed origin goes on, and its response gets the
 * policy's headers (`forward` decorates it).
 */
import { isPreflight } from "../../features/cors.js";
import { writeHead } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function cors(x: OutboundExchange): Step {
  const policy = x.route!.cors;
  if (!policy) return NEXT;
  const origin = x.req.headers.origin;
  if (typeof origin !== "string" || !policy.allows(origin)) return NEXT;
  x.corsOrigin = origin;
  if (!isPreflight(x.method, x.req.headers)) return NEXT;
  writeHead(x.res, 200, { ...policy.preflight(origin), "content-length": "0" });
  x.res.end();
  x.record(200, [], { route: x.route });
  return DONE;
}
