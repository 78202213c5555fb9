/**
 * Feature `connectionPool`: refused in every Linkerd version: no annotation or CRD limits connections,
 * pending or concurrent requests per client (its balancer sheds load by latency instead).
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `connectionPool`: nothing, in every version. */
export const connectionPoolFeature: FeatureModule = refusedFeature("connectionPool", "No connection-pool limits.");

/** Reports the destination's connection pool (an error). */
export function refuseConnectionPool(lc: LinkerdContext, v: DestinationView): void {
  if (!v.connectionPool) return;
  lc.report(v.connectionPool.policy, v.connectionPool.pointer, {
    feature: "connectionPool",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} has no connection-pool limits (no annotation or CRD limits connections, pending or concurrent requests per client); its load balancer sheds load by latency instead. Remove connectionPool`,
  });
}
