/**
 * The server side of the hop protocol (./hop.ts) on an inbound listener: one mutual-TLS connection from
 * another proxy whose ALPN chose `unimesh-hop/1`. Each REQUEST frame becomes one request through the
 * instance's inbound side (the dispatcher the listener gives: the same access control, rate limit,
 * `x-forwarded-client-cert`, metrics and logs as a request over HTTP, on the connection's verified
 * peer identity), and its answer goes back as RESPONSE, DATA and END frames under flow control.
 *
 * A stream whose head names another instance of this proxy (`t`) goes to that instance's inbound side
 * instead, when `dispatcherFor` allows it (runtime.ts: only on a connection from this process's own hop
 * client, and only to an instance with the identity this connection's server certificate names).
 *
 * Everything a peer sends is checked as hostile input: frame sizes, stream ids, request heads (method
 * token, origin-form path, header names and values, their size: 431 over `maxHeaderBytes`; Host,
 * Content-Length and CONNECT as the HTTP/1.1 listeners answer them), a body's DATA against its
 * Content-Length (as HTTP/2's, RFC 9113 §8.1.1; its last bytes wait for the stream's end), the number of
 * concurrent streams (REFUSED beyond it), the flow-control window, the time to receive a request body
 * (`requestTimeoutMs`), and the idle time without a stream (`keepAliveMs`, then GOAWAY). Hop-by-hop
 * headers are dropped as on the HTTP path (RFC 9110 §7.6.1). A protocol error closes the connection.
 */
import { Readable } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import {
  END_STREAM,
  FrameDeadline,
  FrameReader,
  FrameWriter,
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
  checkRequestHead,
  parseObject,
  resetPayload,
  u32,
} from "./hop.js";
import { IdTable } from "../idTable.js";
import { HOST_VALUE } from "./requestTarget.js";
import { readThroughBuffer } from "./tlsReads.js";

/** What a hop connection needs from its listener. */
export interface HopServerOptions {
  /** Concurrent streams: a REQUEST beyond them is refused (REFUSED, the caller may send it again). */
  maxStreams: number;
  /** Bytes of a request head (path and headers): 431 beyond. */
  maxHeaderBytes: number;
  /** Idle time without a stream before GOAWAY and close, in milliseconds. */
  keepAliveMs: number;
  /** Time to receive a whole request body, in milliseconds. */
  requestTimeoutMs: number;
  /**
   * Time to receive the rest of a frame once its first bytes came (`limits.headersTimeoutMs`), in
   * milliseconds: up to twice as long when other frames completed meanwhile (./hop.ts FrameDeadline).
   */
  frameTimeoutMs: number;
  /** The instance's inbound side, for this connection's verified peer. */
  dispatcher: Pick<Dispatcher, "dispatch">;
  /**
   * The inbound side of another instance of this proxy for a stream whose head names it (`t`), or why
   * not (answered 503): it must have the identity this connection's server certificate names. Absent:
   * every stream that names a target is refused.
   */
  dispatcherFor?(target: string): Pick<Dispatcher, "dispatch"> | string;
  /** A stream started: returns what to call when it ends (in-flight accounting, draining). */
  streamStarted(): () => void;
  /** The connection was closed for a protocol error (metrics). */
  protocolError?(why: string): void;
  /** The connection was sent GOAWAY to protect the listener (`hop-premature-resets`; metrics). */
  shed?(reason: string): void;
}

/** Streams reset by the caller before their response after which, when they are most streams, the connection is closed. */
const PREMATURE_RESETS = 100;

/**
 * Bytes written and not yet taken by the caller beyond which streams stop sending (their apps are
 * paused) and the caller's frames are not read, until the socket drained: flow control bounds what a
 * stream has in flight, this bounds what a caller that does not read makes the proxy hold.
 */
const MAX_BACKLOG = 4 * WINDOW;

/** A Content-Length value: 1*DIGIT (RFC 9110 §8.6), at most 15 of them (a safe integer). */
const CONTENT_LENGTH = /^[0-9]{1,15}$/;

/** The largest flow-control window a caller may grant, in bytes (HTTP/2's). */
const MAX_WINDOW = 2 ** 31 - 1;

/** Local answers on a stream, as the HTTP path gives them (upstream/exchange.ts failureReply). */
export type FailureReply = (err: Error) => [status: number, body: string, flag: string];

/** One hop connection at an inbound listener. */
export class HopServerConnection {
  private readonly streams = new IdTable<ServerStream>();
  /** Streams whose requests start after the current read (see the "data" handler). */
  private starting: (() => void)[] = [];
  /** Streams opened, and streams the caller reset before their response was complete. */
  private opened = 0;
  private premature = 0;
  readonly writer: FrameWriter;
  private lastId = 0;
  private goingAway = false;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly deadline: FrameDeadline;

  constructor(
    readonly socket: TLSSocket,
    readonly o: HopServerOptions,
    readonly failureReply: FailureReply,
  ) {
    this.writer = new FrameWriter(socket);
    const reader = new FrameReader(
      Math.max(MAX_DATA, 2 * o.maxHeaderBytes + 1024),
      (type, flags, id, payload) => this.onFrame(type, flags, id, payload),
      (why) => this.protocolError(why),
    );
    // A frame begun must be completed within frameTimeoutMs (a slow-loris caller trickling a head).
    this.deadline = new FrameDeadline(reader, o.frameTimeoutMs, () => this.protocolError(`a frame was not completed within ${o.frameTimeoutMs} ms`));
    const onChunk = (chunk: Buffer): void => {
      reader.push(chunk);
      // Requests start once the frames already received are processed: a stream reset in the same
      // read costs nothing upstream (as the HTTP/2 path does against rapid reset, CVE-2023-44487), and
      // none starts when a protocol error in the same read closed the connection.
      const starting = this.starting;
      this.starting = [];
      if (!socket.destroyed) for (const st of starting) st();
      // A caller that does not read what it asked for: no more of its frames are read until the
      // socket drained (its requests would make answers pile up in memory).
      if (this.congested) socket.pause();
      this.deadline.read();
    };
    socket.on("drain", () => {
      if (socket.isPaused()) socket.resume();
      for (const s of [...this.streams.values()]) s.drain();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onClose());
    this.writer.json(T_SETTINGS, 0, 0, { maxStreams: o.maxStreams, keepAliveMs: o.keepAliveMs });
    // Through one reused buffer where this Node allows it (net/tlsReads.ts: Node 24+ reads TLS into 64 KiB
    // buffers); once every listener is on and SETTINGS is queued, so that even bytes Node buffered before
    // (delivered now) are answered after it.
    this.armIdle();
    if (!readThroughBuffer(socket, onChunk)) socket.on("data", onChunk);
  }

  /** True while the socket holds over {@link MAX_BACKLOG} bytes the caller did not take: streams hold their data. */
  get congested(): boolean {
    return this.writer.backlog >= MAX_BACKLOG;
  }

  /** Streams in flight. */
  get active(): number {
    return this.streams.size;
  }

  /** Stops taking new streams (GOAWAY with the last stream id taken); closes once the streams in flight ended. */
  goAway(): void {
    if (this.goingAway || this.closed) return;
    this.goingAway = true;
    this.writer.frame(T_GOAWAY, 0, 0, u32(this.lastId));
    if (!this.streams.size) this.end();
  }

  /** Closes now: streams in flight are abandoned. */
  destroy(): void {
    this.socket.destroy();
  }

  private end(): void {
    this.writer.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Closes the connection for a protocol error (GOAWAY first). */
  protocolError(why: string): void {
    if (this.closed) return;
    this.o.protocolError?.(why);
    this.goingAway = true;
    this.writer.frame(T_GOAWAY, 0, 0, u32(this.lastId));
    this.writer.flush();
    this.socket.destroy();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.goAway(), this.o.keepAliveMs).unref();
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.deadline.stop();
    for (const s of [...this.streams.values()]) s.cancel(new Error("connection closed"));
  }

  /** A stream ended (from ServerStream). */
  ended(s: ServerStream): void {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    if (this.streams.size) return;
    if (this.goingAway) this.end();
    else this.armIdle();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    switch (type) {
      case T_REQUEST:
        return this.onRequest(flags, id, payload);
      case T_DATA: {
        const s = this.streams.get(id);
        if (!s) {
          if (id > this.lastId) this.protocolError(`DATA on stream ${id}, never opened`);
          return !this.closed;
        }
        return s.recvData(payload, (flags & END_STREAM) !== 0);
      }
      case T_RESET: {
        const s = this.streams.get(id);
        if (!s) return true;
        s.cancel(new Error("cancelled by the caller"));
        // Like the HTTP/2 path (Envoy's premature-reset check), a caller that resets most of its
        // streams before their response is complete loses the connection — but by GOAWAY: the
        // streams in flight finish and a legitimate proxy moves to a new connection without failing
        // a request (it resets streams when its own clients go away, e.g. an HTTP/2 rapid-reset
        // attack on its outbound listener, and one attacker must not break everyone's connection).
        // A hostile peer pays a TLS handshake per PREMATURE_RESETS resets.
        if (++this.premature >= PREMATURE_RESETS && this.premature * 2 > this.opened && !this.goingAway) {
          this.o.shed?.("hop-premature-resets");
          this.goAway();
        }
        return true;
      }
      case T_WINDOW:
        if (payload.length !== 4) {
          this.protocolError("a WINDOW frame without a 4-byte increment");
          return false;
        }
        this.streams.get(id)?.credit(payload.readUInt32BE(0));
        return true;
      case T_GOAWAY:
      case T_SETTINGS:
        return true;
      default:
        this.protocolError(`unknown frame type ${type}`);
        return false;
    }
  }

  private onRequest(flags: number, id: number, payload: Buffer): boolean {
    if (id % 2 !== 1 || id <= this.lastId) {
      this.protocolError(`stream id ${id} is not odd and increasing`);
      return false;
    }
    this.lastId = id;
    if (this.goingAway || this.streams.size >= this.o.maxStreams) {
      this.writer.frame(T_RESET, 0, id, resetPayload(ResetCode.Refused, "REFUSED_STREAM: too many streams or going away"));
      return true;
    }
    const head = parseObject(payload);
    const bad = head ? checkRequestHead(head) : "the request head is not a JSON object";
    if (bad) {
      this.protocolError(bad);
      return false;
    }
    const checked = checkHeaders(head!.h, Number.MAX_SAFE_INTEGER);
    if (typeof checked === "string") {
      this.protocolError(checked);
      return false;
    }
    // Exactly one Host, one Content-Length at most (RFC 9112 §3.2, §6.3: other requests are malformed).
    const h = head!.h as Record<string, string | string[]>;
    if (typeof h.host !== "string" || Array.isArray(h["content-length"])) {
      this.protocolError(typeof h.host !== "string" ? "a request head without exactly one host" : "several content-length values");
      return false;
    }
    // The Content-Length states the body the DATA frames carry, as in HTTP/2 (RFC 9113 §8.1.1: a request
    // whose DATA does not add up to it is malformed): a head that ends the stream announces none.
    const cl = h["content-length"];
    const length = cl !== undefined && CONTENT_LENGTH.test(cl) ? Number(cl) : undefined;
    if (length && flags & END_STREAM) {
      this.protocolError(`a request head that announces ${length} bytes of body ends its stream`);
      return false;
    }
    clearTimeout(this.idleTimer);
    const s = new ServerStream(this, id, !(flags & END_STREAM), head!.m === "HEAD", length);
    this.streams.set(id, s);
    const t = head!.t as string | undefined;
    const to = t === undefined ? this.o.dispatcher : (this.o.dispatcherFor?.(t) ?? "this listener serves its own instance only");
    if (typeof to === "string") {
      s.localReply(503, `unimesh: ${to}`);
      return true;
    }
    const path = head!.p as string;
    if (checked + path.length > this.o.maxHeaderBytes) {
      s.localReply(431, "unimesh: request header fields too large");
      return true;
    }
    // Methods are case-sensitive (RFC 9110 §9.1) and the HTTP/1.1 path takes upper-case ones only: an app
    // that upper-cases them (Django, Werkzeug) would run as DELETE a "delete" that a rule on DELETE never matched.
    if (/[a-z]/.test(head!.m as string)) {
      s.localReply(400, "unimesh: the method has lower-case letters", "DPE");
      return true;
    }
    // As the HTTP/1.1 listeners answer (net/listener.ts refusedRequestHead, and Node's parser for a
    // Content-Length that is not 1*DIGIT, RFC 9110 §8.6): a Host they refuse, and CONNECT.
    if (cl !== undefined && length === undefined) {
      s.localReply(400, "unimesh: an invalid content-length", "DPE");
      return true;
    }
    if (!HOST_VALUE.test(h.host)) {
      s.localReply(400, "unimesh: an invalid host header", "DPE");
      return true;
    }
    if (head!.m === "CONNECT") {
      s.localReply(403, "unimesh: CONNECT is not supported", "DPE");
      return true;
    }
    // The inbound side (upstream/inline.ts) drops the hop-by-hop ones, and access control decides on
    // what the app gets, as on the HTTP path. It builds the app's map (appRequestHeaders) and changes
    // nothing in this one, which is the stream's own (parsed from its frame): no copy.
    this.opened++;
    this.starting.push(() => s.start(to, head!.m as string, path, h));
    return true;
  }
}

/** One stream: the request body coming in, the response going out under the caller's flow control. */
class ServerStream implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;
  private cancelled = false;
  private headSent = false;
  /** Response bytes the caller still accepts. */
  private window = WINDOW;
  private queue: Buffer[] = [];
  private queuedEnd: IncomingHttpHeaders | undefined | null = null;
  private paused = false;
  private readonly finished: () => void;
  /** The request body (null: none). */
  private body: Readable | null = null;
  private bodyEnded = false;
  private received = 0;
  private granted = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The last body bytes, held until the stream's end confirms the Content-Length they complete. */
  private held: Buffer | undefined;

  constructor(
    private readonly conn: HopServerConnection,
    readonly id: number,
    hasBody: boolean,
    /** A HEAD request: its response has no body (RFC 9110 §9.3.2), whatever the app or a local answer writes. */
    private readonly headOnly = false,
    /** The body's Content-Length, when the head states one: the DATA frames must add up to it. */
    private readonly length?: number,
  ) {
    this.finished = conn.o.streamStarted();
    if (hasBody) {
      this.body = new Readable({ highWaterMark: WINDOW, read: () => this.grant() });
      this.body.on("error", () => {});
      this.timer = setTimeout(() => this.cancel(new Error("request timeout")), conn.o.requestTimeoutMs);
    }
  }

  start(dispatcher: Pick<Dispatcher, "dispatch">, method: string, path: string, headers: Record<string, string | string[] | undefined>): void {
    if (this.done) return;
    try {
      dispatcher.dispatch({ method, path, headers: headers as Record<string, string>, body: this.body, headersTimeout: 0, bodyTimeout: 0 }, this);
    } catch (e) {
      this.onResponseError(undefined, e as Error);
    }
  }

  /** Body bytes from the caller. */
  recvData(payload: Buffer, end: boolean): boolean {
    if (!this.body || this.bodyEnded) {
      // DATA after the body ended, or on a stream that announced none.
      this.conn.protocolError(`DATA on stream ${this.id} after its request ended`);
      return false;
    }
    this.received += payload.length;
    if (this.received - this.granted > WINDOW) {
      this.conn.protocolError(`stream ${this.id} sent more than its flow-control window`);
      return false;
    }
    const length = this.length;
    if (length !== undefined && (this.received > length || (end && this.received < length))) {
      this.conn.protocolError(`stream ${this.id} sent ${this.received > length ? "more" : "less"} body than its content-length (${length})`);
      return false;
    }
    let chunk: Buffer | undefined = payload.length ? Buffer.from(payload) : undefined;
    if (length !== undefined && this.received === length && !end) {
      // The body is complete by its length but its stream has not ended: its last bytes wait for the end,
      // so that the app never has a complete request whose DATA then goes on (refused above).
      if (chunk) this.held = chunk;
      chunk = undefined;
    } else if (end && this.held) {
      // Nothing came with the end (more would be past the length).
      chunk = this.held;
      this.held = undefined;
    }
    if (chunk && !this.body.push(chunk)) {
      // Granted when the consumer reads (read()).
    } else if (this.received - this.granted >= WINDOW / 4) this.grant();
    if (end) {
      this.bodyEnded = true;
      clearTimeout(this.timer);
      this.body.push(null);
    }
    return true;
  }

  private grant(): void {
    if (this.done || this.bodyEnded) return;
    const n = this.received - this.granted;
    if (n <= 0) return;
    this.granted = this.received;
    this.conn.writer.frame(T_WINDOW, 0, this.id, u32(n));
  }

  /** The caller gave up, the connection closed, or the request timed out. */
  cancel(err: Error): void {
    if (this.done) return;
    const wasCancelled = this.cancelled;
    this.cancelled = true;
    if (err.message === "request timeout" && !wasCancelled)
      this.conn.writer.frame(T_RESET, 0, this.id, resetPayload(ResetCode.Protocol, "request body not received in time"));
    this.body?.destroy(err);
    this.controller?.abort(err);
    this.finish();
  }

  /** More response bytes the caller accepts. */
  credit(n: number): void {
    if (this.done) return;
    // As HTTP/2's (RFC 9113 §6.9.1): a window past 2^31-1 bytes is a flow-control error (an increment that overflows).
    if (this.window + n > MAX_WINDOW) {
      this.conn.protocolError(`WINDOW on stream ${this.id} past the flow-control window`);
      return;
    }
    this.window += n;
    this.drain();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.finished();
    this.conn.ended(this);
  }

  /** Answers locally (before anything was sent). */
  localReply(status: number, body: string, flag?: string): void {
    const b = Buffer.from(body);
    const h: Record<string, string> = { "content-type": "text/plain; charset=utf-8", "content-length": String(b.length) };
    if (flag) h["x-unimesh-flag"] = flag;
    this.headSent = true;
    this.conn.writer.json(T_RESPONSE, 0, this.id, { s: status, h });
    if (!this.headOnly) this.conn.writer.frame(T_DATA, 0, this.id, b);
    this.conn.writer.frame(T_END, 0, this.id);
    this.body?.destroy();
    this.finish();
  }

  private sendData(chunk: Buffer): void {
    for (let off = 0; off < chunk.length; off += MAX_DATA) this.conn.writer.frame(T_DATA, 0, this.id, chunk.subarray(off, off + MAX_DATA));
    this.window -= chunk.length;
  }

  /** Sends what the window allows (nothing while the connection is congested); resumes the app once all is sent. */
  drain(): void {
    const conn = this.conn;
    while (this.queue.length && this.queue[0].length <= this.window && !conn.congested) this.sendData(this.queue.shift()!);
    if (this.queue.length && this.window > 0 && !conn.congested) {
      const head = this.queue[0];
      const n = this.window;
      this.sendData(head.subarray(0, n));
      this.queue[0] = head.subarray(n);
    }
    if (this.queue.length) return;
    if (this.queuedEnd !== null) {
      const t = this.queuedEnd;
      this.queuedEnd = null;
      this.sendEnd(t);
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.controller?.resume();
    }
  }

  private sendEnd(trailers: IncomingHttpHeaders | undefined): void {
    const has = trailers && Object.keys(trailers).length > 0;
    this.conn.writer.frame(T_END, 0, this.id, has ? Buffer.from(JSON.stringify(trailers)) : undefined);
    this.finish();
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.cancelled) c.abort(new Error("cancelled by the caller"));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200 || this.done) return;
    this.headSent = true;
    this.conn.writer.json(T_RESPONSE, 0, this.id, { s: status, h: headers });
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done || this.headOnly) return;
    if (!this.queue.length && chunk.length <= this.window && !this.conn.congested) {
      this.sendData(chunk);
      return;
    }
    this.queue.push(chunk);
    if (!this.paused) {
      this.paused = true;
      c.pause();
    }
    this.drain();
  }

  onResponseEnd(_c: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    if (this.done) return;
    if (this.queue.length) this.queuedEnd = trailers ?? undefined;
    else this.sendEnd(trailers);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.done) return;
    if (this.cancelled) {
      this.finish();
      return;
    }
    if (!this.headSent) {
      const [status, body, flag] = this.conn.failureReply(err);
      this.localReply(status, body, flag);
      return;
    }
    this.conn.writer.frame(T_RESET, 0, this.id, resetPayload(ResetCode.Internal, "the response broke off"));
    this.finish();
  }
}
