/** `unimesh schema`: prints the JSON Schema of the model (for editors and CI linters). */
import type { Command } from "commander";
import { Option } from "../commander.js";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";

/** Schema files by `--kind`, relative to this module (same path from src/cli/commands and dist/cli/commands). */
export const SCHEMA_FILES = {
  model: "../../../schemas/unimesh.schema.json",
  proxy: "../../../schemas/proxy-config.schema.json",
} as const;

export const schemaCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("schema")
      .summary("print the JSON Schema of unimesh documents")
      .description(
        "Print a JSON Schema (draft-07) on stdout: the model's (TrafficPolicy, AccessPolicy, MTLSPolicy, RequestAuthentication, WasmExtension, MeshService, ClusterInfo), or with --kind proxy the built-in proxy's configuration.",
      )
      .addOption(new Option("--kind <kind>", "which schema").choices(Object.keys(SCHEMA_FILES)).default("model"))
      .action(async (flags: { kind: keyof typeof SCHEMA_FILES }) => {
        const { readFileSync } = await import("node:fs");
        const { UsageError } = await import("../../api/diagnostics.js");
        const url = new URL(SCHEMA_FILES[flags.kind], import.meta.url);
        let text: string;
        try {
          text = readFileSync(url, "utf8");
        } catch {
          throw new UsageError(`--kind ${flags.kind}: this build of unimesh has no such schema`);
        }
        io.stdout.write(text.endsWith("\n") ? text : text + "\n");
        done(EXIT.OK);
      });
  },
};
