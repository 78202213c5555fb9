/**
 * Flags shared by several commands. Imported at start-up by the command files, so it imports
 * nothing but commander.
 */
import type { Option as CommanderOption } from "commander";
import { Option } from "./commander.js";

/**
 * `-o, --output text|json` (kubectl's `-o`): the form of what a command reports (`validate`: its
 * diagnostics, on stderr as text, on stdout as JSON; `meshes`, `version`, `diff`, `apply`: their
 * report on stdout). `formats`: the choices, `text` first (the default); `meshes` and `version` also
 * print their data as `yaml`.
 */
export function outputOption(
  what = "diagnostics on stderr as text lines, or as one JSON object",
  formats: readonly string[] = ["text", "json"],
): CommanderOption {
  return new Option("-o, --output <format>", what).choices(formats).default(formats[0]);
}

/** `-q, --quiet`: leave out info notes (errors and warnings are always printed). */
export function quietOption(): CommanderOption {
  return new Option("-q, --quiet", "do not print info notes (errors and warnings only)");
}

/** Accumulator for repeatable flags (`--allow a --allow b`, `--set k=v --set k2=v2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
