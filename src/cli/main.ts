/**
 * The `unimesh` CLI. Commands live in `./commands/<name>.ts`, one file each: they parse their flags,
 * call the library, print, and return an exit code from `EXIT`. Heavy modules are imported inside the
 * command actions so that `unimesh translate` never loads what it does not use (and never
 * `@kubernetes/client-node`).
 */
import { Command, CommanderError } from "./commander.js";
import { EXIT, EXIT_TABLE, type ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { commandsFor } from "./commands/index.js";
import { VERSION } from "./version.js";

export type { CliCommand } from "./command.js";
export { VERSION } from "./version.js";

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code.
 * Never throws: usage errors → 2, user errors → their code with a one-line message, bugs → 70.
 */
export async function run(argv: string[], io: CliIO): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const done = (c: ExitCode) => {
    code = c;
  };
  const program = new Command("unimesh")
    .description("One model for service-mesh policy: validate it, translate it to Istio, Linkerd, AWS App Mesh or the built-in proxy.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText("after", "\nExit codes:\n" + EXIT_TABLE.map(([c, d]) => `  ${String(c).padEnd(3)} ${d}`).join("\n") + "\n");
  try {
    for (const c of await commandsFor(argv)) c.register(program, io, done);
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help, --version, `help CMD`: 0. Unknown command/option, missing argument, bad choice, and
      // `unimesh` alone (help on stderr): usage.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    return handleError(e, io);
  }
  return code;
}

/** Maps a thrown error to an exit code and one message on stderr (stack only for internal errors). */
export async function handleError(e: unknown, io: CliIO): Promise<ExitCode> {
  const { UsageError, InvalidInputError, InternalError, UnimeshError, formatDiagnostic } = await import("../api/diagnostics.js");
  if (e instanceof UsageError) {
    io.stderr.write(`unimesh: ${e.message}\n`);
    return EXIT.USAGE;
  }
  if (e instanceof InvalidInputError) {
    for (const d of e.diagnostics) io.stderr.write(formatDiagnostic(d) + "\n");
    return EXIT.INVALID;
  }
  if (e instanceof InternalError) {
    io.stderr.write(`unimesh: internal error: ${e.message}\n`);
    return EXIT.INTERNAL;
  }
  if (e instanceof UnimeshError) {
    io.stderr.write(`unimesh: ${e.message}\n`);
    return EXIT.INVALID;
  }
  const err = e as Error;
  io.stderr.write(`unimesh: internal error: ${err?.stack ?? String(e)}\n(this is a bug in unimesh: please report it)\n`);
  return EXIT.INTERNAL;
}
