/** Reading inputs from the file system: files, directories (recursively) and `-` for stdin. */
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import type { TextInput } from "./validate.js";

const EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * Reads every input. Directories are walked recursively for `*.yaml`, `*.yml`, `*.json` (sorted by
 * path; hidden entries and `node_modules` skipped; symbolic links followed, each directory visited
 * once). A file reached twice (named twice, or through a directory and by name) is read once. `-` reads
 * standard input once.
 * @returns the texts and `input/unreadable` / `input/empty-dir` diagnostics. Never throws on bad paths.
 */
export function readInputs(paths: string[], readStdin: () => string = () => readFileSync(0, "utf8")): { inputs: TextInput[]; diagnostics: Diagnostic[] } {
  const inputs: TextInput[] = [];
  const diagnostics: Diagnostic[] = [];
  const unreadable = (file: string, e: unknown) =>
    diagnostics.push({ code: "input/unreadable", severity: "error", file, message: `cannot read: ${reason(e)}` });
  const seenFiles = new Set<string>();
  let stdinRead = false;
  for (const p of paths) {
    if (p === "-") {
      if (!stdinRead) inputs.push({ file: "-", text: readStdin() });
      stdinRead = true;
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      unreadable(p, e);
      continue;
    }
    const files = st.isDirectory() ? walk(p, unreadable) : [p];
    if (st.isDirectory() && files.length === 0) {
      diagnostics.push({ code: "input/empty-dir", severity: "warning", file: p, message: "directory holds no .yaml, .yml or .json file" });
    }
    for (const f of files) {
      const id = realPath(f);
      if (seenFiles.has(id)) continue;
      seenFiles.add(id);
      try {
        inputs.push({ file: f, text: readFileSync(f, "utf8") });
      } catch (e) {
        unreadable(f, e);
      }
    }
  }
  return { inputs, diagnostics };
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function walk(dir: string, unreadable: (file: string, e: unknown) => void): string[] {
  const out: string[] = [];
  const visited = new Set<string>();
  const visit = (d: string) => {
    const real = realPath(d);
    if (visited.has(real)) return; // a symbolic link back to a directory already walked
    visited.add(real);
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch (e) {
      unreadable(d, e);
      return;
    }
    for (const name of names) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const full = join(d, name);
      let st;
      try {
        st = statSync(full);
      } catch (e) {
        if (EXTENSIONS.test(name)) unreadable(full, e); // e.g. a dangling symbolic link
        continue;
      }
      if (st.isDirectory()) visit(full);
      else if (EXTENSIONS.test(name)) out.push(full);
    }
  };
  visit(dir);
  return out.sort((a, b) => cmp(relative(dir, a), relative(dir, b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === "ENOENT"
    ? "no such file or directory"
    : err.code === "EACCES"
      ? "permission denied"
      : err.code === "EISDIR"
        ? "is a directory"
        : err.code === "ELOOP"
          ? "too many symbolic links"
          : err.message;
}
