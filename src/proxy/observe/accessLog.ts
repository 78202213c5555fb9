/**
 * Structured access logs: one JSON object per line and request, written through a buffered stream
 * (standard output or an append-only file).
 */
import { createWriteStream, type WriteStream } from "node:fs";

/** One access log record. */
export interface AccessRecord {
  /** ISO 8601 time the request started. */
  time: string;
  direction: "outbound" | "inbound";
  /** Listener key (`outbound|bookinfo/productpage/127.0.0.1:9080`). */
  listener: string;
  /** Caller identity `namespace/serviceAccount` or `unknown`. */
  source: string;
  /** Destination service `namespace/name` (or the Host when unknown). */
  destination: string;
  /** Route id (`<policy>#<pointer>`). */
  route?: string;
  /** The route's name in its policy, when it has one. */
  routeName?: string;
  method: string;
  path: string;
  authority: string;
  protocol: string;
  status: number;
  /** Milliseconds from request received to response complete. */
  durationMs: number;
  /** Instance that answered (`address:port`). */
  upstream?: string;
  retries?: number;
  /**
   * Envoy-style response flags: UF upstream connect failure, UC upstream reset, UT timeout, UO overflow,
   * UH no healthy upstream, NR no route, FI fault abort, DI fault delay, RL rate limited, RBAC denied,
   * DC downstream disconnect, URX retries exhausted, DPE downstream protocol error (a request head or path
   * refused for its form: framing, Host, method, path).
   */
  flags?: string[];
  requestId?: string;
}

/** Writes access records as JSON lines. */
export class AccessLog {
  private readonly out: NodeJS.WritableStream | WriteStream;
  private readonly own: boolean;
  constructor(
    readonly enabled: boolean,
    readonly path: string,
  ) {
    this.own = enabled && path !== "-";
    this.out = this.own ? createWriteStream(path, { flags: "a" }) : process.stdout;
  }

  write(r: AccessRecord): void {
    if (this.enabled) this.out.write(JSON.stringify(r) + "\n");
  }

  close(): void {
    if (this.own) (this.out as WriteStream).end();
  }
}
