/**
 * Feature `loadBalancer`: refused in every Linkerd version: Linkerd always balances with peak-EWMA
 * power-of-two-choices; no algorithm choice, no consistent hashing.
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `loadBalancer`: nothing, in every version. */
export const loadBalancerFeature: FeatureModule = refusedFeature("loadBalancer", "EWMA only; no algorithm choice, no consistent hashing.");

/** Reports the destination's load balancer (an error). */
export function refuseLoadBalancer(lc: LinkerdContext, v: DestinationView): void {
  if (!v.loadBalancer) return;
  lc.report(v.loadBalancer.policy, v.loadBalancer.pointer, {
    feature: "loadBalancer",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} always balances requests with its latency-aware peak-EWMA power-of-two-choices balancer and offers no choice of algorithm and no consistent hashing. Remove loadBalancer`,
  });
}
