/**
 * Refusing the `crossCluster` feature (a VirtualMesh's `split[].cluster` and `source.clusters` naming
 * another member than the one translated for): one error per use, at the field, saying what the mesh
 * cannot do and why. Never a silent drop: a split share to another cluster dropped would send its
 * requests elsewhere, and an identity of another cluster dropped from an allow rule would be a rule that
 * admits someone else (or, from a deny rule, no longer denies the caller it names).
 */
import type { TranslateContext } from "../../api/adapter.js";
import { featureUses } from "../../api/feature-use.js";
import type { Model } from "../../api/model.js";
import { Reporter } from "./report.js";

/**
 * Reports every use of `crossCluster` in `model` (for the member `model.member`) as an
 * `adapter/unsupported-feature/crossCluster` error.
 * @param mesh how the message names the mesh, e.g. `App Mesh 1.13`.
 * @param why the upstream limit, e.g. "App Mesh has no multi-cluster federation: ...".
 * @param only refuse only split targets (`split`) or only sources (`source`); default both.
 */
export function refuseCrossCluster(model: Model, ctx: TranslateContext, mesh: string, why: string, only?: "split" | "source"): void {
  const uses = featureUses(model, new Set(["crossCluster"])).filter((u) => !only || u.pointer.includes("/split/") === (only === "split"));
  if (!uses.length) return;
  const reporter = new Reporter(ctx);
  for (const u of uses) {
    const split = u.pointer.includes("/split/");
    reporter.report(u.entry, u.pointer, {
      feature: "crossCluster", kind: "unsupported-feature", severity: "error",
      message: `member ${model.member}: ${mesh} cannot ${split ? "send this share to a Service in another member cluster" : "admit or deny identities of another member cluster here"}: ${why}; ${split ? "remove cluster from this target" : "remove the other members from clusters"} or run a mesh that can in this member`,
    });
  }
}
