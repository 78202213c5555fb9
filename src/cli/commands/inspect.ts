/**
 * `unimesh inspect <namespace>/<service> <inputs...> [--mesh a,b] [-o text|json]`: every policy that
 * applies to a service, as a destination and as a source, with file:line (src/inspect/inspect.ts); with
 * --mesh, the native objects and fields carrying them and each mesh's diagnostics.
 *
 * Live mode: `--context NAME` with files adds that cluster's facts; `--applied [MESH]` (the default with
 * `--context` and no files) inspects what unimesh applied there, read back (src/cli/applied.ts), each
 * origin naming the cluster objects; with files too, the drift between them (exit 5 when any).
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, addClusterOptions } from "../cluster-command.js";
import { outputOption } from "../options.js";

interface InspectFlags extends ClusterFlags {
  applied?: boolean | string;
  policySet?: string;
  mesh?: string;
  set: string[];
  output: "text" | "json";
}

export const inspectCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    const cmd = program
      .command("inspect")
      .summary("every policy that applies to a service, in and out, with file:line")
      .description(
        "Show every policy that applies to a service as a destination (routes in effective order, splits, timeouts, retries, faults, " +
          "destination settings, who may call it on which ports and paths, mTLS mode, JWT issuers) and as a source (what it may call, " +
          "and with which routes), each with its policy and file:line. With --mesh, the native objects and fields that carry them and " +
          "what each mesh does differently or cannot do.",
      )
      .argument("<service>", "<namespace>/<service>, e.g. bookinfo/reviews")
      .argument("[inputs...]", "policy files or directories (default: the current directory)")
      .option("-m, --mesh <a,b,...|all>", "also show how these meshes carry the policies (NAME[@VERSION], comma-separated, or all)")
      .option(
        "--applied [mesh]",
        "live mode: inspect what unimesh applied to the cluster of --context (read back with the mesh's importer; MESH when the cluster holds several meshes' objects) instead of the files; with input files too, also list where the cluster differs from them (exit 5). The default with --context and no input files",
      )
      .option(
        "--policy-set <name>",
        "with --applied: only the objects apply wrote for this policy set (label unimesh.io/policy-set, as apply --policy-set set it)",
      )
      .option(
        "--set <key=value>",
        "an adapter setting for the --mesh translations, e.g. dataplane=ambient for Istio (repeatable)",
        (v: string, prev: string[]) => [...prev, v],
        [] as string[],
      )
      .addOption(outputOption("text: a readable report; json: the same as one JSON object on stdout"))
      .action(async (service: string, paths: string[], flags: InspectFlags) => {
        const { UsageError } = await import("../../api/diagnostics.js");
        const { parseRef } = await import("../../inspect/describe.js");
        const { inspect } = await import("../../inspect/inspect.js");
        const { formatInspection } = await import("../../inspect/text.js");
        const { modelsFor, meshTargets, appliedJson, formatApplied, driftFor } = await import("../inspect-support.js");
        if (!service.includes("/")) throw new UsageError(`service "${service}": expected <namespace>/<service> (e.g. bookinfo/reviews)`);
        const ref = parseRef(service, "service");
        const { parseSettings } = await import("./translate.js");
        const meshes = await meshTargets(flags.mesh, parseSettings(flags.set ?? [], UsageError));
        const live = await modelsFor(paths, io, flags, "inspect");
        if (typeof live === "number") return done(live);
        const target = { namespace: ref.namespace, service: ref.name };
        const r = inspect(live.model, target, { meshes });
        if (!live.applied) {
          io.stdout.write(flags.output === "json" ? JSON.stringify(r, null, 2) + "\n" : formatInspection(r));
          return done(EXIT.OK);
        }
        // Live mode --applied (origins name the cluster objects): with files, the drift (exit 5 when any).
        const { formatDrift } = await import("../../inspect/drift.js");
        const drift = await driftFor(live, target, r);
        if (flags.output === "json") io.stdout.write(JSON.stringify({ ...r, applied: appliedJson(live.applied), ...(drift ? { drift } : {}) }, null, 2) + "\n");
        else io.stdout.write(formatInspection(r) + formatApplied(live.applied) + (drift ? formatDrift(drift, live.applied.context) : ""));
        done(drift?.length ? EXIT.DIFFERENCES : EXIT.OK);
      });
    // Live mode: --context NAME adds that cluster's discovered facts (see inspect-support.ts).
    addClusterOptions(cmd);
  },
};
