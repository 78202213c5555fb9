/**
 * An ORACLE of Linkerd's inbound authorization decision, written from Linkerd's own documentation, CRDs
 * and policy code and NOT from unimesh's code, for the differential test
 * test/adapters/linkerd/access-differential.test.ts: it takes Linkerd objects (Server, ServerAuthorization,
 * AuthorizationPolicy, MeshTLSAuthentication, NetworkAuthentication, HTTPRoute of policy.linkerd.io or
 * gateway.networking.k8s.io with a Server parent, Namespace annotations) as plain objects and one request as
 * the destination pod's proxy sees it, and says allow (or 403, 404, connection refused). A pure function,
 * {@link linkerdAuthorize}; other kinds are ignored.
 *
 * Sources (linkerd/website at 93f0017, linkerd/linkerd2 at b24cd40, linkerd/linkerd2-proxy at 29637b6):
 * - website linkerd.io/content/2-edge/reference/authorization-policy.md ("the reference") and
 *   features/server-policy.md ("the feature page");
 * - where they leave a point open, the policy controller (linkerd2 policy-controller/k8s/index/src/
 *   defaults.rs, inbound/index.rs, inbound/*.rs, grpc/src/inbound.rs) and the proxy (linkerd2-proxy
 *   linkerd/proxy/server-policy/src/{lib,authz}.rs, linkerd/app/inbound/src/policy{,/http}.rs,
 *   linkerd/http/route/src/{lib.rs,http/match.rs,http/match/path.rs,http/match/header.rs}), cited where used.
 *
 * What they say, and how it is implemented here:
 * 1. Which policy governs a pod port. "A Server selects a port on a set of pods in the same namespace as
 *    the server" (podSelector matchLabels / matchExpressions; `port` a number: a port NAME needs the pod
 *    spec and throws here). "Multiple Server instances must not overlap"; when they do, the controller
 *    keeps the oldest (index.rs reindex_servers: sorted by creation time then name, "Port already matched
 *    by another server; skipping"): creation times are not in the objects, so every candidate is decided
 *    and, if they differ, the decision is the most permissive one, flagged `ambiguous`. A port without a
 *    Server gets the DEFAULT policy: "The config.linkerd.io/default-inbound-policy annotation can be set at
 *    a namespace, workload, and pod level" over the cluster-wide `proxy.defaultInboundPolicy` (default
 *    all-unauthenticated) (the feature page; index.rs default_inbound_server: pod settings, else the cluster's).
 * 2. Default policies (the reference, "Default policies"; defaults.rs default_authzs): all-unauthenticated
 *    = any client from 0.0.0.0/0, ::/0; all-authenticated = any meshed (mTLS) client from anywhere;
 *    cluster-authenticated / cluster-unauthenticated = the same from the cluster's networks only
 *    (`clusterNetworks`); deny = nothing; audit = "Same as all-unauthenticated but requests get flagged".
 * 3. A Server: "When a Server resource is present, all traffic to the port on its pods will be denied unless
 *    explicitly authorized or audit mode is enabled"; its `accessPolicy` "declares the policy applied to
 *    traffic not matching any associated authorization policies (defaults to deny)", values as the default
 *    policies (index.rs client_authzs adds that policy's authorizations to the Server's; Server v1beta1 has
 *    no such field: deny). The Server's authorizations are the AuthorizationPolicies whose `targetRef` is the
 *    Server or the Namespace ("applies to all traffic to all Servers and HTTPRoutes defined in the
 *    namespace. This may only be the namespace of the AuthorizationPolicy") and the ServerAuthorizations
 *    whose `server` names it (`name`) or selects its labels (`selector`).
 * 4. AuthorizationPolicy: "In the case of multiple entries, _all_ authentications must match"; a
 *    MeshTLSAuthentication "means that clients must be in the mesh and must have one of the specified
 *    identities" (`identities`: exact, "The `*` prefix can be used to match all identities in a domain. An
 *    identity string of `*` indicates that all meshed clients are authorized"; `identityRefs` to
 *    ServiceAccounts `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`, to a Namespace
 *    `*.<ns>.serviceaccount.identity.linkerd.<trust domain>`); a NetworkAuthentication "means that clients
 *    must be in one of the specified networks" (`cidr` minus `except`); `requiredAuthenticationRefs` to a
 *    ServiceAccount is that identity. Without a NetworkAuthentication any network; without an identity
 *    reference any client, meshed or not (index.rs policy_client_authz). A policy referencing an
 *    authentication that does not exist, or two MeshTLS / two Network authentications, is ignored
 *    ("Illegal AuthorizationPolicy; ignoring").
 * 5. ServerAuthorization (deprecated): `client.unauthenticated`, or `client.meshTLS` {unauthenticatedTLS,
 *    identities, serviceAccounts (namespace default: the authorization's)}; `client.networks` "If unset, the
 *    server chooses a default (typically, all IPs or the cluster's pod network)": the cluster's networks
 *    (grpc/src/inbound.rs to_authz).
 * 6. Routes. "When attached to a Server, an HTTPRoute resource represents a subset of the traffic ...
 *    AuthorizationPolicies may target HTTPRoute resources, thereby authorizing traffic to that HTTPRoute
 *    only"; "A given HTTP request can only match one HTTPRoute", the most specific: linkerd2-proxy
 *    http/route lib.rs `find` takes the best match over all rules of all routes (http/match.rs: the path
 *    match length first (Exact and RegularExpression: the request path's length; PathPrefix: the prefix's;
 *    none: 1), then the number of header matches, then of query parameter matches, then whether a method
 *    was matched); on a tie the earlier rule of a route, and across routes the oldest route, then the name
 *    (policy-controller grpc/src/inbound/http.rs to_route_list): creation times are unknown, so a tie
 *    between routes is decided on each and, if they differ, most permissively (`ambiguous`). A Server
 *    without any HTTPRoute has one default route matching every request. A request no route matches is
 *    refused: 404 (linkerd2-proxy app/inbound policy/http.rs HttpRouteNotFound). The authorizations checked
 *    are the chosen route's own (policies targeting it) plus the Server's (proxy server-policy lib.rs
 *    mk_routes with the server's authorizations as parent_authzs), plus "Always permit traffic from
 *    localhost" (server-policy lib.rs). A request no authorization admits: 403 ("Any traffic that is known
 *    to be HTTP ... that is denied by policy will result in the proxy returning an HTTP 403").
 * 7. Matching: paths as sent (uri.path(), no normalization; the query is not part of it); `Exact` equal;
 *    `PathPrefix` by whole segments (path.rs: `/` matches all, else the trailing `/` of both is ignored and
 *    the rest must be empty or start with `/`); `RegularExpression` (Rust regex, leftmost-first) must span
 *    the whole path; methods exactly; headers by name (case-insensitive), each header LINE on its own
 *    (header.rs: `get_all(name).any(...)`; no joining of repeated headers), Exact bytewise, RegularExpression
 *    spanning the value. A match without path matches every path. Query parameter matches and hostnames
 *    are not implemented (they throw).
 * 8. Protocols: a Server with `proxyProtocol` opaque or TLS has no HTTP routes: the connection is authorized
 *    by the Server's authorizations, and a refused connection is closed (no status).
 * 9. The client: a meshed client talks mTLS to a meshed pod ("automatic mTLS") and presents its identity;
 *    an unmeshed one is plaintext without identity. An authorization needs the client's address in one of
 *    its networks, then: unauthenticated: any client; meshTLS unauthenticatedTLS: any TLS client;
 *    identities: an exact identity or a suffix `.<parts>` of it (server-policy authz.rs, app/inbound policy.rs
 *    is_tls_authorized).
 * Probes (the default probe routes) are not modelled: requests here are never kubelet probes.
 */
import { inCidr } from "./cidr.js";

/** A Kubernetes object as parsed YAML (only what the oracle reads). */
export interface LinkerdObject {
  apiVersion?: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
}

/** One request as the destination pod's proxy sees it. */
export interface LinkerdRequest {
  /** The pod receiving it: its namespace, labels and annotations. */
  workload: { namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  /** The pod port. */
  port: number;
  /**
   * The client: its address, its mesh identity when it is meshed (mTLS), and whether it connects from the
   * pod's own loopback (default: when the address is a loopback address).
   */
  client: { ip: string; identity?: string; loopback?: boolean };
  method: string;
  /** The path as sent, with an optional query string. */
  path: string;
  /** Header lines: [name, value], in order; a name may repeat. */
  headers: [string, string][];
}

export interface LinkerdOptions {
  /** `proxy.defaultInboundPolicy` (default all-unauthenticated). */
  clusterDefault?: DefaultPolicy;
  /** `clusterNetworks` (Linkerd's install default). */
  clusterNetworks?: string[];
  /** The identity trust domain (identityRefs), default cluster.local. */
  trustDomain?: string;
}

export type DefaultPolicy = "all-unauthenticated" | "all-authenticated" | "cluster-authenticated" | "cluster-unauthenticated" | "deny" | "audit";

export interface LinkerdDecision {
  allowed: boolean;
  /** 403 (refused by policy), 404 (no route), or undefined (allowed, or a refused connection). */
  status?: number;
  reason: string;
  /** The decision depends on creation times the objects do not carry (the most permissive is given). */
  ambiguous?: boolean;
}

const DEFAULT_CLUSTER_NETWORKS = ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"];
const ANNOTATION = "config.linkerd.io/default-inbound-policy";
const POLICIES: DefaultPolicy[] = ["all-unauthenticated", "all-authenticated", "cluster-authenticated", "cluster-unauthenticated", "deny", "audit"];

/** An authorization: networks, then who (rule 9). */
interface Authz {
  name: string;
  networks: { net: string; except: string[] }[];
  authn: { kind: "unauthenticated" } | { kind: "tls" } | { kind: "identities"; exact: string[]; suffixes: string[] };
}

/** Decides one request against the Linkerd objects of the cluster. */
export function linkerdAuthorize(objects: readonly LinkerdObject[], req: LinkerdRequest, opts: LinkerdOptions = {}): LinkerdDecision {
  const ns = req.workload.namespace;
  const inNs = objects.filter((o) => (o.metadata.namespace ?? "default") === ns);
  const servers = inNs.filter((o) => o.kind === "Server" && selects(o.spec?.podSelector, req.workload.labels) && serverPort(o) === req.port);
  if (!servers.length) {
    const policy = defaultPolicy(objects, req, opts);
    const authzs = defaultAuthzs(policy, opts, `default:${policy}`);
    return check(authzs, req, `no Server on port ${req.port}: default policy ${policy}`);
  }
  const decisions = servers.map((s) => serverDecision(s, inNs, objects, req, opts));
  return mostPermissive(decisions, servers.length > 1 ? "several Servers select the pod port (the oldest applies)" : "");
}

function mostPermissive(ds: LinkerdDecision[], why: string): LinkerdDecision {
  const first = ds[0];
  if (ds.every((d) => d.allowed === first.allowed && d.status === first.status))
    return ds.length > 1 ? { ...first, reason: `${first.reason} [${why}: all agree]` } : first;
  const allowed = ds.find((d) => d.allowed) ?? ds.find((d) => d.status === 403) ?? first;
  return {
    ...allowed,
    ambiguous: true,
    reason: `${allowed.reason} [${why}: ${ds.map((d) => (d.allowed ? "allowed" : `denied ${d.status ?? ""}`)).join(" / ")}]`,
  };
}

function serverPort(s: LinkerdObject): number {
  const p = s.spec?.port;
  if (typeof p !== "number") throw new Error(`oracle: Server ${s.metadata.name} names port ${String(p)}: named ports need the pod spec`);
  return p;
}

/** Kubernetes label selector (matchLabels AND matchExpressions); an empty selector selects everything. */
export function selects(sel: any, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === "In"
        ? has && e.values.includes(labels[e.key])
        : e.operator === "NotIn"
          ? !has || !e.values.includes(labels[e.key])
          : e.operator === "Exists"
            ? has
            : e.operator === "DoesNotExist"
              ? !has
              : (() => {
                  throw new Error(`oracle: selector operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

/** The pod's default policy: its annotation, else its namespace's, else the cluster's (rule 1). */
function defaultPolicy(objects: readonly LinkerdObject[], req: LinkerdRequest, opts: LinkerdOptions): DefaultPolicy {
  const nsObj = objects.find((o) => o.kind === "Namespace" && o.metadata.name === req.workload.namespace);
  const v = req.workload.annotations?.[ANNOTATION] ?? nsObj?.metadata.annotations?.[ANNOTATION] ?? opts.clusterDefault ?? "all-unauthenticated";
  if (!POLICIES.includes(v as DefaultPolicy)) throw new Error(`oracle: default inbound policy ${v}`);
  return v as DefaultPolicy;
}

const ALL_NETWORKS = [
  { net: "0.0.0.0/0", except: [] },
  { net: "::/0", except: [] },
];
const clusterNets = (opts: LinkerdOptions) => (opts.clusterNetworks ?? DEFAULT_CLUSTER_NETWORKS).map((net) => ({ net, except: [] as string[] }));

/** A default policy's authorizations (rule 2). */
function defaultAuthzs(p: DefaultPolicy, opts: LinkerdOptions, name: string): Authz[] {
  if (p === "deny") return [];
  const cluster = p.startsWith("cluster-");
  const authenticated = p === "all-authenticated" || p === "cluster-authenticated";
  return [
    {
      name,
      networks: cluster ? clusterNets(opts) : ALL_NETWORKS,
      authn: authenticated ? { kind: "identities", exact: [], suffixes: [""] } : { kind: "unauthenticated" },
    },
  ];
}

/** `*` → suffix "" (every identity); `*.a.b` → suffix `.a.b`; anything else exact (identity_match.rs). */
function identityMatch(id: string, out: { exact: string[]; suffixes: string[] }): void {
  if (id === "*") out.suffixes.push("");
  else if (id.startsWith("*.")) out.suffixes.push(id.slice(1));
  else out.exact.push(id);
}

const saIdentity = (ns: string, sa: string, td: string) => `${sa}.${ns}.serviceaccount.identity.linkerd.${td}`;

/** The authorization of an AuthorizationPolicy, or a reason it is ignored (rule 4). */
function policyAuthz(p: LinkerdObject, objects: readonly LinkerdObject[], opts: LinkerdOptions): Authz | string {
  const pns = p.metadata.namespace ?? "default";
  const td = opts.trustDomain ?? "cluster.local";
  let ids: { exact: string[]; suffixes: string[] } | undefined;
  let networks: Authz["networks"] | undefined;
  for (const r of p.spec?.requiredAuthenticationRefs ?? []) {
    const rns = r.namespace ?? pns;
    const find = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name === r.name && (o.metadata.namespace ?? "default") === rns);
    if (r.kind === "MeshTLSAuthentication") {
      const m = find("MeshTLSAuthentication");
      if (!m) return `MeshTLSAuthentication ${rns}/${r.name} not found`;
      if (ids) return "several identity authentications";
      ids = { exact: [], suffixes: [] };
      for (const id of m.spec?.identities ?? []) identityMatch(id, ids);
      for (const ref of m.spec?.identityRefs ?? []) {
        if (ref.kind === "ServiceAccount") ids.exact.push(saIdentity(ref.namespace ?? rns, ref.name, td));
        else if (ref.kind === "Namespace") ids.suffixes.push(`.${ref.name}.serviceaccount.identity.linkerd.${td}`);
        else return `identityRef kind ${ref.kind}`;
      }
      if (!ids.exact.length && !ids.suffixes.length) return `MeshTLSAuthentication ${r.name}: no identities`;
    } else if (r.kind === "NetworkAuthentication") {
      const n = find("NetworkAuthentication");
      if (!n) return `NetworkAuthentication ${rns}/${r.name} not found`;
      if (networks) return "several NetworkAuthentications";
      networks = (n.spec?.networks ?? []).map((x: any) => ({ net: x.cidr, except: x.except ?? [] }));
      if (!networks!.length) return `NetworkAuthentication ${r.name}: no networks`;
    } else if (r.kind === "ServiceAccount") {
      if (ids) return "several identity authentications";
      ids = { exact: [saIdentity(rns, r.name, td)], suffixes: [] };
    } else return `authentication kind ${r.kind}`;
  }
  return {
    name: `AuthorizationPolicy ${pns}/${p.metadata.name}`,
    networks: networks ?? ALL_NETWORKS,
    authn: ids ? { kind: "identities", ...ids } : { kind: "unauthenticated" },
  };
}

/** A ServerAuthorization's authorization (rule 5). */
function serverAuthorizationAuthz(s: LinkerdObject, opts: LinkerdOptions): Authz {
  const c = s.spec?.client ?? {};
  const td = opts.trustDomain ?? "cluster.local";
  const ns = s.metadata.namespace ?? "default";
  const networks = c.networks?.length ? c.networks.map((x: any) => ({ net: x.cidr, except: x.except ?? [] })) : clusterNets(opts);
  let authn: Authz["authn"];
  if (c.unauthenticated) authn = { kind: "unauthenticated" };
  else if (c.meshTLS?.unauthenticatedTLS) authn = { kind: "tls" };
  else if (c.meshTLS) {
    const ids = { exact: [] as string[], suffixes: [] as string[] };
    for (const id of c.meshTLS.identities ?? []) identityMatch(id, ids);
    for (const sa of c.meshTLS.serviceAccounts ?? []) ids.exact.push(saIdentity(sa.namespace ?? ns, sa.name, td));
    authn = { kind: "identities", ...ids };
  } else throw new Error(`oracle: ServerAuthorization ${s.metadata.name} without client authentication`);
  return { name: `ServerAuthorization ${ns}/${s.metadata.name}`, networks, authn };
}

const ref = (t: any, kind: string, group: string) => t && t.kind?.toLowerCase() === kind.toLowerCase() && (t.group ?? "").toLowerCase() === group.toLowerCase();

/** The decision at a Server (rules 3, 6, 8). */
function serverDecision(
  server: LinkerdObject,
  inNs: LinkerdObject[],
  all: readonly LinkerdObject[],
  req: LinkerdRequest,
  opts: LinkerdOptions,
): LinkerdDecision {
  const name = server.metadata.name;
  const authzs: Authz[] = [];
  for (const o of inNs) {
    if (o.kind === "ServerAuthorization") {
      const s = o.spec?.server ?? {};
      if (s.name !== undefined ? s.name === name : selects(s.selector ?? {}, server.metadata.labels ?? {})) authzs.push(serverAuthorizationAuthz(o, opts));
    }
    if (o.kind === "AuthorizationPolicy") {
      const t = o.spec?.targetRef;
      const toServer = ref(t, "Server", "policy.linkerd.io") && t.name === name;
      const toNs = t?.kind === "Namespace" && !t.group && t.name === (o.metadata.namespace ?? "default");
      if (!toServer && !toNs) continue;
      const a = policyAuthz(o, all, opts);
      if (typeof a !== "string") authzs.push(a);
    }
  }
  const ap = server.spec?.accessPolicy as DefaultPolicy | undefined;
  if (ap !== undefined) {
    if (!POLICIES.includes(ap)) throw new Error(`oracle: Server accessPolicy ${ap}`);
    authzs.push(...defaultAuthzs(ap, opts, `Server ${name} accessPolicy ${ap}`));
  }
  const proto = server.spec?.proxyProtocol ?? "unknown";
  const at = `Server ${req.workload.namespace}/${name}${ap ? ` (accessPolicy ${ap})` : ""}`;
  if (proto === "opaque" || proto === "TLS") {
    const d = check(authzs, req, `${at}, ${proto}: connection-level`);
    return d.allowed ? d : { ...d, status: undefined };
  }
  if (proto === "gRPC") throw new Error("oracle: gRPC Servers (GRPCRoutes) are not implemented");
  const routes = inNs.filter(
    (o) =>
      o.kind === "HTTPRoute" &&
      /^(policy\.linkerd\.io|gateway\.networking\.k8s\.io)\//.test(o.apiVersion ?? "") &&
      (o.spec?.parentRefs ?? []).some((p: any) => ref(p, "Server", "policy.linkerd.io") && p.name === name),
  );
  if (inNs.some((o) => o.kind === "GRPCRoute" && (o.spec?.parentRefs ?? []).some((p: any) => p.kind === "Server" && p.name === name)))
    throw new Error("oracle: GRPCRoutes on a Server are not implemented");
  if (!routes.length) return check(authzs, req, `${at}, no HTTPRoute (default route)`);
  // The best match of every route (rule 6); ties across routes are decided on each.
  let best: { score: Score; routes: LinkerdObject[] } | undefined;
  for (const r of routes) {
    if (r.spec?.hostnames?.length) throw new Error("oracle: route hostnames are not implemented");
    const s = routeScore(r, req);
    if (!s) continue;
    const c = best ? compareScore(s, best.score) : 1;
    if (c > 0) best = { score: s, routes: [r] };
    else if (c === 0) best!.routes.push(r);
  }
  if (!best) return { allowed: false, status: 404, reason: `${at}: no HTTPRoute matches (404)` };
  const ds = best.routes.map((r) => {
    const rauthz: Authz[] = [];
    for (const o of inNs) {
      if (o.kind !== "AuthorizationPolicy") continue;
      const t = o.spec?.targetRef;
      const group = (r.apiVersion ?? "").split("/")[0];
      if (!(ref(t, "HTTPRoute", group) && t.name.toLowerCase() === r.metadata.name.toLowerCase())) continue;
      const a = policyAuthz(o, all, opts);
      if (typeof a !== "string") rauthz.push(a);
    }
    return check([...rauthz, ...authzs], req, `${at}, HTTPRoute ${r.metadata.name}`);
  });
  return mostPermissive(ds, "routes tie (the oldest applies)");
}

/** A route match summary (http/match.rs RequestMatch): path length, headers, query params, method. */
type Score = [number, number, number, number];
const compareScore = (a: Score, b: Score) => {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
};

/** The best match of a route's rules for the request, or undefined (rule 6, 7). */
function routeScore(route: LinkerdObject, req: LinkerdRequest): Score | undefined {
  let best: Score | undefined;
  for (const rule of route.spec?.rules ?? []) {
    const matches = rule.matches?.length ? rule.matches : [{}];
    for (const m of matches) {
      const s = matchScore(m, req);
      if (s && (!best || compareScore(s, best) > 0)) best = s;
    }
  }
  return best;
}

function matchScore(m: any, req: LinkerdRequest): Score | undefined {
  if (m.queryParams?.length) throw new Error("oracle: query parameter matches are not implemented");
  let method = 0;
  if (m.method) {
    if (req.method !== m.method) return undefined;
    method = 1;
  }
  const q = req.path.indexOf("?");
  const path = q < 0 ? req.path : req.path.slice(0, q);
  let len = 1;
  if (m.path) {
    const l = pathMatchLength(m.path, path);
    if (l === undefined) return undefined;
    len = l;
  }
  for (const h of m.headers ?? []) if (!headerMatches(h, req.headers)) return undefined;
  return [len, m.headers?.length ?? 0, 0, method];
}

/** path.rs match_length. */
export function pathMatchLength(p: { type?: string; value?: string }, path: string): number | undefined {
  const type = p.type ?? "PathPrefix";
  const value = p.value ?? "/";
  if (type === "Exact") return value === path ? value.length : undefined;
  if (type === "RegularExpression") return spans(value, path) ? path.length : undefined;
  if (type === "PathPrefix") {
    if (value === "/") return 1;
    const prefix = value.replace(/\/+$/, "");
    const trimmed = path.replace(/\/+$/, "");
    if (!trimmed.startsWith(prefix)) return undefined;
    const rest = trimmed.slice(prefix.length);
    return rest === "" || rest.startsWith("/") ? prefix.length : undefined;
  }
  throw new Error(`oracle: path match type ${type}`);
}

/** header.rs: any line of that name (case-insensitive) equal (Exact) or spanned by the regex. */
export function headerMatches(h: { type?: string; name: string; value: string }, headers: [string, string][]): boolean {
  const values = headers.filter(([n]) => n.toLowerCase() === h.name.toLowerCase()).map(([, v]) => v);
  if ((h.type ?? "Exact") === "Exact") return values.includes(h.value);
  if (h.type === "RegularExpression") return values.some((v) => spans(h.value, v));
  throw new Error(`oracle: header match type ${h.type}`);
}

/** The Rust regex crate's leftmost-first `find` must start at 0 and end at the value's end. */
export function spans(re: string, value: string): boolean {
  const m = new RegExp(re.replace(/\(\?P</g, "(?<")).exec(value);
  return !!m && m.index === 0 && m[0].length === value.length;
}

/** Is the request admitted by one of the authorizations (or localhost)? (rule 9) */
function check(authzs: Authz[], req: LinkerdRequest, at: string): LinkerdDecision {
  const loopback = req.client.loopback ?? (req.client.ip === "127.0.0.1" || req.client.ip === "::1");
  if (loopback) return { allowed: true, reason: `${at}: localhost is always permitted` };
  const a = authzs.find((x) => authorized(x, req.client));
  if (a) return { allowed: true, reason: `${at}: authorized by ${a.name}` };
  return { allowed: false, status: 403, reason: `${at}: no authorization admits the client (${authzs.map((x) => x.name).join(", ") || "none"})` };
}

function authorized(a: Authz, client: LinkerdRequest["client"]): boolean {
  if (!a.networks.some((n) => inCidr(client.ip, n.net) && !n.except.some((e) => inCidr(client.ip, e)))) return false;
  switch (a.authn.kind) {
    case "unauthenticated":
      return true;
    case "tls":
      return client.identity !== undefined;
    case "identities": {
      const id = client.identity;
      if (id === undefined) return false;
      return a.authn.exact.includes(id) || a.authn.suffixes.some((s) => id.endsWith(s));
    }
  }
}
