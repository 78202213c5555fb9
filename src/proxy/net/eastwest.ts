/**
 * The east-west listener of a member of a virtual mesh: other members reach this member's services
 * through it, with mutual TLS that it never terminates (Istio's east-west gateway in AUTO_PASSTHROUGH
 * mode). It reads the TLS ClientHello's server name (SNI), which names a service port and subset
 * (`outbound_.<port>_.<subset>_.<service>.<namespace>.svc.cluster.local`, compile.ts
 * `eastWestServerName`), picks a local instance of it and passes the connection, bytes unchanged, to that
 * instance's inbound listener: the caller's TLS ends there, so the instance verifies the caller's own
 * certificate (its identity in its member's trust domain) and the caller verifies the instance's.
 *
 * Anything else is closed without an answer: plaintext, a ClientHello without a server name or with one
 * that names no local service port, a ClientHello larger than one TLS record, one not complete within
 * the handshake timeout. The listener holds at most one record (16 KiB) per connection before it picks.
 */
import net from "node:net";
import type { RtSettings } from "../config/compile.js";
import type { ListenerEvents } from "./listener.js";

/** Where a server name goes: a local inbound listener, or why the connection is refused. */
export type EastWestRoute = { address: string; port: number } | { refused: string };

/** TLS record header (5) plus the largest record a ClientHello may fill (2^14). */
const MAX_HELLO = 5 + 16_384;

/**
 * The server name of a TLS ClientHello at the start of `buf`: `undefined` while the first record is
 * incomplete, `null` when `buf` is no ClientHello or it has no host name (RFC 8446 §4.1.2, RFC 6066 §3).
 */
export function clientHelloServerName(buf: Buffer): string | null | undefined {
  if (buf.length < 5) return buf.length && buf[0] !== 0x16 ? null : undefined;
  if (buf[0] !== 0x16 || buf[1] !== 0x03) return null;
  const recordLen = buf.readUInt16BE(3);
  if (recordLen < 4 || recordLen > 16_384) return null;
  if (buf.length < 5 + recordLen) return undefined;
  const rec = buf.subarray(5, 5 + recordLen);
  if (rec[0] !== 0x01) return null; // handshake type client_hello
  const helloLen = (rec[1] << 16) | (rec[2] << 8) | rec[3];
  // A ClientHello continued in a second record is refused (the proxies send one record).
  if (4 + helloLen > rec.length) return null;
  const h = rec.subarray(4, 4 + helloLen);
  let i = 2 + 32; // legacy_version, random
  const skip = (lenBytes: 1 | 2): boolean => {
    if (i + lenBytes > h.length) return false;
    const n = lenBytes === 1 ? h[i] : h.readUInt16BE(i);
    i += lenBytes + n;
    return i <= h.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return null; // session id, cipher suites, compression methods
  if (i + 2 > h.length) return null;
  const extEnd = i + 2 + h.readUInt16BE(i);
  if (extEnd > h.length) return null;
  i += 2;
  while (i + 4 <= extEnd) {
    const type = h.readUInt16BE(i);
    const len = h.readUInt16BE(i + 2);
    const start = i + 4;
    if (start + len > extEnd) return null;
    if (type === 0) {
      // server_name: a list of (type, name); type 0 is host_name.
      if (len < 2) return null;
      const listEnd = start + 2 + h.readUInt16BE(start);
      if (listEnd > start + len) return null;
      let j = start + 2;
      while (j + 3 <= listEnd) {
        const nameType = h[j];
        const nameLen = h.readUInt16BE(j + 1);
        if (j + 3 + nameLen > listEnd) return null;
        if (nameType === 0) {
          const name = h.subarray(j + 3, j + 3 + nameLen).toString("latin1");
          return /^[\x21-\x7e]+$/.test(name) ? name.toLowerCase() : null;
        }
        j += 3 + nameLen;
      }
      return null;
    }
    i = start + len;
  }
  return null;
}

/** The east-west listener (see the module comment). */
export class EastWestListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private draining = false;
  /** Connections passed to an instance and still open (what drains wait for). */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly key: string,
    private readonly limits: RtSettings["limits"],
    private readonly route: (serverName: string) => EastWestRoute,
    private readonly events: ListenerEvents = {},
  ) {
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server.maxConnections = limits.maxConnections;
    this.server.on("drop", () => this.events.overloaded?.());
  }

  private refuse(socket: net.Socket, reason: string): void {
    this.events.tlsRefused?.(reason);
    socket.destroy();
  }

  private accept(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const timer = setTimeout(() => this.refuse(socket, "no ClientHello in time"), this.limits.handshakeTimeoutMs);
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const name = clientHelloServerName(buf.subarray(0, MAX_HELLO));
      if (name === undefined && buf.length < MAX_HELLO) return;
      socket.off("data", onData);
      socket.pause();
      clearTimeout(timer);
      if (!name) {
        this.refuse(socket, buf[0] === 0x16 ? "no server name in the ClientHello" : "not TLS on the east-west listener");
        return;
      }
      const to = this.route(name);
      if ("refused" in to) {
        this.refuse(socket, to.refused);
        return;
      }
      this.pass(socket, buf, to);
    };
    socket.on("data", onData);
  }

  /** Connects to the instance's inbound listener, sends what was read, then pipes both ways. */
  private pass(socket: net.Socket, head: Buffer, to: { address: string; port: number }): void {
    this.inFlight++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.inFlight--;
      socket.destroy();
      upstream.destroy();
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    const upstream = net.connect({ host: to.address, port: to.port, noDelay: true });
    upstream.setTimeout(this.limits.idleTimeoutMs, end);
    socket.setTimeout(this.limits.idleTimeoutMs, end);
    upstream.once("connect", () => {
      upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    });
    upstream.on("error", end);
    socket.on("error", end);
    upstream.once("close", end);
    socket.once("close", end);
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

  /** Open downstream connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** The bound port. */
  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /** Nothing to renew: the listener holds no certificate (TLS passes through). */
  updateCredentials(): void {}

  /** Stops accepting new connections; connections already passed on go on. */
  async stopAccepting(): Promise<void> {
    this.draining = true;
    if (!this.server.listening) return;
    this.server.close();
    await new Promise((r) => setImmediate(r));
  }

  /** Stops accepting, waits up to `timeoutMs` for passed connections to end, then closes the rest. */
  async drain(timeoutMs = this.limits.drainTimeoutMs): Promise<void> {
    await this.stopAccepting();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    for (const s of this.sockets) s.destroy();
  }
}
