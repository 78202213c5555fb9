/**
 * Typed shapes of the kinds the Linkerd adapter emits: only the fields it fills. Field names follow the
 * upstream CRDs in `test/crds/linkerd/{edge-26.8.3,stable-2.14.10}` (policy.linkerd.io, linkerd.io and
 * the Gateway API v1.1.1 / v0.7.1 CRDs Linkerd bundles), which every emitted object is validated against.
 */
import type { KubeObject } from "../../api/adapter.js";

/** policy.linkerd.io/v1alpha1: AuthorizationPolicy, MeshTLSAuthentication, NetworkAuthentication, HTTPLocalRateLimitPolicy. */
export const POLICY_V1ALPHA1 = "policy.linkerd.io/v1alpha1";
/** linkerd.io/v1alpha2: ServiceProfile. */
export const SERVICE_PROFILE_V1ALPHA2 = "linkerd.io/v1alpha2";

/**
 * Annotation on objects that patch a resource the user owns (a `v1 Service`, a `v1 Namespace`): the
 * object carries only `metadata.name`, `namespace` and the annotations unimesh sets, and must be
 * applied with server-side apply (`kubectl apply --server-side --field-manager=unimesh`, or
 * `unimesh apply`), which merges these fields into the live object and never touches the others.
 * Applied client-side (`kubectl apply` without `--server-side`, `kubectl replace`) it would not create a
 * valid object and could overwrite fields the user owns.
 */
export { PATCH_ANNOTATION } from "../../api/ownership.js";
/** Value of {@link PATCH_ANNOTATION}. */
export const PATCH_ANNOTATION_VALUE = "server-side-apply";

/** Gateway API / Linkerd `parentRefs[]` item. */
export interface ParentRef {
  group: string;
  kind: string;
  name: string;
  port?: number;
}

/** `HTTPRouteMatch.path`. */
export interface HTTPPathMatch {
  type: "Exact" | "PathPrefix" | "RegularExpression";
  value: string;
}

/** `HTTPHeaderMatch` / `HTTPQueryParamMatch` / `GRPCHeaderMatch`. */
export interface NameValueMatch {
  type: "Exact" | "RegularExpression";
  name: string;
  value: string;
}

/** `HTTPRouteMatch`. */
export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  method?: string;
  headers?: NameValueMatch[];
  queryParams?: NameValueMatch[];
}

/** `GRPCRouteMatch`. */
export interface GRPCRouteMatch {
  method?: { type: "Exact"; service?: string; method?: string };
  headers?: NameValueMatch[];
}

/** `HTTPHeaderFilter`. */
export interface HeaderFilter {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

/** `HTTPRequestRedirectFilter` (statusCode 301/302 only in the bundled CRDs). */
export interface RequestRedirect {
  scheme?: "http" | "https";
  hostname?: string;
  port?: number;
  path?: { type: "ReplaceFullPath"; replaceFullPath: string };
  statusCode: 301 | 302;
}

/** `HTTPRouteFilter` (the types unimesh emits). */
export type RouteFilter =
  | { type: "RequestHeaderModifier"; requestHeaderModifier: HeaderFilter }
  | { type: "ResponseHeaderModifier"; responseHeaderModifier: HeaderFilter }
  | { type: "RequestRedirect"; requestRedirect: RequestRedirect };

/** `HTTPBackendRef` to a Service. */
export interface BackendRef {
  /** Header filters for this backend only (`HTTPBackendRef.filters` / `GRPCBackendRef.filters`). */
  filters?: RouteFilter[];
  name: string;
  port: number;
  weight?: number;
}

/** `HTTPRouteRule` / `GRPCRouteRule`. `timeouts` only on policy.linkerd.io/v1beta3 (legacy outbound). */
export interface RouteRule {
  matches?: (HTTPRouteMatch | GRPCRouteMatch)[];
  filters?: RouteFilter[];
  backendRefs?: BackendRef[];
  timeouts?: { request: string };
}

/** HTTPRoute / GRPCRoute (either group). */
export interface RouteObject extends KubeObject {
  spec: { parentRefs: ParentRef[]; rules: RouteRule[] };
}

/** Server (policy.linkerd.io v1beta1 / v1beta3). */
export interface ServerObject extends KubeObject {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    port: number;
    proxyProtocol: "unknown" | "HTTP/1" | "HTTP/2" | "gRPC" | "opaque" | "TLS";
    /** v1beta3 (2.16+). */
    accessPolicy?: "deny" | "all-unauthenticated" | "all-authenticated";
  };
}

/** A reference in `targetRef` / `requiredAuthenticationRefs` / `clientRefs`. */
export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** ServiceProfile route (`spec.routes[]`). */
export interface ServiceProfileRoute {
  name: string;
  condition: Record<string, unknown>;
  timeout?: string;
  isRetryable?: boolean;
}
