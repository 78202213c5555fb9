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
import { dropUnsendableTrailer, forwardableResponseHeaders, localReply, writeHead } from "../net/http.js";
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
  /**
   * Replaces the whole response before it goes downstream (Wasm extensions): the chosen response is
   * held, head and body (at most `maxHeldBytes`: a larger body fails with 502), until the promise gives
   * what to send instead (`flag`: an access-log flag when it is a local response). A rejection fails
   * the request closed (500).
   */
  transformResponse?(status: number, headers: HeaderMap, body: Buffer): Promise<{ status: number; headers: HeaderMap; body: Buffer; flag?: string }>;
  /** Bytes of a response body {@link transformResponse} may hold. @default 1 MiB */
  maxHeldBytes?: number;
}

/** How it went. */
export interface ForwardResult {
  status: number;
  upstream?: string;
  retries: number;
  flags: string[];
}

class DownstreamGone extends Error {
  constructor() {
    super("downstream disconnected");
  }
}

class TimeoutError extends Error {
  constructor(readonly which: "per-try" | "request") {
    super(`${which} timeout`);
  }
}

/** Classifies an error of a try without a response. */
export function classifyError(e: Error & { code?: string }): Exclude<TryOutcome["kind"], "response"> {
  if (e instanceof TimeoutError) return "timeout";
  const code = e.code ?? "";
  const msg = e.message ?? "";
  if (/REFUSED_STREAM/.test(msg) || /REFUSED_STREAM/.test(code)) return "refused-stream";
  if (
    code === "ECONNREFUSED" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "ENOTFOUND" ||
    code === "EHOSTUNREACH" ||
    code === "EADDRNOTAVAIL" ||
    code.startsWith("ERR_TLS") ||
    code.startsWith("ERR_SSL") ||
    /secure TLS connection|certificate|upstream identity/.test(msg)
  )
    return "connect-failure";
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

/** The local answer (status, body, access-log flag) when a try failed before a response head and no retry follows. */
export function failureReply(kind: Exclude<TryOutcome["kind"], "response">): [status: number, body: string, flag: string] {
  if (kind === "timeout") return [504, "upstream request timeout", "UT"];
  if (kind === "connect-failure") return [503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", "UF"];
  return [503, `upstream connect error or disconnect/reset before headers. reset reason: ${kind}`, "UC"];
}

/** What the first try avoids: nothing (never changed). */
const NONE_TRIED: ReadonlySet<string> = new Set();

/** The timer callback of an exchange (no closure per request). */
function onTimer(x: Exchange): void {
  x.timeouts();
}

/**
 * The local answer the inbound side gives when the app's try failed before a response head (the
 * request refused by the HTTP client itself: 400 `DPE`; else {@link failureReply} of its kind).
 */
export function failureAnswer(e: Error & { code?: string }): [status: number, body: string, flag: string] {
  if (refusedLocally(e)) return [400, `unimesh: this request cannot be forwarded: ${e.message}`, "DPE"];
  return failureReply(classifyError(e));
}

/** Forwards a request; resolves when the downstream response is complete (or abandoned). */
export function forward(plan: ForwardPlan): Promise<ForwardResult> {
  return new Promise<ForwardResult>((resolve) => new Exchange(plan, resolve).start());
}

/**
 * One forwarded request across its tries: the request timeout, the downstream going away, whether a
 * failed try may be retried, and the one way it ends ({@link Exchange.finish}). Each try is a {@link Try}.
 */
class Exchange {
  readonly result: ForwardResult = { status: 0, retries: 0, flags: [] };
  /** The instance of the first try, and the ids of every instance tried once a retry starts (a retry avoids them when it can). */
  private firstTried = "";
  private tried: Set<string> | undefined;
  /** The response head went downstream: no more retries, and an error can only break the response off. */
  committed = false;
  /** The exchange has ended (resolved): late events of a try are ignored. */
  finished = false;
  /** The try in progress, aborted by the request timeout or the downstream going away. */
  current: Try | undefined;
  /** Only a body held in memory (or none) can be sent again. */
  private readonly replayable: boolean;
  /** When the request timeout fires (`performance.now()` ms): no retry starts after it. */
  private readonly deadline: number;
  /**
   * ONE timer per exchange for both the request timeout and the try's per-try timeout, armed for the
   * earlier of the two (where two Node timers per request were armed and cleared): at `timerAt`
   * (`performance.now()` ms; Infinity: none). A try that ends leaves it armed (a later wake-up re-arms
   * it for what is still pending), and {@link finish} clears it. Each timeout fires no earlier than its
   * deadline on the `performance.now()` clock (a wake-up before it re-arms for the rest), as late as a
   * Node timer would.
   */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /**
   * Tries whose failed answer is being drained before a retry (so that its connection can be reused):
   * the ones still draining when the exchange ends are aborted, so that an answer whose body never ends
   * cannot hold its connection (and a hop stream) forever. Envoy resets the upstream request it retries.
   */
  private drains: Try[] | undefined;

  constructor(
    readonly plan: ForwardPlan,
    private readonly resolve: (r: ForwardResult) => void,
  ) {
    this.replayable = plan.body === null || Buffer.isBuffer(plan.body);
    this.deadline = plan.timeoutMs ? performance.now() + plan.timeoutMs : Infinity;
  }

  start(): void {
    // Not removed when the exchange ends (a late close finds it finished): the response goes away with it.
    this.plan.res.on("close", this.onDownstreamClose);
    this.attempt(0);
  }

  /** Arms the timer for the earliest pending deadline (the request's, the current try's) unless it is armed for one no later. */
  wake(now = performance.now()): void {
    const t = this.current;
    const next = t && t.deadline < this.deadline ? t.deadline : this.deadline;
    if (next === Infinity || this.timerAt <= next) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    // Whole milliseconds: Node keeps one timer list per distinct delay (a fraction would make one per request).
    this.timer = setTimeout(onTimer, Math.max(1, Math.ceil(next - now)), this);
  }

  /** The timer fired: the timeouts that are due, in the order of their deadlines (the request's first on a tie), then the next wake-up. */
  timeouts(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.finished) return;
    const now = performance.now();
    const t = this.current;
    if (t && t.deadline < this.deadline && now >= t.deadline) t.perTryTimeout();
    if (!this.finished && now >= this.deadline) this.requestTimeout();
    const u = this.current;
    if (!this.finished && u && now >= u.deadline) u.perTryTimeout();
    if (!this.finished) this.wake(now);
  }

  /** Ends the exchange once: records the status (and access-log flag) and resolves. */
  finish(status: number, flag?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.drains) for (const t of this.drains.splice(0)) t.abort(new DownstreamGone());
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    }
    this.result.status = status;
    if (flag) this.result.flags.push(flag);
    this.resolve(this.result);
  }

  /** Answers locally, or breaks the response off when its head already went downstream. */
  fail(status: number, body: string, flag: string): void {
    const { req, res } = this.plan;
    // A response held for a Wasm extension has not gone downstream yet: it can still be answered locally.
    if (this.committed && res.headersSent) {
      res.destroy();
      this.finish(this.result.status || status, flag);
      return;
    }
    localReply(req, res, status, body, { flag });
    this.finish(status, flag);
  }

  private readonly onDownstreamClose = (): void => {
    // (Not res.writableFinished: an HTTP/2 stream reset by the client reads as finished.)
    if (this.finished) return;
    this.finish(499, "DC");
    this.current?.abort(new DownstreamGone());
  };

  /** The request timeout, over all tries: 504 (or the response broken off) and the try in progress aborted. */
  private requestTimeout(): void {
    this.plan.onFailure?.("timeout");
    this.fail(504, "upstream request timeout", "UT");
    this.current?.abort(new TimeoutError("request"));
  }

  /** A try drains its failed answer (see {@link drains}); `done`: it stopped draining. */
  draining(t: Try, done = false): void {
    if (!done) (this.drains ??= []).push(t);
    else if (this.drains) {
      const i = this.drains.indexOf(t);
      if (i >= 0) this.drains.splice(i, 1);
    }
  }

  /** True when a retry could follow try `n` (0-based) whatever its outcome (before {@link nextRetry} makes the outcome). */
  mayRetry(n: number): boolean {
    const r = this.plan.retries;
    return r !== undefined && !this.committed && !this.finished && n < r.attempts && this.replayable;
  }

  /** The retry that follows try `n` (0-based) with outcome `o`, ready to start; undefined when none may. */
  nextRetry(n: number, o: TryOutcome): (() => void) | undefined {
    const r = this.plan.retries;
    if (!r || this.committed || this.finished || n >= r.attempts || !this.replayable || !r.retriable(o)) return undefined;
    return this.prepareRetry(n + 1);
  }

  /** Prepares retry `n` (1-based): undefined when the deadline or the retry budget forbids it. */
  private prepareRetry(n: number): (() => void) | undefined {
    const { plan } = this;
    const wait = backoffMs(n, plan.retries!.backoffBaseMs);
    if (performance.now() + wait >= this.deadline) return undefined;
    if (plan.acquireRetry && !plan.acquireRetry()) {
      this.result.flags.push("URX");
      return undefined;
    }
    return () => {
      this.result.retries = n;
      plan.onRetry?.();
      const go = () => {
        if (!this.finished) this.attempt(n);
        else plan.releaseRetry?.();
      };
      if (wait > 0) setTimeout(go, wait);
      else go();
    };
  }

  private triedSet(): Set<string> {
    return (this.tried ??= new Set([this.firstTried]));
  }

  /** Try `n` (0 = the first): an instance is picked (503 when none is healthy) and the request sent. */
  private attempt(n: number): void {
    const target = this.plan.pick(n === 0 ? NONE_TRIED : this.triedSet());
    if (target === undefined || target === "no-healthy") {
      if (n > 0) this.plan.releaseRetry?.();
      this.fail(503, "no healthy upstream", "UH");
      return;
    }
    if (n === 0) this.firstTried = target.id;
    else this.triedSet().add(target.id);
    this.result.upstream = target.label;
    new Try(this, target, n).send();
  }
}

/**
 * One try against one instance: the per-try timeout, and the undici dispatch handler that either
 * retries on the response head (letting the failed answer drain) or commits it and streams the body
 * downstream with back-pressure and trailers. The try is itself the handler (its `onRequestStart`...
 * methods): no handler object and closures per try. (No method of its own may take a name of undici's
 * legacy handler API — onConnect, onHeaders, onData, onComplete, onError, onUpgrade, onResponseStarted —
 * which undici would call.)
 */
class Try implements Dispatcher.DispatchHandler {
  /** The try has ended (its instance released): later events are ignored. */
  private done = false;
  /** The response is a failed answer being drained before a retry: not forwarded. */
  private discard = false;
  private controller: Dispatcher.DispatchController | undefined;
  /** An abort that came before undici handed over its controller. */
  private pendingAbort: Error | undefined;
  private status = 0;
  /** The upstream is paused until the downstream drains. */
  private paused = false;
  /** When the per-try timeout fires (`performance.now()` ms; Infinity: none): the exchange's timer wakes for it. */
  deadline = Infinity;
  /** The response held for plan.transformResponse: head, body chunks and their size. */
  private held: { status: number; headers: HeaderMap; chunks: Buffer[]; size: number } | undefined;

  constructor(
    private readonly x: Exchange,
    private readonly target: TryTarget,
    private readonly n: number,
  ) {}

  /** Arms the per-try timeout (the exchange's timer) and dispatches the request. */
  send(): void {
    const { x } = this;
    const { plan } = x;
    x.current = this;
    const perTry = plan.perTryTimeoutMs;
    const now = performance.now();
    if (perTry) this.deadline = now + perTry;
    x.wake(now);
    const opts: Dispatcher.DispatchOptions = {
      path: plan.path,
      method: plan.method,
      headers: plan.headers as Record<string, string | string[]>,
      body: plan.body as Buffer | null,
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    if (this.target.reset) opts.reset = true;
    try {
      this.target.dispatcher.dispatch(opts, this);
    } catch (e) {
      this.failTry(e as Error);
    }
  }

  /** The per-try timeout (the exchange's timer found it due): the try is aborted and fails as timed out. */
  perTryTimeout(): void {
    if (this.done) return;
    const e = new TimeoutError("per-try");
    this.abort(e);
    this.failTry(e);
  }

  abort(e: Error): void {
    // A paused response is resumed first: undici must not meet the end of the upstream connection with
    // its parser paused (it asserts), and an abandoned pause would hold the connection forever.
    const c = this.controller;
    if (c && this.paused) {
      this.paused = false;
      c.resume();
    }
    if (c) c.abort(e);
    else this.pendingAbort = e;
    if (e instanceof TimeoutError && e.which === "request") this.end();
  }

  /** Ends the try once (timer, instance, retry slot); false when it had already ended. */
  private end(): boolean {
    if (this.done) return false;
    this.done = true;
    this.target.release?.();
    if (this.n > 0) this.x.plan.releaseRetry?.();
    if (this.x.current === this) this.x.current = undefined;
    return true;
  }

  /** The try failed without a (complete) response: whose fault it is, then retry, break off or answer. */
  private failTry(err: Error): void {
    const { x } = this;
    const { plan } = x;
    if (!this.end()) return;
    // Abandoned because the caller went away: says nothing about the instance.
    if (err instanceof DownstreamGone) return;
    // The caller's body broke off, or the request was refused before it left: the caller's fault,
    // never counted against the instance (outlier detection) nor retried.
    if (downstreamBroken(plan.req)) {
      if (!x.finished) {
        if (x.committed) plan.res.destroy();
        x.finish(499, "DC");
      }
      return;
    }
    if (refusedLocally(err as Error & { code?: string })) {
      if (!x.finished) x.fail(400, `unimesh: this request cannot be forwarded: ${err.message}`, "DPE");
      return;
    }
    const kind = classifyError(err);
    plan.onOutcome?.(this.target, kind === "refused-stream" ? "reset" : kind);
    if (x.finished) return;
    plan.onFailure?.(kind);
    if (x.committed) {
      plan.res.destroy();
      x.finish(this.status, kind === "timeout" ? "UT" : "UC");
      return;
    }
    const again = x.nextRetry(this.n, { kind });
    if (again) {
      again();
      return;
    }
    x.fail(...failureReply(kind));
  }

  /** The response head: retried (the answer drained) when the policy says so, else sent downstream. */
  onResponseStart(c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    const { x } = this;
    const { plan } = x;
    if (statusCode < 200 || this.done) return;
    this.status = statusCode;
    plan.onOutcome?.(this.target, statusCode);
    let again: (() => void) | undefined;
    if (x.mayRetry(this.n)) {
      const o: TryOutcome = { kind: "response", status: statusCode };
      const gs = grpcStatus(headers);
      if (gs !== undefined) o.grpcStatus = gs;
      again = x.nextRetry(this.n, o);
    }
    if (again) {
      // Let the failed answer drain (keeps the connection) and retry; aborted if still draining when the exchange ends.
      this.discard = true;
      this.end();
      x.draining(this);
      again();
      return;
    }
    x.committed = true;
    x.result.status = statusCode;
    const h = forwardableResponseHeaders(headers);
    plan.decorate?.(statusCode, h);
    if (plan.transformResponse) {
      this.held = { status: statusCode, headers: h, chunks: [], size: 0 };
      return;
    }
    dropUnsendableTrailer(plan.req, statusCode, h);
    try {
      writeHead(plan.res, statusCode, h);
    } catch {
      c.abort(new Error("invalid response head"));
    }
  }

  /** A chunk of the response body: written downstream, the upstream paused until the downstream drains. */
  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discard || this.done) return;
    if (this.x.finished) {
      c.abort(new DownstreamGone());
      return;
    }
    const { res } = this.x.plan;
    if (this.held) {
      this.hold(c, chunk);
      return;
    }
    if (!(res as unknown as import("node:http").ServerResponse).write(chunk)) {
      c.pause();
      this.paused = true;
      res.once("drain", () => {
        if (this.paused) {
          this.paused = false;
          c.resume();
        }
      });
    }
  }

  /** The end of the response: its trailers, then the downstream response ends. */
  onResponseEnd(c: Dispatcher.DispatchController, parsed: IncomingHttpHeaders): void {
    if (this.discard) {
      this.x.draining(this, true);
      return;
    }
    if (!this.end()) return;
    const { x } = this;
    if (x.finished) return;
    const { res } = x.plan;
    // undici (7.x) hands HTTP/2 trailers over as an object in rawTrailers and parses them to {}.
    const raw = c.rawTrailers;
    const trailers = raw && !Array.isArray(raw) ? (raw as Record<string, string>) : parsed;
    if (this.held) {
      this.transform(this.held, trailers);
      return;
    }
    if (trailers && Object.keys(trailers).length) {
      try {
        res.addTrailers(trailers as Record<string, string>);
      } catch {
        /* An invalid trailer field: the rest dropped (node:http drops trailers silently on an answer that is not chunked; it throws only for a bad name or value) */
      }
    }
    res.end();
    x.finish(this.status);
  }

  /** A chunk of a held response body (Wasm extensions): kept, or the request fails (502) past plan.maxHeldBytes. */
  private hold(c: Dispatcher.DispatchController, chunk: Buffer): void {
    const held = this.held!;
    const max = this.x.plan.maxHeldBytes ?? 1024 * 1024;
    held.size += chunk.length;
    if (held.size > max) {
      this.discard = true;
      this.end();
      c.abort(new DownstreamGone());
      this.x.fail(502, `unimesh: the response body is larger than the ${max} bytes a Wasm extension may inspect`, "WASM");
      return;
    }
    held.chunks.push(Buffer.from(chunk));
  }

  /** The held response through plan.transformResponse, then downstream (a rejection: 500, fail closed). */
  private transform(held: NonNullable<Try["held"]>, trailers: IncomingHttpHeaders | Record<string, string> | undefined): void {
    const { x } = this;
    const { req, res } = x.plan;
    x.plan.transformResponse!(held.status, held.headers, Buffer.concat(held.chunks)).then(
      (r) => {
        if (x.finished) return;
        const hasTrailers = !!trailers && Object.keys(trailers).length > 0 && r.flag === undefined;
        const headers: HeaderMap = { ...r.headers };
        delete headers["content-length"];
        delete headers["transfer-encoding"];
        if (!hasTrailers) headers["content-length"] = String(req.method === "HEAD" ? (held.headers["content-length"] ?? r.body.length) : r.body.length);
        if (r.flag) {
          headers["x-unimesh-flag"] = r.flag;
          x.result.flags.push(r.flag);
        }
        x.result.status = r.status;
        dropUnsendableTrailer(req, r.status, headers);
        try {
          writeHead(res, r.status, headers);
        } catch (e) {
          x.fail(500, `unimesh: a Wasm extension produced an invalid response head: ${(e as Error).message}`, "WASM");
          return;
        }
        if (hasTrailers) {
          try {
            res.addTrailers(trailers as Record<string, string>);
          } catch {
            /* An invalid trailer field: the rest dropped (node:http drops trailers silently on an answer that is not chunked; it throws only for a bad name or value) */
          }
        }
        (res as unknown as import("node:http").ServerResponse).end(req.method === "HEAD" ? undefined : r.body);
        x.finish(r.status);
      },
      (e: Error) => {
        x.fail(500, `unimesh: ${e.message}`, "WASM");
      },
    );
  }

  /** undici's controller of the request (an abort that came before it is passed on). */
  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.pendingAbort) c.abort(this.pendingAbort);
  }

  /** The request failed (a failed answer being drained for a retry is done with already). */
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.discard) this.failTry(err);
    else this.x.draining(this, true);
  }
}
