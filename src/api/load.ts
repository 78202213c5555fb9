/**
 * Loading: text → YAML documents, with the positions needed for diagnostics. Pure (no I/O); reading
 * files and directories is in `./read.ts`.
 */
import yaml from "js-yaml";
import type { Diagnostic } from "./diagnostics.js";

/** One YAML document of an input file. */
export interface SourceDocument {
  /** File path as given (`-` for stdin). */
  file: string;
  /** 0-based index of the document in its file (`---` separated chunks, empty ones counted). */
  index: number;
  /** 1-based line of the document's first line in the file. */
  startLine: number;
  /** The document's own text (for locating pointers). */
  text: string;
  /** The parsed value (plain JSON data: objects, arrays, strings, numbers, booleans, null). */
  value: unknown;
}

/** Limits that protect against hostile or accidental huge input. */
export interface LoadLimits {
  /** Bytes per input file. @default 33554432 (32 MiB) */
  maxFileBytes: number;
  /** Nesting depth of one document. @default 64 */
  maxDepth: number;
  /** Nodes of one document after alias expansion (guards against alias bombs). @default 200000 */
  maxNodes: number;
}

export const DEFAULT_LIMITS: LoadLimits = { maxFileBytes: 32 * 1024 * 1024, maxDepth: 64, maxNodes: 200_000 };

const DOC_SEPARATOR = /^---(?:[ \t].*)?$/;
const DOC_END = /^\.\.\.[ \t]*$/;

/**
 * Splits a file into YAML documents and parses each with js-yaml's CORE schema (YAML 1.2 core: no
 * timestamps, `yes`/`no` stay strings). Empty documents (e.g. after a trailing `---`) are skipped.
 *
 * @returns the documents and the problems found: `yaml/syntax`, `yaml/duplicate-key`, `yaml/too-deep`,
 *   `yaml/too-large`, `input/too-large`, `input/empty-file`. Never throws on bad input.
 */
export function parseDocuments(
  text: string,
  file: string,
  limits: LoadLimits = DEFAULT_LIMITS,
): { documents: SourceDocument[]; diagnostics: Diagnostic[] } {
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text, "utf8") > limits.maxFileBytes) {
    diagnostics.push({
      code: "input/too-large", severity: "error", file,
      message: `file is larger than ${limits.maxFileBytes} bytes; split it into several files`,
    });
    return { documents, diagnostics };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const chunks = splitDocuments(text);
  let nonEmpty = 0;
  for (const [i, chunk] of chunks.entries()) {
    if (!/\S/.test(chunk.text.replace(/#.*$/gm, ""))) continue;
    let value: unknown;
    try {
      value = yaml.load(chunk.text, { schema: yaml.CORE_SCHEMA, filename: file });
    } catch (e) {
      const err = e as yaml.YAMLException;
      const dup = /duplicated mapping key/.test(err.reason ?? "");
      diagnostics.push({
        code: dup ? "yaml/duplicate-key" : "yaml/syntax",
        severity: "error", file, documentIndex: i,
        line: err.mark ? chunk.startLine + err.mark.line : chunk.startLine,
        column: err.mark ? err.mark.column + 1 : undefined,
        message: dup ? "duplicate key in a mapping: every key may appear once" : `invalid YAML: ${err.reason ?? String(e)}`,
      });
      nonEmpty++;
      continue;
    }
    if (value === null || value === undefined) continue;
    nonEmpty++;
    const problem = checkShape(value, limits);
    if (problem) {
      diagnostics.push({ ...problem, file, documentIndex: i, line: chunk.startLine });
      continue;
    }
    documents.push({ file, index: i, startLine: chunk.startLine, text: chunk.text, value });
  }
  if (nonEmpty === 0) {
    diagnostics.push({ code: "input/empty-file", severity: "warning", file, message: "file holds no YAML document" });
  }
  return { documents, diagnostics };
}

function splitDocuments(text: string): { text: string; startLine: number }[] {
  const lines = text.split(/\r?\n/);
  const chunks: { text: string; startLine: number }[] = [];
  let cur: string[] = [];
  let start = 1;
  let sawSeparator = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (DOC_SEPARATOR.test(line) || DOC_END.test(line)) {
      // Content before the first `---` is a document only when it has something in it.
      if (sawSeparator || cur.some((l) => /\S/.test(l) && !/^\s*#/.test(l) && !/^%/.test(l))) {
        chunks.push({ text: cur.join("\n"), startLine: start });
      }
      sawSeparator = true;
      // `--- {a: 1}`: the separator line can carry content; keep it on the same line number.
      const rest = DOC_SEPARATOR.test(line) ? line.slice(3) : "";
      cur = rest.trim() ? [rest] : [];
      start = rest.trim() ? i + 1 : i + 2;
      if (DOC_END.test(line)) start = i + 2;
      continue;
    }
    if (cur.length === 0 && !/\S/.test(line)) { start = i + 2; continue; }
    cur.push(line);
  }
  if (cur.length || !sawSeparator) chunks.push({ text: cur.join("\n"), startLine: start });
  return chunks;
}

/** Depth and alias-expansion guard: walks the value counting nodes as if aliases were expanded. */
function checkShape(value: unknown, limits: LoadLimits): Omit<Diagnostic, "file"> | undefined {
  let nodes = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) {
      return {
        code: "yaml/too-large", severity: "error",
        message: `document has more than ${limits.maxNodes} nodes once YAML aliases are expanded; split it or avoid deeply reused anchors`,
      };
    }
    if (v !== null && typeof v === "object") {
      if (depth > limits.maxDepth) {
        return { code: "yaml/too-deep", severity: "error", message: `document is nested deeper than ${limits.maxDepth} levels` };
      }
      for (const child of Array.isArray(v) ? v : Object.values(v)) {
        if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
        else nodes++;
      }
    }
  }
  return undefined;
}

/**
 * Finds the 1-based line (and column) of a JSON Pointer in a block-style YAML document.
 * Flow-style (`{a: 1}`) nodes resolve to the line where the flow collection starts. Best effort:
 * returns the deepest ancestor found.
 */
export function locatePointer(doc: Pick<SourceDocument, "text" | "startLine">, ptr: string): { line: number; column: number } | undefined {
  const lines = doc.text.split("\n");
  const tokens = ptr === "" ? [] : ptr.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  // Region: [from, to) lines; `col0` overrides the content column of the first line (after "- ").
  let from = 0;
  let to = lines.length;
  let firstCol: number | undefined;
  let found: { line: number; column: number } | undefined;
  const contentCol = (i: number): number => {
    if (i === from && firstCol !== undefined) return firstCol;
    const m = /^(\s*)(\S)/.exec(lines[i]);
    return m && m[2] !== "#" ? m[1].length : -1;
  };
  for (const token of tokens) {
    // First content line of the region decides whether it is a sequence or a mapping.
    let first = -1;
    for (let i = from; i < to; i++) if (contentCol(i) >= 0) { first = i; break; }
    if (first < 0) break;
    const col = contentCol(first);
    const isSeq = lines[first].slice(col).startsWith("-") && /^-(\s|$)/.test(lines[first].slice(col));
    let hit = -1;
    let hitCol = col;
    if (isSeq && /^\d+$/.test(token)) {
      let n = -1;
      for (let i = first; i < to; i++) {
        const c = contentCol(i);
        if (c === col && /^-(\s|$)/.test(lines[i].slice(c))) {
          if (++n === Number(token)) { hit = i; break; }
        } else if (c >= 0 && c < col) break;
      }
      if (hit < 0) break;
      const after = /^-\s*/.exec(lines[hit].slice(col))![0].length;
      hitCol = col + after;
    } else {
      const keyRe = new RegExp(`^(?:${escapeRe(token)}|"${escapeRe(token)}"|'${escapeRe(token)}')\\s*:(\\s|$)`);
      for (let i = first; i < to; i++) {
        const c = contentCol(i);
        if (c === col && keyRe.test(lines[i].slice(c))) { hit = i; break; }
        if (c >= 0 && c < col) break;
      }
      if (hit < 0) break;
      hitCol = col;
    }
    found = { line: doc.startLine + hit, column: hitCol + 1 };
    // Child region: following lines indented deeper than this entry.
    let end = hit + 1;
    while (end < to && (contentCol(end) < 0 || contentCol(end) > col)) end++;
    if (isSeq) {
      from = hit; firstCol = hitCol;
    } else {
      const rest = lines[hit].slice(col).replace(/^[^:]*:\s*/, "");
      if (rest && !rest.startsWith("#") && !/^[|>]/.test(rest)) break; // inline value: stop here
      from = hit + 1; firstCol = undefined;
    }
    to = end;
  }
  return found;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
