/**
 * One listening port that speaks what its clients speak: it sniffs the first bytes of each connection
 * and hands it to TLS (first byte 0x16, inbound listeners only), HTTP/2 with prior knowledge (h2c,
 * `PRI * HTTP/2.0`) or HTTP/1.1. After a TLS handshake, ALPN picks HTTP/2 or HTTP/1.1. Every path is
 * bounded against slow or abusive clients: time to first byte and handshake, header and request
 * receive timeouts, idle and keep-alive timeouts, header size, connection count, HTTP/2 stream count.
 * Draining (reload, shutdown) stops accepting, lets in-flight requests finish, closes idle keep-alive
 * connections and sends HTTP/2 GOAWAY, then destroys what is left after the drain timeout.
 *
 * At `maxConnections`, a new connection sheds an idle one rather than being refused (like Envoy's
 * overload manager, which closes idle connections first): the oldest connection that has not sent a
 * byte yet, else the one idle longest (HTTP/1.1 keep-alive between requests, HTTP/2 with no open
 * request). Only when every connection is busy is the new one refused (`overloaded`).
 */
import net from "node:net";
import http from "node:http";
import http2 from "node:http2";
import tls from "node:tls";
import { constants as cryptoConstants } from "node:crypto";
import type { Mode } from "../../api/generated/proxyConfig.js";
import type { RtSettings } from "../config/compile.js";
import { HOP_ALPN } from "./hop.js";
import { HOST_VALUE, absoluteForm } from "./requestTarget.js";
import { H1Server, h1ServerSupported, type H1ServerHooks } from "./h1server.js";

/** A request as both HTTP/1.1 and HTTP/2 (compatibility API) deliver it. */
export type Req = http.IncomingMessage | http2.Http2ServerRequest;
export type Res = http.ServerResponse | http2.Http2ServerResponse;

/** TLS settings of an inbound listener. */
export interface ListenerTls {
  /** Key, certificate and CA bundle (PEM) of the listener's identity. */
  credentials(): { key: string; cert: string; ca: string };
  /** The current mTLS mode (read per connection, so a reload applies to new connections). */
  mode(): Mode;
  /**
   * Checks a verified client certificate further (`getPeerCertificate(true)`): a reason to refuse it, or
   * undefined (a virtual mesh's issuer check, identity/ca.ts `issuerMismatch`).
   */
  verifyPeer?(cert: tls.DetailedPeerCertificate): string | undefined;
  /** The hop protocol (./hop.ts), chosen by ALPN `unimesh-hop/1` when the client offers it and `enabled()`. */
  hop?: {
    enabled(): boolean;
    /** Serves a connection whose ALPN chose the hop protocol (./hopServer.ts), with the listener's limits and accounting. */
    accept(socket: tls.TLSSocket, with_: HopAcceptOptions): HopConnection;
  };
}

/** What a hop connection gets from its listener. */
export interface HopAcceptOptions {
  limits: RtSettings["limits"];
  /** A stream started: returns what to call when it ends (in-flight accounting, draining). */
  streamStarted(): () => void;
  /** The connection was closed for a protocol error. */
  protocolError(why: string): void;
  /** The connection was sent GOAWAY to protect the listener (`reason`). */
  shed(reason: string): void;
}

/** A hop connection as its listener drives it. */
export interface HopConnection {
  /** GOAWAY: no new streams; closes once those in flight ended. */
  goAway(): void;
  destroy(): void;
}

/** Events a listener reports (metrics). */
export interface ListenerEvents {
  plaintextRefused?(): void;
  tlsRefused?(reason: string): void;
  overloaded?(): void;
  /**
   * The listener closed a connection to protect itself (`idle-shed`, `http2-premature-resets`,
   * `hop-premature-resets`, `hop-protocol-error`).
   */
  closed?(reason: string): void;
  /**
   * An HTTP/1.1 request the listener answered itself before its handler saw it ({@link refusedRequestHead},
   * CONNECT), with `status` and the access-log flag `flag`: counted and logged as the handler's own refusals are.
   */
  refused?(req: Req, res: Res, status: number, flag: string): void;
  /**
   * An HTTP/1.1 connection closed for a request that did not parse or broke a limit (Node's parser: its
   * `HPE_*` error `code`; a request or its head not received in time: `ERR_HTTP_REQUEST_TIMEOUT`), with the
   * `status` of the answer node:http has for it (400, 408, 413, 431; written when the socket could still
   * take it, see {@link HTTP1_ERROR_ANSWERS}). Counted, not logged: the access log has a line per request, and
   * what broke is no request it could log (a head that never came whole, or the body of one already handed on).
   */
  protocolError?(status: number, code: string): void;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/**
 * The answers node:http writes itself to an HTTP/1.1 connection whose request did not parse or broke a limit,
 * before it closes the connection (lib/_http_server.js `socketOnError` and the buffers above it, v20 :850-901,
 * the same in Node 24 and 26), by status: 431 for a head over `maxHeaderSize` (`HPE_HEADER_OVERFLOW`), 413 for
 * chunk extensions over 16 KiB (`HPE_CHUNK_EXTENSIONS_OVERFLOW`, a fixed limit of Node's binding, whatever
 * maxHeaderSize: probed on Node 20 and 26), 408 for a head or request not received within headersTimeout or
 * requestTimeout (`ERR_HTTP_REQUEST_TIMEOUT`), 400 for every other parse error (ambiguous framing, obs-fold,
 * bare CR or LF, an invalid chunk size or version, a head cut short by the client's FIN...). The listener
 * listens for `clientError` to count these (with a listener, node:http leaves the answer to it) and writes the
 * same bytes; when, differs from node:http where answers are still on their way on the connection (they go
 * first: see `onClientError1` in the Listener constructor).
 */
const HTTP1_ERROR_ANSWERS: ReadonlyMap<number, Buffer> = new Map(
  [400, 408, 413, 431].map((status) => [status, Buffer.from(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`, "latin1")]),
);

/** The status of node:http's answer to a connection-level error `code` ({@link HTTP1_ERROR_ANSWERS}). */
function http1ErrorStatus(code: string | undefined): number {
  if (code === "HPE_HEADER_OVERFLOW") return 431;
  if (code === "HPE_CHUNK_EXTENSIONS_OVERFLOW") return 413;
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

/** A Transfer-Encoding that is `chunked` alone (any case, with optional whitespace and empty list elements). */
const CHUNKED_ONLY = /^[\t ,]*chunked[\t ,]*$/i;

/** A Connection header that lists `upgrade` (any case, anywhere in the list). */
const CONNECTION_UPGRADE = /(?:^|,)[\t ]*upgrade[\t ]*(?:,|$)/i;

/** `Expect: 100-continue` as node:http matches it (lib/_http_common.js v20 :261 `continueExpression`). */
const EXPECT_CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

/** An Upgrade header that offers `h2c` alone (RFC 9113 §3.1 removed it; nothing is left to upgrade to). */
const H2C_ONLY = /^[\t ]*h2c[\t ]*$/i;

/**
 * The Upgrade header of a request that asks to switch protocols (RFC 9110 §7.8: Upgrade, and Connection
 * listing `upgrade`, as Node's parser and Envoy read it), or undefined.
 */
export function upgradeOf(req: http.IncomingMessage): string | undefined {
  const upgrade = req.headers.upgrade;
  const connection = req.headers.connection;
  return upgrade !== undefined && connection !== undefined && CONNECTION_UPGRADE.test(connection) ? upgrade : undefined;
}

/**
 * Why an HTTP/1.1 request head is refused before any handler sees it, or undefined: an HTTP/1.1 request
 * without Host, more than one Host line or an invalid Host value is 400 (RFC 9112 §3.2: a server MUST
 * answer 400; Node keeps the first Host line, which the access decision and the app would get while a
 * proxy in front may have used another). Node's parser counts no Host lines and checks no Host value, so
 * the raw header lines are read. A missing Host is refused here rather than by node:http
 * (`requireHostHeader`), which answered it itself, unseen: now it is counted and logged as the others are.
 * An HTTP/1.0 request without Host is served, as before (RFC 9112 §3.2 requires Host of HTTP/1.1 requests).
 * The authority of an absolute-form target (`http://host/path`), which replaces Host (RFC 9112 §3.2.2), is
 * held to the same rule, and is 400 too when it is empty (RFC 9110 §4.2.1: a recipient MUST reject it) or
 * has a userinfo (`user@host`, §4.2.4: a recipient SHOULD treat it as an error).
 * A Transfer-Encoding in a request of another version than HTTP/1.1 is 400 (RFC 9112 §6.1: a server MUST
 * treat an HTTP/1.0 message with Transfer-Encoding as having faulty framing, even with a Content-Length,
 * and close the connection): Node's parser decodes an HTTP/1.0 request's `chunked` body as if it were
 * HTTP/1.1, where an HTTP/1.0 hop in front may have read its body up to the end of the connection, so
 * that the bytes after the chunks would be served as another request.
 * A transfer coding other than `chunked` is 501 (RFC 9112 §6.1, as Envoy answers): Node's parser refuses
 * `chunked` twice, and a last coding other than `chunked` once the request was emitted (400; this answers
 * first), but takes `gzip, chunked` and decodes the chunks only: the app got the gzip bytes as the body,
 * without the coding and without a word.
 * A protocol upgrade other than `h2c` (WebSocket...) is 403, as Envoy answers one on a route without
 * upgrades (`upgrade_failed`, and it closes the connection): the proxy has none, and the app got a plain
 * request without Upgrade while the client waited for `101`. `h2c` alone is ignored, as Envoy ignores it
 * (RFC 9110 §7.8: a server MAY ignore Upgrade), and the connection is closed after the answer.
 * A request line of another major version than 1 is 505 (RFC 9110 §15.6.6; nginx answers `HTTP/2.0` so, Envoy
 * refuses HTTP/0.9): Node's parser takes `HTTP/2.0` and `HTTP/0.9`, and a request line without a version
 * (`GET /a`) as 0.9, and served them as ordinary requests, the app and the access log seeing a protocol the
 * connection does not speak (an HTTP/2 request never arrives as a request line; HTTP/0.9 has no headers, so
 * the answer could not be read as one by an HTTP/0.9 client anyway).
 */
export function refusedRequestHead(req: http.IncomingMessage): { status: number; reason: string } | undefined {
  if (req.httpVersionMajor !== 1) return { status: 505, reason: `HTTP/${req.httpVersion} is not supported on an HTTP/1.1 connection` };
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === 4 && (k === "host" || k === "Host" || k.toLowerCase() === "host")) hosts++;
  }
  if (hosts === 0 && req.httpVersion === "1.1") return { status: 400, reason: "a request without a host header" };
  if (hosts > 1) return { status: 400, reason: "more than one host header" };
  const host = req.headers.host;
  if (host !== undefined && !HOST_VALUE.test(host)) return { status: 400, reason: "an invalid host header" };
  const url = req.url;
  const absolute = url !== undefined && url.charCodeAt(0) !== 47 /* / */ ? absoluteForm(url) : undefined;
  if (absolute && (absolute.authority === "" || absolute.authority.includes("@") || !HOST_VALUE.test(absolute.authority)))
    return { status: 400, reason: "an invalid authority in the request target" };
  const te = req.headers["transfer-encoding"];
  if (te !== undefined && req.httpVersion !== "1.1") return { status: 400, reason: `transfer-encoding in an HTTP/${req.httpVersion} request` };
  if (te !== undefined && te !== "chunked" && !CHUNKED_ONLY.test(te)) return { status: 501, reason: "a transfer coding other than chunked is not implemented" };
  const upgrade = upgradeOf(req);
  if (upgrade !== undefined && !H2C_ONLY.test(upgrade)) return { status: 403, reason: "protocol upgrades (Upgrade) are not supported" };
  return undefined;
}

/** One accepted connection, for idle shedding. */
interface Conn {
  socket: net.Socket;
  /** The socket requests are read from (the TLS socket once the handshake is done): its bytesRead. */
  io: net.Socket;
  /** True once its first bytes were read (protocol picked). */
  sniffed: boolean;
  /** Requests in flight on it. */
  active: number;
  /** When it last became idle (ms epoch); bytes read by then, to tell a new request in progress. */
  idleSince: number;
  bytesAtIdle: number;
  /** Closes it gracefully when it is an HTTP/2 session. */
  session?: http2.ServerHttp2Session;
  /** HTTP/2: streams opened, and streams the client reset before their response was complete. */
  streams: number;
  premature: number;
  /** HTTP/1.1: a request head was refused ({@link refusedRequestHead}); the connection closes after the answer. */
  refused?: boolean;
  /**
   * HTTP/1.1: a request's answer will close the connection (it asked for an upgrade, or came while draining):
   * what is pipelined behind it is not served, as its answer could never be sent.
   */
  closing?: boolean;
  /**
   * HTTP/1.1: responses waiting behind another on the connection (pipelined), until they get the socket. On
   * Node 20 node:http emits no `close` for them when the client goes away (Node 24 does, its abortOutgoing):
   * the listener does, so that their exchanges stop and they leave the in-flight count.
   */
  queued?: Set<http.ServerResponse>;
}

/**
 * An HTTP/2 connection is closed once this many of its streams were reset by the client before their
 * response, and they are more than half of its streams (Envoy closes at 50% of its first 500).
 */
const PREMATURE_RESETS = 100;

/**
 * Why a TLS handshake did not complete, as the refusal's reason: the client was too slow
 * (`handshakeTimeoutMs`), the client closed the connection before the handshake was done (a caller
 * giving up, e.g. on its own timeout: not a refusal of a certificate), or it failed (protocol, cipher,
 * certificate messages).
 */
function handshakeFailure(e: Error & { code?: string }): string {
  if (e.code === "ERR_TLS_HANDSHAKE_TIMEOUT") return "handshake timeout";
  if (e.code === "ECONNRESET" || e.code === "EPIPE") return "closed by the client during the handshake";
  return "handshake failed";
}

/** Destroys a socket (a listener for a response's `socket` event). */
function destroySocket(socket: net.Socket): void {
  socket.destroy();
}

/** Closes the responses left in a closed connection's pipelining queue: each stops its exchange and leaves the in-flight count. */
function closeQueued(queued: Set<http.ServerResponse>): void {
  for (const res of [...queued]) {
    queued.delete(res);
    if (res.writableFinished) continue;
    res.destroy();
    res.emit("close");
  }
}

/** What the listener reads of the response that holds an HTTP/1.1 socket (node:http's `socket._httpMessage`). */
interface HttpMessage {
  _headerSent?: boolean;
  /** `end()` was called: the whole answer is written or buffered. */
  finished?: boolean;
  destroyed?: boolean;
  /** The request it answers (node:http sets it in the ServerResponse constructor). */
  req?: unknown;
  on(event: "finish" | "close", f: () => void): unknown;
  off(event: "finish" | "close", f: () => void): unknown;
}

/** A sniffing listener. */
export class Listener {
  readonly server: net.Server;
  /** node:http's HTTP/1.1 server, only when the servers on Node's parser ({@link h1}) do not serve. */
  private readonly http1?: http.Server;
  /** HTTP/1.1 over mutual TLS (other proxies): the same server with the peers' keep-alive timeout. */
  private readonly http1Peers?: http.Server;
  /**
   * The HTTP/1.1 servers on Node's parser (./h1server.ts), plaintext and peers (mTLS): the default, unless the
   * constructor found `UNIMESH_H1_SERVER=node` or this Node lacks what they need (h1ServerSupported); then
   * node:http's above serve.
   */
  private readonly h1?: { plain: H1Server; peers: H1Server };
  private readonly h2: http2.Http2Server;
  private readonly tlsServer?: tls.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Hop-protocol connections (./hopServer.ts). */
  private readonly hops = new Set<HopConnection>();
  /** Accepted connections, oldest first; looked up by raw socket, TLS socket or HTTP/2 session. */
  private readonly conns = new Set<Conn>();
  private readonly connOf = new WeakMap<object, Conn>();
  /** The connection being handed to the HTTP/2 server (its "session" event fires synchronously). */
  private handing?: Conn;
  /** Connections in a TLS handshake, by peer `address|port`. */
  private readonly tlsPending = new Map<string, Conn>();
  private draining = false;
  /** Requests in flight. */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly key: string,
    private limits: RtSettings["limits"],
    handler: (req: Req, res: Res) => void,
    private readonly tlsOptions?: ListenerTls,
    private readonly events: ListenerEvents = {},
  ) {
    /**
     * HTTP/1.1 connections condemned by a request that did not parse, broke a limit or timed out, whose answer
     * (and close) waits for the answers before it ({@link onClientError1}); and the responses of requests parsed
     * on such a connection after that, which are not handed on: their answer is that error answer.
     */
    const failing = new WeakSet<net.Socket>();
    const withheld = new WeakSet<http.ServerResponse>();
    /**
     * Counts a request in flight (listener and connection) until its response is done: its "close",
     * which both node:http (after "finish", or when the connection goes first) and the HTTP/2
     * compatibility response (when the stream closes) emit once per response.
     */
    const track = (_req: Req, res: Res, conn: Conn | undefined) => {
      res.once("close", this.started(conn));
    };
    /**
     * A response queued behind another (HTTP/1.1 pipelining: node:http gives it the socket once the ones
     * before it are done) is remembered until it closes, so that the connection's close can close it (Node 20).
     * One destroyed while still queued (its answer broken off: the upstream failed after its head) destroys the
     * connection when it gets it, as Node 20 does itself: Node 24+ emits its `close` but then hands it the
     * socket like any other, so that its buffered head and part of a body went out and the connection stayed
     * open until idleTimeoutMs, the client waiting for the rest of a body that would never come.
     */
    const queue = (res: http.ServerResponse, conn: Conn) => {
      const q = (conn.queued ??= new Set());
      q.add(res);
      res.once("close", () => {
        q.delete(res);
        if (res.destroyed && !res.socket) res.once("socket", destroySocket);
      });
    };
    /** Answers a request the listener refuses itself, closes its connection, and reports it. */
    const refuse = (req: http.IncomingMessage, res: http.ServerResponse, refused: { status: number; reason: string }) => {
      // DPE: Envoy's flag for a downstream protocol error, which is what its codec reports for these heads.
      res.writeHead(refused.status, { "content-type": "text/plain", "x-unimesh-flag": "DPE", connection: "close" });
      res.end(`unimesh: ${refused.reason}\n`);
      this.events.refused?.(req, res, refused.status, "DPE");
    };
    /**
     * CONNECT (RFC 9110 §9.3.6) asks for a tunnel, which the proxy does not make: 403, as Envoy answers a
     * CONNECT it has no upgrade configuration for (it is an upgrade there), and the connection closes.
     * Without a "connect" listener Node closed the connection without an answer. Node hands the socket
     * over without its HTTP handling: the answer is written on it by a response of its own, then the
     * socket is ended and what the client still sends is discarded.
     */
    const onConnect1 = (req: http.IncomingMessage, socket: net.Socket) => {
      socket.on("error", () => socket.destroy());
      // A CONNECT pipelined behind a request still being answered (Node emits "connect" as soon as it is
      // parsed), or behind a refused one: the socket still belongs to that response (assigning it again
      // throws, outside any handler: the process would exit). Closed without an answer, as Node does
      // without a "connect" listener.
      if ((socket as net.Socket & { _httpMessage?: unknown })._httpMessage || this.connOf.get(socket)?.refused) {
        socket.destroy();
        return;
      }
      try {
        const res = new http.ServerResponse(req);
        res.assignSocket(socket);
        res.once("finish", () => {
          socket.end();
          socket.resume();
          setTimeout(() => socket.destroy(), 1000).unref();
        });
        refuse(req, res, { status: 403, reason: "CONNECT is not supported" });
      } catch {
        socket.destroy();
      }
    };
    const onRequest1 = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const conn = this.connOf.get(req.socket);
      // A request pipelined behind a refused one, or behind one whose answer closes the connection, is not
      // served: the connection closes once that answer is sent, and this one's could never follow it (the app
      // would have been called for nothing). Node's parser reads on after an upgrade request (a later read is
      // parsed as a new request) and during a drain.
      if (conn?.refused || conn?.closing) return;
      // Parsed after the connection was condemned (a head timed out behind answers in flight; the parser reads
      // on): not handed on; the error answer takes its place once the answers before it are sent.
      if (failing.has(req.socket)) {
        withheld.add(res);
        return;
      }
      const refused = refusedRequestHead(req);
      if (refused) {
        if (conn) conn.refused = true;
        refuse(req, res, refused);
        return;
      }
      track(req, res, conn);
      if (conn && !res.socket) queue(res, conn);
      // Node's parser drops what follows a request that asks for an upgrade (h2c here: the others were
      // refused) in the same read, so the connection cannot carry another request: it closes after this
      // one's answer rather than waiting for one it would never read. While draining, each answer closes.
      if (this.draining || upgradeOf(req) !== undefined) {
        res.shouldKeepAlive = false;
        if (conn) conn.closing = true;
      }
      handler(req, res);
    };
    /**
     * `Expect: 100-continue` (RFC 9110 §10.1.1): a request whose head is refused ({@link refusedRequestHead})
     * gets its final status alone (the connection closes, and `refused` stops what is pipelined behind it,
     * both decided before the next request is parsed); every other one gets the interim 100 at once, as
     * with Node's default and Envoy without `proxy_100_continue`. Not later, once the request's fate is known
     * (access control, a rate limit): Node closes a connection whose final answer went without a 100, and a
     * request pipelined behind would already have been handed on, served, and its answer lost.
     */
    const onContinue1 = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const conn = this.connOf.get(req.socket);
      if (!conn?.refused && !conn?.closing && !failing.has(req.socket) && !refusedRequestHead(req)) res.writeContinue();
      onRequest1(req, res);
    };
    /**
     * An `Expect` other than `100-continue` (which goes to {@link onContinue1}), on an HTTP/1.1 request: 417
     * (RFC 9110 §10.1.1: a server MAY answer 417 to an expectation it does not support; node:http answered it
     * itself, unseen, without this listener). Refused as a refused head is (DPE, counted and logged), the
     * connection closed; a refused head's own answer first. What is pipelined behind a refused or closing
     * request is not served, as in {@link onRequest1}.
     */
    const onExpectation1 = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const conn = this.connOf.get(req.socket);
      if (conn?.refused || conn?.closing) return;
      if (failing.has(req.socket)) {
        withheld.add(res);
        return;
      }
      if (conn) conn.refused = true;
      refuse(req, res, refusedRequestHead(req) ?? { status: 417, reason: "an expectation other than 100-continue" });
    };
    /**
     * A request that did not parse or broke a limit ({@link HTTP1_ERROR_ANSWERS}): answered and closed as
     * node:http does without a `clientError` listener (socketOnError: its answer only if the socket can still
     * be written and no answer's head has gone out on it, then `destroy(e)`), and reported. A socket error
     * (ECONNRESET, EPIPE: the client went away) comes here too: the socket is destroyed already, nothing is
     * written, and it is not a protocol error.
     *
     * Unlike node:http, the answers of the requests before it on the connection come first. When the broken
     * bytes are a request pipelined behind requests whose answers are still on their way (every request
     * handed on is complete: the error is in a new head), those answers are sent, then node's answer, then the
     * connection closes, as Envoy and nginx (which read nothing more until an answer is done) answer it.
     * node:http wrote its 400 at once, where the client read it as the answer to the request before (whose
     * app had served it: a client or a proxy in front would take that request's answer as a 400), or
     * destroyed the connection in the middle of that answer. Bytes after a request that asked to close the
     * connection (`Connection: close`, an HTTP/1.0 request without keep-alive; llhttp's
     * HPE_CLOSED_CONNECTION) are ignored: RFC 9112 §9.6, the server MUST close the connection after the final
     * response to that request and MUST NOT process further requests. An error in the body of a request
     * handed on (a bad chunk; its request timeout) is answered the same way, after the answers of the
     * requests before it: node's answer in place of its own unless that has begun (then the connection just
     * closes, as node:http closes it), and none at all when its answer was sent already (answered before its
     * body was read: node:http's 400 came after it, read as the next request's answer). A request parsed after
     * the connection was condemned (a head timed out behind answers in flight: the parser reads on) is not
     * handed on; the error answer takes its place.
     */
    const onClientError1 = (e: Error & { code?: string }, socket: net.Socket) => {
      const protocol = e.code !== undefined && (e.code.startsWith("HPE_") || e.code === "ERR_HTTP_REQUEST_TIMEOUT");
      if (protocol && failing.has(socket)) return;
      // The response holding the socket: one whose 'finish' has not come yet (node:http detaches it then). Not
      // `writableFinished`, which Node 20 reports true as soon as the bytes are written, before 'finish'.
      const message = (socket as net.Socket & { _httpMessage?: HttpMessage | null })._httpMessage;
      const incoming = (socket as net.Socket & { parser?: { incoming?: { complete?: boolean } | null } | null }).parser?.incoming;
      // The request whose body broke (or timed out), or null: the error is in a new head.
      const broken = incoming && incoming.complete === false ? incoming : null;
      const status = http1ErrorStatus(e.code);
      if (protocol && message) {
        if (e.code === "HPE_CLOSED_CONNECTION") return;
        failing.add(socket);
        this.events.protocolError?.(status, e.code!);
        // The answers to the requests before the broken one first, each in turn (node:http hands the socket to
        // the next queued response when one finishes); then the error answer in place of the broken request's
        // (or of a request parsed since, not handed on), unless that answer has begun; then the close.
        const afterAnswers = () => {
          if (socket.destroyed) return;
          const m = (socket as net.Socket & { _httpMessage?: HttpMessage | null })._httpMessage;
          if (m?.destroyed) {
            socket.destroy(e);
            return;
          }
          const own = m !== null && m !== undefined && (m.req === broken || withheld.has(m as unknown as http.ServerResponse));
          if (m && (!own || m.finished)) {
            const next = () => {
              m.off("finish", next);
              m.off("close", next);
              // The broken request's complete answer: sent, then the close, without an error answer after it.
              setImmediate(own ? () => socket.destroy(e) : afterAnswers);
            };
            m.on("finish", next);
            m.on("close", next);
            return;
          }
          // No answer left (the broken request's own answer, when its body broke, was sent already), or the
          // broken request's answer has not begun.
          const answered = broken !== null && !m;
          if (!answered && socket.writable && (!m || !m._headerSent)) socket.write(HTTP1_ERROR_ANSWERS.get(status)!);
          socket.destroy(e);
        };
        afterAnswers();
        return;
      }
      // No answer on its way. A broken body whose answer was sent already (answered before its body was read,
      // which node:http then reads on to discard) gets no second answer: a client, or a proxy in front
      // pipelining several callers' requests, would read it as the next request's.
      if (socket.writable && !broken && (!message || !message._headerSent)) socket.write(HTTP1_ERROR_ANSWERS.get(status)!);
      socket.destroy(e);
      if (protocol) this.events.protocolError?.(status, e.code!);
    };
    /**
     * HTTP/2 (the rapid-reset class, CVE-2023-44487): a stream reset by the client costs nothing
     * upstream when the reset arrives with it (the request starts once the frames already received are
     * processed); streams beyond maxConcurrentStreams that are still being served (a reset frees the
     * HTTP/2 slot, not the work) are refused with REFUSED_STREAM; and a connection whose client resets
     * most of its streams before their response (like Envoy's premature-reset check) gets GOAWAY
     * ENHANCE_YOUR_CALM and is closed, which aborts everything it started.
     */
    const onRequest2 = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      const session = req.stream.session;
      const conn = session ? this.connOf.get(session) : undefined;
      if (conn) conn.streams++;
      const premature = () => {
        if (!conn || !session || session.destroyed) return;
        if (++conn.premature >= PREMATURE_RESETS && conn.premature * 2 > conn.streams) {
          this.events.closed?.("http2-premature-resets");
          session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
          session.destroy();
        }
      };
      if (conn && conn.active >= this.limits.maxConcurrentStreams) {
        req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        premature();
        return;
      }
      // The header list size as HTTP/2 counts it (name + value + 32 a line, RFC 9113 §6.5.2). nghttp2
      // enforces maxHeaderListSize only once the client has acknowledged the SETTINGS that carry it;
      // until then (the first requests of every connection) it allows its default of 65,535.
      let listSize = 0;
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) listSize += raw[i].length + raw[i + 1].length + 32;
      if (listSize > this.limits.maxHeaderBytes) {
        res.writeHead(431, { "content-type": "text/plain" });
        res.end("request header fields too large\n");
        return;
      }
      track(req, res, conn);
      // Emitted only when the client resets the stream before the response is complete.
      req.once("aborted", premature);
      setImmediate(() => {
        if (req.stream.destroyed || req.stream.closed) {
          res.destroy();
          return;
        }
        handler(req, res);
      });
    };
    const http1 = (keepAliveTimeout: number): http.Server => {
      const server = http.createServer(
        {
          maxHeaderSize: limits.maxHeaderBytes,
          requestTimeout: limits.requestTimeoutMs,
          headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
          keepAliveTimeout,
          // Strict whatever the process's flags: `--insecure-http-parser` (in NODE_OPTIONS, say) would
          // otherwise make every listener take Content-Length with Transfer-Encoding, obs-fold and bare
          // LF, the ambiguous framing that request smuggling rests on.
          insecureHTTPParser: false,
          noDelay: true,
          connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
          // A missing Host is refused by refusedRequestHead, so that it is counted and logged.
          requireHostHeader: false,
        },
        onRequest1,
      );
      server.on("checkContinue", onContinue1);
      server.on("checkExpectation", onExpectation1);
      server.on("clientError", onClientError1);
      server.on("connect", onConnect1);
      server.timeout = limits.idleTimeoutMs;
      // No count of header lines: Node keeps only the first 1,000 by default and drops the rest without a
      // word, so the app (and the access decision) would see a shorter request than the caller sent.
      // `maxHeaderSize` (limits.maxHeaderBytes, 431 beyond) bounds them, as on the hop protocol.
      server.maxHeadersCount = 0;
      // The HTTP/1.1 servers never listen themselves (sockets are handed to them); "listening" starts
      // their connection tracking, which enforces headersTimeout and requestTimeout.
      server.emit("listening");
      return server;
    };
    // Built only when they serve: each runs a connection-checking timer from its "listening".
    if (process.env.UNIMESH_H1_SERVER === "node" || !h1ServerSupported()) {
      this.http1 = http1(limits.keepAliveTimeoutMs);
      // Another proxy's connections stay open longer between requests: a caller whose connections expired
      // during a pause would open them all again at once, one TLS handshake each, when traffic resumes.
      this.http1Peers = tlsOptions ? http1(limits.peerKeepAliveTimeoutMs) : this.http1;
    } else {
      /**
       * The same handlers as node:http's events above. A request whose answer closes the connection is known
       * at its headers complete (a refused head, an Expect other than 100-continue, an upgrade, a drain): the
       * server parses nothing after it (D1 of docs/design/h1-listener.md). CONNECT gets its 403 in turn (D7).
       */
      const hooks: H1ServerHooks = {
        head: (req) =>
          refusedRequestHead(req) !== undefined || (req.httpVersion === "1.1" && req.headers.expect !== undefined && !EXPECT_CONTINUE.test(req.headers.expect))
            ? "refused"
            : this.draining || upgradeOf(req) !== undefined
              ? "closes"
              : undefined,
        request: onRequest1,
        checkContinue: onContinue1,
        checkExpectation: onExpectation1,
        connect: (req, res) => refuse(req, res, { status: 403, reason: "CONNECT is not supported" }),
        protocolError: (status, code) => this.events.protocolError?.(status, code),
      };
      const h1 = (keepAliveTimeoutMs: number) =>
        new H1Server(
          {
            maxHeaderBytes: limits.maxHeaderBytes,
            headersTimeoutMs: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
            requestTimeoutMs: limits.requestTimeoutMs,
            keepAliveTimeoutMs,
            idleTimeoutMs: limits.idleTimeoutMs,
            answers: HTTP1_ERROR_ANSWERS,
            statusOf: http1ErrorStatus,
          },
          hooks,
        );
      const plain = h1(limits.keepAliveTimeoutMs);
      this.h1 = { plain, peers: tlsOptions ? h1(limits.peerKeepAliveTimeoutMs) : plain };
    }
    this.h2 = http2.createServer(
      {
        maxSessionMemory: 10,
        // As many header lines as maxHeaderListSize can hold (HTTP/2 counts 32 bytes per line on top of
        // its name and value), so the size limit decides, as on HTTP/1.1 and the hop protocol.
        maxHeaderListPairs: Math.ceil(limits.maxHeaderBytes / 32) + 4,
        settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
      },
      onRequest2,
    );
    this.h2.setTimeout(limits.idleTimeoutMs);
    // CONNECT over HTTP/2 (RFC 9113 §8.5) asks for a tunnel too: refused as over HTTP/1.1 and the hop protocol
    // (403, DPE), counted and logged; without a "connect" listener Node answered 405 itself, unseen. Only the
    // stream ends: the session's other streams go on.
    this.h2.on("connect", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      res.writeHead(403, { "content-type": "text/plain", "x-unimesh-flag": "DPE" });
      res.end("unimesh: CONNECT is not supported\n");
      this.events.refused?.(req, res, 403, "DPE");
    });
    this.h2.on("session", (s: http2.ServerHttp2Session) => {
      if (this.handing) {
        this.connOf.set(s, this.handing);
        this.handing.session = s;
      }
      this.sessions.add(s);
      s.once("close", () => this.sessions.delete(s));
      if (this.draining) s.close();
    });
    if (tlsOptions) {
      const c = tlsOptions.credentials();
      this.tlsServer = tls.createServer({
        // Client certificates are required and verified; rejection happens below (so that it is counted).
        key: c.key,
        cert: c.cert,
        ca: c.ca,
        requestCert: true,
        rejectUnauthorized: false,
        // The hop protocol when the client offers it (and it is enabled), else HTTP/2, else HTTP/1.1.
        ...(tlsOptions.hop
          ? {
              ALPNCallback: ({ protocols }: { protocols: string[] }) =>
                protocols.includes(HOP_ALPN) && tlsOptions.hop!.enabled()
                  ? HOP_ALPN
                  : protocols.includes("h2")
                    ? "h2"
                    : protocols.includes("http/1.1")
                      ? "http/1.1"
                      : undefined,
            }
          : { ALPNProtocols: ["h2", "http/1.1"] }),
        handshakeTimeout: limits.handshakeTimeoutMs,
        minVersion: "TLSv1.2",
        // A resumed session carries the peer's certificate but not its chain, which verifyPeer reads: no
        // session tickets then (Node keeps no server session cache of its own), every handshake is full.
        ...(tlsOptions.verifyPeer ? { secureOptions: cryptoConstants.SSL_OP_NO_TICKET } : {}),
      });
      this.tlsServer.on("secureConnection", (s: tls.TLSSocket) => {
        if (!s.authorized) {
          const cert = s.getPeerCertificate();
          this.events.tlsRefused?.(cert && cert.raw ? "untrusted client certificate" : "no client certificate");
          s.destroy();
          return;
        }
        const why = tlsOptions.verifyPeer?.(s.getPeerCertificate(true));
        if (why) {
          this.events.tlsRefused?.(why);
          s.destroy();
          return;
        }
        // The TLS socket wraps the accepted one: found by the peer's address and port.
        const k = `${s.remoteAddress}|${s.remotePort}`;
        const conn = this.tlsPending.get(k);
        this.tlsPending.delete(k);
        if (conn) {
          this.connOf.set(s, conn);
          conn.io = s;
          conn.bytesAtIdle = s.bytesRead;
        }
        if (s.alpnProtocol === HOP_ALPN && tlsOptions.hop) this.openHop(s, conn);
        else if (s.alpnProtocol === "h2") this.handTo2(s, conn);
        else if (this.h1) this.h1.peers.serve(s);
        else this.http1Peers!.emit("connection", s);
      });
      this.tlsServer.on("tlsClientError", (e: Error & { code?: string }, s: tls.TLSSocket) => {
        this.events.tlsRefused?.(handshakeFailure(e));
        s.destroy();
      });
    }
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    // maxConnections is enforced in accept() (shedding idle connections first); this is the backstop.
    this.server.maxConnections = limits.maxConnections * 2;
    this.server.on("drop", () => this.events.overloaded?.());
  }

  /** Counts a request in flight (listener and connection): returns what ends it (idempotent). */
  private started(conn: Conn | undefined): () => void {
    this.inFlight++;
    if (conn) conn.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (conn && --conn.active === 0) {
        conn.idleSince = Date.now();
        conn.bytesAtIdle = conn.io.bytesRead;
      }
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
  }

  /** A connection whose ALPN chose the hop protocol: its streams go to the inbound side. */
  private openHop(s: tls.TLSSocket, conn: Conn | undefined): void {
    const hc = this.tlsOptions!.hop!.accept(s, {
      limits: this.limits,
      streamStarted: () => this.started(conn),
      protocolError: () => this.events.closed?.("hop-protocol-error"),
      shed: (reason) => this.events.closed?.(reason),
    });
    this.hops.add(hc);
    s.once("close", () => this.hops.delete(hc));
    if (this.draining) hc.goAway();
  }

  private handTo2(socket: net.Socket, conn: Conn | undefined): void {
    this.handing = conn;
    try {
      this.h2.emit("connection", socket);
    } finally {
      this.handing = undefined;
    }
  }

  /** Makes room for one more connection: sheds the best idle one; false when every connection is busy. */
  private makeRoom(): boolean {
    // In order: the oldest connection that never sent a byte, the one idle longest between requests,
    // the oldest still sending a request head (no request in flight: a slow or stalled client).
    let idle: Conn | undefined;
    let partial: Conn | undefined;
    let victim: Conn | undefined;
    for (const c of this.conns) {
      if (!c.sniffed) {
        victim = c;
        break;
      }
      if (c.active !== 0) continue;
      if (c.io.bytesRead === c.bytesAtIdle) {
        if (!idle || c.idleSince < idle.idleSince) idle = c;
      } else partial ??= c;
    }
    victim ??= idle ?? partial;
    if (!victim) return false;
    this.events.closed?.("idle-shed");
    this.forget(victim);
    if (victim.session) victim.session.destroy();
    victim.socket.destroy();
    return true;
  }

  private forget(c: Conn): void {
    this.conns.delete(c);
    this.sockets.delete(c.socket);
  }

  /** Replaces the TLS credentials (certificate renewal); established connections keep theirs. */
  updateCredentials(): void {
    if (!this.tlsServer || !this.tlsOptions) return;
    const c = this.tlsOptions.credentials();
    this.tlsServer.setSecureContext({
      key: c.key,
      cert: c.cert,
      ca: c.ca,
      ...(this.tlsOptions.verifyPeer ? { secureOptions: cryptoConstants.SSL_OP_NO_TICKET } : {}),
    });
  }

  private accept(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.conns.size >= this.limits.maxConnections && !this.makeRoom()) {
      this.events.overloaded?.();
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, io: socket, sniffed: false, active: 0, idleSince: Date.now(), bytesAtIdle: 0, streams: 0, premature: 0 };
    this.conns.add(conn);
    this.connOf.set(socket, conn);
    this.sockets.add(socket);
    socket.once("close", () => {
      this.forget(conn);
      // Responses still queued behind another when the client went away (Node 20 leaves them open): closed a
      // turn later, once Node 24's own abortOutgoing (next tick) has had its chance, so that none closes twice.
      if (conn.queued?.size) setImmediate(closeQueued, conn.queued);
    });
    socket.on("error", () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs);
    // The first bytes pick the protocol. A read shorter than the HTTP/2 preface that is a prefix of it (`P`,
    // `PR`...: a POST's first byte, read alone) decides nothing: read on (the handshake timer still runs).
    let head: Buffer | undefined;
    const sniff = (read: Buffer) => {
      const chunk = head ? Buffer.concat([head, read]) : read;
      if (chunk[0] !== 0x16 && chunk.length < H2_PREFACE.length && chunk.equals(H2_PREFACE.subarray(0, chunk.length))) {
        head = chunk;
        return;
      }
      socket.off("data", sniff);
      clearTimeout(timer);
      conn.sniffed = true;
      // Not idle until a first request completes (its head is being read).
      conn.bytesAtIdle = -1;
      const isTls = chunk[0] === 0x16;
      const mode = this.tlsOptions?.mode();
      const h2 = !isTls && chunk.subarray(0, H2_PREFACE.length).equals(H2_PREFACE.subarray(0, Math.min(chunk.length, H2_PREFACE.length)));
      // TLS and HTTP/2 sessions take the stream over and read the unshifted bytes themselves. The
      // HTTP/1.1 parser gets the stream as it is, flowing, with the bytes put back: pausing and
      // resuming it around the hand-over left it reading while a request body was paused (no
      // back-pressure towards the client when the upstream was a TLS connection).
      if (isTls || h2) socket.pause();
      // The parser of ./h1server.ts takes the first bytes as they are.
      const direct = this.h1 !== undefined && !isTls && !h2;
      if (!direct) socket.unshift(chunk);
      if (isTls) {
        if (!this.tlsServer || mode === "disabled") {
          this.events.tlsRefused?.("TLS on a plaintext port");
          socket.destroy();
          return;
        }
        // The TLS socket takes over the handle and reads the unshifted bytes itself.
        const k = `${socket.remoteAddress}|${socket.remotePort}`;
        this.tlsPending.set(k, conn);
        socket.once("close", () => {
          if (this.tlsPending.get(k) === conn) this.tlsPending.delete(k);
        });
        this.tlsServer.emit("connection", socket);
        return;
      }
      if (mode === "strict") {
        this.events.plaintextRefused?.();
        socket.destroy();
        return;
      }
      if (h2) this.handTo2(socket, conn);
      else if (this.h1) this.h1.plain.serve(socket, chunk);
      else this.http1!.emit("connection", socket);
    };
    socket.on("data", sniff);
  }

  /** Starts listening. Resolves with the bound port. */
  listen(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once("error", onError);
      this.server.listen({ host: address, port, backlog: 1024 }, () => {
        this.server.off("error", onError);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Open connections (accepted and not yet closed). */
  get connections(): number {
    return this.conns.size;
  }

  /** The bound port. */
  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting new connections (the port is free again); connections already open go on. */
  async stopAccepting(): Promise<void> {
    this.draining = true;
    if (!this.server.listening) return;
    // close() stops accepting at once; its callback would wait for every connection to end.
    this.server.close();
    await new Promise((r) => setImmediate(r));
  }

  /**
   * Stops accepting and drains: in-flight requests may finish (responses ask HTTP/1.1 clients to close,
   * HTTP/2 sessions get GOAWAY); after `timeoutMs` everything left is destroyed.
   */
  async drain(timeoutMs = this.limits.drainTimeoutMs): Promise<void> {
    await this.stopAccepting();
    for (const s of this.sessions) s.close();
    for (const h of this.hops) h.goAway();
    this.http1?.closeIdleConnections();
    if (this.http1Peers !== this.http1) this.http1Peers?.closeIdleConnections();
    this.h1?.plain.closeIdle();
    if (this.h1 && this.h1.peers !== this.h1.plain) this.h1.peers.closeIdle();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.http1?.closeIdleConnections();
    if (this.http1Peers !== this.http1) this.http1Peers?.closeIdleConnections();
    this.h1?.plain.closeIdle();
    if (this.h1 && this.h1.peers !== this.h1.plain) this.h1.peers.closeIdle();
    for (const s of this.sockets) s.destroy();
    for (const s of this.sessions) s.destroy();
    for (const h of this.hops) h.destroy();
    this.http1?.close();
    if (this.http1Peers !== this.http1) this.http1Peers?.close();
    this.h1?.plain.close();
    if (this.h1 && this.h1.peers !== this.h1.plain) this.h1.peers.close();
    this.tlsServer?.close();
  }
}
