/**
 * The normalized model: validated documents plus the semantics every adapter must share (service
 * facts and their conventions, subset names, identities, the route table of each destination, how
 * several policies combine). Adapters read a {@link Model}; they never re-implement these rules.
 */
import type {
  AccessPolicy,
  AccessRule,
  AccessSource,
  ClusterInfo,
  ConnectionPool,
  Cors,
  FaultInjection,
  Headers,
  Labels,
  LoadBalancer,
  Match,
  MeshService,
  Mirror,
  MTLSPolicy,
  OutlierDetection,
  Failover,
  RateLimit,
  Redirect,
  DirectResponse,
  RequestAuthentication,
  Retries,
  Rewrite,
  Route,
  ServicePort,
  TrafficPolicy,
  JwtIssuer,
  VirtualMesh,
  VirtualMeshMember,
  WasmExtension,
} from "./generated/model.js";
import { parseDuration } from "./duration.js";
import { locatePointer } from "./load.js";
import { type Diagnostic, copyFields } from "./diagnostics.js";
import { canonicalJson } from "./canonical-json.js";
import { cmp, shortHash } from "./strings.js";
import { type Subset, SubsetNamer, subsetLabels } from "./subsets.js";

// Helpers that lived here, still exported from this module for the code that imports them from it.
export { canonicalJson, cmp, shortHash, SubsetNamer, subsetLabels, type Subset };

/** The kinds of unimesh documents. */
export type DocumentKind =
  "TrafficPolicy" | "AccessPolicy" | "MTLSPolicy" | "RequestAuthentication" | "WasmExtension" | "MeshService" | "ClusterInfo" | "VirtualMesh";

/** Where a document came from. */
export interface Origin {
  file: string;
  documentIndex: number;
  /** For line lookup; absent for documents built in memory without text. */
  startLine?: number;
  text?: string;
}

/** A validated document with its origin. `id` is `Kind/namespace/name`. */
export interface Entry<T extends { metadata: { name: string; namespace?: string } }> {
  doc: T;
  origin: Origin;
  id: string;
  /** `metadata.namespace`, defaulted to `default`. */
  namespace: string;
  name: string;
}

/**
 * The retry conditions of a `retries` without `retryOn` (schema `Retries.retryOn`: "Default:
 * [connect-failure, refused-stream, 5xx]"). Every adapter uses this one list.
 */
export const DEFAULT_RETRY_ON: readonly string[] = ["connect-failure", "refused-stream", "5xx"];

/** The default namespace of documents without `metadata.namespace`. */
export const DEFAULT_NAMESPACE = "default";

/** Facts about a service: declared in a MeshService, or the documented conventions. */
export interface ServiceFacts {
  name: string;
  namespace: string;
  /** Pod labels. Convention: `{app: <name>}`. */
  selector: Labels;
  /** Convention: the service's own name. */
  serviceAccount: string;
  /** Declared ports, if any. */
  ports?: ServicePort[];
  /** Declared subsets, if any. */
  subsets?: { name: string; labels: Labels }[];
  /** The MeshService it came from, when declared. */
  declaredBy?: Entry<MeshService>;
}

/** A value of the model with the JSON Pointer (within its policy document) it came from. */
export interface At<T> {
  value: T;
  pointer: string;
}

/** One weighted backend of a route. */
export interface ResolvedTarget {
  /** Absent: every endpoint of the service. */
  subset?: Subset;
  /**
   * Another member cluster of the virtual mesh that receives this share (`split[].cluster`), never the
   * member being translated for (naming it is the same as omitting it); absent: the local cluster.
   */
  cluster?: VirtualMeshMember;
  /**
   * Another Service of the destination's namespace receiving this share (`split[].service`), never with
   * `subset`; absent: the destination itself.
   */
  service?: string;
  /** Percent, integer 0-100; the targets of one route sum to 100. */
  weight: number;
  port?: number;
  /**
   * Header changes for the requests sent to this target and its responses (`split[j].headers`), besides
   * the route's `headers`; never the same header as those (rule/header-ops).
   */
  headers?: At<Headers>;
}

/** What a route does with a matching request. */
export type RouteAction =
  | { kind: "split"; targets: ResolvedTarget[]; pointer: string }
  | { kind: "redirect"; redirect: Redirect; pointer: string }
  | { kind: "directResponse"; directResponse: DirectResponse; pointer: string };

/** A caller identity: a service account, or any authenticated caller (`*`). */
export type Identity = { namespace: string; serviceAccount: string } | { any: true };

/** Calling pods selected by labels (`Source.workloads`), the namespace resolved. */
export interface WorkloadSelector {
  namespace: string;
  /** Labels the calling pod carries (a subset of its labels); never empty (rule/empty-selector). */
  labels: Labels;
}

/**
 * A resolved source: identities, namespaces, workloads, IP blocks (ORed; all empty: every caller), minus
 * the negative lists (an AccessPolicy source's `notServiceAccounts`, `notNamespaces`, `notIpBlocks`;
 * empty elsewhere). A caller matches when it matches a positive entry (or there is none) and no negative
 * one; a caller without a mesh identity matches no identity and no namespace, negative ones included
 * (Istio `notPrincipals` / `notNamespaces` match plaintext callers). `undefined` means any caller.
 */
export interface ResolvedSource {
  identities: Identity[];
  namespaces: string[];
  /** Callers by pod labels (TrafficPolicy only: rule/workload-source refuses them in an AccessPolicy). */
  workloads: WorkloadSelector[];
  ipBlocks: string[];
  /** Excluded identities (`{any: true}`: every caller with a mesh identity). */
  notIdentities: Identity[];
  notNamespaces: string[];
  notIpBlocks: string[];
  /**
   * The member clusters whose identities `identities` and `namespaces` are (`source.clusters`, each with
   * its trust domain), when they include another member than the local one; absent: the local member
   * only (the model's `trustDomain`).
   */
  clusters?: VirtualMeshMember[];
  /** Pointer of the source in its document. */
  pointer: string;
}

/** True when a resolved source has a negative list (`notServiceAccounts`, `notNamespaces`, `notIpBlocks`). */
export function hasNegatives(s: ResolvedSource | undefined): boolean {
  return !!s && (s.notIdentities.length > 0 || s.notNamespaces.length > 0 || s.notIpBlocks.length > 0);
}

/** True when a resolved source has no positive list: it matches every caller its negative lists leave. */
export function onlyNegatives(s: ResolvedSource): boolean {
  return !s.identities.length && !s.namespaces.length && !s.workloads.length && !s.ipBlocks.length;
}

/**
 * One route of a destination's route table, with the policy-level settings applied (a route's own
 * setting overrides its policy's). Each setting keeps the pointer of where it was written. Redirect and
 * directResponse routes do not inherit the policy's `retries` and `mirror`, nor the `delay` of its
 * `faultInjection` (they only make sense for forwarded requests).
 */
export interface EffectiveRoute {
  policy: Entry<TrafficPolicy>;
  /**
   * Index in `spec.routes`, or `null` for the implicit route of a policy without `routes` (a policy
   * without `routes` that sets only destination-level settings has no route at all).
   */
  index: number | null;
  /** Pointer of the route (`/spec/routes/1`), or `/spec` for an implicit route. */
  pointer: string;
  name?: string;
  source?: ResolvedSource;
  /** `spec.destination.port`, when the policy is for one port. */
  port?: number;
  match?: At<Match>;
  action: RouteAction;
  rewrite?: At<Rewrite>;
  /** Request timeout in milliseconds. */
  timeout?: At<number>;
  retries?: At<Retries>;
  faultInjection?: At<FaultInjection>;
  /**
   * `serviceResolved`: the mirror's service, defaulted to the destination (namespace: the destination's).
   * `subsetResolved`: the named subset, when the mirror targets the destination itself.
   * `subset`: always pod labels here (a subset written by name is resolved against the MeshService
   * of the mirror's service).
   */
  mirror?: At<Omit<Mirror, "subset"> & { subset?: Labels; subsetResolved?: Subset; serviceResolved: { name: string; namespace: string } }>;
  headers?: At<Headers>;
  cors?: At<Cors>;
}

/** A destination-level setting and the policy that set it. */
export interface DestinationSetting<T> extends At<T> {
  policy: Entry<TrafficPolicy>;
}

/**
 * The settings of one subset (`TrafficPolicySpec.subsetSettings`), merged over the destination's
 * policies: per kind, the first policy (by id) that sets it. For the requests routes send to the subset,
 * each kind given replaces the destination-level one (see {@link subsetSetting}).
 */
export interface SubsetSettings {
  subset: Subset;
  outlierDetection?: DestinationSetting<OutlierDetection>;
  connectionPool?: DestinationSetting<ConnectionPool>;
  loadBalancer?: DestinationSetting<LoadBalancer>;
}

/** The kinds of settings a subset may override. */
export type SubsetSettingKind = "outlierDetection" | "connectionPool" | "loadBalancer";

/**
 * The effective setting of a kind for the requests sent to a subset (`undefined`: to the whole service):
 * the subset's own (`subsetSettings`) when it has one, else the destination-level one (Istio
 * `MergeTrafficPolicy`: a subset's field replaces the destination's whole field).
 */
export function subsetSetting<K extends SubsetSettingKind>(view: DestinationView, subset: string | undefined, kind: K): DestinationView[K] {
  if (subset !== undefined) {
    for (const s of view.subsetSettings) if (s.subset.name === subset && s[kind]) return s[kind] as DestinationView[K];
  }
  return view[kind];
}

/**
 * Where an AccessPolicy or MTLSPolicy applies: `service` (it names a destination), `namespace` (no
 * destination: every workload of the policy's namespace) or `mesh` (`scope: mesh`: every workload of
 * every namespace).
 */
export type PolicyScope = "service" | "namespace" | "mesh";

/** The scope of an AccessPolicy or MTLSPolicy (see {@link PolicyScope}). */
export function policyScope(e: Entry<AccessPolicy | MTLSPolicy>): PolicyScope {
  const s = e.doc.spec;
  return s.destination ? "service" : s.scope === "mesh" ? "mesh" : "namespace";
}

/**
 * The access rules that govern a workload no destination view describes: the namespace-wide
 * AccessPolicies of its namespace and the mesh-wide ones, combined as for a destination (one rule set).
 */
export interface ScopedAccess {
  /** Namespace-wide policies (id order), then mesh-wide ones. */
  readonly policies: readonly Entry<AccessPolicy>[];
  readonly allow: readonly EffectiveAccessRule[];
  readonly deny: readonly EffectiveAccessRule[];
}

/** One access rule of a destination, its source resolved. */
export interface EffectiveAccessRule {
  policy: Entry<AccessPolicy>;
  /** The scope of its policy: a destination's rules include the namespace- and mesh-wide ones. */
  scope: PolicyScope;
  action: "allow" | "deny";
  /** Pointer of the rule (`/spec/allow/0`). */
  pointer: string;
  rule: AccessRule;
  /** `undefined` = any caller (including unauthenticated ones). */
  source?: ResolvedSource;
  /** `spec.destination.port` of the policy, when given: the rule only concerns that port. */
  port?: number;
}

/** One issuer of a RequestAuthentication, with where it was written. */
export interface EffectiveIssuer {
  policy: Entry<RequestAuthentication>;
  /** `/spec/issuers/<i>`. */
  pointer: string;
  issuer: JwtIssuer;
}

/** True when an access rule has end-user (JWT) conditions: requestPrincipals, notRequestPrincipals, claims, notClaims. */
export function hasJwtConditions(rule: AccessRule): boolean {
  return !!(rule.requestPrincipals || rule.notRequestPrincipals || rule.claims || rule.notClaims);
}

/** Everything the model says about one destination service. */
export interface DestinationView {
  namespace: string;
  service: string;
  facts: ServiceFacts;
  trafficPolicies: Entry<TrafficPolicy>[];
  /** Most specific first (see TrafficPolicySpec in the schema). */
  routes: EffectiveRoute[];
  /**
   * True when no route catches every request from every caller (to every port: a port-specific catch-all
   * counts only when the MeshService declares that single port): adapters add a plain default route.
   */
  needsDefaultRoute: boolean;
  outlierDetection?: DestinationSetting<OutlierDetection>;
  connectionPool?: DestinationSetting<ConnectionPool>;
  loadBalancer?: DestinationSetting<LoadBalancer>;
  rateLimit?: DestinationSetting<RateLimit>;
  /**
   * Virtual mesh: where requests to the local destination go when its local endpoints are unhealthy
   * (`failover.clusters`); {@link Model.failoverMembers} resolves the members, the local one skipped.
   */
  failover?: DestinationSetting<Failover>;
  /** Per-subset settings (`subsetSettings` of the TrafficPolicies), one entry per subset, sorted by subset name. */
  subsetSettings: SubsetSettings[];
  /** Subsets used by routes and mirrors of this destination, with settings, plus declared ones; sorted by name. */
  subsets: Subset[];
  /**
   * EVERY AccessPolicy that selects this destination: its own (`destination` names it; id order), then
   * the namespace-wide ones of its namespace, then the mesh-wide ones (`policyScope`). Non-empty means
   * deny by default (for the ports the service-level ones name, when all of them name one and no
   * namespace- or mesh-wide one applies).
   */
  accessPolicies: Entry<AccessPolicy>[];
  /**
   * Allow rules of every AccessPolicy in {@link accessPolicies} (same order): the effective rule set of
   * the destination, all scopes together (their `scope` says where each comes from).
   */
  allow: EffectiveAccessRule[];
  deny: EffectiveAccessRule[];
  /** The service-level MTLSPolicy, if any. */
  mtls?: Entry<MTLSPolicy>;
  /** The RequestAuthentications of this destination (id order): their issuers validate its requests' tokens. */
  requestAuthentications: Entry<RequestAuthentication>[];
  /**
   * The issuers of every RequestAuthentication of the destination, sorted by issuer (validation makes
   * each issuer appear once; should one repeat, the first by policy id is kept).
   */
  jwtIssuers: EffectiveIssuer[];
  /**
   * The WasmExtensions of this destination, in the order its proxies run them: by phase (AUTHN, AUTHZ,
   * STATS, then those without phase), then priority (higher first), then id (see {@link wasmExtensionOrder}).
   */
  wasmExtensions: Entry<WasmExtension>[];
  /**
   * The destination's Service ports, sorted by `port` (one entry per port), each with the pod port it
   * reaches. When {@link portsDeclared}: the MeshService's `spec.ports`, which are ALL the service's
   * ports (`targetPort` defaulted to `port`). Otherwise GUESSED from every Service port the policies
   * name (TrafficPolicy `destination.port` and split target ports, AccessPolicy `destination.port` and
   * rule `ports`, service MTLSPolicy per-port keys), with `targetPort = port`, no name or protocol,
   * `declared: false`; a guess need not be all of the service's ports. Shared: read it, never change it.
   * Use {@link servicePort} to map one Service port. Declared ports include the pod ports no Service port
   * reaches (`podOnly`), which access and mTLS govern like the others: code about what a Service exposes
   * (routes, listeners of a router, client-side settings) reads {@link exposedPorts} instead.
   */
  ports: readonly DestinationPort[];
  /** True when a MeshService declares the ports (then `ports` are ALL the service's ports). */
  portsDeclared: boolean;
}

/** The protocol of a declared port (`ServicePort.protocol`; schema default: http). */
export type PortProtocol = NonNullable<ServicePort["protocol"]>;

/**
 * One Service port of a destination (see {@link DestinationView.ports}). Ports are TCP port numbers
 * (1-65535): `port` is what callers dial (the Service port), `targetPort` what the pods listen on.
 */
export interface DestinationPort {
  /** Service port. */
  readonly port: number;
  /** Pod (container) port: the declared `targetPort`, else `port` (for a guessed port: always `port`). */
  readonly targetPort: number;
  /** Declared port name (`ServicePort.name`), if any. */
  readonly name?: string;
  /** Declared protocol, if any (absent: not declared; each adapter applies its own default). */
  readonly protocol?: PortProtocol;
  /** True when the MeshService declares this port (its `targetPort` is then known, not assumed). */
  readonly declared: boolean;
  /**
   * A pod port no Service port reaches (`ServicePort.podOnly`): `port` and `targetPort` are both that pod
   * port. Access and mTLS apply to it (at the pod); routes, VirtualRouter/HTTPRoute listeners, client-side
   * settings and rate limits do not (nothing routes requests sent to a pod's address). Only declared.
   */
  readonly podOnly?: true;
}

/** The mTLS mode of an MTLSPolicy (`MTLSPolicySpec.mode` and the values of `ports`). */
export type MtlsMode = MTLSPolicy["spec"]["mode"];

/**
 * The effective mTLS mode of a destination (port) and where it comes from; see {@link Model.mtlsMode}.
 * Shared objects (one per policy field): read them, never change them.
 */
export interface EffectiveMtls {
  readonly mode: MtlsMode;
  /** The MTLSPolicy that sets it. */
  readonly policy: Entry<MTLSPolicy>;
  /** The field that sets it: `/spec/ports/<key>` (per-port key as written) or `/spec/mode`. */
  readonly pointer: string;
  /**
   * `port`: the service MTLSPolicy's `ports[port]`; `service`: its `mode`; `namespace`: the
   * namespace-wide MTLSPolicy's `mode`; `mesh`: the mesh-wide one's (`scope: mesh`).
   */
  readonly scope: "port" | "service" | "namespace" | "mesh";
}

/** The effective mode of one Service port (of the destination, or of a service sharing its pods). */
export interface PortMtls {
  port: number;
  effective: EffectiveMtls;
  /** The service whose Service port it is, when not the destination itself (see {@link Model.podGroup}). */
  service?: string;
}

/** How another service's pod selector relates to a service's (see {@link Model.podSharers}). */
export type PodRelation = "same" | "wider" | "narrower" | "overlap";

/** Another known service of the namespace whose pod selector picks some of the same pods. */
export interface PodSharer {
  /** The other service's facts (conventions applied). */
  readonly facts: ServiceFacts;
  /** Its destination view, when some policy names it. */
  readonly view?: DestinationView;
  /**
   * `same`: equal selectors (the same pods); `wider`: its selector is contained in this service's, so
   * it selects every pod of this service (and maybe more); `narrower`: this service's selector is
   * contained in its, so every pod it selects is one of this service's (`reviews` and `reviews-v2`);
   * `overlap`: neither contains the other, but they have a label in common and none that differs
   * (`{app: reviews, tier: web}` and `{app: reviews, version: v2}`), so a pod carrying the labels of
   * both is selected by both: whether one exists is not known (pod labels are not in the model).
   */
  readonly relation: PodRelation;
}

/** What {@link Model.podPortMtls} answers: the mode a pod port enforces, and the Service ports behind it that asked for less. */
export interface PodPortMtls {
  effective: EffectiveMtls;
  looser: PortMtls[];
  /** The Service port (or service: `port` 0) whose mode it is. */
  from?: PortMtls;
}

/**
 * How a {@link PortMtls} is named in a message: `Service port 80`, `Service port 80 of reviews-v2`, or
 * `reviews-v2 (ports not declared)` for a service whose ports are not known (`port` 0).
 */
export function describePortMtls(p: PortMtls): string {
  if (!p.service) return p.port ? `Service port ${p.port}` : "the service";
  return p.port ? `Service port ${p.port} of ${p.service}` : `${p.service} (its ports are not declared)`;
}

/** How strict an mTLS mode is (see {@link Model.podPortMtls}). */
export const STRICTNESS: Readonly<Record<MtlsMode, number>> = { disabled: 0, permissive: 1, strict: 2 };

/**
 * The pod port a Service port of a destination reaches, and whether it is known:
 * `{targetPort, declared: true}` for a port the MeshService declares; otherwise `{targetPort: port,
 * declared: false}` (an assumption: a Service may send port 80 to pod port 8080, so callers that could
 * open access with a wrong guess check `declared`). With declared ports, a port that is not among them
 * is not a port of the service: `declared: false` too. A declared pod-only port (`podOnly`) maps to
 * itself. Allocates nothing (returns shared objects).
 */
export function servicePort(
  view: Pick<DestinationView, "ports">,
  port: number,
): { readonly targetPort: number; readonly declared: boolean; readonly podOnly?: true } {
  const ports = view.ports;
  for (let i = 0; i < ports.length; i++) if (ports[i].port === port) return ports[i];
  return unknownPort(port);
}

/** `{targetPort: port, declared: false}`, one shared object per port number. */
function unknownPort(port: number): { readonly targetPort: number; readonly declared: boolean } {
  if (!(port >= 0 && port <= 65535 && Number.isInteger(port))) return { targetPort: port, declared: false };
  return (unknownPorts[port] ??= Object.freeze({ targetPort: port, declared: false }));
}
const unknownPorts: { readonly targetPort: number; readonly declared: boolean }[] = [];

/**
 * The ports of a list that a Service exposes (without the `podOnly` pod ports): what routes, VirtualRouter
 * and HTTPRoute listeners, client-side settings and rate limits apply to. The same array when it has no
 * pod-only port (the usual case: nothing allocated).
 */
export function exposedPorts<P extends { readonly podOnly?: boolean }>(ports: readonly P[]): readonly P[] {
  for (let i = 0; i < ports.length; i++) if (ports[i].podOnly) return ports.filter((p) => !p.podOnly);
  return ports;
}

/** The ports of a view before they are resolved, and of a destination without any. */
const NO_PORTS: readonly DestinationPort[] = Object.freeze([]);

/** The declared ports of a service (its MeshService `spec.ports`) as {@link DestinationPort}s, sorted by port. */
function declaredPorts(declared: readonly ServicePort[]): DestinationPort[] {
  const out: DestinationPort[] = [];
  for (const p of declared) {
    const d = { port: p.port, targetPort: p.targetPort ?? p.port } as { -readonly [K in keyof DestinationPort]: DestinationPort[K] };
    if (p.name) d.name = p.name;
    if (p.protocol) d.protocol = p.protocol;
    d.declared = true;
    if (p.podOnly) d.podOnly = true;
    out.push(d);
  }
  return out.length > 1 ? out.sort((a, b) => a.port - b.port) : out;
}

/** The guessed ports of a view (see {@link DestinationView.ports}): called once its policies are filled in. */
function guessedPorts(v: DestinationView): readonly DestinationPort[] {
  // A list, not a Set: a service has a port or two, named again and again by its policies.
  const seen: number[] = [];
  const see = (port: number | undefined) => {
    if (port && !seen.includes(port)) seen.push(port);
  };
  for (const p of v.trafficPolicies) see(p.doc.spec.destination.port);
  for (const r of v.routes) if (r.action.kind === "split") for (const t of r.action.targets) if (!t.service) see(t.port);
  for (const p of v.accessPolicies) see(p.doc.spec.destination?.port);
  for (const rules of [v.allow, v.deny]) {
    for (const r of rules) {
      if (r.rule.ports) for (const x of r.rule.ports) see(x);
      if (r.rule.notPorts) for (const x of r.rule.notPorts) see(x);
    }
  }
  const mtlsPorts = v.mtls?.doc.spec.ports;
  if (mtlsPorts) for (const k in mtlsPorts) see(Number(k));
  if (!seen.length) return NO_PORTS;
  if (seen.length > 1) seen.sort((a, b) => a - b);
  const out: DestinationPort[] = [];
  for (const port of seen) out.push({ port, targetPort: port, declared: false });
  return out;
}

/** The strictest of some modes (ties: the first), and those that asked for less; undefined when none. */
function strictestOf(modes: PortMtls[]): PodPortMtls | undefined {
  let best: PortMtls | undefined;
  for (const m of modes) if (!best || STRICTNESS[m.effective.mode] > STRICTNESS[best.effective.mode]) best = m;
  if (!best) return undefined;
  const top = best.effective.mode;
  return { effective: best.effective, looser: modes.filter((m) => m.effective.mode !== top), from: best };
}

/** A known service of a namespace, for {@link Model.podSharers}. */
interface KnownService {
  facts: ServiceFacts;
  view?: DestinationView;
}

/** The known services of one namespace, by name and by selector label (key, then value). */
interface NamespacePods {
  byName: Map<string, KnownService>;
  byLabel: Map<string, Map<string, KnownService[]>>;
}
const EMPTY_PODS: NamespacePods = { byName: new Map(), byLabel: new Map() };

/** The MTLSPolicies of one namespace, for {@link Model.mtlsMode}. */
interface NamespaceMtlsIndex {
  namespace?: EffectiveMtls;
  services?: Map<string, { service: EffectiveMtls; ports?: Map<number, EffectiveMtls> }>;
}

/** Options that change how the model resolves facts. */
export interface ModelOptions {
  /** SPIFFE trust domain of identities. @default "cluster.local" */
  trustDomain?: string;
  /**
   * The VirtualMesh member the model is translated for (`spec.members[].name`): its unqualified services
   * and identities are that member's, `split[].cluster` / `source.clusters` naming others are remote.
   */
  member?: string;
}

/**
 * The validated model. Build it with `validate()` / `loadModel()`; construct directly only from
 * documents you have validated yourself.
 */
export class Model {
  readonly trafficPolicies: Entry<TrafficPolicy>[] = [];
  readonly accessPolicies: Entry<AccessPolicy>[] = [];
  readonly mtlsPolicies: Entry<MTLSPolicy>[] = [];
  readonly requestAuthentications: Entry<RequestAuthentication>[] = [];
  readonly wasmExtensions: Entry<WasmExtension>[] = [];
  readonly services: Entry<MeshService>[] = [];
  /** Cluster facts from `unimesh discover` (used by `--mesh auto`). */
  readonly clusters: Entry<ClusterInfo>[] = [];
  /** The VirtualMesh documents (at most one in a valid model: rule/virtual-mesh). */
  readonly virtualMeshes: Entry<VirtualMesh>[] = [];
  readonly trustDomain: string;
  /** The member translated for ({@link ModelOptions.member}); undefined outside a virtual mesh. */
  readonly member?: string;
  private readonly serviceIndex = new Map<string, Entry<MeshService>>();
  private destinationCache?: DestinationView[];
  private destinationIndex?: Map<string, Map<string, DestinationView>>;
  private mtlsIndex?: Map<string, NamespaceMtlsIndex>;
  /** Per namespace: known services (destinations and MeshServices) and an index by selector label. */
  private podIndex?: Map<string, NamespacePods>;
  private sharersCache?: Map<string, readonly PodSharer[]>;
  private groupCache?: Map<string, readonly ServiceFacts[]>;
  /** The mesh-wide mode (set while the mTLS index is built). */
  private meshMtlsMode?: EffectiveMtls;
  private accessScopeIndex?: { namespaces: Map<string, Entry<AccessPolicy>[]>; mesh: Entry<AccessPolicy>[] };
  private readonly scopedAccessCache = new Map<string, ScopedAccess | undefined>();
  private meshAccessRules?: { allow: EffectiveAccessRule[]; deny: EffectiveAccessRule[] };

  constructor(entries: Entry<any>[], options: ModelOptions = {}) {
    this.trustDomain = options.trustDomain ?? "cluster.local";
    if (options.member !== undefined) this.member = options.member;
    // Each kind's entries sorted by id: split first, then sorted per kind (the same lists as sorting all
    // of them first: the sort is stable). Entries of one kind often come in id order already, which the
    // sort then merely checks.
    for (const e of entries) {
      switch (e.doc.kind as DocumentKind) {
        case "TrafficPolicy":
          this.trafficPolicies.push(e);
          break;
        case "AccessPolicy":
          this.accessPolicies.push(e);
          break;
        case "MTLSPolicy":
          this.mtlsPolicies.push(e);
          break;
        case "RequestAuthentication":
          this.requestAuthentications.push(e);
          break;
        case "WasmExtension":
          this.wasmExtensions.push(e);
          break;
        case "MeshService":
          this.services.push(e);
          break;
        case "ClusterInfo":
          this.clusters.push(e);
          break;
        case "VirtualMesh":
          this.virtualMeshes.push(e);
          break;
      }
    }
    const byId = (a: Entry<any>, b: Entry<any>) => cmp(a.id, b.id);
    for (const list of [
      this.trafficPolicies,
      this.accessPolicies,
      this.mtlsPolicies,
      this.requestAuthentications,
      this.wasmExtensions,
      this.services,
      this.clusters,
      this.virtualMeshes,
    ])
      list.sort(byId);
    for (const e of this.services) this.serviceIndex.set(`${e.namespace}/${e.name}`, e);
  }

  /**
   * The same documents under other options (e.g. another trust domain): a new Model (its destination
   * views are built anew, on first use), this one unchanged.
   */
  withOptions(options: ModelOptions): Model {
    return new Model(
      [
        ...this.trafficPolicies,
        ...this.accessPolicies,
        ...this.mtlsPolicies,
        ...this.requestAuthentications,
        ...this.wasmExtensions,
        ...this.services,
        ...this.clusters,
        ...this.virtualMeshes,
      ],
      { trustDomain: this.trustDomain, ...(this.member !== undefined ? { member: this.member } : {}), ...options },
    );
  }

  /** The VirtualMesh of the inputs, if any (the first: a valid model has at most one). */
  get virtualMesh(): Entry<VirtualMesh> | undefined {
    return this.virtualMeshes[0];
  }

  /** A member of the virtual mesh by name; undefined when there is no such member (or no VirtualMesh). */
  memberNamed(name: string): VirtualMeshMember | undefined {
    return this.virtualMesh?.doc.spec.members.find((m) => m.name === name);
  }

  /**
   * The member a `split[].cluster` / `source.clusters` entry names, when it is another member than the one
   * translated for ({@link member}); undefined for the local member (or no member given: the cluster is
   * then unknown, which validation reports).
   */
  remoteMember(name: string | undefined): VirtualMeshMember | undefined {
    if (name === undefined || name === this.member) return undefined;
    return this.memberNamed(name);
  }

  /**
   * The members a destination fails over to (`failover.clusters`), in order, without the member
   * translated for and names that are no member (validation reports those). Empty without failover.
   */
  failoverMembers(view: DestinationView): VirtualMeshMember[] {
    const out: VirtualMeshMember[] = [];
    for (const name of view.failover?.value.clusters ?? []) {
      const m = this.remoteMember(name);
      if (m) out.push(m);
    }
    return out;
  }

  /** Every policy (not MeshService facts), sorted by id. */
  get policies(): Entry<TrafficPolicy | AccessPolicy | MTLSPolicy | RequestAuthentication | WasmExtension>[] {
    return [...this.trafficPolicies, ...this.accessPolicies, ...this.mtlsPolicies, ...this.requestAuthentications, ...this.wasmExtensions].sort((a, b) =>
      cmp(a.id, b.id),
    );
  }

  /** Facts of a service: its MeshService, or conventions (`app: <name>`, service account `<name>`). */
  service(namespace: string, name: string): ServiceFacts {
    const e = this.serviceIndex.get(`${namespace}/${name}`);
    if (!e) return { name, namespace, selector: { app: name }, serviceAccount: name };
    const s = e.doc.spec;
    return {
      name,
      namespace,
      selector: s.selector ?? { app: name },
      serviceAccount: s.serviceAccount ?? name,
      ports: s.ports,
      subsets: s.subsets,
      declaredBy: e,
    };
  }

  /** Pod label sets of the workloads running as a service account (from MeshServices, else `app: <sa>`). */
  workloadsOf(namespace: string, serviceAccount: string): Labels[] {
    const found = this.services
      .filter((e) => e.namespace === namespace && (e.doc.spec.serviceAccount ?? e.name) === serviceAccount)
      .map((e) => e.doc.spec.selector ?? { app: e.name });
    return found.length ? found : [{ app: serviceAccount }];
  }

  /**
   * `source.clusters` resolved: `{clusters}` (members, `*` = every member) when they name another member
   * than the local one, else nothing (local identities only).
   */
  private sourceClusters(names: readonly string[] | undefined): { clusters?: VirtualMeshMember[] } {
    if (!names) return {};
    const all = this.virtualMesh?.doc.spec.members ?? [];
    const members = names.includes("*") ? all : all.filter((m) => names.includes(m.name));
    if (!members.some((m) => m.name !== this.member)) return {};
    return { clusters: [...members].sort((a, b) => cmp(a.name, b.name)) };
  }

  /** SPIFFE ID of an identity: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`. */
  spiffeId(id: { namespace: string; serviceAccount: string }): string {
    return `spiffe://${this.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
  }

  /** Resolves a source written in a policy of namespace `ns` (short service-account names are in `ns`). */
  resolveSource(source: AccessSource | undefined, ns: string, ptr: string): ResolvedSource | undefined {
    if (!source) return undefined;
    const identity = (sa: string): Identity => {
      if (sa === "*") return { any: true };
      const i = sa.indexOf("/");
      return i < 0 ? { namespace: ns, serviceAccount: sa } : { namespace: sa.slice(0, i), serviceAccount: sa.slice(i + 1) };
    };
    return {
      identities: (source.serviceAccounts ?? []).map(identity),
      namespaces: [...(source.namespaces ?? [])],
      workloads: (source.workloads ?? []).map((w) => ({ namespace: w.namespace ?? ns, labels: w.labels })),
      ipBlocks: [...(source.ipBlocks ?? [])],
      notIdentities: (source.notServiceAccounts ?? []).map(identity),
      notNamespaces: [...(source.notNamespaces ?? [])],
      notIpBlocks: [...(source.notIpBlocks ?? [])],
      ...this.sourceClusters(source.clusters),
      pointer: ptr,
    };
  }

  /** Namespace-wide MTLSPolicies (no destination, no `scope: mesh`), sorted by id. A new list on each read. */
  get namespaceMtls(): Entry<MTLSPolicy>[] {
    return this.mtlsPolicies.filter((e) => policyScope(e) === "namespace");
  }

  /** The mesh-wide MTLSPolicy (`scope: mesh`; the first by id, validation allows one), or undefined. */
  get meshMtls(): Entry<MTLSPolicy> | undefined {
    return this.mtlsPolicies.find((e) => policyScope(e) === "mesh");
  }

  /** Namespace-wide AccessPolicies (no destination, no `scope: mesh`) by namespace; mesh-wide ones. Sorted by id. */
  accessScopes(): { namespaces: ReadonlyMap<string, readonly Entry<AccessPolicy>[]>; mesh: readonly Entry<AccessPolicy>[] } {
    if (!this.accessScopeIndex) {
      const namespaces = new Map<string, Entry<AccessPolicy>[]>();
      const mesh: Entry<AccessPolicy>[] = [];
      for (const e of this.accessPolicies) {
        const scope = policyScope(e);
        if (scope === "mesh") mesh.push(e);
        else if (scope === "namespace") {
          const l = namespaces.get(e.namespace);
          if (l) l.push(e);
          else namespaces.set(e.namespace, [e]);
        }
      }
      this.accessScopeIndex = { namespaces, mesh };
    }
    return this.accessScopeIndex;
  }

  /**
   * The namespace-wide AccessPolicies of `namespace` and the mesh-wide ones, with their rules (scope
   * `namespace` or `mesh`, no port), or undefined when there are none: what governs a workload of that
   * namespace besides its service's own AccessPolicies. Computed once per namespace (shared: read it).
   */
  scopedAccess(namespace: string): ScopedAccess | undefined {
    const cached = this.scopedAccessCache.get(namespace);
    if (cached !== undefined || this.scopedAccessCache.has(namespace)) return cached;
    const { namespaces, mesh } = this.accessScopes();
    const own = namespaces.get(namespace) ?? [];
    let out: ScopedAccess | undefined;
    if (own.length || mesh.length) {
      const meshRules = (this.meshAccessRules ??= (() => {
        const r = { allow: [] as EffectiveAccessRule[], deny: [] as EffectiveAccessRule[] };
        for (const p of mesh) accessRules(this, p, "mesh", r);
        return r;
      })());
      const r = { allow: [] as EffectiveAccessRule[], deny: [] as EffectiveAccessRule[] };
      for (const p of own) accessRules(this, p, "namespace", r);
      out = { policies: [...own, ...mesh], allow: [...r.allow, ...meshRules.allow], deny: [...r.deny, ...meshRules.deny] };
    }
    this.scopedAccessCache.set(namespace, out);
    return out;
  }

  /**
   * The namespace-wide MTLSPolicy of a namespace (the first by id; validation allows one), or
   * undefined. O(1): from an index built once.
   */
  namespaceMtlsPolicy(namespace: string): Entry<MTLSPolicy> | undefined {
    return this.mtlsOf(namespace)?.namespace?.policy;
  }

  /**
   * The effective mTLS mode of Service port `port` of `namespace/service` (without `port`: of the
   * service as a whole), and the policy field that sets it. Precedence, first that applies:
   * 1. the service MTLSPolicy's `ports[port]` (keys are Service ports, never pod ports) → scope `port`;
   * 2. the service MTLSPolicy's `mode` → scope `service`;
   * 3. the namespace-wide MTLSPolicy of `namespace` (first by id) → scope `namespace`;
   * 4. the mesh-wide MTLSPolicy (`scope: mesh`, first by id) → scope `mesh`;
   * 5. undefined: no policy; the mesh's default applies (each adapter documents it).
   * The service MTLSPolicy is the one {@link DestinationView.mtls} holds (the last by id). O(1) per call
   * after an index built once over the MTLSPolicies; allocates nothing (returns shared objects).
   */
  mtlsMode(namespace: string, service: string, port?: number): EffectiveMtls | undefined {
    const n = this.mtlsOf(namespace);
    if (!n) return this.meshMtlsMode;
    const s = n.services?.get(service);
    if (!s) return n.namespace ?? this.meshMtlsMode;
    if (port !== undefined && s.ports) {
      const own = s.ports.get(port);
      if (own) return own;
    }
    return s.service;
  }

  /**
   * The mTLS mode a POD port must enforce. Several Service ports may reach one pod port (`targetPort`),
   * each with its own effective mode ({@link mtlsMode} with that port); the STRICTEST wins (strict >
   * permissive > disabled; ties: the lowest Service port), so no Service port is served more loosely
   * than asked. `looser` lists the Service ports behind the pod port that asked for less, in port order,
   * for a diagnostic. The Service ports considered are the destination's `ports` (declared, else guessed,
   * which include the MTLSPolicy's keys). A pod port no Service port reaches gets the service's mode
   * (else the namespace's). Undefined: no MTLSPolicy applies (the mesh default).
   *
   * When other services select some of the same pods ({@link podGroup}), their Service ports reaching
   * the pod port count too (`looser` entries then name their `service`): see {@link groupPodPortMtls}.
   */
  podPortMtls(view: DestinationView, targetPort: number): PodPortMtls | undefined {
    // The destination's ports only: guessed ones include the MTLSPolicy's keys already, and with declared
    // ports a key that is not a Service port names nothing (adapters report it).
    const candidates: number[] = [];
    for (const p of view.ports) if (p.targetPort === targetPort) candidates.push(p.port);
    const group = this.podGroup(view.namespace, view.service);
    if (group.length > 1) return this.groupPodPortMtls(view, group, targetPort, candidates);
    if (!candidates.length) {
      const whole = this.mtlsMode(view.namespace, view.service);
      return whole && { effective: whole, looser: [] };
    }
    candidates.sort((a, b) => a - b);
    const modes: PortMtls[] = [];
    for (const port of candidates) {
      const effective = this.mtlsMode(view.namespace, view.service, port);
      if (effective) modes.push({ port, effective });
    }
    return strictestOf(modes);
  }

  /**
   * {@link podPortMtls} for a destination whose pods other services share ({@link podGroup}): a pod of
   * the group serves all of them, and meshes set the mode per pod port on those pods (Istio: one
   * PeerAuthentication per workload, the oldest when several select it; Linkerd: one Server per pod
   * port), so each pod port enforces the STRICTEST mode any Service port of the group reaching it asks
   * for; a member whose ports are not known counts with its service mode on every pod port. A pod port
   * no known Service port of the group reaches gets the strictest service mode of the group.
   */
  private groupPodPortMtls(view: DestinationView, group: readonly ServiceFacts[], targetPort: number, own: number[]): PodPortMtls | undefined {
    const modes: PortMtls[] = [];
    let reached = own.length > 0;
    // Like any member whose ports are not known, the destination counts with its service mode.
    if (!view.ports.length) {
      const whole = this.mtlsMode(view.namespace, view.service);
      if (whole) modes.push({ port: 0, effective: whole });
    }
    for (const port of own.sort((a, b) => a - b)) {
      const effective = this.mtlsMode(view.namespace, view.service, port);
      if (effective) modes.push({ port, effective });
    }
    for (const m of group) {
      if (m.name === view.service) continue;
      const ports = this.servicePorts(m.namespace, m.name);
      if (!ports.length) {
        const whole = this.mtlsMode(m.namespace, m.name);
        if (whole) modes.push({ port: 0, effective: whole, service: m.name });
        continue;
      }
      for (const p of ports) {
        if (p.targetPort !== targetPort) continue;
        reached = true;
        const effective = this.mtlsMode(m.namespace, m.name, p.port);
        if (effective) modes.push({ port: p.port, effective, service: m.name });
      }
    }
    if (!reached) return this.groupMtls(view);
    return strictestOf(modes);
  }

  /**
   * The mTLS mode of the pod ports of a destination's pods that no known Service port reaches: the
   * strictest service-level mode ({@link mtlsMode} without port) of the services sharing its pods
   * ({@link podGroup}, the destination included); `looser` lists the others (`port` 0). Undefined: no
   * MTLSPolicy applies.
   */
  groupMtls(view: DestinationView): PodPortMtls | undefined {
    const modes: PortMtls[] = [];
    for (const m of this.podGroup(view.namespace, view.service)) {
      const whole = this.mtlsMode(m.namespace, m.name);
      if (whole) modes.push(m.name === view.service ? { port: 0, effective: whole } : { port: 0, effective: whole, service: m.name });
    }
    return strictestOf(modes);
  }

  /**
   * The other known services of the namespace (destinations of policies and MeshServices) whose pod
   * selector is equal to this one's or contained in it, or contains it: they certainly select some of
   * the same pods (`reviews` = `{app: reviews}` and `reviews-v2` = `{app: reviews, version: v2}`); and
   * those whose selector may pick some of the same pods (`overlap`: a label in common, none with
   * different values, e.g. `{app: reviews, tier: web}` and `{app: reviews, version: v2}`). Pod labels
   * are not in the model, so a possible overlap is treated as a real one: meshes enforce access and mTLS
   * per pod, and a pod carrying both selectors' labels must never get the looser service's rules.
   * Selectors without any label (key and value) in common are taken to name different workloads. Sorted
   * by name; computed once per service.
   */
  podSharers(namespace: string, service: string): readonly PodSharer[] {
    const key = `${namespace}/${service}`;
    const cache = (this.sharersCache ??= new Map());
    let out = cache.get(key);
    if (out) return out;
    const idx = this.podsOf(namespace);
    const self = idx.byName.get(service)?.facts ?? this.service(namespace, service);
    const sel = self.selector;
    const keys = Object.keys(sel);
    const found = new Set<KnownService>();
    for (const k of keys) for (const c of idx.byLabel.get(k)?.get(sel[k]) ?? []) if (c.facts.name !== service) found.add(c);
    const list: PodSharer[] = [];
    for (const c of found) {
      const other = c.facts.selector;
      const otherKeys = Object.keys(other);
      const otherContained = otherKeys.every((k) => sel[k] === other[k]);
      const selfContained = keys.every((k) => other[k] === sel[k]);
      // Neither contains the other: they may still meet on a pod, unless a label they share differs.
      if (!otherContained && !selfContained && otherKeys.some((k) => Object.hasOwn(sel, k) && sel[k] !== other[k])) continue;
      const relation: PodRelation = otherContained && selfContained ? "same" : otherContained ? "wider" : selfContained ? "narrower" : "overlap";
      list.push(c.view ? { facts: c.facts, view: c.view, relation } : { facts: c.facts, relation });
    }
    out = list.sort((a, b) => cmp(a.facts.name, b.facts.name));
    cache.set(key, out);
    return out;
  }

  /**
   * The services whose pods a destination's pods are shared with, directly or through another service
   * ({@link podSharers}, repeatedly), the service itself included, sorted by name: a group whose pods
   * enforce one mTLS mode per pod port ({@link podPortMtls}). Just the service when it shares no pod.
   */
  podGroup(namespace: string, service: string): readonly ServiceFacts[] {
    const cache = (this.groupCache ??= new Map());
    const key = `${namespace}/${service}`;
    let out = cache.get(key);
    if (out) return out;
    if (!this.podSharers(namespace, service).length) {
      out = [this.podsOf(namespace).byName.get(service)?.facts ?? this.service(namespace, service)];
      cache.set(key, out);
      return out;
    }
    const seen = new Map<string, ServiceFacts>();
    const todo = [service];
    seen.set(service, this.podsOf(namespace).byName.get(service)?.facts ?? this.service(namespace, service));
    while (todo.length) {
      for (const s of this.podSharers(namespace, todo.pop()!)) {
        if (seen.has(s.facts.name)) continue;
        seen.set(s.facts.name, s.facts);
        todo.push(s.facts.name);
      }
    }
    out = [...seen.values()].sort((a, b) => cmp(a.name, b.name));
    for (const m of out) cache.set(`${namespace}/${m.name}`, out);
    return out;
  }

  /** The known services of a namespace, by name and by selector label (index built on first use). */
  private podsOf(namespace: string): NamespacePods {
    let index = this.podIndex;
    if (!index) {
      index = this.podIndex = new Map();
      const add = (facts: ServiceFacts, view?: DestinationView) => {
        let n = index!.get(facts.namespace);
        if (!n) index!.set(facts.namespace, (n = { byName: new Map(), byLabel: new Map() }));
        const known = n.byName.get(facts.name);
        if (known) {
          known.view ??= view;
          return;
        }
        const c: KnownService = { facts, view };
        n.byName.set(facts.name, c);
        for (const [k, v] of Object.entries(facts.selector)) {
          let values = n.byLabel.get(k);
          if (!values) n.byLabel.set(k, (values = new Map()));
          const list = values.get(v);
          if (list) list.push(c);
          else values.set(v, [c]);
        }
      };
      for (const v of this.destinations()) add(v.facts, v);
      for (const e of this.services) add(this.service(e.namespace, e.name));
    }
    return index.get(namespace) ?? EMPTY_PODS;
  }

  /** The MTLSPolicies of a namespace (index built on first use). */
  private mtlsOf(namespace: string): NamespaceMtlsIndex | undefined {
    let index = this.mtlsIndex;
    if (!index) {
      index = this.mtlsIndex = new Map();
      for (const e of this.mtlsPolicies) {
        if (policyScope(e) === "mesh") {
          this.meshMtlsMode ??= { mode: e.doc.spec.mode, policy: e, pointer: "/spec/mode", scope: "mesh" };
          continue;
        }
        const d = e.doc.spec.destination;
        const ns = d ? (d.namespace ?? e.namespace) : e.namespace;
        let n = index.get(ns);
        if (!n) index.set(ns, (n = {}));
        if (!d) {
          n.namespace ??= { mode: e.doc.spec.mode, policy: e, pointer: "/spec/mode", scope: "namespace" };
          continue;
        }
        // The last by id wins, as for DestinationView.mtls.
        const s: { service: EffectiveMtls; ports?: Map<number, EffectiveMtls> } = {
          service: { mode: e.doc.spec.mode, policy: e, pointer: "/spec/mode", scope: "service" },
        };
        const ports = e.doc.spec.ports;
        if (ports) {
          s.ports = new Map();
          for (const k of Object.keys(ports)) s.ports.set(Number(k), { mode: ports[k], policy: e, pointer: `/spec/ports/${k}`, scope: "port" });
        }
        (n.services ??= new Map()).set(d.service, s);
      }
    }
    return index.get(namespace);
  }

  /**
   * Every destination named by a TrafficPolicy, AccessPolicy, service-level MTLSPolicy, RequestAuthentication or WasmExtension, sorted by
   * namespace then service. Computed once.
   */
  destinations(): DestinationView[] {
    if (!this.destinationCache) {
      this.destinationIndex = new Map();
      this.destinationCache = buildDestinations(this, this.destinationIndex);
    }
    return this.destinationCache;
  }

  /** The destination view of `namespace/service`, if some policy names it. */
  destination(namespace: string, service: string): DestinationView | undefined {
    this.destinations();
    return this.destinationIndex!.get(namespace)?.get(service);
  }

  /**
   * The Service ports of any service: a destination's {@link DestinationView.ports} (declared or
   * guessed), else the ports its MeshService declares, else none. Sorted by port; read, never change.
   */
  servicePorts(namespace: string, name: string): readonly DestinationPort[] {
    const v = this.destination(namespace, name);
    if (v) return v.ports;
    const declared = this.serviceIndex.get(`${namespace}/${name}`)?.doc.spec.ports;
    return declared?.length ? declaredPorts(declared) : NO_PORTS;
  }

  /** The line/column of a pointer in an entry's document, when its text is known. */
  locate(origin: Origin, ptr: string): { line: number; column: number } | undefined {
    if (origin.text === undefined || origin.startLine === undefined) return undefined;
    return locatePointer(origin as Required<Pick<Origin, "text" | "startLine">>, ptr);
  }

  /** A diagnostic about an entry, with file, document, line and policy filled in. */
  diagnostic(entry: Entry<any>, ptr: string, d: Omit<Diagnostic, "file" | "documentIndex" | "pointer" | "policy">): Diagnostic {
    const pos = this.locate(entry.origin, ptr);
    // `{...d, file, documentIndex, pointer, ...(pos ? {line, column} : {}), policy}`, key order
    // included, without spreading a temporary object (slow, and adapters may report thousands).
    const out = copyFields(d) as Diagnostic;
    out.file = entry.origin.file;
    out.documentIndex = entry.origin.documentIndex;
    out.pointer = ptr;
    if (pos) {
      out.line = pos.line;
      out.column = pos.column;
    }
    out.policy = entry.id;
    return out;
  }
}

/** The phases of WasmExtensions in the order they run (`UNSPECIFIED`: no `phase`, last, as Istio's right before the router). */
const WASM_PHASE_RANK: Record<string, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED: 3 };

/**
 * The order a destination's proxies run its WasmExtensions (Istio's WasmPlugin order): by phase (AUTHN,
 * AUTHZ, STATS, then those without phase), then `priority` descending (default 0), then id.
 */
export function wasmExtensionOrder(a: Entry<WasmExtension>, b: Entry<WasmExtension>): number {
  const pa = WASM_PHASE_RANK[a.doc.spec.phase ?? "UNSPECIFIED"];
  const pb = WASM_PHASE_RANK[b.doc.spec.phase ?? "UNSPECIFIED"];
  return pa - pb || (b.doc.spec.priority ?? 0) - (a.doc.spec.priority ?? 0) || cmp(a.id, b.id);
}

/** The destination namespace of a policy: `spec.destination.namespace`, else the policy's namespace. */
export function destinationNamespace(e: Entry<TrafficPolicy | AccessPolicy | MTLSPolicy | RequestAuthentication | WasmExtension>): string {
  return e.doc.spec.destination?.namespace ?? e.namespace;
}

function buildDestinations(model: Model, views: Map<string, Map<string, DestinationView>>): DestinationView[] {
  // Views by namespace, then service (no `ns/svc` key string to build and hash per policy), and in the
  // order they were created: the order the final (stable) sort starts from.
  const created: DestinationView[] = [];
  const view = (ns: string, svc: string): DestinationView => {
    let byService = views.get(ns);
    if (!byService) views.set(ns, (byService = new Map()));
    let v = byService.get(svc);
    if (!v) {
      v = {
        namespace: ns,
        service: svc,
        facts: model.service(ns, svc),
        trafficPolicies: [],
        routes: [],
        needsDefaultRoute: true,
        subsetSettings: [],
        subsets: [],
        accessPolicies: [],
        allow: [],
        deny: [],
        requestAuthentications: [],
        jwtIssuers: [],
        wasmExtensions: [],
        ports: NO_PORTS,
        portsDeclared: false,
      };
      byService.set(svc, v);
      created.push(v);
    }
    return v;
  };
  for (const e of model.trafficPolicies) view(destinationNamespace(e), e.doc.spec.destination.service).trafficPolicies.push(e);
  for (const e of model.accessPolicies) {
    const d = e.doc.spec.destination;
    if (d) view(d.namespace ?? e.namespace, d.service).accessPolicies.push(e);
  }
  for (const e of model.mtlsPolicies) {
    const d = e.doc.spec.destination;
    if (d) view(d.namespace ?? e.namespace, d.service).mtls = e;
  }
  for (const e of model.requestAuthentications) {
    const v = view(destinationNamespace(e), e.doc.spec.destination.service);
    v.requestAuthentications.push(e);
    e.doc.spec.issuers.forEach((issuer, i) => {
      if (!v.jwtIssuers.some((x) => x.issuer.issuer === issuer.issuer)) v.jwtIssuers.push({ policy: e, pointer: `/spec/issuers/${i}`, issuer });
    });
  }
  for (const v of created) v.jwtIssuers.sort((a, b) => cmp(a.issuer.issuer, b.issuer.issuer));
  for (const e of model.wasmExtensions) view(destinationNamespace(e), e.doc.spec.destination.service).wasmExtensions.push(e);
  for (const v of created) if (v.wasmExtensions.length > 1) v.wasmExtensions.sort(wasmExtensionOrder);
  for (const v of created) fillDestination(model, v);
  return created.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.service, b.service));
}

/**
 * Fills a view's route table, destination-level settings, subsets and access rules. Objects are built
 * key by key, in the key order (and evaluation order: subset names are given in order of first use) of
 * the object literals with conditional spreads that define them, without the temporaries.
 */
function fillDestination(model: Model, v: DestinationView): void {
  const subsets = new SubsetNamer(v.facts);
  for (const p of v.trafficPolicies) {
    const spec = p.doc.spec;
    const source = model.resolveSource(spec.source, p.namespace, "/spec/source");
    const port = spec.destination.port;
    // Without `routes`, a policy is one route matching every request, but only when it sets something
    // a route carries: a policy of destination-level settings alone (outlierDetection, connectionPool,
    // loadBalancer, rateLimit) adds no route, so it neither shadows nor conflicts with routing policies.
    const routes = spec.routes ?? (ROUTE_SETTINGS.some((k) => spec[k] !== undefined) ? [undefined] : []);
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      const base = r ? routePointer(i, "") : "/spec";
      const forwards = !r?.redirect && !r?.directResponse;
      let action: RouteAction;
      if (r?.redirect) action = { kind: "redirect", redirect: r.redirect, pointer: routePointer(i, "/redirect") };
      else if (r?.directResponse) action = { kind: "directResponse", directResponse: r.directResponse, pointer: routePointer(i, "/directResponse") };
      else {
        const split = r?.split ?? [{}];
        const targets: ResolvedTarget[] = [];
        for (let j = 0; j < split.length; j++) {
          const t = split[j];
          const target = {} as ResolvedTarget;
          if (t.subset) target.subset = subsets.name(t.subset);
          const remote = model.remoteMember(t.cluster);
          if (remote) target.cluster = remote;
          if (t.service !== undefined && t.service !== v.service) target.service = t.service;
          target.weight = t.weight ?? (split.length === 1 ? 100 : 0);
          const targetPort = t.port ?? port;
          if (targetPort) target.port = targetPort;
          if (t.headers) target.headers = { value: t.headers, pointer: routePointer(i, `/split/${j}/headers`) };
          targets.push(target);
        }
        action = { kind: "split", pointer: r?.split ? routePointer(i, "/split") : base, targets };
      }
      const timeout = pick(spec, r, i, "timeout");
      const mirror = pickForwarding(spec, r, i, base, forwards, "mirror") as At<Mirror> | undefined;
      const mirrorNs = mirror?.value.namespace ?? v.namespace;
      const mirrorsSelf = !!mirror && (!mirror.value.service || (mirror.value.service === v.service && mirrorNs === v.namespace));
      const route = { policy: p, index: r ? i : null, pointer: base } as EffectiveRoute;
      if (r?.name) route.name = r.name;
      if (source) route.source = source;
      if (port) route.port = port;
      if (r?.match) route.match = { value: r.match, pointer: routePointer(i, "/match") };
      route.action = action;
      if (r?.rewrite) route.rewrite = { value: r.rewrite, pointer: routePointer(i, "/rewrite") };
      if (timeout) route.timeout = { value: parseDuration(timeout.value) ?? 0, pointer: timeout.pointer };
      const retries = pickForwarding(spec, r, i, base, forwards, "retries");
      if (retries) route.retries = retries;
      const faultInjection = pickForwarding(spec, r, i, base, forwards, "faultInjection");
      if (faultInjection) route.faultInjection = faultInjection;
      if (mirror) {
        const mirrorSubset =
          mirror.value.subset === undefined
            ? undefined
            : mirrorsSelf
              ? subsets.name(mirror.value.subset).labels
              : subsetLabels(model.service(mirrorNs, mirror.value.service!), mirror.value.subset);
        route.mirror = {
          pointer: mirror.pointer,
          value: {
            ...mirror.value,
            ...(mirrorSubset ? { subset: mirrorSubset } : {}),
            serviceResolved: { name: mirror.value.service ?? v.service, namespace: mirrorNs },
            ...(mirror.value.subset && mirrorsSelf ? { subsetResolved: subsets.name(mirror.value.subset) } : {}),
          },
        } as EffectiveRoute["mirror"];
      }
      const headers = pick(spec, r, i, "headers");
      if (headers) route.headers = headers;
      const cors = pick(spec, r, i, "cors");
      if (cors) route.cors = cors;
      v.routes.push(route);
    }
    for (const k of DESTINATION_SETTINGS) {
      if (spec[k] !== undefined && v[k] === undefined) (v as any)[k] = { value: spec[k], pointer: `/spec/${k}`, policy: p };
    }
    const perSubset = spec.subsetSettings;
    if (perSubset) {
      for (let i = 0; i < perSubset.length; i++) {
        const e = perSubset[i];
        const subset = subsets.name(e.subset);
        let s = v.subsetSettings.find((x) => x.subset === subset);
        if (!s) v.subsetSettings.push((s = { subset }));
        for (const k of SUBSET_SETTINGS) {
          if (e[k] !== undefined && s[k] === undefined) (s as any)[k] = { value: e[k], pointer: `/spec/subsetSettings/${i}/${k}`, policy: p };
        }
      }
    }
  }
  if (v.subsetSettings.length > 1) v.subsetSettings.sort((a, b) => cmp(a.subset.name, b.subset.name));
  v.routes = sortRoutes(v.routes);
  const onlyPort = v.facts.ports?.length === 1 ? v.facts.ports[0].port : undefined;
  v.needsDefaultRoute = !v.routes.some((r) => !r.source && (!r.port || r.port === onlyPort) && isCatchAll(r));
  for (const s of v.facts.subsets ?? []) subsets.name(s.labels);
  v.subsets = subsets.all();
  for (const p of v.accessPolicies) accessRules(model, p, "service", v);
  const scoped = model.scopedAccess(v.namespace);
  if (scoped) {
    for (const p of scoped.policies) v.accessPolicies.push(p);
    for (const r of scoped.allow) v.allow.push(r);
    for (const r of scoped.deny) v.deny.push(r);
  }
  const declared = v.facts.ports;
  if (declared?.length) {
    v.ports = declaredPorts(declared);
    v.portsDeclared = true;
  } else v.ports = guessedPorts(v);
}

/** The rules of an AccessPolicy, their sources resolved, appended to `out.allow` / `out.deny`. */
function accessRules(model: Model, p: Entry<AccessPolicy>, scope: PolicyScope, out: { allow: EffectiveAccessRule[]; deny: EffectiveAccessRule[] }): void {
  const spec = p.doc.spec;
  const port = spec.destination?.port;
  for (const action of ACCESS_ACTIONS) {
    const rules = spec[action];
    if (!rules) continue;
    const prefix = action === "allow" ? "/spec/allow" : "/spec/deny";
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const own = rule.source ? model.resolveSource(rule.source, p.namespace, indexedPointer(prefix, i, "/source")) : undefined;
      const src = own ?? model.resolveSource(spec.source, p.namespace, "/spec/source");
      // `{policy, scope, action, pointer, rule, ...(src ? {source} : {}), ...(port ? {port} : {})}`
      const effective = { policy: p, scope, action, pointer: indexedPointer(prefix, i, ""), rule } as EffectiveAccessRule;
      if (src) effective.source = src;
      if (port) effective.port = port;
      out[action].push(effective);
    }
  }
}

type RouteSetting = (typeof ROUTE_SETTINGS)[number];

/** Route `i`'s own setting (`/spec/routes/i/<k>`), else its policy's (`/spec/<k>`), else undefined. */
function pick(spec: TrafficPolicy["spec"], r: Route | undefined, i: number, k: RouteSetting): At<any> | undefined {
  if (r && r[k] !== undefined) return { value: r[k], pointer: routePointer(i, SETTING_SUFFIX[k]) };
  return spec[k] !== undefined ? { value: spec[k], pointer: SPEC_SETTING[k] } : undefined;
}

/** Policy-level retries, mirror and fault delay apply to forwarding routes only (see rule/route-action). */
function pickForwarding(
  spec: TrafficPolicy["spec"],
  r: Route | undefined,
  i: number,
  base: string,
  forwards: boolean,
  k: "retries" | "mirror" | "faultInjection",
): At<any> | undefined {
  const got = pick(spec, r, i, k);
  if (!got || forwards || got.pointer.startsWith(base + "/")) return got;
  if (k !== "faultInjection" || !got.value.abort) return undefined;
  return { value: { abort: got.value.abort }, pointer: got.pointer };
}

/**
 * `/spec/routes/${i}${suffix}`, made once per index and suffix: every route of every policy has such
 * pointers (its route, match, split...), equal from one policy to the next.
 * @internal
 */
export function routePointer(i: number, suffix: string): string {
  return indexedPointer("/spec/routes", i, suffix);
}

/** `${prefix}/${i}${suffix}`, made once per prefix, index and suffix (indexes below 1024). */
function indexedPointer(prefix: string, i: number, suffix: string): string {
  if (i >= 1024) return `${prefix}/${i}${suffix}`;
  let bySuffix = indexedPointers.get(prefix);
  if (!bySuffix) indexedPointers.set(prefix, (bySuffix = new Map()));
  let byIndex = bySuffix.get(suffix);
  if (!byIndex) bySuffix.set(suffix, (byIndex = []));
  return (byIndex[i] ??= `${prefix}/${i}${suffix}`);
}
const indexedPointers = new Map<string, Map<string, string[]>>();

/** `/${k}` for the settings {@link pick} reads. */
const SETTING_SUFFIX: Record<RouteSetting, string> = {
  timeout: "/timeout",
  retries: "/retries",
  faultInjection: "/faultInjection",
  mirror: "/mirror",
  headers: "/headers",
  cors: "/cors",
};
/** `/spec/${k}` for the same. */
const SPEC_SETTING: Record<RouteSetting, string> = {
  timeout: "/spec/timeout",
  retries: "/spec/retries",
  faultInjection: "/spec/faultInjection",
  mirror: "/spec/mirror",
  headers: "/spec/headers",
  cors: "/spec/cors",
};

/** The destination-level settings of a TrafficPolicy, in the order the first setter of each is taken. */
const DESTINATION_SETTINGS = ["outlierDetection", "connectionPool", "loadBalancer", "rateLimit", "failover"] as const;
const ACCESS_ACTIONS = ["allow", "deny"] as const;
/** The settings a subset may override, in the order they are taken. */
const SUBSET_SETTINGS = ["outlierDetection", "connectionPool", "loadBalancer"] as const;

/** Settings of a TrafficPolicy that routes carry (the others are destination-level). */
const ROUTE_SETTINGS = ["timeout", "retries", "faultInjection", "mirror", "headers", "cors"] as const;

/** True when a route matches every request (no match conditions). */
export function isCatchAll(r: EffectiveRoute): boolean {
  const m = r.match?.value;
  return !m || (!m.path && !m.method && !m.headers && !m.queryParams);
}

/**
 * True for "answer 404 for the rest": a catch-all route for every caller that answers 404 without a body
 * and changes nothing else (no headers, CORS or fault), which meshes whose routes answer 404 to unmatched
 * requests (Gateway API: HTTPRouteRule "a HTTP 404 status code MUST be returned") do by themselves.
 */
export function isNotFoundForTheRest(r: EffectiveRoute): boolean {
  return (
    r.action.kind === "directResponse" &&
    r.action.directResponse.status === 404 &&
    r.action.directResponse.body === undefined &&
    isCatchAll(r) &&
    !r.source &&
    !r.headers &&
    !r.cors &&
    !r.faultInjection
  );
}

/**
 * Specificity of a route, compared element by element (larger first):
 * source-specific, then path kind (exact 3, regex 2, prefix or segmentPrefix 1, none 0), then prefix
 * length, then the number of method/header/query conditions, then port-specific.
 */
export function specificity(r: EffectiveRoute): number[] {
  const m = r.match?.value;
  const p = m?.path;
  const prefix = p?.prefix ?? p?.segmentPrefix;
  const pathKind = p?.exact !== undefined ? 3 : p?.regex !== undefined ? 2 : prefix !== undefined ? 1 : 0;
  const conditions = (m?.method ? 1 : 0) + Object.keys(m?.headers ?? {}).length + Object.keys(m?.queryParams ?? {}).length;
  return [r.source ? 1 : 0, pathKind, prefix?.length ?? 0, conditions, r.port ? 1 : 0];
}

/**
 * Builds a destination's route table. The routes of one policy keep their written order (first match
 * wins, as the author intended); the routes of several policies are merged by repeatedly taking the
 * most specific head (ties: policy id). Catch-all routes therefore end up last.
 */
export function sortRoutes(routes: EffectiveRoute[]): EffectiveRoute[] {
  // The routes of a single policy keep their order: the merge below would take them one by one, in turn.
  if (routes.every((r) => r.policy.id === routes[0].policy.id)) return routes.slice();
  const lists = new Map<string, EffectiveRoute[]>();
  for (const r of routes) {
    const l = lists.get(r.policy.id) ?? [];
    l.push(r);
    lists.set(r.policy.id, l);
  }
  const queues = [...lists.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, l]) => l);
  const out: EffectiveRoute[] = [];
  while (queues.some((q) => q.length)) {
    let best = -1;
    let bestKey: number[] = [];
    queues.forEach((q, i) => {
      if (!q.length) return;
      const k = specificity(q[0]);
      if (best < 0 || compareKeys(k, bestKey) > 0) {
        best = i;
        bestKey = k;
      }
    });
    out.push(queues[best].shift()!);
  }
  return out;
}

function compareKeys(a: number[], b: number[]): number {
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return a[j] - b[j];
  return 0;
}

/** Canonical key of a route's traffic (source, port, match): equal keys select the same requests. */
export function trafficKey(r: EffectiveRoute): string {
  const set = (xs: unknown[]) => xs.map((x) => canonicalJson(x)).sort(cmp);
  const source = r.source
    ? { identities: set(r.source.identities), namespaces: set(r.source.namespaces), workloads: set(r.source.workloads), ipBlocks: set(r.source.ipBlocks) }
    : null;
  const m = r.match?.value;
  const match = m && (m.path || m.method || m.headers || m.queryParams) ? m : null;
  return canonicalJson({ source, port: r.port ?? null, match });
}
