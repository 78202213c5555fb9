/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`) on Istio, as a
 * multi-primary mesh on different networks (istio.io `docs/setup/install/multicluster/multi-primary_multi-network`):
 * every member runs its own istiod, installed with `values.global.meshID` shared, its own
 * `values.global.multiCluster.clusterName` = the member's name and `values.global.network`, an east-west
 * gateway exposing `*.local` services (the member's `gateway`), and a remote secret of every other Istio
 * member, so that each istiod knows the endpoints of the same Service in every cluster ("namespace
 * sameness").
 *
 * - Split targets in other members (`split[].cluster`): Istio partitions a Service by cluster with the
 *   built-in endpoint label `topology.istio.io/cluster: <clusterID>` in `DestinationRule.subsets[].labels`
 *   (istio.io `docs/ops/configuration/traffic-management/multicluster`, "Partitioning Services"), and the
 *   VirtualService weights its routes to those subsets. Once a destination has such a target, every
 *   forwarding target of its routes (and its default route) is pinned to a cluster, the local ones to the
 *   member translated for, since Istio otherwise load-balances a multi-primary Service over the endpoints
 *   of every cluster. A local target with a subset gets the subset's labels plus the cluster label
 *   (`<subset>-cluster-<member>`, the "twice the number of subsets" the doc warns of). The other member
 *   must run Istio too (istiod sees no endpoints of another mesh's cluster): error otherwise.
 * - Sources in other members (`source.clusters`): `AuthorizationPolicy.rules[].from[].source.principals`
 *   in each member's trust domain, `<trustDomain>/ns/<ns>/sa/<sa>` (and namespaces as
 *   `<trustDomain>/ns/<ns>/sa/*`), see `fromEntries` in access.ts. Istio accepts the peer certificate of
 *   another member because every member's intermediate chains to the virtual mesh's root (`unimesh
 *   trust`, Istio's plug-in CA `cacerts`); the principal then carries the other trust domain
 *   (istio.io `docs/tasks/security/cert-management/plugin-ca-cert/`, `docs/ops/configuration/security/trust-domain-migration`).
 */
import type { Capability, TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { DestinationView, Model, ResolvedTarget } from "../../../api/model.js";
import { refuseOtherMeshTargets } from "../../shared/cross-cluster.js";
import type { DestinationContext } from "./types.js";

const HOW = "Istio multi-primary routes only to clusters of the same Istio mesh (istiod learns their endpoints from remote secrets)";

/** What Istio can do of `crossCluster`, in every version. */
export function crossClusterCapability(): Capability {
  return partial("DestinationRule subsets by topology.istio.io/cluster + VirtualService weights; AuthorizationPolicy principals in each member's trust domain",
    "multi-primary: every member's Istio clusterName is its member name; split targets and failover only to members running Istio");
}

/** What Istio can do of `crossCluster`, per version. */
export const crossClusterFeature: FeatureModule = { features: ["crossCluster"], capabilities: () => ({ crossCluster: crossClusterCapability() }) };

/**
 * Reports the split targets in members not running Istio (or `mesh: auto`), an error each. (`translate()`
 * always names the member translated for when the inputs hold a VirtualMesh, so the local cluster ID is known.)
 */
export function refuseCrossClusterSplits(model: Model, ctx: TranslateContext): void {
  refuseOtherMeshTargets(model, ctx, "istio", HOW);
}

/** True when a route of the destination sends a share to another member (its targets are then pinned to clusters). */
export function pinnedToClusters(view: DestinationView): boolean {
  return view.routes.some((r) => r.action.kind === "split" && r.action.targets.some((t) => t.cluster));
}

/**
 * The DestinationRule subset of a target of a pinned destination: the target's subset (or the whole
 * Service) in its cluster (`t.cluster`, else the member translated for). Undefined outside a member.
 */
export function clusterSubsetName(dc: DestinationContext, t: ResolvedTarget | undefined): string | undefined {
  const cluster = t?.cluster?.name ?? dc.ic.model.member;
  if (cluster === undefined) return undefined;
  return dc.drs.clusterSubset(dc.view.namespace, dc.view.service, cluster, t?.subset);
}
