/** The shape of a CLI command module (`src/cli/commands/<name>.ts`), apart from the program that runs them. */
import type { Command as CommanderCommand } from "commander";
import type { ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";

/** A command module: adds itself to the program; its action returns the exit code. */
export interface CliCommand {
  register(program: CommanderCommand, io: CliIO, done: (code: ExitCode) => void): void;
}
