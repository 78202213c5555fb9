/**
 * A keep-alive HTTP/1.1 client pool for plaintext upstreams (the local app), on Node's own HTTP parser
 * (llhttp, the binding node:http uses: `_http_common`'s `HTTPParser`), with undici `Pool`'s dispatch
 * contract (its new handler API: `onRequestStart`, `onResponseStart`, `onResponseData`,
 * `onResponseEnd`, `onResponseError`, and a controller with `pause`/`resume`/`abort`) and undici's
 * error classes and codes, so that the exchange (./exchange.ts) treats both alike.
 *
 * Why not undici here: in the proxy benchmark (issue 17, bench/proxy-results.md) undici cost ~10 µs per
 * request and most of the tail above Node's parser used directly (its parser is llhttp compiled to
 * WebAssembly, plus a handler wrapper, a controller and a parsed-header object per request). undici
 * stays for everything else (TLS, HTTP/2, h2c, the east-west hops), and for this too where a Node lacks
 * the binding ({@link h1PoolSupported}). `_http_common` is undocumented; undici itself read the parser from
 * it before it moved to WebAssembly (nodejs/node#37813), and moving the `_http_*` modules to internals is
 * proposed (nodejs/node#58534, #58535: a documentation deprecation first; the TSC notes the modules cannot be
 * removed, only their exports): if `HTTPParser` or the two checks disappear, undici is used.
 *
 * What it does, as undici's Pool (`pipelining: 1`) does (undici 7 lib/dispatcher/client-h1.js,
 * lib/core/request.js), unless said otherwise:
 * - Request head: `host` (the request's, else `address:port`), `connection: keep-alive` or `close`,
 *   then the caller's headers in order (array values as repeated lines). What a turn of the event loop
 *   writes (heads, bodies) goes out at its end with the turn's other writes (../net/turnWrites.ts;
 *   `UNIMESH_TURN_WRITES=0`: at once). Refused before anything is
 *   sent (undici's `InvalidArgumentError`, `UND_ERR_INVALID_ARG`): a path with a byte outside
 *   0x21–0xFF or not starting with `/`, a method that is not a token, a header name that is not a token,
 *   a value with a byte outside HTAB / 0x20–0x7E / 0x80–0xFF (CR, LF, NUL), a second `host` or
 *   `content-length`, a non-digit `content-length`, `transfer-encoding`, `keep-alive`, `upgrade`;
 *   `expect` → `NotSupportedError` (`UND_ERR_NOT_SUPPORTED`). A `connection` header is not sent (its
 *   `close` asks for `connection: close`).
 * - Request body: none; a Buffer or string (`content-length`); a stream or async iterable of known
 *   length (its `content-length` header; more or fewer bytes → `RequestContentLengthMismatchError`) or
 *   of unknown length (`transfer-encoding: chunked`). The head waits for the body's first chunk (or its
 *   end). `content-length: 0` for PUT, POST, PATCH, QUERY, PROPFIND and PROPPATCH without a body. A
 *   connection that carried a body on a method that does not expect one, or a HEAD, is not reused.
 * - Response: framed by llhttp (Content-Length, chunked, close-delimited; a HEAD's body skipped; 1xx
 *   answers handed to `onResponseStart` before the final one, as undici does; 101 refused). Header values are decoded as latin1, byte for byte (as undici's
 *   Pool does). A head larger than `maxHeaderSize` bytes, or anything llhttp refuses (CL with TE,
 *   two Content-Lengths, bad chunks, bare CR...), fails the request with `SocketError`
 *   (`UND_ERR_SOCKET`) and closes the connection. Bytes after a complete response, before the next
 *   request was written, close the connection (never read as the next request's answer): a released
 *   connection is checked (nothing unread, no FIN) a turn of the event loop later, two at the connection
 *   limit, and a request that needs one meanwhile waits for it (see {@link H1Pool.cooled}).
 * - Connections: at most `connections` (default unlimited), further requests queue in arrival order; a
 *   connection closes after `maxRequestsPerConnection` requests, on `reset`, on the server's
 *   `connection: close` or HTTP/1.0 without keep-alive, and after `idleTimeoutMs` idle (default 4 s;
 *   a server's `Keep-Alive: timeout=N` makes it N − 2 s, at most `idleTimeoutMs` (else 600 s), and no
 *   reuse at all when that is not positive: undici's `keepAliveTimeoutThreshold`). An idle connection past
 *   its time is never handed a request; a connection's last request says `connection: close`.
 * - Timeouts: `headersTimeout` / `bodyTimeout` of a request (ms; 0 none; default 300 s, undici's) act
 *   as an inactivity timeout on its connection (`UND_ERR_HEADERS_TIMEOUT` before the head,
 *   `UND_ERR_BODY_TIMEOUT` after); `connectTimeoutMs` (default 10 s) → `ConnectTimeoutError`.
 *
 * @throws nothing from `dispatch` itself: a refused request is reported to `onResponseError`
 *   synchronously and `dispatch` returns false (undici's DispatcherBase does the same).
 */
import net from "node:net";
import { Readable } from "node:stream";
import { errors, type Dispatcher } from "undici";
import { httpCommon, type Parser } from "../net/llhttp.js";
import { corkForTurn, flushHeld } from "../net/turnWrites.js";

/** Settings of one pool. Durations in milliseconds, sizes in bytes. */
export interface H1PoolOptions {
  /** Most connections at once; further requests wait in arrival order. @default unlimited */
  connections?: number;
  /** A connection closes after this many requests (1: one request per connection). @default unlimited */
  maxRequestsPerConnection?: number;
  /** An idle keep-alive connection closes after this long (ms). @default 4000 */
  idleTimeoutMs?: number;
  /** Time to connect (ms). @default 10000 */
  connectTimeoutMs?: number;
  /** Largest response head (bytes of the status line and header lines). @default 60 KiB */
  maxHeaderSize?: number;
}

const common = httpCommon;

/** True when this Node has the parser binding the pool needs (else use undici's Pool). */
export function h1PoolSupported(): boolean {
  return common !== undefined && process.env.UNIMESH_UPSTREAM_CLIENT !== "undici";
}

const DEFAULT_IDLE_MS = 4000;
const KEEP_ALIVE_THRESHOLD_MS = 2000;
const DEFAULT_TIMEOUT_MS = 300_000;
const INVALID_PATH = /[^\u0021-\u00ff]/;
const DIGITS = /^\d+$/;
const KEEP_ALIVE_TIMEOUT = /timeout=(\d+)/i;
const EXPECTS_PAYLOAD = new Set(["PUT", "POST", "PATCH", "QUERY", "PROPFIND", "PROPPATCH"]);
const NO_CONTEXT = Object.freeze({});
const EMPTY = Buffer.alloc(0);
/** Header names already found to be tokens, to their lower case (bounded: a name is checked once, not per request). */
const NAMES = new Map<string, string>();
const MAX_NAMES = 2048;

type Body = Buffer | null | Readable;

/** One request: its own controller (undici's DispatchController), body writer and response state. */
class Req {
  /** Set once the request ended (answered, failed or aborted): later events are dropped. */
  done = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;
  conn: Conn | null = null;
  /** Body chunks and the end that came while paused; the next held chunk to deliver; a delivery is under way. */
  held: Buffer[] | null = null;
  heldAt = 0;
  replaying = false;
  heldEnd: Record<string, string | string[]> | null = null;
  /** The response head was delivered. */
  started = false;
  /** The parser saw the response's end (its delivery may wait for a resume). */
  ended = false;
  /** Stops writing a stream body (its listeners removed). */
  detach: (() => void) | null = null;
  /** The request (head and body) was written completely. */
  sent = false;
  /** A stream body being written. */
  stream: Readable | null = null;
  written = 0;
  headWritten = false;
  /** The head less its framing lines, made when the request is given a connection (see Conn.assign). */
  head = "";
  /** The connection failed while paused with body bytes held: delivered first, then this error, on resume. */
  heldError: Error | null = null;

  constructor(
    readonly pool: H1Pool,
    readonly handler: Dispatcher.DispatchHandler,
    readonly method: string,
    /** The request line and host line; the caller's header lines. */
    readonly start: string,
    readonly lines: string,
    readonly body: Body,
    /** content-length to send (-1: chunked stream, -2: none). */
    readonly length: number,
    /** The connection must not be reused after this request (it says `connection: close`). */
    public reset: boolean,
    readonly timeoutMs: number,
    readonly bodyTimeoutMs: number,
  ) {}

  // The DispatchController.
  pause(): void {
    if (this.done || this.paused) return;
    this.paused = true;
    if (this.conn?.req === this) this.conn.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // A resume from inside a held chunk's delivery only un-pauses: the loop below goes on.
    if (this.done || this.replaying) return;
    const held = this.held;
    if (held) {
      this.replaying = true;
      try {
        while (this.heldAt < held.length) {
          const b = held[this.heldAt]!;
          held[this.heldAt++] = EMPTY;
          this.handler.onResponseData?.(this as unknown as Dispatcher.DispatchController, b);
          if (this.done || this.paused) return; // paused again: the rest waits for the next resume
        }
      } finally {
        this.replaying = false;
      }
      this.held = null;
      this.heldAt = 0;
    }
    if (this.heldEnd) {
      const t = this.heldEnd;
      this.heldEnd = null;
      this.conn?.complete(this, t);
      return;
    }
    if (this.heldError) {
      this.done = true;
      this.pool.failed(this, this.heldError);
      return;
    }
    this.conn?.socket.resume();
  }

  abort(reason?: Error): void {
    if (this.done) return;
    this.aborted = true;
    this.reason = reason ?? new errors.RequestAbortedError();
    this.pool.abortRequest(this, this.reason);
  }
}

/** One upstream connection and its parser; one request at a time. */
class Conn {
  readonly socket: net.Socket;
  readonly parser: Parser;
  req: Req | null = null;
  connected = false;
  /** Requests written on this connection. */
  count = 0;
  /** When it became idle (ms since epoch) and how long it may stay so. */
  idleSince = 0;
  idleMs: number;
  /** The parser's keep-alive verdict and the server's Keep-Alive hint for the current response. */
  keepAlive = true;
  hintMs = -1;
  /** Released, waiting its turns before reuse ({@link H1Pool.released}); the request waiting for it. */
  cooling = false;
  next: Req | null = null;
  closed = false;
  /** Header pairs the parser flushed before the head was complete (long heads) or as trailers. */
  pending: string[] = [];
  headersReceived = false;
  /** A socket inactivity timeout is armed (a request with headersTimeout/bodyTimeout). */
  timeoutSet = false;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(readonly pool: H1Pool) {
    this.idleMs = pool.idleMs;
    const socket = net.connect({ host: pool.address, port: pool.port, noDelay: true });
    this.socket = socket;
    const { HTTPParser } = common!;
    const p = new HTTPParser();
    p.initialize(HTTPParser.RESPONSE, {}, pool.maxHeaderSize, 0);
    p[HTTPParser.kOnHeaders] = onHeaders;
    p[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
    p[HTTPParser.kOnBody] = onBody;
    p[HTTPParser.kOnMessageComplete] = onMessageComplete;
    p[HTTPParser.kOnMessageBegin] = onMessageBegin;
    (p as unknown as { conn: Conn }).conn = this;
    this.parser = p;
    this.connectTimer = setTimeout(onConnectTimeout, pool.connectTimeoutMs, this);
    socket.on("connect", () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      this.pool.connected++;
      if (this.req) this.write(this.req);
    });
    socket.on("data", (d: Buffer) => this.read(d));
    socket.on("end", () => this.onEnd());
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new errors.SocketError("other side closed")));
    socket.on("drain", () => {
      const s = this.req?.stream;
      if (s && !this.req!.sent) s.resume();
    });
    socket.on("timeout", () => {
      const r = this.req;
      if (!r) return;
      this.fail(this.headersReceived ? new errors.BodyTimeoutError() : new errors.HeadersTimeoutError());
    });
  }

  /** Takes a request: writes it now if connected, else once connected. */
  assign(r: Req): void {
    this.req = r;
    r.conn = this;
    this.headersReceived = false;
    this.keepAlive = true;
    this.hintMs = -1;
    this.count++;
    // A connection's last request says so (undici's maxRequestsPerClient does the same).
    if (this.pool.maxRequests > 0 && this.count >= this.pool.maxRequests) r.reset = true;
    r.head = `${r.start}${r.reset ? "connection: close\r\n" : "connection: keep-alive\r\n"}${r.lines}`;
    const t = r.timeoutMs;
    if (t > 0 || this.timeoutSet) {
      this.timeoutSet = t > 0;
      this.socket.setTimeout(t);
    }
    if (this.connected) this.write(r);
  }

  private write(r: Req): void {
    const { socket } = this;
    const body = r.body;
    if (body === null) {
      // Out at the turn's end with the turn's other writes (../net/turnWrites.ts).
      corkForTurn(socket);
      socket.write(r.length >= 0 ? `${r.head}content-length: ${r.length}\r\n\r\n` : `${r.head}\r\n`, "latin1");
      r.sent = true;
    } else if (Buffer.isBuffer(body)) {
      corkForTurn(socket);
      socket.cork();
      socket.write(`${r.head}content-length: ${r.length}\r\n\r\n`, "latin1");
      socket.write(body);
      socket.uncork();
      r.sent = true;
    } else writeStream(this, r, body);
  }

  private read(d: Buffer): void {
    let ret: number | Error;
    try {
      ret = this.parser.execute(d);
    } catch (e) {
      // A handler threw inside a parser callback.
      this.fail(e as Error);
      return;
    }
    if (ret instanceof Error)
      this.fail(new errors.SocketError(`upstream response refused by the HTTP parser: ${(ret as Error & { code?: string }).code ?? ret.message}`));
  }

  /** The response head (llhttp `on_headers_complete`): returns 1 to skip a HEAD's body. */
  head(headers: string[] | undefined, status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean): number {
    const r = this.req;
    const list = headers ?? this.pending;
    this.pending = [];
    if (r === null || r.done || r.ended) {
      // An answer nobody asked for (bytes after a complete response): the connection cannot be trusted.
      throw new errors.SocketError("upstream sent a response to no request");
    }
    if (status < 200) {
      if (status === 101 || upgrade) throw new errors.SocketError("upstream answered 101 Switching Protocols to a request that asked for no upgrade");
      // An interim answer (100, 103 Early Hints): handed on as undici does (the proxy's handlers skip it).
      r.handler.onResponseStart?.(r as unknown as Dispatcher.DispatchController, status, headerObject(list), statusMessage);
      return 0;
    }
    this.headersReceived = true;
    this.keepAlive = keepAlive;
    const obj = headerObject(list);
    const ka = Object.hasOwn(obj, "keep-alive") ? obj["keep-alive"] : undefined;
    if (ka !== undefined) {
      const m = KEEP_ALIVE_TIMEOUT.exec(String(ka));
      if (m) this.hintMs = Number(m[1]) * 1000;
    }
    if (r.bodyTimeoutMs !== r.timeoutMs) {
      this.timeoutSet = r.bodyTimeoutMs > 0;
      this.socket.setTimeout(r.bodyTimeoutMs);
    }
    r.started = true;
    // Paused before its answer began: stop reading now (not only once a body chunk is held).
    if (r.paused) this.socket.pause();
    r.handler.onResponseStart?.(r as unknown as Dispatcher.DispatchController, status, obj, statusMessage);
    return r.method === "HEAD" ? 1 : 0;
  }

  body(b: Buffer): void {
    const r = this.req;
    if (r === null || r.done || r.ended) return;
    if (r.paused) (r.held ??= []).push(b);
    else r.handler.onResponseData?.(r as unknown as Dispatcher.DispatchController, b);
  }

  messageComplete(): void {
    const r = this.req;
    const list = this.pending;
    this.pending = [];
    if (r === null || r.done || !r.started || r.ended) return; // a 1xx answer's end, or nobody's
    const trailers = headerObject(list);
    r.ended = true;
    if (r.paused) {
      r.heldEnd = trailers;
      return;
    }
    this.complete(r, trailers);
  }

  /** The response is complete (and delivered up to its end): the request ends, the connection is reused or closed. */
  complete(r: Req, trailers: Record<string, string | string[]>): void {
    if (r.done) return;
    r.done = true;
    if (r.detach) {
      // Answered before its body was all sent: the rest is not sent, and the connection not reused.
      r.detach();
      r.stream?.resume();
    }
    // Each response's own Keep-Alive hint, else the pool's idle time (a hint does not outlive its response).
    this.idleMs = this.hintMs >= 0 ? Math.min(this.hintMs - KEEP_ALIVE_THRESHOLD_MS, this.pool.maxIdleMs) : this.pool.idleMs;
    const reusable = this.keepAlive && r.sent && !r.reset && !this.closed && this.idleMs > 0;
    if (this.req === r) this.req = null;
    // Released before the handler hears of the end, so that a request it sends at once can wait for this
    // connection's check rather than open another (bytes after the end, in this read, close it anyway).
    if (reusable) this.release();
    else this.close();
    r.handler.onResponseEnd?.(r as unknown as Dispatcher.DispatchController, trailers);
  }

  /** Back to the pool (the next queued request, or idle). */
  private release(): void {
    if (this.closed) return;
    if (this.timeoutSet) {
      this.timeoutSet = false;
      this.socket.setTimeout(0);
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.pool.released(this);
  }

  private onEnd(): void {
    // The server closed its side: a close-delimited body ends here (llhttp's finish); anything else fails.
    const r = this.req;
    if (r && !r.done && !r.ended) {
      try {
        this.parser.finish();
      } catch {
        // a handler threw: the request fails below
      }
    }
    this.fail(new errors.SocketError("other side closed"));
  }

  /** The connection failed or closed: its request fails (unless complete), and it leaves the pool. */
  fail(err: Error): void {
    const r = this.req;
    this.close();
    // A response the parser completed whose end waits for a resume is not failed: the resume delivers it.
    if (r && !r.done && !r.ended) {
      this.req = null;
      if (r.paused && r.held) {
        // What came before the failure is delivered first (on resume), as undici does.
        r.heldError ??= err;
        return;
      }
      r.done = true;
      this.pool.failed(r, err);
    }
  }

  /** Closes the connection once; the pool forgets it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    // What this turn wrote goes out first, as it would have unheld (../net/turnWrites.ts).
    flushHeld(this.socket);
    this.socket.destroy();
    // The parser is a handle Node keeps until closed (with this connection through its `conn`); not
    // inside its own execute, which close() may be called from (Node's freeParser defers it too).
    setImmediate(closeParser, this.parser);
    const next = this.next;
    if (next) {
      // The request waiting for this connection goes back to the head of the queue (forget gives it another).
      this.next = null;
      next.conn = null;
      this.pool.requeue(next);
    }
    if (this.connected) this.pool.connected--;
    this.pool.forget(this);
  }
}

/** Name/value pairs as undici's header object: lower-case names, a repeated name's values in an array. */
function headerObject(list: string[]): Record<string, string | string[]> {
  const obj: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i]!.toLowerCase();
    const v = list[i + 1]!;
    // Own properties only (a name like `constructor` is not Object.prototype's); `__proto__` defined, not
    // assigned (assigning would set the prototype), as undici's parseHeaders.
    const had = Object.hasOwn(obj, k) ? obj[k] : undefined;
    if (had === undefined) setHeader(obj, k, v);
    else if (typeof had === "string") setHeader(obj, k, [had, v]);
    else had.push(v);
  }
  return obj;
}

function setHeader(obj: Record<string, string | string[]>, k: string, v: string | string[]): void {
  if (k === "__proto__") Object.defineProperty(obj, k, { value: v, enumerable: true, configurable: true, writable: true });
  else obj[k] = v;
}

function closeParser(p: Parser): void {
  p.close?.();
}

function onConnectTimeout(c: Conn): void {
  if (!c.connected) c.fail(new errors.ConnectTimeoutError());
}

// Parser callbacks (`this` is the parser; its `conn` the connection).
function onHeaders(this: { conn: Conn }, headers: string[]): void {
  const p = this.conn.pending;
  for (let i = 0; i < headers.length; i++) p.push(headers[i]!);
}
function onHeadersComplete(
  this: { conn: Conn },
  _major: number,
  _minor: number,
  headers: string[] | undefined,
  _method: unknown,
  _url: unknown,
  status: number,
  statusMessage: string,
  upgrade: boolean,
  keepAlive: boolean,
): number {
  return this.conn.head(headers, status, statusMessage, upgrade, keepAlive);
}
function onBody(this: { conn: Conn }, b: Buffer): void {
  this.conn.body(b);
}
function onMessageComplete(this: { conn: Conn }): void {
  this.conn.messageComplete();
}
/**
 * A message begins: it must be the answer to the request in flight. Bytes that begin one after the
 * response was complete (the rest of the head may come later, when another request holds the connection)
 * close the connection, as undici's `onMessageBegin` ('bad response').
 */
function onMessageBegin(this: { conn: Conn }): void {
  const r = this.conn.req;
  if (r === null || r.done || r.ended) throw new errors.SocketError("bad response: upstream sent a response to no request");
}

/**
 * Writes a stream body (head at its first chunk or its end), chunked when its length is unknown; each turn's
 * writes at the turn's end (../net/turnWrites.ts).
 */
function writeStream(c: Conn, r: Req, s: Readable): void {
  r.stream = s;
  const { socket } = c;
  const expects = EXPECTS_PAYLOAD.has(r.method);
  const writeHead = (): void => {
    r.headWritten = true;
    socket.write(r.length >= 0 ? `${r.head}content-length: ${r.length}\r\n\r\n` : `${r.head}transfer-encoding: chunked\r\n\r\n`, "latin1");
  };
  const finish = (err: Error | null): void => {
    if (r.sent || r.done) return;
    r.detach?.();
    if (err) {
      s.destroy();
      if (c.req === r) c.fail(err);
      return;
    }
    r.sent = true;
    r.stream = null;
  };
  const onData = (chunk: Buffer | string): void => {
    if (r.done || c.req !== r) return;
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (!b.length) return;
    if (r.length >= 0 && r.written + b.length > r.length) {
      finish(new errors.RequestContentLengthMismatchError());
      return;
    }
    // Held to the turn's end as the whole-body writes are, so that the turn's writes keep their order.
    corkForTurn(socket);
    socket.cork();
    if (!r.headWritten) writeHead();
    if (r.length < 0) socket.write(`${b.length.toString(16)}\r\n`, "latin1");
    r.written += b.length;
    const more = socket.write(b);
    if (r.length < 0) socket.write("\r\n", "latin1");
    socket.uncork();
    if (!more) s.pause();
  };
  const onEnd = (): void => {
    if (r.done || c.req !== r) return;
    if (r.length >= 0 && r.written !== r.length) {
      finish(new errors.RequestContentLengthMismatchError());
      return;
    }
    corkForTurn(socket);
    if (!r.headWritten) {
      r.headWritten = true;
      // Nothing came: as undici, `content-length: 0` where a body is expected, else no body at all.
      socket.write(
        r.length > 0 ? `${r.head}content-length: ${r.length}\r\n\r\n` : expects || r.length === 0 ? `${r.head}content-length: 0\r\n\r\n` : `${r.head}\r\n`,
        "latin1",
      );
    } else if (r.length < 0) socket.write("0\r\n\r\n", "latin1");
    finish(null);
  };
  const onError = (e: Error): void => finish(e);
  const onClose = (): void => queueMicrotask(() => finish(new errors.RequestAbortedError()));
  s.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  r.detach = () => {
    r.detach = null;
    s.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
  };
  if (!expects) r.reset = true;
  s.resume();
}

function onCooled(p: H1Pool): void {
  p.cooled();
}

/**
 * The pool: connections to one `address:port`, requests queued beyond {@link H1PoolOptions.connections}.
 * Closed gracefully by {@link close} (requests in flight and queued finish), at once by {@link destroy}.
 */
export class H1Pool {
  readonly idleMs: number;
  readonly maxIdleMs: number;
  readonly connectTimeoutMs: number;
  readonly maxHeaderSize: number;
  readonly maxRequests: number;
  private readonly maxConnections: number;
  private readonly hostHeader: string;
  private readonly conns = new Set<Conn>();
  private readonly idle: Conn[] = [];
  private readonly queue: Req[] = [];
  /** Connections released this turn, and the turn before: reused on the next ({@link released}). */
  private cooling: Conn[] = [];
  private settling: Conn[] = [];
  /** Of those, the ones no request waits for yet ({@link take}). */
  private reservable: Conn[] = [];
  private coolTimer: NodeJS.Immediate | undefined;
  private closing: Promise<void> | null = null;
  private closed: (() => void) | null = null;
  private destroyed = false;
  private sweeper: NodeJS.Timeout | undefined;
  /** Connections whose TCP connect completed and that are open. */
  connected = 0;

  constructor(
    readonly address: string,
    readonly port: number,
    options: H1PoolOptions = {},
  ) {
    if (!common) throw new errors.NotSupportedError("this Node has no HTTP parser binding (_http_common): use undici's Pool");
    this.idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_MS;
    this.maxIdleMs = options.idleTimeoutMs ?? 600_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxHeaderSize = options.maxHeaderSize ?? 60 * 1024;
    this.maxRequests = options.maxRequestsPerConnection ?? 0;
    this.maxConnections = options.connections ?? Infinity;
    this.hostHeader = `${address.includes(":") ? `[${address}]` : address}:${port}`;
  }

  /** undici's Pool `stats` (the fields the proxy reads). */
  get stats(): { connected: number; free: number; pending: number; running: number; size: number } {
    let running = 0;
    for (const c of this.conns) if (c.req !== null || c.next !== null) running++;
    return { connected: this.connected, free: this.idle.length, pending: this.queue.length, running, size: running + this.queue.length };
  }

  /**
   * Sends a request (see the module comment for what is refused and how the body is framed).
   * @returns false when the request was refused (reported to `handler.onResponseError`), else true.
   */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    let r: Req;
    try {
      if (this.destroyed) throw new errors.ClientDestroyedError();
      if (this.closing) throw new errors.ClientClosedError();
      r = this.request(opts, handler);
    } catch (e) {
      handler.onResponseError?.(undefined as unknown as Dispatcher.DispatchController, e as Error);
      return false;
    }
    handler.onRequestStart?.(r as unknown as Dispatcher.DispatchController, NO_CONTEXT);
    if (r.done) return true; // aborted in onRequestStart
    // Behind requests already queued (arrival order): a new one never takes a connection before them.
    const c = this.queue.length ? undefined : this.take();
    if (!c) this.queue.push(r);
    else if (c.cooling) {
      c.next = r;
      r.conn = c;
    } else c.assign(r);
    return true;
  }

  /**
   * A connection for a new request: an idle one; else one released in the last turn or two, which the
   * request waits for (as undici's requests wait for its idle-socket check: connections stay about as
   * many as requests in flight); else a new one under the limit; else none (the request queues).
   */
  private take(): Conn | undefined {
    const now = Date.now();
    let c: Conn | undefined;
    while ((c = this.idle.pop()) !== undefined) {
      if (now - c.idleSince < c.idleMs) return c;
      c.close();
    }
    while ((c = this.reservable.pop()) !== undefined) if (c.cooling && c.next === null && !c.closed) return c;
    if (this.conns.size >= this.maxConnections) return undefined;
    c = new Conn(this);
    this.conns.add(c);
    return c;
  }

  /** Validates and builds the request (its head less the framing lines). */
  private request(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): Req {
    const { path, method } = opts;
    const { _checkIsHttpToken: token, _checkInvalidHeaderChar: badValue } = common!;
    if (typeof path !== "string") throw new errors.InvalidArgumentError("path must be a string");
    if (path[0] !== "/" && !(path.startsWith("http://") || path.startsWith("https://")))
      throw new errors.InvalidArgumentError("path must be an absolute URL or start with a slash");
    if (INVALID_PATH.test(path)) throw new errors.InvalidArgumentError("invalid request path");
    if (typeof method !== "string" || !token(method)) throw new errors.InvalidArgumentError("invalid request method");
    if (method === "CONNECT" || opts.upgrade) throw new errors.NotSupportedError("CONNECT and upgrades are not supported");
    let host: string | undefined;
    let contentLength = -1;
    let reset = opts.reset === true || method === "HEAD";
    let lines = "";
    const headers = opts.headers as Record<string, unknown> | null | undefined;
    if (headers != null) {
      if (typeof headers !== "object" || Array.isArray(headers) || Symbol.iterator in headers)
        throw new errors.InvalidArgumentError("headers must be an object");
      for (const key in headers) {
        const val = headers[key];
        if (val === undefined) continue;
        let name = NAMES.get(key);
        if (name === undefined) {
          name = key.toLowerCase();
          if (!token(name)) throw new errors.InvalidArgumentError("invalid header key");
          if (NAMES.size < MAX_NAMES) NAMES.set(key, name);
        }
        let value: string | string[];
        if (Array.isArray(val)) {
          value = [];
          for (const v of val) {
            if (v !== null && typeof v === "object") throw new errors.InvalidArgumentError(`invalid ${key} header`);
            const s = v === null ? "" : String(v);
            if (badValue(s)) throw new errors.InvalidArgumentError(`invalid ${key} header`);
            value.push(s);
          }
        } else {
          if (val !== null && typeof val === "object") throw new errors.InvalidArgumentError(`invalid ${key} header`);
          value = val === null ? "" : String(val);
          if (badValue(value)) throw new errors.InvalidArgumentError(`invalid ${key} header`);
        }
        switch (name) {
          case "host":
            if (host !== undefined) throw new errors.InvalidArgumentError("duplicate host header");
            if (typeof value !== "string") throw new errors.InvalidArgumentError("invalid host header");
            host = value;
            continue;
          case "content-length":
            if (contentLength >= 0) throw new errors.InvalidArgumentError("duplicate content-length header");
            if (typeof value !== "string" || !DIGITS.test(value)) throw new errors.InvalidArgumentError("invalid content-length header");
            contentLength = Number(value);
            continue;
          case "transfer-encoding":
          case "keep-alive":
          case "upgrade":
            throw new errors.InvalidArgumentError(`invalid ${name} header`);
          case "connection": {
            if (typeof value !== "string") throw new errors.InvalidArgumentError("invalid connection header");
            for (const t of value.toLowerCase().split(",")) {
              const v = t.trim();
              if (!token(v)) throw new errors.InvalidArgumentError("invalid connection header");
              if (v === "close") reset = true;
            }
            continue;
          }
          case "expect":
            throw new errors.NotSupportedError("expect header not supported");
        }
        if (typeof value === "string") lines += `${key}: ${value}\r\n`;
        else for (const v of value) lines += `${key}: ${v}\r\n`;
      }
    }
    if (!Number.isSafeInteger(contentLength)) throw new errors.InvalidArgumentError("invalid content-length header");
    let body: Body;
    let length: number;
    const raw = opts.body as unknown;
    if (raw === null || raw === undefined) {
      body = null;
      if (contentLength > 0) throw new errors.RequestContentLengthMismatchError();
      length = EXPECTS_PAYLOAD.has(method) ? 0 : -2;
    } else if (typeof raw === "string" || raw instanceof Uint8Array) {
      const b = typeof raw === "string" ? Buffer.from(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (contentLength >= 0 && contentLength !== b.length) throw new errors.RequestContentLengthMismatchError();
      if (b.length === 0) {
        body = null;
        length = EXPECTS_PAYLOAD.has(method) ? 0 : -2;
      } else {
        body = b;
        length = b.length;
        if (!EXPECTS_PAYLOAD.has(method)) reset = true;
      }
    } else if (raw instanceof Readable || (typeof (raw as Readable).on === "function" && typeof (raw as Readable).pipe === "function")) {
      body = raw as Readable;
      length = contentLength;
    } else if (typeof (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator] === "function" || typeof (raw as Iterable<Buffer>)[Symbol.iterator] === "function") {
      body = Readable.from(raw as AsyncIterable<Buffer>, { objectMode: false });
      length = contentLength;
    } else throw new errors.InvalidArgumentError("body must be a string, a Buffer, a Readable stream or an iterable");
    const start = `${method} ${path} HTTP/1.1\r\nhost: ${host ?? this.hostHeader}\r\n`;
    const t = opts.headersTimeout ?? DEFAULT_TIMEOUT_MS;
    const bt = opts.bodyTimeout ?? DEFAULT_TIMEOUT_MS;
    return new Req(this, handler, method, start, lines, body, length, reset, t, bt);
  }

  /**
   * A connection finished its request and may be reused: after a turn of the event loop (two at the
   * connection limit: {@link cooled}), as undici's GHSA-35p6-xmwp-9g52 fix (`scheduleIdleSocketValidation`),
   * so that bytes, a FIN or a reset the server sent behind its answer are seen first and close it, never read
   * as the next request's answer. One setImmediate per pool and turn, for every connection released in it.
   */
  released(c: Conn): void {
    c.cooling = true;
    this.cooling.push(c);
    this.reservable.push(c);
    this.coolTimer ??= setImmediate(onCooled, this);
  }

  /**
   * Each turn after {@link released}: a connection released a turn ago (undici's one turn), still open and
   * with nothing unread, is reused or goes idle. At the connection limit (requests queued, or one waiting for
   * it with no other connection to be had) it gets a second turn first, one more poll of its socket, so that a
   * server's FIN sent just behind its answer is seen before a queued request is written onto it (with one
   * turn, 10 of 20 queued requests to a server closing after each answer failed). Below the limit a second
   * turn for every waiting request cost ~15 % more CPU per request in inline mode at 8 connections
   * (bench/proxy-results.md, 2026-12-07); a request that meets a closing connection there fails as undici's
   * would (a reset: retried as the route says).
   */
  cooled(): void {
    this.coolTimer = undefined;
    const second = this.settling;
    const first = this.cooling;
    this.settling = [];
    this.cooling = [];
    for (const c of second) this.check(c, true);
    for (const c of first) this.check(c, false);
    if (this.settling.length) this.coolTimer = setImmediate(onCooled, this);
    if (this.reservable.length) this.reservable = this.reservable.filter((c) => c.cooling && c.next === null && !c.closed);
  }

  /** One connection's check before reuse ({@link cooled}); `last`: its second turn. */
  private check(c: Conn, last: boolean): void {
    if (c.closed) return;
    const unread = c.socket.readableLength > 0 || c.socket.readableEnded;
    if (!unread && !last && (this.queue.length > 0 || (c.next !== null && this.conns.size >= this.maxConnections))) {
      this.settling.push(c);
      return;
    }
    c.cooling = false;
    const next = c.next;
    c.next = null;
    // Unread bytes or the server's FIN: closed (a request waiting for it goes back to the queue's head).
    if (unread) {
      if (next) {
        next.conn = null;
        this.queue.unshift(next);
      }
      c.close();
    } else if (next) c.assign(next);
    else this.reuse(c);
  }

  private reuse(c: Conn): void {
    const next = this.queue.shift();
    if (next) {
      c.assign(next);
      return;
    }
    if (this.closing) {
      c.close();
      return;
    }
    c.idleSince = Date.now();
    this.idle.push(c);
    this.sweeper ??= setInterval(() => this.sweep(), 1000).unref();
  }

  /** Closes idle connections past their time (a request never takes one: {@link take} checks too). */
  private sweep(): void {
    const now = Date.now();
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const c = this.idle[i]!;
      if (now - c.idleSince >= c.idleMs) c.close();
    }
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** A connection closed: it leaves the pool, and a queued request gets a new one. */
  forget(c: Conn): void {
    if (!this.conns.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.queue.length && !this.destroyed && this.conns.size < this.maxConnections) {
      const n = new Conn(this);
      this.conns.add(n);
      n.assign(this.queue.shift()!);
    }
    this.settle();
  }

  /** A request that waited for a connection which closed: first in line again. */
  requeue(r: Req): void {
    this.queue.unshift(r);
  }

  /** A request failed (its connection already closed). */
  failed(r: Req, err: Error): void {
    const s = r.stream;
    if (s && !r.sent) {
      r.detach?.();
      s.destroy();
    }
    r.handler.onResponseError?.(r as unknown as Dispatcher.DispatchController, err);
  }

  /** controller.abort: a queued request leaves the queue; one in flight closes its connection. */
  abortRequest(r: Req, reason: Error): void {
    if (r.done) return;
    r.done = true;
    const c = r.conn;
    if (c && c.next === r) {
      // It only waited for that connection, which goes on (and another request may wait for it).
      c.next = null;
      r.conn = null;
      this.reservable.push(c);
    } else if (c) {
      if (c.req === r) c.req = null;
      c.close();
    } else {
      const i = this.queue.indexOf(r);
      if (i >= 0) this.queue.splice(i, 1);
      this.settle();
    }
    this.failed(r, reason);
  }

  private settle(): void {
    const done = this.closed;
    if (done && this.queue.length === 0 && this.conns.size === this.idle.length) {
      this.closed = null;
      for (const c of [...this.idle]) c.close();
      if (this.sweeper) clearInterval(this.sweeper);
      done();
    }
  }

  /** Refuses new requests; resolves once the queued and in-flight ones are done and every connection closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      this.closed = resolve;
    });
    this.settle();
    return this.closing;
  }

  /** Closes every connection now: requests in flight and queued fail (`err`, else ClientDestroyedError). */
  destroy(err?: Error): Promise<void> {
    this.destroyed = true;
    const e = err ?? new errors.ClientDestroyedError();
    // Connections first: a request waiting for one goes back to the queue, which fails next.
    for (const c of [...this.conns]) c.fail(e);
    const queued = this.queue.splice(0);
    for (const r of queued) {
      r.done = true;
      this.failed(r, e);
    }
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.coolTimer) clearImmediate(this.coolTimer);
    this.coolTimer = undefined;
    this.cooling = [];
    this.settling = [];
    this.reservable = [];
    this.closing ??= Promise.resolve();
    if (this.closed) {
      const done = this.closed;
      this.closed = null;
      done();
    }
    return Promise.resolve();
  }
}
