/**
 * `unimesh completion bash|zsh|fish`: a shell completion script, generated from the commands' own
 * definitions (so it never lists a flag that does not exist): command names, each command's flags, the
 * values of flags with a fixed set (`--output`, `--diagnostics`, `--dry-run`, ...), mesh names for
 * `--mesh`, files for file arguments.
 *
 * ```sh
 * source <(unimesh completion bash)              # bash (add to ~/.bashrc)
 * source <(unimesh completion zsh)               # zsh (add to ~/.zshrc)
 * unimesh completion fish | source               # fish (or > ~/.config/fish/completions/unimesh.fish)
 * ```
 */
import type { Command } from "commander";
import { EXIT } from "../exit-codes.js";
import type { CliIO } from "../io.js";
import type { CliCommand } from "../command.js";
import type { Option } from "commander";
import { Argument } from "../commander.js";

/** What the script needs to know about one command. */
interface CommandSpec {
  name: string;
  summary: string;
  /** Every visible flag: long and short spellings, whether it takes a value, its fixed values. */
  flags: { long?: string; short?: string; value: boolean; choices?: readonly string[] }[];
}

const SHELLS = ["bash", "zsh", "fish"] as const;

/**
 * The completion command. It describes every command, so it is given them (`allCommands`: the command
 * table of ./index.ts) rather than importing the table that lists it.
 */
export function completionCommand(allCommands: () => Promise<readonly CliCommand[]>): CliCommand {
  return {
    register(program: Command, io: CliIO, done) {
      program
        .command("completion")
        .summary("print a shell completion script (bash, zsh, fish)")
        .description(
          "Print a completion script for your shell: `source <(unimesh completion bash)` (or zsh) in your shell's rc file, `unimesh completion fish | source` for fish.",
        )
        .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
        .action(async (shell: (typeof SHELLS)[number]) => {
          const specs = await commandSpecs(await allCommands());
          const meshes = await meshValues();
          io.stdout.write(shell === "fish" ? fishScript(specs, meshes) : bashScript(specs, meshes, shell === "zsh"));
          done(EXIT.OK);
        });
    },
  };
}

/** Every command of the CLI with its visible flags, read from a program that registers them all. */
async function commandSpecs(commands: readonly CliCommand[]): Promise<CommandSpec[]> {
  const { Command } = await import("../commander.js");
  const program = new Command("unimesh");
  const noop = { stdout: { write: () => true }, stderr: { write: () => true }, readStdin: () => "", env: {}, cwd: "/" };
  for (const c of commands) c.register(program, noop, () => undefined);
  return program.commands.map((c) => ({
    name: c.name(),
    summary: c.summary() || c.description().split("\n")[0],
    flags: [
      ...(c.options as Option[])
        .filter((o) => !o.hidden)
        .map((o) => ({
          ...(o.long ? { long: o.long } : {}),
          ...(o.short ? { short: o.short } : {}),
          value: o.required || o.optional,
          ...(o.argChoices ? { choices: o.argChoices } : {}),
        })),
      { long: "--help", short: "-h", value: false },
    ],
  }));
}

/** Values offered for `--mesh`: every built-in adapter, with each of its versions, plus auto and all. */
async function meshValues(): Promise<string[]> {
  const { BUILTIN_ADAPTERS } = await import("../../adapters/index.js");
  return [...BUILTIN_ADAPTERS.flatMap((a) => [a.name, ...a.versions.map((v) => `${a.name}@${v}`)]), "auto", "all"];
}

/** Flags whose value is a file or directory (completed as paths). */
const PATH_FLAGS = new Set(["--output-dir", "--kubeconfig", "--services", "--config", "--adapter", "--access-log"]);

function bashScript(specs: CommandSpec[], meshes: string[], zsh: boolean): string {
  const q = (words: readonly string[]) => words.join(" ");
  const lines: string[] = [];
  if (zsh) lines.push("# unimesh completion for zsh (through bash completion)", "autoload -U +X bashcompinit && bashcompinit");
  else lines.push("# unimesh completion for bash");
  lines.push(
    "_unimesh() {",
    "  local cur prev cmd",
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  cmd="${COMP_WORDS[1]}"',
    "  if [[ $COMP_CWORD -eq 1 ]]; then",
    `    COMPREPLY=($(compgen -W "${q([...specs.map((s) => s.name), "help", "--help", "--version"])}" -- "$cur"))`,
    "    return",
    "  fi",
    '  case "$cmd:$prev" in',
  );
  for (const s of specs) {
    for (const f of s.flags.filter((x) => x.value)) {
      const names = [f.long, f.short]
        .filter(Boolean)
        .map((n) => `${s.name}:${n}`)
        .join("|");
      if (f.long === "--mesh") lines.push(`    ${names}) COMPREPLY=($(compgen -W "${q(meshes)}" -- "$cur")); return ;;`);
      else if (f.choices ?? (f.long === "--output" ? ["yaml", "json"] : undefined))
        lines.push(`    ${names}) COMPREPLY=($(compgen -W "${q(f.choices ?? ["yaml", "json"])}" -- "$cur")); return ;;`);
      else if (f.long && PATH_FLAGS.has(f.long)) lines.push(`    ${names}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
      else lines.push(`    ${names}) COMPREPLY=(); return ;;`);
    }
  }
  lines.push("  esac", '  case "$cmd" in');
  for (const s of specs) lines.push(`    ${s.name}) opts="${q(s.flags.flatMap((f) => [f.long, f.short].filter((x): x is string => !!x)))}" ;;`);
  if (specs.some((s) => s.name === "completion")) lines.push(`    help) COMPREPLY=($(compgen -W "${q(specs.map((s) => s.name))}" -- "$cur")); return ;;`);
  lines.push(
    '    *) opts="" ;;',
    "  esac",
    '  if [[ "$cmd" == completion ]]; then',
    `    COMPREPLY=($(compgen -W "${q(SHELLS)} $opts" -- "$cur"))`,
    '  elif [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    "  else",
    '    COMPREPLY=($(compgen -f -- "$cur"))',
    "  fi",
    "}",
    "complete -o filenames -o bashdefault -F _unimesh unimesh",
    "",
  );
  return lines.join("\n");
}

function fishScript(specs: CommandSpec[], meshes: string[]): string {
  const esc = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const names = specs.map((s) => s.name).join(" ");
  const lines = ["# unimesh completion for fish", "complete -c unimesh -f"];
  for (const s of specs) lines.push(`complete -c unimesh -n "not __fish_seen_subcommand_from ${names}" -a ${s.name} -d ${esc(s.summary)}`);
  for (const s of specs) {
    const cond = `-n "__fish_seen_subcommand_from ${s.name}"`;
    if (s.name === "completion") lines.push(`complete -c unimesh ${cond} -a "${SHELLS.join(" ")}"`);
    else lines.push(`complete -c unimesh ${cond} -F`);
    for (const f of s.flags) {
      const parts = [`complete -c unimesh ${cond}`];
      if (f.long) parts.push(`-l ${f.long.slice(2)}`);
      if (f.short) parts.push(`-s ${f.short.slice(1)}`);
      if (f.long === "--mesh") parts.push(`-x -a "${meshes.join(" ")}"`);
      else if (f.choices ?? (f.long === "--output" ? ["yaml", "json"] : undefined)) parts.push(`-x -a "${(f.choices ?? ["yaml", "json"]).join(" ")}"`);
      else if (f.value && f.long && PATH_FLAGS.has(f.long)) parts.push("-r -F");
      else if (f.value) parts.push("-x");
      lines.push(parts.join(" "));
    }
  }
  return lines.join("\n") + "\n";
}
