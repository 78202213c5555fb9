/**
 * The outbound chain: requests an app sends to its outbound listener (or a client to an ingress). The
 * filters run in this order; each is one feature's module in ./filters/outbound/ and either lets the request go
 * on or answers it (see ./filters/chain.ts):
 *
 *  1. proxyAuthorization  an app's listener serves only the app holding its token (407)
 *  2. service             the destination service the host names (or the ingress's)
 *  3. pathNormalization   the path every later filter and the upstream see (400)
 *  4. destination         the view of the service port: routes, protocol, upstreams (502)
 *  5. route               the first route selecting the caller and matching the request (404)
 *  6. cors                preflights answered; allowed origins marked for the response
 *  7. faultInjection      delay, then abort
 *  8. redirect            routes that redirect
 *  9. directResponse      routes that answer with a fixed response
 * 10. split               the weighted target, its settings and the caller's state towards them (503)
 * 11. upstreamRequest     rewritten authority and path, headers: x-request-id, route's then target's changes
 * 12. body                read whole when the route retries or mirrors (replayable)
 * 13. mirror              a copy to the mirror service
 * 14. loadBalancer        the consistent-hash key (and cookie)
 * 15. connectionPool      admission (503 overflow)
 * 16. forward             tries with retries and timeouts, outlier detection, response headers
 *
 * Fault injection comes before any upstream work (an aborted request costs nothing upstream), the body
 * is read only once the request will be forwarded, and admission is the last step before the first
 * try, so that a refused or redirected request never holds a connection-pool slot. The decisions
 * `unimesh explain` shows (route, upstream request) are decide.ts's functions, which the filters call.
 */
import type { ProxyContext } from "./context.js";
import type { Req, Res } from "./net/listener.js";
import { localReply } from "./net/http.js";
import { runChain, type Filter } from "./filters/chain.js";
import { newExchange, type CallerListener, type OutboundExchange } from "./filters/outbound/exchange.js";
import { presentsToken, proxyAuthorization } from "./filters/outbound/proxyAuthorization.js";
import { service } from "./filters/outbound/service.js";
import { pathNormalization } from "./filters/outbound/pathNormalization.js";
import { destination } from "./filters/outbound/destination.js";
import { route } from "./filters/outbound/route.js";
import { cors } from "./filters/outbound/cors.js";
import { faultInjection } from "./filters/outbound/faultInjection.js";
import { directResponse, redirect } from "./filters/outbound/redirect.js";
import { split } from "./filters/outbound/split.js";
import { upstreamRequest } from "./filters/outbound/upstreamRequest.js";
import { body } from "./filters/outbound/body.js";
import { mirror } from "./filters/outbound/mirror.js";
import { loadBalancer } from "./filters/outbound/loadBalancer.js";
import { connectionPool } from "./filters/outbound/connectionPool.js";
import { forward } from "./filters/outbound/forward.js";

/** The outbound filters, in the order they run (see the module comment). */
export const OUTBOUND: readonly Filter<OutboundExchange>[] = [
  proxyAuthorization,
  service,
  pathNormalization,
  destination,
  route,
  cors,
  faultInjection,
  redirect,
  directResponse,
  split,
  upstreamRequest,
  body,
  mirror,
  loadBalancer,
  connectionPool,
  forward,
];

/**
 * Runs the outbound chain for a request on listener `key`: a promise only when a filter waits for
 * something (see {@link runChain}); an error is thrown or rejects it.
 */
export function handleOutbound(ctx: ProxyContext, key: string, req: Req, res: Res): void | Promise<unknown> {
  const started = performance.now();
  const l = ctx.listener(key) as CallerListener | undefined;
  if (!l) {
    localReply(req, res, 503, "listener removed by a reload", { flag: "LR" });
    return;
  }
  return runChain(OUTBOUND, newExchange(ctx, key, l, req, res, started));
}

/**
 * Counts and logs a request that the listener `key` answered itself before the chain ran (net/listener.ts
 * `refusedRequestHead`: its framing), as the chain's refusals are, with destination `-`: its Host may be the
 * very thing refused, and no service was resolved. The caller is the listener's identity, or `unknown`
 * when the listener takes a token the request does not present (as `proxyAuthorization` counts it).
 */
export function recordOutboundRefusal(ctx: ProxyContext, key: string, req: Req, res: Res, status: number, flag: string): void {
  const l = ctx.listener(key) as CallerListener | undefined;
  if (!l) return;
  const known = l.kind !== "outbound" || l.token === undefined || presentsToken(req.headers["proxy-authorization"], l.token);
  newExchange(ctx, key, l, req, res, performance.now()).record(status, [flag], { destination: "-", ...(known ? {} : { source: "unknown" }) });
}

/** Creates the request handler of an outbound or ingress listener. */
export function outboundHandler(ctx: ProxyContext, key: string): (req: Req, res: Res) => void {
  return (req, res) => {
    try {
      const p = handleOutbound(ctx, key, req, res);
      if (p) p.catch((e) => internalError(req, res, e));
    } catch (e) {
      internalError(req, res, e);
    }
  };
}

/** A filter failed: 500 (flag LR). */
function internalError(req: Req, res: Res, e: unknown): void {
  localReply(req, res, 500, `unimesh internal error: ${(e as Error).message}`, { flag: "LR" });
}
