/**
 * `H1Response`: a lean stand-in for `http.ServerResponse` on the proxy's HTTP/1.1 listeners (stage B of
 * docs/design/h1-listener.md). It writes the bytes `ServerResponse` writes (modulo the `Date` value and chunk
 * boundaries, see below) for the part of its surface the proxy uses, without `OutgoingMessage`'s machinery
 * (a `Stream`, the header map, `outputData` bookkeeping through the server's `_onPendingData`, async hooks,
 * diagnostics channels, perf observers): that machinery was a large share of node:http's per-request cost.
 *
 * References are to Node's `lib/_http_outgoing.js` (`out`) and `lib/_http_server.js` (`srv`) as
 * `v20/v24/v26` line numbers (v20.20.2, v24.22.3, v26.12.1). Unless said otherwise each member does what
 * node's does at those lines.
 *
 * What src/proxy uses of an HTTP/1.1 response (grep of `res`, `x.res`, `plan.res`, `this.res`, `_httpMessage`
 * at 790acb1), all here:
 * - `writeHead(status, headers)`: net/http.ts `writeHead` (localReply, upstream/exchange.ts, cors.ts,
 *   redirect.ts, admin.ts), listener.ts `refuse`, the HTTP/2 431. Lower-case names, string or string[]
 *   values; must throw on an invalid name, value or status (exchange.ts catches it).
 * - `write(chunk)` → boolean and `once("drain")` (exchange.ts onResponseData); `end(body?)` everywhere;
 *   `addTrailers(obj)` (exchange.ts, in a try: node throws only for an invalid trailer, see below);
 *   `destroy()` (exchange.ts, localReply, listener.ts closeQueued); `headersSent`, `writableEnded`,
 *   `destroyed` (localReply, exchange.ts fail); `writableFinished`, `socket`, `emit("close")`,
 *   `once("socket")` (listener.ts queue/closeQueued); `shouldKeepAlive = false`, `writeContinue()`,
 *   `assignSocket()` (listener.ts); events `close` (on/once/off: exchange.ts, listener.ts,
 *   faultInjection.ts), `finish` (listener.ts CONNECT, admin.ts quit).
 * - Through `socket._httpMessage` (listener.ts onClientError1): `_headerSent`, `finished`, `destroyed`, `req`,
 *   `on`/`off` of `finish` and `close`.
 * Not used, so not here: `setHeader`/`getHeader`/`removeHeader`/`hasHeader`/`getHeaders`, `statusMessage`
 * and the reason-phrase argument of `writeHead`, header arrays as `writeHead` argument, callbacks of
 * `write`/`end`, `cork`/`uncork`, `flushHeaders`, `setTimeout`, `pipe` into it, `'error'` listeners,
 * `writeProcessing`/`writeEarlyHints`/`writeInformation`, `strictContentLength`, `sendDate`.
 *
 * Server-facing surface (what src/proxy/net/h1server.ts drives, as it drives `ServerResponse`):
 * `new H1Response(req)`; `shouldKeepAlive` (llhttp's keep-alive verdict, set after construction, srv
 * parserOnIncoming), `_keepAliveTimeout` (ms), `_expect_continue`; `assignSocket(socket)` (may come after the
 * response was written: pipelining, everything is buffered and flushed then), `detachSocket(socket)`;
 * `'finish'` once the last byte was handed to the socket and that write's callback ran; then the server
 * detaches the socket and emits `close` on the next tick through `_closed`/`destroyed` (srv emitCloseNT
 * 1015/1152/1272); `_last` (the connection must close after this response); `req`, `_headerSent`.
 * Unlike with `ServerResponse`, the server does NOT emit `'drain'` on it (srv socketOnDrain
 * 758/876/897): `H1Response` listens to the socket's `drain` itself while it holds the socket.
 *
 * Deliberate differences from `ServerResponse` (those a differential case shows are in the test's `allowed`):
 * - Chunk boundaries: the chunked writes of one tick (and `end`'s body) go out as ONE chunk, as Node 24+
 *   does (out v24 `kChunkedBuffer`, uncork 301/338), also for a response still waiting for its socket and
 *   when the socket is corked by someone else (Node 24+ coalesces only while it holds an uncorked socket;
 *   Node 20 frames every write). Same de-chunked body.
 * - An ended response goes out at the event-loop turn's end, with the turn's other writes (`end` leaves its
 *   socket corked to ./turnWrites.ts), so its `'finish'` comes then, not on the next tick. `destroy()` sends
 *   what is held first, as node:http had handed it to the kernel. `UNIMESH_TURN_WRITES=0`: at once.
 * - `destroy()` of a response waiting for its socket (pipelining): `close` on the next tick (Node 24+,
 *   out emitDestroyNT 391/428) AND the socket destroyed, unwritten, once it is handed over (Node 20, out
 *   333 `socketDestroyOnConnect`; Node 20 emits `close` only then). Node 24+ writes what it had buffered,
 *   a whole answer even (then `finish` after its `close`), and keeps the connection: after a partial body
 *   the client waits for the rest until the idle timeout (listener.ts `queue` works around it).
 * - A `writeHead` that throws leaves nothing behind but `statusCode` (which node sets first too). Node keeps
 *   the reason phrase of the status that failed (`statusMessage`: its next `writeHead(502)` says
 *   `502 OK`, e.g. localReply after a Wasm transform's bad head) and the flags of the headers before the
 *   bad one: `_last` from `connection: close` (it then closes after a head that said keep-alive),
 *   `chunkedEncoding` from `transfer-encoding: chunked` (a Content-Length answer framed as chunked).
 * - `writeContinue()` after the head throws `ERR_HTTP_HEADERS_SENT` (Node 24+ writeInformation srv
 *   v24:314); Node 20 writes `100 Continue` into the middle of the answer.
 * - `'finish'` is not emitted when the last write failed (Node 24+ onFinish out v24:1158; Node 20 emits
 *   it unless the socket `_hadError`, out 1029).
 * - Header values are validated strictly (`/[^\t\x20-\x7e\x80-\xff]/`) whatever the process flags: Node
 *   24+ relaxes it under `--insecure-http-parser` when the server does not say (the proxy's servers say
 *   `insecureHTTPParser: false`, so node:http was strict there too).
 * - `'drain'`: on the socket's `drain` while `write` is owed one (Node 20's rule, srv v20:769; Node 24+
 *   also wants nothing buffered, which can lose it while a chunk is being coalesced), when a queued
 *   response's buffer went out whole on `assignSocket`, and at the end of a tick that left nothing
 *   buffered (Node 24+ uncork). Which `write` returns false and how many `drain`s come can differ from
 *   node's (a coalesced chunk counts whole); a `false` is always followed by a `drain` while the socket lives.
 * - `Date`: a once-per-second cache of its own (node's `internal/http` utcDate is not reachable): the
 *   same string at the same second, reset at the next whole second as node's.
 * - `write`/`end` take no callbacks; `write` after `end` emits `ERR_STREAM_WRITE_AFTER_END` as `'error'`
 *   on the next tick as node does (with no listener, that is an uncaught exception there too).
 * - The `socket`'s `drain` is listened to only once a `write` returned false (node:http's server listens
 *   to it for the whole connection).
 */
import http from "node:http";
import type net from "node:net";
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { getDefaultHighWaterMark } from "node:stream";
import { flushHeld, uncorkAtTurnEnd } from "./turnWrites.js";

/** A socket as node:http and this class decorate it: the response that holds it, node's error flag. */
export type H1Socket = net.Socket & { _httpMessage?: unknown; _hadError?: boolean };

/** Node's own rules (`lib/_http_common.js` checkIsHttpToken/checkInvalidHeaderChar v20:211-224, v24/v26:243-284), when reachable. */
type HttpCommon = { _checkIsHttpToken(s: string): boolean; _checkInvalidHeaderChar(s: unknown): boolean };
let common: HttpCommon | undefined;
try {
  const c = createRequire(import.meta.url)("_http_common") as HttpCommon;
  if (typeof c._checkIsHttpToken === "function" && typeof c._checkInvalidHeaderChar === "function") common = c;
} catch {
  common = undefined;
}
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
const isToken: (s: string) => boolean = common ? common._checkIsHttpToken : (s) => TOKEN.test(s);
const invalidChar: (v: unknown) => boolean = common ? common._checkInvalidHeaderChar : (v) => INVALID_VALUE_CHAR.test(v as string);

/** out RE_CONN_CLOSE (v20:89) and `_http_common` chunkExpression. */
const RE_CONN_CLOSE = /(?:^|\W)close(?:$|\W)/i;
const RE_TE_CHUNKED = /(?:^|\W)chunked(?:$|\W)/i;
const CRLF = Buffer.from("\r\n");
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
const { STATUS_CODES } = http;
/** Status lines by status (`HTTP/1.1 <s> <STATUS_CODES[s] || 'unknown'>\r\n`), as srv v26:482 caches them. */
const statusLines: string[] = [];

/**
 * Throws node's error for a header name that is not a token (ERR_INVALID_HTTP_TOKEN, with `label`), by
 * node's own public validator; the fast path is node's `_checkIsHttpToken`.
 */
function checkName(name: unknown, label?: string): void {
  if (typeof name === "string" && name.length !== 0 && isToken(name)) return;
  (http.validateHeaderName as (n: unknown, label?: string) => void)(name, label);
}

/** Throws node's error for a header value: `undefined` (ERR_HTTP_INVALID_HEADER_VALUE) or a byte outside HTAB, 0x20-0x7E, 0x80-0xFF (ERR_INVALID_CHAR). */
function checkValue(name: string, value: unknown): void {
  if (value !== undefined && !invalidChar(value)) return;
  http.validateHeaderValue(name, value as string);
}

/** An error as node's internal ones look: `code`, the class, the message, and `Name [CODE]: message` as the stack's first line. */
function nodeError(Base: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, code: string, message: string): Error & { code: string } {
  const e = new Base(message) as Error & { code: string };
  e.code = code;
  Object.defineProperty(e, "name", { value: `${Base.name} [${code}]`, configurable: true, writable: true, enumerable: false });
  void e.stack;
  delete (e as { name?: string }).name;
  return e;
}

/** A header name in lower case, without a new string for the usual spellings (out v26 lowerOutgoingHeaderName). */
function lowerName(name: string): string {
  switch (name) {
    case "connection":
    case "transfer-encoding":
    case "content-length":
    case "date":
    case "expect":
    case "trailer":
    case "keep-alive":
      return name;
    default:
      return name.toLowerCase();
  }
}

let utcLine: string | undefined;
function resetUtc(): void {
  utcLine = undefined;
}
/** `Date: <RFC 7231 date>\r\n`, computed once a second (internal/http.js utcDate/utcDateHeader: the same cache, reset at the next whole second). */
function dateLine(): string {
  if (utcLine === undefined) {
    const d = new Date();
    utcLine = "Date: " + d.toUTCString() + "\r\n";
    setTimeout(resetUtc, 1000 - d.getMilliseconds()).unref();
  }
  return utcLine;
}

type Data = string | Buffer | Uint8Array;
type Done = ((err?: Error | null) => void) | null;
/** Bytes waiting for the socket (node's `outputData` entries). */
interface Out {
  data: Data;
  encoding: BufferEncoding | undefined;
  cb: Done;
}

/** A socket's `close` while a response holds it: that response closes (srv onServerResponseClose 257/272/283). */
function onSocketClose(this: H1Socket): void {
  const m = this._httpMessage;
  if (m instanceof H1Response) closeNT(m);
}

/** A socket's `drain`: its response's `drain` when it wanted one (srv socketOnDrain 758/876/897). */
function onSocketDrain(this: H1Socket): void {
  const m = this._httpMessage;
  if (m instanceof H1Response) m.drained();
}

/** srv emitCloseNT (1015/1152/1272). */
function closeNT(res: H1Response): void {
  if (!res._closed) {
    res.destroyed = true;
    res._closed = true;
    res.emit("close");
  }
}

/** A destroyed response without a socket (out emitDestroyNT v24:391). */
function destroyNT(res: H1Response): void {
  if (!res._closed) {
    res._closed = true;
    res.emit("close");
  }
}

/** The end of the tick a response wrote in: its coalesced chunk goes out, and the socket it corked is uncorked. */
function tickNT(res: H1Response): void {
  res.endTick();
}

/** out onError/emitErrorNt (v20:866-885): `write` after `end`, as `'error'` on the next tick unless destroyed by then. */
function errorNT(res: H1Response, err: Error): void {
  if (!res.destroyed) res.emit("error", err);
}

/** The response to one HTTP/1.1 request. See the module comment. */
export class H1Response extends EventEmitter {
  readonly req: http.IncomingMessage;
  /** Status of the head (set by `writeHead`; `end`/`write` before a head use it). */
  statusCode = 200;
  /** The server's keep-alive verdict (llhttp's); false for HTTP/1.0 unless the server sets it (srv 205-208). */
  shouldKeepAlive = true;
  /** The server's keep-alive timeout (ms): `Keep-Alive: timeout=<floor(ms/1000)>` when non-zero (out v20:490-498). */
  _keepAliveTimeout = 0;
  /** The request asked `Expect: 100-continue`: a final head without a 100 before it closes the connection (srv 417/492/511). */
  _expect_continue = false;
  /** The connection closes after this response (`Connection: close` given or generated, close-delimited body). */
  _last = false;
  /** The head was handed to the socket (or to the buffer of a response waiting for it). */
  _headerSent = false;
  /** The serialized head, once `writeHead` (or an implicit head) stored it. */
  _header: string | null = null;
  /** `close` was emitted. */
  _closed = false;
  /** `end()` was called. */
  finished = false;
  destroyed = false;
  /** The socket while this response holds it (between `assignSocket` and `detachSocket`). */
  socket: H1Socket | null = null;
  /** The body is framed as chunked. */
  chunkedEncoding = false;

  private sent100 = false;
  private hasBody: boolean;
  /** HTTP/1.1, or HTTP/1.0 with `TE: chunked`: a body of unknown length may be chunked (else close-delimited). */
  private readonly chunkedByDefault: boolean;
  /** The body's length when `end(body)` came before any head (→ Content-Length), or a given content-length. */
  private contentLength: number | null = null;
  private trailer = "";
  private needDrain = false;
  /** {@link onSocketDrain} is on the socket. */
  private drainListened = false;
  private readonly highWaterMark: number;
  /** Bytes written while waiting for the socket. */
  private output: Out[] | null = null;
  private outputSize = 0;
  /** The chunked body written in this tick: one chunk at its end. */
  private chunks: Data[] | null = null;
  private chunksLength = 0;
  /** A tick end is scheduled ({@link tickNT}). */
  private ticking = false;
  /** The socket this response corked for the current tick. */
  private corked: H1Socket | null = null;

  constructor(req: http.IncomingMessage) {
    super();
    this.req = req;
    this.hasBody = req.method !== "HEAD";
    // srv 205-208: HTTP/1.0 (also "2.0" and "0.9": minor < 1) is close-delimited unless it asked for chunked.
    if (req.httpVersionMajor < 1 || req.httpVersionMinor < 1) {
      this.chunkedByDefault = RE_TE_CHUNKED.test(req.headers.te as string);
      this.shouldKeepAlive = false;
    } else {
      this.chunkedByDefault = true;
    }
    // srv parserOnIncoming: node:http gives the response the socket's high-water mark.
    this.highWaterMark = req.socket?.writableHighWaterMark ?? getDefaultHighWaterMark(false);
  }

  /** The head is stored (node: `!!this._header`). */
  get headersSent(): boolean {
    return this._header !== null;
  }

  get writableEnded(): boolean {
    return this.finished;
  }

  /** Ended, and every byte handed to the kernel (out `writableFinished` v20:170). */
  get writableFinished(): boolean {
    return this.finished && this.outputSize === 0 && this.chunksLength === 0 && (!this.socket || this.socket.writableLength === 0);
  }

  /** Bytes written and not yet handed to the kernel (this response's buffers and the socket's). */
  get writableLength(): number {
    let n = this.outputSize + (this.socket ? this.socket.writableLength : 0);
    if (this.chunksLength !== 0) n += this.chunksLength + this.chunksLength.toString(16).length + 4;
    return n;
  }

  /**
   * Gives the response the socket (srv assignSocket 281/296/307): its buffered bytes are written, `'socket'`
   * is emitted, and the socket's `close` becomes this response's. A response destroyed while it waited
   * destroys the socket (Node 20's behaviour, see the module comment).
   * @throws ERR_HTTP_SOCKET_ASSIGNED when the socket already serves a response.
   */
  assignSocket(socket: H1Socket): void {
    if (socket._httpMessage) throw nodeError(Error, "ERR_HTTP_SOCKET_ASSIGNED", "ServerResponse has an already assigned socket");
    socket._httpMessage = this;
    socket.on("close", onSocketClose);
    this.socket = socket;
    this.emit("socket", socket);
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    // out _flush (1141/1300/1405).
    if (!socket.writable) return;
    // Writes of this tick from now on are corked with the rest of it.
    if (this.ticking && this.corked === null && !socket.writableCorked) {
      socket.cork();
      this.corked = socket;
    }
    socket.cork();
    if (this.chunksLength !== 0) this.flushChunk();
    this.flushOutput(socket);
    socket.uncork();
    // out _flush: `drain` at once when the socket took it all below its high-water mark (Node 24+ `ret !==
    // false`; Node 20 `ret`, no drain when nothing was buffered), else on the socket's.
    if (!this.finished && this.needDrain) {
      if (!socket.writableNeedDrain) {
        this.needDrain = false;
        this.emit("drain");
      } else {
        this.listenDrain(socket);
      }
    }
  }

  /** Takes the socket back (srv detachSocket 292/307/318): called by the server on `'finish'`. */
  detachSocket(socket: H1Socket): void {
    socket.removeListener("close", onSocketClose);
    if (this.drainListened) {
      this.drainListened = false;
      socket.removeListener("drain", onSocketDrain);
    }
    if (socket._httpMessage === this) socket._httpMessage = null;
    this.socket = null;
  }

  /** `HTTP/1.1 100 Continue` now (srv writeContinue 299; throws after the head as Node 24+, srv v24:314). */
  writeContinue(): void {
    if (this._header !== null) throw nodeError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot write headers after they are sent to the client");
    this.writeRaw(CONTINUE, "latin1", null);
    this.sent100 = true;
  }

  /**
   * Stores the head (srv writeHead 341/408/419, out _storeHeader 410/456/493): the status line (always
   * `HTTP/1.1`, reason `STATUS_CODES[status] || 'unknown'`), the given headers in insertion order (arrays as
   * repeated lines, a `cookie` array joined with `"; "`), `Date` unless given, `Connection`/`Keep-Alive`
   * unless a `connection` was given, then the framing unless a `content-length` or `transfer-encoding` was
   * given: none for HEAD, 1xx, 204, 304 and HTTP/1.0 (close-delimited), `Content-Length` when `end(body)`
   * came first, else `Transfer-Encoding: chunked`. Sent with the first body bytes or `end()`.
   * @param status 100-999 (`| 0` first, as node).
   * @throws node's errors, before anything is stored: ERR_HTTP_HEADERS_SENT (a head already),
   *   ERR_HTTP_INVALID_STATUS_CODE, ERR_INVALID_HTTP_TOKEN (name), ERR_HTTP_INVALID_HEADER_VALUE (undefined),
   *   ERR_INVALID_CHAR (value), ERR_HTTP_TRAILER_INVALID (a `trailer` header on a body that is not chunked).
   */
  writeHead(status: number, headers?: http.OutgoingHttpHeaders | null): this {
    if (this._header !== null) throw nodeError(Error, "ERR_HTTP_HEADERS_SENT", "Cannot write headers after they are sent to the client");
    const code = status | 0;
    if (code < 100 || code > 999) throw nodeError(RangeError, "ERR_HTTP_INVALID_STATUS_CODE", `Invalid status code: ${status}`);
    this.statusCode = code;
    const line = (statusLines[code] ??= `HTTP/1.1 ${code} ${STATUS_CODES[code] || "unknown"}\r\n`);
    const hasBody = this.hasBody && code !== 204 && code !== 304 && !(code >= 100 && code <= 199);
    const shouldKeepAlive = this.shouldKeepAlive && !(this._expect_continue && !this.sent100);
    this.storeHeader(line, headers, hasBody, shouldKeepAlive);
    return this;
  }

  /** out _storeHeader/processHeader/storeHeader/matchHeader; commits its state only when nothing threw. */
  private storeHeader(firstLine: string, headers: http.OutgoingHttpHeaders | null | undefined, hasBody: boolean, keepAlive: boolean): void {
    let header = firstLine;
    let connection = false;
    let contLen = false;
    let te = false;
    let date = false;
    let expect = false;
    let trailer = false;
    let last = this._last;
    let chunked = this.chunkedEncoding;
    let defaultKeepAlive = true;
    let contentLength = this.contentLength;
    if (headers) {
      for (const key in headers) {
        if (!Object.hasOwn(headers, key)) continue;
        checkName(key);
        let value = headers[key] as string | number | string[] | undefined;
        // out processHeader (v20:546-560): a content-disposition after a non-zero content-length is re-read from
        // latin1 bytes as UTF-8 (nodejs/node#46528), byte for byte as node.
        if (key.length === 19 && contentLength && key.toLowerCase() === "content-disposition") {
          value = Array.isArray(value) ? value.map((v) => Buffer.from(v, "latin1").toString()) : Buffer.from(value as string, "latin1").toString();
        }
        let values: readonly (string | number | undefined)[];
        if (Array.isArray(value)) {
          if (value.length < 2 || !(key.length === 6 && key.toLowerCase() === "cookie")) values = value;
          else values = [value.join("; ")];
        } else {
          values = [value];
        }
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          checkValue(key, v);
          header += key + ": " + v + "\r\n";
          // out matchHeader (v20:588).
          if (key.length < 4 || key.length > 17) continue;
          switch (lowerName(key)) {
            case "connection":
              connection = true;
              if (RE_CONN_CLOSE.test(v as string)) last = true;
              else keepAlive = true;
              break;
            case "transfer-encoding":
              te = true;
              if (RE_TE_CHUNKED.test(v as string)) chunked = true;
              break;
            case "content-length":
              contLen = true;
              contentLength = +(v as string);
              break;
            case "date":
              date = true;
              break;
            case "expect":
              expect = true;
              break;
            case "trailer":
              trailer = true;
              break;
            case "keep-alive":
              defaultKeepAlive = false;
              break;
          }
        }
      }
    }
    if (!date) header += dateLine();
    // out v20:460-476: a given chunked TE on 204/304 is not used, and the connection closes.
    if (chunked && (this.statusCode === 204 || this.statusCode === 304)) {
      chunked = false;
      keepAlive = false;
    }
    // out v20:478-503 (`this.agent` is a client's; maxRequestsPerSocket is not used by the proxy).
    if (!connection) {
      if (keepAlive && (contLen || this.chunkedByDefault)) {
        header += "Connection: keep-alive\r\n";
        if (this._keepAliveTimeout && defaultKeepAlive) header += `Keep-Alive: timeout=${Math.floor(this._keepAliveTimeout / 1000)}\r\n`;
      } else {
        last = true;
        header += "Connection: close\r\n";
      }
    }
    // out v20:505-528.
    if (!contLen && !te) {
      if (!hasBody) chunked = false;
      else if (!this.chunkedByDefault) last = true;
      else if (!trailer && typeof contentLength === "number") header += "Content-Length: " + contentLength + "\r\n";
      else {
        header += "Transfer-Encoding: chunked\r\n";
        chunked = true;
      }
    }
    if (chunked !== true && trailer) throw nodeError(Error, "ERR_HTTP_TRAILER_INVALID", "Trailers are invalid with this transfer encoding");
    this.hasBody = hasBody;
    this.shouldKeepAlive = keepAlive;
    this._last = last;
    this.chunkedEncoding = chunked;
    this.contentLength = contentLength;
    this._header = header + "\r\n";
    this._headerSent = false;
    // out v20:541: a head with `Expect` goes at once.
    if (expect) this.send("", "latin1", null);
  }

  /**
   * Trailers for a chunked body's end (out addTrailers 984/1082/1187): replaces earlier ones; names and
   * values validated as node does (a throw keeps the ones before the bad one, as node). Dropped without a
   * word when the body is not chunked: node does not throw for that.
   * @throws ERR_INVALID_HTTP_TOKEN ("Trailer name"), ERR_INVALID_CHAR ("trailer content").
   */
  addTrailers(headers: Record<string, string | string[] | number | undefined>): void {
    this.trailer = "";
    for (const field of Object.keys(headers)) {
      checkName(field, "Trailer name");
      const value = headers[field];
      if (Array.isArray(value) && value.length > 1) {
        for (const v of value) {
          if (invalidChar(v)) throw nodeError(TypeError, "ERR_INVALID_CHAR", `Invalid character in trailer content ["${field}"]`);
          this.trailer += field + ": " + v + "\r\n";
        }
      } else {
        const v = Array.isArray(value) ? value.join("; ") : value;
        if (invalidChar(v)) throw nodeError(TypeError, "ERR_INVALID_CHAR", `Invalid character in trailer content ["${field}"]`);
        this.trailer += field + ": " + v + "\r\n";
      }
    }
  }

  /**
   * Writes body bytes (out write_ 898/959/1064), storing the implicit head first (`statusCode`, chunked).
   * Ignored (true) when the response has no body (HEAD, 1xx, 204, 304).
   * @returns false when the caller should wait for `'drain'` (the socket's buffer, or this response's while
   *   it waits for the socket, is at the high-water mark).
   */
  write(chunk: Data, encoding?: BufferEncoding): boolean {
    const ret = this.write_(chunk, encoding, false);
    if (!ret) {
      this.needDrain = true;
      if (this.socket !== null) this.listenDrain(this.socket);
    }
    return ret;
  }

  /** Listens to the socket's `drain` (only once a `write` returned false: most responses never need it). */
  private listenDrain(socket: H1Socket): void {
    if (this.drainListened) return;
    this.drainListened = true;
    socket.on("drain", onSocketDrain);
  }

  private write_(chunk: Data, encoding: BufferEncoding | undefined, fromEnd: boolean): boolean {
    if (chunk === null) throw nodeError(TypeError, "ERR_STREAM_NULL_VALUES", "May not write null values to stream");
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
      throw nodeError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "chunk" argument must be of type string or an instance of Buffer or Uint8Array.');
    }
    if (this.finished) {
      if (!this.destroyed) process.nextTick(errorNT, this, nodeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end"));
      return false;
    }
    if (this.destroyed) return false;
    if (this._header === null) {
      if (fromEnd) this.contentLength = typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.byteLength;
      this.writeHead(this.statusCode);
    }
    if (!this.hasBody) return true;
    if (!fromEnd) this.tick();
    if (this.chunkedEncoding) {
      if (chunk.length === 0) return this.send("", "latin1", null);
      const data = typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk;
      if (this.chunks === null) this.chunks = [data];
      else this.chunks.push(data);
      this.chunksLength += data.byteLength;
      return this.writableLength < (this.socket ? this.socket.writableHighWaterMark : this.highWaterMark);
    }
    return this.send(chunk, encoding, null);
  }

  /**
   * Ends the response (out end 1034/1173/1278): the implicit head if none (`Content-Length` of `chunk`, 0
   * without one), the rest of the body, the last chunk with the trailers; `'finish'` once the last write's
   * callback ran. A second `end()` does nothing; `end(chunk)` after `end` emits `'error'` as `write`.
   */
  end(chunk?: Data | null, encoding?: BufferEncoding): this {
    if (chunk) {
      if (this.finished) {
        if (!this.destroyed) process.nextTick(errorNT, this, nodeError(Error, "ERR_STREAM_WRITE_AFTER_END", "write after end"));
        return this;
      }
    } else if (this.finished) {
      return this;
    }
    if (this.destroyed) {
      this.finished = true;
      return this;
    }
    const socket = this.socket;
    // One syscall for what is left: cork unless corked for this tick already.
    let corkedHere = false;
    if (socket && this.corked === null && !socket.writableCorked) {
      socket.cork();
      corkedHere = true;
    }
    try {
      let done: Done = null;
      if (chunk) {
        if (this._header === null) {
          this.contentLength = typeof chunk === "string" ? Buffer.byteLength(chunk, encoding) : chunk.byteLength;
          this.writeHead(this.statusCode);
        }
        // Node 24+ maybePrepareFinalChunk (out v24:1060): the last bytes of a body of known length carry 'finish'.
        if (this.hasBody && !this.chunkedEncoding) {
          done = this.finishCallback();
          this.send(chunk, encoding, done);
        } else {
          this.write_(chunk, encoding, true);
        }
      } else if (this._header === null) {
        this.contentLength = 0;
        this.writeHead(this.statusCode);
      }
      if (done === null) {
        done = this.finishCallback();
        if (this.hasBody && this.chunkedEncoding) {
          if (this.chunksLength !== 0) this.flushChunk();
          this.send("0\r\n" + this.trailer + "\r\n", "latin1", done);
        } else if (!this._headerSent || this.writableLength || chunk) {
          this.send("", "latin1", done);
        } else {
          process.nextTick(done);
        }
      }
      this.finished = true;
    } finally {
      // The ended response goes out at the turn's end with the turn's other writes (./turnWrites.ts).
      if (corkedHere) uncorkAtTurnEnd(socket!);
      else if (this.corked !== null) this.endTick(true);
    }
    return this;
  }

  /**
   * Breaks the response off (out destroy 333/370/407): the socket it holds is destroyed (its `close` is this
   * response's); one still waiting for its socket closes on the next tick and destroys the socket when it
   * gets it.
   */
  destroy(error?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.chunks = null;
    this.chunksLength = 0;
    if (this.socket) {
      // What an `end()` of this turn holds goes out first, as node:http had sent it (./turnWrites.ts).
      flushHeld(this.socket);
      this.socket.destroy(error);
    } else process.nextTick(destroyNT, this);
    return this;
  }

  /** @internal The socket drained (called by {@link onSocketDrain}). */
  drained(): void {
    // Node 20's rule (srv v20:769): Node 24+ also waits for its writableLength to be 0, which counts a chunk
    // being coalesced in this tick: that drain would be lost if the chunk, once written, did not fill the
    // socket's buffer again.
    if (!this.finished && this.needDrain) {
      this.needDrain = false;
      this.emit("drain");
    }
  }

  /** Schedules the tick's end: corks the socket held (one syscall for the tick's writes). */
  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    const socket = this.socket;
    if (socket && !socket.writableCorked) {
      socket.cork();
      this.corked = socket;
    }
    process.nextTick(tickNT, this);
  }

  /**
   * @internal The tick's end (or `end()`, `atTurnEnd`: the uncork then waits for the turn's end, ./turnWrites.ts):
   * the coalesced chunk, then the socket uncorked; `'drain'` if all went out (out v24 uncork).
   */
  endTick(atTurnEnd = false): void {
    this.ticking = false;
    if (this.chunksLength !== 0 && !this.destroyed) this.flushChunk();
    const s = this.corked;
    if (s !== null) {
      this.corked = null;
      if (atTurnEnd) uncorkAtTurnEnd(s);
      else s.uncork();
    }
    if (this.needDrain && !this.finished && this.socket !== null && this.writableLength === 0) {
      this.needDrain = false;
      this.emit("drain");
    }
  }

  /** The chunks of this tick as one (`<hex>\r\n<bytes>\r\n`). */
  private flushChunk(): void {
    const chunks = this.chunks!;
    const len = this.chunksLength;
    this.chunks = null;
    this.chunksLength = 0;
    this.send(len.toString(16) + "\r\n", "latin1", null);
    for (let i = 0; i < chunks.length; i++) this.send(chunks[i], undefined, null);
    this.send(CRLF, undefined, null);
  }

  /** out onFinish (Node 24+ v24:1158): `'finish'` unless the write failed. */
  private finishCallback(): (err?: Error | null) => void {
    return (err) => {
      const s = this.socket;
      if (err || (s && (s._hadError || s.errored))) return;
      this.emit("finish");
    };
  }

  /** out _send (354/400/437): the stored head goes first (a string body is appended to it, in the body's encoding, as node). */
  private send(data: Data, encoding: BufferEncoding | undefined, cb: Done): boolean {
    if (!this._headerSent && this._header !== null) {
      if (typeof data === "string" && (encoding === "utf8" || encoding === "latin1" || !encoding)) {
        data = this._header + data;
      } else {
        this.writeRaw(this._header, "latin1", null);
      }
      this._headerSent = true;
    }
    return this.writeRaw(data, encoding, cb);
  }

  /** out _writeRaw (380/426/463): to the socket held, else into the buffer (nothing once the socket is destroyed). */
  private writeRaw(data: Data, encoding: BufferEncoding | undefined, cb: Done): boolean {
    const conn = this.socket;
    if (conn && conn.destroyed) return false;
    if (conn && conn._httpMessage === this && conn.writable) {
      if (this.output !== null) this.flushOutput(conn);
      return cb ? conn.write(data, encoding as BufferEncoding, cb) : encoding ? conn.write(data, encoding) : conn.write(data);
    }
    (this.output ??= []).push({ data, encoding, cb });
    this.outputSize += data.length;
    return this.outputSize < this.highWaterMark;
  }

  /** out _flushOutput (1158/1319/1424): the buffer to the socket, corked. */
  private flushOutput(socket: H1Socket): boolean | undefined {
    const out = this.output;
    if (out === null) return undefined;
    this.output = null;
    this.outputSize = 0;
    socket.cork();
    let ret = true;
    for (let i = 0; i < out.length; i++) {
      const { data, encoding, cb } = out[i];
      ret = cb ? socket.write(data, encoding as BufferEncoding, cb) : encoding ? socket.write(data, encoding) : socket.write(data);
    }
    socket.uncork();
    return ret;
  }
}
