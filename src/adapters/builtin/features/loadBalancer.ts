/**
 * `loadBalancer` → `Destination.loadBalancer`. Without an algorithm the proxy's default applies
 * (round-robin), so nothing is emitted.
 */
import { parseDuration } from "../../../api/duration.js";
import type { LoadBalancer as ModelLoadBalancer } from "../../../api/generated/model.js";
import type { LoadBalancer } from "../../../api/generated/proxyConfig.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `loadBalancer` (format version 1). */
export const loadBalancerFeature: FeatureModule = {
  features: ["loadBalancer"],
  capabilities: () => ({ loadBalancer: full("Destination.loadBalancer", "consistent-hash is rendezvous hashing") }),
};

export const loadBalancer: DestinationFeature = (out, { dest }) => {
  const l = dest.loadBalancer?.value;
  const lb = l && loadBalancerOf(l);
  if (lb) out.loadBalancer = lb;
};

/** The proxy's load balancer for a model one (a destination's or a subset's); undefined: the proxy's default. */
export function loadBalancerOf(l: ModelLoadBalancer): LoadBalancer | undefined {
  if (!l.algorithm) return undefined;
  const h = l.consistentHash;
  return {
    algorithm: l.algorithm,
    ...(h
      ? {
          hash: h.header
            ? { header: h.header.toLowerCase() }
            : h.cookie
              ? { cookie: { name: h.cookie.name, ...(h.cookie.ttl ? { ttlSeconds: Math.max(1, Math.ceil((parseDuration(h.cookie.ttl) ?? 0) / 1000)) } : {}) } }
              : h.queryParam
                ? { queryParam: h.queryParam }
                : { sourceIp: true as const },
        }
      : {}),
  };
}
