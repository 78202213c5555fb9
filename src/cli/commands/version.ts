/** `unimesh version`: the version of unimesh, and of the Node.js it runs on (for bug reports and CI logs). */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import { outputOption } from "../options.js";

export const versionCommand: CliCommand = {
  register(program: Command, io: CliIO, done) {
    program
      .command("version")
      .summary("print the version of unimesh")
      .description("Print the version of unimesh and of the Node.js runtime (`unimesh --version` prints the version alone).")
      .addOption(outputOption("text, or json or yaml: {unimesh, node, platform} on stdout", ["text", "json", "yaml"]))
      .action(async (flags: { output: "text" | "json" | "yaml" }) => {
        const { VERSION } = await import("../version.js");
        const info = { unimesh: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` };
        io.stdout.write(
          flags.output === "json"
            ? JSON.stringify(info) + "\n"
            : flags.output === "yaml"
              ? Object.entries(info)
                  .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
                  .join("")
              : `unimesh ${info.unimesh} (Node.js ${info.node}, ${info.platform})\n`,
        );
        done(EXIT.OK);
      });
  },
};
