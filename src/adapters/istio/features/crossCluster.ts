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
 *   The member receiving the share defines the same subset (`cluster-<itself>`) in its DestinationRule,
 *   since its east-west gateway resolves the subset named in the SNI from its own DestinationRules.
 * - Failover (`failover.clusters`): `DestinationRule.trafficPolicy.loadBalancer.localityLbSetting`
 *   `{enabled: true, failoverPriority: [topology.istio.io/cluster]}` (istio/api `destination_rule.proto`
 *   `LocalityLoadBalancerSetting.failoverPriority`: endpoints whose cluster label equals the caller
 *   proxy's have priority 0, every other endpoint priority 1), next to the destination's
 *   `outlierDetection` (required: istio.io `tasks/traffic-management/locality-load-balancing/failover`),
 *   copied into every subset's own `loadBalancer` (a subset's loadBalancer replaces the destination's).
 *   Local targets are then not pinned to the local cluster (their other clusters' endpoints are the
 *   failover tier). Istio has one tier for every other cluster, so it is exact only when the members
 *   running Istio besides the local one are exactly the one listed: several listed Istio members
 *   (an order Istio cannot keep), an unlisted Istio member (it would take over too) or a listed member of
 *   another mesh are errors.
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
import { memberMeshName, refuseOtherMeshTargets } from "../../shared/cross-cluster.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import { CLUSTER_LABEL } from "../resources.js";
import type { DestinationContext } from "./types.js";

const HOW = "Istio multi-primary routes only to clusters of the same Istio mesh (istiod learns their endpoints from remote secrets)";

/** What Istio can do of `crossCluster`, in every version. */
export function crossClusterCapability(): Capability {
  return partial(
    "DestinationRule subsets by topology.istio.io/cluster + VirtualService weights; AuthorizationPolicy principals in each member's trust domain",
    "multi-primary: every member's Istio clusterName is its member name; split targets and failover only to members running Istio",
  );
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

/**
 * Registers, in the member translated for, the subset other members route to when they send a share
 * here (`split[].cluster` naming this member): `cluster-<member>` in this member's DestinationRule. A
 * share from another network arrives at this member's east-west gateway (AUTO_PASSTHROUGH) with the
 * subset in its SNI (`outbound_.<port>_.cluster-<member>_.<host>`), and the gateway builds its SNI-DNAT
 * clusters from the DestinationRules of its own cluster (istio pilot `buildOutboundSniDnatClusters`), so
 * the subset must be defined here too, with the same name and labels.
 */
export function registerIncomingClusterSubset(dc: DestinationContext, dr: DestinationRuleDraft): void {
  const member = dc.ic.model.member;
  if (member === undefined) return;
  // Only another Istio member (or one whose mesh is auto: maybe Istio) sends such a share through the gateway.
  const senders = (dc.ic.model.virtualMesh?.doc.spec.members ?? []).filter((m) => m.name !== member && [undefined, "istio"].includes(memberMeshName(m)));
  if (!senders.length) return;
  for (const p of dc.view.trafficPolicies) {
    for (const r of p.doc.spec.routes ?? []) {
      for (const t of r.split ?? []) {
        if (t.cluster !== member) continue;
        // The share goes to the destination, or to `service` of the same namespace (its own DestinationRule).
        const service = t.service ?? dc.view.service;
        dc.drs.clusterSubset(dc.view.namespace, service, member);
        (service === dc.view.service ? dr : dc.drs.get(dc.view.namespace, service)).policies.add(p.id);
      }
    }
  }
}

/** True when the destination fails over to another member (its local targets then stay unpinned). */
function failsOver(dc: DestinationContext): boolean {
  return dc.ic.model.failoverMembers(dc.view).length > 0;
}

/**
 * Fills `DestinationRule.trafficPolicy.loadBalancer.localityLbSetting` for a destination's `failover`
 * (see the module doc), or reports why Istio cannot fail over as asked.
 */
export function applyFailover(dc: DestinationContext, dr: DestinationRuleDraft): void {
  const { view, ic } = dc;
  const fo = view.failover;
  const model = ic.model;
  if (!fo || !failsOver(dc)) return;
  const report = (pointer: string, what: string, message: string) =>
    ic.report(fo.policy, pointer, {
      feature: "crossCluster",
      kind: "unsupported-value",
      what,
      severity: "error",
      message: `member ${model.member}: ${message}`,
    });
  let ok = true;
  const listed = new Set<string>();
  fo.value.clusters.forEach((name, k) => {
    const m = model.remoteMember(name);
    if (!m) return;
    listed.add(name);
    const mesh = memberMeshName(m);
    if (mesh === "istio") return;
    ok = false;
    report(
      `${fo.pointer}/clusters/${k}`,
      mesh === undefined ? "mesh-auto" : "other-mesh",
      mesh === undefined
        ? `member ${name} says mesh: auto, and Istio fails over only to clusters of the same Istio mesh; name its mesh in the VirtualMesh (mesh: istio@VERSION)`
        : `member ${name} runs ${m.mesh}, and ${HOW}; remove it from failover, or run istio in ${name}`,
    );
  });
  const istioListed = fo.value.clusters.filter((n) => {
    const m = model.remoteMember(n);
    return m && memberMeshName(m) === "istio";
  });
  if (istioListed.length > 1) {
    ok = false;
    report(
      `${fo.pointer}/clusters`,
      "failover-order",
      `Istio puts the endpoints of every other cluster in one failover tier (failoverPriority [${CLUSTER_LABEL}]: the caller's cluster first, then all others), so it cannot fail over to ${istioListed[0]} before ${istioListed.slice(1).join(", ")}; list one member`,
    );
  }
  for (const m of model.virtualMesh?.doc.spec.members ?? []) {
    if (m.name === model.member || listed.has(m.name)) continue;
    const mesh = memberMeshName(m);
    if (mesh !== "istio" && mesh !== undefined) continue;
    ok = false;
    report(
      `${fo.pointer}/clusters`,
      mesh === undefined ? "mesh-auto" : "failover-unlisted",
      mesh === undefined
        ? `member ${m.name} says mesh: auto, and if it runs Istio its endpoints would take over as well (Istio's failover tier is every other cluster of the mesh); name its mesh in the VirtualMesh`
        : `member ${m.name} runs Istio too and is not listed, and Istio's failover tier is every other cluster of the mesh (failoverPriority [${CLUSTER_LABEL}]), so requests would fail over to ${m.name} as well; list it, or keep it out of this Istio mesh`,
    );
  }
  if (!ok) return;
  const locality = { enabled: true, failoverPriority: [CLUSTER_LABEL] };
  dr.trafficPolicy.loadBalancer = { ...dr.trafficPolicy.loadBalancer, localityLbSetting: locality };
  for (const tp of dr.subsetPolicies.values()) if (tp.loadBalancer) tp.loadBalancer = { ...tp.loadBalancer, localityLbSetting: { ...locality } };
  dr.policies.add(fo.policy.id);
}

/** True when a route of the destination sends a share to another member (its targets are then pinned to clusters). */
export function pinnedToClusters(view: DestinationView): boolean {
  return view.routes.some((r) => r.action.kind === "split" && r.action.targets.some((t) => t.cluster));
}

/**
 * The DestinationRule subset of a target of a pinned destination: the target's subset (or the whole
 * Service) in its cluster (`t.cluster`, else the member translated for; a local target of a destination
 * that fails over keeps its plain subset). Undefined outside a member or for the whole local Service.
 */
export function clusterSubsetName(dc: DestinationContext, t: ResolvedTarget | undefined): string | undefined {
  // A destination that fails over leaves its local targets unpinned: other clusters are their failover tier.
  if (!t?.cluster && failsOver(dc)) return t?.subset?.name;
  const cluster = t?.cluster?.name ?? dc.ic.model.member;
  if (cluster === undefined) return undefined;
  return dc.drs.clusterSubset(dc.view.namespace, t?.service ?? dc.view.service, cluster, t?.subset);
}
