/**
 * `upstreamRequest`: what goes upstream, as decide.ts `upstreamRequest` makes it (the same as `unimesh
 * explain` shows): the request's forwardable headers, Host (the route's rewritten authority, else the
 * request's), `x-request-id` (a random UUID when missing), `x-forwarded-proto`, the route's header changes,
 * then the chosen target's; and the path rewritten by the route, with the query string.
 */
import { upstreamRequest as decide } from "../../decide.js";
import { newRequestId } from "../../features/requestId.js";
import { NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function upstreamRequest(x: OutboundExchange): Step {
  const { headers, path } = decide(x.route!, x.upstream!.target, { authority: x.authority, path: x.path, query: x.query }, x.req.headers, newRequestId);
  x.headers = headers;
  x.upstreamPath = path;
  return NEXT;
}
