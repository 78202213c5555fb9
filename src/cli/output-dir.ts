/**
 * `translate --output-dir DIR`: one file per object, written whole or not at all.
 *
 * Layout: `DIR/<namespace>/<kind>-<name>.yaml` (`_cluster/` for cluster-scoped objects; `.json` with
 * `-o json`), kind lower-cased. When two objects share kind, namespace and name (same kind in two
 * API groups, e.g. Linkerd's and Gateway API's HTTPRoute) both are named `<kind>.<group>-<name>`.
 * Plus a `.unimesh-output` marker file, and nothing else.
 *
 * Rule for an existing DIR: it is replaced as a whole when it holds the `.unimesh-output` marker (it
 * was written by unimesh) or is empty; any other existing path is refused (exit 2) and left untouched,
 * so unimesh never deletes files it did not write. The new tree is written into a fresh temporary
 * directory next to DIR and swapped in with renames; on any failure the temporary directory (and any
 * parent directory created for DIR) is removed and DIR is as before.
 */
import * as nodeFs from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import type { KubeObject } from "../api/adapter.js";
import { InternalError, UnimeshError, UsageError } from "../api/diagnostics.js";
import { type OutputFormat, dumpYaml } from "../api/emit.js";

/** Name of the marker file that says "this directory was written by unimesh and may be replaced". */
export const OUTPUT_MARKER = ".unimesh-output";

/** Content of the marker file, naming the command that wrote the directory (`translate`, `discover`). */
export function markerText(command: string): string {
  return `Written by \`unimesh ${command} --output-dir\`. The next run replaces this directory as a whole: do not keep other files here.\n`;
}

/** One file of the output tree: a `/`-separated path relative to DIR, and its content. */
export interface OutputFile {
  path: string;
  content: string;
}

/** The output directory could not be written (permissions, disk full...). Exit code `EXIT.OUTPUT`. */
export class OutputError extends UnimeshError {
  override name = "OutputError";
}

/**
 * The files for `objects` (already sorted by `translate()`), serialized in `format`. Deterministic.
 * @throws InternalError when an object cannot be serialized or two objects would get one path.
 */
export function outputFiles(objects: readonly KubeObject[], format: OutputFormat): OutputFile[] {
  const ext = format === "json" ? "json" : "yaml";
  const dirOf = (o: KubeObject) => o.metadata.namespace ?? "_cluster";
  const plain = (o: KubeObject) => `${dirOf(o)}/${o.kind.toLowerCase()}-${o.metadata.name}`;
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(plain(o), (counts.get(plain(o)) ?? 0) + 1);
  const seen = new Set<string>();
  return objects.map((o) => {
    const group = o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "core";
    const stem = counts.get(plain(o))! > 1 ? `${dirOf(o)}/${o.kind.toLowerCase()}.${group}-${o.metadata.name}` : plain(o);
    const path = `${stem}.${ext}`;
    if (seen.has(path)) throw new InternalError(`two generated objects would both be written to ${path}`);
    seen.add(path);
    return { path, content: serializeOne(o, format) };
  });
}

/** One object as a YAML document or as indented JSON. @throws InternalError when it cannot be serialized. */
export function serializeOne(o: KubeObject, format: OutputFormat): string {
  try {
    return format === "json" ? JSON.stringify(o, null, 2) + "\n" : dumpYaml(o);
  } catch (e) {
    throw new InternalError(`cannot serialize ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}: ${(e as Error).message}`);
  }
}

/** The file-system calls used (tests pass in failing ones). */
export type OutputFs = Pick<typeof nodeFs, "lstatSync" | "readdirSync" | "mkdirSync" | "mkdtempSync" | "writeFileSync" | "renameSync" | "rmSync">;

/**
 * Checks that `dir` may be written: absent, an empty directory, or a directory holding the marker.
 * @param shown the path as the user typed it, for messages.
 * @throws UsageError otherwise (nothing is touched).
 */
export function checkOutputDir(dir: string, shown: string, cwd: string, fs: OutputFs = nodeFs): void {
  const rel = relative(dir, cwd);
  if (rel === "" || !(rel === ".." || rel.startsWith(".." + sep) || isAbsolute(rel))) {
    throw new UsageError(`--output-dir ${shown}: the output directory cannot be the current directory or one of its parents`);
  }
  let st: nodeFs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new OutputError(`--output-dir ${shown}: cannot write the output: ${reason(e)}; nothing was written`);
  }
  if (!st.isDirectory())
    throw new UsageError(`--output-dir ${shown}: exists and is not a directory; refusing to replace it (remove it or choose another path)`);
  const entries = fs.readdirSync(dir) as string[];
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw new UsageError(
      `--output-dir ${shown}: the directory exists and was not written by unimesh (it has no ${OUTPUT_MARKER} file); refusing to replace it (remove it or choose another directory)`,
    );
  }
}

/**
 * Writes `files` as the new content of `dir`, whole or not at all (see the module comment).
 * @param command the command named in the marker file (`translate`, `discover`).
 * @throws UsageError when `dir` may not be replaced; OutputError when writing fails (nothing is left behind).
 */
export function writeOutputDir(dir: string, shown: string, files: readonly OutputFile[], cwd: string, fs: OutputFs = nodeFs, command = "translate"): void {
  checkOutputDir(dir, shown, cwd, fs);
  let exists = true;
  try {
    fs.lstatSync(dir);
  } catch {
    exists = false;
  }
  const parent = dirname(dir);
  let createdParent: string | undefined;
  let tmp: string | undefined;
  try {
    createdParent = fs.mkdirSync(parent, { recursive: true }) ?? undefined;
    tmp = fs.mkdtempSync(join(parent, `.${basename(dir)}.unimesh-tmp-`));
    for (const f of files) {
      const target = join(tmp, ...f.path.split("/"));
      fs.mkdirSync(dirname(target), { recursive: true });
      fs.writeFileSync(target, f.content, { flag: "wx" });
    }
    fs.writeFileSync(join(tmp, OUTPUT_MARKER), markerText(command), { flag: "wx" });
    if (exists) {
      const old = `${tmp}.old`;
      fs.renameSync(dir, old);
      try {
        fs.renameSync(tmp, dir);
      } catch (e) {
        fs.renameSync(old, dir);
        throw e;
      }
      tmp = undefined;
      try {
        fs.rmSync(old, { recursive: true, force: true });
      } catch {
        // The new output is in place; a leftover hidden `.DIR.unimesh-tmp-*.old` is harmless.
      }
    } else {
      fs.renameSync(tmp, dir);
      tmp = undefined;
    }
  } catch (e) {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    if (createdParent !== undefined) fs.rmSync(createdParent, { recursive: true, force: true });
    if (e instanceof UnimeshError) throw e;
    throw new OutputError(`--output-dir ${shown}: cannot write the output: ${reason(e)}; nothing was written`);
  }
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "EACCES":
    case "EPERM":
      return `permission denied (${err.path ?? ""})`;
    case "ENOSPC":
      return "no space left on device";
    case "EROFS":
      return "read-only file system";
    case "ENOTDIR":
      return `not a directory (${err.path ?? ""})`;
    default:
      return err?.message ?? String(e);
  }
}
