/**
 * The in-process hop (`colocatedHops: inline`): when the caller's outbound listener and the chosen
 * instance's inbound listener live in this process, the request is handed to the instance's inbound
 * pipeline directly instead of crossing loopback with mutual TLS. The inbound side does exactly what
 * it does for a request on the wire — access control on the caller's identity (none when the
 * instance's mode is `disabled`, as a plaintext caller would have), the local rate limit, the
 * `x-forwarded-client-cert` header, inbound metrics and logs — then forwards to the app. It is a
 * dispatcher, so the caller's timeouts, retries and outlier detection apply unchanged.
 */
import type { Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";
import type { RtInstance } from "../config/compile.js";
import type { ProxyContext } from "../context.js";
import type { Peer } from "../features/trafficSource.js";
import { peerOf } from "../features/trafficSource.js";
import { admit, authenticate, type Authenticated, type Refusal } from "../inbound.js";
import { normalizePath } from "../features/pathNormalization.js";
import { appRequestHeaders } from "../net/http.js";

class LocalController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  abort(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

/**
 * One request through the in-process hop: what the inbound side decided on, and the caller's handler
 * wrapped to record the inbound side when the app's response ends (a class, as upstream/exchange.ts
 * `Try`: one object per request, no closures).
 */
class InlineRequest implements Dispatcher.DispatchHandler {
  private status = 0;
  constructor(
    private readonly hop: InlineHop,
    private readonly ctx: ProxyContext,
    private readonly inst: RtInstance,
    private readonly peer: Peer,
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly inner: Dispatcher.DispatchHandler,
    /** `performance.now()` when the request was handed over. */
    private readonly started: number,
    /** The path as the app gets it (normalized), and with the query. */
    private readonly path: string,
    private readonly url: string,
    /** The query string without `?` (empty: none). */
    private readonly query: string,
  ) {}

  /** Counts and logs the inbound side of the request (as net/http.ts does for one on the wire). */
  record(status: number, flags: string[]): void {
    const { ctx, inst, peer } = this;
    const svc = inst.service;
    const seconds = (performance.now() - this.started) / 1000;
    ctx.metrics.request("inbound", peer.label, svc.key, status, seconds);
    if (!ctx.log.enabled) return;
    const reqHeaders = this.opts.headers as Record<string, string | string[] | undefined>;
    ctx.log.write({
      time: new Date(Date.now() - seconds * 1000).toISOString(),
      direction: "inbound",
      listener: this.hop.key,
      source: peer.label,
      destination: svc.key,
      method: this.opts.method,
      path: this.path,
      authority: String(reqHeaders.host ?? ""),
      protocol: this.hop.protocol,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      upstream: `${inst.address}:${inst.port}`,
      ...(flags.length ? { flags } : {}),
      ...(typeof reqHeaders["x-request-id"] === "string" ? { requestId: reqHeaders["x-request-id"] } : {}),
    });
  }

  /** Access control (and the rate limit) once the caller is authenticated, then the app's pool. */
  proceed(authn: Authenticated | Refusal): boolean {
    const { ctx, inst, peer, opts } = this;
    const reqHeaders = opts.headers as Record<string, string | string[] | undefined>;
    // The headers as the app gets them (a copy: retries reuse the caller's map), which access control
    // decides on, as on the HTTP path (net/http.ts appRequestHeaders).
    const headers =
      "status" in authn
        ? undefined
        : appRequestHeaders(
            reqHeaders as IncomingHttpHeaders,
            typeof reqHeaders.host === "string" ? reqHeaders.host : undefined,
            inst.service.spiffe,
            peer.spiffe,
          );
    const refusal = "status" in authn ? authn : admit(ctx, this.hop.key, inst, peer, opts.method, this.path, headers!, authn.user);
    if (refusal) {
      this.record(refusal.status, [refusal.flag]);
      return reply(this.inner, refusal.status, refusal.body, { "x-unimesh-flag": refusal.flag, ...(refusal.headers ?? {}) });
    }
    const auth = authn as Authenticated;
    for (const h of auth.removeHeaders) delete headers![h];
    const dest = inst.service.destination;
    const pool = ctx.pools.get(
      {
        address: inst.address,
        port: inst.port,
        h2: inst.servicePort.protocol !== "http",
        ...(dest.connectionPool ? { pool: dest.connectionPool } : {}),
      },
      inst,
    );
    const target = auth.query === this.query ? this.url : auth.query ? `${this.path}?${auth.query}` : this.path;
    return pool.dispatch({ ...opts, path: target, headers: headers as Record<string, string> }, this);
  }

  onRequestStart(c: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(c, context);
  }
  onResponseStart(c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, msg?: string): void {
    if (status >= 200) this.status = status;
    this.inner.onResponseStart?.(c, status, headers, msg);
  }
  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(c, chunk);
  }
  onResponseEnd(c: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.record(this.status, []);
    this.inner.onResponseEnd?.(c, trailers);
  }
  onResponseError(c: Dispatcher.DispatchController | undefined, err: Error): void {
    // Aborted by the caller (downstream gone, timeout): 499 as on the wire; otherwise the app failed
    // (undici reports a connect error before it hands over a controller).
    if (c?.aborted) this.record(499, ["DC"]);
    else this.record(this.status || 503, ["UC"]);
    this.inner.onResponseError?.(c as Dispatcher.DispatchController, err);
  }
}

/**
 * A dispatcher that is the inbound side of one instance (listener `key`), for one calling identity:
 * the in-process hop, and each stream of a hop-protocol connection (net/hopServer.ts, `protocol`
 * `unimesh-hop/1` in the access log), whose peer is the connection's verified identity.
 */
export class InlineHop implements Pick<Dispatcher, "dispatch"> {
  constructor(
    private readonly ctx: ProxyContext,
    readonly key: string,
    private readonly caller: Peer,
    readonly protocol = "inline",
  ) {}

  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const started = performance.now();
    const ctx = this.ctx;
    const l = ctx.listener(this.key);
    if (!l || l.kind !== "inbound") return reply(handler, 503, "instance removed by a reload");
    const inst: RtInstance = l.instance;
    const svc = inst.service;
    // Wasm extensions run in the HTTP inbound chain only: a hop-protocol request to such a destination
    // (a caller whose configuration does not know them yet) is refused, never let past them.
    if (svc.destination.wasm && this.protocol !== "inline")
      return reply(handler, 503, "unimesh: this destination runs Wasm extensions, which the hop protocol does not carry; send the request over HTTP", {
        "x-unimesh-flag": "WASM",
      });
    const peer = inst.mode === "disabled" ? peerOf(undefined, "127.0.0.1") : this.caller;
    // The caller's proxy normalized the path (and may have rewritten it): normalized again, as on the wire.
    const q = opts.path.indexOf("?");
    const np = normalizePath(q < 0 ? opts.path : opts.path.slice(0, q));
    const path = np.ok ? np.path : opts.path;
    const url = q < 0 ? path : path + opts.path.slice(q);
    const query = q < 0 ? "" : opts.path.slice(q + 1);
    const r = new InlineRequest(this, ctx, inst, peer, opts, handler, started, path, url, query);
    if (!np.ok) {
      r.record(400, ["DPE"]);
      return reply(handler, 400, `unimesh: ${np.reason}`, { "x-unimesh-flag": "DPE" });
    }
    // Request authentication verifies signatures asynchronously: only then is the request admitted.
    if (!svc.destination.authenticator) return r.proceed({ removeHeaders: [], query });
    const reqHeaders = opts.headers as IncomingHttpHeaders;
    authenticate(inst, opts.method, path, String(reqHeaders.host ?? ""), reqHeaders, query).then(
      (a) => r.proceed(a),
      (e: Error) => {
        r.record(500, ["LR"]);
        reply(handler, 500, `unimesh internal error: ${e.message}`);
      },
    );
    return true;
  }
}

/** Answers a dispatch locally (asynchronously, as a real upstream would). */
function reply(handler: Dispatcher.DispatchHandler, status: number, body: string, headers: Record<string, string> = {}): boolean {
  const c = new LocalController();
  const b = Buffer.from(body);
  queueMicrotask(() => {
    handler.onRequestStart?.(c, {});
    if (c.aborted) {
      handler.onResponseError?.(c, c.reason ?? new Error("aborted"));
      return;
    }
    handler.onResponseStart?.(c, status, { "content-type": "text/plain; charset=utf-8", "content-length": String(b.length), ...headers }, "");
    if (b.length) handler.onResponseData?.(c, b);
    handler.onResponseEnd?.(c, {});
  });
  return true;
}

/**
 * The hops of each runtime, by calling peer (the caller's listener's own object: its identity and pod
 * labels) and instance id: two lookups, no key string built per request.
 */
const hops = new WeakMap<ProxyContext, WeakMap<Peer, Map<string, InlineHop>>>();

/** The in-process hop from a calling identity to an instance (`colocatedHops: inline`), one per runtime, caller and instance. */
export function inlineHop(ctx: ProxyContext, caller: Peer, instanceId: string): InlineHop {
  let byPeer = hops.get(ctx);
  if (!byPeer) hops.set(ctx, (byPeer = new WeakMap()));
  let byInstance = byPeer.get(caller);
  if (!byInstance) byPeer.set(caller, (byInstance = new Map()));
  let h = byInstance.get(instanceId);
  if (!h) byInstance.set(instanceId, (h = new InlineHop(ctx, `inbound|${instanceId}`, caller)));
  return h;
}
