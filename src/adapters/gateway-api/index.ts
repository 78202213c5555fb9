/**
 * The Gateway API adapter: `--mesh gateway-api[@1.2 … 1.6]` (default 1.6), "Gateway API for service
 * mesh" (GAMMA). Emits `gateway.networking.k8s.io/v1` HTTPRoute and GRPCRoute with Service parentRefs
 * (and `v1beta1` ReferenceGrants for backends in other namespaces): what every GAMMA implementation
 * (Istio ambient and sidecar, Linkerd, Cilium, Kuma...) reads. Everything Gateway API has no field for is
 * an error naming the field; what only some implementations support (RegularExpression matches,
 * implementation-specific defaults) is not emitted.
 *
 * Settings: `channel` (standard, the default, or experimental): the release channel of the cluster's
 * Gateway API CRDs; `rules[].retry` exists only in the experimental channel (up to 1.6).
 *
 * @see https://gateway-api.sigs.k8s.io/mesh/
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#httproute
 */
import type { Adapter, Capabilities, Capability } from "../../api/adapter.js";
import { gatewayApiCluster } from "./cluster.js";
import { GATEWAY_API_SETTINGS } from "./context.js";
import { translateGatewayApi } from "./translator.js";
import { DEFAULT_GATEWAY_API_VERSION, FIELD_SINCE, GATEWAY_API_VERSIONS, compareVersions, hasField, whereAvailable } from "./versions.js";

/** What a Gateway API release can express (the standard channel, with what the experimental one adds in notes). */
export function gatewayApiCapabilities(version: string): Capabilities {
  const full = (via: string, note?: string): Capability => ({ support: "full", via, ...(note ? { note } : {}) });
  const partial = (via: string, note: string): Capability => ({ support: "partial", via, note });
  const none = (note: string): Capability => ({ support: "none", note });
  const std = (f: Parameters<typeof hasField>[2]) => hasField(version, "standard", f);
  const exp = (f: Parameters<typeof hasField>[2]) => hasField(version, "experimental", f);
  const noAuthz = "No authorization API (GEP-3779 is not in a release up to 1.6).";
  return {
    match: partial("HTTPRoute.rules[].matches {path Exact|PathPrefix, method, headers Exact, queryParams Exact}; GRPCRoute method {service, method}",
      "Exact paths and segmentPrefix (PathPrefix) only: string prefixes, regexes and header prefix/presence need RegularExpression, whose support and precedence are implementation-specific. Routes must keep their order under Gateway API's match precedence."),
    split: full("rules[].backendRefs[] {name, port, weight}", "Subsets are Services named <service>-<subset>, which must exist."),
    timeout: partial("HTTPRoute.rules[].timeouts.request", "not on gRPC ports (GRPCRoute has no timeouts)"),
    retries: exp("HTTPRoute.rules[].retry")
      ? partial("HTTPRoute.rules[].retry {attempts, backoff, codes} + timeouts.backendRequest", `experimental channel only (--set channel=experimental); retries cannot be switched off; connection errors are always retried once retry is set`)
      : none(`HTTPRoute.rules[].retry is in ${whereAvailable("HTTPRoute.rules[].retry")}`),
    faultInjection: none("No fault injection filter."),
    mirror: std("HTTPRequestMirrorFilter.percent")
      ? full("rules[].filters[] RequestMirror {backendRef, percent | fraction}", "to a Service (a subset's: <service>-<subset>); another namespace gets a ReferenceGrant")
      : partial("rules[].filters[] RequestMirror {backendRef}", `a share of requests (percent) needs ${whereAvailable("HTTPRequestMirrorFilter.percent")}`),
    headers: full("rules[].filters[] RequestHeaderModifier / ResponseHeaderModifier (backendRefs[].filters per split target)"),
    cors: std("HTTPRouteFilter.cors")
      ? partial("HTTPRoute.rules[].filters[] CORS", "exact origins only; maxAge in whole seconds; not on gRPC ports")
      : exp("HTTPRouteFilter.cors")
        ? partial("HTTPRoute.rules[].filters[] CORS", `experimental channel only (standard from ${FIELD_SINCE["HTTPRouteFilter.cors"].standard}); exact origins only`)
        : none(`The CORS filter is in ${whereAvailable("HTTPRouteFilter.cors")}.`),
    rewrite: partial("HTTPRoute.rules[].filters[] URLRewrite {hostname, path ReplaceFullPath | ReplacePrefixMatch}", "replacePrefixMatch after a segmentPrefix match; not on gRPC ports"),
    redirect: std("HTTPRequestRedirectFilter.statusCode 303/307/308")
      ? full("HTTPRoute.rules[].filters[] RequestRedirect")
      : partial("HTTPRoute.rules[].filters[] RequestRedirect", "status 301 or 302 only (303, 307, 308 from 1.5)"),
    directResponse: none("No direct-response filter."),
    outlierDetection: none("No outlier detection."),
    connectionPool: none("No connection-pool limits."),
    loadBalancer: none("No load-balancing algorithm choice."),
    rateLimit: none("No rate limiting."),
    mtls: none("No mesh mTLS mode API."),
    access: none(noAuthz),
    accessL7: none(noAuthz),
    accessNegation: none(noAuthz),
    scope: none(noAuthz),
    requestAuthentication: none("No end-user token (JWT) validation."),
    trafficSource: none("Routes apply to every client of a Service."),
    subsetSettings: none("No per-backend settings."),
  };
}

/** The Gateway API adapter. */
export const gatewayApi: Adapter = {
  name: "gateway-api",
  description: "Gateway API for service mesh (GAMMA) 1.2-1.6, standard or experimental channel: HTTPRoute, GRPCRoute with Service parentRefs (portable across GAMMA implementations)",
  versions: GATEWAY_API_VERSIONS,
  defaultVersion: DEFAULT_GATEWAY_API_VERSION,
  profiles: versionProfiles(),
  apiGroups: ["gateway.networking.k8s.io"],
  cluster: gatewayApiCluster,
  settings: GATEWAY_API_SETTINGS,
  capabilities: gatewayApiCapabilities,
  translate: translateGatewayApi,
};

/** Matrix columns: releases between two standard-channel field additions behave alike (`1.2`, `1.3-1.4`, `1.5-1.6`). */
function versionProfiles(): { label: string; versions: string[] }[] {
  const starts = [...new Set([GATEWAY_API_VERSIONS[0] as string, ...Object.values(FIELD_SINCE).map((s) => s.standard).filter((s): s is string => !!s && compareVersions(s, GATEWAY_API_VERSIONS[0]) > 0)])].sort(compareVersions);
  return starts.map((from, i) => {
    const versions = GATEWAY_API_VERSIONS.filter((v) => compareVersions(v, from) >= 0 && (i + 1 === starts.length || compareVersions(v, starts[i + 1]) < 0));
    const last = versions[versions.length - 1];
    return { label: versions.length === 1 ? from : `${from}-${last}`, versions: [...versions] };
  });
}
