/**
 * Watching input files for changes (reload on save). Directories of the given files are watched (so
 * editors that replace files on save are seen), directories given as inputs recursively; events are
 * debounced.
 */
import { watch, statSync, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** Calls `onChange` (debounced by `delayMs`) when any of `paths` changes. Returns a function that stops watching. */
export function watchPaths(paths: string[], onChange: () => void, delayMs = 200): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const fire = () => { clearTimeout(timer); timer = setTimeout(onChange, delayMs); };
  const dirs = new Map<string, Set<string> | "all">();
  for (const p of paths) {
    const abs = resolve(p);
    let isDir = false;
    try { isDir = statSync(abs).isDirectory(); } catch { continue; }
    if (isDir) { dirs.set(abs, "all"); continue; }
    const d = dirname(abs);
    const cur = dirs.get(d);
    if (cur === "all") continue;
    dirs.set(d, new Set([...(cur ?? []), basename(abs)]));
  }
  for (const [dir, names] of dirs) {
    try {
      watchers.push(watch(dir, { recursive: names === "all", persistent: false }, (_e, file) => {
        if (names === "all" || (file && names.has(basename(String(file))))) fire();
      }));
    } catch { /* a directory that cannot be watched: reload with SIGHUP or POST /reload */ }
  }
  return () => { clearTimeout(timer); for (const w of watchers) w.close(); };
}
