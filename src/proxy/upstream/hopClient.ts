/**
 * The client side of the hop protocol (../net/hop.ts): a dispatcher (undici's dispatch API, so the
 * caller's timeouts, retries and outlier detection in ./exchange.ts apply unchanged) that sends the
 * requests of one calling identity to the inbound listeners of this proxy that have one identity, as
 * streams over few mutual-TLS connections (up to the server's `maxStreams` each): a stream names its
 * instance (`t`), rides any connection of the client with room, and a new connection goes to the
 * listener of the stream that needs it. The TLS session is the same as on the HTTP path:
 * the caller's certificate, the destination's SPIFFE ID required of the server (secure naming), the
 * issuer check in a virtual mesh. A server that does not choose `unimesh-hop/1` by ALPN (an older
 * unimesh, `hopProtocol: http`) gets the requests over HTTP (each instance's own fallback pool) for a minute, then the
 * protocol is offered again.
 */
import tls from "node:tls";
import type { Readable } from "node:stream";
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { issuerMismatch, spiffeFromSan, type PeerCertificate } from "../identity/ca.js";
import type { IdentityCert } from "../identity/certs.js";
import {
  END_STREAM,
  FrameDeadline,
  FrameReader,
  FrameWriter,
  HOP_ALPN,
  MAX_DATA,
  ResetCode,
  T_DATA,
  T_END,
  T_GOAWAY,
  T_REQUEST,
  T_RESET,
  T_RESPONSE,
  T_SETTINGS,
  T_WINDOW,
  WINDOW,
  checkHeaders,
  parseObject,
  resetPayload,
  u32,
} from "../net/hop.js";
import { IdTable } from "../idTable.js";
import { clientOnRead } from "../net/tlsReads.js";

/** Streams per connection at most (also bounded by the server's SETTINGS). */
const CLIENT_MAX_STREAMS = 100;
/** How long a server that did not choose the hop protocol gets HTTP before it is offered again, in ms. */
const FALLBACK_MS = 60_000;
/** Bytes a connection's socket may hold unsent before request bodies wait for it to drain. */
const MAX_BACKLOG = 1024 * 1024;
/** The largest frame accepted from a server (a response head is bounded by this too), in bytes. */
const MAX_FRAME = 1024 * 1024;
/** The largest stream id (31 bits). */
const MAX_STREAM_ID = 0x7fffffff;
/** The longest keep-alive a server's SETTINGS may ask for (a day; Node timers take at most 2^31 - 1 ms). */
const MAX_KEEPALIVE_MS = 86_400_000;
/**
 * How long a frame from the server may take to arrive once its first bytes came, by default, in ms (the
 * default `limits.headersTimeoutMs`, which bounds the frames a hop server receives).
 */
export const FRAME_TIMEOUT_MS = 10_000;

/** Where a hop client connects and how it proves and checks identities. */
export interface HopTarget {
  address: string;
  port: number;
  cert: IdentityCert;
  expectServer: string;
  checkIssuer?: boolean;
  connectTimeoutMs?: number;
  /** Close a connection idle this long (connectionPool.idleTimeoutMs), at most the server's keep-alive less 2 s, in ms. */
  idleTimeoutMs?: number;
  /**
   * Close a connection on which a frame from the server stays incomplete this long, failing its streams
   * (a server holding them with the start of a frame), in ms ({@link FRAME_TIMEOUT_MS} by default; up to
   * twice as long, net/hop.ts FrameDeadline).
   */
  frameTimeoutMs?: number;
}

class HopError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A listener: where a connection goes. */
export interface HopListener {
  address: string;
  port: number;
}

/** Where one stream goes: an instance of this proxy (net/hop.ts `t`), its listener, and its HTTP dispatcher for a server without the hop protocol. */
interface StreamTarget {
  instance: string | undefined;
  at: HopListener;
  fallback: () => Pick<Dispatcher, "dispatch">;
}

/**
 * The TLS sessions of this process's hop-client connections, each by a value both ends of a session
 * derive and no one else can ({@link hopSessionKey}). An inbound listener lets a stream name another
 * instance (`t`) only on one of them: one proxy's listeners share connections among themselves, and a
 * peer from anywhere else reaches the listener's own instance only, as before (runtime.ts). (Not the
 * client's address and port: two live connections to different listeners can share a local port.)
 */
export const ownHopSessions = new Set<string>();

/**
 * A value of a TLS session that both of its ends derive from its master secret and no one else can
 * (exported keying material, RFC 5705 / RFC 8446 §7.5, label `EXPORTER-unimesh-hop-own`), as hex; undefined
 * when the session is not established.
 */
export function hopSessionKey(socket: tls.TLSSocket): string | undefined {
  try {
    return socket.exportKeyingMaterial(32, "EXPORTER-unimesh-hop-own", Buffer.alloc(0)).toString("hex");
  } catch {
    return undefined;
  }
}

/**
 * The hop client of one calling identity to one proxy's listeners of one identity: its connections go to
 * `target.address:port`, and a stream may name another instance of that proxy with the same identity
 * ({@link to}), as ztunnel pools HBONE connections per source identity, destination identity and node.
 */
export class HopClient implements Pick<Dispatcher, "dispatch"> {
  private conns: HopClientConnection[] = [];
  private fallbackUntil = 0;
  private closing = false;
  private readonly own: StreamTarget;
  private readonly targets = new Map<string, { target: StreamTarget; dispatcher: Pick<Dispatcher, "dispatch"> }>();

  constructor(
    readonly target: HopTarget,
    /** The HTTP dispatcher for a server that does not speak the hop protocol (the streams of {@link dispatch}). */
    readonly fallback: () => Pick<Dispatcher, "dispatch">,
  ) {
    this.own = { instance: undefined, at: { address: target.address, port: target.port }, fallback };
  }

  /** The streams of the listener's own instance. */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.send(this.own, opts, handler);
  }

  /**
   * A dispatcher whose streams are for `instance` (an instance id of this proxy; its listener key is
   * `inbound|<id>`), bound at `at` (the listener binding object: a reload makes a new one), on this
   * client's connections; `fallback`: that instance's own HTTP dispatcher, for a server that does not
   * choose the hop protocol. Kept per instance while `at` is the same object.
   */
  to(instance: string, at: HopListener, fallback: () => Pick<Dispatcher, "dispatch">): Pick<Dispatcher, "dispatch"> {
    let e = this.targets.get(instance);
    if (!e || e.target.at !== at) {
      const target: StreamTarget = { instance, at, fallback };
      e = { target, dispatcher: { dispatch: (opts, handler) => this.send(target, opts, handler) } };
      this.targets.set(instance, e);
    }
    return e.dispatcher;
  }

  /**
   * A listener going away (moved or removed by a reload): its connections take no new stream and close
   * once their streams ended; the streams of its instance are forgotten.
   */
  async retire(address: string, port: number): Promise<void> {
    for (const [k, e] of this.targets) if (e.target.at.address === address && e.target.at.port === port) this.targets.delete(k);
    await Promise.all(this.conns.filter((c) => c.address === address && c.port === port).map((c) => c.retire()));
  }

  private send(t: StreamTarget, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closing) throw new HopError("the hop client is closed", "UND_ERR_CLOSED");
    if (Date.now() < this.fallbackUntil) return t.fallback().dispatch(opts, handler);
    const s = new ClientStream(opts, handler, t);
    if (!s.aborted) this.place(s);
    return true;
  }

  /**
   * Puts a stream on a connection with room: an established one, or one still opening to the stream's
   * own listener (a stream never waits on a connection to another listener, whose failure would be
   * counted against its instance); a new one to its own listener when none has room. A stream that names
   * no instance ({@link dispatch}) rides connections to the client's own listener only.
   */
  place(s: ClientStream): void {
    const { instance, at } = s.target;
    const own = (x: HopClientConnection) => x.address === at.address && x.port === at.port;
    let c = this.conns.find((x) => x.hasRoom && (instance === undefined ? own(x) : x.established || own(x)));
    if (!c) {
      c = new HopClientConnection(this, s.target.at.address, s.target.at.port);
      this.conns.push(c);
    }
    c.add(s);
  }

  /** The server did not choose the hop protocol: HTTP for a while; the waiting streams go there. */
  fallBack(waiting: ClientStream[]): void {
    this.fallbackUntil = Date.now() + FALLBACK_MS;
    for (const s of waiting) if (!s.aborted) s.target.fallback().dispatch(s.opts, s.handler);
  }

  forget(c: HopClientConnection): void {
    this.conns = this.conns.filter((x) => x !== c);
  }

  /** Open connections. */
  get connected(): number {
    return this.conns.length;
  }

  /** Closes once the streams in flight ended. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.conns.map((c) => c.closeWhenIdle()));
  }

  /** Closes now: streams in flight fail. */
  async destroy(): Promise<void> {
    this.closing = true;
    for (const c of this.conns) c.socket.destroy();
  }
}

/** One connection of a hop client. */
class HopClientConnection {
  readonly socket: tls.TLSSocket;
  readonly writer: FrameWriter;
  private ready = false;
  goingAway = false;
  private closed = false;
  private maxStreams = CLIENT_MAX_STREAMS;
  private keepAliveMs = 60_000;
  private nextId = 1;
  private readonly streams = new IdTable<ClientStream>();
  private waiting: ClientStream[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private settingsTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Each read of the socket (through `onread`), set in the constructor once the frame reader exists. */
  private onChunk: (chunk: Buffer) => void = () => undefined;

  constructor(
    private readonly client: HopClient,
    readonly address: string,
    readonly port: number,
  ) {
    const t = client.target;
    this.socket = tls.connect({
      host: address,
      port,
      secureContext: t.cert.secureContext,
      ALPNProtocols: [HOP_ALPN, "http/1.1"],
      minVersion: "TLSv1.2",
      // Reads through one reused buffer, copied out at their size (net/tlsReads.ts: Node 24+ reads TLS into 64 KiB buffers).
      onread: clientOnRead((chunk) => this.onChunk(chunk)),
      // Secure naming: the server must present the destination's SPIFFE ID (its chain is verified by the CA).
      checkServerIdentity: (_host: string, peer: PeerCertificate) => {
        const got = spiffeFromSan(peer.subjectaltname);
        if (got !== t.expectServer) return new Error(`upstream identity ${got ?? "(none)"} is not the expected ${t.expectServer}`);
        const why = t.checkIssuer ? issuerMismatch(peer) : undefined;
        return why ? new Error(`upstream certificate refused: ${why}`) : undefined;
      },
    } as tls.ConnectionOptions);
    this.socket.setNoDelay(true);
    this.writer = new FrameWriter(this.socket);
    const connectTimer = setTimeout(
      () => this.socket.destroy(new HopError(`connect timeout after ${t.connectTimeoutMs ?? 10_000} ms`, "UND_ERR_CONNECT_TIMEOUT")),
      t.connectTimeoutMs ?? 10_000,
    );
    let sessionKey: string | undefined;
    this.socket.once("secureConnect", () => {
      clearTimeout(connectTimer);
      sessionKey = hopSessionKey(this.socket);
      if (sessionKey) ownHopSessions.add(sessionKey);
      // The server's SETTINGS come right after the handshake: a server that never sends them fails the
      // connection (its waiting requests fail as a connect failure) instead of holding them forever.
      this.settingsTimer = setTimeout(
        () => this.socket.destroy(new HopError("the server sent no hop-protocol SETTINGS after the handshake", "UND_ERR_CONNECT_TIMEOUT")),
        t.connectTimeoutMs ?? 10_000,
      );
      if (this.socket.alpnProtocol !== HOP_ALPN) {
        const w = this.waiting;
        this.waiting = [];
        this.closed = true;
        this.client.forget(this);
        this.socket.destroy();
        this.client.fallBack(w);
      }
    });
    const reader = new FrameReader(
      MAX_FRAME,
      (type, flags, id, payload) => this.onFrame(type, flags, id, payload),
      (why) => this.socket.destroy(new HopError(`hop protocol error from the server: ${why}`, "UND_ERR_SOCKET")),
    );
    const frameMs = t.frameTimeoutMs ?? FRAME_TIMEOUT_MS;
    const deadline = new FrameDeadline(reader, frameMs, () =>
      this.socket.destroy(new HopError(`hop protocol error from the server: a frame was not completed within ${frameMs} ms`, "UND_ERR_SOCKET")),
    );
    this.onChunk = (chunk: Buffer) => {
      reader.push(chunk);
      deadline.read();
    };
    let error: Error | undefined;
    this.socket.on("error", (e: Error) => {
      error = e;
      clearTimeout(connectTimer);
    });
    this.socket.on("close", () => {
      if (sessionKey) ownHopSessions.delete(sessionKey);
      clearTimeout(connectTimer);
      clearTimeout(this.settingsTimer);
      deadline.stop();
      this.onClose(error ?? new HopError("other side closed", "UND_ERR_SOCKET"));
    });
  }

  /** The server's SETTINGS arrived: streams go out at once. */
  get established(): boolean {
    return this.ready && !this.closed;
  }

  get hasRoom(): boolean {
    return !this.closed && !this.goingAway && this.streams.size + this.waiting.length < this.maxStreams;
  }

  add(s: ClientStream): void {
    clearTimeout(this.idleTimer);
    if (!this.ready) this.waiting.push(s);
    else this.open(s);
  }

  private open(s: ClientStream): void {
    const id = this.nextId;
    this.nextId += 2;
    // Stream ids are 31 bits, never reused: a connection that used them all takes no new stream, and
    // closes once its streams ended (as HTTP/2 does, RFC 9113 §5.1.1).
    if (this.nextId > MAX_STREAM_ID) this.goingAway = true;
    this.streams.set(id, s);
    s.attach(this, id);
  }

  /** A stream ended. */
  detach(id: number): void {
    if (!this.streams.delete(id) || this.streams.size) return;
    if (this.goingAway || this.idleWaiters.length) this.end();
    else {
      clearTimeout(this.idleTimer);
      // Closed before the server's idle timeout, so that no request races the server closing.
      const idle = Math.max(1000, this.keepAliveMs - 2000);
      this.idleTimer = setTimeout(() => this.end(), Math.min(idle, this.client.target.idleTimeoutMs ?? idle)).unref();
    }
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.forget(this);
    this.writer.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Takes no new stream; closes once the streams in flight ended. */
  retire(): Promise<void> {
    this.goingAway = true;
    return this.closeWhenIdle();
  }

  closeWhenIdle(): Promise<void> {
    if (this.closed || (!this.streams.size && !this.waiting.length)) {
      this.end();
      return Promise.resolve();
    }
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private onClose(err: Error): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.client.forget(this);
    for (const s of this.waiting.splice(0)) s.fail(err);
    for (const s of [...this.streams.values()]) s.fail(err);
    this.streams.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): boolean {
    if (type === T_SETTINGS) {
      const o = parseObject(payload);
      if (o && typeof o.maxStreams === "number" && o.maxStreams >= 1) this.maxStreams = Math.min(CLIENT_MAX_STREAMS, Math.floor(o.maxStreams));
      if (o && typeof o.keepAliveMs === "number" && o.keepAliveMs >= 1) this.keepAliveMs = Math.min(o.keepAliveMs, MAX_KEEPALIVE_MS);
      if (!this.ready) {
        this.ready = true;
        clearTimeout(this.settingsTimer);
        const w = this.waiting;
        this.waiting = [];
        for (const s of w) {
          if (s.aborted) continue;
          if (this.streams.size < this.maxStreams) this.open(s);
          else this.client.place(s);
        }
      }
      return true;
    }
    if (type === T_GOAWAY) {
      this.goingAway = true;
      const last = payload.length === 4 ? payload.readUInt32BE(0) : 0;
      // Streams after the last one the server takes were not processed: they go on another connection.
      for (const [sid, s] of [...this.streams]) {
        if (sid <= last) continue;
        this.streams.delete(sid);
        s.replace(this.client);
      }
      if (!this.streams.size) this.end();
      return true;
    }
    const s = this.streams.get(id);
    if (!s) return true; // a stream this side already ended (reset, aborted)
    switch (type) {
      case T_RESPONSE:
        s.onResponse(payload, (flags & END_STREAM) !== 0);
        break;
      case T_DATA:
        s.onData(payload);
        break;
      case T_END:
        s.onEnd(payload);
        break;
      case T_RESET:
        s.onReset(payload);
        break;
      case T_WINDOW:
        if (payload.length === 4) s.credit(payload.readUInt32BE(0));
        break;
      default:
        this.socket.destroy(new HopError(`hop protocol error from the server: unknown frame type ${type}`, "UND_ERR_SOCKET"));
        return false;
    }
    return true;
  }
}

/** One request: undici's controller for the caller's handler. */
class ClientStream implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  private conn: HopClientConnection | undefined;
  private id = 0;
  private done = false;
  private gotHead = false;
  /** Request body bytes the server still accepts. */
  private window = WINDOW;
  private creditWaiter: (() => void) | undefined;
  /** Response bytes handed to the caller and not acknowledged yet. */
  private unacked = 0;
  /** The request body was started (a stream body cannot be sent again). */
  private bodyStarted = false;
  /**
   * Body bytes the response may carry (its content-length; 0 for HEAD, 204 and 304; -1: not said) and
   * bytes received. More, or fewer at END, fails the stream, as undici fails an HTTP/1.1 answer
   * (UND_ERR_RES_CONTENT_LENGTH_MISMATCH): bytes past the length would reach the caller's connection
   * as the start of its next response.
   */
  private expected = -1;
  private received = 0;

  constructor(
    readonly opts: Dispatcher.DispatchOptions,
    readonly handler: Dispatcher.DispatchHandler,
    readonly target: StreamTarget,
  ) {
    handler.onRequestStart?.(this, {});
  }

  abort(reason: Error): void {
    if (this.done || this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    if (this.conn && this.id) {
      this.conn.writer.frame(T_RESET, 0, this.id, resetPayload(ResetCode.Cancel, reason.message));
      this.conn.detach(this.id);
    }
    this.done = true;
    this.creditWaiter?.();
    queueMicrotask(() => this.handler.onResponseError?.(this, reason));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.ack();
  }

  /** Sent on `conn` as stream `id`: the request head, then the body. */
  attach(conn: HopClientConnection, id: number): void {
    this.conn = conn;
    this.id = id;
    const o = this.opts;
    let body = o.body as Buffer | string | Readable | AsyncIterable<Buffer> | null | undefined;
    if (typeof body === "string") body = Buffer.from(body);
    const empty = body == null || (Buffer.isBuffer(body) && body.length === 0);
    const t = this.target.instance;
    conn.writer.json(
      T_REQUEST,
      empty ? END_STREAM : 0,
      id,
      t === undefined ? { m: o.method, p: o.path, h: o.headers ?? {} } : { m: o.method, p: o.path, h: o.headers ?? {}, t },
    );
    if (empty) return;
    this.bodyStarted = true;
    if (Buffer.isBuffer(body)) void this.sendBuffer(body);
    else void this.pump(body as AsyncIterable<Buffer>);
  }

  /** Not processed by a server going away: sent again on another connection (a body already streamed cannot be). */
  replace(client: HopClient): void {
    const b = this.opts.body;
    if (this.bodyStarted && !(b == null || Buffer.isBuffer(b) || typeof b === "string")) {
      this.fail(new HopError("REFUSED_STREAM: the server went away before this request", "UND_ERR_SOCKET"));
      return;
    }
    this.conn = undefined;
    this.id = 0;
    this.window = WINDOW;
    this.bodyStarted = false;
    client.place(this);
  }

  /** Waits for the server's credit, and for the socket to drain when it holds over MAX_BACKLOG bytes not sent yet. */
  private async waitCredit(): Promise<void> {
    while (!this.done && this.window <= 0) await new Promise<void>((r) => (this.creditWaiter = r));
    // A server that grants credit but does not read must not make this proxy buffer the whole upload.
    const c = this.conn;
    const s = c?.socket;
    while (!this.done && c && s && !s.destroyed && c.writer.backlog > MAX_BACKLOG) {
      c.writer.flush();
      if (s.writableLength <= MAX_BACKLOG) break;
      await new Promise<void>((r) => {
        const go = () => {
          s.off("drain", go);
          s.off("close", go);
          r();
        };
        s.once("drain", go);
        s.once("close", go);
      });
    }
  }

  private async sendBuffer(b: Buffer): Promise<void> {
    let off = 0;
    const { conn, id } = this;
    while (off < b.length) {
      await this.waitCredit();
      if (this.done || this.conn !== conn) return;
      const n = Math.min(b.length - off, this.window, MAX_DATA);
      off += n;
      this.window -= n;
      conn!.writer.frame(T_DATA, off === b.length ? END_STREAM : 0, id, b.subarray(off - n, off));
    }
  }

  private async pump(body: AsyncIterable<Buffer>): Promise<void> {
    const { conn, id } = this;
    try {
      for await (const raw of body) {
        const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
        let off = 0;
        while (off < chunk.length) {
          await this.waitCredit();
          if (this.done) return;
          const n = Math.min(chunk.length - off, this.window, MAX_DATA);
          this.window -= n;
          conn!.writer.frame(T_DATA, 0, id, chunk.subarray(off, off + n));
          off += n;
        }
        if (this.done) return;
      }
      if (!this.done) conn!.writer.frame(T_DATA, END_STREAM, id);
    } catch (e) {
      this.abort(e as Error);
    }
  }

  credit(n: number): void {
    this.window += n;
    const w = this.creditWaiter;
    this.creditWaiter = undefined;
    w?.();
  }

  private ack(): void {
    if (this.paused || this.done || !this.unacked || !this.conn) return;
    this.conn.writer.frame(T_WINDOW, 0, this.id, u32(this.unacked));
    this.unacked = 0;
  }

  private end(): void {
    this.done = true;
    this.creditWaiter?.();
    this.conn?.detach(this.id);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.creditWaiter?.();
    this.handler.onResponseError?.(this, err);
  }

  /** A protocol error of the server on this stream: the stream fails (and is reset). */
  private broken(why: string): void {
    if (this.done) return;
    this.conn?.writer.frame(T_RESET, 0, this.id, resetPayload(ResetCode.Protocol, why));
    this.end();
    this.handler.onResponseError?.(this, new HopError(`hop protocol error from the server: ${why}`, "UND_ERR_SOCKET"));
  }

  onResponse(payload: Buffer, end: boolean): void {
    if (this.gotHead) return this.broken("a second response head");
    const o = parseObject(payload);
    const s = o?.s;
    if (!o || typeof s !== "number" || !Number.isInteger(s) || s < 200 || s > 999) return this.broken("a malformed response head");
    if (typeof checkHeaders(o.h, MAX_FRAME) === "string") return this.broken("malformed response headers");
    const cl = (o.h as IncomingHttpHeaders)["content-length"];
    if (cl !== undefined) {
      if (typeof cl !== "string" || !/^[0-9]{1,15}$/.test(cl)) return this.broken("a malformed content-length");
      this.expected = Number(cl);
    }
    if (this.opts.method === "HEAD" || s === 204 || s === 304) this.expected = 0;
    else if (end && this.expected > 0) return this.broken("a response without the body its content-length announces");
    this.gotHead = true;
    this.handler.onResponseStart?.(this, s, o.h as IncomingHttpHeaders, "");
    if (end && !this.done) {
      this.end();
      this.handler.onResponseEnd?.(this, {});
    }
  }

  onData(payload: Buffer): void {
    if (!this.gotHead) return this.broken("DATA before the response head");
    if (this.done) return;
    // A server may have one window of the stream unacknowledged: more ignored the flow control.
    this.unacked += payload.length;
    if (this.unacked > WINDOW) return this.broken("DATA past the flow-control window");
    this.received += payload.length;
    if (this.expected >= 0 && this.received > this.expected) return this.broken("DATA past the response's content-length");
    this.handler.onResponseData?.(this, payload);
    if (this.unacked >= WINDOW / 2) this.ack();
  }

  onEnd(payload: Buffer): void {
    if (!this.gotHead) return this.broken("END before the response head");
    const trailers = payload.length ? parseObject(payload) : {};
    if (!trailers || typeof checkHeaders(trailers, MAX_FRAME) === "string") return this.broken("malformed trailers");
    if (this.received < this.expected) return this.broken("a response body shorter than its content-length");
    this.end();
    this.handler.onResponseEnd?.(this, trailers as IncomingHttpHeaders);
  }

  onReset(payload: Buffer): void {
    if (this.done) return;
    const reason = payload.length > 1 ? payload.subarray(1).toString() : "reset";
    this.end();
    this.handler.onResponseError?.(this, new HopError(`the server reset the stream: ${reason}`, "UND_ERR_SOCKET"));
  }
}
