/**
 * `unimesh apply <inputs...> --mesh ... [--context a,b | --all-contexts] [--dry-run=server|client]
 * [--prune] [--force-conflicts]`: translates the policies and server-side applies them (field manager
 * `unimesh`) to each cluster, independently. See `src/kube/apply.ts` for what happens in a cluster.
 *
 * stdout: one line per object, `<context>: <Kind.group> <namespace>/<name> <created|configured|
 * unchanged|pruned|released|conflict|failed>`, then a summary line per cluster. stderr: progress lines
 * per cluster, diagnostics, warnings and cluster errors.
 */
import { type Command, Option } from "commander";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, type PolicyFlags, addClusterOptions, addPolicyOptions, clusterOutputOption } from "../cluster-command.js";

interface ApplyFlags extends ClusterFlags, PolicyFlags {
  dryRun: "none" | "server" | "client";
  /** `unimesh trust init` directory: each member's intermediate CA goes into its mesh. */
  trustDir?: string;
}

export const applyCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const cmd = program
      .command("apply")
      .summary("server-side apply the translated policies to one or more clusters")
      .description(
        "Translate the inputs and server-side apply the objects (field manager `unimesh`) to each cluster, in dependency order. " +
          "Nothing is applied to a cluster that lacks a CRD (install the mesh), a namespace, or a Service the objects only annotate.\n\n" +
          "Conflicts with other field managers are reported (exit 4) unless --force-conflicts. --prune deletes only objects labelled " +
          "app.kubernetes.io/managed-by=unimesh and unimesh.io/policy-set=<set> that are no longer generated.\n\n" +
          "Clusters are independent: one that fails is reported (exit 3) and the others are still applied. " +
          "Credentials come only from the kubeconfig and are never printed.",
      );
    addPolicyOptions(cmd);
    addClusterOptions(cmd);
    cmd
      .addOption(
        new Option("--dry-run <mode>", "server: sent with dryRun=All (validated, not persisted); client: no write at all, only what would be done")
          .choices(["none", "server", "client"])
          .default("none"),
      )
      .option(
        "--trust-dir <dir>",
        "with a VirtualMesh: also apply each member's intermediate CA from this `unimesh trust init` directory in its mesh's form (Istio Secret istio-system/cacerts; Linkerd Secret linkerd/linkerd-identity-issuer and ConfigMap linkerd/linkerd-identity-trust-roots); keys go only to the API server",
      )
      .addOption(clusterOutputOption())
      .action(async (paths: string[], flags: ApplyFlags) => done(await applyAction(paths, flags, io)));
  },
};

async function applyAction(paths: string[], flags: ApplyFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { prepareAndOpen, runOnClusters, clusterJson, combineExit, stderrLine } = await import("../cluster-command.js");
  const { report } = await import("../report.js");
  const text = flags.output === "text";
  const dryRun = flags.dryRun === "none" ? undefined : flags.dryRun;

  const started = await prepareAndOpen(paths, flags, io, "apply");
  if (typeof started === "number") return started;
  if (flags.trustDir !== undefined && !started.t.memberContexts) {
    const { UsageError } = await import("../../api/diagnostics.js");
    throw new UsageError("--trust-dir: the inputs hold no VirtualMesh; shared trust is issued per member of a VirtualMesh (unimesh trust init)");
  }
  const { applyObjects } = await import("../../kube/apply.js");
  const { trustObjects } = await import("../trust-objects.js");
  const { formatApply } = await import("../../kube/format.js");

  let conflict = false,
    failedObject = false;
  const run = await runOnClusters(
    started,
    io,
    "apply",
    text,
    "nothing applied",
    flags.quiet,
    async (client, tr, k8s) => {
      const progress = text ? (m: string) => stderrLine(io, "apply", client.context.name, m) : undefined;
      progress?.(`${client.context.server} (Kubernetes ${k8s}), ${tr.mesh}${tr.chosenBy ? ` (--mesh auto: ${tr.chosenBy})` : ""}`);
      const objects = flags.trustDir !== undefined ? [...tr.objects, ...(await trustObjects(flags.trustDir, io.cwd, tr))] : tr.objects;
      return applyObjects(client, objects, {
        forceConflicts: flags.forceConflicts,
        dryRun,
        prune: flags.prune ? { policySet: tr.policySet, groups: tr.apiGroups } : undefined,
        policySet: tr.policySet,
        meshes: [tr.hooks],
        onProgress: progress,
      });
    },
    (context, r) => {
      if (r.outcomes.some((x) => x.action === "failed")) failedObject = true;
      if (r.outcomes.some((x) => x.action === "conflict")) conflict = true;
      if (text) {
        io.stdout.write(formatApply(context.name, r, dryRun));
        for (const w of r.warnings) stderrLine(io, "apply", context.name, `warning: ${w}`);
      }
    },
  );
  const code = combineExit({ invalid: run.invalid, clusterFailed: run.clusterFailed || failedObject, conflict });
  if (!text) {
    io.stdout.write(
      JSON.stringify({
        ok: code === EXIT.OK,
        ...(dryRun ? { dryRun } : {}),
        clusters: run.outcomes.map((o) =>
          clusterJson(
            o,
            (r) => !r.outcomes.some((x) => x.action === "failed" || x.action === "conflict"),
            (r) => ({ objects: r.outcomes, warnings: r.warnings, ...(r.pruneSkipped ? { pruneSkipped: r.pruneSkipped } : {}) }),
          ),
        ),
      }) + "\n",
    );
    report(io, "json", { ok: !run.invalid, diagnostics: run.diagnostics, status: started.t.status(run.diagnostics) as never });
  }
  return code;
}
