/**
 * Feature `subsetSettings`: refused in every Gateway API release. A subset is reached through a Service of
 * its own (split.ts), and no field of a route or Service carries outlier detection, connection-pool limits
 * or a load-balancing algorithm for it.
 */
import type { DestinationView } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { MESHES } from "./refusals.js";

/** What Gateway API can do of `subsetSettings`: nothing, in every release. */
export const subsetSettingsFeature: FeatureModule = refusedFeature("subsetSettings", "No per-backend settings.");

/** Reports each setting of each subset (an error). */
export function refuseSubsetSettings(gc: GatewayContext, v: DestinationView): void {
  for (const s of v.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const x = s[k];
      if (x)
        gc.report(x.policy, x.pointer.slice(0, x.pointer.lastIndexOf("/")), {
          feature: "subsetSettings",
          kind: "unsupported-feature",
          severity: "error",
          message: `subsetSettings: ${gc.release} has no ${k} for a Service, nor for the Service ${v.service}-${s.subset.name} of a subset; ${MESHES}`,
        });
    }
  }
}
