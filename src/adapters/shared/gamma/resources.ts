/**
 * Typed shapes of what the Gateway API adapter emits: `gateway.networking.k8s.io/v1` HTTPRoute and
 * GRPCRoute with a Service parentRef (GAMMA), only the fields it fills. Field names follow the CRDs in
 * `test/crds/gateway-api/{v1.6.1,v1.2.1}/{standard,experimental}`, which every emitted object is
 * validated against. Keys are declared in sorted order: the builders fill them in that order, so
 * translate() keeps the objects as they are.
 */
import type { KubeObject } from "../../../api/adapter.js";

/** The API version of HTTPRoute and GRPCRoute in every supported release. */
export const GATEWAY_V1 = "gateway.networking.k8s.io/v1";

/** `ParentReference` to a Service (GAMMA): `group: ""` (core), `kind: Service`, the Service port. */
export interface ParentRef {
  group: "";
  kind: "Service";
  name: string;
  port: number;
}

/** `HTTPPathMatch` (RegularExpression, whose support is implementation-specific, only for Istio's waypoints). */
export interface HTTPPathMatch {
  type: "Exact" | "PathPrefix" | "RegularExpression";
  value: string;
}

/** `HTTPHeaderMatch` / `HTTPQueryParamMatch` / `GRPCHeaderMatch` (Exact: core support). */
export interface ValueMatch {
  name: string;
  /** RegularExpression only for Istio's waypoints (implementation-specific support). */
  type: "Exact" | "RegularExpression";
  value: string;
}

/** `HTTPRouteMatch`. */
export interface HTTPRouteMatch {
  headers?: ValueMatch[];
  method?: string;
  path?: HTTPPathMatch;
  queryParams?: ValueMatch[];
}

/** `GRPCRouteMatch`. */
export interface GRPCRouteMatch {
  headers?: ValueMatch[];
  method?: { method?: string; service?: string; type: "Exact" };
}

/** `HTTPHeaderFilter`. */
export interface HeaderFilter {
  add?: { name: string; value: string }[];
  remove?: string[];
  set?: { name: string; value: string }[];
}

/** `HTTPPathModifier`. */
export type PathModifier = { replaceFullPath: string; type: "ReplaceFullPath" } | { replacePrefixMatch: string; type: "ReplacePrefixMatch" };

/** `HTTPRequestRedirectFilter`. */
export interface RequestRedirect {
  hostname?: string;
  path?: PathModifier;
  port?: number;
  scheme?: "http" | "https";
  statusCode: number;
}

/** `HTTPURLRewriteFilter`. */
export interface URLRewrite {
  hostname?: string;
  path?: PathModifier;
}

/** `HTTPRequestMirrorFilter` (`percent`: 1.3+ standard, 1.2+ experimental). */
export interface RequestMirror {
  backendRef: { name: string; namespace?: string; port: number };
  percent?: number;
  fraction?: { denominator: number; numerator: number };
}

/** `HTTPCORSFilter` (1.5+ standard, 1.3+ experimental). */
export interface CORSFilter {
  allowCredentials?: boolean;
  allowHeaders?: string[];
  allowMethods?: string[];
  allowOrigins?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

/** `HTTPRouteFilter` / `GRPCRouteFilter` (the types unimesh emits). */
export type RouteFilter =
  | { cors: CORSFilter; type: "CORS" }
  | { requestHeaderModifier: HeaderFilter; type: "RequestHeaderModifier" }
  | { requestMirror: RequestMirror; type: "RequestMirror" }
  | { requestRedirect: RequestRedirect; type: "RequestRedirect" }
  | { responseHeaderModifier: HeaderFilter; type: "ResponseHeaderModifier" }
  | { type: "URLRewrite"; urlRewrite: URLRewrite };

/** `HTTPBackendRef` / `GRPCBackendRef` to a Service. */
export interface BackendRef {
  filters?: RouteFilter[];
  name: string;
  namespace?: string;
  port: number;
  weight?: number;
}

/** `HTTPRouteRetry` (experimental channel, GEP-1731). */
export interface Retry {
  attempts?: number;
  backoff?: string;
  codes?: number[];
}

/** `HTTPRouteRule` / `GRPCRouteRule`. */
export interface RouteRule {
  backendRefs?: BackendRef[];
  filters?: RouteFilter[];
  matches?: (HTTPRouteMatch | GRPCRouteMatch)[];
  name?: string;
  retry?: Retry;
  timeouts?: { backendRequest?: string; request?: string };
}

/** HTTPRoute / GRPCRoute. */
export interface RouteObject extends KubeObject {
  spec: { parentRefs: ParentRef[]; rules: RouteRule[] };
}
