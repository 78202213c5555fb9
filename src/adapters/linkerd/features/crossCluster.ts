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
 *   Link it needs. The other member must run Linkerd (error otherwise); Linkerd 2.14–2.15 with a
 *   ServiceProfile cannot split (serviceProfile.ts reports it).
 * - The receiving side ({@link exportPatches}): the service mirror mirrors only Services labelled
 *   `mirror.linkerd.io/exported` (the default selectors `linkerd multicluster link` writes into the Link,
 *   `mirror.linkerd.io/exported=true` and remote-discovery `=remote-discovery`: linkerd2
 *   `multicluster/cmd/link-gen.go`, `pkg/k8s/labels.go` DefaultExportedServiceSelector), so the member a share
 *   goes to labels that Service in its own output: a server-side-apply patch of the user's Service with
 *   only that label (like Istio ambient's `istio.io/use-waypoint`), `true` when the member has a `gateway`
 *   (gateway mode: the other members reach it through its multicluster gateway) and `remote-discovery`
 *   without one (pod-to-pod: the other members reach its pods directly, which keeps the caller's
 *   identity). It is applied last (cluster.ts: after the Service's Servers and authorizations), and
 *   `--prune` releases it first.
 * - Failover (`failover`): refused (see FAILOVER_WHY: Linkerd's documented mechanisms follow readiness,
 *   not outlier detection, and have no order).
 * - Sources in other members (`source.clusters`): their identities in their own trust domain,
 *   `<sa>.<ns>.serviceaccount.identity.linkerd.<trustDomain>` (namespaces `*.<ns>.serviceaccount...`), in
 *   the MeshTLSAuthentication of the rule (callers.ts); deny rules subtract them like local ones. A
 *   caller keeps its identity across clusters only over pod-to-pod links (`remote-discovery`): through a
 *   gateway the callee sees the gateway's identity (linkerd.io `reference/multicluster.md`: flat mode
 *   "preserving client identity"), which these rules do not admit, so an info note says so per source.
 */
import type { KubeObject, TranslateContext } from "../../../api/adapter.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { DestinationView, EffectiveRoute, Model } from "../../../api/model.js";
import { featureUses } from "../../../api/feature-use.js";
import { addPolicies, objectMeta } from "../../../api/ownership.js";
import { memberMeshName, refuseCrossCluster, refuseOtherMeshTargets } from "../../shared/cross-cluster.js";
import { Reporter } from "../../shared/report.js";
import type { LinkerdContext } from "../context.js";
import { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE } from "../resources.js";

/**
 * The Service label Linkerd's service mirror selects exported Services by (linkerd2 `pkg/k8s/labels.go`
 * DefaultExportedServiceSelector; linkerd.io `2-edge/reference/multicluster.md`).
 */
export const EXPORTED_LABEL = "mirror.linkerd.io/exported";

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
        message: `this share goes to ${v.namespace}/${name}, the Service Linkerd's service mirror creates for ${service} of member ${t.cluster.name}: link the clusters with \`linkerd multicluster link --cluster-name ${t.cluster.name}${t.cluster.gateway ? "" : " --gateway=false"}\`; member ${t.cluster.name}'s own output exports ${service} (label ${EXPORTED_LABEL}=${exportValue(t.cluster)})`,
      });
    });
  }
}

/**
 * The value of {@link EXPORTED_LABEL} for a member: `true` (gateway mode) when it has a `gateway`, else
 * `remote-discovery` (pod-to-pod mode).
 */
export function exportValue(member: { gateway?: unknown }): "true" | "remote-discovery" {
  return member.gateway ? "true" : "remote-discovery";
}

/**
 * The receiving side of cross-cluster shares (see the module doc): for every Service of the member
 * translated for that a split target sends a share to (`split[].cluster` naming this member, `service`
 * or the destination), while another member running Linkerd (or `mesh: auto`) sends it through
 * `<svc>-<member>`: a patch of that Service with only {@link EXPORTED_LABEL}, from the TrafficPolicies
 * naming it; an info note at each such target. Sorted by namespace and name; none outside a virtual mesh.
 */
export function exportPatches(model: Model, ctx: TranslateContext): KubeObject[] {
  const me = model.member === undefined ? undefined : model.memberNamed(model.member);
  if (!me) return [];
  const senders = (model.virtualMesh?.doc.spec.members ?? []).filter((m) => m.name !== me.name && [undefined, "linkerd"].includes(memberMeshName(m)));
  if (!senders.length) return [];
  const value = exportValue(me);
  const reporter = new Reporter(ctx);
  const services = new Map<string, { namespace: string; service: string; policies: Set<string> }>();
  for (const e of model.trafficPolicies) {
    (e.doc.spec.routes ?? []).forEach((r, i) =>
      (r.split ?? []).forEach((t, j) => {
        if (t.cluster !== me.name) return;
        const service = t.service ?? e.doc.spec.destination.service;
        const key = `${e.namespace}/${service}`;
        const s = services.get(key) ?? { namespace: e.namespace, service, policies: new Set<string>() };
        s.policies.add(e.id);
        services.set(key, s);
        reporter.report(e, `/spec/routes/${i}/split/${j}/cluster`, {
          feature: "crossCluster",
          kind: "note",
          what: "exported-service",
          severity: "info",
          message: `member ${me.name}: ${senders.map((m) => m.name).join(", ")} send${senders.length === 1 ? "s" : ""} this share to ${key} through ${service}-${me.name}, the Service Linkerd's service mirror creates there for it, so ${key} is exported here: label ${EXPORTED_LABEL}=${value} (${value === "true" ? "gateway mode: the member has a gateway" : "pod-to-pod mode: the member has no gateway"}), a patch of the Service, which must exist`,
        });
      }),
    );
  }
  return [...services.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, s]) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: objectMeta(s.service, s.namespace, [...s.policies].sort(), {
        labels: { [EXPORTED_LABEL]: value },
        annotations: { [PATCH_ANNOTATION]: PATCH_ANNOTATION_VALUE },
      }),
    }));
}

/**
 * Adds `patches` (Service patches) to `out`: a patch of a Service `out` already patches (e.g. failure
 * accrual annotations) is merged into that object (labels, annotations, policies), so each Service is
 * patched by one object.
 */
export function mergeServicePatches(out: KubeObject[], patches: readonly KubeObject[]): void {
  for (const p of patches) {
    const same = out.find(
      (o) => o.apiVersion === "v1" && o.kind === "Service" && o.metadata.namespace === p.metadata.namespace && o.metadata.name === p.metadata.name,
    );
    if (!same) {
      out.push(p);
      continue;
    }
    same.metadata.labels = { ...same.metadata.labels, ...p.metadata.labels };
    const { "unimesh.io/policies": ids, ...annotations } = p.metadata.annotations ?? {};
    same.metadata.annotations = { ...same.metadata.annotations, ...annotations };
    if (ids) addPolicies(same, ids.split(","));
  }
}
