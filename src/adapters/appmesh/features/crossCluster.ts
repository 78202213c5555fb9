/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`): refused in every App Mesh
 * version. App Mesh has no multi-cluster federation with other meshes: its VirtualNodes reach only VirtualServices of the same App Mesh mesh (Cloud Map or DNS discovery), and its access control is the backends allow-list of those VirtualServices, with no identities of another trust domain.
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Model } from "../../../api/model.js";
import { refuseCrossCluster } from "../../shared/cross-cluster.js";

/** What App Mesh can do of `crossCluster`: nothing, in every version. */
export const crossClusterFeature: FeatureModule = refusedFeature(
  "crossCluster",
  "App Mesh has no multi-cluster federation with other meshes: its VirtualNodes reach only VirtualServices of the same App Mesh mesh (Cloud Map or DNS discovery), and its access control is the backends allow-list of those VirtualServices, with no identities of another trust domain.",
);

/** Reports every reference to another member cluster (an error each). */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(
    model,
    ctx,
    `App Mesh ${ctx.version}`,
    "App Mesh has no multi-cluster federation with other meshes: its VirtualNodes reach only VirtualServices of the same App Mesh mesh (Cloud Map or DNS discovery), and its access control is the backends allow-list of those VirtualServices, with no identities of another trust domain",
  );
}
