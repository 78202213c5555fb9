/**
 * Watching input files for changes (reload on save). Every directory is watched, never a file itself:
 * editors (and `sed -i`, `git checkout`) save by writing a new file and renaming it over the old one,
 * and a watch on the old file (an inode) goes quiet after the first such save. A file input is watched
 * through its directory (filtered by name); a directory input through each directory of its tree, one
 * non-recursive watcher each (Node's `recursive` watch on Linux watches the files themselves and so
 * stops after the first rename-on-save), new subdirectories being added as they appear. Hidden entries
 * and `node_modules` are skipped, as when inputs are read. Events are debounced.
 */
import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** Calls `onChange` (debounced by `delayMs`) when any of `paths` changes. Returns a function that stops watching. */
export function watchPaths(paths: string[], onChange: () => void, delayMs = 200): () => void {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped) onChange();
    }, delayMs);
  };
  /** Directory → the file names watched in it, or "all" (a directory input: everything below it). */
  const dirs = new Map<string, Set<string> | "all">();
  for (const p of paths) {
    const abs = resolve(p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      continue;
    }
    if (isDir) {
      dirs.set(abs, "all");
      continue;
    }
    const d = dirname(abs);
    const cur = dirs.get(d);
    if (cur === "all") continue;
    dirs.set(d, new Set([...(cur ?? []), basename(abs)]));
  }

  const add = (dir: string, names: Set<string> | "all") => {
    if (stopped || watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_e, file) => {
        if (names !== "all") {
          if (file && names.has(basename(String(file)))) fire();
          return;
        }
        fire();
        // A directory created (or renamed) inside: watch it and what it holds.
        if (file) {
          const child = join(dir, String(file));
          if (isWatchableDir(child)) addTree(child);
        }
      });
      w.on("error", () => {
        w.close();
        watchers.delete(dir);
      });
      watchers.set(dir, w);
    } catch {
      /* a directory that cannot be watched: reload with SIGHUP or POST /reload */
    }
  };
  const addTree = (dir: string) => {
    add(dir, "all");
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory() && !skipped(e.name)) addTree(join(dir, e.name));
  };
  for (const [dir, names] of dirs) {
    if (names === "all") addTree(dir);
    else add(dir, names);
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}

/** Hidden entries and `node_modules` are not inputs (see src/api/read.ts). */
function skipped(name: string): boolean {
  return name.startsWith(".") || name === "node_modules";
}

function isWatchableDir(p: string): boolean {
  if (skipped(basename(p))) return false;
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
