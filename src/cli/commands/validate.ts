/** `unimesh validate <inputs...>`: checks documents against the schema and the model's rules. */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../main.js";
import { outputOption } from "../options.js";

interface ValidateOptions {
  strict?: boolean;
  output: "text" | "json";
}

export const validateCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("validate")
      .summary("check policies against the schema and the model's rules")
      .description(
        "Check unimesh documents against the JSON Schema and the model's rules (durations, regexes, split weights, " +
        "subsets and ports against MeshServices, conflicts between policies). Prints every problem on stderr, nothing on stdout.",
      )
      .argument("<inputs...>", "files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
      .option("--strict", "treat warnings as errors")
      .addOption(outputOption())
      .action(async (paths: string[], opts: ValidateOptions) => {
        const { loadInputs } = await import("../inputs.js");
        const { countSummary, policyStatus, report } = await import("../report.js");
        const r = loadInputs(paths, io, opts.strict);
        report(io, opts.output, { ok: r.ok, diagnostics: r.diagnostics, status: policyStatus(r.model, r.diagnostics) });
        if (opts.output === "text") {
          const m = r.model;
          const counts = countSummary(r.diagnostics);
          const what = `${plural(r.inputs.length, "file")}, ${plural(m.policies.length, "policy", "policies")}, ${plural(m.services.length, "MeshService")}` +
            (m.clusters.length ? `, ${plural(m.clusters.length, "ClusterInfo")}` : "");
          io.stderr.write(`unimesh validate: ${what}: ${r.ok ? "valid" : "invalid"}${counts ? ` (${counts})` : ""}\n`);
        }
        done(r.ok ? EXIT.OK : EXIT.INVALID);
      });
  },
};

function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}
