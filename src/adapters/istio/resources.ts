/**
 * Typed shapes of the Istio kinds the adapter emits: only the fields it fills. Field names and
 * nesting follow the upstream protos (istio/api `networking/v1alpha3/virtual_service.proto`,
 * `destination_rule.proto`, `envoy_filter.proto`, `security/v1beta1/authorization_policy.proto`,
 * `peer_authentication.proto`), served as `networking.istio.io/v1`, `security.istio.io/v1` and
 * `networking.istio.io/v1alpha3` (EnvoyFilter). Every emitted object is validated against the
 * `crd-all.gen.yaml` of Istio 1.22.8 and 1.30.3 in the tests.
 */
import type { KubeObject } from "../../api/adapter.js";

/** `networking.istio.io/v1`: VirtualService and DestinationRule (served from Istio 1.22). */
export const NETWORKING_V1 = "networking.istio.io/v1";
/** `networking.istio.io/v1alpha3`: EnvoyFilter (never promoted). */
export const NETWORKING_V1ALPHA3 = "networking.istio.io/v1alpha3";
/** `security.istio.io/v1`: AuthorizationPolicy and PeerAuthentication (served from Istio 1.22). */
export const SECURITY_V1 = "security.istio.io/v1";
/** `extensions.istio.io/v1alpha1`: WasmPlugin (the only served version, 1.22 to 1.30). */
export const EXTENSIONS_V1ALPHA1 = "extensions.istio.io/v1alpha1";

/** `WasmPlugin` spec (istio/api `extensions/v1alpha1/wasm.proto`; the fields unimesh fills). */
export interface WasmPluginSpec {
  /** Sidecars: the destination's pod labels. Exclusive with `targetRefs`. */
  selector?: { matchLabels: Record<string, string> };
  /** Ambient waypoints: the Service whose waypoint runs the plugin (`kind: Service`, `group: ""`). */
  targetRefs?: PolicyTargetReference[];
  /** `oci://`, `https://`, `http://` or `file://`. */
  url: string;
  /** 64 lower-case hex digits. */
  sha256?: string;
  /** Envoy's `root_id`. */
  pluginName?: string;
  pluginConfig?: Record<string, unknown>;
  phase?: "AUTHN" | "AUTHZ" | "STATS";
  /** int32; higher first within a phase. */
  priority?: number;
  type: "HTTP";
  /** Sidecars only: `[{mode: SERVER, ports?}]`. */
  match?: { mode: "SERVER"; ports?: { number: number }[] }[];
}

/** `StringMatch`: exactly one of exact, prefix, regex; `{}` means "present" in header matches. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** `HTTPMatchRequest` (the fields unimesh fills). */
export interface HTTPMatchRequest {
  uri?: StringMatch;
  method?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
}

/** `Destination` of a route or mirror. */
export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

/** `HTTPRouteDestination`. */
export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  /** Header changes for this destination only (`HTTPRouteDestination.headers`). */
  headers?: { request?: HeaderOperations; response?: HeaderOperations };
}

/** `HTTPRetry`. `backoff` exists in the CRD only in newer releases (see versions.ts). */
export interface HTTPRetry {
  attempts: number;
  perTryTimeout?: string;
  retryOn?: string;
  backoff?: string;
}

/** `HTTPFaultInjection`. */
export interface HTTPFaultInjection {
  delay?: { fixedDelay: string; percentage: { value: number } };
  abort?: { httpStatus?: number; grpcStatus?: string; percentage: { value: number } };
}

/** `HeaderOperations`. */
export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

/** `CorsPolicy`. */
export interface CorsPolicy {
  allowOrigins: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
}

/** `HTTPRewrite`. */
export interface HTTPRewrite {
  uri?: string;
  uriRegexRewrite?: { match: string; rewrite: string };
  authority?: string;
}

/** `HTTPRedirect`. */
export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  scheme?: string;
  port?: number;
  redirectCode?: number;
}

/** `HTTPDirectResponse`. */
export interface HTTPDirectResponse {
  status: number;
  body?: { string: string };
}

/** `HTTPRoute`: one entry of `VirtualService.spec.http`. */
export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  rewrite?: HTTPRewrite;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  headers?: { request?: HeaderOperations; response?: HeaderOperations };
  corsPolicy?: CorsPolicy;
}

/** `TCPRoute`: one entry of `VirtualService.spec.tcp` (L4: port and source only). */
export interface TCPRoute {
  match: { port: number; sourceLabels?: Record<string, string>; sourceNamespace?: string }[];
  route: HTTPRouteDestination[];
}

/** `VirtualService.spec` (mesh gateway only: `gateways` omitted). */
export interface VirtualServiceSpec {
  hosts: string[];
  http?: HTTPRoute[];
  tcp?: TCPRoute[];
}

/** `ConnectionPoolSettings`. */
export interface ConnectionPoolSettings {
  tcp?: { maxConnections?: number; connectTimeout?: string; idleTimeout?: string };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
  };
}

/** `OutlierDetection`. */
export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
}

/** `LoadBalancerSettings`. */
export interface LoadBalancerSettings {
  simple?: "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM";
  consistentHash?: {
    httpHeaderName?: string;
    httpCookie?: { name: string; ttl: string };
    useSourceIp?: boolean;
    httpQueryParameterName?: string;
  };
  /** Locality load balancing: here only `failoverPriority` by cluster (features/crossCluster.ts). */
  localityLbSetting?: { enabled: boolean; failoverPriority: string[] };
}

/** `ClientTLSSettings` (only the mode: Istio certificates). */
export interface ClientTLSSettings {
  mode: "DISABLE" | "ISTIO_MUTUAL";
}

/** `TrafficPolicy.PortTrafficPolicy`. */
export interface PortTrafficPolicy {
  port: { number: number };
  connectionPool?: ConnectionPoolSettings;
  loadBalancer?: LoadBalancerSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

/** `TrafficPolicy` of a DestinationRule. */
export interface TrafficPolicy {
  connectionPool?: ConnectionPoolSettings;
  loadBalancer?: LoadBalancerSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
}

/** `DestinationRule.spec`. */
export interface DestinationRuleSpec {
  host: string;
  subsets?: { name: string; labels: Record<string, string>; trafficPolicy?: TrafficPolicy }[];
  trafficPolicy?: TrafficPolicy;
}

/** `AuthorizationPolicy` `Source`: its fields are ANDed; `not*` hold when no entry matches. */
export interface AuthzSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
}

/** `AuthorizationPolicy` `Operation`: its fields are ANDed; `not*` hold when no entry matches. */
export interface AuthzOperation {
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
  ports?: string[];
  notPorts?: string[];
}

/** `AuthorizationPolicy` `Condition`: the key has one of `values` (if given) and none of `notValues` (if given). */
export interface AuthzCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

/** `AuthorizationPolicy` `Rule`: from (ORed), to (ORed), when (ANDed); `{}` matches every request. */
export interface AuthzRule {
  from?: { source: AuthzSource }[];
  to?: { operation: AuthzOperation }[];
  when?: AuthzCondition[];
}

/** `AuthorizationPolicy.spec`. No `rules` with action ALLOW means allow-nothing; no selector: every workload of the namespace (of the mesh in the root namespace). */
export interface AuthorizationPolicySpec {
  selector?: { matchLabels: Record<string, string> };
  /** The waypoint-enforced form (ambient): the Service (or waypoint Gateway) the policy applies to; never with `selector`. */
  targetRefs?: PolicyTargetReference[];
  action: "ALLOW" | "DENY";
  rules?: AuthzRule[];
}

/** `RequestAuthentication` `JWTRule` (istio/api `security/v1beta1/request_authentication.proto`). */
export interface JwtRule {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  forwardOriginalToken?: boolean;
  spaceDelimitedClaims?: string[];
}

/**
 * `PolicyTargetReference` (istio/api `type/v1beta1/selector.proto`): in ambient mode, a Service
 * (`group: ""`) or a waypoint Gateway (`group: gateway.networking.k8s.io`) whose waypoint enforces the
 * policy (istio.io docs/ambient/usage/l7-features, "Targeting policies or routing rules").
 */
export interface PolicyTargetReference {
  group: string;
  kind: string;
  name: string;
}

/** `RequestAuthentication.spec`: the JWT rules of the selected workloads (or, ambient, of the targeted Service's waypoint). */
export interface RequestAuthenticationSpec {
  selector?: { matchLabels: Record<string, string> };
  targetRefs?: PolicyTargetReference[];
  jwtRules: JwtRule[];
}

/** `PeerAuthentication` mTLS mode. */
export type PeerMtlsMode = "STRICT" | "PERMISSIVE" | "DISABLE";

/** `PeerAuthentication.spec`. `portLevelMtls` (keyed by workload port) needs a selector. */
export interface PeerAuthenticationSpec {
  selector?: { matchLabels: Record<string, string> };
  mtls: { mode: PeerMtlsMode };
  portLevelMtls?: Record<string, { mode: PeerMtlsMode }>;
}

/** `EnvoyFilter.spec` (one HTTP_FILTER patch). */
export interface EnvoyFilterSpec {
  workloadSelector: { labels: Record<string, string> };
  configPatches: {
    applyTo: "HTTP_FILTER";
    match: {
      context: "SIDECAR_INBOUND";
      listener: { filterChain: { filter: { name: string; subFilter: { name: string } } } };
    };
    patch: { operation: "INSERT_BEFORE"; value: Record<string, unknown> };
  }[];
}

/** A Kubernetes object with a typed spec. */
export type IstioObject<S> = KubeObject & { spec: S };

/**
 * Istio's built-in endpoint label holding the cluster ID of a multicluster mesh
 * (`values.global.multiCluster.clusterName`), usable in `DestinationRule.subsets[].labels` and
 * `localityLbSetting.failoverPriority` (istio/api `networking/v1alpha3/destination_rule.proto`).
 */
export const CLUSTER_LABEL = "topology.istio.io/cluster";
