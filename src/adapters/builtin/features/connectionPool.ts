/** `connectionPool` → `Destination.connectionPool` (durations in milliseconds). */
import type { ConnectionPool as ModelConnectionPool } from "../../../api/generated/model.js";
import type { ConnectionPool } from "../../../api/generated/proxyConfig.js";
import { ms } from "./common.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `connectionPool` (format version 1). */
export const connectionPoolFeature: FeatureModule = {
  features: ["connectionPool"],
  capabilities: () => ({ connectionPool: full("Destination.connectionPool", "per calling listener; maxConnections per instance") }),
};

export const connectionPool: DestinationFeature = (out, { dest }) => {
  const c = dest.connectionPool?.value;
  if (c) out.connectionPool = connectionPoolOf(c);
};

/** The proxy's connection pool for a model one (a destination's or a subset's). */
export function connectionPoolOf(c: ModelConnectionPool): ConnectionPool {
  return {
    ...(c.maxConnections ? { maxConnections: c.maxConnections } : {}),
    ...(c.maxPendingRequests ? { maxPendingRequests: c.maxPendingRequests } : {}),
    ...(c.maxRequests ? { maxRequests: c.maxRequests } : {}),
    ...(c.maxRequestsPerConnection ? { maxRequestsPerConnection: c.maxRequestsPerConnection } : {}),
    ...(c.maxRetries ? { maxRetries: c.maxRetries } : {}),
    ...(c.connectTimeout ? { connectTimeoutMs: ms(c.connectTimeout) } : {}),
    ...(c.idleTimeout ? { idleTimeoutMs: ms(c.idleTimeout) } : {}),
  };
}
