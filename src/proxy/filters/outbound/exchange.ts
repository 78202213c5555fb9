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

/** An outbound listener (an app's) or an ingress. */
export type CallerListener = Extract<RtListener, { kind: "outbound" | "ingress" }>;

/** The fields of an access-log line that depend on how far the request got. */
export interface RecordExtra {
  route?: RtRoute;
  upstream?: string;
  retries?: number;
  destination?: string;
}

export interface OutboundExchange {
  readonly ctx: ProxyContext;
  /** The listener's key. */
  readonly key: string;
  readonly req: Req;
  readonly res: Res;
  /** `performance.now()` when the request arrived. */
  readonly started: number;
  readonly listener: CallerListener;
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
  readonly hostPort?: number;
  /** `service`: the destination service the host names (undefined: none). */
  service?: RtService;
  /** `destination`: the view of the service port the request is for. */
  view?: RtPortView;
  /** `route`: the first route that matches. */
  route?: RtRoute;
  /** `cors`: the request's Origin when the route's CORS policy allows it (its response is decorated). */
  corsOrigin?: string;
  /** Flags for the access log (`DI` for an injected delay...). */
  readonly flags: string[];
  /** `split`: the chosen target, resolved for the port. */
  upstream?: RtUpstream;
  /** `split`: the caller's state towards the target's settings (balancer, admission, outlier detection). */
  state?: CallerState;
  /** `upstreamRequest`: the path (rewritten, with the query) and the request headers sent upstream. */
  upstreamPath: string;
  headers: HeaderMap;
  /** `body`: none, a buffer (replayable: retries and mirroring possible), or a stream (one try). */
  body: Buffer | null | Readable | AsyncIterable<Buffer>;
  /** `loadBalancer`: the consistent-hash key, and the cookie to set when it was generated. */
  hashKey?: string;
  setCookie?: string;
  /** `connectionPool`: gives the admitted request's slot back (the chain's last filter calls it). */
  release?: () => void;
  /** Counts the request and writes its access-log line. */
  record(status: number, flags: string[], extra?: RecordExtra): void;
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

/** Splits `host[:port]`. */
export function splitAuthority(a: string): { host: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(a);
  if (!m) return { host: a };
  return m[2] ? { host: m[1], port: Number(m[2]) } : { host: m[1] };
}

/** The exchange of a request that arrived on `listener`, before any filter ran. */
export function newExchange(ctx: ProxyContext, key: string, listener: CallerListener, req: Req, res: Res, started: number): OutboundExchange {
  const t = target(req);
  const { host, port: hostPort } = splitAuthority(t.authority);
  const caller = listener.identity;
  const method = req.method ?? "GET";
  const x: OutboundExchange = {
    ctx,
    key,
    req,
    res,
    started,
    listener,
    caller,
    method,
    authority: t.authority,
    path: t.path,
    query: t.query,
    host,
    ...(hostPort !== undefined ? { hostPort } : {}),
    flags: [],
    upstreamPath: t.path,
    headers: {},
    body: null,
    record(status, flags, extra = {}) {
      const destination = extra.destination ?? x.service?.key ?? host;
      const seconds = (performance.now() - started) / 1000;
      ctx.metrics.request("outbound", caller.peer.label, destination, status, seconds, extra.route?.id);
      if (!ctx.log.enabled) return;
      ctx.log.write({
        time: new Date(Date.now() - seconds * 1000).toISOString(),
        direction: "outbound",
        listener: key,
        source: caller.peer.label,
        destination,
        ...(extra.route ? { route: extra.route.id, ...(extra.route.name ? { routeName: extra.route.name } : {}) } : {}),
        method,
        path: x.path,
        authority: t.authority,
        protocol: `HTTP/${req.httpVersion}`,
        status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        ...(extra.upstream ? { upstream: extra.upstream } : {}),
        ...(extra.retries ? { retries: extra.retries } : {}),
        ...(flags.length ? { flags } : {}),
        ...(typeof req.headers["x-request-id"] === "string" ? { requestId: req.headers["x-request-id"] } : {}),
      });
    },
  };
  return x;
}
