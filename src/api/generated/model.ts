/* eslint-disable */
/**
 * GENERATED from schemas/unimesh.schema.json by scripts/generate-types.mjs: do not edit.
 * Run `npm run generate` after changing the schema; a test fails when this file is stale.
 */

export type UnimeshDocument =
  | TrafficPolicy
  | AccessPolicy
  | MTLSPolicy
  | RequestAuthentication
  | WasmExtension
  | MeshService
  | ClusterInfo
  | VirtualMesh;
/**
 * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
 */
export type Name = string;
/**
 * Kubernetes service accounts of the callers: `name` (in the policy's namespace) or `namespace/name`; `*` means any caller with a mesh identity (any authenticated peer). Identities are SPIFFE IDs `spiffe://<trustDomain>/ns/<namespace>/sa/<name>`.
 *
 * @minItems 1
 */
export type ServiceAccounts = [string, ...string[]];
/**
 * A subset of a service: its pod labels (`{version: v2}`), or the name of a subset its MeshService declares (`stable`).
 */
export type SubsetRef = Labels | Name;
/**
 * A TCP port number.
 */
export type Port = number;
/**
 * A duration: one or more <number><unit> terms, units ms, s, m, h (e.g. `250ms`, `2s`, `1m30s`). Must be at least 1ms.
 */
export type Duration = string;
/**
 * Kubernetes service accounts of the callers: `name` (in the policy's namespace) or `namespace/name`; `*` means any caller with a mesh identity (any authenticated peer). Identities are SPIFFE IDs `spiffe://<trustDomain>/ns/<namespace>/sa/<name>`.
 *
 * @minItems 1
 */
export type ServiceAccounts1 = [string, ...string[]];
/**
 * The request must carry a valid end-user token (JWT) whose principal `<iss>/<sub>` matches one of these (syntax: RequestPrincipals). A request without a token matches none, so `requestPrincipals: ["*"]` requires a token. A condition of the rule like `methods`, ANDed with `source`: `source` says which workloads may call (mesh identity), this which end users. Needs a RequestAuthentication of the destination with the issuers named (rule/no-request-authentication, rule/unknown-issuer). Istio `from.source.requestPrincipals`.
 *
 * @minItems 1
 */
export type RequestPrincipals = [string, ...string[]];
/**
 * The request's end-user principal must match NONE of these (syntax: RequestPrincipals). A request without a token has no principal, so it is NOT excluded: `notRequestPrincipals: ["*"]` holds exactly for requests without a token. Istio `from.source.notRequestPrincipals`.
 *
 * @minItems 1
 */
export type RequestPrincipals1 = [string, ...string[]];

/**
 * Routing and resilience for calls from a source to a destination.
 */
export interface TrafficPolicy {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "TrafficPolicy";
  metadata: Metadata;
  spec: TrafficPolicySpec;
}
/**
 * Kubernetes-style metadata. `name` identifies the policy in diagnostics and in the `unimesh.io/policies` annotation of everything generated from it.
 */
export interface Metadata {
  name: Name;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
  labels?: Labels;
  /**
   * Free-form notes (key: value) for people and tools; unimesh does not interpret them.
   */
  annotations?: {
    [k: string]: string;
  };
}
/**
 * Kubernetes labels (key: value).
 */
export interface Labels {
  [k: string]: string;
}
/**
 * How requests from `source` to `destination` are routed and protected. Combining: all TrafficPolicies for one destination form ONE route table. The routes of one policy keep their written order (the first route that matches wins); the routes of several policies are merged most specific first (source-specific before any-source, then exact path, regex, longer prefix, then more method/header/query conditions; ties by policy id), so catch-all routes come last. Requests no route matches go to the destination service unchanged. Destination-level settings (outlierDetection, connectionPool, loadBalancer, rateLimit) must not be set differently by two policies for one destination: that is a conflict naming both. `source`: Callers this policy applies to (serviceAccounts, namespaces and workloads; not ipBlocks). Omitted: every caller. Destination-level settings apply to the whole destination service, even in a policy with `destination.port`.
 */
export interface TrafficPolicySpec {
  source?: Source;
  destination: Destination;
  /**
   * Omitted: one route matching every request, carrying the policy's route-level settings (timeout, retries, faultInjection, mirror, headers, cors); a policy with only destination-level settings adds no route.
   *
   * @minItems 1
   * @maxItems 256
   */
  routes?: [Route, ...Route[]];
  /**
   * A duration: one or more <number><unit> terms, units ms, s, m, h (e.g. `250ms`, `2s`, `1m30s`). Must be at least 1ms.
   */
  timeout?: string;
  retries?: Retries;
  faultInjection?: FaultInjection;
  mirror?: Mirror;
  headers?: Headers1;
  cors?: Cors;
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
  rateLimit?: RateLimit;
  failover?: Failover;
  /**
   * Per-subset outlierDetection, connectionPool and loadBalancer: for the requests routes send to one subset, they replace the destination-level setting of the same kind (see SubsetSettings). Destination-level, like those: not with `source`, and two policies must not set one subset's setting differently.
   *
   * @minItems 1
   * @maxItems 64
   */
  subsetSettings?: [SubsetSettings, ...SubsetSettings[]];
}
/**
 * Who is calling. An omitted source means ANY caller, including callers without a mesh identity. Lists inside one source are ORed: a caller matches when it matches any entry of any list.
 */
export interface Source {
  serviceAccounts?: ServiceAccounts;
  /**
   * Callers with a mesh identity in any of these namespaces.
   *
   * @minItems 1
   */
  namespaces?: [string, ...string[]];
  /**
   * TrafficPolicy only: callers selected by the labels of their pods (Istio `VirtualService.http[].match[].sourceLabels` with `sourceNamespace`), e.g. only the canary of a caller. A caller matches an entry when it runs in the entry's namespace in a pod whose labels include all of the entry's `labels`. Pod labels are not a verified identity (whoever creates pods in that namespace sets them), so an AccessPolicy cannot select callers this way (rule/workload-source): it uses serviceAccounts.
   *
   * @minItems 1
   */
  workloads?: [Workload, ...Workload[]];
  /**
   * Callers whose source IP is in one of these CIDRs (AccessPolicy only; not an identity, so weaker than serviceAccounts).
   *
   * @minItems 1
   */
  ipBlocks?: [string, ...string[]];
}
/**
 * Calling pods, by labels and namespace.
 */
export interface Workload {
  labels: Labels1;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
}
/**
 * Kubernetes labels (key: value).
 */
export interface Labels1 {
  [k: string]: string;
}
/**
 * The service being called.
 */
export interface Destination {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service: string;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
  /**
   * Only traffic to this Service port (for an AccessPolicy also a pod port the MeshService declares `podOnly`). Default: every port, pod-only ones included.
   */
  port?: number;
}
/**
 * One route. Settings given here override the policy-level ones for this route only. A route forwards (split), or redirects, or responds directly: at most one of them. Redirect and directResponse routes do not take the policy-level retries, mirror or faultInjection delay.
 */
export interface Route {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  name?: string;
  match?: Match;
  /**
   * Weighted backends. Default: the whole destination service.
   *
   * @minItems 1
   * @maxItems 64
   */
  split?: [SplitTarget, ...SplitTarget[]];
  redirect?: Redirect;
  directResponse?: DirectResponse;
  rewrite?: Rewrite;
  /**
   * Request timeout for this route (overrides spec.timeout).
   */
  timeout?: string;
  retries?: Retries;
  faultInjection?: FaultInjection;
  mirror?: Mirror;
  headers?: Headers1;
  cors?: Cors;
}
/**
 * Which requests a route applies to. All conditions must hold (AND). An omitted match matches every request.
 */
export interface Match {
  path?: PathMatch;
  /**
   * HTTP method.
   */
  method?: "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "CONNECT" | "OPTIONS" | "TRACE" | "PATCH";
  /**
   * Request headers, by name (case-insensitive).
   */
  headers?: {
    [k: string]: HeaderMatch;
  };
  /**
   * Query parameters, by name.
   */
  queryParams?: {
    [k: string]: StringMatch;
  };
}
/**
 * Exactly one of exact, prefix, segmentPrefix, regex. `prefix` is a plain string prefix (`/api` also matches `/apix`); `segmentPrefix` matches whole path segments (`/api` matches `/api`, `/api/` and `/api/x`, not `/apix`: Gateway API's `PathPrefix`, Kubernetes Ingress's `Prefix`). There is no suffix form (Istio's VirtualService, Linkerd's HTTPRoute and App Mesh routes have none): a regex says it exactly, e.g. `.*\.png` for paths ending in `.png`. Every form is matched against the normalized request path, the one the app receives (README, path normalization): dot segments removed, %-encoded unreserved characters decoded, `\` read as `/`, `//` merged; write paths in that form (`/a/b`, not `/a/./b`).
 */
export interface PathMatch {
  /**
   * The request path (without the query string) equals this string.
   */
  exact?: string;
  /**
   * The request path (without the query string) starts with this string.
   */
  prefix?: string;
  /**
   * The request path (without the query string) is this path or below it, segment by segment: `/v2` matches `/v2`, `/v2/` and `/v2/x`, not `/v2example`; a trailing `/` is ignored (`/v2/` is `/v2`), and `/` matches every path. Gateway API `PathPrefix`.
   */
  segmentPrefix?: string;
  /**
   * The whole request path (without the query string) matches this regular expression (RE2 syntax).
   */
  regex?: string;
}
/**
 * Exactly one of exact, prefix, regex, present (true: header present with any value; false: header absent).
 */
export interface HeaderMatch {
  /**
   * The whole value equals this string.
   */
  exact?: string;
  /**
   * The value starts with this string.
   */
  prefix?: string;
  /**
   * The whole value matches this regular expression (RE2 syntax).
   */
  regex?: string;
  /**
   * true: the header is present, with any value; false: the header is absent.
   */
  present?: boolean;
}
/**
 * Exactly one of exact, prefix, regex (RE2 syntax, whole-string match).
 */
export interface StringMatch {
  /**
   * The whole value equals this string.
   */
  exact?: string;
  /**
   * The value starts with this string.
   */
  prefix?: string;
  /**
   * The whole value matches this regular expression (RE2 syntax).
   */
  regex?: string;
}
/**
 * One weighted backend of a route. `subset`: pod labels of the subset, e.g. `{version: v2}`, or the name of a subset the destination's MeshService declares, e.g. `stable`. `service`: another Service of the destination's namespace instead of the destination ("send 10% of web's traffic to web-next": Gateway API and Linkerd backendRefs, Istio route[].destination.host), with the same port unless `port` says otherwise; not with `subset`. Omitted both: every endpoint of the destination service. A MeshService that declares subsets must declare this one. `cluster`: the same target in another member cluster of the VirtualMesh (its Service of the same name, or `service`, in the same namespace), e.g. `{cluster: east, weight: 20}`.
 */
export interface SplitTarget {
  subset?: SubsetRef;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service?: string;
  /**
   * Percent of the route's requests (integer, 0-100). The weights of one split sum to 100. Default: 100 when the split has one target.
   */
  weight?: number;
  /**
   * Target port. Default: the destination port.
   */
  port?: number;
  headers?: Headers;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  cluster?: string;
}
/**
 * Header changes for the requests sent to this target (request) and for its responses (response), besides the route's own `headers` (Istio `http[].route[].headers`; Gateway API `backendRefs[].filters` RequestHeaderModifier/ResponseHeaderModifier), e.g. tag the canary's share of a weighted split. A header may be changed by the route or by its targets, not both (rule/header-ops): meshes apply the two levels in different orders.
 */
export interface Headers {
  request?: HeaderOps;
  response?: HeaderOps;
}
/**
 * Changes to a set of HTTP headers.
 */
export interface HeaderOps {
  /**
   * Set (overwrite) these headers.
   */
  set?: {
    [k: string]: string;
  };
  /**
   * Append these values.
   */
  add?: {
    [k: string]: string;
  };
  /**
   * Remove these headers.
   *
   * @minItems 1
   */
  remove?: [string, ...string[]];
}
/**
 * Answer with an HTTP redirect instead of forwarding.
 */
export interface Redirect {
  /**
   * New scheme. Default: unchanged.
   */
  scheme?: "http" | "https";
  /**
   * New host (without port).
   */
  authority?: string;
  port?: Port;
  /**
   * New path. Default: unchanged.
   */
  path?: string;
  /**
   * Default: 301.
   */
  statusCode?: 301 | 302 | 303 | 307 | 308;
}
/**
 * Answer directly with a fixed response instead of forwarding.
 */
export interface DirectResponse {
  /**
   * HTTP status of the response.
   */
  status: number;
  /**
   * Response body (at most 64 KiB). Default: empty.
   */
  body?: string;
}
/**
 * Rewrite the request before forwarding it.
 */
export interface Rewrite {
  /**
   * Exactly one of: replacePrefixMatch (replaces the part matched by the route's `match.path.prefix` or `match.path.segmentPrefix`), replaceFullPath.
   */
  path?: {
    /**
     * Replaces the part of the path matched by the route's `match.path.prefix` or `match.path.segmentPrefix` with this value. With a segmentPrefix, as Gateway API's `ReplacePrefixMatch`: whole segments are replaced and the rest keeps its `/` (`/foo` → `/xyz`: `/foo/bar` → `/xyz/bar`, `/foo` → `/xyz`; `/foo` → `/`: `/foo/bar` → `/bar`).
     */
    replacePrefixMatch?: string;
    /**
     * Replaces the whole path with this value.
     */
    replaceFullPath?: string;
  };
  /**
   * New Host/:authority header.
   */
  authority?: string;
}
/**
 * Retries of failed requests. An omitted `retries` means NO retries: adapters turn mesh defaults off (Istio retries twice by default, so unimesh emits `attempts: 0`).
 */
export interface Retries {
  /**
   * Maximum retries after the first try (0 disables retries).
   */
  attempts: number;
  /**
   * Timeout of each try, including the first. A try that times out is retried when retryOn allows it. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h). Default: no per-try timeout (bounded by the request timeout).
   */
  perTryTimeout?: string;
  /**
   * Conditions to retry on (Envoy's names): 5xx, gateway-error (502/503/504), reset, connect-failure, refused-stream, retriable-4xx (409), cancelled, deadline-exceeded, internal, resource-exhausted, unavailable (gRPC), or a status code like `503`. Default: [connect-failure, refused-stream, 5xx].
   *
   * @minItems 1
   */
  retryOn?: [string, ...string[]];
  /**
   * Base interval of the exponential back-off between retries. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h). Default: the mesh default (25ms in Envoy).
   */
  backoff?: string;
}
/**
 * Inject faults into matching requests, to test resilience. Percentages apply independently.
 */
export interface FaultInjection {
  /**
   * Delay requests before forwarding them.
   */
  delay?: {
    /**
     * How long. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
     */
    fixedDelay: string;
    /**
     * Share of requests delayed. Default: 100.
     */
    percent?: number;
  };
  /**
   * Answer requests with an error instead of forwarding them.
   */
  abort?: {
    /**
     * HTTP status to return.
     */
    httpStatus?: number;
    /**
     * gRPC status to return instead of an HTTP status.
     */
    grpcStatus?:
      | "CANCELLED"
      | "UNKNOWN"
      | "INVALID_ARGUMENT"
      | "DEADLINE_EXCEEDED"
      | "NOT_FOUND"
      | "ALREADY_EXISTS"
      | "PERMISSION_DENIED"
      | "RESOURCE_EXHAUSTED"
      | "FAILED_PRECONDITION"
      | "ABORTED"
      | "OUT_OF_RANGE"
      | "UNIMPLEMENTED"
      | "INTERNAL"
      | "UNAVAILABLE"
      | "DATA_LOSS"
      | "UNAUTHENTICATED";
    /**
     * Share of requests aborted. Default: 100.
     */
    percent?: number;
  };
}
/**
 * Send a copy of requests to another backend; responses of the copy are discarded.
 */
export interface Mirror {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service?: string;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
  subset?: SubsetRef;
  port?: Port;
  /**
   * Share of requests copied. Default: 100.
   */
  percent?: number;
}
/**
 * Header changes on the way to the destination (request) and back (response).
 */
export interface Headers1 {
  request?: HeaderOps;
  response?: HeaderOps;
}
/**
 * Cross-origin resource sharing, answered by the proxy in front of the destination.
 */
export interface Cors {
  /**
   * Allowed origins.
   *
   * @minItems 1
   */
  allowOrigins: [StringMatch, ...StringMatch[]];
  /**
   * Methods allowed in cross-origin requests (Access-Control-Allow-Methods).
   *
   * @minItems 1
   */
  allowMethods?: [string, ...string[]];
  /**
   * Request headers allowed in cross-origin requests (Access-Control-Allow-Headers).
   *
   * @minItems 1
   */
  allowHeaders?: [string, ...string[]];
  /**
   * Response headers that browsers may expose to scripts (Access-Control-Expose-Headers).
   *
   * @minItems 1
   */
  exposeHeaders?: [string, ...string[]];
  /**
   * How long browsers may cache the preflight answer. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
   */
  maxAge?: string;
  /**
   * Whether cross-origin requests may carry credentials such as cookies (Access-Control-Allow-Credentials). Default: false.
   */
  allowCredentials?: boolean;
}
/**
 * Passive health checking (circuit breaking): eject endpoints that keep failing.
 */
export interface OutlierDetection {
  /**
   * Eject after this many consecutive 5xx answers (0 disables). Default: 5.
   */
  consecutive5xxErrors?: number;
  /**
   * Eject after this many consecutive 502/503/504 answers or connection errors.
   */
  consecutiveGatewayErrors?: number;
  /**
   * How often endpoints are evaluated. Default: 10s. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
   */
  interval?: string;
  /**
   * Minimum ejection time; multiplied by the number of ejections. Default: 30s. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
   */
  baseEjectionTime?: string;
  /**
   * At most this percent of the instances ejected at once, counting the one about to be ejected (Envoy's rule): of 3 instances at 50 %, one; a lone instance only at 100 %. The built-in proxy holds it for the service's instances and for those of the subset a route sends to (as each of Istio's per-subset clusters). Default: 10.
   */
  maxEjectionPercent?: number;
}
/**
 * Limits on connections and requests to the destination (per calling proxy).
 */
export interface ConnectionPool {
  /**
   * Maximum TCP/HTTP1 connections.
   */
  maxConnections?: number;
  /**
   * Maximum requests waiting for a connection.
   */
  maxPendingRequests?: number;
  /**
   * Maximum concurrent requests (HTTP/2 and gRPC).
   */
  maxRequests?: number;
  /**
   * Requests per connection before it is closed (1 disables keep-alive).
   */
  maxRequestsPerConnection?: number;
  /**
   * Maximum concurrent retries to the destination.
   */
  maxRetries?: number;
  /**
   * TCP connect timeout. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
   */
  connectTimeout?: string;
  /**
   * Close upstream connections idle this long. A duration such as `500ms`, `2s`, `1m30s` (units: ms, s, m, h).
   */
  idleTimeout?: string;
}
/**
 * How a caller picks an endpoint.
 */
export interface LoadBalancer {
  /**
   * Default: the mesh default (Istio least-request since 1.14; Linkerd EWMA).
   */
  algorithm?: "round-robin" | "least-request" | "random" | "consistent-hash";
  /**
   * Hash key, with algorithm consistent-hash: exactly one of header, cookie, sourceIp, queryParam.
   */
  consistentHash?: {
    /**
     * Hash on the value of this request header.
     */
    header?: string;
    /**
     * An HTTP cookie (generated with this ttl when absent).
     */
    cookie?: {
      /**
       * Name of the cookie.
       */
      name: string;
      ttl?: Duration;
    };
    sourceIp?: true;
    /**
     * Hash on the value of this query parameter.
     */
    queryParam?: string;
  };
}
/**
 * Local rate limit enforced by each destination instance (token bucket).
 */
export interface RateLimit {
  /**
   * Requests per second, for all callers together.
   */
  requestsPerSecond: number;
  /**
   * Bucket size: requests allowed at once. Default: requestsPerSecond.
   */
  burst?: number;
  /**
   * Requests per second for each calling identity.
   */
  perIdentity?: number;
  /**
   * Callers with a limit of their own, by service account.
   *
   * @minItems 1
   */
  overrides?: [
    {
      serviceAccounts: ServiceAccounts;
      /**
       * Requests per second for these callers.
       */
      requestsPerSecond: number;
    },
    ...{
      serviceAccounts: ServiceAccounts;
      /**
       * Requests per second for these callers.
       */
      requestsPerSecond: number;
    }[]
  ];
}
/**
 * Virtual mesh: where the destination's requests go when its endpoints in the local cluster are unhealthy. Requests sent to the local destination (each split target without `cluster`) go to its local endpoints while any of them is healthy; once outlier detection has ejected all of them (or there are none), to the same target (the destination Service, or its subset) in the first listed member that has a healthy endpoint, then the next, and back as soon as a local endpoint is healthy again. The same policy is translated for every member, each skipping itself in the list: `clusters: [west, east]` fails west over to east and east over to west. Unhealthy means ejected by the destination's `outlierDetection`, which is therefore required (rule/failover-outlier-detection; Istio ignores failover without it). Destination-level: not with `source`, and two policies must not set it differently. Istio: `DestinationRule.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority: [topology.istio.io/cluster]` (endpoints of the caller's cluster first), exact when the members that run Istio besides the local one are exactly the one listed member; Linkerd: error (its failover extension follows endpoint readiness, not outlier detection, and is deprecated).
 */
export interface Failover {
  /**
   * Members of the VirtualMesh (`spec.members[].name`), in the order they take over (rule/unknown-cluster). The member the policy is enforced in is skipped.
   *
   * @minItems 1
   * @maxItems 64
   */
  clusters: [string, ...string[]];
}
/**
 * Settings for the requests routes send to one subset (Istio `DestinationRule.subsets[].trafficPolicy`). Each setting given here REPLACES the destination-level setting of the same kind for those requests (it is not merged field by field); a kind not given is inherited from the destination level. Requests sent to the whole service (a split target without subset, the default route) use the destination-level settings, even when they reach pods of this subset.
 */
export interface SubsetSettings {
  subset: Labels2;
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
}
/**
 * Kubernetes labels (key: value).
 */
export interface Labels2 {
  [k: string]: string;
}
/**
 * Access control for a destination: allow and deny rules by caller identity, methods, paths, ports and headers.
 */
export interface AccessPolicy {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "AccessPolicy";
  metadata: Metadata;
  spec: AccessPolicySpec;
}
/**
 * Who may call `destination`, or every workload of a namespace (no destination) or of the mesh (`scope: mesh`). Combining: all AccessPolicies that select a workload form ONE rule set, whatever their order and scope (service, namespace, mesh): a request is allowed when an allow rule of ANY of them matches it and no deny rule of ANY of them does (deny wins), as Istio unions ALLOW policies of every scope and lets any DENY win. Once any AccessPolicy of any scope selects a workload (port), requests no allow rule matches are DENIED. So a policy without allow rules adds no allowed request: alone it denies everything (a namespace-wide one is Istio's allow-nothing); next to other policies it changes nothing but through its deny rules (it never cancels their allow rules). With `destination.port` a policy selects that Service port only: when every AccessPolicy of a workload names a port (none is namespace- or mesh-wide), the ports none names stay open. A namespace- or mesh-wide policy has no ports: its rules cannot name `ports` or `notPorts` (rule/scope-ports: ports are Service ports of one destination). Services that share pods (see MeshService `selector`) must have the same rules on the pod ports both reach, counting the namespace- and mesh-wide rules that select them, or the translation fails. `source`: Default source of every rule without its own.
 */
export interface AccessPolicySpec {
  source?: AccessSource;
  destination?: Destination1;
  /**
   * Where the policy applies when it names no destination: `namespace` (the default without `destination`): every workload of the policy's namespace, also those no unimesh document names; `mesh`: every workload of every namespace (Istio: a policy in the root namespace, the `rootNamespace` setting, default istio-system). Not with `destination` (rule/scope).
   */
  scope?: "namespace" | "mesh";
  /**
   * Requests matching any of these are allowed (unless a deny rule matches).
   */
  allow?: AccessRule[];
  /**
   * Requests matching any of these are denied, whatever the allow rules say.
   */
  deny?: AccessRule[];
}
/**
 * Who is calling (AccessPolicy). An omitted source means ANY caller, including callers without a mesh identity. The positive lists (serviceAccounts, namespaces, ipBlocks) are ORed: a caller matches when it matches any entry of any of them; without a positive list, every caller does. The negative lists (notServiceAccounts, notNamespaces, notIpBlocks) then exclude: a caller matching any of their entries does not match the source. Exactly Istio's Source semantics (`notPrincipals`, `notNamespaces`, `notIpBlocks`): a caller WITHOUT a mesh identity is in no service account and no namespace, so it is NOT excluded by notServiceAccounts or notNamespaces (`{notNamespaces: [legacy]}` also matches plaintext callers; add `serviceAccounts: ["*"]` to require an identity).
 */
export interface AccessSource {
  serviceAccounts?: ServiceAccounts;
  /**
   * Callers with a mesh identity in any of these namespaces.
   *
   * @minItems 1
   */
  namespaces?: [string, ...string[]];
  /**
   * TrafficPolicy only: callers selected by the labels of their pods (Istio `VirtualService.http[].match[].sourceLabels` with `sourceNamespace`), e.g. only the canary of a caller. A caller matches an entry when it runs in the entry's namespace in a pod whose labels include all of the entry's `labels`. Pod labels are not a verified identity (whoever creates pods in that namespace sets them), so an AccessPolicy cannot select callers this way (rule/workload-source): it uses serviceAccounts.
   *
   * @minItems 1
   */
  workloads?: [Workload, ...Workload[]];
  /**
   * Callers whose source IP is in one of these CIDRs (AccessPolicy only; not an identity, so weaker than serviceAccounts).
   *
   * @minItems 1
   */
  ipBlocks?: [string, ...string[]];
  notServiceAccounts?: ServiceAccounts1;
  /**
   * Callers that are NOT identities of these namespaces; a caller without a mesh identity is in no namespace, so it is not excluded. Istio `source.notNamespaces`.
   *
   * @minItems 1
   */
  notNamespaces?: [string, ...string[]];
  /**
   * Callers whose source IP is NOT in any of these CIDRs. Istio `source.notIpBlocks`.
   *
   * @minItems 1
   */
  notIpBlocks?: [string, ...string[]];
  /**
   * The member clusters of the VirtualMesh whose identities `serviceAccounts` and `namespaces` name (SPIFFE IDs in each member's trust domain: `spiffe://<member trustDomain>/ns/<ns>/sa/<sa>`); `*`: every member. Default: the member the policy is enforced in only, so an identity of another cluster is never admitted unless named here. Needs `serviceAccounts` or `namespaces` (rule/cluster-source) and a VirtualMesh among the inputs (rule/unknown-cluster). A `*` service account is any identity of the virtual mesh (every member shares its root CA) whatever `clusters` says.
   *
   * @minItems 1
   */
  clusters?: [string, ...string[]];
}
/**
 * The service being called.
 */
export interface Destination1 {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service: string;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
  /**
   * Only traffic to this Service port (for an AccessPolicy also a pod port the MeshService declares `podOnly`). Default: every port, pod-only ones included.
   */
  port?: number;
}
/**
 * One access rule. All given conditions must hold (AND); a list matches when any entry matches; a `not...` list holds when NO entry matches (Istio's `notMethods`, `notPaths`, `notPorts`, `when.notValues`). A rule with no conditions matches every request. End-user conditions (`requestPrincipals`, `notRequestPrincipals`, `claims`, `notClaims`) look at the request's token, validated by a RequestAuthentication of the destination. `source`: Who. Default: the policy's `spec.source`; when that is omitted too, any caller.
 */
export interface AccessRule {
  source?: AccessSource;
  requestPrincipals?: RequestPrincipals;
  notRequestPrincipals?: RequestPrincipals1;
  /**
   * HTTP methods, in upper case (e.g. GET).
   *
   * @minItems 1
   */
  methods?: [string, ...string[]];
  /**
   * HTTP methods the request must NOT use, in upper case. Every other method matches, extension methods (e.g. PROPFIND) included.
   *
   * @minItems 1
   */
  notMethods?: [string, ...string[]];
  /**
   * Request paths (without the query string; case-sensitive): exact (`/a`); `/a/*`: `/a` itself AND every path below it (`/a/`, `/a/b`; not `/ab`), so a deny for `/admin/*` also covers `/admin`; `/a*`: every path starting with `/a` (a plain string prefix: `/a`, `/ab`, `/a/b`); suffix (`*.png`, `* /a`: any path ending with the text after `*`); or `*` (any path). `*` may appear only at the start or at the end, once. Matched against the normalized request path, which is also the path the app receives (README, path normalization): dot segments removed (`/a/../b` is `/b`), %-encoded unreserved characters decoded, `\` read as `/`, `//` merged; requests with an encoded slash or backslash (`%2F`, `%5C`) or `%00` are refused. So no other spelling of a path gets past a rule; write paths in the normalized form.
   *
   * @minItems 1
   */
  paths?: [string, ...string[]];
  /**
   * Request paths the request must NOT match, in the syntax (and with the meaning) of `paths`: `notPaths: ["/admin/*"]` also excludes `/admin`.
   *
   * @minItems 1
   */
  notPaths?: [string, ...string[]];
  /**
   * Service ports of the destination (what callers dial; adapters map them to the pods' target ports), or pod ports its MeshService declares `podOnly`. When a MeshService declares the ports, each must be one of them (rule/unknown-port).
   *
   * @minItems 1
   */
  ports?: [number, ...number[]];
  /**
   * Service ports of the destination the request must NOT be sent to (as for `ports`: Service ports or declared pod-only ports; each must be a declared port when a MeshService declares them).
   *
   * @minItems 1
   */
  notPorts?: [number, ...number[]];
  /**
   * Request headers by name, each with a list of accepted exact values.
   */
  headers?: {
    /**
     * @minItems 1
     */
    [k: string]: [string, ...string[]];
  };
  /**
   * Request headers by name, each with a list of exact values the header must NOT have. A request WITHOUT the header matches (it has none of the values), as with Istio `when[].notValues`.
   */
  notHeaders?: {
    /**
     * @minItems 1
     */
    [k: string]: [string, ...string[]];
  };
  claims?: ClaimMatch;
  notClaims?: ClaimMatch2;
}
/**
 * Claims of the request's valid end-user token: every claim named must match one of its values (ClaimMatch). A request without a token, or whose token lacks the claim, does not match. Needs a RequestAuthentication of the destination. Istio `when: [{key: "request.auth.claims[<name>]", values}]` (nested: `request.auth.claims[a][b]`).
 */
export interface ClaimMatch {
  [k: string]: [string, ...string[]] | ClaimMatch1;
}
/**
 * Claims of the request's validated token by name, each with a list of values (`{groups: [admin]}`), or with a mapping of the claims nested in it (`{realm_access: {roles: [admin]}}` is the claim `roles` inside the claim `realm_access`). A claim matches a value when the claim is that string, or a list one of whose elements is; `scope` and `permission` (and the issuer's `spaceDelimitedClaims`) are read as space-separated lists (`"read write"` matches `write`); numbers, booleans and objects match no value. A value with a leading or trailing `*` is a suffix or prefix match, `*` alone any non-empty value (the claim is present). The audience is the claim `aud`, the authorized party `azp`. Claim names cannot contain `[` or `]` (Istio's key syntax `request.auth.claims[a][b]`).
 */
export interface ClaimMatch1 {
  [k: string]: [string, ...string[]] | ClaimMatch1;
}
/**
 * Claims that must match NONE of their values (ClaimMatch syntax): a request without a token, or whose token lacks the claim, matches. Istio `when[].notValues`.
 */
export interface ClaimMatch2 {
  [k: string]: [string, ...string[]] | ClaimMatch1;
}
/**
 * Mutual TLS mode for a service or a namespace.
 */
export interface MTLSPolicy {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "MTLSPolicy";
  metadata: Metadata;
  spec: MTLSPolicySpec;
}
/**
 * Whether the destination accepts plaintext. The most specific policy wins: one for a Service port (`ports`) over one for the service, over one for the whole namespace (no destination), over one for the whole mesh (`scope: mesh`), as Istio's PeerAuthentication (workload > namespace > root namespace). Pods shared by several Services (see MeshService `selector`) enforce, per pod port, the strictest mode any of them asks for there. `destination`: The service (all its ports; no `port` here: per-port modes go in `ports`). Omitted: every workload in the policy's namespace, or with `scope: mesh` of every namespace.
 */
export interface MTLSPolicySpec {
  destination?: MTLSDestination;
  /**
   * Where the policy applies when it names no destination: `namespace` (the default without `destination`): every workload of the policy's namespace, also those no unimesh document names; `mesh`: every workload of every namespace (Istio: a policy in the root namespace, the `rootNamespace` setting, default istio-system). Not with `destination` (rule/scope).
   */
  scope?: "namespace" | "mesh";
  /**
   * strict: mutual TLS only; permissive: mutual TLS and plaintext; disabled: plaintext only.
   */
  mode: "strict" | "permissive" | "disabled";
  /**
   * Per-port overrides by Service port, or by a pod port the MeshService declares `podOnly` (adapters map them to the pods' target ports; when a MeshService declares the ports, each key must be one of them): `"9080": permissive`. Meshes set the mode per pod port: when several Service ports reach one pod port, it enforces the strictest of their modes (strict > permissive > disabled), with a warning, so no port is served more loosely than asked. Needs a destination.
   */
  ports?: {
    [k: string]: "strict" | "permissive" | "disabled";
  };
}
/**
 * The service whose mTLS mode is set: every port of it (there is no `port`: for one port, write `ports: {"9080": strict}`).
 */
export interface MTLSDestination {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service: string;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
}
/**
 * Request authentication for a destination: which end-user tokens (JWT) it accepts, from which issuers, found where.
 */
export interface RequestAuthentication {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "RequestAuthentication";
  metadata: Metadata;
  spec: RequestAuthenticationSpec;
}
/**
 * Which end-user tokens (JWT, RFC 7519) requests to `destination` may carry, and how they are validated: Istio's RequestAuthentication semantics. A request with a token in a location some issuer reads must carry a VALID one, else it is refused with 401 before any AccessPolicy: malformed, a bad signature, `alg: none` or an algorithm its key is not for (e.g. HS256 over an RSA public key), expired or not yet valid (`exp`, `nbf`, with 60 s of clock skew), an `iss` no issuer names or that does not read the location it was found in, no accepted audience, keys that cannot be fetched. A request WITHOUT a token passes, with no request principal: to require one, add an AccessPolicy rule such as `requestPrincipals: ["*"]`. A valid token gives the request its principal `<iss>/<sub>` and its claims, which AccessPolicy rules match (`requestPrincipals`, `notRequestPrincipals`, `claims`, `notClaims`). Several RequestAuthentications of one destination add up their issuers (each issuer once). A request carrying two different tokens is refused (Istio leaves its principal undefined); CORS preflight requests are not checked (Istio `bypass_cors_preflight`). Every port of the destination is checked. Linkerd and App Mesh have no request authentication: translating for them is an error.
 */
export interface RequestAuthenticationSpec {
  destination: MTLSDestination1;
  /**
   * The issuers whose tokens are accepted (Istio `jwtRules`).
   *
   * @minItems 1
   */
  issuers: [JwtIssuer, ...JwtIssuer[]];
}
/**
 * The service whose mTLS mode is set: every port of it (there is no `port`: for one port, write `ports: {"9080": strict}`).
 */
export interface MTLSDestination1 {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  service: string;
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  namespace?: string;
}
/**
 * One token issuer: how its tokens are found and validated (Istio `RequestAuthentication.jwtRules[]`). Exactly one of `jwksUri` and `jwks` gives its keys.
 */
export interface JwtIssuer {
  /**
   * The issuer, exactly as its tokens carry it in `iss` (e.g. `https://accounts.example.com`, `testing@secure.istio.io`). A token whose `iss` no issuer of the destination names is invalid (401). Istio `jwtRules[].issuer`.
   */
  issuer: string;
  /**
   * URL (http or https) of the issuer's JSON Web Key Set (RFC 7517: its public keys). Istio `jwtRules[].jwksUri` (istiod fetches it and hands the keys to the sidecars). The built-in proxy fetches it when a token first needs it (at most 5 s), keeps it 5 minutes, and fetches it again (at most every 30 s) when a token names a key id (`kid`) it does not hold; while it cannot be fetched, tokens of this issuer are invalid (401).
   */
  jwksUri?: string;
  /**
   * The issuer's JSON Web Key Set itself, as JSON text (`{"keys": [{"kty": "RSA", "n": ..., "e": ...}]}`): public keys only (a private member such as `d` is an error: rule/jwks); a symmetric key (`kty: oct`) is a shared secret anyone reading the policy can sign with (warning). Istio `jwtRules[].jwks`.
   */
  jwks?: string;
  /**
   * Accepted audiences: a token is valid only if its `aud` (a string or a list) holds one of them. Omitted: the audience is not checked. Istio `jwtRules[].audiences`.
   *
   * @minItems 1
   */
  audiences?: [string, ...string[]];
  /**
   * Headers that carry this issuer's tokens. When neither `fromHeaders` nor `fromParams` is given: the header `Authorization` with prefix `Bearer ` and the query parameter `access_token` (Istio's defaults). A token found in a location only other issuers read is invalid if its `iss` is this issuer. Istio `jwtRules[].fromHeaders`.
   *
   * @minItems 1
   */
  fromHeaders?: [JwtHeader, ...JwtHeader[]];
  /**
   * Query parameters that carry this issuer's tokens (`token` for `/path?token=<JWT>`; the first value counts). Istio `jwtRules[].fromParams`.
   *
   * @minItems 1
   */
  fromParams?: [string, ...string[]];
  /**
   * Keep the token in the request the app receives. Default false: once the token is valid, the header that carried it (the whole header) or its query parameter is removed before the request reaches the app (Istio `jwtRules[].forwardOriginalToken`, default false).
   */
  forwardToken?: boolean;
  /**
   * Top-level claims whose string value is a space-separated list, matched element by element by `claims` (as `scope` and `permission` always are). Istio `jwtRules[].spaceDelimitedClaims` (Istio 1.28 and later).
   *
   * @minItems 1
   */
  spaceDelimitedClaims?: [string, ...string[]];
}
/**
 * A request header that carries the token.
 */
export interface JwtHeader {
  /**
   * Header name (case-insensitive).
   */
  name: string;
  /**
   * Text before the token in the header value, e.g. `"Bearer "` (case-sensitive). The token is what follows the first occurrence of the prefix (from its first base64url character on); a value without the prefix holds no token (e.g. `Authorization: Basic ...` is not a bearer token). Omitted: the whole value is the token.
   */
  prefix?: string;
}
/**
 * A proxy-wasm extension: a WebAssembly module run by the destination's proxies on its requests.
 */
export interface WasmExtension {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "WasmExtension";
  metadata: Metadata;
  spec: WasmExtensionSpec;
}
/**
 * A proxy-wasm extension (HTTP filter) run by the proxies in front of `destination`'s instances (server side: every request the destination receives, on `ports` or every port), Istio's WasmPlugin semantics. It sees and may change request and response headers (and bodies on the built-in proxy), answer a request itself (a local response: e.g. deny it), and log. Extensions of one destination run by `phase` (AUTHN, then AUTHZ, then STATS, then those without phase: after access control and the rate limit, just before the request goes to the app), within a phase by `priority` (higher first), then by namespace/name. A module that fails (cannot be loaded, traps, runs past its time limit) fails closed: the request is answered 500 (Istio `failStrategy: FAIL_CLOSE`). Istio: WasmPlugin; Linkerd, App Mesh, Kuma and Gateway API cannot run proxy-wasm modules (error).
 */
export interface WasmExtensionSpec {
  /**
   * The service whose instances run the extension on the requests they receive.
   */
  destination: {
    /**
     * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
     */
    service: string;
    /**
     * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
     */
    namespace?: string;
  };
  /**
   * Only requests to these Service ports (Istio `match[].ports`, with the pod ports they reach: the MeshService must declare them). Default: every port.
   *
   * @minItems 1
   */
  ports?: [Port, ...Port[]];
  module: WasmModule;
  /**
   * The root id the module's root context is registered under (Istio `pluginName`, Envoy `root_id`; the SDK's `registerRootContext(..., "<name>")`). Default: empty, as in Envoy.
   */
  pluginName?: string;
  /**
   * The plugin configuration (any JSON object), handed to the module as JSON text (`proxy_on_configure`, buffer PluginConfiguration). Istio `pluginConfig`.
   */
  config?: {};
  /**
   * Where in the filter chain it runs (Istio `phase`): AUTHN before request authentication (JWT), AUTHZ after it and before access control, STATS after access control and the rate limit; omitted (unspecified) last, right before the request goes to the app.
   */
  phase?: "AUTHN" | "AUTHZ" | "STATS";
  /**
   * Order within a phase: higher runs first (Istio `priority`, int32). Default: 0; ties ordered by namespace/name.
   */
  priority?: number;
}
/**
 * Where a proxy-wasm module (a `.wasm` file built for the proxy-wasm ABI 0.2.x, e.g. with `unimesh wasm build`) is found: `url`, `file` or both (rule/wasm-module: at least one); with both, they must be the same module (same `sha256`): meshes load `url`, the built-in proxy loads `file`.
 */
export interface WasmModule {
  /**
   * Where the proxies of a cluster fetch the module: an OCI image (`oci://registry/repo:tag` or `@sha256:...`) or an `https://` / `http://` URL (Istio `WasmPlugin.url`). The built-in proxy never fetches it: give `file` for `unimesh up`.
   */
  url?: string;
  /**
   * A local `.wasm` file, relative to the directory of the policy file (or absolute): what the built-in proxy loads (after checking `sha256`). A mesh without `url` references it as `file:///<file>` on the proxy's own filesystem (warned: a cluster needs the module at an oci:// or https:// URL).
   */
  file?: string;
  /**
   * SHA-256 of the module (64 lower-case hex digits; `unimesh wasm build` prints it). Required with `file`: the built-in proxy refuses to load a file whose digest differs. Recommended with `url` (Istio `WasmPlugin.sha256`: the proxy verifies the download; without it an image tag can change under you, warned).
   */
  sha256?: string;
}
/**
 * Facts about one service (its name is metadata.name).
 */
export interface MeshService {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "MeshService";
  metadata: Metadata;
  spec: MeshServiceSpec;
}
/**
 * Facts about a service that policies do not carry but meshes need. Optional: without one, conventions apply (selector `app: <name>`, service account `<name>`, ports taken from the policies, protocol http). `unimesh discover` writes these from a cluster. `selector`: Pod labels of the service. Default: `{app: <metadata.name>}`. Services whose selectors pick the same pods (equal, or one contained in the other, e.g. `{app: reviews}` and `{app: reviews, version: v2}`) share those pods, and so, as far as unimesh can tell, do selectors that may meet on a pod (a label in common and none that differs, neither containing the other: `{app: reviews, tier: web}` and `{app: reviews, version: v2}`; pod labels are not in the model, so such a pod is assumed to exist; selectors without a label in common are taken to name different workloads): meshes enforce access and mTLS at the pod, per pod port, where a request cannot be told apart by the Service it was sent to. So each shared pod port enforces the strictest mTLS mode of their Service ports reaching it (a warning names the looser ones); their AccessPolicies must agree there (an error otherwise, never a looser result), and one without AccessPolicy there gets the other's rules (a warning). The built-in proxy keeps them apart (a listener per service).
 */
export interface MeshServiceSpec {
  selector?: Labels;
  /**
   * Service account its pods run as. Default: metadata.name.
   */
  serviceAccount?: string;
  /**
   * Ports of the service: its Service ports, and the pod ports no Service port reaches (`podOnly`). When given, these are ALL its ports, and every port a policy names for this service must be one of these. For a headless Service, callers dial the pods' ports: declare `port` equal to `targetPort`.
   *
   * @minItems 1
   */
  ports?: [ServicePort, ...ServicePort[]];
  /**
   * Declared subsets. When given, every subset a policy references must be one of these.
   *
   * @minItems 1
   */
  subsets?: [
    {
      name: Name;
      labels: Labels;
    },
    ...{
      name: Name;
      labels: Labels;
    }[]
  ];
}
/**
 * A port of the service.
 */
export interface ServicePort {
  port: Port;
  /**
   * A TCP port number.
   */
  targetPort?: number;
  /**
   * True for a port the pods listen on that no Service port reaches (a metrics or admin port such as 9090, or any port callers dial on the pod's own address): `port` is that pod port (no `targetPort`; it must not be the target of a Service port of this service, rule/pod-only-port). AccessPolicies and MTLSPolicies name it like a Service port (`destination.port`, rule `ports`/`notPorts`, MTLSPolicy `ports` keys) and meshes enforce them at that pod port, whoever dials it; a policy without port governs it too. Routing does not apply (no route matches requests sent to a pod's address): a TrafficPolicy naming it is an error, and destination-level settings (outlierDetection, connectionPool, loadBalancer, rateLimit) leave it alone. Meshes whose sidecars cannot carry mutual TLS to a port no Service declares say so (Istio, App Mesh: only callers presenting a mesh certificate themselves pass `strict`); the built-in proxy has no pod addresses (a policy naming it is an error there). Default: false.
   */
  podOnly?: boolean;
  /**
   * Port name, as in the Kubernetes Service (at most 15 characters); for a `podOnly` port, the container port's name.
   */
  name?: string;
  /**
   * Default: http.
   */
  protocol?: "http" | "http2" | "grpc" | "tcp";
}
/**
 * Facts about a cluster, written by `unimesh discover`.
 */
export interface ClusterInfo {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "ClusterInfo";
  metadata: Metadata;
  spec: ClusterInfoSpec;
}
/**
 * What `unimesh discover` found in one cluster. Given to `translate --mesh auto`, it picks the adapter and version the cluster runs.
 */
export interface ClusterInfoSpec {
  /**
   * kubeconfig context the cluster was reached through.
   */
  context?: string;
  /**
   * API server URL (no credentials).
   */
  server?: string;
  /**
   * e.g. v1.31.2
   */
  kubernetesVersion?: string;
  /**
   * Meshes installed, newest first.
   */
  meshes: {
    /**
     * Adapter name: istio, linkerd, appmesh.
     */
    name: string;
    /**
     * Installed version, e.g. 1.30.3, 2.20 or edge-26.8.3.
     */
    version: string;
    /**
     * What the version was read from (CRD versions, control-plane image).
     */
    evidence?: string[];
  }[];
  /**
   * Namespaces with mesh-specific settings, by name. Absent: none.
   */
  namespaces?: {
    /**
     * The namespace.
     */
    name: string;
    /**
     * Adapter name, e.g. istio.
     */
    mesh: string;
    /**
     * Adapter settings (`--set`) for policies of this namespace, e.g. {dataplane: ambient} for a namespace labelled istio.io/dataplane-mode=ambient; `translate --mesh auto` applies them.
     */
    settings: {
      [k: string]: string;
    };
    /**
     * What the settings were read from (namespace labels, node agents).
     */
    evidence?: string[];
  }[];
}
/**
 * Several clusters, possibly running different meshes, treated as one mesh.
 */
export interface VirtualMesh {
  apiVersion: "unimesh.io/v1alpha1";
  kind: "VirtualMesh";
  metadata: Metadata;
  spec: VirtualMeshSpec;
}
/**
 * Clusters grouped into one virtual mesh: one root of trust, an intermediate CA per member (`unimesh trust`), and policies that may name services and identities of other members (`split[].cluster`, `source.clusters`). Every member gets every policy, translated by its own mesh's adapter (`translate` writes one output per member); a policy's unqualified services and identities are those of the member it is enforced in.
 */
export interface VirtualMeshSpec {
  /**
   * The member clusters. Names, contexts and trust domains are unique (rule/virtual-mesh).
   *
   * @minItems 1
   * @maxItems 64
   */
  members: [VirtualMeshMember, ...VirtualMeshMember[]];
}
/**
 * One member cluster of a virtual mesh.
 */
export interface VirtualMeshMember {
  /**
   * A Kubernetes name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters).
   */
  name: string;
  /**
   * The kubeconfig context of the cluster: `apply`/`diff` with a VirtualMesh reach each member through its own context.
   */
  context: string;
  /**
   * The mesh the cluster runs, as `--mesh` says it: `istio@1.30`, `linkerd@2.18`, `builtin`, or `auto` (the mesh of the ClusterInfo document whose `spec.context` is this member's context, from `unimesh discover`; `apply`/`diff` detect it in the cluster when there is none).
   */
  mesh: string;
  /**
   * The SPIFFE trust domain of the member's identities (Istio `meshConfig.trustDomain`, Linkerd `identityTrustDomain`). Members have different trust domains, so that an identity says which cluster it belongs to: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`.
   */
  trustDomain: string;
  /**
   * Where the other members reach this cluster's services: its east-west gateway (Istio), multicluster gateway (Linkerd), or the built-in proxy's east-west listener (`unimesh up` binds it here when this is a loopback address, else on a free port of 127.0.0.1). Linkerd: a member with a gateway exports the Services other members send shares to with `mirror.linkerd.io/exported=true` (gateway mode), one without with `=remote-discovery` (pod-to-pod).
   */
  gateway?: {
    /**
     * Host name or IP address.
     */
    address: string;
    /**
     * A TCP port number.
     */
    port?: number;
  };
}
