/** `connectionPool` → `Destination.connectionPool` (durations in milliseconds). */
import { ms } from "./common.js";
import type { DestinationFeature } from "./types.js";

export const connectionPool: DestinationFeature = (out, { dest }) => {
  const c = dest.connectionPool?.value;
  if (!c) return;
  out.connectionPool = {
    ...(c.maxConnections ? { maxConnections: c.maxConnections } : {}),
    ...(c.maxPendingRequests ? { maxPendingRequests: c.maxPendingRequests } : {}),
    ...(c.maxRequests ? { maxRequests: c.maxRequests } : {}),
    ...(c.maxRequestsPerConnection ? { maxRequestsPerConnection: c.maxRequestsPerConnection } : {}),
    ...(c.maxRetries ? { maxRetries: c.maxRetries } : {}),
    ...(c.connectTimeout ? { connectTimeoutMs: ms(c.connectTimeout) } : {}),
    ...(c.idleTimeout ? { idleTimeoutMs: ms(c.idleTimeout) } : {}),
  };
};
