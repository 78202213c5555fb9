/**
 * Typed shapes of the Kuma kinds the adapter emits (`kuma.io/v1alpha1`, Kuma 2.14 CRDs:
 * `deployments/charts/kuma/crds/kuma.io_*.yaml` at tag v2.14.3, vendored in test/crds/kuma/v2.14.3).
 * Only the fields unimesh fills are typed.
 */
import type { KubeObject } from "../../api/adapter.js";

/** The API version of every Kuma policy kind. */
export const KUMA_V1ALPHA1 = "kuma.io/v1alpha1";

/** `common_api.TargetRef` (api/common/v1alpha1/targetref.go). */
export interface TargetRef {
  kind: "Mesh" | "MeshService" | "Dataplane" | "MeshHTTPRoute";
  name?: string;
  namespace?: string;
  /** MeshService: a port's name (or its number when the port has no name); Dataplane: an inbound's name or port. */
  sectionName?: string;
  /** Dataplane: pod labels. */
  labels?: Record<string, string>;
}

/** `common_api.BackendRef`: a MeshService port with a weight. */
export interface BackendRef {
  kind: "MeshService";
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
}

/** `MeshHTTPRoute.to[].rules[].matches[]`. */
export interface HttpRouteMatch {
  path?: { type: "Exact" | "PathPrefix" | "RegularExpression"; value: string };
  method?: string;
  headers?: { type: "Exact" | "Present" | "RegularExpression" | "Absent" | "Prefix"; name: string; value?: string }[];
  queryParams?: { type: "Exact" | "RegularExpression"; name: string; value: string }[];
}

/** `MeshHTTPRoute.to[].rules[].default.filters[]`. */
export interface HttpRouteFilter {
  type: "RequestHeaderModifier" | "ResponseHeaderModifier" | "RequestRedirect" | "URLRewrite" | "RequestMirror";
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: { scheme?: string; hostname?: string; port?: number; path?: PathModifier; statusCode?: number };
  urlRewrite?: { hostname?: string; path?: PathModifier };
  requestMirror?: { backendRef: BackendRef; percentage?: string };
}

/** Gateway API-like header modifier: `set`/`add` as name-value lists, `remove` names. */
export interface HeaderModifier {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

/** `ReplaceFullPath` or `ReplacePrefixMatch`. */
export interface PathModifier {
  type: "ReplaceFullPath" | "ReplacePrefixMatch";
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

/** One rule of a MeshHTTPRoute `to` entry. */
export interface HttpRouteRule {
  matches: HttpRouteMatch[];
  default: { backendRefs?: BackendRef[]; filters?: HttpRouteFilter[] };
}

/** A Kuma policy object: `spec.targetRef` plus `to`, `from` or `rules`. */
export interface KumaObject<S = Record<string, unknown>> extends KubeObject {
  apiVersion: typeof KUMA_V1ALPHA1;
  kind: string;
  spec: S & { targetRef?: TargetRef };
}
