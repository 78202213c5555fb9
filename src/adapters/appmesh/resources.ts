/**
 * Typed shapes of the native kinds the App Mesh adapter emits: `appmesh.k8s.aws/v1beta2` Mesh,
 * VirtualNode, VirtualService and VirtualRouter as served by aws-app-mesh-controller-for-k8s v1.13
 * (`apis/appmesh/v1beta2/*_types.go`, CRDs in `config/crd/bases/appmesh.k8s.aws_*.yaml` at tag
 * v1.13.3), plus the core `v1` Service used for DNS service discovery. Only the fields unimesh fills
 * are declared; every one of them exists in the v1.13.3 CRD (checked by the golden tests).
 */
import type { KubeObject } from "../../api/adapter.js";

/** The API version of every App Mesh kind. */
export const APPMESH_API_VERSION = "appmesh.k8s.aws/v1beta2";

/** `{unit, value}`: how App Mesh writes every duration (`Duration` in the App Mesh API; unit `s` or `ms`). */
export interface AmDuration {
  unit: "s" | "ms";
  value: number;
}

/** A listener/route protocol (`PortMapping.protocol`). */
export type AmProtocol = "http" | "http2" | "grpc" | "tcp";

/** `PortMapping`. */
export interface PortMapping {
  port: number;
  protocol: AmProtocol;
}

/** `ListenerTLS` with SDS certificates (`VirtualNode.spec.listeners[].tls`). */
export interface ListenerTls {
  mode: "STRICT" | "PERMISSIVE" | "DISABLED";
  certificate: { sds: { secretName: string } };
  validation: {
    /** The callers' SPIFFE IDs the listener accepts (exact matches only); absent: any certificate of the trust bundle. */
    subjectAlternativeNames?: { match: { exact: string[] } };
    trust: { sds: { secretName: string } };
  };
}

/** `VirtualNodeConnectionPool`: exactly one protocol member, matching the listener protocol. */
export interface ListenerConnectionPool {
  http?: { maxConnections: number; maxPendingRequests?: number };
  http2?: { maxRequests: number };
  grpc?: { maxRequests: number };
  tcp?: { maxConnections: number };
}

/** `OutlierDetection` (all four fields required). */
export interface ListenerOutlierDetection {
  maxServerErrors: number;
  interval: AmDuration;
  baseEjectionDuration: AmDuration;
  maxEjectionPercent: number;
}

/** `ListenerTimeout`: one member, matching the listener protocol. */
export interface ListenerTimeout {
  http?: { perRequest?: AmDuration };
  http2?: { perRequest?: AmDuration };
  grpc?: { perRequest?: AmDuration };
}

/** `VirtualNode.spec.listeners[]`. */
export interface VirtualNodeListener {
  portMapping: PortMapping;
  outlierDetection?: ListenerOutlierDetection;
  connectionPool?: ListenerConnectionPool;
  tls?: ListenerTls;
  timeout?: ListenerTimeout;
}

/** `ClientPolicyTLS` of one backend (`VirtualNode.spec.backends[].virtualService.clientPolicy.tls`). */
export interface ClientPolicyTls {
  enforce: boolean;
  ports?: number[];
  certificate: { sds: { secretName: string } };
  validation: {
    trust: { sds: { secretName: string } };
    subjectAlternativeNames: { match: { exact: string[] } };
  };
}

/** `VirtualNode.spec.backends[]`. */
export interface VirtualNodeBackend {
  virtualService: {
    virtualServiceRef: { name: string; namespace?: string };
    clientPolicy?: { tls: ClientPolicyTls };
  };
}

/** `VirtualNode.spec`. */
export interface VirtualNodeSpec {
  /** Absent: the VirtualNode selects no pod (`podSelector` doc in the CRD). */
  podSelector?: { matchLabels: Record<string, string> };
  listeners?: VirtualNodeListener[];
  /** Mandatory when there are listeners (CRD doc of `serviceDiscovery`). */
  serviceDiscovery?: { dns: { hostname: string; responseType?: "ENDPOINTS" | "LOADBALANCER" } };
  backends?: VirtualNodeBackend[];
}

/** `HTTPRouteHeader` / `GRPCRouteMetadata`: no `match` means "present", `invert` negates. */
export interface RouteHeader {
  name: string;
  match?: { exact?: string; prefix?: string; regex?: string };
  invert?: boolean;
}

/** `HTTPRouteMatch` (httpRoute and http2Route). */
export interface HttpRouteMatch {
  prefix?: string;
  path?: { exact?: string; regex?: string };
  method?: string;
  headers?: RouteHeader[];
  queryParameters?: { name: string; match: { exact: string } }[];
  port?: number;
}

/** `GRPCRouteMatch`. */
export interface GrpcRouteMatch {
  serviceName?: string;
  methodName?: string;
  metadata?: RouteHeader[];
  port?: number;
}

/** `WeightedTarget`. */
export interface WeightedTarget {
  virtualNodeRef: { name: string };
  weight: number;
  port?: number;
}

/** `HTTPRetryPolicy` / `GRPCRetryPolicy` (maxRetries and perRetryTimeout required). */
export interface RetryPolicy {
  maxRetries: number;
  perRetryTimeout: AmDuration;
  httpRetryEvents?: string[];
  tcpRetryEvents?: string[];
  grpcRetryEvents?: string[];
}

/** `HTTPRoute` (also used for http2Route). */
export interface HttpRoute {
  match: HttpRouteMatch;
  action: { weightedTargets: WeightedTarget[] };
  retryPolicy?: RetryPolicy;
  timeout?: { perRequest: AmDuration };
}

/** `GRPCRoute`. */
export interface GrpcRoute {
  match: GrpcRouteMatch;
  action: { weightedTargets: WeightedTarget[] };
  retryPolicy?: RetryPolicy;
  timeout?: { perRequest: AmDuration };
}

/** `TCPRoute`. */
export interface TcpRoute {
  match?: { port: number };
  action: { weightedTargets: WeightedTarget[] };
}

/** `VirtualRouter.spec.routes[]`: exactly one of the route kinds. */
export interface AmRoute {
  name: string;
  /** 0 (first) to 1000. */
  priority: number;
  httpRoute?: HttpRoute;
  http2Route?: HttpRoute;
  grpcRoute?: GrpcRoute;
  tcpRoute?: TcpRoute;
}

/** A generated object with a typed spec. */
export interface Typed<S> extends KubeObject {
  spec: S;
}

/** `Mesh` (cluster-scoped; `mesh_types.go`). */
export type MeshObject = Typed<{
  namespaceSelector: { matchLabels: Record<string, string> };
  egressFilter: { type: "ALLOW_ALL" | "DROP_ALL" };
}>;
/** `VirtualNode` (`virtualnode_types.go`). */
export type VirtualNodeObject = Typed<VirtualNodeSpec>;
/** `VirtualService` with a VirtualRouter provider (`virtualservice_types.go`). */
export type VirtualServiceObject = Typed<{
  awsName: string;
  provider: { virtualRouter: { virtualRouterRef: { name: string } } };
}>;
/** `VirtualRouter` with its routes (`virtualrouter_types.go`). */
export type VirtualRouterObject = Typed<{ listeners: { portMapping: PortMapping }[]; routes: AmRoute[] }>;
/** Core `v1` Service (headless) giving a VirtualNode its own DNS name. */
export type ServiceObject = Typed<{
  clusterIP: "None";
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: number; protocol: "TCP" }[];
}>;
