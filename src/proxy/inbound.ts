/**
 * The inbound chain: requests arriving at an instance's inbound listener from other proxies (mutual
 * TLS) or, when the mode allows it, from plaintext callers; the caller is the verified peer identity of
 * the connection. The filters run in this order, each one feature's module in ./filters/inbound/:
 *
 *  1. pathNormalization      the path access control, the rate limit and the app see (400)
 *  2. wasm AUTHN             Wasm extensions of phase AUTHN (filters/inbound/wasm.ts; local responses, 500 on failure)
 *  3. requestAuthentication  the end-user token (JWT), validated before access control (401)
 *  4. wasm AUTHZ             Wasm extensions of phase AUTHZ
 *  5. access                 the access rules of every scope on caller, request and end user (403)
 *  6. rateLimit              the local rate limit of the instance (429)
 *  7. wasm STATS, then wasm  Wasm extensions of phase STATS, then those without a phase
 *  8. forward                to the app, with x-forwarded-client-cert (the Wasm extensions' response
 *                            callbacks run on its answer, in reverse order)
 *
 * Access control runs before the rate limit, so that denied requests do not use the allowed callers'
 * budget. The in-process hop (upstream/inline.ts) runs the same checks through {@link authenticate} and
 * {@link admit}.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type http2 from "node:http2";
import type { RtInstance } from "./config/compile.js";
import type { ProxyContext } from "./context.js";
import type { Req, Res } from "./net/listener.js";
import { localReply } from "./net/http.js";
import { spiffeFromSan } from "./identity/ca.js";
import { peerOf, type Peer } from "./features/trafficSource.js";
import type { RequestUser } from "./features/requestAuthentication.js";
import { runChain, type Filter } from "./filters/chain.js";
import { newExchange, type InboundExchange, type InboundListener } from "./filters/inbound/exchange.js";
import { pathNormalization } from "./filters/inbound/pathNormalization.js";
import { requestAuthentication } from "./filters/inbound/requestAuthentication.js";
import { access, accessRefusal } from "./filters/inbound/access.js";
import { rateLimit, rateLimitRefusal } from "./filters/inbound/rateLimit.js";
import { forward } from "./filters/inbound/forward.js";
import { wasmPhase } from "./filters/inbound/wasm.js";
import type { Refusal } from "./decide.js";

export { authenticate, type Authenticated, type Refusal } from "./decide.js";

/** The inbound filters, in the order they run (see the module comment). */
export const INBOUND: readonly Filter<InboundExchange>[] = [
  pathNormalization,
  wasmPhase("AUTHN"),
  requestAuthentication,
  wasmPhase("AUTHZ"),
  access,
  rateLimit,
  wasmPhase("STATS"),
  wasmPhase(undefined),
  forward,
];

const peers = new WeakMap<object, Peer>();

/** The verified caller of a connection (cached per socket). */
export function peerOfRequest(req: Req): Peer {
  const socket = ("stream" in req ? (req as http2.Http2ServerRequest).stream.session?.socket : req.socket) as Socket | TLSSocket | undefined;
  if (!socket) return { label: "unknown", address: "" };
  return peerOfSocket(socket);
}

/** The verified caller of a connection: its certificate's SPIFFE ID when it is a TLS socket whose peer was verified (cached per socket). */
export function peerOfSocket(socket: Socket | TLSSocket): Peer {
  let p = peers.get(socket);
  if (!p) {
    const tls = socket as TLSSocket;
    // rejectUnauthorized is on: a TLS peer that got this far presented a certificate of our CA.
    const spiffe = typeof tls.getPeerCertificate === "function" && tls.authorized ? spiffeFromSan(tls.getPeerCertificate()?.subjectaltname) : undefined;
    p = peerOf(spiffe, socket.remoteAddress ?? "");
    peers.set(socket, p);
  }
  return p;
}

/**
 * Access control, then the local rate limit, for a request to an instance: undefined when it may
 * pass. Counts refusals. `user` is the end user of a valid token (see {@link authenticate}).
 */
export function admit(
  ctx: ProxyContext,
  key: string,
  inst: RtInstance,
  peer: Peer,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  user?: RequestUser,
): Refusal | undefined {
  return accessRefusal(ctx, inst, peer, method, path, headers, user) ?? rateLimitRefusal(ctx, key, inst, peer);
}

/**
 * Runs the inbound chain for a request on listener `key`: a promise only when a filter waits for
 * something (see {@link runChain}); an error is thrown or rejects it.
 */
export function handleInbound(ctx: ProxyContext, key: string, req: Req, res: Res): void | Promise<unknown> {
  const started = performance.now();
  const l = ctx.listener(key) as InboundListener | undefined;
  if (!l) {
    localReply(req, res, 503, "listener removed by a reload", { flag: "LR" });
    return;
  }
  return runChain(INBOUND, newExchange(ctx, key, l, peerOfRequest(req), req, res, started));
}

/**
 * Counts and logs a request that the listener `key` answered itself before the chain ran (net/listener.ts
 * `refusedRequestHead`: its framing), as the chain's refusals are: the connection's verified caller, the
 * instance's service, `status` and `flag`, the path as received.
 */
export function recordInboundRefusal(ctx: ProxyContext, key: string, req: Req, res: Res, status: number, flag: string): void {
  const l = ctx.listener(key) as InboundListener | undefined;
  if (l) newExchange(ctx, key, l, peerOfRequest(req), req, res, performance.now()).record(status, [flag]);
}

/** Creates the request handler of an inbound listener. */
export function inboundHandler(ctx: ProxyContext, key: string): (req: Req, res: Res) => void {
  return (req, res) => {
    try {
      const p = handleInbound(ctx, key, req, res);
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
