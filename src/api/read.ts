/** Reading inputs from the file system: files, directories (recursively) and `-` for stdin. */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Diagnostic } from "./diagnostics.js";
import type { TextInput } from "./validate.js";

const EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * Reads every input. Directories are walked recursively for `*.yaml`, `*.yml`, `*.json` (sorted by
 * path; hidden entries and `node_modules` skipped). `-` reads standard input once.
 * @returns the texts and `input/unreadable` / `input/empty-dir` diagnostics. Never throws on bad paths.
 */
export function readInputs(paths: string[], readStdin: () => string = () => readFileSync(0, "utf8")): { inputs: TextInput[]; diagnostics: Diagnostic[] } {
  const inputs: TextInput[] = [];
  const diagnostics: Diagnostic[] = [];
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
      diagnostics.push({ code: "input/unreadable", severity: "error", file: p, message: `cannot read: ${reason(e)}` });
      continue;
    }
    const files = st.isDirectory() ? walk(p) : [p];
    if (st.isDirectory() && files.length === 0) {
      diagnostics.push({ code: "input/empty-dir", severity: "warning", file: p, message: "directory holds no .yaml, .yml or .json file" });
    }
    for (const f of files) {
      try {
        inputs.push({ file: f, text: readFileSync(f, "utf8") });
      } catch (e) {
        diagnostics.push({ code: "input/unreadable", severity: "error", file: f, message: `cannot read: ${reason(e)}` });
      }
    }
  }
  return { inputs, diagnostics };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) visit(full);
      else if (EXTENSIONS.test(name)) out.push(full);
    }
  };
  visit(dir);
  return out.sort((a, b) => (relative(dir, a) < relative(dir, b) ? -1 : 1));
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === "ENOENT" ? "no such file or directory" : err.code === "EACCES" ? "permission denied" : err.code === "EISDIR" ? "is a directory" : err.message;
}
