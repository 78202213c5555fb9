/**
 * The state of one request through the outbound chain (../outbound.ts): what the request is, and what
 * each filter resolved for the filters after it. Fields are set in chain order; a filter reads only
 * what the filters before it set (their names say which).
 */
import type { Readable } from "node:stream";
import type { RtIdentity, RtListener, RtPortView, RtRoute, RtService, RtUpstream } from "../../config/compile.js";
import type { CallerState, ProxyContext } from "../../context.js";
import type { HeaderMap } from "../../features/headers.js";
import type { Req, Res } from "../../net/listener.js";
import { authorityOf } from "../../net/http.js";
import { absoluteForm } from "../../net/requestTarget.js";

/** An outbound listener (an app's) or an ingress. */
export type CallerListener = Extract<RtListener, { kind: "outbound" | "ingress" }>;

/** The fields of an access-log line that depend on how far the request got. */
export interface RecordExtra {
  route?: RtRoute;
  upstream?: string;
  retries?: number;
  destination?: string;
  /** The caller as counted and logged, when it is not the listener's identity (`unknown`: a request without the listener's token). */
  source?: string;
}

/**
 * One request through the outbound chain. A class rather than an object literal with a closure: one
 * shape for every request (the filters' property reads stay monomorphic) and nothing allocated per
 * request for {@link OutboundExchange.record}.
 */
export class OutboundExchange {
  /** The caller: the listener's identity (its app's, or the ingress's). */
  readonly caller: RtIdentity;
  readonly method: string;
  /** The request's authority (Host, or the absolute URL's), as sent. */
  readonly authority: string;
  /** The path (normalized once `pathNormalization` ran) and the query string without `?`. */
  path: string;
  readonly query: string;
  /** The host and port of `authority`. */
  readonly host: string;
  readonly hostPort: number | undefined;
  /** `service`: the destination service the host names (undefined: none). */
  service: RtService | undefined = undefined;
  /** `destination`: the view of the service port the request is for. */
  view: RtPortView | undefined = undefined;
  /** `route`: the first route that matches. */
  route: RtRoute | undefined = undefined;
  /** `cors`: the request's Origin when the route's CORS policy allows it (its response is decorated). */
  corsOrigin: string | undefined = undefined;
  /** Flags for the access log (`DI` for an injected delay...). */
  readonly flags: string[] = [];
  /** `split`: the chosen target, resolved for the port. */
  upstream: RtUpstream | undefined = undefined;
  /** `split`: the caller's state towards the target's settings (balancer, admission, outlier detection). */
  state: CallerState | undefined = undefined;
  /** `upstreamRequest`: the path (rewritten, with the query) and the request headers sent upstream. */
  upstreamPath: string;
  headers: HeaderMap = {};
  /** `body`: none, a buffer (replayable: retries and mirroring possible), or a stream (one try). */
  body: Buffer | null | Readable | AsyncIterable<Buffer> = null;
  /** `loadBalancer`: the consistent-hash key, and the cookie to set when it was generated. */
  hashKey: string | undefined = undefined;
  setCookie: string | undefined = undefined;
  /** `connectionPool`: gives the admitted request's slot back (the chain's last filter calls it). */
  release: (() => void) | undefined = undefined;

  /** The exchange of a request that arrived on `listener` (its key), before any filter ran; `started`: `performance.now()` when it arrived. */
  constructor(
    readonly ctx: ProxyContext,
    /** The listener's key. */
    readonly key: string,
    readonly listener: CallerListener,
    readonly req: Req,
    readonly res: Res,
    /** `performance.now()` when the request arrived. */
    readonly started: number,
  ) {
    this.caller = listener.identity;
    this.method = req.method ?? "GET";
    // The request's target: authority, path and query, from an absolute URL (proxy form) or Host.
    let url = req.url ?? "/";
    let authority = authorityOf(req);
    const absolute = url.charCodeAt(0) === 104 /* h */ ? absoluteForm(url) : undefined;
    if (absolute) {
      // RFC 9112 §3.2.2: the target's authority, not Host (net/listener.ts refusedRequestHead checked it as a Host).
      authority = absolute.authority;
      url = absolute.target;
    }
    this.authority = authority;
    const q = url.indexOf("?");
    this.path = q < 0 ? url : url.slice(0, q);
    this.query = q < 0 ? "" : url.slice(q + 1);
    this.upstreamPath = this.path;
    const colon = authority.indexOf(":");
    if (colon < 0) {
      this.host = authority;
      this.hostPort = undefined;
    } else {
      const { host, port } = splitAuthority(authority);
      this.host = host;
      this.hostPort = port;
    }
  }

  /** Counts the request and writes its access-log line. */
  record(status: number, flags: string[], extra?: RecordExtra): void {
    const { ctx, caller, req } = this;
    const destination = extra?.destination ?? this.service?.key ?? this.host;
    const source = extra?.source ?? caller.peer.label;
    const seconds = (performance.now() - this.started) / 1000;
    ctx.metrics.request("outbound", source, destination, status, seconds, extra?.route?.id);
    if (!ctx.log.enabled) return;
    ctx.log.write({
      time: new Date(Date.now() - seconds * 1000).toISOString(),
      direction: "outbound",
      listener: this.key,
      source,
      destination,
      ...(extra?.route ? { route: extra.route.id, ...(extra.route.name ? { routeName: extra.route.name } : {}) } : {}),
      method: this.method,
      path: this.path,
      authority: this.authority,
      protocol: `HTTP/${req.httpVersion}`,
      status,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      ...(extra?.upstream ? { upstream: extra.upstream } : {}),
      ...(extra?.retries ? { retries: extra.retries } : {}),
      ...(flags.length ? { flags } : {}),
      ...(typeof req.headers["x-request-id"] === "string" ? { requestId: req.headers["x-request-id"] } : {}),
    });
  }
}

/** Splits `host[:port]` (`[v6]:port` too); an authority of any other form is all host. */
export function splitAuthority(a: string): { host: string; port?: number } {
  // The usual `name:digits` without the regular expression (what it matches, exactly).
  if (a.charCodeAt(0) !== 91 /* [ */) {
    const colon = a.indexOf(":");
    if (colon < 0) return { host: a };
    const n = a.length;
    if (colon === n - 1) return { host: a };
    for (let i = colon + 1; i < n; i++) {
      const c = a.charCodeAt(i);
      if (c < 48 || c > 57) return { host: a };
    }
    return { host: a.slice(0, colon), port: Number(a.slice(colon + 1)) };
  }
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(a);
  if (!m) return { host: a };
  return m[2] ? { host: m[1], port: Number(m[2]) } : { host: m[1] };
}

/** The exchange of a request that arrived on `listener`, before any filter ran. */
export function newExchange(ctx: ProxyContext, key: string, listener: CallerListener, req: Req, res: Res, started: number): OutboundExchange {
  return new OutboundExchange(ctx, key, listener, req, res, started);
}
