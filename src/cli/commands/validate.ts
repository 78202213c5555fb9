/** `unimesh validate <inputs...>`: checks documents against the schema and the model's rules. */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { outputOption, quietOption } from "../options.js";

interface ValidateOptions {
  strict?: boolean;
  quiet?: boolean;
  output: "text" | "json";
}

export const validateCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("validate")
      .summary("check policies against the schema and the model's rules")
      .description(
        "Check unimesh documents against the JSON Schema and the model's rules (durations, regexes, split weights, " +
          "subsets and ports against MeshServices, conflicts between policies). Prints every problem on stderr and nothing on stdout; " +
          "with -o json, one JSON report {ok, diagnostics, status} on stdout instead (as kubectl's -o json).",
      )
      .argument("<inputs...>", "files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
      .option("--strict", "treat warnings as errors")
      .addOption(quietOption())
      .addOption(outputOption("text: the problems on stderr, one per line, and a summary line; json: one JSON report {ok, diagnostics, status} on stdout"))
      .action(async (paths: string[], opts: ValidateOptions) => {
        const { loadInputs } = await import("../inputs.js");
        const { countSummary, policyStatus, report } = await import("../report.js");
        let r = loadInputs(paths, io, opts.strict);
        // ServiceRegistry / ProxyConfig documents (the built-in proxy's) are not policies, but they are checked too.
        const proxyFiles = new Set(r.diagnostics.filter((d) => d.code === "input/proxy-document").map((d) => d.file));
        if (proxyFiles.size) {
          const { parseProxyDocuments } = await import("../../proxy/config/load.js");
          const { hasErrors, sortDiagnostics } = await import("../../api/diagnostics.js");
          const errors = parseProxyDocuments(r.inputs.filter((i) => proxyFiles.has(i.file))).diagnostics.filter((d) => d.severity === "error");
          const diagnostics = sortDiagnostics([...r.diagnostics, ...errors]);
          r = { ...r, diagnostics, ok: !hasErrors(diagnostics) };
        }
        report(
          io,
          opts.output,
          { ok: r.ok, diagnostics: r.diagnostics, status: policyStatus(r.model, r.diagnostics) },
          { quiet: opts.quiet, jsonTo: "stdout" },
        );
        if (opts.output === "text") {
          const m = r.model;
          const counts = countSummary(r.diagnostics, { quiet: opts.quiet });
          const what =
            `${plural(r.inputs.length, "file")}, ${plural(m.policies.length, "policy", "policies")}, ${plural(m.services.length, "MeshService")}` +
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
