/**
 * `unimesh diff <inputs...> --mesh ... [--context a,b | --all-contexts] [--prune]`: what `apply`
 * would change in each cluster, object by object and field by field, from a server-side dry-run apply
 * (see `src/kube/diff.ts`). Exit 0: no differences; 5: differences; 4: apply would conflict; 3: a
 * cluster failed; 1: invalid input.
 */
import type { Command } from "commander";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../main.js";
import { type ClusterFlags, type PolicyFlags, addClusterOptions, addPolicyOptions, clusterOutputOption } from "../cluster-command.js";

type DiffFlags = ClusterFlags & PolicyFlags;

export const diffCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const cmd = program
      .command("diff")
      .summary("show what apply would change in one or more clusters")
      .description(
        "Translate the inputs and compare each object with the cluster through a server-side dry-run apply (field manager `unimesh`): " +
        "objects to create, fields to add, remove or change (managedFields, resourceVersion, generation, uid, creationTimestamp " +
        "and status are ignored), and with --prune the objects apply --prune would delete. Nothing is written.\n\n" +
        "Exit 0: no differences; 5: differences; 4: apply would conflict (see --force-conflicts); 3: a cluster failed.",
      );
    addPolicyOptions(cmd);
    addClusterOptions(cmd);
    cmd.addOption(clusterOutputOption()).action(async (paths: string[], flags: DiffFlags) => done(await diffAction(paths, flags, io)));
  },
};

async function diffAction(paths: string[], flags: DiffFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { prepareAndOpen, combineExit, stderrLine } = await import("../cluster-command.js");
  const { report } = await import("../report.js");
  const text = flags.output === "text";

  const started = await prepareAndOpen(paths, flags, io, "diff");
  if (typeof started === "number") return started;
  const { t, opened } = started;
  const { kubeconfig, contexts, timeoutMs } = opened;
  const { forEachCluster } = await import("../../kube/clusters.js");
  const { diffObjects } = await import("../../kube/diff.js");
  const { MESH_API_GROUPS } = await import("../../kube/kinds.js");
  const { formatDiff } = await import("../../kube/format.js");

  const outcomes = await forEachCluster(kubeconfig, contexts, async (client) => {
    await client.serverVersion();
    const tr = await t.forCluster(client);
    if (!tr.ok) return { invalid: true as const, tr };
    if (text && tr.chosenBy) stderrLine(io, "diff", client.context.name, `${tr.mesh} (--mesh auto: ${tr.chosenBy})`);
    const r = await diffObjects(client, tr.objects, {
      forceConflicts: flags.forceConflicts,
      prune: flags.prune ? { policySet: tr.policySet, groups: MESH_API_GROUPS[tr.adapterName] ?? [] } : undefined,
      policySet: tr.policySet,
    });
    return { invalid: false as const, tr, r };
  }, { timeoutMs });

  let invalid = false, clusterFailed = false, conflict = false, differences = false;
  const allDiagnostics = [...t.diagnostics];
  const shown = new Set<string>();
  for (const o of outcomes) {
    const ctx = o.context.name;
    if (!o.ok) {
      clusterFailed = true;
      if (text) {
        stderrLine(io, "diff", ctx, `error: ${o.error.message}`);
        for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
      }
      continue;
    }
    const v = o.value;
    if (!t.fixed && !shown.has(v.tr.mesh)) {
      shown.add(v.tr.mesh);
      allDiagnostics.push(...v.tr.diagnostics);
      if (text) report(io, "text", { ok: v.tr.ok, diagnostics: v.tr.diagnostics, status: [] });
    }
    if (v.invalid) {
      invalid = true;
      if (text) stderrLine(io, "diff", ctx, `not compared: the policies cannot be translated for ${v.tr.mesh}`);
      continue;
    }
    const diffs = v.r.diffs;
    if (diffs.some((d) => d.change === "failed")) clusterFailed = true;
    if (diffs.some((d) => d.change === "conflict")) conflict = true;
    if (diffs.some((d) => d.change === "create" || d.change === "update" || d.change === "delete")) differences = true;
    if (text) {
      io.stdout.write(formatDiff(ctx, o.context.server, diffs));
      for (const w of v.r.warnings) stderrLine(io, "diff", ctx, `warning: ${w}`);
    }
  }
  const code = combineExit({ invalid, clusterFailed, conflict, differences });
  if (!text) {
    io.stdout.write(JSON.stringify({
      ok: code === EXIT.OK,
      differences,
      clusters: outcomes.map((o) => o.ok
        ? { context: o.context.name, server: o.context.server, ok: !o.value.invalid, mesh: o.value.tr.mesh, ...(o.value.invalid ? {} : { objects: o.value.r.diffs, warnings: o.value.r.warnings }) }
        : { context: o.context.name, server: o.context.server, ok: false, error: { code: o.error.code, message: o.error.message, details: o.error.details } }),
    }) + "\n");
    report(io, "json", { ok: !invalid, diagnostics: allDiagnostics, status: t.status(allDiagnostics) as never });
  }
  return code;
}
