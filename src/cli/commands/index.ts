/**
 * The CLI's commands, in help order. One file per command; add yours here (one line). Each is imported
 * when needed: `unimesh <command> ...` loads only that command's module, `--help` (and anything that is
 * not a command name) all of them.
 */
import type { CliCommand } from "../command.js";

export const COMMAND_MODULES: readonly (readonly [name: string, load: () => Promise<CliCommand>])[] = [
  ["validate", async () => (await import("./validate.js")).validateCommand],
  ["translate", async () => (await import("./translate.js")).translateCommand],
  ["import", async () => (await import("./import.js")).importCommand],
  ["inspect", async () => (await import("./inspect.js")).inspectCommand],
  ["explain", async () => (await import("./explain.js")).explainCommand],
  ["graph", async () => (await import("./graph.js")).graphCommand],
  ["meshes", async () => (await import("./meshes.js")).meshesCommand],
  ["schema", async () => (await import("./schema.js")).schemaCommand],
  ["discover", async () => (await import("./discover.js")).discoverCommand],
  ["diff", async () => (await import("./diff.js")).diffCommand],
  ["apply", async () => (await import("./apply.js")).applyCommand],
  ["trust", async () => (await import("./trust.js")).trustCommand],
  ["up", async () => (await import("./up.js")).upCommand],
  ["proxy", async () => (await import("./proxy.js")).proxyCommand],
  ["wasm", async () => (await import("./wasm.js")).wasmCommand],
  ["metrics", async () => (await import("./metrics.js")).metricsCommand],
  ["top", async () => (await import("./top.js")).topCommand],
  ["version", async () => (await import("./version.js")).versionCommand],
  ["completion", async () => (await import("./completion.js")).completionCommand(allCommands)],
];

/**
 * The commands to register for `argv`: only the one named by its first word (the command runs, or
 * prints its own help), otherwise every command (program help, `help CMD`, unknown commands with
 * suggestions, `--version`).
 */
export async function commandsFor(argv: readonly string[]): Promise<CliCommand[]> {
  const named = COMMAND_MODULES.find(([name]) => name === argv[0]);
  return named ? [await named[1]()] : allCommands();
}

/** Every command, in help order. */
function allCommands(): Promise<CliCommand[]> {
  return Promise.all(COMMAND_MODULES.map(([, load]) => load()));
}
