/**
 * Feature `connectionPool` → `DestinationRule.trafficPolicy.connectionPool` (istio/api
 * `networking/v1alpha3/destination_rule.proto` `ConnectionPoolSettings`), limits per calling proxy:
 *
 * | model                      | Istio                                              |
 * |----------------------------|----------------------------------------------------|
 * | maxConnections             | `tcp.maxConnections`                               |
 * | connectTimeout             | `tcp.connectTimeout`                               |
 * | maxPendingRequests         | `http.http1MaxPendingRequests`                     |
 * | maxRequests                | `http.http2MaxRequests` (Envoy max_requests)       |
 * | maxRequestsPerConnection   | `http.maxRequestsPerConnection`                    |
 * | maxRetries                 | `http.maxRetries`                                  |
 * | idleTimeout                | `http.idleTimeout` (HTTP pools) and `tcp.idleTimeout` (TCP proxying) |
 */
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { ConnectionPoolSettings } from "../resources.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import { settingTargets } from "./subsetSettings.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `connectionPool`, per version. */
export const connectionPoolFeature: FeatureModule = {
  features: ["connectionPool"],
  capabilities: () => ({
    connectionPool: full("DestinationRule.trafficPolicy.connectionPool {tcp, http}"),
  }),
};

/** Fills `trafficPolicy.connectionPool` of the destination's DestinationRule. */
export function applyConnectionPool(dc: DestinationContext, dr: DestinationRuleDraft): void {
  for (const [s, tp] of settingTargets(dc.view, dr, "connectionPool")) {
    const v = s.value;
    const tcp: NonNullable<ConnectionPoolSettings["tcp"]> = {};
    const http: NonNullable<ConnectionPoolSettings["http"]> = {};
    if (v.maxConnections !== undefined) tcp.maxConnections = v.maxConnections;
    if (v.connectTimeout !== undefined) tcp.connectTimeout = formatDuration(parseDuration(v.connectTimeout) ?? 0);
    if (v.maxPendingRequests !== undefined) http.http1MaxPendingRequests = v.maxPendingRequests;
    if (v.maxRequests !== undefined) http.http2MaxRequests = v.maxRequests;
    if (v.maxRequestsPerConnection !== undefined) http.maxRequestsPerConnection = v.maxRequestsPerConnection;
    if (v.maxRetries !== undefined) http.maxRetries = v.maxRetries;
    if (v.idleTimeout !== undefined) {
      const idle = formatDuration(parseDuration(v.idleTimeout) ?? 0);
      http.idleTimeout = idle;
      tcp.idleTimeout = idle;
    }
    tp.connectionPool = {
      ...(Object.keys(tcp).length ? { tcp } : {}),
      ...(Object.keys(http).length ? { http } : {}),
    };
    dr.policies.add(s.policy.id);
  }
}
