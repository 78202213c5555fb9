/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`): refused in every Gateway API
 * version. GAMMA routes name Services of their own cluster only (backendRefs); reaching another cluster is the Multi-Cluster Services API (ServiceImport), which GAMMA does not define, and Gateway API has no access policy by identity.
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Model } from "../../../api/model.js";
import { refuseCrossCluster } from "../../shared/cross-cluster.js";

/** What Gateway API can do of `crossCluster`: nothing, in every version. */
export const crossClusterFeature: FeatureModule = refusedFeature(
  "crossCluster",
  "GAMMA routes name Services of their own cluster only (backendRefs); reaching another cluster is the Multi-Cluster Services API (ServiceImport), which GAMMA does not define, and Gateway API has no access policy by identity.",
);

/** Reports every reference to another member cluster (an error each). */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(
    model,
    ctx,
    `Gateway API ${ctx.version}`,
    "GAMMA routes name Services of their own cluster only (backendRefs); reaching another cluster is the Multi-Cluster Services API (ServiceImport), which GAMMA does not define, and Gateway API has no access policy by identity",
  );
}
