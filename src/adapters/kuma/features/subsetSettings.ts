/** Feature `subsetSettings`: Kuma's outbound policies target a MeshService, not a subset of its pods: an error at every use (a Service per subset can carry its own). */
import type { DestinationContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const subsetSettings: FeatureModule = refusedFeature(
  "subsetSettings",
  "Outbound policies target MeshServices, not subsets (a Service per subset can carry its own settings).",
);

/** Reports the destination's subset settings, at each subsetSettings entry (the whole entry has no Kuma form). */
export function refuseSubsetSettings(dc: DestinationContext): void {
  for (const s of dc.view.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const v = s[k];
      if (v)
        dc.kc.report(v.policy, v.pointer.replace(/\/[^/]+$/, ""), {
          feature: "subsetSettings",
          kind: "unsupported-feature",
          what: k,
          severity: "error",
          message: `${k} for subset ${s.subset.name}: Kuma's outbound policies (MeshCircuitBreaker, MeshLoadBalancingStrategy) target a MeshService, not a subset of its pods; give the subset its own Service and policy, or use --mesh istio`,
        });
    }
  }
}
