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
import type { CliCommand } from "../main.js";
import { type ClusterFlags, type PolicyFlags, addClusterOptions, addPolicyOptions, clusterOutputOption } from "../cluster-command.js";

interface ApplyFlags extends ClusterFlags, PolicyFlags {
  dryRun: "none" | "server" | "client";
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
      .addOption(new Option("--dry-run <mode>", "server: sent with dryRun=All (validated, not persisted); client: no write at all, only what would be done").choices(["none", "server", "client"]).default("none"))
      .addOption(clusterOutputOption())
      .action(async (paths: string[], flags: ApplyFlags) => done(await applyAction(paths, flags, io)));
  },
};

async function applyAction(paths: string[], flags: ApplyFlags, io: CliIO) {
  const { EXIT } = await import("../exit-codes.js");
  const { prepareAndOpen, combineExit, stderrLine } = await import("../cluster-command.js");
  const { report } = await import("../report.js");
  const text = flags.output === "text";
  const dryRun = flags.dryRun === "none" ? undefined : flags.dryRun;

  const started = await prepareAndOpen(paths, flags, io, "apply");
  if (typeof started === "number") return started;
  const { t, opened } = started;
  const { kubeconfig, contexts, timeoutMs } = opened;
  const { forEachCluster } = await import("../../kube/clusters.js");
  const { applyObjects } = await import("../../kube/apply.js");
  const { MESH_API_GROUPS } = await import("../../kube/kinds.js");
  const { formatApply } = await import("../../kube/format.js");

  const shownDiagnostics = new Set<string>();
  const outcomes = await forEachCluster(kubeconfig, contexts, async (client) => {
    const ctx = client.context.name;
    const progress = text ? (m: string) => stderrLine(io, "apply", ctx, m) : undefined;
    const k8s = await client.serverVersion();
    const tr = await t.forCluster(client);
    if (!tr.ok) return { invalid: true as const, tr };
    progress?.(`${client.context.server} (Kubernetes ${k8s}), ${tr.mesh}${tr.chosenBy ? ` (--mesh auto: ${tr.chosenBy})` : ""}`);
    const r = await applyObjects(client, tr.objects, {
      forceConflicts: flags.forceConflicts,
      dryRun,
      prune: flags.prune ? { policySet: tr.policySet, groups: MESH_API_GROUPS[tr.adapterName] ?? [] } : undefined,
      policySet: tr.policySet,
      onProgress: progress,
    });
    return { invalid: false as const, tr, r };
  }, { timeoutMs });

  let invalid = false, clusterFailed = false, conflict = false;
  const allDiagnostics = [...t.diagnostics];
  for (const o of outcomes) {
    const ctx = o.context.name;
    if (!o.ok) {
      clusterFailed = true;
      if (text) {
        stderrLine(io, "apply", ctx, `error: ${o.error.message}`);
        for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
      }
      continue;
    }
    const v = o.value;
    if (!shownDiagnostics.has(v.tr.mesh)) {
      shownDiagnostics.add(v.tr.mesh);
      if (t.fixed === undefined) {
        allDiagnostics.push(...v.tr.diagnostics);
        if (text) report(io, "text", { ok: v.tr.ok, diagnostics: v.tr.diagnostics, status: [] });
      }
    }
    if (v.invalid) {
      invalid = true;
      if (text) stderrLine(io, "apply", ctx, `nothing applied: the policies cannot be translated for ${v.tr.mesh}`);
      continue;
    }
    if (v.r.outcomes.some((x) => x.action === "failed")) clusterFailed = true;
    if (v.r.outcomes.some((x) => x.action === "conflict")) conflict = true;
    if (text) {
      io.stdout.write(formatApply(ctx, v.r, dryRun));
      for (const w of v.r.warnings) stderrLine(io, "apply", ctx, `warning: ${w}`);
    }
  }
  const code = combineExit({ invalid, clusterFailed, conflict });
  if (!text) {
    io.stdout.write(JSON.stringify({
      ok: code === EXIT.OK,
      ...(dryRun ? { dryRun } : {}),
      clusters: outcomes.map((o) => o.ok
        ? { context: o.context.name, server: o.context.server, ok: !o.value.invalid && !o.value.r?.outcomes.some((x) => x.action === "failed" || x.action === "conflict"), mesh: o.value.tr.mesh,
            ...(o.value.invalid ? {} : { objects: o.value.r.outcomes, warnings: o.value.r.warnings, ...(o.value.r.pruneSkipped ? { pruneSkipped: o.value.r.pruneSkipped } : {}) }) }
        : { context: o.context.name, server: o.context.server, ok: false, error: { code: o.error.code, message: o.error.message, details: o.error.details } }),
    }) + "\n");
    report(io, "json", { ok: !invalid, diagnostics: allDiagnostics, status: t.status(allDiagnostics) as never });
  }
  return code;
}
