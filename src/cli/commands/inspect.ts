/**
 * `unimesh inspect <namespace>/<service> <inputs...> [--mesh a,b] [-o text|json]`: every policy that
 * applies to a service, as a destination and as a source, with file:line (src/inspect/inspect.ts); with
 * --mesh, the native objects and fields carrying them and each mesh's diagnostics.
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { type ClusterFlags, addClusterOptions } from "../cluster-command.js";
import { outputOption } from "../options.js";

interface InspectFlags extends ClusterFlags {
  mesh?: string;
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
      .addOption(outputOption("text: a readable report; json: the same as one JSON object on stdout"))
      .action(async (service: string, paths: string[], flags: InspectFlags) => {
        const { UsageError } = await import("../../api/diagnostics.js");
        const { parseRef } = await import("../../inspect/describe.js");
        const { inspect } = await import("../../inspect/inspect.js");
        const { formatInspection } = await import("../../inspect/text.js");
        const { liveModelOf, meshTargets } = await import("../inspect-support.js");
        if (!service.includes("/")) throw new UsageError(`service "${service}": expected <namespace>/<service> (e.g. bookinfo/reviews)`);
        const ref = parseRef(service, "service");
        const meshes = await meshTargets(flags.mesh);
        const model = await liveModelOf(paths.length ? paths : ["."], io, flags, "inspect");
        if (typeof model === "number") return done(model);
        const r = inspect(model, { namespace: ref.namespace, service: ref.name }, { meshes });
        io.stdout.write(flags.output === "json" ? JSON.stringify(r, null, 2) + "\n" : formatInspection(r));
        done(EXIT.OK);
      });
    // Live mode: --context NAME adds that cluster's discovered facts (see inspect-support.ts).
    addClusterOptions(cmd);
  },
};
