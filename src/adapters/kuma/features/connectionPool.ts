/**
 * Feature `connectionPool` → `MeshCircuitBreaker.to[MeshService].default.connectionLimits` {maxConnections,
 * maxPendingRequests, maxRequests, maxRetries} (per calling proxy, as in the model) and `MeshTimeout`
 * `connectionTimeout` / `idleTimeout` for connectTimeout / idleTimeout. `maxRequestsPerConnection` has no
 * Kuma field: error. Limits the model leaves out keep Kuma's defaults (`mesh-circuit-breaker-all-<mesh>`:
 * 1024 connections, pending and concurrent requests, 3 concurrent retries).
 */
import { parseDuration } from "../../../api/duration.js";
import type { ConnectionPool } from "../../../api/generated/model.js";
import type { DestinationSetting } from "../../../api/model.js";
import { type DestinationContext, kumaDuration } from "../context.js";
import { type FeatureModule, featureModule, partial } from "./types.js";

export const connectionPool: FeatureModule = featureModule("connectionPool", () =>
  partial(
    "MeshCircuitBreaker.to[MeshService].default.connectionLimits + MeshTimeout connectionTimeout/idleTimeout",
    "no maxRequestsPerConnection; limits not given keep Kuma's defaults (1024, maxRetries 3)",
  ),
);

/** MeshCircuitBreaker `connectionLimits` (undefined when none) and MeshTimeout fields of the model's setting. */
export function kumaConnectionPool(
  dc: DestinationContext,
  s: DestinationSetting<ConnectionPool>,
): { limits?: Record<string, number>; timeouts: Record<string, string> } {
  const p = s.value;
  const limits: Record<string, number> = {};
  for (const k of ["maxConnections", "maxPendingRequests", "maxRequests", "maxRetries"] as const) if (p[k] !== undefined) limits[k] = p[k]!;
  if (p.maxRequestsPerConnection !== undefined) {
    dc.kc.report(s.policy, `${s.pointer}/maxRequestsPerConnection`, {
      feature: "connectionPool",
      kind: "unsupported-value",
      what: "maxRequestsPerConnection",
      severity: "error",
      message:
        "Kuma has no limit of requests per upstream connection (MeshCircuitBreaker connectionLimits and MeshTimeout have none); remove maxRequestsPerConnection or use --mesh istio",
    });
  }
  const timeouts: Record<string, string> = {};
  if (p.connectTimeout) timeouts.connectionTimeout = kumaDuration(parseDuration(p.connectTimeout) ?? 0);
  if (p.idleTimeout) timeouts.idleTimeout = kumaDuration(parseDuration(p.idleTimeout) ?? 0);
  return { ...(Object.keys(limits).length ? { limits } : {}), timeouts };
}
