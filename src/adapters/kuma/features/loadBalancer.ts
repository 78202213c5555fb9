/**
 * Feature `loadBalancer` → `MeshLoadBalancingStrategy.to[MeshService].default.loadBalancer` (producer
 * policy): round-robin → RoundRobin, least-request → LeastRequest, random → Random, consistent-hash →
 * RingHash with one `hashPolicies` entry (Header, Cookie {name, ttl}, SourceIP, QueryParameter).
 */
import type { LoadBalancer } from "../../../api/generated/model.js";
import { parseDuration } from "../../../api/duration.js";
import { kumaDuration } from "../context.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const loadBalancer: FeatureModule = featureModule("loadBalancer", () =>
  full("MeshLoadBalancingStrategy.to[MeshService].default.loadBalancer {type, ringHash.hashPolicies}"),
);

/** The `loadBalancer` of a MeshLoadBalancingStrategy. */
export function kumaLoadBalancer(lb: LoadBalancer): Record<string, unknown> | undefined {
  switch (lb.algorithm) {
    case "round-robin":
      return { type: "RoundRobin" };
    case "least-request":
      return { type: "LeastRequest" };
    case "random":
      return { type: "Random" };
    case "consistent-hash": {
      const h = lb.consistentHash ?? {};
      let policy: Record<string, unknown>;
      if (h.header) policy = { type: "Header", header: { name: h.header.toLowerCase() } };
      else if (h.cookie)
        policy = { type: "Cookie", cookie: { name: h.cookie.name, ...(h.cookie.ttl ? { ttl: kumaDuration(parseDuration(h.cookie.ttl) ?? 0) } : {}) } };
      else if (h.queryParam) policy = { type: "QueryParameter", queryParameter: { name: h.queryParam } };
      else policy = { type: "SourceIP" };
      return { type: "RingHash", ringHash: { hashPolicies: [policy] } };
    }
    default:
      return undefined;
  }
}
