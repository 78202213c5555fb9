/**
 * Refusing the `crossCluster` feature (a VirtualMesh's `split[].cluster` and `source.clusters` naming
 * another member than the one translated for): one error per use, at the field, saying what the mesh
 * cannot do and why. Never a silent drop: a split share to another cluster dropped would send its
 * requests elsewhere, and an identity of another cluster dropped from an allow rule would be a rule that
 * admits someone else (or, from a deny rule, no longer denies the caller it names).
 */
import type { TranslateContext } from "../../api/adapter.js";
import { featureUses } from "../../api/feature-use.js";
import type { VirtualMeshMember, TrafficPolicy } from "../../api/generated/model.js";
import type { Entry, Model } from "../../api/model.js";
import { Reporter } from "./report.js";

/**
 * Reports every use of `crossCluster` in `model` (for the member `model.member`) as an
 * `adapter/unsupported-feature/crossCluster` error.
 * @param mesh how the message names the mesh, e.g. `App Mesh 1.13`.
 * @param why the upstream limit, e.g. "App Mesh has no multi-cluster federation: ...".
 * @param only refuse only split targets (`split`), only sources (`source`) or only failover (`failover`); default all.
 */
export function refuseCrossCluster(model: Model, ctx: TranslateContext, mesh: string, why: string, only?: "split" | "source" | "failover"): void {
  const kind = (p: string) => (p.includes("/split/") ? "split" : p === "/spec/failover" ? "failover" : "source");
  const uses = featureUses(model, new Set(["crossCluster"])).filter((u) => !only || kind(u.pointer) === only);
  if (!uses.length) return;
  const reporter = new Reporter(ctx);
  for (const u of uses) {
    const split = u.pointer.includes("/split/");
    const failover = u.pointer === "/spec/failover";
    const cannot = split
      ? "send this share to a Service in another member cluster"
      : failover
        ? "fail this destination over to another member cluster"
        : "admit or deny identities of another member cluster here";
    const instead = split ? "remove cluster from this target" : failover ? "remove failover" : "remove the other members from clusters";
    reporter.report(u.entry, u.pointer, {
      feature: "crossCluster",
      kind: "unsupported-feature",
      severity: "error",
      message: `member ${model.member}: ${mesh} cannot ${cannot}: ${why}; ${instead} or run a mesh that can in this member`,
    });
  }
}

/**
 * The mesh (adapter name) a member runs, from its `mesh` (`istio@1.30` → `istio`); `undefined` for
 * `auto`, which only the CLI resolves (from ClusterInfo or the cluster itself).
 */
export function memberMeshName(member: VirtualMeshMember): string | undefined {
  if (member.mesh === "auto") return undefined;
  const at = member.mesh.indexOf("@");
  return at < 0 ? member.mesh : member.mesh.slice(0, at);
}

/** A split target in another member: where it is written and which member it names. */
export interface RemoteSplitTarget {
  entry: Entry<TrafficPolicy>;
  /** JSON pointer of `split[j].cluster`. */
  pointer: string;
  member: VirtualMeshMember;
}

/** Every split target naming another member than the one translated for, in document order. */
export function remoteSplitTargets(model: Model): RemoteSplitTarget[] {
  const out: RemoteSplitTarget[] = [];
  for (const e of model.trafficPolicies) {
    (e.doc.spec.routes ?? []).forEach((r, i) =>
      (r.split ?? []).forEach((t, j) => {
        const member = model.remoteMember(t.cluster);
        if (member) out.push({ entry: e, pointer: `/spec/routes/${i}/split/${j}/cluster`, member });
      }),
    );
  }
  return out;
}

/**
 * Reports (an error each) the split targets in members that do not run `mesh`: a mesh's own multi-cluster
 * mechanism reaches only clusters of the same mesh (Istio multi-primary: istiod reads the other
 * clusters' endpoints through remote secrets; Linkerd: the service mirror of a `Link`), and a member
 * whose mesh is `auto` cannot be checked here. True when every remote target runs `mesh`.
 * @param mesh the adapter name the remote members must run, e.g. `istio`.
 * @param how how this mesh reaches another cluster, for the message.
 */
export function refuseOtherMeshTargets(model: Model, ctx: TranslateContext, mesh: string, how: string): boolean {
  const reporter = new Reporter(ctx);
  let ok = true;
  for (const t of remoteSplitTargets(model)) {
    const theirs = memberMeshName(t.member);
    if (theirs === mesh) continue;
    ok = false;
    reporter.report(t.entry, t.pointer, {
      feature: "crossCluster",
      kind: "unsupported-value",
      what: theirs === undefined ? "mesh-auto" : "other-mesh",
      severity: "error",
      message:
        theirs === undefined
          ? `member ${model.member}: member ${t.member.name} says mesh: auto, and a share can be sent there only when it runs ${mesh} too (${how}); name its mesh in the VirtualMesh (mesh: ${mesh}@VERSION) so the translation can be checked`
          : `member ${model.member}: member ${t.member.name} runs ${t.member.mesh}, and ${how}: no mesh routes to another mesh's cluster; remove cluster from this target, or run ${mesh} in ${t.member.name}`,
    });
  }
  return ok;
}
