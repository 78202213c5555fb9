/**
 * The inbound side: requests arriving at an instance's inbound listener from other proxies (mutual
 * TLS) or, when the mode allows it, from plaintext callers. The caller is the verified peer identity
 * of the connection. Access control (deny by default once the destination has access rules) and the
 * local rate limit are enforced before anything reaches the app; then the request is forwarded to the
 * app in plaintext (HTTP/1.1, or h2c for http2/grpc ports) with `x-forwarded-client-cert` naming the
 * caller.
 */
import type { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type http2 from "node:http2";
import type { Readable } from "node:stream";
import type { IncomingHttpHeaders } from "node:http";
import type { RtInstance, RtListener } from "./config/compile.js";
import type { ProxyContext } from "./context.js";
import type { Req, Res } from "./net/listener.js";
import { authorityOf, forwardableRequestHeaders, localReply } from "./net/http.js";
import { spiffeFromSan } from "./identity/ca.js";
import { peerOf, type Peer } from "./features/trafficSource.js";
import { forward } from "./upstream/exchange.js";
import { normalizePath } from "./features/pathNormalization.js";
import type { RequestUser } from "./features/requestAuthentication.js";
import { authenticate, decideAccess, type Authenticated, type Refusal } from "./decide.js";

type InboundListener = Extract<RtListener, { kind: "inbound" }>;

const peers = new WeakMap<object, Peer>();

/** The verified caller of a connection (cached per socket). */
export function peerOfRequest(req: Req): Peer {
  const socket = ("stream" in req ? (req as http2.Http2ServerRequest).stream.session?.socket : req.socket) as Socket | TLSSocket | undefined;
  if (!socket) return { label: "unknown", address: "" };
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

function hasBody(req: Req): boolean {
  const h = req.headers;
  if ("stream" in req) return !(req as http2.Http2ServerRequest).stream.endAfterHeaders && h["content-length"] !== "0";
  return h["transfer-encoding"] !== undefined || (h["content-length"] !== undefined && h["content-length"] !== "0");
}

export { authenticate, type Authenticated, type Refusal } from "./decide.js";

/**
 * Access control, then the local rate limit, for a request to an instance: undefined when it may
 * pass. Counts refusals. `user` is the end user of a valid token (see {@link authenticate}).
 */
export function admit(ctx: ProxyContext, key: string, inst: RtInstance, peer: Peer, method: string, path: string, headers: IncomingHttpHeaders, user?: RequestUser): Refusal | undefined {
  const svc = inst.service;
  const dest = svc.destination;
  const d = decideAccess(dest, { peer, method, path, headers, servicePort: inst.servicePort, instancePort: inst.port, ...(user ? { user } : {}) });
  if (d && !d.allowed) {
    ctx.metrics.denied.inc([peer.label, svc.key, d.policy ?? ""]);
    return { status: 403, body: "RBAC: access denied", flag: "RBAC" };
  }
  const limiter = ctx.rateLimiter(key, dest);
  if (limiter && !limiter.allow(peer.spiffe)) {
    ctx.metrics.rateLimited.inc([peer.label, svc.key]);
    return { status: 429, body: "local_rate_limited", flag: "RL", headers: { "x-ratelimit-limit": String(dest.rateLimit!.requestsPerSecond) } };
  }
  return undefined;
}

/** Creates the request handler of an inbound listener. */
export function inboundHandler(ctx: ProxyContext, key: string): (req: Req, res: Res) => void {
  return (req, res) => {
    handle(ctx, key, req, res).catch((e) => localReply(req, res, 500, `unimesh internal error: ${(e as Error).message}`, { flag: "LR" }));
  };
}

async function handle(ctx: ProxyContext, key: string, req: Req, res: Res): Promise<void> {
  const started = performance.now();
  const l = ctx.listener(key) as InboundListener | undefined;
  if (!l) { localReply(req, res, 503, "listener removed by a reload", { flag: "LR" }); return; }
  const inst = l.instance;
  const svc = inst.service;
  const dest = svc.destination;
  const peer = peerOfRequest(req);
  const method = req.method ?? "GET";
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  // Normalized once (idempotent: a path the caller's proxy normalized stays as it is): access control,
  // the rate limit and the app see this path; the query string is kept as it is.
  const np = normalizePath(q < 0 ? raw : raw.slice(0, q));
  let path = q < 0 ? raw : raw.slice(0, q);
  const authority = authorityOf(req);
  const record = (status: number, flags: string[], upstream?: string) => {
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.request("inbound", peer.label, svc.key, status, seconds);
    if (ctx.log.enabled) {
      ctx.log.write({
        time: new Date(Date.now() - seconds * 1000).toISOString(), direction: "inbound", listener: key, source: peer.label, destination: svc.key, method, path, authority,
        protocol: `HTTP/${req.httpVersion}`, status, durationMs: Math.round(seconds * 1e6) / 1e3, ...(upstream ? { upstream } : {}),
        ...(flags.length ? { flags } : {}), ...(typeof req.headers["x-request-id"] === "string" ? { requestId: req.headers["x-request-id"] } : {}),
      });
    }
  };

  if (!np.ok) {
    localReply(req, res, 400, `unimesh: ${np.reason}`, { flag: "DPE" });
    record(400, ["DPE"]);
    return;
  }
  path = np.path;
  const authn = await authenticate(inst, method, path, authority, req.headers, q < 0 ? "" : raw.slice(q + 1));
  const refusal = "status" in authn ? authn : admit(ctx, key, inst, peer, method, path, req.headers, authn.user);
  if (refusal) {
    localReply(req, res, refusal.status, refusal.body, { flag: refusal.flag, ...(refusal.headers ? { headers: refusal.headers } : {}) });
    record(refusal.status, [refusal.flag]);
    return;
  }
  const auth = authn as Authenticated;
  // The query string as sent, less a token parameter that is not forwarded.
  const url = q < 0 ? path : auth.query === raw.slice(q + 1) ? path + raw.slice(q) : auth.query ? `${path}?${auth.query}` : path;

  const headers = forwardableRequestHeaders(req.headers);
  for (const h of auth.removeHeaders) delete headers[h];
  headers.host = authority;
  delete headers["x-forwarded-client-cert"];
  if (peer.spiffe) headers["x-forwarded-client-cert"] = `By=${svc.spiffe};URI=${peer.spiffe}`;
  const h2 = inst.servicePort.protocol !== "http";
  // Like Istio, the destination's connection-pool settings also bound the connections to its app.
  const pool = ctx.pools.get({ address: inst.address, port: inst.port, h2, ...(dest.connectionPool ? { pool: dest.connectionPool } : {}) });
  const label = `${inst.address}:${inst.port}`;
  const result = await forward({
    req, res, method, path: url, headers, body: hasBody(req) ? (req as Readable) : null,
    pick: () => ({ id: inst.id, label, dispatcher: pool, reset: dest.connectionPool?.maxRequestsPerConnection === 1 }),
    onFailure: (reason) => ctx.metrics.upstreamFailures.inc(["inbound", svc.key, reason]),
  });
  record(result.status, result.flags, result.upstream);
}
