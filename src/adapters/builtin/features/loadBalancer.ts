/**
 * `loadBalancer` → `Destination.loadBalancer`. Without an algorithm the proxy's default applies
 * (round-robin), so nothing is emitted.
 */
import { parseDuration } from "../../../api/duration.js";
import type { DestinationFeature } from "./types.js";

export const loadBalancer: DestinationFeature = (out, { dest }) => {
  const l = dest.loadBalancer?.value;
  if (!l?.algorithm) return;
  const h = l.consistentHash;
  out.loadBalancer = {
    algorithm: l.algorithm,
    ...(h ? {
      hash: h.header ? { header: h.header.toLowerCase() }
        : h.cookie ? { cookie: { name: h.cookie.name, ...(h.cookie.ttl ? { ttlSeconds: Math.max(1, Math.ceil((parseDuration(h.cookie.ttl) ?? 0) / 1000)) } : {}) } }
        : h.queryParam ? { queryParam: h.queryParam }
        : { sourceIp: true as const },
    } : {}),
  };
};
