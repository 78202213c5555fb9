/**
 * Reading the command-line inputs (files, directories, `-`) into a validated model. Paths are
 * resolved against `io.cwd` (not `process.cwd()`, so commands run in-process with any working
 * directory), and every diagnostic names a file the way the user wrote it.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Diagnostic, hasErrors, promoteWarnings, sortDiagnostics } from "../api/diagnostics.js";
import { readInputs } from "../api/read.js";
import { type TextInput, type ValidationResult, loadModel } from "../api/validate.js";
import type { CliIO } from "./io.js";

/** The marker file of `translate --output-dir` output directories (see output-dir.ts; repeated to keep this module light). */
const OUTPUT_MARKER = ".unimesh-output";

/** The inputs read and validated, with every diagnostic (read problems included), sorted. */
export interface LoadedInputs extends ValidationResult {
  inputs: TextInput[];
}

/**
 * Reads `paths` (files, directories walked recursively for `*.yaml|*.yml|*.json`, `-` = stdin, read
 * once) and validates them. Directories written by `translate --output-dir` inside a directory are skipped. Never throws on bad input: unreadable paths are `input/unreadable` errors.
 * @param strict promote warnings to errors (`--strict`).
 */
export function loadInputs(paths: readonly string[], io: CliIO, strict = false): LoadedInputs {
  const { inputs, diagnostics: readDiags } = readPaths(paths, io);
  const v = loadModel(inputs);
  // "no unimesh documents" says nothing new when a path could not be read.
  const fromModel = hasErrors(readDiags) ? v.diagnostics.filter((d) => d.code !== "input/no-documents") : v.diagnostics;
  let diagnostics = sortDiagnostics([...readDiags, ...fromModel]);
  if (strict) diagnostics = promoteWarnings(diagnostics);
  return { inputs, model: v.model, diagnostics, ok: !hasErrors(diagnostics) };
}

/**
 * Reads `paths` as {@link loadInputs} does, without validating anything: the texts, and `input/*`
 * diagnostics for paths that cannot be read. Never throws on bad input.
 */
export function readPaths(paths: readonly string[], io: CliIO): { inputs: TextInput[]; diagnostics: Diagnostic[] } {
  const inputs: TextInput[] = [];
  const readDiags: Diagnostic[] = [];
  let stdinRead = false;
  const markerCache = new Map<string, boolean>();
  for (const p of paths) {
    if (p === "-") {
      if (!stdinRead) inputs.push({ file: "-", text: io.readStdin() });
      stdinRead = true;
      continue;
    }
    const abs = resolve(io.cwd, p);
    const shown = (f: string | undefined) => (f === undefined ? f : displayPath(p, abs, f));
    const r = readInputs([abs]);
    for (const i of r.inputs) if (!inOutputDir(abs, i.file, markerCache)) inputs.push({ ...i, file: shown(i.file)! });
    for (const d of r.diagnostics) readDiags.push({ ...d, file: shown(d.file) });
  }
  return { inputs, diagnostics: readDiags };
}

/**
 * True when `file`, found by walking the directory `root`, lies in a directory written by
 * `translate --output-dir` (one holding the `.unimesh-output` marker): generated manifests are not inputs, so
 * `unimesh translate . --output-dir out` reads the same inputs the second time.
 */
function inOutputDir(root: string, file: string, cache: Map<string, boolean>): boolean {
  for (let d = dirname(file); d !== root && d.startsWith(root + sep); d = dirname(d)) {
    let marked = cache.get(d);
    if (marked === undefined) cache.set(d, (marked = existsSync(join(d, OUTPUT_MARKER))));
    if (marked) return true;
  }
  return false;
}

/** `given` as typed, `abs` its absolute path, `file` a path at or under `abs` → the path to show. */
export function displayPath(given: string, abs: string, file: string): string {
  if (file === abs) return given;
  const rel = relative(abs, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return file;
  return join(given, rel);
}
