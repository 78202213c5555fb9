/**
 * `unimesh diff <inputs...> --mesh ... [--context a,b | --all-contexts] [--prune]`: what `apply`
 * would change in each cluster, object by object and field by field, from a server-side dry-run apply
 * (see `src/kube/diff.ts`). Exit 0: no differences; 5: differences; 4: apply would conflict; 3: a
 * cluster failed; 1: invalid input.
 */
import type { Command } from "commander";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, type PolicyFlags, addClusterOptions, addPolicyOptions, clusterOutputOption } from "../cluster-command.js";

type DiffFlags = ClusterFlags & PolicyFlags & { trustDir?: string };

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
    cmd
      .option(
        "--trust-dir <dir>",
        "with a VirtualMesh: also compare each member's intermediate CA from this `unimesh trust init` directory (as apply --trust-dir would apply it); Secret values are shown as ***",
      )
      .addOption(clusterOutputOption())
      .action(async (paths: string[], flags: DiffFlags) => done(await diffAction(paths, flags, io)));
  },
};

async function diffAction(paths: string[], flags: DiffFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { prepareAndOpen, runOnClusters, clusterJson, combineExit, stderrLine } = await import("../cluster-command.js");
  const { report } = await import("../report.js");
  const text = flags.output === "text";

  const started = await prepareAndOpen(paths, flags, io, "diff");
  if (typeof started === "number") return started;
  if (flags.trustDir !== undefined && !started.t.memberContexts) {
    const { UsageError } = await import("../../api/diagnostics.js");
    throw new UsageError("--trust-dir: the inputs hold no VirtualMesh; shared trust is issued per member of a VirtualMesh (unimesh trust init)");
  }
  const { diffObjects } = await import("../../kube/diff.js");
  const { trustObjects } = await import("../trust-objects.js");
  const { formatDiff } = await import("../../kube/format.js");

  let conflict = false,
    differences = false,
    failedObject = false;
  const run = await runOnClusters(
    started,
    io,
    "diff",
    text,
    "not compared",
    flags.quiet,
    async (client, tr) => {
      if (text && tr.chosenBy) stderrLine(io, "diff", client.context.name, `${tr.mesh} (--mesh auto: ${tr.chosenBy})`);
      const objects = flags.trustDir !== undefined ? [...tr.objects, ...(await trustObjects(flags.trustDir, io.cwd, tr))] : tr.objects;
      return diffObjects(client, objects, {
        forceConflicts: flags.forceConflicts,
        prune: flags.prune ? { policySet: tr.policySet, groups: tr.apiGroups } : undefined,
        policySet: tr.policySet,
        meshes: [tr.hooks],
      });
    },
    (context, r) => {
      const diffs = r.diffs;
      if (diffs.some((d) => d.change === "failed")) failedObject = true;
      if (diffs.some((d) => d.change === "conflict")) conflict = true;
      if (diffs.some((d) => d.change === "create" || d.change === "update" || d.change === "delete")) differences = true;
      if (text) {
        io.stdout.write(formatDiff(context.name, context.server, diffs));
        for (const w of r.warnings) stderrLine(io, "diff", context.name, `warning: ${w}`);
      }
    },
  );
  const code = combineExit({ invalid: run.invalid, clusterFailed: run.clusterFailed || failedObject, conflict, differences });
  if (!text) {
    io.stdout.write(
      JSON.stringify({
        ok: code === EXIT.OK,
        differences,
        clusters: run.outcomes.map((o) =>
          clusterJson(
            o,
            () => true,
            (r) => ({ objects: r.diffs, warnings: r.warnings }),
          ),
        ),
      }) + "\n",
    );
    report(io, "json", { ok: !run.invalid, diagnostics: run.diagnostics, status: started.t.status(run.diagnostics) as never });
  }
  return code;
}
