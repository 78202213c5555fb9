/**
 * Feature `loadBalancer` → `DestinationRule.trafficPolicy.loadBalancer` (istio/api
 * `networking/v1alpha3/destination_rule.proto` `LoadBalancerSettings`).
 *
 * - `round-robin` / `least-request` / `random` → `simple: ROUND_ROBIN | LEAST_REQUEST | RANDOM`.
 * - `consistent-hash` → `consistentHash` with `httpHeaderName` (header), `httpCookie {name, ttl}` (cookie),
 *   `useSourceIp: true` (sourceIp) or `httpQueryParameterName` (queryParam).
 * - Istio's validation requires `httpCookie.ttl` ("ttl required for HttpCookie"); a cookie without ttl
 *   (use the cookie, never generate it) cannot be expressed: error.
 */
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { LoadBalancerSettings } from "../resources.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import { settingTargets } from "./subsetSettings.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What Istio can do of `loadBalancer`, per version. */
export const loadBalancerFeature: FeatureModule = {
  features: ["loadBalancer"],
  capabilities: () => ({
    loadBalancer: partial("DestinationRule.trafficPolicy.loadBalancer {simple, consistentHash}", "cookie hashing needs a ttl (Istio requires httpCookie.ttl)"),
  }),
};

const SIMPLE = { "round-robin": "ROUND_ROBIN", "least-request": "LEAST_REQUEST", random: "RANDOM" } as const;

/** Fills `trafficPolicy.loadBalancer` of the destination's DestinationRule. */
export function applyLoadBalancer(dc: DestinationContext, dr: DestinationRuleDraft): void {
  for (const [s, tp] of settingTargets(dc.view, dr, "loadBalancer")) {
    const v = s.value;
    let lb: LoadBalancerSettings | undefined;
    if (v.algorithm === "consistent-hash") {
      const h = v.consistentHash ?? {};
      if (h.header !== undefined) lb = { consistentHash: { httpHeaderName: h.header } };
      else if (h.queryParam !== undefined) lb = { consistentHash: { httpQueryParameterName: h.queryParam } };
      else if (h.sourceIp) lb = { consistentHash: { useSourceIp: true } };
      else if (h.cookie) {
        if (h.cookie.ttl === undefined) {
          dc.ic.report(s.policy, `${s.pointer}/consistentHash/cookie`, {
            feature: "loadBalancer",
            kind: "unsupported-value",
            what: "cookie",
            severity: "error",
            message:
              'Istio requires a ttl for cookie-based consistent hashing (DestinationRule validation: "ttl required for HttpCookie") and then generates the cookie when it is absent; set consistentHash.cookie.ttl',
          });
        } else {
          lb = { consistentHash: { httpCookie: { name: h.cookie.name, ttl: formatDuration(parseDuration(h.cookie.ttl) ?? 0) } } };
        }
      }
    } else if (v.algorithm) {
      lb = { simple: SIMPLE[v.algorithm] };
    }
    if (!lb) continue;
    tp.loadBalancer = lb;
    dr.policies.add(s.policy.id);
  }
}
