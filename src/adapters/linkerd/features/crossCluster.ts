/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `source.clusters`) on Linkerd multicluster
 * (linkerd.io `2-edge/features/multicluster.md`, `reference/multicluster.md`, `tasks/multicluster.md`,
 * `tasks/pod-to-pod-multicluster.md`).
 *
 * - Split targets in other members: each member is linked to the others with
 *   `linkerd multicluster link --cluster-name <member>` (a `Link` named after the member), and the
 *   service mirror creates `<svc>-<member>` in the caller's cluster for every Service the other member
 *   exports (label `mirror.linkerd.io/exported=true`, gateway mode, or `=remote-discovery`, pod-to-pod
 *   mode). A share to member `east` is a weighted `backendRefs[]` entry `{name: <svc>-east, port}` of the
 *   destination's HTTPRoute (features/split.ts): Linkerd's "Traffic Splitting" across clusters
 *   (`tasks/multicluster.md`: backends `podinfo` 50 and `podinfo-east` 50), written as the HTTPRoute
 *   that replaced SMI's TrafficSplit in Linkerd (dynamic request routing, 2.13+). An info diagnostic names the mirrored Service and the
 *   export label the other member needs (Services are user-owned: unimesh does not label them). The
 *   other member must run Linkerd (error otherwise); Linkerd 2.14–2.15 with a ServiceProfile cannot split
 *   (serviceProfile.ts reports it).
 * - Failover (`failover`): refused (see FAILOVER_WHY: Linkerd's documented mechanisms follow readiness,
 *   not outlier detection, and have no order).
 * - Sources in other members (`source.clusters`): their identities in their own trust domain,
 *   `<sa>.<ns>.serviceaccount.identity.linkerd.<trustDomain>` (namespaces `*.<ns>.serviceaccount...`), in
 *   the MeshTLSAuthentication of the rule (callers.ts); deny rules subtract them like local ones. A
 *   caller keeps its identity across clusters only over pod-to-pod links (`remote-discovery`): through a
 *   gateway the callee sees the gateway's identity (linkerd.io `reference/multicluster.md`: flat mode
 *   "preserving client identity"), which these rules do not admit, so an info note says so per source.
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { DestinationView, EffectiveRoute, Model } from "../../../api/model.js";
import { featureUses } from "../../../api/feature-use.js";
import { memberMeshName, refuseCrossCluster, refuseOtherMeshTargets } from "../../shared/cross-cluster.js";
import { Reporter } from "../../shared/report.js";
import type { LinkerdContext } from "../context.js";

const FAILOVER_WHY =
  "Linkerd has no failover driven by outlier detection: the linkerd-failover extension (linkerd.io tasks/automatic-failover.md, deprecated since 2.17 in favour of federated services) shifts an SMI TrafficSplit between a primary Service and its mirrored fallbacks when the primary has no ready endpoints (Kubernetes readiness, all fallbacks alike), and a federated Service (2.17+) load-balances over every cluster at once; send a share with split[].cluster instead";
const HOW = "Linkerd multicluster routes only to clusters linked with `linkerd multicluster link` (their Linkerd service mirror)";

/** What Linkerd can do of `crossCluster`, per version. */
export const crossClusterFeature: FeatureModule = {
  features: ["crossCluster"],
  capabilities: () => ({
    crossCluster: partial(
      "HTTPRoute backendRefs[] to the mirrored Service <svc>-<member> of a Link named after the member; MeshTLSAuthentication identities in each member's trust domain",
      "split targets only in members running Linkerd (the Service exported there); failover is refused; other members' identities as MeshTLSAuthentication identities in their trust domains (pod-to-pod links keep them)",
    ),
  }),
};

/**
 * Reports what Linkerd cannot do of crossCluster (failover, targets in members of other meshes), and
 * notes where other members' identities are admitted or denied (they arrive only over pod-to-pod links).
 */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(model, ctx, `Linkerd ${ctx.version}`, FAILOVER_WHY, "failover");
  refuseOtherMeshTargets(model, ctx, "linkerd", HOW);
  const reporter = new Reporter(ctx);
  for (const u of featureUses(model, new Set(["crossCluster"]))) {
    if (!u.pointer.endsWith("/source/clusters")) continue;
    reporter.report(u.entry, u.pointer, {
      feature: "crossCluster",
      kind: "note",
      what: "pod-to-pod",
      severity: "info",
      message: `member ${model.member}: Linkerd sees a caller of another member with its own identity (<sa>.<ns>.serviceaccount.identity.linkerd.<its trust domain>) only over pod-to-pod links (the Service exported with mirror.linkerd.io/exported=remote-discovery); through a multicluster gateway it sees the gateway's identity, which this rule does not name`,
    });
  }
}

/** The Service Linkerd's service mirror creates for `service` of member `member`: `<service>-<member>`. */
export function mirroredServiceName(service: string, member: string): string {
  return `${service}-${member}`;
}

/** Info per destination: the mirrored Services its routes send shares to, and what the other member must do. */
export function reportMirroredServices(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[]): void {
  const seen = new Set<string>();
  for (const r of routes) {
    if (r.action.kind !== "split") continue;
    r.action.targets.forEach((t, j) => {
      // A member of another mesh is refused by refuseCrossClusterUses.
      const key = `${t.service ?? v.service}-${t.cluster?.name}`;
      if (!t.cluster || seen.has(key) || memberMeshName(t.cluster) !== "linkerd") return;
      seen.add(key);
      const service = t.service ?? v.service;
      const name = mirroredServiceName(service, t.cluster.name);
      const pointer = r.action.pointer.endsWith("/split") ? `${r.action.pointer}/${j}/cluster` : r.action.pointer;
      if (name.length > 63) {
        lc.report(r.policy, pointer, {
          feature: "crossCluster",
          kind: "unsupported-value",
          what: "mirror-name",
          severity: "error",
          message: `the Service Linkerd's service mirror would create for ${v.namespace}/${service} of member ${t.cluster.name}, ${name}, is longer than 63 characters, so it cannot exist; use a shorter member name (the Link's --cluster-name)`,
        });
        return;
      }
      lc.report(r.policy, pointer, {
        feature: "crossCluster",
        kind: "note",
        what: "mirrored-service",
        severity: "info",
        message: `this share goes to ${v.namespace}/${name}, the Service Linkerd's service mirror creates for ${service} of member ${t.cluster.name}: link the clusters with \`linkerd multicluster link --cluster-name ${t.cluster.name}\` and export ${service} in ${t.cluster.name} (label mirror.linkerd.io/exported=true for gateway mode, or =remote-discovery for pod-to-pod mode, which keeps the caller's identity)`,
      });
    });
  }
}
