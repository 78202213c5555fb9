/**
 * The HTTP/1.1 server of the listeners (./listener.ts) on Node's own parser (llhttp, the binding node:http
 * uses: `_http_common`'s `HTTPParser`), stages A and B of docs/design/h1-listener.md: the request is a genuine
 * `http.IncomingMessage` and the response ./h1response.ts's `H1Response` (a lean `http.ServerResponse` with the
 * same bytes, differential-tested against it; `UNIMESH_H1_RESPONSE=node` drives node's own instead), driven by
 * this server as node:http drives a ServerResponse (lib/_http_server.js `connectionListenerInternal`, `parserOnIncoming`, `resOnFinish`; references
 * below are `file:v20/v24/v26` as in the design: `srv` = lib/_http_server.js, `com` = lib/_http_common.js).
 * The response is driven only through its server-facing surface (construction, `shouldKeepAlive`,
 * `_keepAliveTimeout`, `_expect_continue`, `assignSocket`/`detachSocket`, `finish`, `_last`, node's
 * emitCloseNT), which is all `H1Response` offers the server. The Listener's default when
 * {@link h1ServerSupported}; `UNIMESH_H1_SERVER=node` (read when a Listener is made) keeps node:http.
 *
 * What it does, as node:http does, unless said otherwise:
 * - Parser: strict (lenient flags 0, whatever `--insecure-http-parser` says, as the listener's
 *   `insecureHTTPParser: false`), `maxHeaderSize` = the listener's maxHeaderBytes (request line and header
 *   bytes; 431 beyond), no limit on the number of header lines (`maxHeadersCount = 0`). Header lines the
 *   binding flushes every 32 (`kOnHeaders`) are gathered with the URL pieces (com:58-65, v20).
 * - Request: `new IncomingMessage(socket)` filled as parserOnHeadersComplete does (com:71-118 v20: versions,
 *   `url`, `_addHeaderLines`, the method's name), body chunks pushed (`push()` false pauses the socket,
 *   `IncomingMessage._read` resumes it unless `socket._paused`, com:121-134, inc:39-47), trailers and
 *   `push(null)` at the end. The method's name comes from a table built at load time by parsing each of
 *   `http.METHODS` through a throwaway parser: `_http_common.methods` is not indexed by llhttp's
 *   method numbers (QUERY is 46), node:http reads an internal `allMethods`.
 * - Response: `new H1Response(req)` (or `new http.ServerResponse(req)`), `shouldKeepAlive` from llhttp, `_keepAliveTimeout`, handed the
 *   socket (`assignSocket`), `Expect: 100-continue` marked (`_expect_continue`) before `checkContinue`, any
 *   other `Expect` to `checkExpectation`, CONNECT to `connect` (srv:1026-1140 v20). On `finish` (resOnFinish
 *   srv:966 v20): the body not read is dumped (`req._dump()`), `detachSocket`, `close` on next tick, then
 *   `_last` → `socket.destroySoon()`, else the next request, else the keep-alive timeout.
 * - Timeouts: headersTimeout / requestTimeout from a message's first byte until its head / its whole
 *   message is received, checked by one sweep timer per server every `min(1000, headersTimeoutMs)` (node's
 *   ConnectionsList with connectionsCheckingInterval, srv:631 v20): 408 and close. Inactivity:
 *   `socket.setTimeout(idleTimeoutMs)`; after a response with nothing waiting, keepAliveTimeout + 1000 ms
 *   (srv:1003 v20), back to idleTimeoutMs at the next request's headers complete (resetSocketTimeout); on
 *   expiry the socket is destroyed without an answer (socketOnTimeout without listeners).
 * - Errors: a parse error or timeout closes the connection with node's raw answer (`answers`, by
 *   `statusOf(code)`: 400, 408, 413, 431), counted through `protocolError`; the client's FIN →
 *   `parser.finish()`: an error as above, else `socket.end()` (socketOnEnd, not half-open).
 *
 * Where it differs from node:http (the design's table, §3):
 * - D1: after a request whose answer closes the connection (`Connection: close`, HTTP/1.0 without
 *   keep-alive, CONNECT, and what the `head` hook says: a refused head, h2c, a drain) nothing more is
 *   parsed or handed on: the bytes after it are read and dropped, no raw 400 over its answer.
 * - D2: queued requests have no response yet (see D3), so no response is left without `close` on a
 *   disconnect (Node 20 leaves queued ones open); their requests are aborted as node's abortIncoming does.
 * - D3: one request handed on at a time: the next once the previous response finished (Envoy, nginx).
 *   Requests parsed ahead (what one read held) wait in a queue, and reading stops while one waits.
 * - D7: CONNECT is answered in turn (the `connect` hook gets a response like any request), not by
 *   destroying the connection under the answers before it.
 * - D8: a parse error or timeout behind requests not yet answered: their answers first, then the raw
 *   answer, then the close; when the broken request is the one being answered (its body broke), the raw
 *   answer replaces its answer unless that has begun (then the connection just closes), and none follows an
 *   answer already complete. A request whose body breaks before its turn is not handed on (node's answer in
 *   its place), unless the hooks refuse its head (their refusal, which calls no app, as node:http gave it).
 * - With node's ServerResponse, the response's `drain` is emitted from the socket's as node's socketOnDrain
 *   does (OutgoingMessage's `kNeedDrain`, found by its description): the one private of ServerResponse used
 *   beyond the surface above. `H1Response` emits its own `drain`.
 * - Requests are handed on after the read that completed their head was parsed, not from inside the
 *   parser's callback: what that read held of the body is already pushed (a handler throwing destroys that
 *   connection; it never comes out of the parser). Except in a consumed read ({@link H1Conn.consumed}): Node runs
 *   the tick queue after each body chunk there, so a response finishing then hands the next request on, and may
 *   give the stream back, in the middle of the read (its result is still handled: {@link H1Conn.executed}).
 * - Plaintext connections are read by the parser in C++ (`consume`, as node:http) until the first hold, then
 *   through `'data'` events; TLS connections always through `'data'` events. `UNIMESH_H1_CONSUME=0`: always so.
 */
import http from "node:http";
import type net from "node:net";
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { httpCommon, type Parser } from "./llhttp.js";
import { H1Response } from "./h1response.js";
import { flushHeld } from "./turnWrites.js";

const HTTPParser = httpCommon?.HTTPParser;

/**
 * Destroys a connection after what this turn holds for it (an ended answer, a raw answer written after it:
 * ./turnWrites.ts) went out, as it had without the hold.
 */
function destroyAfterHeld(socket: net.Socket): void {
  flushHeld(socket);
  socket.destroy();
}

/**
 * llhttp's method numbers to names, found by parsing a request line of each of `http.METHODS` (a throwaway
 * parser per method; CONNECT needs an authority target), or undefined when one did not parse. `PRI` is not
 * among them: llhttp reads `PRI * HTTP/2.0` as the HTTP/2 preface and stops with `HPE_PAUSED_H2_UPGRADE`
 * before any head (a parse error here as in node:http: 400), so node's `method === 'PRI'` check never fires.
 */
function methodTable(): string[] | undefined {
  if (!HTTPParser) return undefined;
  const P = HTTPParser;
  const table: string[] = [];
  try {
    for (const m of http.METHODS) {
      let got: unknown;
      for (const line of [`${m} / HTTP/1.1`, `${m} a:1 HTTP/1.1`]) {
        const p = new P();
        p.initialize(P.REQUEST, {}, 0, 0);
        p[P.kOnHeadersComplete] = (_maj: number, _min: number, _h: unknown, method: unknown) => {
          got = method;
          return 0;
        };
        p.execute(Buffer.from(`${line}\r\n\r\n`, "latin1"));
        p.close?.();
        if (got !== undefined) break;
      }
      if (typeof got !== "number" || table[got] !== undefined) return undefined;
      table[got] = m;
    }
  } catch {
    return undefined;
  }
  return table;
}

const METHODS = methodTable();

/** llhttp's `HPE_PAUSED` (llhttp.h `llhttp_errno`), which on_headers_complete may return to pause the parser after a head. */
const HPE_PAUSED = 21;

/**
 * True when this Node's binding pauses on {@link HPE_PAUSED} from the headers-complete callback as llhttp does
 * (execute returns an `HPE_PAUSED` error whose `bytesParsed` ends at the head) and parses on after `resume()`.
 */
function pausesAfterHead(): boolean {
  if (!HTTPParser) return false;
  const P = HTTPParser;
  const p = new P();
  try {
    p.initialize(P.REQUEST, {}, 0, 0);
    const urls: string[] = [];
    p[P.kOnHeadersComplete] = (_maj: number, _min: number, _h: unknown, _m: unknown, url: string) => {
      urls.push(url);
      return urls.length === 1 ? HPE_PAUSED : 0;
    };
    const first = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
    const b = Buffer.from(`${first}hiGET /b HTTP/1.1\r\n\r\n`, "latin1");
    const r = p.execute(b) as Error & { code?: string; bytesParsed?: number };
    if (!(r instanceof Error) || r.code !== "HPE_PAUSED" || r.bytesParsed !== first.length) return false;
    p.resume();
    const again = p.execute(b.subarray(r.bytesParsed));
    return again === b.length - first.length && urls.join() === "/a,/b";
  } catch {
    return false;
  } finally {
    p.close?.();
  }
}

const PAUSES = pausesAfterHead();

/**
 * OutgoingMessage's `kNeedDrain` slot (a `write()` returned false: a `drain` is owed), found by its symbol's
 * description on a probe response; undefined when this Node has none. node:http's server emits the response's
 * `drain` from the socket's (socketOnDrain srv:758/876/897): ServerResponse does not listen to its socket.
 */
const NEED_DRAIN: symbol | undefined = (() => {
  try {
    const probe = new http.ServerResponse(new http.IncomingMessage(null as unknown as net.Socket));
    return Object.getOwnPropertySymbols(probe).find((k) => k.description === "kNeedDrain");
  } catch {
    return undefined;
  }
})();

/**
 * True when this Node has the parser binding and every method of `http.METHODS` parsed to a number (else
 * node:http). The response is ./h1response.ts's `H1Response` (stage B), which emits its own `drain`;
 * `UNIMESH_H1_RESPONSE=node` (read when a server is made) drives node's `http.ServerResponse` instead (stage A,
 * for comparison), which needs {@link NEED_DRAIN}: without it, `H1Response`.
 */
export function h1ServerSupported(): boolean {
  return METHODS !== undefined && PAUSES;
}

/** The method names by llhttp's numbers (for tests). */
export function h1MethodTable(): readonly (string | undefined)[] {
  return METHODS ?? [];
}

/** `Expect: 100-continue` as node:http matches it (com:261 v20 `continueExpression`). */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

/** The keep-alive timer's margin over the advertised keepAliveTimeout (srv:1003 v20; v24+ keepAliveTimeoutBuffer's default). */
const KEEP_ALIVE_BUFFER_MS = 1000;

/**
 * What `socket.server` is for the request and response (node:http sets it to its server, srv:658 v20): v24+
 * reads `insecureHTTPParser` there to choose header-value validation (`_isLenientHeaderValidation`), strict
 * here whatever the process flag says. An EventEmitter because TLS reads the same slot for session events.
 */
const SERVER_VIEW = Object.assign(new EventEmitter(), { insecureHTTPParser: false });

/** Settings of one server. Durations in milliseconds, sizes in bytes. */
export interface H1ServerOptions {
  /** Largest request head (request line and header lines); 431 beyond. */
  maxHeaderBytes: number;
  /** A request head must be received within this, from its first byte (0: none). */
  headersTimeoutMs: number;
  /** A whole request must be received within this, from its first byte (0: none). */
  requestTimeoutMs: number;
  /** Advertised keep-alive time between requests (the socket closes after it + 1000 ms). */
  keepAliveTimeoutMs: number;
  /** Socket inactivity timeout while a request is in progress or awaited. */
  idleTimeoutMs: number;
  /** The raw answers to connection errors, by status (the listener's HTTP1_ERROR_ANSWERS). */
  answers: ReadonlyMap<number, Buffer>;
  /** The status of the raw answer for an error code (`HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`). */
  statusOf(code: string | undefined): number;
}

/** What the server calls (the Listener's handlers). */
export interface H1ServerHooks {
  /**
   * At a request's headers complete: `"refused"` when the handlers will answer it themselves, without calling
   * the app, and close the connection (a refused head); `"closes"` when its answer will close the connection
   * (an upgrade, a drain); else undefined. Nothing after a request that closes is parsed (D1). A refused request
   * whose body breaks before its turn still gets its refusal (as node:http, which hands it on at its head);
   * another gets the raw answer in its place and is not handed on. May throw: the connection is destroyed.
   */
  head(req: http.IncomingMessage): "refused" | "closes" | undefined;
  /** node:http's `request` event. */
  request(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** node:http's `checkContinue` (an HTTP/1.1 request with `Expect: 100-continue`; `_expect_continue` set). */
  checkContinue(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** node:http's `checkExpectation` (an HTTP/1.1 request with another `Expect`). */
  checkExpectation(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** A CONNECT request, in its turn, with a response holding the socket (D7; node:http's `connect` hands over the socket). */
  connect(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** A connection closed for a parse error or timeout, with the status of its raw answer. */
  protocolError(status: number, code: string): void;
}

/** The socket and request fields node:http itself reads and writes (inc:39-47, com:121-156 v20). */
type Sock = net.Socket & {
  _paused?: boolean;
  server?: unknown;
  /** The stream handle (a TCP wrap); `isStreamBase` when a parser may consume it. */
  _handle?: { isStreamBase?: boolean } | null;
  /** Refreshes the inactivity timer, as each read through `'data'` does (net.js kUpdateTimer). */
  _unrefTimer?(): void;
  encrypted?: boolean;
};
type Incoming = http.IncomingMessage & {
  _addHeaderLines(headers: string[], n: number): void;
  _dump(): void;
  _dumped?: boolean;
  _consuming?: boolean;
  _readableState: { resumeScheduled?: boolean };
  upgrade?: boolean;
};

/** A parsed request waiting for its turn, with llhttp's keep-alive verdict. */
interface Parsed {
  req: Incoming;
  keepAlive: boolean;
  /** The hooks refuse it ({@link H1ServerHooks.head}). */
  refused: boolean;
}

/** ServerResponse's close as node's emitCloseNT (srv:1015 v20): once, `destroyed` set. */
function emitCloseNT(res: http.ServerResponse): void {
  const r = res as http.ServerResponse & { _closed?: boolean };
  if (!r._closed) {
    r.destroyed = true;
    r._closed = true;
    r.emit("close");
  }
}

function closeParser(p: Parser): void {
  p.close?.();
}

/** node's ConnResetException('aborted') (the request's error on a disconnect, abortIncoming srv:793 v20). */
function aborted(): Error {
  const e = new Error("aborted") as Error & { code: string };
  e.code = "ECONNRESET";
  return e;
}

/** One connection: its parser, the requests parsed and not yet handed on, the one being answered. */
class H1Conn {
  readonly parser: Parser;
  /** Parsed, waiting for their turn (D3). */
  readonly queue: Parsed[] = [];
  /** The request being answered and its response (holding the socket). */
  current: { req: Incoming; res: http.ServerResponse } | null = null;
  /** The request whose head is complete and whose body is being parsed. */
  incoming: Incoming | null = null;
  /** Header pairs and URL pieces flushed before the head was complete, or trailers. */
  pending: string[] = [];
  url = "";
  /** When the message being received began (performance.now() ms; 0: none), and whether its head is complete. */
  begunAt = 0;
  headersDone = false;
  /** A request whose answer closes the connection was parsed: nothing after its message is (D1). */
  last = false;
  /** No more parsing (after the last message, an error, the client's FIN, PRI). */
  stopped = false;
  /** The keep-alive timeout is armed (reset at the next headers complete). */
  keepAliveSet = false;
  /**
   * When the connection went idle after an answer (performance.now() ms; 0: a message has begun since, or
   * none was answered). The socket's inactivity timer is reset by any byte, so a client sending an empty
   * line (which begins no message) more often than keepAliveTimeout kept the connection forever; the sweep
   * closes a connection idle this long whatever it reads ({@link H1Server.expire}; nginx's keepalive_timeout
   * is not reset by empty lines either).
   */
  idleSince = 0;
  /**
   * A method outside the table: one llhttp parses that is not in `http.METHODS` (the RTSP methods: `DESCRIBE`,
   * `ANNOUNCE`... with `RTSP/1.0`; PRI never comes, see {@link methodTable}): failed once execute returns, as a
   * parse error (400 after the answers before it, D8). node:http answered those 400 too; destroying the
   * connection at once (as node does for PRI, srv:941 v20) cut off the answers before it.
   */
  unknownMethod = false;
  /**
   * Bytes read and not parsed: the parser paused after the head of a request that must wait its turn (two
   * already wait), resumed once the queue is empty. This bounds parse-ahead to three waiting requests per
   * connection (D3): a read of small pipelined requests (64 KiB: some 2,400) no longer becomes thousands of
   * request objects at once (~30 times the bytes; node:http hands them all to the app at once).
   */
  rest: Buffer | null = null;
  /** When a request began waiting its turn with reading stopped (performance.now() ms; 0: none waits). */
  waitingSince = 0;
  /** The connection failed: its raw answer after the answers before it (D8); the request whose body broke. */
  error: { status: number; broken: Incoming | null } | null = null;
  closed = false;
  /**
   * The parser reads the socket's handle itself, as node:http's (`parser.consume(socket._handle)`, srv:739 v20):
   * no `'data'` event and no Buffer per read, each read parsed in C++ and then {@link executed}. Only while
   * nothing holds the socket: at the first hold (a request waiting its turn, a body's or the socket's
   * back-pressure, parsed-ahead bytes kept in {@link rest}) or the end of parsing the stream is given back
   * ({@link leaveConsumed}) and the connection is read through `'data'` events from then on, the one path for
   * those cases. Plaintext sockets only ({@link H1Server.serve}).
   */
  consumed = false;
  /** A request body's back-pressure came while consumed: the stream is given back after this read. */
  leave = false;
  /** A parser callback threw while consumed (no JavaScript caller to catch it): destroyed after the read. */
  threw = false;
  /**
   * Inside `execute`/`finish` called from JavaScript (a caller to catch what a callback throws). Not the same as
   * `!consumed`: a consumed read runs the tick queue after each body chunk (on_body's MakeCallback has no outer
   * callback scope), where a response's `finish` may give the stream back in the middle of that read.
   */
  executing = false;

  constructor(
    readonly server: H1Server,
    readonly socket: Sock,
  ) {
    const P = HTTPParser!;
    const p = new P();
    p.initialize(P.REQUEST, {}, server.options.maxHeaderBytes, 0);
    p[P.kOnMessageBegin] = onMessageBegin;
    p[P.kOnHeaders] = onHeaders;
    p[P.kOnHeadersComplete] = onHeadersComplete;
    p[P.kOnBody] = onBody;
    p[P.kOnMessageComplete] = onMessageComplete;
    if (P.kOnExecute !== undefined) p[P.kOnExecute] = onExecute;
    (p as unknown as { conn: H1Conn }).conn = this;
    this.parser = p;
    socket.server = SERVER_VIEW;
    socket._paused = false;
    if (server.options.idleTimeoutMs > 0) socket.setTimeout(server.options.idleTimeoutMs);
    socket.on("timeout", () => destroyAfterHeld(socket));
    socket.on("data", (d: Buffer) => this.read(d));
    socket.on("end", () => this.onEnd());
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClose());
    socket.on("drain", () => this.drained());
  }

  /**
   * The socket's buffer drained: the response holding it gets the `drain` it is owed, as socketOnDrain emits it
   * (v24+ only once the response's own buffer is empty too; the same test here on every version: on Node 20
   * `writableLength` is then 0 anyway); then reading resumes if it waited for this.
   */
  private drained(): void {
    const res = this.current?.res as (http.ServerResponse & Record<symbol, unknown>) | undefined;
    if (res && NEED_DRAIN !== undefined && !res.writableEnded && res[NEED_DRAIN] === true && res.writableLength === 0) {
      res[NEED_DRAIN] = false;
      res.emit("drain");
    }
    this.flow();
  }

  /** One read: parsed whole (the requests it completes are queued), then the next request handed on. */
  read(d: Buffer): void {
    if (this.stopped || this.closed) return;
    if (this.rest !== null) {
      // Read while the parser waits (the socket's pause lets what was already read through).
      this.rest = Buffer.concat([this.rest, d]);
      return;
    }
    let ret: number | Error;
    this.executing = true;
    try {
      ret = this.parser.execute(d);
    } catch {
      // A hook threw inside a parser callback.
      destroyAfterHeld(this.socket);
      return;
    } finally {
      this.executing = false;
    }
    this.parsed(ret, d);
  }

  /**
   * Starts reading through the parser ({@link consumed}) when the server may and nothing holds the socket:
   * not paused, nothing buffered in the stream, nothing waiting, parsing not over.
   */
  consume(): void {
    const s = this.socket;
    const h = s._handle;
    if (!h || !h.isStreamBase || s.encrypted || s._paused || s.isPaused() || s.readableLength > 0 || this.closed || this.stopped) return;
    if (this.rest !== null || this.queue.length > 0 || this.error !== null || s.writableNeedDrain) return;
    this.parser.consume!(h);
    this.consumed = true;
  }

  /**
   * Gives the stream back to its own reads ({@link consumed}). Safe in the middle of a consumed read (from the
   * tick queue a body chunk runs): the read is parsed to its end and its result still comes to {@link executed}.
   */
  private leaveConsumed(): void {
    this.consumed = false;
    this.leave = false;
    this.parser.unconsume!();
  }

  /** A read the consumed parser parsed (`kOnExecute`): what {@link read} does after `execute`. */
  executed(ret: number | Error): void {
    // Also when the stream was given back during this read (a finish in the ticks a body chunk runs): its
    // result (HPE_PAUSED's kept bytes, an error) is still this read's.
    if (this.closed) return;
    this.socket._unrefTimer?.();
    if (this.threw) {
      destroyAfterHeld(this.socket);
      return;
    }
    this.parsed(ret, null);
  }

  /** After `execute` of the read `d` (null: the consumed parser's read, copied only if a part is kept). */
  private parsed(ret: number | Error, d: Buffer | null): void {
    if (this.unknownMethod) {
      this.unknownMethod = false;
      this.fail("HPE_INVALID_METHOD");
    } else if (ret instanceof Error && (ret as Error & { code?: string }).code === "HPE_PAUSED") {
      const b = d ?? this.parser.getCurrentBuffer!();
      const parsed = (ret as Error & { bytesParsed?: number }).bytesParsed ?? b.length;
      this.rest = b.subarray(parsed);
      ret = parsed;
    }
    if (ret instanceof Error) {
      // Bytes after the last request (HPE_CLOSED_CONNECTION after `Connection: close`, or anything after a
      // request whose answer closes): dropped, D1.
      if (!this.stopped) this.fail((ret as Error & { code?: string }).code ?? "HPE_UNKNOWN");
    }
    this.pump();
    this.flow();
  }

  /** Stops reading while a parsed request waits or the socket's buffer is full; reads again once neither. */
  flow(): void {
    const s = this.socket;
    if (this.closed) return;
    const waiting = this.queue.length > 0;
    if (this.consumed && (waiting || this.leave || this.stopped || this.rest !== null || s.writableNeedDrain)) this.leaveConsumed();
    // The time a request waits its turn with reading stopped is the server's, not the client's: not counted
    // against the headers and request timeouts of the message being received (node:http reads on meanwhile).
    if (waiting && this.waitingSince === 0) this.waitingSince = performance.now();
    else if (!waiting && this.waitingSince !== 0) {
      if (this.begunAt !== 0) this.begunAt += performance.now() - this.waitingSince;
      this.waitingSince = 0;
    }
    if (!waiting && this.rest !== null && !this.stopped) {
      // Its turn came: parse on from where the parser paused (never from inside a parser's execute: `rest` is set
      // only once a read is parsed, and a connection holding it is no longer consumed, so a response's finish in
      // the middle of a consumed read never finds it).
      const rest = this.rest;
      this.rest = null;
      this.parser.resume();
      this.read(rest);
      return;
    }
    const hold = waiting || s.writableNeedDrain;
    if (hold && !s._paused) {
      s._paused = true;
      s.pause();
    } else if (!hold && s._paused) {
      s._paused = false;
      s.resume();
    }
  }

  messageBegin(): void {
    if (this.stopped) return;
    this.idleSince = 0;
    this.begunAt = performance.now();
    this.headersDone = false;
    this.server.active.add(this);
  }

  headers(headers: string[], url: string): void {
    if (this.stopped) return;
    const p = this.pending;
    for (let i = 0; i < headers.length; i++) p.push(headers[i]!);
    this.url += url;
  }

  headersComplete(major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, keepAlive: boolean): number {
    if (this.stopped) return 0;
    if (headers === undefined) {
      headers = this.pending;
      this.pending = [];
    }
    if (url === undefined) {
      url = this.url;
      this.url = "";
    }
    this.headersDone = true;
    if (this.keepAliveSet) {
      this.keepAliveSet = false;
      this.socket.setTimeout(this.server.options.idleTimeoutMs);
    }
    const name = METHODS![method];
    if (name === "PRI" || name === undefined) {
      this.unknownMethod = true;
      this.stopped = true;
      return 0;
    }
    const req = new http.IncomingMessage(this.socket) as Incoming;
    req.httpVersionMajor = major;
    req.httpVersionMinor = minor;
    req.httpVersion = `${major}.${minor}`;
    req.url = url;
    req.method = name;
    req.upgrade = name === "CONNECT";
    req._addHeaderLines(headers, headers.length);
    this.incoming = req;
    const head = this.server.hooks.head(req);
    this.queue.push({ req, keepAlive, refused: head === "refused" });
    if (!keepAlive || name === "CONNECT" || head !== undefined) this.last = true;
    // A third request waiting its turn: parse nothing more (its body included) until the queue is empty
    // ({@link rest}). Two wait with their bodies parsed, so that a request whose body breaks while it waits
    // is still not handed on (D8). llhttp's on_headers_complete may return HPE_PAUSED; execute then returns an
    // HPE_PAUSED error with the bytes parsed.
    if (this.queue.length > 2) return HPE_PAUSED;
    return 0;
  }

  body(b: Buffer): void {
    const req = this.incoming;
    if (req === null || req._dumped) return;
    if (!req.push(b)) {
      // Consumed, the socket's pause does not stop the parser's reads: the stream is given back after this read.
      if (this.consumed) this.leave = true;
      this.socket.pause();
    }
  }

  messageComplete(): void {
    const req = this.incoming;
    if (req !== null) {
      req.complete = true;
      const t = this.pending;
      if (t.length) {
        req._addHeaderLines(t, t.length);
        this.pending = [];
        this.url = "";
      }
      req.push(null);
      this.incoming = null;
    }
    this.begunAt = 0;
    this.server.active.delete(this);
    if (this.last) this.stopped = true;
    // The body of a request answered before it was read (dumped) is complete: idle from now.
    if (this.keepAliveSet && this.current === null && this.queue.length === 0 && this.error === null) this.goIdle();
    // Force the next message to be read (com:153 v20 readStart).
    const s = this.socket;
    if (!s._paused && s.readable) s.resume();
  }

  /** Hands the next parsed request on when no response holds the socket; the failure's answer when its turn comes. */
  pump(): void {
    if (this.current !== null || this.closed || this.socket.destroyed) return;
    const next = this.queue.shift();
    const e = this.error;
    if (next === undefined) {
      // Nothing left before the failure: its answer (none when the broken request's answer was sent), then the close.
      if (e) {
        if (e.broken === null && this.socket.writable) this.socket.write(this.server.options.answers.get(e.status)!);
        destroyAfterHeld(this.socket);
      }
      return;
    }
    if (e && e.broken === next.req) {
      // The broken request's turn: its refusal (answered by the hooks, which call no app), or node's answer in its place.
      if (next.refused) {
        this.dispatch(next);
        this.brokenAnswered();
        return;
      }
      if (this.socket.writable) this.socket.write(this.server.options.answers.get(e.status)!);
      destroyAfterHeld(this.socket);
      return;
    }
    this.dispatch(next);
  }

  /**
   * The request whose body broke is being answered: a complete answer is sent, then the connection closes
   * ({@link finished} → {@link pump}); else node's answer in its place unless it has begun, and the close.
   */
  private brokenAnswered(): void {
    const cur = this.current;
    if (cur === null || cur.res.writableEnded) return;
    // Begun: bytes of it went out (`_headerSent`), not a head only stored (`headersSent`), as node's socketOnError.
    if (!(cur.res as http.ServerResponse & { _headerSent?: boolean })._headerSent && this.socket.writable)
      this.socket.write(this.server.options.answers.get(this.error!.status)!);
    destroyAfterHeld(this.socket);
  }

  private dispatch({ req, keepAlive }: Parsed): void {
    const { hooks, options } = this.server;
    const res = this.server.nodeResponse ? new http.ServerResponse(req) : (new H1Response(req) as unknown as http.ServerResponse);
    res.shouldKeepAlive = keepAlive;
    (res as http.ServerResponse & { _keepAliveTimeout?: number })._keepAliveTimeout = options.keepAliveTimeoutMs;
    this.current = { req, res };
    res.assignSocket(this.socket);
    res.on("finish", () => this.finished(req, res));
    try {
      if (req.method === "CONNECT") hooks.connect(req, res);
      else if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.expect !== undefined) {
        if (CONTINUE.test(req.headers.expect)) {
          (res as http.ServerResponse & { _expect_continue?: boolean })._expect_continue = true;
          hooks.checkContinue(req, res);
        } else hooks.checkExpectation(req, res);
      } else hooks.request(req, res);
    } catch {
      destroyAfterHeld(this.socket);
    }
  }

  /** A response's `finish` (resOnFinish srv:966 v20). */
  private finished(req: Incoming, res: http.ServerResponse): void {
    if (this.current?.res !== res) return;
    this.current = null;
    if (!req._consuming && !req._readableState.resumeScheduled) req._dump();
    res.detachSocket(this.socket);
    process.nextTick(emitCloseNT, res);
    // The answer said it closes (`_last`), or the request whose answer closes the connection (`last`: nothing is
    // parsed after it, D1) is done even if its answer did not say so (an explicit `connection: keep-alive`):
    // reading has stopped, so the connection would otherwise wait for the sweep.
    if ((res as http.ServerResponse & { _last?: boolean })._last || (this.last && this.queue.length === 0)) {
      this.stopped = true;
      this.socket.destroySoon();
      return;
    }
    if (this.queue.length === 0 && this.error === null) {
      if (this.server.options.keepAliveTimeoutMs > 0) {
        this.socket.setTimeout(this.server.options.keepAliveTimeoutMs + KEEP_ALIVE_BUFFER_MS);
        this.keepAliveSet = true;
        this.goIdle();
      }
      return;
    }
    this.pump();
    this.flow();
  }

  /**
   * Idle for the sweep's keep-alive limit ({@link idleSince}), unless a message is being received: its head
   * began before the answer in front of it finished (pipelined), or it is the body of a request answered
   * before it was read (dumped, as node:http reads it on). Those are timed by headersTimeout/requestTimeout;
   * the connection goes idle at that message's own answer, or at its end ({@link messageComplete}).
   */
  private goIdle(): void {
    if (this.begunAt !== 0) return;
    this.idleSince = performance.now();
    this.server.idle.add(this);
  }

  /** A parse error or timeout (`code`): the raw answer after the answers before it (D8), then the close. */
  fail(code: string): void {
    if (this.error !== null || this.closed) return;
    const status = this.server.options.statusOf(code);
    const broken = this.incoming;
    this.error = { status, broken };
    this.stopped = true;
    this.incoming = null;
    this.begunAt = 0;
    this.server.active.delete(this);
    this.server.hooks.protocolError(status, code);
    if (this.current !== null && this.current.req === broken) this.brokenAnswered();
    else this.pump();
  }

  /** The client's FIN (socketOnEnd srv:801 v20). */
  private onEnd(): void {
    if (this.closed) return;
    if (this.stopped) {
      if (this.error === null) this.socket.end();
      return;
    }
    this.stopped = true;
    let ret: undefined | Error;
    this.executing = true;
    try {
      ret = this.parser.finish();
    } catch {
      destroyAfterHeld(this.socket);
      return;
    } finally {
      this.executing = false;
    }
    if (ret instanceof Error) this.fail((ret as Error & { code?: string }).code ?? "HPE_UNKNOWN");
    else this.socket.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.conns.delete(this);
    this.server.active.delete(this);
    this.server.idle.delete(this);
    // abortIncoming (srv:793 v20): every request whose response has not finished. The response holding the
    // socket gets its close from assignSocket's own listener; queued requests have none yet (D2).
    const reqs: Incoming[] = [];
    if (this.current) reqs.push(this.current.req);
    for (const q of this.queue) reqs.push(q.req);
    if (this.incoming && !reqs.includes(this.incoming)) reqs.push(this.incoming);
    this.queue.length = 0;
    this.incoming = null;
    for (const r of reqs) r.destroy(aborted());
    // Before the parser is closed (node's freeParser unconsumes first): the handle must not keep a freed listener.
    if (this.consumed) this.leaveConsumed();
    // Not inside its own execute (a close may come from there): Node's freeParser defers it too.
    setImmediate(closeParser, this.parser);
  }

  /** No request in progress, being answered or waiting. */
  get idle(): boolean {
    return this.current === null && this.queue.length === 0 && this.begunAt === 0;
  }
}

// Parser callbacks (`this` is the parser; its `conn` the connection). Called from `execute`/`finish`
// ({@link H1Conn.executing}), what a callback throws reaches their caller's catch; in a consumed read (even one
// whose stream was given back meanwhile) there is no caller: the connection stops parsing and is destroyed once
// the read is parsed ({@link H1Conn.threw}).
function threw(conn: H1Conn, e: unknown): void {
  if (conn.executing) throw e;
  conn.threw = true;
  conn.stopped = true;
}
function onMessageBegin(this: { conn: H1Conn }): void {
  try {
    this.conn.messageBegin();
  } catch (e) {
    threw(this.conn, e);
  }
}
function onHeaders(this: { conn: H1Conn }, headers: string[], url: string): void {
  try {
    this.conn.headers(headers, url);
  } catch (e) {
    threw(this.conn, e);
  }
}
function onHeadersComplete(
  this: { conn: H1Conn },
  major: number,
  minor: number,
  headers: string[] | undefined,
  method: number,
  url: string | undefined,
  _status: unknown,
  _statusMessage: unknown,
  _upgrade: boolean,
  keepAlive: boolean,
): number {
  try {
    return this.conn.headersComplete(major, minor, headers, method, url, keepAlive);
  } catch (e) {
    threw(this.conn, e);
    return 0;
  }
}
function onBody(this: { conn: H1Conn }, b: Buffer): void {
  try {
    this.conn.body(b);
  } catch (e) {
    threw(this.conn, e);
  }
}
function onMessageComplete(this: { conn: H1Conn }): void {
  try {
    this.conn.messageComplete();
  } catch (e) {
    threw(this.conn, e);
  }
}
function onExecute(this: { conn: H1Conn }, ret: number | Error): void {
  this.conn.executed(ret);
}

/** An HTTP/1.1 server for sockets handed to it ({@link H1Server.serve}). */
export class H1Server {
  readonly conns = new Set<H1Conn>();
  /** Connections with a message being received (for the timeout sweep). */
  readonly active = new Set<H1Conn>();
  /** Connections idle after an answer, for the sweep's keep-alive limit ({@link H1Conn.idleSince}). */
  readonly idle = new Set<H1Conn>();
  private sweep: NodeJS.Timeout | undefined;
  /** Node's `http.ServerResponse` rather than `H1Response` ({@link h1ServerSupported}). */
  readonly nodeResponse = process.env.UNIMESH_H1_RESPONSE === "node" && NEED_DRAIN !== undefined;
  /**
   * Plaintext connections are read by the parser itself ({@link H1Conn.consumed}); `UNIMESH_H1_CONSUME=0` reads
   * them through `'data'` events (an A/B switch; the binding without `consume` reads so too).
   */
  readonly consume =
    process.env.UNIMESH_H1_CONSUME !== "0" &&
    typeof HTTPParser?.kOnExecute === "number" &&
    typeof (HTTPParser.prototype as Partial<Parser>).consume === "function" &&
    typeof (HTTPParser.prototype as Partial<Parser>).unconsume === "function" &&
    typeof (HTTPParser.prototype as Partial<Parser>).getCurrentBuffer === "function";

  constructor(
    readonly options: H1ServerOptions,
    readonly hooks: H1ServerHooks,
  ) {
    const { headersTimeoutMs, requestTimeoutMs } = options;
    if (headersTimeoutMs > 0 || requestTimeoutMs > 0) {
      this.sweep = setInterval(() => this.expire(), Math.max(1, Math.min(1000, headersTimeoutMs || requestTimeoutMs)));
      this.sweep.unref();
    }
  }

  /**
   * Serves an accepted socket; `first` is what was read from it already (the listener's sniffed bytes). A
   * plaintext socket is then read by the parser ({@link H1Conn.consume}). TLS sockets (mTLS peers) are read
   * through `'data'` events, not ./tlsReads.ts's `readThroughBuffer` (which
   * would spare Node 24+ a 64 KiB ArrayBuffer per read): in that mode `pause()` stops the handle's reads, so
   * while a pipelined request waits (D3) a client that goes away is not seen until the answer before it is
   * written (listenerReview.test.ts, the mTLS peer check, fails with it); with `'data'` events Node reads on
   * into the socket's buffer and sees the close.
   */
  serve(socket: net.Socket, first?: Buffer): void {
    const c = new H1Conn(this, socket as Sock);
    this.conns.add(c);
    // The first request's headers timeout runs from the connection's start, as node's (its parser's message
    // start is set when the connection is tracked): a connection whose first bytes are empty lines (llhttp
    // skips them without a message begin) gets its 408 rather than staying open until the idle timeout.
    c.begunAt = performance.now();
    this.active.add(c);
    if (first !== undefined && first.length > 0) c.read(first);
    if (this.consume) c.consume();
  }

  /**
   * Connections whose message began longer ago than headersTimeout (head incomplete) or requestTimeout
   * (message incomplete) fail with 408 (ConnectionsList.expired, the two swapped when headersTimeout is
   * the larger, as node's C++ does).
   */
  private expire(): void {
    let h = this.options.headersTimeoutMs;
    let r = this.options.requestTimeoutMs;
    if (r > 0 && h > r) [h, r] = [r, h];
    const now = performance.now();
    for (const c of [...this.active]) {
      if (c.begunAt === 0 || c.waitingSince !== 0) continue;
      const age = now - c.begunAt;
      if ((h > 0 && !c.headersDone && age > h) || (r > 0 && age > r)) c.fail("ERR_HTTP_REQUEST_TIMEOUT");
    }
    const keepAlive = this.options.keepAliveTimeoutMs + KEEP_ALIVE_BUFFER_MS;
    for (const c of [...this.idle]) {
      if (c.idleSince === 0) this.idle.delete(c);
      else if (now - c.idleSince > keepAlive) {
        this.idle.delete(c);
        c.socket.destroy();
      }
    }
  }

  /** Destroys the connections with no request in progress, being answered or waiting (closeIdleConnections srv:585 v20). */
  closeIdle(): void {
    for (const c of [...this.conns]) if (c.idle) c.socket.destroy();
  }

  /** closeIdle, and stops the timeout sweep (close() srv:563 v20; the listener closes its own net.Server). */
  close(): void {
    this.closeIdle();
    clearInterval(this.sweep);
    this.sweep = undefined;
  }
}
