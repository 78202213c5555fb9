/**
 * The outbound side: requests an app sends to its outbound listener (or a client to an ingress). The
 * destination service comes from the Host header (or the absolute URL of a proxy request); its route
 * table decides, in order: CORS preflight, fault injection, redirect or direct response, then
 * forwarding with rewrite, weighted split, header changes (the route's, then the chosen target's), load
 * balancing over healthy instances, connection-pool admission, request and per-try timeouts, retries and
 * mirroring. Proxy-to-proxy hops
 * use mutual TLS with the listener's identity unless the destination's mode is disabled.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { Readable } from "node:stream";
import type http2 from "node:http2";
import type { Dispatcher } from "undici";
import type { RtInstance, RtListener, RtRoute, RtService } from "./config/compile.js";
import type { ProxyContext, CallerState } from "./context.js";
import type { Req, Res } from "./net/listener.js";
import { authorityOf, localReply, writeHead } from "./net/http.js";
import { pickWeighted } from "./features/split.js";
import { decideFault, chance } from "./features/faultInjection.js";
import { applyHeaderOps, type HeaderMap } from "./features/headers.js";
import { isPreflight } from "./features/cors.js";
import { redirectLocation } from "./features/redirect.js";
import { queryParam, type RequestView } from "./features/match.js";
import { forward, type ForwardResult, type TryTarget } from "./upstream/exchange.js";
import { inlineHop } from "./upstream/inline.js";
import { normalizePath } from "./features/pathNormalization.js";
import { selectRoute, upstreamRequest } from "./decide.js";

type CallerListener = Extract<RtListener, { kind: "outbound" | "ingress" }>;

/** Splits `host[:port]`. */
export function splitAuthority(a: string): { host: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(a);
  if (!m) return { host: a };
  return m[2] ? { host: m[1], port: Number(m[2]) } : { host: m[1] };
}

/** The request's target: authority, path and query, from an absolute URL (proxy form) or Host. */
function target(req: Req): { authority: string; path: string; query: string } {
  let url = req.url ?? "/";
  let authority = authorityOf(req);
  if (url.startsWith("http://") || url.startsWith("https://")) {
    const rest = url.slice(url.indexOf("//") + 2);
    const slash = rest.indexOf("/");
    authority = slash < 0 ? rest : rest.slice(0, slash);
    url = slash < 0 ? "/" : rest.slice(slash);
  }
  const q = url.indexOf("?");
  return q < 0 ? { authority, path: url, query: "" } : { authority, path: url.slice(0, q), query: url.slice(q + 1) };
}

function hasBody(req: Req): boolean {
  const h = req.headers;
  if ("stream" in req) return !(req as http2.Http2ServerRequest).stream.endAfterHeaders && h["content-length"] !== "0";
  return h["transfer-encoding"] !== undefined || (h["content-length"] !== undefined && h["content-length"] !== "0");
}

/**
 * Reads the body: a buffer when it fits `limit` (replayable: retries and mirroring possible), else a
 * stream of what was read followed by the rest (one try).
 */
async function readBody(req: Req, limit: number): Promise<Buffer | AsyncIterable<Buffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = (req as Readable)[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await it.next();
    if (done) return Buffer.concat(chunks, size);
    chunks.push(value as Buffer);
    size += (value as Buffer).length;
    if (size > limit) {
      return (async function* () {
        yield* chunks;
        for (;;) { const n = await it.next(); if (n.done) return; yield n.value as Buffer; }
      })();
    }
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * True when a `Proxy-Authorization` header carries the token: `Bearer <token>`, or `Basic` with the
 * token as password (any user name), compared in constant time.
 */
export function presentsToken(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const sp = header.indexOf(" ");
  const scheme = header.slice(0, sp).toLowerCase();
  let given = header.slice(sp + 1).trim();
  if (scheme === "basic") {
    const plain = Buffer.from(given, "base64").toString();
    const colon = plain.indexOf(":");
    if (colon < 0) return false;
    given = plain.slice(colon + 1);
  } else if (scheme !== "bearer") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Creates the request handler of an outbound or ingress listener. */
export function outboundHandler(ctx: ProxyContext, key: string): (req: Req, res: Res) => void {
  return (req, res) => {
    handle(ctx, key, req, res).catch((e) => {
      localReply(req, res, 500, `unimesh internal error: ${(e as Error).message}`, { flag: "LR" });
    });
  };
}

async function handle(ctx: ProxyContext, key: string, req: Req, res: Res): Promise<void> {
  const started = performance.now();
  const l = ctx.listener(key) as CallerListener | undefined;
  if (!l) { localReply(req, res, 503, "listener removed by a reload", { flag: "LR" }); return; }
  const caller = l.identity;
  if (l.kind === "outbound" && l.token !== undefined && !presentsToken(req.headers["proxy-authorization"], l.token)) {
    localReply(req, res, 407, "unimesh: this outbound listener belongs to an app; send its token (HTTP_PROXY=http://unimesh:<token>@host:port)",
      { flag: "UAEX", headers: { "proxy-authenticate": `Basic realm="unimesh outbound ${caller.namespace}/${caller.serviceAccount}"` } });
    ctx.metrics.request("outbound", "unknown", "-", 407, (performance.now() - started) / 1000);
    return;
  }
  const t = target(req);
  const method = req.method ?? "GET";
  // Normalized once: every matcher below and the upstream see this path.
  const np = normalizePath(t.path);
  const { host, port: hostPort } = splitAuthority(t.authority);
  const svc: RtService | undefined = l.kind === "ingress" && l.destination ? l.destination.service : ctx.current.resolveHost(host, caller.namespace);
  const record = (status: number, flags: string[], extra: { route?: RtRoute; upstream?: string; retries?: number; destination?: string } = {}) => {
    const destination = extra.destination ?? svc?.key ?? host;
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.request("outbound", caller.peer.label, destination, status, seconds);
    if (ctx.log.enabled) {
      ctx.log.write({
        time: new Date(Date.now() - seconds * 1000).toISOString(), direction: "outbound", listener: key, source: caller.peer.label, destination,
        ...(extra.route ? { route: extra.route.id, ...(extra.route.name ? { routeName: extra.route.name } : {}) } : {}), method, path: t.path, authority: t.authority, protocol: `HTTP/${req.httpVersion}`,
        status, durationMs: Math.round(seconds * 1e6) / 1e3, ...(extra.upstream ? { upstream: extra.upstream } : {}),
        ...(extra.retries ? { retries: extra.retries } : {}), ...(flags.length ? { flags } : {}),
        ...(typeof req.headers["x-request-id"] === "string" ? { requestId: req.headers["x-request-id"] } : {}),
      });
    }
  };
  if (!np.ok) {
    localReply(req, res, 400, `unimesh: ${np.reason}`, { flag: "DPE" });
    record(400, ["DPE"]);
    return;
  }
  t.path = np.path;
  if (!svc) {
    localReply(req, res, 502, `unimesh: no service "${host}" in the registry`, { flag: "NR" });
    record(502, ["NR"]);
    return;
  }
  // An ingress with a fixed destination ignores the Host's port (it is the ingress's own).
  const sp = svc.portOf(l.kind === "ingress" && l.destination ? l.destination.port : hostPort);
  if (!sp) {
    localReply(req, res, 502, `unimesh: ${svc.key} has no port ${hostPort}`, { flag: "NR" });
    record(502, ["NR"]);
    return;
  }
  const port = sp.port;
  const dest = svc.destination;
  const view: RequestView = { method, path: t.path, query: t.query, headers: req.headers };
  const route = selectRoute(dest, port, caller.peer, view);
  if (!route) {
    localReply(req, res, 404, "unimesh: no route matched", { flag: "NR" });
    record(404, ["NR"]);
    return;
  }

  // CORS.
  const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
  const corsOk = route.cors && origin !== undefined && route.cors.allows(origin);
  if (corsOk && isPreflight(method, req.headers)) {
    writeHead(res, 200, { ...route.cors!.preflight(origin!), "content-length": "0" });
    res.end();
    record(200, [], { route: route });
    return;
  }

  // Fault injection.
  const flags: string[] = [];
  if (route.faultInjection) {
    const f = decideFault(route.faultInjection);
    if (f?.delayMs !== undefined) {
      ctx.metrics.faults.inc([caller.peer.label, svc.key, "delay"]);
      flags.push("DI");
      const gone = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => { res.off("close", onClose); resolve(false); }, f.delayMs);
        const onClose = () => { clearTimeout(timer); resolve(true); };
        res.once("close", onClose);
      });
      if (gone) { record(499, [...flags, "DC"], { route: route }); return; }
    }
    if (f?.abort) {
      ctx.metrics.faults.inc([caller.peer.label, svc.key, "abort"]);
      flags.push("FI");
      const status = f.abort.httpStatus ?? 200;
      localReply(req, res, status, "fault filter abort", { flag: "FI", ...(f.abort.grpcStatus !== undefined ? { grpcStatus: f.abort.grpcStatus } : {}) });
      record(status, flags, { route: route });
      return;
    }
  }

  // Redirect, direct response.
  if (route.redirect) {
    const location = redirectLocation(route.redirect, { scheme: "http", authority: t.authority, path: t.path, query: t.query });
    writeHead(res, route.redirect.statusCode, { location, "content-length": "0" });
    res.end();
    record(route.redirect.statusCode, flags, { route: route });
    return;
  }
  if (route.directResponse) {
    const d = route.directResponse;
    const body = Buffer.from(d.body ?? "");
    writeHead(res, d.status, { "content-type": "text/plain; charset=utf-8", "content-length": String(body.length) });
    (res as unknown as import("node:http").ServerResponse).end(method === "HEAD" ? undefined : body);
    record(d.status, flags, { route: route });
    return;
  }

  // Forward.
  const ti = pickWeighted(route.weights, route.totalWeight);
  if (ti < 0) {
    localReply(req, res, 503, "no healthy upstream", { flag: "UH" });
    record(503, ["UH"], { route: route });
    return;
  }
  const tgt = route.targets[ti];
  const tport = tgt.port ?? port;
  const h2 = sp.protocol !== "http";
  // A subset with settings of its own (outlier detection, connection pool, load balancer) replaces the destination's.
  const settings = tgt.settings ?? dest;
  const state = ctx.caller(key, caller.peer.label, settings, h2);
  const { headers, path } = upstreamRequest(route, tgt, t, req.headers, randomUUID);

  let body: Buffer | null | Readable | AsyncIterable<Buffer> = null;
  if (hasBody(req)) {
    body = route.retries || route.mirror ? await readBody(req, ctx.current.settings.limits.maxBufferedBodyBytes) : (req as Readable);
  }

  if (route.mirror && (body === null || Buffer.isBuffer(body)) && chance(route.mirror.percent)) {
    mirror(ctx, key, l, route, method, path, headers, body, port);
  }

  // Hash key for consistent-hash load balancing.
  let hashKey: string | undefined;
  let setCookie: string | undefined;
  const hash = settings.loadBalancer?.algorithm === "consistent-hash" ? settings.loadBalancer.hash : undefined;
  if (hash) {
    if (hash.header) hashKey = typeof req.headers[hash.header] === "string" ? req.headers[hash.header] as string : undefined;
    else if (hash.queryParam) hashKey = queryParam(t.query, hash.queryParam);
    else if (hash.sourceIp) hashKey = req.socket?.remoteAddress ?? "";
    else if (hash.cookie) {
      hashKey = cookie(req.headers.cookie, hash.cookie.name);
      if (hashKey === undefined) {
        hashKey = randomUUID();
        setCookie = `${hash.cookie.name}=${hashKey}; Path=/; HttpOnly${hash.cookie.ttlSeconds ? `; Max-Age=${hash.cookie.ttlSeconds}` : ""}`;
      }
    }
  }

  const admitted = state.limiter.acquire();
  if (admitted === undefined) {
    ctx.metrics.overflows.inc([caller.peer.label, svc.key]);
    localReply(req, res, 503, "upstream connect error or disconnect/reset before headers. reset reason: overflow", { flag: "UO", headers: { "x-unimesh-overflow": "true" } });
    record(503, [...flags, "UO"], { route: route });
    return;
  }
  const release = typeof admitted === "function" ? admitted : await admitted;
  const cert = ctx.certs.peek(caller.spiffe);
  const cfg = ctx.current;
  const endpoints = svc.endpoints(tgt.labels, tport);
  // A try after a reload picks among the instances of the configuration running then (an instance
  // removed or moved by the reload is not picked at its old address).
  const live = (): RtInstance[] => ctx.current === cfg ? endpoints : ctx.current.services.get(svc.key)?.endpoints(tgt.labels, tport) ?? [];
  const mode = (i: RtInstance) => i.mode;
  const reset = settings.connectionPool?.maxRequestsPerConnection === 1;
  const inline = ctx.current.settings.colocatedHops === "inline";
  const pick = (tried: ReadonlySet<string>): TryTarget | "no-healthy" => {
    const eps = live();
    let cands = eps;
    if (state.outlier || tried.size) {
      const healthy = state.outlier ? eps.filter((i) => !state.outlier!.isEjected(i.id)) : eps;
      if (!healthy.length) return "no-healthy";
      const fresh = tried.size ? healthy.filter((i) => !tried.has(i.id)) : healthy;
      cands = fresh.length ? fresh : healthy;
    }
    const inst = state.balancer.pick(cands, hashKey);
    if (!inst?.bound) return "no-healthy";
    inst.active++;
    const dispatcher: Pick<Dispatcher, "dispatch"> = inline ? inlineHop(ctx, caller.peer, inst.id) : ctx.pools.get({
      address: inst.bound.address, port: inst.bound.port, h2,
      ...(mode(inst) !== "disabled" && cert ? { tls: { cert, expectServer: svc.spiffe } } : {}),
      ...(settings.connectionPool ? { pool: settings.connectionPool } : {}),
    });
    return { id: inst.id, label: `${inst.address}:${inst.port}`, dispatcher, reset, release: () => { inst.active--; } };
  };
  let result: ForwardResult;
  try {
    result = await forward({
      req, res, method, path, headers, body,
      ...(route.retries ? { retries: route.retries } : {}),
      ...(route.timeoutMs ? { timeoutMs: route.timeoutMs } : {}),
      ...(route.perTryTimeoutMs ? { perTryTimeoutMs: route.perTryTimeoutMs } : {}),
      pick,
      ...(state.outlier ? { onOutcome: (tr: TryTarget, o: number | "connect-failure" | "reset" | "timeout") => state.outlier!.record(tr.id, o) } : {}),
      acquireRetry: () => state.limiter.acquireRetry(),
      releaseRetry: () => state.limiter.releaseRetry(),
      onRetry: () => ctx.metrics.retries.inc([caller.peer.label, svc.key]),
      onFailure: (reason) => ctx.metrics.upstreamFailures.inc(["outbound", svc.key, reason]),
      decorate: route.responseHeaders || tgt.responseHeaders || corsOk || setCookie ? (_status, h) => {
        applyHeaderOps(h, route!.responseHeaders);
        applyHeaderOps(h, tgt.responseHeaders);
        if (corsOk) route!.cors!.decorate(h, origin!);
        if (setCookie) h["set-cookie"] = setCookie;
      } : undefined,
    });
  } finally {
    release();
  }
  record(result.status, [...flags, ...result.flags], { route: route, ...(result.upstream ? { upstream: result.upstream } : {}), retries: result.retries });
}

/** Sends a copy of the request (Host `<host>-shadow`) and discards the answer. */
function mirror(ctx: ProxyContext, key: string, l: CallerListener, route: RtRoute, method: string, path: string, headers: HeaderMap, body: Buffer | null, port: number): void {
  const m = route.mirror!;
  const svc = m.service;
  const sp = svc.portOf(m.port ?? port);
  if (!sp) return;
  const state: CallerState = ctx.caller(key, l.identity.peer.label, m.settings ?? svc.destination, sp.protocol !== "http");
  const inst = state.balancer.pick(svc.endpoints(m.labels, sp.port), undefined);
  if (!inst?.bound) return;
  const cert = ctx.certs.peek(l.identity.spiffe);
  const pool = ctx.pools.get({
    address: inst.bound.address, port: inst.bound.port, h2: sp.protocol !== "http",
    ...(inst.mode !== "disabled" && cert ? { tls: { cert, expectServer: svc.spiffe } } : {}),
  });
  const { host, port: p } = splitAuthority(String(headers.host ?? ""));
  const copy: HeaderMap = { ...headers, host: `${host}-shadow${p ? `:${p}` : ""}` };
  ctx.metrics.mirrored.inc([l.identity.peer.label, svc.key]);
  pool.dispatch({ path, method, headers: copy as Record<string, string>, body }, {
    onRequestStart() {}, onResponseStart() {}, onResponseData() {}, onResponseEnd() {}, onResponseError() {},
  });
}
