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
const DOC_END = /^\.\.\.(?:[ \t].*)?$/;

/**
 * js-yaml's CORE schema (YAML 1.2 core: no timestamps, `yes`/`no` stay strings) plus merge keys
 * (`<<: *defaults`), which Kubernetes' YAML reader also accepts.
 */
const YAML_SCHEMA = yaml.CORE_SCHEMA.extend({
  implicit: [new yaml.Type("tag:yaml.org,2002:merge", { kind: "scalar", resolve: (d: unknown) => d === "<<" || d === null })],
});

/**
 * Splits a file into YAML documents and parses each with js-yaml's CORE schema (YAML 1.2 core: no
 * timestamps, `yes`/`no` stay strings; merge keys `<<` allowed). Empty documents (e.g. after a trailing
 * `---`) are skipped. Aliases are expanded: the value of a document holds no shared objects, exactly as
 * if every alias had been written out (limits count the expanded nodes).
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
    if (!hasContent(chunk.text)) continue;
    let value: unknown;
    try {
      // js-yaml counts every node (scalars too) as a level: one more than our container depth.
      value = yaml.load(chunk.text, { schema: YAML_SCHEMA, filename: file, maxDepth: limits.maxDepth + 1 } as yaml.LoadOptions);
    } catch (e) {
      nonEmpty++;
      diagnostics.push({ ...yamlError(e, chunk, limits), file, documentIndex: i });
      continue;
    }
    if (value === null || value === undefined) continue;
    nonEmpty++;
    const problem = checkShape(value, limits);
    if (problem) {
      diagnostics.push({ ...problem, file, documentIndex: i, line: firstContentLine(chunk) });
      continue;
    }
    // Without an anchor (`&`) there is no alias, hence no shared object to copy.
    documents.push({ file, index: i, startLine: chunk.startLine, text: chunk.text, value: chunk.text.includes("&") ? expandAliases(value) : value });
  }
  if (nonEmpty === 0) {
    diagnostics.push({ code: "input/empty-file", severity: "warning", file, message: "file holds no YAML document" });
  }
  return { documents, diagnostics };
}

/** A js-yaml exception as a diagnostic (without file and document index). */
function yamlError(e: unknown, chunk: { text: string; startLine: number }, limits: LoadLimits): Omit<Diagnostic, "file"> {
  const err = e as Partial<yaml.YAMLException>;
  const reason = err.reason ?? (e instanceof Error ? e.message : String(e));
  const where = err.mark ? { line: chunk.startLine + err.mark.line, column: err.mark.column + 1 } : { line: chunk.startLine };
  if (/duplicated mapping key/.test(reason)) {
    const key = err.mark ? keyAt(chunk.text.split("\n")[err.mark.line] ?? "", err.mark.column) : undefined;
    return {
      code: "yaml/duplicate-key", severity: "error", ...where,
      message: `duplicate key${key !== undefined ? ` "${key}"` : ""} in a mapping: every key may appear once`,
    };
  }
  if (/nesting exceeded maxDepth/.test(reason) || (e instanceof RangeError && /call stack/i.test(e.message))) {
    return { code: "yaml/too-deep", severity: "error", ...where, message: `document is nested deeper than ${limits.maxDepth} levels` };
  }
  if (/merge keys exceeded|abnormal merge sequence size/.test(reason)) {
    return { code: "yaml/too-large", severity: "error", ...where, message: `document uses too many merge keys (<<); write the values out or split it` };
  }
  return { code: "yaml/syntax", severity: "error", ...where, message: `invalid YAML: ${reason}` };
}

/** The key written at `column` of a line (`name: x`, `"a b": x`), unquoted; undefined when none is. */
function keyAt(line: string, column: number): string | undefined {
  const m = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s:#,{}[\]][^:]*?))\s*:(?:\s|$)/.exec(line.slice(column));
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3];
}

/**
 * True when YAML text has something besides blank lines, comments and directives: a line (split at
 * `\n`) whose first non-space character is not `#` and that does not start with `%`.
 */
function hasContent(text: string): boolean {
  let pos = 0;
  for (;;) {
    NON_SPACE.lastIndex = pos;
    const m = NON_SPACE.exec(text); // blank lines are whitespace too: this is the next line with something
    if (!m) return false;
    const at = m.index;
    const lineStart = text.lastIndexOf("\n", at - 1) + 1;
    if (text.charCodeAt(at) !== 35 /* # */ && text.charCodeAt(lineStart) !== 37 /* % */) return true;
    const next = text.indexOf("\n", at);
    if (next < 0) return false;
    pos = next + 1;
  }
}
const NON_SPACE = /\S/g;

/** 1-based file line of a chunk's first line with content. */
function firstContentLine(chunk: { text: string; startLine: number }): number {
  const i = chunk.text.split("\n").findIndex((l) => /\S/.test(l) && !/^\s*#/.test(l));
  return chunk.startLine + Math.max(0, i);
}

/**
 * Splits YAML text at `---` (document start) and `...` (document end) lines. A chunk is kept when it
 * has content or was opened by `---` (so `a\n---\n---\nb` has an empty document 1 and `b` is document
 * 2, as YAML counts them); `...` followed by `---` does not open an extra document. A `---` line that
 * carries content (`--- {a: 1}`) is kept whole, so lines and columns stay those of the file.
 */
function splitDocuments(text: string): { text: string; startLine: number }[] {
  return text.includes("\r") ? splitDocumentLines(text) : splitDocumentsLf(text);
}

/**
 * {@link splitDocumentLines} for text without `\r`: the same chunks, cut out of the text instead of
 * re-joined from its lines (a chunk is a run of consecutive lines).
 */
function splitDocumentsLf(text: string): { text: string; startLine: number }[] {
  const chunks: { text: string; startLine: number }[] = [];
  let from = -1; // offset of the current chunk's first line (-1: no line yet)
  let to = 0; // end of its last line (exclusive, before the line break)
  let start = 1;
  let explicit = false; // the current chunk was opened by `---`
  const close = () => {
    const chunk = from < 0 ? "" : text.slice(from, to);
    if (explicit || hasContent(chunk)) chunks.push({ text: chunk, startLine: start });
  };
  for (let i = 0, pos = 0; pos <= text.length; i++) {
    const nl = text.indexOf("\n", pos);
    const end = nl < 0 ? text.length : nl;
    const c = text.charCodeAt(pos);
    // Only lines starting with `---` or `...` can be markers.
    const line = c === 45 || c === 46 ? text.slice(pos, end) : undefined;
    if (line !== undefined && DOC_SEPARATOR.test(line)) {
      close();
      explicit = true;
      const content = !!line.slice(3).replace(/(^|\s)#.*$/, "").trim();
      from = content ? pos : -1;
      to = end;
      start = content ? i + 1 : i + 2;
    } else if (line !== undefined && DOC_END.test(line)) {
      close();
      explicit = false;
      from = -1;
      start = i + 2;
    } else if (from < 0 && !NON_SPACE_LINE.test(text.slice(pos, end))) {
      start = i + 2;
    } else {
      if (from < 0) from = pos;
      to = end;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  if (from >= 0 || chunks.length === 0) chunks.push({ text: from < 0 ? "" : text.slice(from, to), startLine: start });
  return chunks;
}
const NON_SPACE_LINE = /\S/;

/** Splits at `---` and `...` lines (see {@link splitDocuments}), from the lines of the text. */
function splitDocumentLines(text: string): { text: string; startLine: number }[] {
  const lines = text.split(/\r?\n/);
  const chunks: { text: string; startLine: number }[] = [];
  let cur: string[] = [];
  let start = 1;
  let explicit = false; // the current chunk was opened by `---`
  const close = () => {
    if (explicit || hasContent(cur.join("\n"))) chunks.push({ text: cur.join("\n"), startLine: start });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (DOC_SEPARATOR.test(line)) {
      close();
      explicit = true;
      const rest = line.slice(3).replace(/(^|\s)#.*$/, "");
      cur = rest.trim() ? [line] : [];
      start = rest.trim() ? i + 1 : i + 2;
      continue;
    }
    if (DOC_END.test(line)) {
      close();
      explicit = false;
      cur = [];
      start = i + 2;
      continue;
    }
    if (cur.length === 0 && !/\S/.test(line)) { start = i + 2; continue; }
    cur.push(line);
  }
  if (cur.length || chunks.length === 0) chunks.push({ text: cur.join("\n"), startLine: start });
  return chunks;
}

/**
 * Depth and alias-expansion guard: walks the value counting nodes (containers and scalars) as if
 * aliases were expanded, without expanding them; stops as soon as a limit is crossed, so an alias bomb
 * costs at most `maxNodes` steps.
 */
function checkShape(value: unknown, limits: LoadLimits): Omit<Diagnostic, "file"> | undefined {
  const tooLarge = {
    code: "yaml/too-large", severity: "error" as const,
    message: `document has more than ${limits.maxNodes} nodes once YAML aliases are expanded; split it or avoid deeply reused anchors`,
  };
  let nodes = 1;
  const stack: [object, number][] = value !== null && typeof value === "object" ? [[value, 1]] : [];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > limits.maxDepth) {
      return { code: "yaml/too-deep", severity: "error", message: `document is nested deeper than ${limits.maxDepth} levels` };
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (++nodes > limits.maxNodes) return tooLarge;
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Copies a parsed value so that every alias becomes its own object (js-yaml shares the anchored
 * object). Only called after {@link checkShape}, so the copy is bounded by the limits.
 */
function expandAliases(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expandAliases);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandAliases(x)]));
  return v;
}

/**
 * Finds the 1-based line (and column) of a JSON Pointer in a block-style YAML document.
 * Handles block mappings, sequences (indented or at the key's indentation, `- key: v` items, nested
 * `- - x`), quoted keys, anchors and tags before a value, comments and blank lines. Flow-style
 * (`{a: 1}`) nodes, aliases and block scalars resolve to the line where that value starts. Best
 * effort: returns the deepest ancestor found (the document's first content line for `""` or when not
 * even the first token is found); undefined only for a document without content.
 */
export function locatePointer(doc: Pick<SourceDocument, "text" | "startLine">, ptr: string): { line: number; column: number } | undefined {
  const { lines, cols, items, sequences, mappings, ends } = prepare(doc.text);
  // Whether line i, at its content column c, is a sequence item ("- " or a lone "-").
  const isItem = (i: number, c: number): boolean => (c === cols[i] ? items[i] === 1 : SEQ_ITEM.test(lines[i].slice(c)));
  // End (exclusive) of the lines after `hit` that belong to it: those for which `inside` holds. Lines
  // after `hit` never have the `firstCol` override, so the result only depends on the arguments.
  const regionEnd = (kind: string, hit: number, col: number, to: number, inside: (c: number, i: number) => boolean): number => {
    const key = `${kind}:${hit}:${col}:${to}`;
    let end = ends.get(key);
    if (end === undefined) {
      for (end = hit + 1; end < to && inside(cols[end], end); end++);
      ends.set(key, end);
    }
    return end;
  };
  const tokens = ptr === "" ? [] : ptr.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  // Region: [from, to) lines; `firstCol` overrides the content column of line `from` (after "- ").
  let from = 0;
  let to = lines.length;
  let firstCol: number | undefined;
  const contentCol = (i: number): number => (i === from && firstCol !== undefined ? firstCol : cols[i]);
  const rootLine = lines.findIndex((_, i) => contentCol(i) >= 0);
  if (rootLine < 0) return undefined;
  let found = { line: doc.startLine + rootLine, column: contentCol(rootLine) + 1 };
  for (const token of tokens) {
    // First content line of the region decides whether it is a sequence or a mapping.
    let first = -1;
    for (let i = from; i < to; i++) if (contentCol(i) >= 0) { first = i; break; }
    if (first < 0) break;
    const col = contentCol(first);
    const isSeq = isItem(first, col);
    let hit = -1;
    if (isSeq) {
      if (!/^\d+$/.test(token)) break;
      // The item lines of this sequence, found once per document (many diagnostics may point into it).
      const key = `${first}:${col}:${to}`;
      let itemLines = sequences.get(key);
      if (!itemLines) {
        itemLines = [];
        for (let i = first; i < to; i++) {
          const c = contentCol(i);
          if (c === col && isItem(i, c)) itemLines.push(i);
          else if (c >= 0 && c < col) break;
        }
        sequences.set(key, itemLines);
      }
      hit = itemLines[Number(token)] ?? -1;
      if (hit < 0) break;
      // The item's content: after "- " and any anchor/tag, on this line or (when nothing is left) below.
      const after = /^-\s*(?:[&!]\S*\s*)*/.exec(lines[hit].slice(col))![0].length;
      const rest = lines[hit].slice(col + after);
      found = { line: doc.startLine + hit, column: col + after + 1 };
      const end = regionEnd("item", hit, col, to, (c) => c < 0 || c > col);
      if (rest === "" || rest.startsWith("#")) { from = hit + 1; firstCol = undefined; }
      else { from = hit; firstCol = col + after; }
      to = end;
      continue;
    }
    // The keys of this mapping (plain, "double" or 'single' quoted, taken literally), found once per
    // document; the first occurrence of a key wins.
    const key = `${first}:${col}:${to}`;
    let keys = mappings.get(key);
    if (!keys) {
      keys = new Map();
      for (let i = first; i < to; i++) {
        const c = contentCol(i);
        if (c >= 0 && c < col) break;
        if (c !== col) continue;
        const m = KEY.exec(lines[i].slice(c));
        const k = m ? m[1] ?? m[2] ?? m[3] : undefined;
        if (k !== undefined && !keys.has(k)) keys.set(k, { line: i, length: m![0].length });
      }
      mappings.set(key, keys);
    }
    const entry = keys.get(token);
    if (!entry) break;
    hit = entry.line;
    found = { line: doc.startLine + hit, column: col + 1 };
    // The value: inline (scalar, flow collection, alias, block scalar) ends the search here; otherwise
    // it is on the following lines, indented deeper or a sequence at the key's own indentation.
    const value = lines[hit].slice(col + entry.length).replace(/^\s*(?:[&!]\S*\s*)*/, "");
    if (value !== "" && !value.startsWith("#")) break;
    const end = regionEnd("value", hit, col, to, (c, i) => c < 0 || c > col || (c === col && items[i] === 1));
    from = hit + 1; firstCol = undefined; to = end;
  }
  return found;
}

const SEQ_ITEM = /^-(\s|$)/;
/** A mapping key at the start of a line: "quoted", 'quoted' or plain (lazily, up to the first `: `). */
const KEY = /^(?:"([^"]*)"|'([^']*)'|(.*?))\s*:(?:\s|$)/;

/**
 * The documents located in lately (at most {@link PREPARED_MAX}, oldest dropped first), with each
 * line's content column (-1: blank, comment, marker). Adapters report per destination, i.e. about a few
 * documents in turn: keeping several avoids splitting the same text again and again.
 */
const preparedTexts = new Map<string, Prepared>();
const PREPARED_MAX = 8;

interface Prepared {
  text: string;
  lines: string[];
  /** Content column of each line; -1 for blank lines, comments, `---`/`...` markers and directives. */
  cols: Int32Array;
  /** 1 when the line's content is a sequence item (`- x` or a lone `-`). */
  items: Uint8Array;
  /** Item lines of the sequences already searched, by `first line:column:region end`. */
  sequences: Map<string, number[]>;
  /** Keys (→ line, length of `key:`) of the mappings already searched, by `first line:column:region end`. */
  mappings: Map<string, Map<string, { line: number; length: number }>>;
  /** Ends of the regions already computed (see `regionEnd`). */
  ends: Map<string, number>;
}

/** Splits a document once for all the pointers located in it (diagnostics of one document come together). */
function prepare(text: string): Prepared {
  const known = preparedTexts.get(text);
  if (known) return known;
  const lines = text.split(/\r?\n/);
  const cols = new Int32Array(lines.length);
  const items = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const start = /^---[ \t]+(?=\S)/.exec(line); // `--- {a: 1}`: content on the document-start line
    const indent = start ? start[0].length : /^\s*/.exec(line)![0].length;
    const ch = line.charAt(indent);
    cols[i] = ch === "" || ch === "#" || (!start && indent === 0 && (/^(---|\.\.\.)(\s|$)/.test(line) || ch === "%")) ? -1 : indent;
    items[i] = cols[i] >= 0 && SEQ_ITEM.test(line.slice(indent)) ? 1 : 0;
  });
  const prepared = { text, lines, cols, items, sequences: new Map(), mappings: new Map(), ends: new Map() };
  if (preparedTexts.size >= PREPARED_MAX) preparedTexts.delete(preparedTexts.keys().next().value!);
  preparedTexts.set(text, prepared);
  return prepared;
}
