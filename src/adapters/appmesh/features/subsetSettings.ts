/**
 * Feature `subsetSettings`: a subset's own `outlierDetection` → the listeners of its routing-only
 * VirtualNode (translator.ts `buildListeners`, outlierDetection.ts). Refused: a subset's own
 * `loadBalancer` (App Mesh has none), and its own `connectionPool`: App Mesh enforces connection pools
 * in the destination pods' own Envoys (VirtualNode listeners[].connectionPool, for the VirtualNode the
 * pods belong to), and a subset's routing VirtualNode has no pods of its own, so a pool for the requests
 * routed to one subset has no place.
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `subsetSettings`. */
export const subsetSettingsFeature: FeatureModule = {
  features: ["subsetSettings"],
  capabilities: () => ({
    subsetSettings: partial(
      "the subset VirtualNode's listeners[].outlierDetection",
      "outlierDetection only: a subset's routing VirtualNode has no pods for a connection pool; no load balancer choice",
    ),
  }),
};

/** Reports every subset's own loadBalancer and connectionPool (errors). */
export function refuseSubsetSettings(tx: Tx, v: DestinationView): void {
  const m = tx.mesh;
  for (const s of v.subsetSettings) {
    if (s.loadBalancer) {
      tx.report(s.loadBalancer.policy, s.loadBalancer.pointer, {
        feature: "loadBalancer",
        kind: "unsupported-feature",
        what: "subset",
        severity: "error",
        message: `loadBalancer: ${m} does not expose Envoy's load-balancing policy, for a service or for one of its subsets; remove it for --mesh appmesh, or ${OTHER_MESHES}`,
      });
    }
    if (s.connectionPool) {
      tx.report(s.connectionPool.policy, s.connectionPool.pointer, {
        feature: "connectionPool",
        kind: "unsupported-value",
        what: "subset",
        severity: "error",
        message: `connectionPool: ${m} applies connection pools in each destination pod's own Envoy (VirtualNode listeners[].connectionPool of the node its pods belong to, ${v.namespace}/${v.service}), for all requests; the routing VirtualNode of subset ${s.subset.name} has no pods of its own, so a pool for the requests routed to that subset cannot be expressed; remove it, or ${OTHER_MESHES}`,
      });
    }
  }
}
