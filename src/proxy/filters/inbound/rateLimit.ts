/**
 * `rateLimit`: the destination's local rate limit, per instance (its inbound listener), per caller
 * identity when the policy says so; a request over it is refused (429). Shared with the in-process hop.
 */
import type { RtInstance } from "../../config/compile.js";
import type { ProxyContext } from "../../context.js";
import type { Peer } from "../../features/trafficSource.js";
import type { Refusal } from "../../decide.js";
import { NEXT, type Step } from "../chain.js";
import { refuse, type InboundExchange } from "./exchange.js";

/** The refusal of a request over the rate limit of listener `key` (counted), or undefined when it may pass. */
export function rateLimitRefusal(ctx: ProxyContext, key: string, inst: RtInstance, peer: Peer): Refusal | undefined {
  const dest = inst.service.destination;
  const limiter = ctx.rateLimiter(key, dest);
  if (!limiter || limiter.allow(peer.spiffe)) return undefined;
  ctx.metrics.rateLimited.inc([peer.label, inst.service.key]);
  return { status: 429, body: "local_rate_limited", flag: "RL", headers: { "x-ratelimit-limit": String(dest.rateLimit!.requestsPerSecond) } };
}

/** The filter: 429 for a request over the limit. */
export function rateLimit(x: InboundExchange): Step {
  const r = rateLimitRefusal(x.ctx, x.key, x.instance, x.peer);
  return r ? refuse(x, r) : NEXT;
}
