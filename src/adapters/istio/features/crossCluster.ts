/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`) on Istio.
 *
 * - Sources in other members (`source.clusters`): `AuthorizationPolicy.rules[].from[].source.principals`
 *   in each member's trust domain, `<trustDomain>/ns/<ns>/sa/<sa>` (and namespaces as
 *   `<trustDomain>/ns/<ns>/sa/*`), see `fromEntries` in access.ts. Istio accepts the peer certificate of
 *   another member because every member's intermediate chains to the virtual mesh's root (`unimesh
 *   trust`, Istio's plug-in CA `cacerts`); the principal then carries the other trust domain
 *   (istio.io `docs/tasks/security/cert-management/plugin-ca-cert/`, `docs/ops/configuration/security/trust-domain-migration`).
 * - Split targets in other members (`split[].cluster`): refused (error) — not generated yet.
 */
import type { Capability, TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { Model } from "../../../api/model.js";
import { refuseCrossCluster } from "../../shared/cross-cluster.js";

const SPLIT_WHY = "unimesh does not generate Istio's cross-cluster routing yet (a ServiceEntry for the other member's Service behind its east-west gateway)";

/** What Istio can do of `crossCluster`, in every version. */
export function crossClusterCapability(): Capability {
  return partial("AuthorizationPolicy from[].source.principals in each member's trust domain", `identities of other members only; split targets in other clusters are refused: ${SPLIT_WHY}`);
}

/** What Istio can do of `crossCluster`, per version. */
export const crossClusterFeature: FeatureModule = { features: ["crossCluster"], capabilities: () => ({ crossCluster: crossClusterCapability() }) };

/** Reports every split target in another member (an error each); sources are translated by access.ts. */
export function refuseCrossClusterSplits(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(model, ctx, `Istio ${ctx.version}`, SPLIT_WHY, "split");
}
