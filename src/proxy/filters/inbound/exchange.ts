/**
 * The state of one request through the inbound chain (../inbound.ts): what the request is, and what
 * each filter resolved for the filters after it.
 */
import type { RtInstance, RtListener } from "../../config/compile.js";
import type { ProxyContext } from "../../context.js";
import type { Peer } from "../../features/trafficSource.js";
import type { Req, Res } from "../../net/listener.js";
import { authorityOf, localReply } from "../../net/http.js";
import type { Authenticated, Refusal } from "../../decide.js";

export type InboundListener = Extract<RtListener, { kind: "inbound" }>;

/**
 * One request through the inbound chain. A class rather than an object literal with a closure: one
 * shape for every request and nothing allocated per request for {@link InboundExchange.record}.
 */
export class InboundExchange {
  /** The instance behind the listener. */
  readonly instance: RtInstance;
  /** The method and authority (a Wasm extension may change them). */
  method: string;
  authority: string;
  /** The path (normalized once `pathNormalization` ran), and the query string as received (without `?`, undefined: none; a Wasm extension may change both). */
  path: string;
  query: string | undefined;
  /** `requestAuthentication`: the end user, the token locations to remove, the query string without token parameters. */
  authenticated: Authenticated;
  /** `wasm`: the streams of the Wasm extensions that saw the request (their response callbacks run in reverse order), and the request body they read (and may have changed). */
  wasm: { streams: import("../../wasm/plugin.js").WasmStream[]; body?: Buffer } | undefined = undefined;
  /** The method and authority as received: what the access log shows. */
  private readonly receivedMethod: string;
  private readonly receivedAuthority: string;

  /** The exchange of a request that arrived on `listener` (its key), from `peer`, before any filter ran. */
  constructor(
    readonly ctx: ProxyContext,
    /** The listener's key. */
    readonly key: string,
    listener: InboundListener,
    /** The verified caller of the connection. */
    readonly peer: Peer,
    readonly req: Req,
    readonly res: Res,
    /** `performance.now()` when the request arrived. */
    readonly started: number,
  ) {
    this.instance = listener.instance;
    const method = req.method ?? "GET";
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const authority = authorityOf(req);
    this.method = method;
    this.authority = authority;
    this.path = q < 0 ? raw : raw.slice(0, q);
    this.query = q < 0 ? undefined : raw.slice(q + 1);
    this.authenticated = { removeHeaders: [], query: this.query ?? "" };
    this.receivedMethod = method;
    this.receivedAuthority = authority;
  }

  /** Counts the request and writes its access-log line. */
  record(status: number, flags: string[], upstream?: string): void {
    const { ctx, peer, req } = this;
    const svc = this.instance.service;
    const seconds = (performance.now() - this.started) / 1000;
    ctx.metrics.request("inbound", peer.label, svc.key, status, seconds);
    if (!ctx.log.enabled) return;
    ctx.log.write({
      time: new Date(Date.now() - seconds * 1000).toISOString(),
      direction: "inbound",
      listener: this.key,
      source: peer.label,
      destination: svc.key,
      method: this.receivedMethod,
      path: this.path,
      authority: this.receivedAuthority,
      protocol: `HTTP/${req.httpVersion}`,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      ...(upstream ? { upstream } : {}),
      ...(flags.length ? { flags } : {}),
      ...(typeof req.headers["x-request-id"] === "string" ? { requestId: req.headers["x-request-id"] } : {}),
    });
  }
}

/** The exchange of a request that arrived on `listener`, from `peer`, before any filter ran. */
export function newExchange(ctx: ProxyContext, key: string, listener: InboundListener, peer: Peer, req: Req, res: Res, started: number): InboundExchange {
  return new InboundExchange(ctx, key, listener, peer, req, res, started);
}

/** Answers a refused request and records it. */
export function refuse(x: InboundExchange, r: Refusal): true {
  localReply(x.req, x.res, r.status, r.body, { flag: r.flag, ...(r.headers ? { headers: r.headers } : {}) });
  x.record(r.status, [r.flag]);
  return true;
}
