/**
 * The hop protocol between two unimesh proxies (`hopProtocol: multiplexed`, the default): many requests
 * on one mutual-TLS connection as small binary frames, chosen by ALPN (`unimesh-hop/1`) during the TLS
 * handshake, so that a peer that does not offer it gets HTTP/1.1 (or HTTP/2) exactly as before. Like
 * HTTP/2 (RFC 9113) it multiplexes streams with per-stream flow control, but carries no HPACK, no
 * priorities and no server push: a request head is one JSON object, bodies are DATA frames, and the
 * frames of every stream written during a run of busy event-loop turns leave in one TLS write
 * ({@link MAX_WAIT_TURNS}). Istio's HBONE (HTTP/2 CONNECT between ztunnels) and Linkerd's transport
 * header play the same role in their meshes.
 *
 * Frame: `type` (u8), `flags` (u8), `stream` (u32 BE), `length` (u32 BE), then `length` bytes.
 *
 * | type | name     | stream | payload                                                            |
 * |-----:|----------|--------|--------------------------------------------------------------------|
 * | 0    | SETTINGS | 0      | JSON `{maxStreams, keepAliveMs}`: the server's, first frame it sends |
 * | 1    | REQUEST  | id     | JSON `{m: method, p: path with query, h: headers, t?: instance}`; END_STREAM: no body |
 * | 2    | DATA     | id     | body bytes (≤ {@link MAX_DATA}); END_STREAM: the last                |
 * | 3    | RESPONSE | id     | JSON `{s: status, h: headers}`; END_STREAM: no body                |
 * | 4    | END      | id     | JSON trailers (or nothing): the response is complete               |
 * | 5    | RESET    | id     | u8 {@link ResetCode} + UTF-8 reason: the stream is abandoned        |
 * | 6    | WINDOW   | id     | u32 BE: bytes the receiver consumed (more DATA may be sent)        |
 * | 7    | GOAWAY   | 0      | u32 BE: the last stream id the server processes                    |
 *
 * `t`, when present, is the id of the instance of the server's proxy that the stream is for. One connection
 * then carries the streams of one calling identity to every instance of that proxy which has the identity
 * the server's certificate names: like ztunnel's HBONE pool (one connection per source identity,
 * destination identity and destination node, the target in each CONNECT), so that a split among the
 * instances of a service does not split the batching of frames. Only the proxy's own connections between
 * its own listeners carry `t` (the server knows them by their TLS session's exported keying material): the
 * server refuses (503) any other target on a connection from anywhere else, and a target it does not serve
 * or whose identity is not the connection's. Without `t` the stream is for the listener's own instance.
 *
 * Client stream ids are odd and increase. Each side may have at most {@link WINDOW} bytes of a stream's
 * body unacknowledged (per direction). A frame longer than the receiver's limit, an unknown type, a
 * malformed head or a reused stream id is a protocol error: the connection is closed. So is a frame that
 * does not complete in time once begun ({@link FrameDeadline}), at either end.
 */
import type { Socket } from "node:net";

/** The ALPN protocol id of the hop protocol. */
export const HOP_ALPN = "unimesh-hop/1";

export const FRAME_HEADER = 10;
export const T_SETTINGS = 0;
export const T_REQUEST = 1;
export const T_DATA = 2;
export const T_RESPONSE = 3;
export const T_END = 4;
export const T_RESET = 5;
export const T_WINDOW = 6;
export const T_GOAWAY = 7;
/** Flag: no more frames of this direction of the stream follow (REQUEST, DATA, RESPONSE). */
export const END_STREAM = 1;
/** Flow-control window of one stream, per direction, in bytes. */
export const WINDOW = 256 * 1024;
/** Largest DATA payload, in bytes. */
export const MAX_DATA = 64 * 1024;

/** Why a stream was reset. */
export const enum ResetCode {
  /** The caller gave up (timeout, downstream gone). */
  Cancel = 1,
  /** The server did not process the stream (too many streams, going away): safe to send again. */
  Refused = 2,
  /** The response broke off (the app failed after its head). */
  Internal = 3,
  /** The request was malformed. */
  Protocol = 4,
}

/**
 * Event-loop turns a flush may wait while frames keep being queued. Frames queued in a turn wait for the
 * next one; if that turn queued more (other callers' requests, other answers) they wait again, up to
 * this many turns, and then all leave in one TLS write. When a turn queued nothing more, or the queue
 * holds {@link FLUSH_BYTES}, they leave at its end. Like TCP's Nagle algorithm or a cork, it trades a
 * few turns of latency (a turn when traffic is light: nothing else arrives) for fewer writes: each write
 * saved is one TLS write and one system call fewer here, and one read fewer at the other end. Measured
 * with the proxy benchmark at 8 connections (same-run A/B): 1 turn cost 0.87x the CPU per request of
 * flushing every turn, 2 turns 0.89x of 1, 4 turns 0.85x of 2, 8 turns no better than 4.
 */
export const MAX_WAIT_TURNS = 4;
/** Bytes queued that are written without waiting another turn. */
export const FLUSH_BYTES = 64 * 1024;

/**
 * Frames queued for one socket: everything queued during a run of busy event-loop turns (at most
 * {@link MAX_WAIT_TURNS} more than the first) goes out in one write (one TLS record sequence, one system
 * call) after the I/O callbacks of the last of them. {@link FrameWriter.flush} writes at once.
 */
export class FrameWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  /** Turns waited, and the number of parts queued when the last one began. */
  private waited = 0;
  private seen = 0;

  constructor(private readonly socket: Socket) {}

  /** Queues a frame. */
  frame(type: number, flags: number, stream: number, payload?: Buffer): void {
    const h = Buffer.allocUnsafe(FRAME_HEADER);
    h[0] = type;
    h[1] = flags;
    h.writeUInt32BE(stream, 2);
    h.writeUInt32BE(payload ? payload.length : 0, 6);
    this.parts.push(h);
    this.bytes += FRAME_HEADER;
    if (payload && payload.length) {
      this.parts.push(payload);
      this.bytes += payload.length;
    }
    if (!this.scheduled) {
      this.waited = 0;
      this.seen = 0;
      this.scheduled = setImmediate(this.tick);
    }
  }

  /** Queues a frame whose payload is a JSON value. */
  json(type: number, flags: number, stream: number, value: unknown): void {
    this.frame(type, flags, stream, Buffer.from(JSON.stringify(value)));
  }

  /** The end of a turn: waits another while this one queued frames (up to the limits), else writes. */
  private readonly tick = (): void => {
    this.scheduled = undefined;
    if (this.waited < MAX_WAIT_TURNS && this.parts.length > this.seen && this.bytes < FLUSH_BYTES) {
      this.waited++;
      this.seen = this.parts.length;
      this.scheduled = setImmediate(this.tick);
      return;
    }
    this.flush();
  };

  /** Writes what is queued now. */
  readonly flush = (): void => {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (!this.parts.length) return;
    const out = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(out);
  };

  /** Bytes the socket has not sent yet (its buffer), for back-pressure decisions. */
  get backlog(): number {
    return this.bytes + this.socket.writableLength;
  }
}

/** A decoded frame's handler; returning false stops the reader (the connection is being closed). */
export type OnFrame = (type: number, flags: number, stream: number, payload: Buffer) => boolean;

/**
 * Splits a byte stream into frames; a frame longer than `max` is a protocol error. The bytes of a frame
 * that has not fully arrived are kept as the chunks they came in and joined once, when the frame is
 * complete: a peer sending a large frame a byte per TLS record costs time linear in its size (joining
 * everything held on every read was quadratic: a 1 MiB frame took minutes of CPU).
 */
export class FrameReader {
  /** Chunks of an incomplete frame, their bytes, and how many bytes the frame needs in all. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private need = 0;
  /** Frames decoded so far (for {@link FrameDeadline}: whether a frame completed since it last looked). */
  frames = 0;

  constructor(
    private readonly max: number,
    private readonly onFrame: OnFrame,
    private readonly onError: (why: string) => void,
  ) {}

  /** True when the bytes read so far end inside a frame. */
  get partial(): boolean {
    return this.heldBytes > 0;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.heldBytes) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.need) return;
      buf = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    }
    let off = 0;
    while (buf.length - off >= FRAME_HEADER) {
      const len = buf.readUInt32BE(off + 6);
      if (len > this.max) {
        this.onError(`a frame of ${len} bytes is over the limit of ${this.max}`);
        return;
      }
      if (buf.length - off - FRAME_HEADER < len) break;
      const type = buf[off];
      const flags = buf[off + 1];
      const stream = buf.readUInt32BE(off + 2);
      const payload = buf.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len);
      off += FRAME_HEADER + len;
      this.frames++;
      if (!this.onFrame(type, flags, stream, payload)) return;
    }
    if (off < buf.length) {
      const rest = off === 0 ? buf : buf.subarray(off);
      this.held = [rest];
      this.heldBytes = rest.length;
      this.need = rest.length >= FRAME_HEADER ? FRAME_HEADER + rest.readUInt32BE(6) : FRAME_HEADER;
    }
  }
}

/**
 * Bounds the time a frame takes to arrive once its first bytes came: a peer that sends the start of a
 * frame and then nothing (or trickles it) would otherwise hold the connection, and every stream on it,
 * for ever. {@link read} is called after each read: a timer runs only while reads end inside a frame, and
 * nothing is done per frame. When it fires, a frame still incomplete that was already incomplete when it
 * was armed (no frame completed since) has waited at least `ms`: `expired` is called; if frames completed
 * meanwhile it is armed again, so a frame never gets more than twice `ms`.
 */
export class FrameDeadline {
  private timer: NodeJS.Timeout | undefined;
  /** The reader's frame count when the timer was armed. */
  private mark = 0;

  constructor(
    private readonly reader: FrameReader,
    readonly ms: number,
    private readonly expired: () => void,
  ) {}

  /** After a read: arms the timer when the read ended inside a frame, clears it when on a frame boundary. */
  read(): void {
    if (!this.reader.partial) {
      if (this.timer) this.stop();
    } else if (!this.timer) this.arm();
  }

  /** Clears the timer (the connection closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.mark = this.reader.frames;
    this.timer = setTimeout(this.check, this.ms).unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (!this.reader.partial) return;
    if (this.reader.frames !== this.mark) this.arm();
    else this.expired();
  };
}

/** A u32 payload (WINDOW, GOAWAY). */
export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** A RESET payload. */
export function resetPayload(code: ResetCode, reason: string): Buffer {
  const r = Buffer.from(reason.slice(0, 200));
  const b = Buffer.allocUnsafe(1 + r.length);
  b[0] = code;
  r.copy(b, 1);
  return b;
}

/** Parses a JSON payload into a plain object, or undefined. */
export function parseObject(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString());
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,32}$/;

/** True when `v` is a header value as HTTP/1.1 allows it (no CR, LF, NUL or other controls but TAB; Latin-1). */
function validValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/**
 * Validates a header map received from a peer (names: lower-case tokens; values: strings or arrays of
 * strings an HTTP/1.1 message could carry) and counts its bytes. An error message, or the size.
 */
export function checkHeaders(h: unknown, max: number): string | number {
  if (h === null || typeof h !== "object" || Array.isArray(h)) return "headers are not an object";
  let size = 0;
  const map = h as Record<string, unknown>;
  const names = Object.keys(map);
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    const v = map[k];
    if (!TOKEN.test(k)) return `header name ${JSON.stringify(k.slice(0, 64))} is not a lower-case token`;
    // A JSON object's own "__proto__" would set the prototype of the header map it is copied into.
    if (k === "__proto__") return "header name __proto__ is refused";
    if (typeof v === "string") {
      if (!validValue(v)) return `header ${k} has a value HTTP cannot carry`;
      size += k.length + v.length + 4;
    } else if (Array.isArray(v)) {
      if (!v.length) return `header ${k} has no value`;
      for (const x of v) {
        if (typeof x !== "string" || !validValue(x)) return `header ${k} has a value HTTP cannot carry`;
        size += k.length + x.length + 4;
      }
    } else return `header ${k} has a value HTTP cannot carry`;
    if (size > max) return `headers are over ${max} bytes`;
  }
  return size;
}

/** Validates a request head from a peer: method token, origin-form or asterisk path without controls or spaces, target instance id. */
export function checkRequestHead(o: Record<string, unknown>): string | undefined {
  if (typeof o.m !== "string" || !METHOD.test(o.m)) return "the method is not a token";
  if (o.t !== undefined && (typeof o.t !== "string" || o.t.length > 512)) return "the target instance is not a string of at most 512 characters";
  const p = o.p;
  if (typeof p !== "string" || !(p.startsWith("/") || p === "*") || p.length > 65536) return "the path is not in origin form";
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c > 0xff) return "the path has a control character, a space or a non-Latin-1 character";
  }
  return undefined;
}
