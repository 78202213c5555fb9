/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`): refused in every Kuma
 * version. Kuma spans clusters with its own multizone control plane (zones, MeshMultiZoneService, zone ingress), not with members running other meshes under another trust domain.
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Model } from "../../../api/model.js";
import { refuseCrossCluster } from "../../shared/cross-cluster.js";

/** What Kuma can do of `crossCluster`: nothing, in every version. */
export const crossClusterFeature: FeatureModule = refusedFeature(
  "crossCluster",
  "Kuma spans clusters with its own multizone control plane (zones, MeshMultiZoneService, zone ingress), not with members running other meshes under another trust domain.",
);

/** Reports every reference to another member cluster (an error each). */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(
    model,
    ctx,
    `Kuma ${ctx.version}`,
    "Kuma spans clusters with its own multizone control plane (zones, MeshMultiZoneService, zone ingress), not with members running other meshes under another trust domain",
  );
}
