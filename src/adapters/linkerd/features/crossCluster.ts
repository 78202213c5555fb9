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
 * - Sources in other members: refused (not generated yet: MeshTLSAuthentication identities
 *   `<sa>.<ns>.serviceaccount.identity.linkerd.<trustDomain>` of another trust domain).
 */
import type { TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { DestinationView, EffectiveRoute, Model } from "../../../api/model.js";
import { memberMeshName, refuseCrossCluster, refuseOtherMeshTargets } from "../../shared/cross-cluster.js";
import type { LinkerdContext } from "../context.js";

const SOURCE_WHY = "unimesh does not generate MeshTLSAuthentication identities of another member's trust domain yet";
const FAILOVER_WHY = "Linkerd has no failover driven by outlier detection: the linkerd-failover extension (linkerd.io tasks/automatic-failover.md, deprecated since 2.17 in favour of federated services) shifts an SMI TrafficSplit between a primary Service and its mirrored fallbacks when the primary has no ready endpoints (Kubernetes readiness, all fallbacks alike), and a federated Service (2.17+) load-balances over every cluster at once; send a share with split[].cluster instead";
const HOW = "Linkerd multicluster routes only to clusters linked with `linkerd multicluster link` (their Linkerd service mirror)";

/** What Linkerd can do of `crossCluster`, per version. */
export const crossClusterFeature: FeatureModule = {
  features: ["crossCluster"],
  capabilities: () => ({
    crossCluster: partial("HTTPRoute backendRefs[] to the mirrored Service <svc>-<member> of a Link named after the member",
      `split targets only in members running Linkerd (the Service exported there); failover and other members' identities are refused: ${SOURCE_WHY}`),
  }),
};

/** Reports what Linkerd cannot do of crossCluster: sources in other members, targets in members of other meshes. */
export function refuseCrossClusterUses(model: Model, ctx: TranslateContext): void {
  refuseCrossCluster(model, ctx, `Linkerd ${ctx.version}`, SOURCE_WHY, "source");
  refuseCrossCluster(model, ctx, `Linkerd ${ctx.version}`, FAILOVER_WHY, "failover");
  refuseOtherMeshTargets(model, ctx, "linkerd", HOW);
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
      if (!t.cluster || seen.has(t.cluster.name) || memberMeshName(t.cluster) !== "linkerd") return;
      seen.add(t.cluster.name);
      const name = mirroredServiceName(v.service, t.cluster.name);
      const pointer = r.action.pointer.endsWith("/split") ? `${r.action.pointer}/${j}/cluster` : r.action.pointer;
      if (name.length > 63) {
        lc.report(r.policy, pointer, { feature: "crossCluster", kind: "unsupported-value", what: "mirror-name", severity: "error",
          message: `the Service Linkerd's service mirror would create for ${v.namespace}/${v.service} of member ${t.cluster.name}, ${name}, is longer than 63 characters, so it cannot exist; use a shorter member name (the Link's --cluster-name)` });
        return;
      }
      lc.report(r.policy, pointer, { feature: "crossCluster", kind: "note", what: "mirrored-service", severity: "info",
        message: `this share goes to ${v.namespace}/${name}, the Service Linkerd's service mirror creates for ${v.service} of member ${t.cluster.name}: link the clusters with \`linkerd multicluster link --cluster-name ${t.cluster.name}\` and export ${v.service} in ${t.cluster.name} (label mirror.linkerd.io/exported=true for gateway mode, or =remote-discovery for pod-to-pod mode, which keeps the caller's identity)` });
    });
  }
}
