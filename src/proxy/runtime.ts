/**
 * The running proxy: one process hosting, for every local instance, its inbound listener (and its
 * outbound listener when it calls others), every ingress, and the admin listener. A reload compiles
 * the new configuration, binds new listeners, swaps the configuration atomically (requests in flight
 * finish with the snapshot they started with; new requests see the new one), then drains removed
 * listeners. Stopping drains every listener, then closes upstream pools.
 */
import type { ProxyConfig } from "../api/generated/proxyConfig.js";
import type { Diagnostic } from "../api/diagnostics.js";
import { compileConfig, parseEastWestServerName, type CompiledConfig, type RtListener } from "./config/compile.js";
import { CertificateAuthority, issuerMismatch } from "./identity/ca.js";
import { CertStore } from "./identity/certs.js";
import { Pools } from "./upstream/pools.js";
import { ProxyMetrics, Gauge } from "./observe/metrics.js";
import { AccessLog } from "./observe/accessLog.js";
import { ProxyContext } from "./context.js";
import { Listener } from "./net/listener.js";
import { EastWestListener, type EastWestRoute } from "./net/eastwest.js";
import { outboundHandler, recordOutboundRefusal } from "./outbound.js";
import { inboundHandler, peerOfSocket, recordInboundRefusal } from "./inbound.js";
import { InlineHop } from "./upstream/inline.js";
import { HOP_ALPN } from "./net/hop.js";
import { HopServerConnection } from "./net/hopServer.js";
import { hopSessionKey, ownHopSessions } from "./upstream/hopClient.js";
import { failureAnswer } from "./upstream/exchange.js";
import { adminHandler } from "./admin.js";

/**
 * The `unimesh_connections_closed_total` reason of an HTTP/1.1 connection closed for a request that did not
 * parse or broke a limit (net/listener.ts `protocolError`), by the status of node:http's answer to it.
 */
const HTTP1_CLOSE_REASONS: ReadonlyMap<number, string> = new Map([
  [400, "http1-protocol-error"],
  [408, "http1-request-timeout"],
  [413, "http1-chunk-extensions-too-large"],
  [431, "http1-headers-too-large"],
]);

/** A proxy event for the operator (JSON lines on stderr by default). */
export interface ProxyEvent {
  level: "info" | "warn" | "error";
  msg: string;
  [k: string]: unknown;
}

/** Options of {@link startProxy}. */
export interface StartOptions {
  /** Produces the configuration again, for reloads (re-reads files, re-translates policies). */
  reload?: () => Promise<{ config?: ProxyConfig; diagnostics: Diagnostic[] }> | { config?: ProxyConfig; diagnostics: Diagnostic[] };
  /** Where operator events go. Default: JSON lines on stderr. */
  onEvent?: (e: ProxyEvent) => void;
  /** Use this CA instead of creating or loading one (tests; several processes sharing a CA). */
  ca?: CertificateAuthority;
  /** Called on POST /quitquitquit. Default: stop the proxy. */
  onQuit?: () => void;
  /**
   * Virtual mesh: where the other members' east-west listeners are (by member name), overriding their
   * `spec.members[].gateway`; read per request (`unimesh up` fills it as it starts each member).
   */
  gateways?: ReadonlyMap<string, { address: string; port: number }>;
}

/** Thrown when a configuration cannot run. */
export class ProxyConfigError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      `the proxy configuration has errors:\n${diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => `  ${d.pointer ?? ""}: ${d.code}: ${d.message}`)
        .join("\n")}`,
    );
  }
}

interface Bound {
  plan: RtListener;
  listener: Listener | EastWestListener;
}

/** A running proxy. */
export class ProxyRuntime {
  private readonly bound = new Map<string, Bound>();
  private stopping = false;
  private readyFlag = false;
  private reloading: Promise<{ ok: boolean; diagnostics: Diagnostic[] }> | undefined;

  private constructor(
    readonly ctx: ProxyContext,
    readonly ca: CertificateAuthority,
    private readonly options: StartOptions,
  ) {}

  /** Metrics registry (tests read counters from it). */
  get metrics(): ProxyMetrics {
    return this.ctx.metrics;
  }

  /** The configuration running now. */
  get config(): CompiledConfig {
    return this.ctx.current;
  }

  private event(e: ProxyEvent): void {
    (this.options.onEvent ?? ((x) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...x }) + "\n")))(e);
  }

  /** Compiles and starts a configuration. @throws ProxyConfigError when it has errors. */
  static async start(config: ProxyConfig, options: StartOptions = {}): Promise<ProxyRuntime> {
    const { compiled, diagnostics } = compileConfig(config);
    if (!compiled) throw new ProxyConfigError(diagnostics);
    const s = compiled.settings;
    const ca =
      options.ca ??
      (s.caCertFile && s.caKeyFile
        ? await CertificateAuthority.load(s.caCertFile, s.caKeyFile, s.trustDomain, s.caRootFile)
        : await CertificateAuthority.create(s.trustDomain));
    const certs = new CertStore(ca, s.certTtlMs);
    const metrics = new ProxyMetrics();
    const ctx = new ProxyContext(certs, new Pools(), metrics, new AccessLog(s.accessLog.enabled, s.accessLog.path), options.gateways);
    const rt = new ProxyRuntime(ctx, ca, options);
    ctx.wasm.event = (e) => rt.event(e);
    metrics.addGauge(
      new Gauge("unimesh_certificate_expiry_seconds", "Seconds until the current certificate of each identity expires.", ["identity"], () =>
        certs.list().map((c) => [[c.spiffeId], Math.round((c.notAfter.getTime() - Date.now()) / 1000)]),
      ),
    );
    metrics.addGauge(
      new Gauge("unimesh_requests_in_flight", "Requests in flight per listener.", ["listener"], () =>
        [...rt.bound.values()].map((b) => [[b.plan.key], b.listener.inFlight]),
      ),
    );
    certs.onRenew = (c) => {
      for (const b of rt.bound.values()) if (b.plan.kind === "inbound" && b.plan.identity.spiffe === c.spiffeId) b.listener.updateCredentials();
      rt.event({ level: "info", msg: "certificate renewed", identity: c.spiffeId, notAfter: c.notAfter.toISOString() });
    };
    try {
      await rt.apply(compiled);
    } catch (e) {
      await rt.stop();
      throw e;
    }
    rt.readyFlag = true;
    rt.event({ level: "info", msg: "proxy started", listeners: rt.listeners() });
    return rt;
  }

  /** Binds the listeners of a compiled configuration (keeping those whose key and address are unchanged) and swaps it in. */
  private async apply(next: CompiledConfig): Promise<void> {
    // Certificates first: a listener never starts without one.
    const ids = new Set<string>();
    for (const l of next.listeners) if (l.kind !== "admin" && l.kind !== "eastwest") ids.add(l.identity.spiffe);
    await Promise.all([...ids].map((id) => this.ctx.certs.get(id)));
    const keep = new Map<string, Bound>();
    const added: Bound[] = [];
    const removed: Bound[] = [];
    const nextKeys = new Map(next.listeners.map((l) => [l.key, l]));
    for (const [k, b] of this.bound) {
      const n = nextKeys.get(k);
      const same = n && n.address === b.plan.address && (n.port === b.plan.port || n.port === 0) && sameTls(n, b.plan);
      if (same) keep.set(k, { plan: n!, listener: b.listener });
      else removed.push(b);
    }
    // Free fixed ports that a removed listener holds and a new one wants: it stops accepting (its
    // connections and requests in flight go on; it drains with the others below).
    const wanted = new Set(next.listeners.filter((l) => !keep.has(l.key) && l.port !== 0).map((l) => `${l.address}:${l.port}`));
    const early = removed.filter((b) => wanted.has(`${b.plan.address}:${b.listener.port}`));
    const ports = new Map(removed.map((b) => [b, b.listener.port]));
    await Promise.all(early.map((b) => b.listener.stopAccepting()));
    try {
      for (const plan of next.listeners) {
        if (keep.has(plan.key)) continue;
        const listener = this.createListener(plan, next);
        await listener.listen(plan.address, plan.port);
        added.push({ plan, listener });
      }
    } catch (e) {
      await Promise.all(added.map((b) => b.listener.drain(0)));
      throw e;
    }
    // Resolve instance endpoints to bound inbound ports, then swap.
    const all = new Map<string, Bound>([...keep, ...added.map((b) => [b.plan.key, b] as const)]);
    for (const b of all.values()) if (b.plan.kind === "inbound") b.plan.instance.bound = { address: b.plan.address, port: b.listener.port };
    this.ctx.current = next;
    this.ctx.wasm.retain(next.services.values());
    this.bound.clear();
    for (const [k, b] of all) this.bound.set(k, b);
    // Removed (or moved) listeners drain: requests in flight finish. Callers' pools to a removed inbound
    // listener are retired first, so that the client side closes its own idle connections (no request
    // races a server-side close); new requests pick instances from the new configuration.
    await Promise.all(
      removed.map(async (b) => {
        if (b.plan.kind === "inbound") await this.ctx.pools.retire(b.plan.address, ports.get(b)!);
        await b.listener.drain();
      }),
    );
  }

  private createListener(plan: RtListener, cfg: CompiledConfig): Listener | EastWestListener {
    const limits = cfg.settings.limits;
    const events = {
      plaintextRefused: () => this.metrics.tlsRefused.inc([plan.key, "plaintext on a strict port"]),
      tlsRefused: (reason: string) => this.metrics.tlsRefused.inc([plan.key, reason]),
      overloaded: () => this.metrics.overloaded.inc([plan.key]),
      closed: (reason: string) => this.metrics.connectionsClosed.inc([plan.key, reason]),
      protocolError: (status: number) => this.metrics.connectionsClosed.inc([plan.key, HTTP1_CLOSE_REASONS.get(status) ?? "http1-protocol-error"]),
    };
    switch (plan.kind) {
      case "admin":
        return new Listener(plan.key, limits, adminHandler(this.adminSource()), undefined, events);
      case "eastwest":
        return new EastWestListener(plan.key, limits, (name) => this.eastWestRoute(name), events);
      case "outbound":
      case "ingress":
        return new Listener(plan.key, limits, outboundHandler(this.ctx, plan.key), undefined, {
          ...events,
          refused: (req, res, status, flag) => recordOutboundRefusal(this.ctx, plan.key, req, res, status, flag),
        });
      case "inbound": {
        const key = plan.key;
        const spiffe = plan.identity.spiffe;
        return new Listener(
          key,
          limits,
          inboundHandler(this.ctx, key),
          {
            credentials: () => {
              const c = this.ctx.certs.peek(spiffe)!;
              return { key: c.keyPem, cert: c.certPem, ca: c.caPem };
            },
            mode: () => {
              const cur = this.ctx.listener(key);
              return cur?.kind === "inbound" ? cur.instance.mode : plan.instance.mode;
            },
            // The hop protocol (net/hop.ts): offered unless `hopProtocol: http`, or the instance's
            // destination has Wasm extensions (they run in the HTTP inbound chain only).
            hop: {
              enabled: () => {
                const cur = this.ctx.listener(key);
                return this.ctx.current.settings.hopProtocol !== "http" && !(cur?.kind === "inbound" && cur.instance.service.destination.wasm);
              },
              accept: (s, w) => {
                const peer = peerOfSocket(s);
                const own = new InlineHop(this.ctx, key, peer, HOP_ALPN);
                // Streams for the other instances of this proxy that have the identity this listener's
                // certificate names (net/hop.ts `t`): their own inbound side, with this connection's peer.
                // Only on a connection from this process's own hop client (upstream/hopClient.ts
                // ownHopSessions, by the TLS session's exported keying material): a peer from anywhere
                // else (another process, through an east-west listener) reaches this listener's instance
                // only, and learns nothing of the others. Decided at the first such stream: the client
                // registers its session once its own handshake completed (after the server's in TLS 1.2),
                // and sends requests only after that.
                let local: boolean | undefined;
                const others = new Map<string, InlineHop>();
                return new HopServerConnection(
                  s,
                  {
                    maxStreams: w.limits.maxConcurrentStreams,
                    maxHeaderBytes: w.limits.maxHeaderBytes,
                    keepAliveMs: w.limits.peerKeepAliveTimeoutMs,
                    requestTimeoutMs: w.limits.requestTimeoutMs,
                    frameTimeoutMs: w.limits.headersTimeoutMs,
                    dispatcher: own,
                    dispatcherFor: (target) => {
                      const k = `inbound|${target}`;
                      if (k === key) return own;
                      if (local === undefined) {
                        const session = hopSessionKey(s);
                        local = session !== undefined && ownHopSessions.has(session);
                      }
                      if (!local) return "this connection carries streams for this listener's instance only";
                      const l = this.ctx.listener(k);
                      // Secure naming: the caller verified this connection's identity, not the target's.
                      if (!l || l.kind !== "inbound" || l.identity.spiffe !== spiffe) return "no instance of this connection's identity by that id here";
                      let h = others.get(k);
                      if (!h) others.set(k, (h = new InlineHop(this.ctx, k, peer, HOP_ALPN)));
                      return h;
                    },
                    streamStarted: w.streamStarted,
                    protocolError: w.protocolError,
                    shed: w.shed,
                  },
                  failureAnswer,
                );
              },
            },
            // A member of a virtual mesh: a peer's certificate must come from its own trust domain's CA.
            ...(cfg.settings.member !== undefined
              ? {
                  verifyPeer: (cert: Parameters<typeof issuerMismatch>[0]) =>
                    issuerMismatch(cert) ? "issuer is not the CA of the peer's trust domain" : undefined,
                }
              : {}),
          },
          { ...events, refused: (req, res, status, flag) => recordInboundRefusal(this.ctx, key, req, res, status, flag) },
        );
      }
    }
  }

  private readonly eastWestTurn = new Map<string, number>();

  /**
   * Where the east-west listener passes a connection for `serverName`: an instance of the local service
   * port (and subset) it names whose inbound listener is bound, in turn.
   */
  private eastWestRoute(serverName: string): EastWestRoute {
    const n = parseEastWestServerName(serverName);
    if (!n) return { refused: "server name names no service port" };
    const svc = this.ctx.current.services.get(`${n.namespace}/${n.service}`);
    const port = svc?.ports.find((p) => p.port === n.port);
    if (!svc || !port) return { refused: "no such local service port" };
    const labels = n.subset === undefined ? undefined : svc.subsets.get(n.subset);
    if (n.subset !== undefined && !labels) return { refused: "no such subset" };
    const ready = svc.endpoints(labels, port.port).filter((i) => i.bound);
    if (!ready.length) return { refused: "no local instance" };
    const turn = this.eastWestTurn.get(serverName) ?? 0;
    this.eastWestTurn.set(serverName, turn + 1);
    return ready[turn % ready.length].bound!;
  }

  private adminSource() {
    return {
      metrics: () => this.metrics.render(),
      ready: () => this.readyFlag && !this.stopping,
      config: () => redactedConfig(this.ctx.current.source),
      listeners: () => this.listeners(),
      clusters: () => this.ctx.snapshot(),
      certs: () => this.ctx.certs.list().map((c) => ({ identity: c.spiffeId, serial: c.serial, notBefore: c.notBefore, notAfter: c.notAfter })),
      reload: () => this.reload(),
      quit: () => (this.options.onQuit ? this.options.onQuit() : void this.stop()),
      bound: () => {
        const b = this.bound.get("admin");
        return { address: b?.plan.address ?? "127.0.0.1", port: b?.listener.port ?? 0 };
      },
    };
  }

  /** Bound listeners: key → address, port and kind. */
  listeners(): Record<string, { address: string; port: number; kind: string }> {
    return Object.fromEntries([...this.bound].map(([k, b]) => [k, { address: b.plan.address, port: b.listener.port, kind: b.plan.kind }]));
  }

  /** The bound port of a listener key (`admin`, `ingress|<name>`, `outbound|<ns>/<svc>/<address>:<port>`, `inbound|...`). */
  port(key: string): number {
    const b = this.bound.get(key);
    if (!b) throw new Error(`no listener ${key}; listeners: ${[...this.bound.keys()].join(", ")}`);
    return b.listener.port;
  }

  /** Open downstream connections of a listener (by key): what `maxConnections` bounds. */
  connections(key: string): number {
    return this.bound.get(key)?.listener.connections ?? 0;
  }

  /** The outbound listener port of the first (or the given) instance of a service. */
  outboundPort(service: string, namespace = "default", appPort?: number): number {
    for (const b of this.bound.values()) {
      if (
        b.plan.kind === "outbound" &&
        b.plan.instance.service.name === service &&
        b.plan.instance.service.namespace === namespace &&
        (appPort === undefined || b.plan.instance.port === appPort)
      )
        return b.listener.port;
    }
    throw new Error(`no outbound listener for ${namespace}/${service}`);
  }

  /** The inbound listener port of an instance (by its app port). */
  inboundPort(service: string, namespace: string, appPort: number): number {
    for (const b of this.bound.values()) {
      if (
        b.plan.kind === "inbound" &&
        b.plan.instance.service.name === service &&
        b.plan.instance.service.namespace === namespace &&
        b.plan.instance.port === appPort
      )
        return b.listener.port;
    }
    throw new Error(`no inbound listener for ${namespace}/${service} instance ${appPort}`);
  }

  /**
   * Replaces the configuration. Invalid configurations are refused (the old one keeps running).
   * Without an argument, the `reload` option produces it.
   */
  async reload(config?: ProxyConfig): Promise<{ ok: boolean; diagnostics: Diagnostic[] }> {
    while (this.reloading) await this.reloading.catch(() => {});
    const run = async (): Promise<{ ok: boolean; diagnostics: Diagnostic[] }> => {
      let cfg = config;
      let diagnostics: Diagnostic[] = [];
      if (!cfg) {
        if (!this.options.reload)
          return { ok: false, diagnostics: [{ code: "proxy/no-reload", severity: "error", message: "this proxy was started without a way to reload" }] };
        const r = await this.options.reload();
        diagnostics = r.diagnostics;
        cfg = r.config;
      }
      if (!cfg || diagnostics.some((d) => d.severity === "error")) return this.refused(diagnostics);
      const c = compileConfig(cfg);
      if (!c.compiled) return this.refused([...diagnostics, ...c.diagnostics]);
      try {
        await this.apply(c.compiled);
      } catch (e) {
        return this.refused([...diagnostics, { code: "proxy/listen", severity: "error", message: (e as Error).message }]);
      }
      this.metrics.reloads.inc(["ok"]);
      this.event({ level: "info", msg: "configuration reloaded", listeners: this.listeners() });
      return { ok: true, diagnostics: [...diagnostics, ...c.diagnostics] };
    };
    this.reloading = run();
    try {
      return await this.reloading;
    } finally {
      this.reloading = undefined;
    }
  }

  private refused(diagnostics: Diagnostic[]): { ok: boolean; diagnostics: Diagnostic[] } {
    this.metrics.reloads.inc(["error"]);
    this.event({ level: "error", msg: "configuration refused; the previous one keeps running", diagnostics });
    return { ok: false, diagnostics };
  }

  /** Drains every listener (in-flight requests may finish within the drain timeout) and closes everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all([...this.bound.values()].map((b) => b.listener.drain()));
    this.bound.clear();
    await this.ctx.pools.close();
    this.ctx.certs.close();
    this.ctx.close();
    this.ctx.log.close();
    this.event({ level: "info", msg: "proxy stopped" });
  }
}

function sameTls(a: RtListener, b: RtListener): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "admin" || b.kind === "admin" || a.kind === "eastwest" || b.kind === "eastwest") return true;
  return a.identity.spiffe === b.identity.spiffe;
}

/** Starts a proxy for a (merged) configuration. */
export function startProxy(config: ProxyConfig, options?: StartOptions): Promise<ProxyRuntime> {
  return ProxyRuntime.start(config, options);
}

/**
 * The configuration as the admin endpoint `/config` shows it, without secrets: outbound listener tokens,
 * the values of the environment an instance's app is started with (`run.env`: database URLs, API keys)
 * and the arguments of its command (`run.command` after the program: `--password=...`). Other local
 * processes may read the admin port; names stay, so what is set remains visible.
 */
export function redactedConfig(source: unknown): unknown {
  return JSON.parse(
    JSON.stringify(source, function (this: Record<string, unknown>, k, v: unknown) {
      if (k === "token" && typeof v === "string") return "<redacted>";
      if (k === "env" && v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.keys(v).map((n) => [n, "<redacted>"]));
      if (k === "command" && Array.isArray(v)) return v.map((a, i) => (i === 0 ? a : "<redacted>"));
      return v;
    }),
  );
}
