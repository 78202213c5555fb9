/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`): refused in every Linkerd
 * version. Unimesh does not generate Linkerd multicluster objects yet (mirrored `<svc>-<cluster>` Services from a Link as backendRefs, MeshTLSAuthentication identities in another trust domain).
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { Model } from "../../../api/model.js";
import { refuseCrossCluster } from "../../shared/cross-cluster.js";

/** What Linkerd can do of `crossCluster`: nothing, in every version. */
export const crossClusterFeature: FeatureModule = refusedFeature("crossCluster", "Unimesh does not generate Linkerd multicluster objects yet (mirrored `<svc>-<cluster>` Services from a Link as backendRefs, MeshTLSAuthentication identities in another trust domain).");

/** Reports every reference to another member cluster (an error each). */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(model, ctx, `Linkerd ${ctx.version}`, "unimesh does not generate Linkerd multicluster objects yet (mirrored `<svc>-<cluster>` Services from a Link as backendRefs, MeshTLSAuthentication identities in another trust domain)");
}
