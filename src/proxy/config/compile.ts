/**
 * Compiling a merged ProxyConfig into the structures the proxy runs on: services with their instances
 * and resolved mTLS modes, a host-name index, each destination's route table with compiled matchers
 * and feature policies, and the listener plan. Compilation is pure; problems are diagnostics
 * (`proxy/*` codes) and a config with errors is never run.
 */
import type {
  Access,
  ConnectionPool,
  DirectResponse,
  EastWest,
  FaultInjection,
  HeaderOps,
  LoadBalancer,
  Mode,
  Mtls,
  OutlierDetection,
  ProxyConfig,
  RateLimit,
  Redirect,
  RequestAuthentication,
  Rewrite,
  Route,
  Service,
} from "../../api/generated/proxyConfig.js";
import type { Diagnostic } from "../../api/diagnostics.js";
import { compileMatch, type Matcher } from "../features/match.js";
import { compileSource, type Peer } from "../features/trafficSource.js";
import { compileRetries, type RetryPolicy } from "../features/retries.js";
import { compileCors, type CorsPolicy } from "../features/cors.js";
import { compileAccess, type AccessDecision, type AccessRequest } from "../features/access.js";
import { compileRequestAuthentication, type Authenticator } from "../features/requestAuthentication.js";
import { resolveMode } from "../features/mtls.js";
import { portNames } from "../features/ports.js";
import { DEFAULT_NAMESPACE } from "./merge.js";
import type { WasmPluginConfig } from "../wasm/plugin.js";

/** Application protocol of a service port. */
export type Protocol = "http" | "http2" | "grpc";

export interface RtPort {
  port: number;
  targetPort: number;
  protocol: Protocol;
}

/** A service of the running mesh. */
export interface RtService {
  key: string;
  namespace: string;
  name: string;
  serviceAccount: string;
  spiffe: string;
  /** Pod labels of every instance (`Service.selector`, default `{app: <name>}`); an instance adds its own. */
  selector: Record<string, string>;
  ports: RtPort[];
  instances: RtInstance[];
  destination: RtDestination;
  /** The view of each port (by port number), resolved once the destination is compiled. */
  views: ReadonlyMap<number, RtPortView>;
  /** Named subsets (their labels): what an east-west SNI's subset selects. */
  subsets: ReadonlyMap<string, Record<string, string>>;
  mtls?: Mtls;
  namespaceMode?: Mode;
  /** The port of a request: the Host's port, else the only (or first) port. */
  portOf(port: number | undefined): RtPort | undefined;
  /** Instances serving a port whose labels include `labels` (cached). */
  endpoints(labels: Record<string, string> | undefined, port: number): RtInstance[];
}

/**
 * What requests to one port of a service need, resolved when the configuration is compiled rather than
 * looked up per request: the destination's routes that apply to the port (in order), whether the hop
 * to the instances speaks HTTP/2, and for each route the upstream of each of its targets.
 */
export interface RtPortView {
  port: RtPort;
  /** HTTP/2 towards the instances (`http2` and `grpc` ports). */
  h2: boolean;
  routes: RtRoute[];
  /** Per route of `routes`, its targets' upstreams at this port (same order as `route.targets`). */
  upstreams: ReadonlyMap<RtRoute, RtUpstream[]>;
}

/** A route target at a service port, resolved: its settings and instances. */
export interface RtUpstream {
  target: RtTarget;
  /** The instances' service port: the target's own, else the request's. */
  port: number;
  /** The subset's settings when it has its own, else the destination's. */
  settings: RtDestination;
  /** `connectionPool.maxRequestsPerConnection: 1`: each connection closes after its request. */
  reset: boolean;
  /** Where the consistent-hash key comes from, when the settings balance by one. */
  hash?: NonNullable<LoadBalancer["hash"]>;
  /**
   * The instances serving `port` whose labels include the target's (of this configuration); for a share in
   * another member (`Target.cluster`), that member's one hop through its east-west listener.
   */
  endpoints: RtInstance[];
  /**
   * Virtual mesh (`Destination.failover`): the same target in each listed member, in order, taken when no
   * local instance is healthy. Absent: no failover (a target in another member never fails over).
   */
  failover?: RtInstance[];
}

/** One instance: its app and the listeners in front of and behind it. */
export interface RtInstance {
  /** Stable id `<ns>/<name>/<address>:<port>`, also the outlier-detection key. */
  id: string;
  service: RtService;
  address: string;
  port: number;
  servicePort: RtPort;
  labels: Record<string, string>;
  mode: Mode;
  /** Set when its inbound listener is bound. */
  bound?: { address: string; port: number };
  /** Requests in flight to it, across callers (least-request uses per-caller counts). */
  active: number;
  /**
   * Set on the hop to a service in another member of the virtual mesh: one "instance" standing for that
   * member's instances, reached through its east-west listener (`bound`: the member's `gateway`, which
   * `StartOptions.gateways` overrides) with mutual TLS passed through by SNI to one of them.
   */
  remote?: RtRemote;
}

/** The hop to a service (port, subset) in another member. */
export interface RtRemote {
  member: string;
  /** SNI naming the service port and subset: `outbound_.<port>_.<subset>_.<service>.<namespace>.svc.cluster.local`. */
  servername: string;
  /** The SPIFFE ID its instances must present: the service account in the member's trust domain. */
  spiffe: string;
}

/** Another member of the virtual mesh (`spec.members`). */
export interface RtMember {
  name: string;
  trustDomain: string;
  gateway?: { address: string; port: number };
}

/** The SNI of the hop to a service port (and subset) of another member, Istio's AUTO_PASSTHROUGH form. */
export function eastWestServerName(namespace: string, service: string, port: number, subset = ""): string {
  return `outbound_.${port}_.${subset}_.${service}.${namespace}.svc.cluster.local`;
}

/** Reads {@link eastWestServerName}; undefined when `sni` is not of that form. */
export function parseEastWestServerName(sni: string): { namespace: string; service: string; port: number; subset?: string } | undefined {
  const m =
    /^outbound_\.(\d{1,5})_\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)?_\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.cluster\.local$/.exec(
      sni,
    );
  if (!m) return undefined;
  return { port: Number(m[1]), ...(m[2] ? { subset: m[2] } : {}), service: m[4], namespace: m[6] };
}

export interface RtTarget {
  /** Another service receiving this share (`Target.service`); absent: the destination. */
  service?: RtService;
  /** Virtual mesh: the member whose service receives this share (`Target.cluster`); absent: local instances. */
  cluster?: string;
  subset?: string;
  labels?: Record<string, string>;
  port?: number;
  /** The target's own header changes, after the route's (`Target.headers`). */
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
  /** The settings of the target's subset when it has its own (`Destination.subsets`); else the destination's apply. */
  settings?: RtDestination;
}

export interface RtMirror {
  service: RtService;
  subset?: string;
  labels?: Record<string, string>;
  port?: number;
  percent: number;
  settings?: RtDestination;
}

/** A compiled route. */
export interface RtRoute {
  id: string;
  /** The route's name in its policy (access log `routeName`). */
  name?: string;
  policy?: string;
  source: (p: Peer) => boolean;
  port?: number;
  match: Matcher;
  targets: RtTarget[];
  weights: number[];
  totalWeight: number;
  redirect?: Redirect;
  directResponse?: DirectResponse;
  rewrite?: Rewrite;
  timeoutMs?: number;
  retries?: RetryPolicy;
  /** `Route.retries.perTryTimeoutMs`: bounds every try, the first included, also with `attempts: 0`. */
  perTryTimeoutMs?: number;
  faultInjection?: FaultInjection;
  mirror?: RtMirror;
  requestHeaders?: HeaderOps;
  responseHeaders?: HeaderOps;
  cors?: CorsPolicy;
}

/**
 * A compiled destination: the settings of requests to the whole service, or (with `subset`) those of
 * the requests routes send to one subset that has settings of its own (kinds it does not set are the
 * destination's), kept apart by the per-caller state (`ProxyContext.caller`).
 */
export interface RtDestination {
  key: string;
  /** Set on a subset's settings: its name and labels (its instances are the service's with these labels). */
  subset?: { name: string; labels: Record<string, string> };
  /** The settings of the destination's subsets that have their own, by subset name. */
  subsetSettings?: ReadonlyMap<string, RtDestination>;
  routes: RtRoute[];
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
  rateLimit?: RateLimit;
  access?: (r: AccessRequest) => AccessDecision;
  /** End-user token validation (RequestAuthentication), before access control. */
  authenticator?: Authenticator;
  /** Wasm extensions, in the order they run (phase, priority, policy). */
  wasm?: RtWasm[];
  /** Virtual mesh: the members its local targets fail over to, in order (`Destination.failover`). */
  failover?: string[];
  policies: string[];
}

/** A Wasm extension of a destination: its plugin, where it runs and on which service ports. */
export interface RtWasm extends WasmPluginConfig {
  /** AUTHN, AUTHZ, STATS, or undefined (last, before the app). */
  phase?: "AUTHN" | "AUTHZ" | "STATS";
  /** Only these service ports; undefined: every port. */
  ports?: ReadonlySet<number>;
}

/** An identity of a local listener. */
export interface RtIdentity {
  namespace: string;
  serviceAccount: string;
  spiffe: string;
  peer: Peer;
}

/** A listener to bind. `key` is stable across reloads (a listener with the same key is kept). */
export type RtListener =
  | { key: string; kind: "inbound"; address: string; port: number; instance: RtInstance; identity: RtIdentity }
  | {
      key: string;
      kind: "outbound";
      address: string;
      port: number;
      instance: RtInstance;
      identity: RtIdentity;
      /** The shared secret its app must present (`Proxy-Authorization`), when set. */ token?: string;
    }
  | { key: string; kind: "ingress"; address: string; port: number; name: string; identity: RtIdentity; destination?: { service: RtService; port?: number } }
  | { key: string; kind: "admin"; address: string; port: number }
  /** Virtual mesh: the east-west listener other members reach this member's services through (`spec.eastWest`). */
  | { key: string; kind: "eastwest"; address: string; port: number };

/** Runtime settings with defaults applied. */
export interface RtSettings {
  trustDomain: string;
  certTtlMs: number;
  caCertFile?: string;
  caKeyFile?: string;
  caRootFile?: string;
  limits: Required<NonNullable<ProxyConfig["spec"]["limits"]>>;
  accessLog: { enabled: boolean; path: string };
  colocatedHops: "mtls" | "inline";
  /** What proxies speak to each other over mutual TLS (`spec.hopProtocol`): the hop protocol (net/hop.ts) or HTTP. */
  hopProtocol: "multiplexed" | "http";
  /** Virtual mesh: the member this proxy runs (`spec.member`); peers' issuers are then checked (identity/ca.ts issuerMismatch). */
  member?: string;
  /** Virtual mesh: the other members by name (`spec.members`). */
  members: ReadonlyMap<string, RtMember>;
}

/** The compiled configuration. Immutable once built; a reload builds a new one. */
export interface CompiledConfig {
  source: ProxyConfig;
  settings: RtSettings;
  services: Map<string, RtService>;
  listeners: RtListener[];
  /** Resolves a Host name (without port) for a caller namespace. */
  resolveHost(host: string, callerNamespace: string): RtService | undefined;
}

export const DEFAULT_LIMITS: RtSettings["limits"] = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  peerKeepAliveTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  handshakeTimeoutMs: 10_000,
  maxHeaderBytes: 16_384,
  maxConnections: 4096,
  maxConcurrentStreams: 128,
  maxBufferedBodyBytes: 1_048_576,
  drainTimeoutMs: 10_000,
};

const DEFAULT_ADMIN_PORT = 15000;
/** Port of an east-west listener (and of a member's gateway) when none is given: Istio's east-west gateway's. */
export const DEFAULT_EAST_WEST_PORT = 15443;
const DEFAULT_INGRESS_SA = "unimesh-ingress";

/** Compiles a merged configuration. */
export function compileConfig(config: ProxyConfig): { compiled?: CompiledConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const err = (pointer: string, code: string, message: string) => diagnostics.push({ code, severity: "error", message, pointer });
  const spec = config.spec;
  const trustDomain = spec.trustDomain ?? "cluster.local";
  const spiffe = (ns: string, sa: string) => `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;
  const identity = (ns: string, sa: string): RtIdentity => {
    const id = spiffe(ns, sa);
    return { namespace: ns, serviceAccount: sa, spiffe: id, peer: { spiffe: id, trustDomain, namespace: ns, label: `${ns}/${sa}`, address: "127.0.0.1" } };
  };
  const nsModes = new Map((spec.mtlsNamespaces ?? []).map((m) => [m.namespace, m.mode]));
  const fallbackMode = spec.defaultMtlsMode ?? "permissive";
  const destinations = new Map((spec.destinations ?? []).map((d) => [`${d.namespace}/${d.service}`, d]));
  const scopedAccess = new Map((spec.namespaceAccess ?? []).map((a, index) => [a.namespace, { access: a.access, index }]));
  const members = new Map<string, RtMember>();
  (spec.members ?? []).forEach((m, i) => {
    if (m.name === spec.member || members.has(m.name))
      err(`/spec/members/${i}/name`, "proxy/duplicate-member", `member ${m.name} is listed twice (or is this proxy's own member)`);
    members.set(m.name, {
      name: m.name,
      trustDomain: m.trustDomain,
      ...(m.gateway ? { gateway: { address: m.gateway.address, port: m.gateway.port ?? DEFAULT_EAST_WEST_PORT } } : {}),
    });
  });
  /** True for another member of `spec.members` (the own member is local: false, no error); an error otherwise. */
  function knownMember(name: string, at: string): boolean {
    if (name === spec.member) return false;
    if (members.has(name)) return true;
    err(at, "proxy/unknown-member", `${name} is not a member of spec.members (${[...members.keys()].join(", ") || "none"})`);
    return false;
  }
  // The hops to other members' services, one per (member, service, port, subset), shared by every target naming it.
  const remotes = new Map<string, RtInstance>();
  const remoteInstance = (member: RtMember, svc: RtService, port: RtPort, subset?: string): RtInstance => {
    const id = `${member.name}/${svc.key}:${port.port}${subset ? `/${subset}` : ""}`;
    let inst = remotes.get(id);
    if (!inst) {
      const gw = member.gateway;
      inst = {
        id,
        service: svc,
        address: gw?.address ?? "",
        port: gw?.port ?? DEFAULT_EAST_WEST_PORT,
        servicePort: port,
        labels: {},
        mode: "strict",
        ...(gw ? { bound: { address: gw.address, port: gw.port } } : {}),
        active: 0,
        remote: {
          member: member.name,
          servername: eastWestServerName(svc.namespace, svc.name, port.port, subset),
          spiffe: `spiffe://${member.trustDomain}/ns/${svc.namespace}/sa/${svc.serviceAccount}`,
        },
      };
      remotes.set(id, inst);
    }
    return inst;
  };

  // Services (every registry service, plus destinations and mirror targets without one).
  const services = new Map<string, RtService>();
  const serviceSpecs: { s: Service; index: number }[] = (spec.services ?? []).map((s, index) => ({ s, index }));
  const ensure = (ns: string, name: string) => {
    if (!serviceSpecs.some(({ s }) => (s.namespace ?? DEFAULT_NAMESPACE) === ns && s.name === name)) {
      serviceSpecs.push({ s: { name, namespace: ns }, index: -1 });
    }
  };
  for (const d of spec.destinations ?? []) {
    ensure(d.namespace, d.service);
    for (const r of d.routes) if (r.mirror) ensure(r.mirror.namespace, r.mirror.service);
  }
  for (const { s, index } of serviceSpecs) {
    const ns = s.namespace ?? DEFAULT_NAMESPACE;
    const key = `${ns}/${s.name}`;
    const base = `/spec/services/${index}`;
    if (services.has(key)) {
      err(base, "proxy/duplicate-service", `service ${key} is listed twice`);
      continue;
    }
    const declared = (s.ports ?? []).map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port, protocol: (p.protocol ?? "http") as Protocol }));
    const fromInstances = [...new Set((s.instances ?? []).map((i) => i.servicePort).filter((p): p is number => p !== undefined))];
    const ports: RtPort[] = declared.length
      ? declared
      : fromInstances.length
        ? fromInstances.map((p) => ({ port: p, targetPort: p, protocol: "http" }))
        : [{ port: 80, targetPort: 80, protocol: "http" }];
    const dspec = destinations.get(key);
    // Endpoint lists by label set (the compiled targets' own objects) and port.
    const byLabels = new WeakMap<Record<string, string>, Map<number, RtInstance[]>>();
    const all = new Map<number, RtInstance[]>();
    const svc: RtService = {
      key,
      namespace: ns,
      name: s.name,
      serviceAccount: s.serviceAccount ?? s.name,
      spiffe: spiffe(ns, s.serviceAccount ?? s.name),
      selector: { ...(s.selector ?? { app: s.name }) },
      ports,
      instances: [],
      destination: undefined as unknown as RtDestination,
      views: new Map(),
      subsets: new Map((s.subsets ?? []).map((x) => [x.name, { ...x.labels }])),
      ...(dspec?.mtls ? { mtls: dspec.mtls } : {}),
      ...(nsModes.has(ns) ? { namespaceMode: nsModes.get(ns)! } : {}),
      portOf(port) {
        if (port === undefined) return ports.length === 1 ? ports[0] : (ports.find((p) => p.port === 80) ?? ports[0]);
        return ports.find((p) => p.port === port) ?? (ports.length === 1 && port === 80 ? ports[0] : undefined);
      },
      endpoints(labels, port) {
        let m = labels ? byLabels.get(labels) : all;
        if (!m) byLabels.set(labels!, (m = new Map()));
        let list = m.get(port);
        if (!list) {
          list = svc.instances.filter((i) => i.servicePort.port === port && (!labels || Object.entries(labels).every(([lk, lv]) => i.labels[lk] === lv)));
          m.set(port, list);
        }
        return list;
      },
    };
    (s.instances ?? []).forEach((inst, j) => {
      const ip = `${base}/instances/${j}`;
      let sp: RtPort | undefined;
      if (inst.servicePort !== undefined) {
        sp = ports.find((p) => p.port === inst.servicePort);
        if (!sp)
          err(
            `${ip}/servicePort`,
            "proxy/unknown-port",
            `instance ${inst.port} of ${key} serves port ${inst.servicePort}, which is not a port of the service (${ports.map((p) => p.port).join(", ")})`,
          );
      } else if (ports.length === 1) sp = ports[0];
      else
        err(
          `${ip}/servicePort`,
          "proxy/ambiguous-port",
          `service ${key} has several ports (${ports.map((p) => p.port).join(", ")}): say which one instance ${inst.port} serves with servicePort`,
        );
      if (!sp) return;
      const address = inst.address ?? "127.0.0.1";
      svc.instances.push({
        id: `${key}/${address}:${inst.port}`,
        service: svc,
        address,
        port: inst.port,
        servicePort: sp,
        labels: { ...(inst.labels ?? {}) },
        mode: resolveMode(svc.mtls, svc.namespaceMode, fallbackMode, portNames(svc.ports, sp)),
        active: 0,
      });
    });
    services.set(key, svc);
  }

  // Host index.
  const hosts = new Map<string, RtService[]>();
  const index = (h: string, s: RtService) => {
    const l = hosts.get(h) ?? [];
    l.push(s);
    hosts.set(h, l);
  };
  for (const s of services.values()) {
    for (const h of [
      s.name,
      `${s.name}.${s.namespace}`,
      `${s.name}.${s.namespace}.svc`,
      `${s.name}.${s.namespace}.svc.cluster.local`,
      `${s.name}.${s.namespace}.svc.${trustDomain}`,
    ])
      index(h, s);
  }
  const resolveHost = (host: string, callerNs: string): RtService | undefined => {
    const l = hosts.get(host.toLowerCase());
    if (!l) return undefined;
    if (l.length === 1) return l[0];
    return l.find((s) => s.namespace === callerNs) ?? l.find((s) => s.namespace === DEFAULT_NAMESPACE) ?? l[0];
  };

  // Destinations.
  for (const svc of services.values()) {
    const dspec = destinations.get(svc.key);
    const dIndex = (spec.destinations ?? []).findIndex((d) => `${d.namespace}/${d.service}` === svc.key);
    const routes = (dspec?.routes ?? [{ id: "default", forward: { targets: [{ weight: 100 }] } } as Route]).map((r, i) =>
      compileRoute(r, `/spec/destinations/${dIndex}/routes/${i}`, services, err, svc.namespace, (name, at) => knownMember(name, at)),
    );
    const failover = (dspec?.failover?.clusters ?? []).filter((name, k) => knownMember(name, `/spec/destinations/${dIndex}/failover/clusters/${k}`));
    // A destination's own access holds every scope; a service without one is governed by the
    // namespace-wide AccessPolicies of its namespace (with the mesh-wide ones), else the mesh-wide ones.
    let access: RtDestination["access"];
    const nsAccess = dspec?.access ? undefined : scopedAccess.get(svc.namespace);
    const accessSpec = dspec?.access ?? nsAccess?.access ?? spec.meshAccess;
    try {
      access = compileAccess(accessSpec as Access | undefined);
    } catch (e) {
      const where = dspec?.access ? `/spec/destinations/${dIndex}/access` : nsAccess ? `/spec/namespaceAccess/${nsAccess.index}/access` : "/spec/meshAccess";
      err(where, "proxy/invalid-access", (e as Error).message);
    }
    let authenticator: Authenticator | undefined;
    if (dspec?.requestAuthentication) {
      try {
        authenticator = compileRequestAuthentication(dspec.requestAuthentication as RequestAuthentication);
      } catch (e) {
        err(`/spec/destinations/${dIndex}/requestAuthentication`, "proxy/invalid-request-authentication", `a JWKS could not be read: ${(e as Error).message}`);
      }
    }
    svc.destination = {
      key: svc.key,
      routes,
      ...(dspec?.outlierDetection ? { outlierDetection: dspec.outlierDetection } : {}),
      ...(dspec?.connectionPool ? { connectionPool: dspec.connectionPool } : {}),
      ...(dspec?.loadBalancer ? { loadBalancer: dspec.loadBalancer } : {}),
      ...(dspec?.rateLimit ? { rateLimit: dspec.rateLimit } : {}),
      ...(access ? { access } : {}),
      ...(authenticator ? { authenticator } : {}),
      ...(dspec?.wasm?.length
        ? {
            wasm: dspec.wasm.map((w): RtWasm => ({
              policy: w.policy,
              file: w.file,
              sha256: w.sha256,
              rootId: w.rootId ?? "",
              config: w.config ?? "",
              ...(w.phase ? { phase: w.phase } : {}),
              ...(w.ports ? { ports: new Set(w.ports) } : {}),
            })),
          }
        : {}),
      ...(failover.length ? { failover } : {}),
      policies: dspec?.policies ?? accessSpec?.policies ?? [],
    };
    // Subsets with settings of their own: each kind they set replaces the destination's.
    const dest = svc.destination;
    const bySubset = new Map(
      (dspec?.subsets ?? []).map((x) => [
        x.name,
        {
          ...dest,
          subset: { name: x.name, labels: x.labels },
          ...(x.outlierDetection ? { outlierDetection: x.outlierDetection } : {}),
          ...(x.connectionPool ? { connectionPool: x.connectionPool } : {}),
          ...(x.loadBalancer ? { loadBalancer: x.loadBalancer } : {}),
        } satisfies RtDestination,
      ]),
    );
    if (bySubset.size) {
      dest.subsetSettings = bySubset;
      for (const r of routes) for (const t of r.targets) if (t.subset && bySubset.has(t.subset)) t.settings = bySubset.get(t.subset);
    }
  }
  // Mirrors to a subset with settings of its own use them (every destination is compiled by now).
  for (const svc of services.values()) {
    for (const r of svc.destination.routes) {
      const m = r.mirror;
      const own = m?.subset !== undefined ? m.service.destination.subsetSettings?.get(m.subset) : undefined;
      if (own) m!.settings = own;
    }
  }

  // Destination views: each port's routes and upstreams, resolved once (instances and settings are final).
  for (const svc of services.values()) svc.views = new Map(svc.ports.map((p) => [p.port, portView(svc, p, members, remoteInstance)]));

  // Listener plan.
  const listeners: RtListener[] = [];
  const admin = spec.admin ?? {};
  listeners.push({ key: "admin", kind: "admin", address: admin.address ?? "127.0.0.1", port: admin.port ?? DEFAULT_ADMIN_PORT });
  for (const { s, index: si } of serviceSpecs) {
    const svc = services.get(`${s.namespace ?? DEFAULT_NAMESPACE}/${s.name}`);
    if (!svc) continue;
    (s.instances ?? []).forEach((inst, j) => {
      const rt = svc.instances.find((x) => x.port === inst.port && x.address === (inst.address ?? "127.0.0.1"));
      if (!rt) return;
      const id = identity(svc.namespace, svc.serviceAccount);
      listeners.push({
        key: `inbound|${rt.id}`,
        kind: "inbound",
        address: inst.inbound?.address ?? "127.0.0.1",
        port: inst.inbound?.port ?? 0,
        instance: rt,
        identity: id,
      });
      if (inst.outbound) {
        // The app's own calls: its identity, and its pod labels for routes that select callers by them.
        const caller: RtIdentity = { ...id, peer: { ...id.peer, labels: { ...svc.selector, ...rt.labels } } };
        const token = inst.outbound.token;
        listeners.push({
          key: `outbound|${rt.id}`,
          kind: "outbound",
          address: inst.outbound.address ?? "127.0.0.1",
          port: inst.outbound.port ?? 0,
          instance: rt,
          identity: caller,
          ...(token ? { token } : {}),
        });
      }
      void si;
      void j;
    });
  }
  (spec.ingresses ?? []).forEach((g, i) => {
    const ns = g.namespace ?? DEFAULT_NAMESPACE;
    let destination: { service: RtService; port?: number } | undefined;
    if (g.destination) {
      const key = `${g.destination.namespace ?? ns}/${g.destination.service}`;
      const svc = services.get(key);
      if (!svc) err(`/spec/ingresses/${i}/destination`, "proxy/unknown-service", `ingress ${g.name} sends to ${key}, which is not a service of the registry`);
      else destination = { service: svc, ...(g.destination.port ? { port: g.destination.port } : {}) };
    }
    listeners.push({
      key: `ingress|${g.name}`,
      kind: "ingress",
      address: g.address ?? "127.0.0.1",
      port: g.port,
      name: g.name,
      identity: identity(ns, g.serviceAccount ?? DEFAULT_INGRESS_SA),
      ...(destination ? { destination } : {}),
    });
  });
  if (spec.eastWest) {
    const ew: EastWest = spec.eastWest;
    listeners.push({ key: "eastwest", kind: "eastwest", address: ew.address ?? "127.0.0.1", port: ew.port ?? DEFAULT_EAST_WEST_PORT });
  }
  const fixed = new Map<string, string>();
  for (const l of listeners) {
    if (l.port === 0) continue;
    const k = `${l.address}:${l.port}`;
    if (fixed.has(k)) err("/spec", "proxy/port-in-use", `${l.key} and ${fixed.get(k)} both listen on ${k}`);
    else fixed.set(k, l.key);
  }

  const settings: RtSettings = {
    trustDomain,
    certTtlMs: spec.identity?.certTtlMs ?? 3_600_000,
    ...(spec.identity?.caCertFile ? { caCertFile: spec.identity.caCertFile } : {}),
    ...(spec.identity?.caKeyFile ? { caKeyFile: spec.identity.caKeyFile } : {}),
    ...(spec.identity?.caRootFile ? { caRootFile: spec.identity.caRootFile } : {}),
    limits: { ...DEFAULT_LIMITS, ...(spec.limits ?? {}) },
    accessLog: { enabled: spec.accessLog?.enabled ?? true, path: spec.accessLog?.path ?? "-" },
    colocatedHops: spec.colocatedHops ?? "mtls",
    hopProtocol: spec.hopProtocol ?? "multiplexed",
    ...(spec.member ? { member: spec.member } : {}),
    members,
  };
  if (!!settings.caCertFile !== !!settings.caKeyFile) err("/spec/identity", "proxy/ca-files", "caCertFile and caKeyFile go together");
  if (settings.caRootFile && !settings.caCertFile)
    err("/spec/identity/caRootFile", "proxy/ca-files", "caRootFile is the root of caCertFile: give caCertFile and caKeyFile too");
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return { compiled: { source: config, settings, services, listeners, resolveHost }, diagnostics };
}

type RemoteInstance = (member: RtMember, svc: RtService, port: RtPort, subset?: string) => RtInstance;

/** The view of a port of a service (see {@link RtPortView}). */
function portView(svc: RtService, port: RtPort, members: ReadonlyMap<string, RtMember>, remote: RemoteInstance): RtPortView {
  const routes = svc.destination.routes.filter((r) => r.port === undefined || r.port === port.port);
  return {
    port,
    h2: port.protocol !== "http",
    routes,
    upstreams: new Map(routes.map((r) => [r, r.targets.map((t) => upstreamOf(svc, t, t.port ?? port.port, members, remote))])),
  };
}

function upstreamOf(svc: RtService, target: RtTarget, port: number, members: ReadonlyMap<string, RtMember>, remote: RemoteInstance): RtUpstream {
  const settings = target.settings ?? svc.destination;
  const lb = settings.loadBalancer;
  // The target's service: the destination, or another service of the registry (`Target.service`).
  const tsvc = target.service ?? svc;
  const sp = tsvc.ports.find((p) => p.port === port) ?? { port, targetPort: port, protocol: "http" as const };
  const member = target.cluster !== undefined ? members.get(target.cluster) : undefined;
  const failover = !member ? (settings.failover ?? []).map((m) => remote(members.get(m)!, tsvc, sp, target.subset)) : [];
  return {
    target,
    port,
    settings,
    reset: settings.connectionPool?.maxRequestsPerConnection === 1,
    ...(lb?.algorithm === "consistent-hash" && lb.hash ? { hash: lb.hash } : {}),
    endpoints: member ? [remote(member, tsvc, sp, target.subset)] : tsvc.endpoints(target.labels, port),
    ...(failover.length ? { failover } : {}),
  };
}

function compileRoute(
  r: Route,
  ptr: string,
  services: Map<string, RtService>,
  err: (p: string, c: string, m: string) => void,
  namespace = DEFAULT_NAMESPACE,
  remoteMember: (name: string, at: string) => boolean = () => false,
): RtRoute {
  let match: Matcher = () => true;
  try {
    match = compileMatch(r.match);
  } catch (e) {
    err(`${ptr}/match`, "proxy/invalid-regex", (e as Error).message);
  }
  const actions = [r.forward, r.redirect, r.directResponse].filter((x) => x !== undefined).length;
  if (actions !== 1) err(ptr, "proxy/route-action", `route ${r.id} must have exactly one of forward, redirect, directResponse`);
  const targets = (r.forward?.targets ?? []).map((t, i): RtTarget => ({
    ...(t.service ? targetService(`${t.namespace ?? namespace}/${t.service}`, `${ptr}/forward/targets/${i}/service`) : {}),
    ...(t.cluster !== undefined && remoteMember(t.cluster, `${ptr}/forward/targets/${i}/cluster`) ? { cluster: t.cluster } : {}),
    ...(t.subset ? { subset: t.subset } : {}),
    ...(t.labels ? { labels: t.labels } : {}),
    ...(t.port ? { port: t.port } : {}),
    ...(t.headers?.request ? { requestHeaders: t.headers.request } : {}),
    ...(t.headers?.response ? { responseHeaders: t.headers.response } : {}),
  }));
  function targetService(key: string, at: string): { service?: RtService } {
    const service = services.get(key);
    if (!service) err(at, "proxy/unknown-service", `split target ${key} is not a service of the registry`);
    return service ? { service } : {};
  }
  const weights = (r.forward?.targets ?? []).map((t) => t.weight);
  let mirror: RtMirror | undefined;
  if (r.mirror) {
    const svc = services.get(`${r.mirror.namespace}/${r.mirror.service}`)!;
    mirror = {
      service: svc,
      ...(r.mirror.subset ? { subset: r.mirror.subset } : {}),
      ...(r.mirror.labels ? { labels: r.mirror.labels } : {}),
      ...(r.mirror.port ? { port: r.mirror.port } : {}),
      percent: r.mirror.percent,
    };
  }
  let cors: CorsPolicy | undefined;
  try {
    cors = compileCors(r.cors);
  } catch (e) {
    err(`${ptr}/cors`, "proxy/invalid-regex", (e as Error).message);
  }
  const retries = compileRetries(r.retries);
  return {
    id: r.id,
    ...(r.name ? { name: r.name } : {}),
    ...(r.policy ? { policy: r.policy } : {}),
    source: compileSource(r.source),
    ...(r.port ? { port: r.port } : {}),
    match,
    targets,
    weights,
    totalWeight: weights.reduce((a, b) => a + b, 0),
    ...(r.redirect ? { redirect: r.redirect } : {}),
    ...(r.directResponse ? { directResponse: r.directResponse } : {}),
    ...(r.rewrite ? { rewrite: r.rewrite } : {}),
    ...(r.timeoutMs ? { timeoutMs: r.timeoutMs } : {}),
    ...(retries ? { retries } : {}),
    ...(r.retries?.perTryTimeoutMs ? { perTryTimeoutMs: r.retries.perTryTimeoutMs } : {}),
    ...(r.faultInjection ? { faultInjection: r.faultInjection } : {}),
    ...(mirror ? { mirror } : {}),
    ...(r.headers?.request ? { requestHeaders: r.headers.request } : {}),
    ...(r.headers?.response ? { responseHeaders: r.headers.response } : {}),
    ...(cors ? { cors } : {}),
  };
}
