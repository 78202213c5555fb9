/**
 * Flags shared by several commands. Imported at start-up by the command files, so it imports
 * nothing but commander.
 */
import type { Option as CommanderOption } from "commander";
import { Option } from "./commander.js";

/** `--output text|json`: how a command reports (diagnostics on stderr; `meshes` prints its data). */
export function outputOption(what = "diagnostics on stderr as text lines, or as one JSON object"): CommanderOption {
  return new Option("--output <format>", what).choices(["text", "json"]).default("text");
}

/** Accumulator for repeatable flags (`--allow a --allow b`, `--set k=v --set k2=v2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
