/**
 * Feature `loadBalancer`: refused. App Mesh does not expose Envoy's load-balancing policy (no field on
 * VirtualNode or VirtualRouter); a subset's own loadBalancer: subsetSettings.ts.
 */
import type { DestinationView } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import { OTHER_MESHES } from "./mesh.js";

/** What App Mesh can do of `loadBalancer`: nothing. */
export const loadBalancerFeature: FeatureModule = { features: ["loadBalancer"], capabilities: () => ({ loadBalancer: { support: "none" } }) };

/** Reports the destination's load balancer (an error). */
export function refuseLoadBalancer(tx: Tx, v: DestinationView): void {
  if (!v.loadBalancer) return;
  tx.report(v.loadBalancer.policy, v.loadBalancer.pointer, {
    feature: "loadBalancer",
    kind: "unsupported-feature",
    severity: "error",
    message: `loadBalancer: ${tx.mesh} does not expose Envoy's load-balancing policy (no field on VirtualNode or VirtualRouter); remove it for --mesh appmesh, or ${OTHER_MESHES}`,
  });
}
