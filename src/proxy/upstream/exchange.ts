/**
 * One forwarded request: tries against instances picked per try, the request timeout over all tries,
 * the per-try timeout, retries with back-off (only while nothing has been sent downstream and the body
 * can be replayed), and streaming the chosen response downstream with back-pressure and trailers.
 * The undici dispatch API is used directly so that bytes go from the upstream socket to the downstream
 * response without intermediate streams.
 */
import type { Dispatcher } from "undici";
import type { Readable } from "node:stream";
import type { IncomingHttpHeaders } from "node:http";
import type { Req, Res } from "../net/listener.js";
import { forwardableResponseHeaders, localReply, writeHead } from "../net/http.js";
import type { HeaderMap } from "../features/headers.js";
import { backoffMs, type RetryPolicy, type TryOutcome } from "../features/retries.js";

/** The instance a try goes to. */
export interface TryTarget {
  id: string;
  /** `address:port` for logs. */
  label: string;
  dispatcher: Pick<Dispatcher, "dispatch">;
  /** Close the connection after this request (maxRequestsPerConnection: 1). */
  reset?: boolean;
  /** Called when the try ends (requests-in-flight accounting). */
  release?(): void;
}

/** Everything one forwarded request needs. */
export interface ForwardPlan {
  req: Req;
  res: Res;
  method: string;
  /** Path with query. */
  path: string;
  headers: HeaderMap;
  /** The body: null (none), a buffer (replayable), or a stream (one try only). */
  body: Buffer | null | Readable | AsyncIterable<Buffer>;
  retries?: RetryPolicy;
  timeoutMs?: number;
  perTryTimeoutMs?: number;
  /** Picks an instance, avoiding `tried` when others are available; undefined when none is healthy. */
  pick(tried: ReadonlySet<string>): TryTarget | undefined | "no-healthy";
  /** Outcome of each try (outlier detection). */
  onOutcome?(target: TryTarget, outcome: number | "connect-failure" | "reset" | "timeout"): void;
  /** Takes a retry slot (connection-pool maxRetries). */
  acquireRetry?(): boolean;
  releaseRetry?(): void;
  onRetry?(): void;
  onFailure?(reason: string): void;
  /** Changes the response head before it goes downstream (header ops, CORS, cookies). */
  decorate?(status: number, headers: HeaderMap): void;
}

/** How it went. */
export interface ForwardResult {
  status: number;
  upstream?: string;
  retries: number;
  flags: string[];
}

class DownstreamGone extends Error {
  constructor() { super("downstream disconnected"); }
}

class TimeoutError extends Error {
  constructor(readonly which: "per-try" | "request") { super(`${which} timeout`); }
}

/** Classifies an error of a try without a response. */
export function classifyError(e: Error & { code?: string }): Exclude<TryOutcome["kind"], "response"> {
  if (e instanceof TimeoutError) return "timeout";
  const code = e.code ?? "";
  const msg = e.message ?? "";
  if (/REFUSED_STREAM/.test(msg) || /REFUSED_STREAM/.test(code)) return "refused-stream";
  if (code === "ECONNREFUSED" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "EADDRNOTAVAIL"
    || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || /secure TLS connection|certificate|upstream identity/.test(msg)) return "connect-failure";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timeout";
  return "reset";
}

/**
 * True when the HTTP client refused the request itself, before anything reached the upstream (an
 * argument it does not support or a malformed request): the client's fault, not the instance's.
 */
function refusedLocally(e: Error & { code?: string }): boolean {
  return e.code === "UND_ERR_INVALID_ARG" || e.code === "UND_ERR_NOT_SUPPORTED" || e.code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH";
}

/** True when the downstream request broke off before its body was complete (the caller went away or sent garbage). */
function downstreamBroken(req: Req): boolean {
  return !req.complete && (req.destroyed || req.readableAborted || (req as { aborted?: boolean }).aborted === true);
}

function grpcStatus(h: IncomingHttpHeaders): number | undefined {
  const v = h["grpc-status"];
  return typeof v === "string" ? Number(v) : undefined;
}

/** Forwards a request; resolves when the downstream response is complete (or abandoned). */
export function forward(plan: ForwardPlan): Promise<ForwardResult> {
  const { req, res } = plan;
  const out = res as unknown as import("node:http").ServerResponse;
  const result: ForwardResult = { status: 0, retries: 0, flags: [] };
  const replayable = plan.body === null || Buffer.isBuffer(plan.body);
  const tried = new Set<string>();
  let committed = false;
  let finished = false;
  let current: { abort(e: Error): void } | undefined;
  let requestTimer: NodeJS.Timeout | undefined;
  const deadline = plan.timeoutMs ? performance.now() + plan.timeoutMs : Infinity;

  return new Promise<ForwardResult>((resolve) => {
    const finish = (status: number, flag?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(requestTimer);
      result.status = status;
      if (flag) result.flags.push(flag);
      res.off("close", onDownstreamClose);
      resolve(result);
    };
    const fail = (status: number, body: string, flag: string) => {
      if (committed) { res.destroy(); finish(result.status || status, flag); return; }
      localReply(req, res, status, body, { flag });
      finish(status, flag);
    };
    const onDownstreamClose = () => {
      // (Not res.writableFinished: an HTTP/2 stream reset by the client reads as finished.)
      if (finished) return;
      finish(499, "DC");
      current?.abort(new DownstreamGone());
    };
    res.on("close", onDownstreamClose);
    if (plan.timeoutMs) {
      requestTimer = setTimeout(() => {
        plan.onFailure?.("timeout");
        fail(504, "upstream request timeout", "UT");
        current?.abort(new TimeoutError("request"));
      }, plan.timeoutMs);
    }

    const canRetry = (n: number, o: TryOutcome): boolean => {
      const r = plan.retries;
      if (!r || committed || finished || n >= r.attempts || !replayable || !r.retriable(o)) return false;
      return true;
    };

    /** Prepares retry `n` (1-based): undefined when the deadline or the retry budget forbids it. */
    const prepareRetry = (n: number): (() => void) | undefined => {
      const wait = backoffMs(n, plan.retries!.backoffBaseMs);
      if (performance.now() + wait >= deadline) return undefined;
      if (plan.acquireRetry && !plan.acquireRetry()) { result.flags.push("URX"); return undefined; }
      return () => {
        result.retries = n;
        plan.onRetry?.();
        const go = () => { if (!finished) attempt(n); else plan.releaseRetry?.(); };
        if (wait > 0) setTimeout(go, wait); else go();
      };
    };

    const attempt = (n: number) => {
      const target = plan.pick(tried);
      if (target === undefined || target === "no-healthy") {
        if (n > 0) plan.releaseRetry?.();
        fail(503, "no healthy upstream", "UH");
        return;
      }
      tried.add(target.id);
      result.upstream = target.label;
      let done = false;
      let discard = false;
      let controller: Dispatcher.DispatchController | undefined;
      let pendingAbort: Error | undefined;
      let status = 0;
      let tryTimer: NodeJS.Timeout | undefined;
      const endTry = () => {
        if (done) return false;
        done = true;
        clearTimeout(tryTimer);
        target.release?.();
        if (n > 0) plan.releaseRetry?.();
        if (current === handle) current = undefined;
        return true;
      };
      let paused = false;
      const handle = {
        abort(e: Error) {
          // A paused response is resumed first: undici must not meet the end of the upstream
          // connection with its parser paused (it asserts), and an abandoned pause would hold the
          // connection forever.
          if (controller && paused) { paused = false; controller.resume(); }
          if (controller) controller.abort(e);
          else pendingAbort = e;
          if (e instanceof TimeoutError && e.which === "request") endTry();
        },
      };
      current = handle;
      const onTryError = (err: Error) => {
        if (!endTry()) return;
        // Abandoned because the caller went away: says nothing about the instance.
        if (err instanceof DownstreamGone) return;
        // The caller's body broke off, or the request was refused before it left: the caller's fault,
        // never counted against the instance (outlier detection) nor retried.
        if (downstreamBroken(req)) {
          if (!finished) { if (committed) res.destroy(); finish(499, "DC"); }
          return;
        }
        if (refusedLocally(err as Error & { code?: string })) {
          if (!finished) fail(400, `unimesh: this request cannot be forwarded: ${err.message}`, "DPE");
          return;
        }
        const kind = classifyError(err);
        plan.onOutcome?.(target, kind === "refused-stream" ? "reset" : kind);
        if (finished) return;
        plan.onFailure?.(kind);
        if (committed) { res.destroy(); finish(status, kind === "timeout" ? "UT" : "UC"); return; }
        const again = canRetry(n, { kind }) ? prepareRetry(n + 1) : undefined;
        if (again) { again(); return; }
        if (kind === "timeout") fail(504, "upstream request timeout", "UT");
        else if (kind === "connect-failure") fail(503, `upstream connect error or disconnect/reset before headers. reset reason: connection failure`, "UF");
        else fail(503, `upstream connect error or disconnect/reset before headers. reset reason: ${kind}`, "UC");
      };
      const perTry = plan.perTryTimeoutMs;
      if (perTry) tryTimer = setTimeout(() => { const e = new TimeoutError("per-try"); handle.abort(e); onTryError(e); }, perTry);

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (pendingAbort) c.abort(pendingAbort);
        },
        onResponseStart(c, statusCode, headers) {
          if (statusCode < 200 || done) return;
          status = statusCode;
          const gs = grpcStatus(headers);
          plan.onOutcome?.(target, statusCode);
          const again = canRetry(n, { kind: "response", status: statusCode, ...(gs !== undefined ? { grpcStatus: gs } : {}) }) ? prepareRetry(n + 1) : undefined;
          if (again) {
            // Let the failed answer drain (keeps the connection) and retry.
            discard = true;
            endTry();
            again();
            return;
          }
          committed = true;
          result.status = statusCode;
          const h = forwardableResponseHeaders(headers);
          plan.decorate?.(statusCode, h);
          try {
            writeHead(res, statusCode, h);
          } catch {
            c.abort(new Error("invalid response head"));
            return;
          }
        },
        onResponseData(c, chunk) {
          if (discard || done) return;
          if (finished) { c.abort(new DownstreamGone()); return; }
          if (!out.write(chunk)) {
            c.pause();
            paused = true;
            res.once("drain", () => { if (paused) { paused = false; c.resume(); } });
          }
        },
        onResponseEnd(c, parsed) {
          if (discard) return;
          if (!endTry()) return;
          if (finished) return;
          // undici (7.x) hands HTTP/2 trailers over as an object in rawTrailers and parses them to {}.
          const raw = c.rawTrailers;
          const trailers = raw && !Array.isArray(raw) ? (raw as Record<string, string>) : parsed;
          if (trailers && Object.keys(trailers).length) {
            try { res.addTrailers(trailers as Record<string, string>); } catch { /* HTTP/1.1 without chunked encoding: dropped */ }
          }
          res.end();
          finish(status);
        },
        onResponseError(_c, err) {
          if (discard) return;
          onTryError(err);
        },
      };
      try {
        target.dispatcher.dispatch({
          path: plan.path, method: plan.method, headers: plan.headers as Record<string, string | string[]>,
          body: plan.body as Buffer | null, headersTimeout: 0, bodyTimeout: 0, ...(target.reset ? { reset: true } : {}),
        }, handler);
      } catch (e) {
        onTryError(e as Error);
      }
    };
    attempt(0);
  });
}
