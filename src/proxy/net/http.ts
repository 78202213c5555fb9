/**
 * HTTP plumbing shared by the listeners: hop-by-hop header filtering (RFC 9110 §7.6.1, plus the
 * HTTP/2 connection-specific headers of RFC 9113 §8.2.2), local replies (plain text, or trailers-only
 * gRPC answers for gRPC callers), and writing an upstream response head downstream.
 */
import type { IncomingHttpHeaders } from "node:http";
import type http2 from "node:http2";
import type { Req, Res } from "./listener.js";
import type { HeaderMap } from "../features/headers.js";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "http2-settings",
  "host",
  "proxy-authorization",
  "proxy-authenticate",
]);

/**
 * Request headers to forward: without hop-by-hop headers, HTTP/2 pseudo-headers, `host` (set
 * separately) and `expect`: like Envoy (without `proxy_100_continue`), the proxy answers
 * `Expect: 100-continue` itself (the listener sends the interim 100, except before a refusal of the
 * request's head) and streams the body on.
 */
export function forwardableRequestHeaders(h: IncomingHttpHeaders): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionListed(h.connection);
  for (const k in h) {
    if (k.charCodeAt(0) === 58 /* : */ || HOP_BY_HOP.has(k) || k === "expect" || (listed && listed.has(k))) continue;
    out[k] = h[k];
  }
  // gRPC needs `te: trailers` end to end.
  if (h.te === "trailers") out.te = "trailers";
  return out;
}

/**
 * The request headers an instance's app receives, which are also what its access control decides on, so
 * that a rule never passes on a header the app does not get (one the caller listed in Connection, say)
 * nor decides on one the app gets differently: the forwardable ones ({@link forwardableRequestHeaders}),
 * `host` as the request's authority (`:authority` on HTTP/2; left out when unknown), and
 * `x-forwarded-client-cert` naming the verified caller (`By` the destination, `URI` the caller; one the
 * caller sent is dropped), as Istio's sidecars set it before their RBAC filter runs.
 */
export function appRequestHeaders(h: IncomingHttpHeaders, authority: string | undefined, destination: string, caller: string | undefined): HeaderMap {
  const out = forwardableRequestHeaders(h);
  if (authority !== undefined) out.host = authority;
  delete out["x-forwarded-client-cert"];
  if (caller) out["x-forwarded-client-cert"] = `By=${destination};URI=${caller}`;
  return out;
}

/** Response headers to send downstream: without hop-by-hop headers. */
export function forwardableResponseHeaders(h: IncomingHttpHeaders | Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionListed(h.connection as string | undefined);
  for (const k in h) {
    if (k === "host" || (HOP_BY_HOP.has(k) && k !== "trailer") || (listed && listed.has(k)) || k.charCodeAt(0) === 58) continue;
    out[k] = h[k];
  }
  return out;
}

function connectionListed(v: string | string[] | undefined): Set<string> | undefined {
  if (!v) return undefined;
  const s = (Array.isArray(v) ? v.join(",") : v).toLowerCase();
  if (s === "keep-alive" || s === "close") return undefined;
  return new Set(
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );
}

/** True when the request is gRPC. */
export function isGrpc(h: IncomingHttpHeaders): boolean {
  const ct = h["content-type"];
  return typeof ct === "string" && ct.startsWith("application/grpc");
}

/** gRPC status for a locally answered HTTP status (grpc/grpc doc/http-grpc-status-mapping.md). */
export function grpcStatusOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 504:
      return 4;
    case 429:
    case 502:
    case 503:
      return 14;
    default:
      return 2;
  }
}

/**
 * Answers locally. `flag` goes to `x-unimesh-flag` (and the access log). gRPC callers get HTTP 200 with
 * `grpc-status` (a trailers-only response) unless `grpcStatus` overrides it.
 */
export function localReply(
  req: Req,
  res: Res,
  status: number,
  body: string | Buffer,
  extra?: { flag?: string; headers?: HeaderMap; grpcStatus?: number },
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const headers: HeaderMap = { ...(extra?.headers ?? {}) };
  if (extra?.flag) headers["x-unimesh-flag"] = extra.flag;
  if (isGrpc(req.headers) || extra?.grpcStatus !== undefined) {
    const code = extra?.grpcStatus ?? grpcStatusOf(status);
    headers["content-type"] = "application/grpc";
    headers["grpc-status"] = String(code);
    headers["grpc-message"] = encodeURIComponent(body.toString());
    writeHead(res, 200, headers);
    res.end();
    return;
  }
  const b = Buffer.from(body);
  headers["content-type"] ??= "text/plain; charset=utf-8";
  headers["content-length"] = String(b.length);
  writeHead(res, status, headers);
  (res as unknown as import("node:http").ServerResponse).end(req.method === "HEAD" ? undefined : b);
}

/**
 * Drops a `trailer` header (RFC 9110 §6.6.2: the names of the trailer fields to come) from the response
 * headers `h` (changed in place) when the HTTP/1.1 answer to `req` with `status` cannot carry trailers: it
 * is not chunked (RFC 9112 §7.1.2: trailers follow the last chunk) because it has a Content-Length, no body
 * (HEAD, 1xx, 204, 304, RFC 9110 §6.4.1) or the caller spoke HTTP/1.0 (close-delimited). node:http's
 * `writeHead` throws `ERR_HTTP_TRAILER_INVALID` for it (lib/_http_outgoing.js `_storeHeader`), which broke off
 * an upstream's legal answer (a Content-Length body announcing a Trailer) after the exchange had committed:
 * the caller's connection was reset. No trailer follows such an answer, so the announcement is not true
 * downstream anyway. HTTP/2 answers carry trailers on any stream: kept.
 */
export function dropUnsendableTrailer(req: Req, status: number, h: HeaderMap): void {
  if (h.trailer === undefined || "stream" in req) return;
  if (req.httpVersion !== "1.1" || req.method === "HEAD" || status < 200 || status === 204 || status === 304 || h["content-length"] !== undefined)
    delete h.trailer;
}

/** Writes a response head (HTTP/1.1 or HTTP/2). */
export function writeHead(res: Res, status: number, headers: HeaderMap): void {
  let clean = headers;
  for (const k in headers) {
    if (headers[k] === undefined) {
      clean = {};
      for (const j in headers) if (headers[j] !== undefined) clean[j] = headers[j];
      break;
    }
  }
  (res as unknown as import("node:http").ServerResponse).writeHead(status, clean as import("node:http").OutgoingHttpHeaders);
}

/** The authority of a request: `:authority` (HTTP/2) or Host. */
export function authorityOf(req: Req): string {
  const h = req.headers;
  return (h[":authority"] as string | undefined) ?? h.host ?? "";
}

/** True when the request has a body to forward (HTTP/2: a stream not ended with its headers; HTTP/1: chunked or a length > 0). */
export function hasBody(req: Req): boolean {
  const h = req.headers;
  if ("stream" in req) return !(req as http2.Http2ServerRequest).stream.endAfterHeaders && h["content-length"] !== "0";
  return h["transfer-encoding"] !== undefined || (h["content-length"] !== undefined && h["content-length"] !== "0");
}
