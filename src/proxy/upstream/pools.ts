/**
 * Upstream connection pools (undici's, or for a plaintext HTTP/1.1 upstream ./h1pool.ts), keep-alive, one per (calling identity and its certificate
 * generation, instance, protocol, connection-pool settings); hop-protocol clients one per (calling
 * identity and certificate generation, destination identity, issuer check, pool settings), shared by
 * the instances of that identity (./hopClient.ts). Proxy-to-proxy pools use mutual TLS with
 * the caller's certificate and accept only the destination's identity (secure naming: the server's
 * SPIFFE ID must be the destination service account's). Pools unused for a while are closed gracefully.
 */
import { Pool, buildConnector, type Dispatcher } from "undici";
import type { ConnectionPool } from "../../api/generated/proxyConfig.js";
import { issuerMismatch, spiffeFromSan, type PeerCertificate } from "../identity/ca.js";
import type { IdentityCert } from "../identity/certs.js";
import { H1Pool, h1PoolSupported } from "./h1pool.js";
import { HopClient } from "./hopClient.js";

/**
 * A pool to one upstream: undici's Pool, or for a plaintext HTTP/1.1 upstream (the local app) the
 * pool on Node's own HTTP parser (./h1pool.ts), which has undici Pool's dispatch contract.
 */
export type UpstreamPool = Pool | H1Pool;

/** How to reach one upstream. */
export interface UpstreamSpec {
  address: string;
  port: number;
  /** HTTP/2 (ALPN h2 over TLS, or h2c in plaintext). */
  h2: boolean;
  /**
   * Mutual TLS: the caller's certificate and the identity the server must have; `servername`: the SNI
   * (a hop through another member's east-west listener); `checkIssuer`: the server's certificate must
   * come from the CA of its trust domain (a member of a virtual mesh: identity/ca.ts `issuerMismatch`).
   */
  tls?: { cert: IdentityCert; expectServer: string; servername?: string; checkIssuer?: boolean };
  pool?: ConnectionPool;
}

const IDLE_CLOSE_MS = 60_000;

/**
 * Largest HTTP/1.1 response head an upstream may send: 60 KiB, in bytes of its status line and header lines
 * for the plaintext app's pool (./h1pool.ts: Node's parser counts them all), of header names and values for
 * undici's pools; Envoy's default header-size limit (`DEFAULT_MAX_REQUEST_HEADERS_KB`, envoy/http/codec.h).
 * undici's own default is Node's `--max-http-header-size` (16 KiB), which refused answers carrying a few
 * large cookies or tokens. A larger head fails the try (a 5xx to the caller), never a shorter list.
 */
export const MAX_RESPONSE_HEAD_BYTES = 60 * 1024;

/** A cached pool; `live` turns false when it leaves the cache (idle sweep, retire, close). */
interface Entry {
  pool: UpstreamPool | HopClient;
  lastUsed: number;
  live: boolean;
}

/** The last spec asked for by one owner (see {@link Pools.get}) and the entry it resolved to. */
interface Memo {
  spec: UpstreamSpec;
  entry: Entry;
}

/** True when two specs ask for the same pool (the fields keyOf reads; objects compared by reference). */
function sameSpec(a: UpstreamSpec, b: UpstreamSpec): boolean {
  if (a.address !== b.address || a.port !== b.port || a.h2 !== b.h2 || a.pool !== b.pool) return false;
  const x = a.tls;
  const y = b.tls;
  if (!x || !y) return x === y;
  return x.cert === y.cert && x.expectServer === y.expectServer && x.servername === y.servername && !x.checkIssuer === !y.checkIssuer;
}

/** The pool cache. */
export class Pools {
  private readonly pools = new Map<string, Entry>();
  /** Per owner (a caller's stable object, e.g. the instance), its last spec: the per-request path skips building a key. */
  private readonly memos = { get: new WeakMap<object, Memo>(), hop: new WeakMap<object, Memo>() };
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sweep(), IDLE_CLOSE_MS / 2).unref();
  }

  /**
   * The pool for an upstream, created on first use. `owner`: an object the caller keeps for this
   * upstream (the instance): while it asks for the same spec (same fields, same certificate object),
   * the pool is found without building its key (a string of ~100 characters hashed per request).
   */
  get(u: UpstreamSpec, owner?: object): UpstreamPool {
    return this.memoized(
      this.memos.get,
      owner,
      u,
      () => keyOf(u),
      () => create(u),
    ) as UpstreamPool;
  }

  /**
   * The hop-protocol client (./hopClient.ts) for a proxy-to-proxy upstream over mutual TLS (`u.tls`
   * without `servername`, HTTP/1.1 ports), created on first use; it falls back to {@link get}'s pool
   * when the server does not choose the hop protocol. One client per calling identity (and certificate),
   * server identity, issuer check and pool settings, whatever the address: each stream names its
   * instance (`HopClient.to`; the listeners a hop goes to are all this process's, net/hop.ts `t`) and a
   * new connection goes to the listener of the stream that needs it; `u`'s listener is the client's own
   * (the streams of `HopClient.dispatch`).
   */
  hop(u: UpstreamSpec & { tls: NonNullable<UpstreamSpec["tls"]> }, owner?: object): HopClient {
    return this.memoized(
      this.memos.hop,
      owner,
      u,
      () => `hop:${identityKey(u)}`,
      () => {
        const { cert, expectServer, checkIssuer } = u.tls;
        return new HopClient(
          {
            address: u.address,
            port: u.port,
            cert,
            expectServer,
            ...(checkIssuer ? { checkIssuer } : {}),
            ...(u.pool?.connectTimeoutMs ? { connectTimeoutMs: u.pool.connectTimeoutMs } : {}),
            ...(u.pool?.idleTimeoutMs ? { idleTimeoutMs: u.pool.idleTimeoutMs } : {}),
          },
          () => this.get(u),
        );
      },
    ) as HopClient;
  }

  private memoized(
    memos: WeakMap<object, Memo>,
    owner: object | undefined,
    u: UpstreamSpec,
    key: () => string,
    make: () => UpstreamPool | HopClient,
  ): UpstreamPool | HopClient {
    const m = owner && memos.get(owner);
    if (m && m.entry.live && sameSpec(m.spec, u)) {
      m.entry.lastUsed = Date.now();
      return m.entry.pool;
    }
    const entry = this.cached(key(), make);
    if (owner) memos.set(owner, { spec: u, entry });
    return entry.pool;
  }

  private cached(key: string, make: () => UpstreamPool | HopClient): Entry {
    const now = Date.now();
    const hit = this.pools.get(key);
    if (hit) {
      hit.lastUsed = now;
      return hit;
    }
    const entry: Entry = { pool: make(), lastUsed: now, live: true };
    this.pools.set(key, entry);
    return entry;
  }

  /**
   * Retires every pool to `address:port` (a listener that a reload moved or removed): later `get`s
   * create new pools, and the old ones close gracefully — requests already dispatched on them finish,
   * then the client side closes its idle connections, so no request races a server-side close.
   */
  async retire(address: string, port: number): Promise<void> {
    const target = `|${address}:${port}|`;
    const old: (UpstreamPool | HopClient)[] = [];
    const shared: Promise<void>[] = [];
    for (const [k, p] of this.pools)
      if (k.includes(target) || (p.pool instanceof HopClient && p.pool.target.address === address && p.pool.target.port === port)) {
        this.pools.delete(k);
        p.live = false;
        old.push(p.pool);
      } else if (p.pool instanceof HopClient) shared.push(p.pool.retire(address, port));
    await Promise.allSettled([...old.map((p) => p.close()), ...shared]);
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_CLOSE_MS;
    for (const [k, p] of this.pools) {
      if (p.lastUsed < cutoff) {
        this.pools.delete(k);
        p.live = false;
        void p.pool.close().catch(() => {});
      }
    }
  }

  /** Open upstream connections, over every pool. */
  get connections(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.pool instanceof HopClient ? p.pool.connected : p.pool.stats.connected;
    return n;
  }

  /** Number of open pools (admin). */
  get size(): number {
    return this.pools.size;
  }

  /** Closes every pool: gracefully, then forcefully after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.pools.values()].map((p) => {
      p.live = false;
      return p.pool;
    });
    this.pools.clear();
    await Promise.race([Promise.allSettled(all.map((p) => p.close())), new Promise((r) => setTimeout(r, graceMs).unref())]);
    await Promise.allSettled(all.map((p) => p.destroy()));
  }
}

function keyOf(u: UpstreamSpec): string {
  return `${identityKey(u)}|${u.address}:${u.port}|`;
}

/** A pool's key less the address: who calls, how the server is verified, the protocol, the pool settings. */
function identityKey(u: UpstreamSpec): string {
  // Everything that decides how the server is verified is in the key (the issuer check too): a pool made
  // for a looser check must never serve a request that asks for a stricter one.
  return `${u.tls ? `${u.tls.cert.spiffeId}#${u.tls.cert.generation}>${u.tls.expectServer}${u.tls.servername ? `@${u.tls.servername}` : ""}${u.tls.checkIssuer ? "!issuer" : ""}` : "plain"}|${u.h2 ? "h2" : "h1"}|${u.pool ? JSON.stringify(u.pool) : ""}`;
}

/**
 * A TLS pool whose requests all carry the same `servername`. undici takes each request's servername from
 * its Host header and, on a TLS pool, closes an idle connection and opens a new one whenever it differs
 * from the connection's (dispatcher/client.js `_resume`): callers naming one service "app", "app.shop"
 * and "app.shop.svc.cluster.local" paid a TLS handshake on nearly every request. `name` is only that
 * key; what is sent as SNI is the connector's choice (see create).
 */
class OneNamePool extends Pool {
  constructor(
    url: string,
    options: Pool.Options,
    private readonly name: string,
  ) {
    super(url, options);
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // `servername` is a request option of undici's core (core/request.js) that its types leave out.
    return super.dispatch({ ...opts, servername: this.name } as Dispatcher.DispatchOptions, handler);
  }
}

function create(u: UpstreamSpec): UpstreamPool {
  const p = u.pool;
  if (!u.tls && !u.h2 && h1PoolSupported())
    return new H1Pool(u.address, u.port, {
      ...(p?.maxConnections ? { connections: p.maxConnections } : {}),
      ...(p?.maxRequestsPerConnection ? { maxRequestsPerConnection: p.maxRequestsPerConnection } : {}),
      ...(p?.idleTimeoutMs ? { idleTimeoutMs: p.idleTimeoutMs } : {}),
      connectTimeoutMs: p?.connectTimeoutMs ?? 10_000,
      maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
    });
  const common = {
    ...(p?.maxConnections ? { connections: p.maxConnections } : {}),
    // undici closes a connection after the request that follows maxRequestsPerClient requests, so N
    // requests per connection is N - 1; one request per connection is `reset` on each request instead.
    ...(p?.maxRequestsPerConnection && p.maxRequestsPerConnection > 1 ? { maxRequestsPerClient: p.maxRequestsPerConnection - 1 } : {}),
    ...(p?.idleTimeoutMs ? { keepAliveTimeout: p.idleTimeoutMs, keepAliveMaxTimeout: p.idleTimeoutMs } : {}),
    pipelining: 1,
    allowH2: u.h2,
    maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
  };
  const timeout = p?.connectTimeoutMs ?? 10_000;
  if (u.tls) {
    const { cert, expectServer, servername, checkIssuer } = u.tls;
    const tlsOptions = {
      timeout,
      // One secure context per certificate, built once: not a PEM parse per new connection.
      secureContext: cert.secureContext,
      // Secure naming: the server must present the destination's SPIFFE ID (its chain is verified by `ca`).
      checkServerIdentity: (_host: string, peer: PeerCertificate) => {
        const got = spiffeFromSan(peer.subjectaltname);
        if (got !== expectServer) return new Error(`upstream identity ${got ?? "(none)"} is not the expected ${expectServer}`);
        const why = checkIssuer ? issuerMismatch(peer) : undefined;
        return why ? new Error(`upstream certificate refused: ${why}`) : undefined;
      },
      ALPNProtocols: u.h2 ? ["h2", "http/1.1"] : ["http/1.1"],
      minVersion: "TLSv1.2",
    };
    // The SNI is the pool's, never a request's: `servername` for a hop through an east-west listener
    // (it routes by it), else none (the connector names the pool's host, nothing for an IP address);
    // the inbound listener does not look at it (secure naming checks the SPIFFE ID).
    const connector = buildConnector({ ...tlsOptions, allowH2: u.h2 } as never);
    return new OneNamePool(
      `https://${u.address}:${u.port}`,
      { ...common, connect: (o, cb) => connector({ ...o, servername }, cb) },
      servername ?? "unimesh-peer",
    );
  }
  return new Pool(`http://${u.address}:${u.port}`, {
    ...common,
    connect: { timeout, ...(u.h2 ? { useH2c: true } : {}) } as never,
  });
}
