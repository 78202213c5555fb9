/**
 * Gateway API releases the adapter targets, and the release (per channel) that added each field it
 * emits, read from the CRDs of each tag of kubernetes-sigs/gateway-api
 * (`config/crd/{standard,experimental}/gateway.networking.k8s.io_{httproutes,grpcroutes}.yaml`):
 *
 * | field | standard | experimental |
 * |---|---|---|
 * | `HTTPRoute.rules[].timeouts` {request, backendRequest} (GEP-1742) | 1.2 | 1.0 |
 * | `HTTPRoute.rules[].retry` {attempts, backoff, codes} (GEP-1731) | — (not in 1.6) | 1.2 |
 * | `HTTPRequestMirrorFilter.percent` / `fraction` (GEP-3171) | 1.3 | 1.2 |
 * | `HTTPRouteFilter` type `CORS` (GEP-1767) | 1.5 | 1.3 |
 * | `HTTPRequestRedirectFilter.statusCode` 303, 307, 308 (besides 301, 302) | 1.5 | 1.5 |
 * | `HTTPRouteRule.name` / `GRPCRouteRule.name` (GEP-995) | 1.4 | 1.2 |
 *
 * GRPCRoute v1 (with Service parentRefs, GAMMA) is in both channels from 1.1; it has no `timeouts` and
 * no `retry` in any release up to 1.6.
 */

/** Supported Gateway API minors, oldest first: 1.2 is the oldest with request timeouts in the standard channel. */
export const GATEWAY_API_VERSIONS = ["1.2", "1.3", "1.4", "1.5", "1.6"] as const;
/** The newest release (CRDs in `../shared/crds/gateway-api/v1.6.1`). */
export const DEFAULT_GATEWAY_API_VERSION = "1.6";

/** Gateway API release channel: the CRDs a cluster installed (`gateway.networking.k8s.io/channel`). */
export type Channel = "standard" | "experimental";
export const CHANNELS: readonly Channel[] = ["standard", "experimental"];

/** Fields that depend on the release and channel. */
export type GatewayField =
  | "HTTPRoute.rules[].timeouts"
  | "HTTPRoute.rules[].retry"
  | "HTTPRoute.rules[].retry.backoff"
  | "HTTPRequestMirrorFilter.percent"
  | "HTTPRouteFilter.cors"
  | "HTTPRequestRedirectFilter.statusCode 303/307/308"
  | "HTTPRouteRule.name";

/** The release that added each field, per channel (absent: not in any supported release of that channel). */
export const FIELD_SINCE: Readonly<Record<GatewayField, Partial<Record<Channel, string>>>> = {
  "HTTPRoute.rules[].timeouts": { standard: "1.2", experimental: "1.0" },
  "HTTPRoute.rules[].retry": { experimental: "1.2" },
  // Part of retry in every release; its own entry because an implementation may read retry without it (Istio 1.25).
  "HTTPRoute.rules[].retry.backoff": { experimental: "1.2" },
  "HTTPRequestMirrorFilter.percent": { standard: "1.3", experimental: "1.2" },
  "HTTPRouteFilter.cors": { standard: "1.5", experimental: "1.3" },
  "HTTPRequestRedirectFilter.statusCode 303/307/308": { standard: "1.5", experimental: "1.5" },
  "HTTPRouteRule.name": { standard: "1.4", experimental: "1.2" },
};

import { compareVersions } from "../../../api/versions.js";

export { compareVersions };

/** True when the field is in the CRDs of this release and channel. */
export function hasField(version: string, channel: Channel, field: GatewayField): boolean {
  const since = FIELD_SINCE[field][channel];
  return since !== undefined && compareVersions(version, since) >= 0;
}

/** Where a field is available, for messages: `the experimental channel from 1.2`, `1.3+ (standard), 1.2+ (experimental)`. */
export function whereAvailable(field: GatewayField): string {
  const s = FIELD_SINCE[field];
  const parts: string[] = [];
  if (s.standard) parts.push(`the standard channel from ${s.standard}`);
  if (s.experimental) parts.push(`the experimental channel from ${s.experimental}${s.standard ? "" : " (--set channel=experimental)"}`);
  return parts.join(" and ");
}
