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
  implicit: [fastFloat(), new yaml.Type("tag:yaml.org,2002:merge", { kind: "scalar", resolve: (d: unknown) => d === "<<" || d === null })],
});

/**
 * js-yaml's float type (it replaces the CORE schema's, at its place in the list) with a test of the
 * first character before its regular expression. Every plain scalar, keys included, is tried against
 * each implicit type in turn, and a float can only start with a digit, `-`, `+` or `.` (its pattern:
 * `[-+]?[0-9]…`, `\.[0-9]…`, `[-+]?\.inf`, `\.nan`): other scalars are rejected without running the
 * pattern. Tag, construction and representation are the float type's own: the values are the same.
 */
function fastFloat(): yaml.Type {
  // js-yaml exports its types (`yaml.types`); @types/js-yaml does not declare them.
  const float = (yaml as unknown as { types: { float: JsYamlType } }).types.float;
  return new yaml.Type(float.tag, {
    kind: "scalar",
    resolve: (data: unknown) => {
      if (typeof data !== "string" || data.length === 0) return float.resolve(data);
      const c = data.charCodeAt(0);
      return (c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57)) && float.resolve(data);
    },
    construct: float.construct,
    predicate: float.predicate ?? undefined,
    represent: float.represent ?? undefined,
    defaultStyle: float.defaultStyle ?? undefined,
  });
}

/** The fields of a js-yaml type that {@link fastFloat} reuses. */
interface JsYamlType {
  tag: string;
  resolve(data: unknown): boolean;
  construct(data: unknown): unknown;
  predicate: ((data: object) => boolean) | null;
  represent: ((data: object) => unknown) | null;
  defaultStyle: string | null;
}

/**
 * Splits a file into YAML documents and parses each with js-yaml's CORE schema (YAML 1.2 core: no
 * timestamps, `yes`/`no` stay strings; merge keys `<<` allowed). Empty documents (e.g. after a trailing
 * `---`) are skipped. Aliases are expanded: the value of a document holds no shared objects, exactly as
 * if every alias had been written out (limits count the expanded nodes).
 *
 * @returns the documents and the problems found: `yaml/syntax`, `yaml/duplicate-key`, `yaml/too-deep`,
 *   `yaml/too-large`, `input/too-large`, `input/empty-file`. Never throws on bad input.
 */
export function parseDocuments(text: string, file: string, limits: LoadLimits = DEFAULT_LIMITS): { documents: SourceDocument[]; diagnostics: Diagnostic[] } {
  const documents: SourceDocument[] = [];
  const diagnostics = parseEach(text, file, limits, (d) => documents.push(d));
  return { documents, diagnostics };
}

/**
 * {@link parseDocuments}, handing each document to `onDocument` as soon as it is parsed (in order), so a
 * caller can look at it while it is still in the processor's cache. Returns the diagnostics.
 * @internal
 */
export function parseEach(text: string, file: string, limits: LoadLimits, onDocument: (d: SourceDocument) => void): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short texts need no count.
  if (text.length * 3 > limits.maxFileBytes && Buffer.byteLength(text, "utf8") > limits.maxFileBytes) {
    diagnostics.push({
      code: "input/too-large",
      severity: "error",
      file,
      message: `file is larger than ${limits.maxFileBytes} bytes; split it into several files`,
    });
    return diagnostics;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const chunks = splitDocuments(text);
  // js-yaml counts every node (scalars too) as a level: one more than our container depth.
  const options = { schema: YAML_SCHEMA, filename: file, maxDepth: limits.maxDepth + 1 } as yaml.LoadOptions;
  let nonEmpty = 0;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i];
    if (!hasContent(chunk.text)) continue;
    let value: unknown;
    try {
      value = yaml.load(chunk.source ?? chunk.text, options);
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
    onDocument({ file, index: i, startLine: chunk.startLine, text: chunk.text, value: chunk.text.includes("&") ? expandAliases(value) : value });
  }
  if (nonEmpty === 0) {
    diagnostics.push({ code: "input/empty-file", severity: "warning", file, message: "file holds no YAML document" });
  }
  return diagnostics;
}

/** A js-yaml exception as a diagnostic (without file and document index). */
function yamlError(e: unknown, chunk: { text: string; startLine: number }, limits: LoadLimits): Omit<Diagnostic, "file"> {
  const err = e as Partial<yaml.YAMLException>;
  const reason = err.reason ?? (e instanceof Error ? e.message : String(e));
  const where = err.mark ? { line: chunk.startLine + err.mark.line, column: err.mark.column + 1 } : { line: chunk.startLine };
  if (/duplicated mapping key/.test(reason)) {
    const key = err.mark ? keyAt(chunk.text.split("\n")[err.mark.line] ?? "", err.mark.column) : undefined;
    return {
      code: "yaml/duplicate-key",
      severity: "error",
      ...where,
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
function splitDocuments(text: string): Chunk[] {
  return text.includes("\r") ? splitDocumentLines(text) : splitDocumentsLf(text);
}

/**
 * {@link splitDocumentLines} for text without `\r`: the same chunks, cut out of the text instead of
 * re-joined from its lines (a chunk is a run of consecutive lines).
 */
function splitDocumentsLf(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let from = -1; // offset of the current chunk's first line (-1: no line yet)
  let to = 0; // end of its last line (exclusive, before the line break)
  let start = 1;
  let explicit = false; // the current chunk was opened by `---`
  const close = () => {
    const chunk = from < 0 ? "" : text.slice(from, to);
    if (explicit || hasContent(chunk)) chunks.push(withSource({ text: chunk, startLine: start }, text, from, to));
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
      const content = !!line
        .slice(3)
        .replace(/(^|\s)#.*$/, "")
        .trim();
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
  if (from >= 0 || chunks.length === 0) chunks.push(withSource({ text: from < 0 ? "" : text.slice(from, to), startLine: start }, text, from, to));
  return chunks;
}

/**
 * Adds `source`, the chunk with the line break that follows it in the file: js-yaml appends a `\n` to
 * a text that does not end with one, i.e. copies it; a slice that already ends with it is the same text
 * without that copy.
 */
function withSource(chunk: Chunk, text: string, from: number, to: number): Chunk {
  if (from >= 0 && text.charCodeAt(to) === 10) chunk.source = text.slice(from, to + 1);
  return chunk;
}

/** A document's text cut out of its file, and the 1-based line it starts on. */
interface Chunk {
  text: string;
  startLine: number;
  /** `text + "\n"`, when the file has that line break (see {@link withSource}). */
  source?: string;
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
    if (cur.length === 0 && !/\S/.test(line)) {
      start = i + 2;
      continue;
    }
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
  // Depth-first with an explicit stack, containers pushed in order and taken from the end; the stack is
  // two parallel arrays (no [value, depth] pair per container) and an object's values are read with
  // for-in over its own keys (no Object.values array): the same walk, the same first problem found.
  let nodes = 1;
  if (value === null || typeof value !== "object") return undefined;
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop()!;
    const depth = depths.pop()!;
    if (depth > limits.maxDepth) {
      return { code: "yaml/too-deep", severity: "error", message: `document is nested deeper than ${limits.maxDepth} levels` };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (++nodes > limits.maxNodes) return tooLarge(limits);
        const child = v[i];
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (++nodes > limits.maxNodes) return tooLarge(limits);
        const child = (v as Record<string, unknown>)[k];
        if (child !== null && typeof child === "object") {
          stack.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}

function tooLarge(limits: LoadLimits): Omit<Diagnostic, "file"> {
  return {
    code: "yaml/too-large",
    severity: "error",
    message: `document has more than ${limits.maxNodes} nodes once YAML aliases are expanded; split it or avoid deeply reused anchors`,
  };
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
  const prepared = prepare(doc.text);
  // Adapters report several diagnostics at the same place (`/spec`, a split target): each pointer of a
  // document is searched once. Positions are kept relative to the document (identical texts at different
  // start lines share them); every call returns a new object, as a search would.
  // (Only pointers are remembered by themselves: `""` or `/...`, never one of the memo's other keys.)
  const remember = ptr === "" || ptr.charCodeAt(0) === 47;
  let found = remember ? (prepared.memo.get(ptr) as Located | undefined) : undefined;
  if (found === undefined) {
    found = search(prepared, ptr) ?? NOT_FOUND;
    if (remember && prepared.memo.size < MEMO_MAX) prepared.memo.set(ptr, found);
  }
  return found === NOT_FOUND ? undefined : { line: doc.startLine + found.line, column: found.column };
}

/** {@link locatePointer}'s result relative to the document: 0-based line, 1-based column. */
interface Located {
  line: number;
  column: number;
}
const NOT_FOUND: Located = { line: -1, column: -1 };
/** Entries remembered per document (a bound, whatever a caller asks; past it, searches are redone). */
const MEMO_MAX = 1024;

/** The search of {@link locatePointer} in a prepared document; undefined for a document without content. */
function search(p: Prepared, ptr: string): Located | undefined {
  const { info, memo } = p;
  const tokens = ptr === "" ? [] : ptr.slice(1).split("/");
  if (ptr.includes("~")) for (let i = 0; i < tokens.length; i++) tokens[i] = tokens[i].replace(/~1/g, "/").replace(/~0/g, "~");
  // Region: [from, to) lines; `firstCol` overrides the content column of line `from` (after "- ").
  let from = 0;
  let to = p.count;
  let firstCol = -1; // -1: no override
  const rootLine = p.firstContent;
  if (rootLine < 0) return undefined;
  let found: Located = { line: rootLine, column: info[rootLine * 4 + COL] + 1 };
  for (const token of tokens) {
    // First content line of the region decides whether it is a sequence or a mapping.
    let first = -1;
    for (let i = from; i < to; i++)
      if (contentCol(p, i, from, firstCol) >= 0) {
        first = i;
        break;
      }
    if (first < 0) break;
    const col = contentCol(p, first, from, firstCol);
    const isSeq = isItem(p, first, col);
    let hit: number;
    if (isSeq) {
      if (!/^\d+$/.test(token)) break;
      // The item lines of this sequence, found once per document (many diagnostics may point into it).
      const key = `s${first}:${col}:${to}`;
      let itemLines = memo.get(key) as number[] | undefined;
      if (!itemLines) {
        itemLines = [];
        for (let i = first; i < to; i++) {
          const c = contentCol(p, i, from, firstCol);
          if (c === col && isItem(p, i, c)) itemLines.push(i);
          else if (c >= 0 && c < col) break;
        }
        memo.set(key, itemLines);
      }
      hit = itemLines[Number(token)] ?? -1;
      if (hit < 0) break;
      // The item's content: after "- " and any anchor/tag, on this line or (when nothing is left) below.
      const after = itemContentOffset(p, hit, col);
      const end = regionEnd(p, ITEM, hit, col, to);
      if (restIsEmpty(p, hit, col + after)) {
        // The content starts on a later line (`-` alone, or only an anchor or tag): it is located there.
        let below = hit + 1;
        while (below < end && info[below * 4 + COL] < 0) below++;
        found = below < end ? { line: below, column: info[below * 4 + COL] + 1 } : { line: hit, column: col + after + 1 };
        from = hit + 1;
        firstCol = -1;
      } else {
        found = { line: hit, column: col + after + 1 };
        from = hit;
        firstCol = col + after;
      }
      to = end;
      continue;
    }
    // The keys of this mapping (plain, "double" or 'single' quoted, taken literally), found once per
    // document; the first occurrence of a key wins.
    const key = `m${first}:${col}:${to}`;
    let keys = memo.get(key) as Map<string, { line: number; length: number }> | undefined;
    if (!keys) {
      keys = new Map();
      for (let i = first; i < to; i++) {
        const c = contentCol(p, i, from, firstCol);
        if (c >= 0 && c < col) break;
        if (c !== col) continue;
        let k: string | undefined;
        let length: number; // of the match, `key:` and the space after it
        const plain = plainKeyLength(p, i, c);
        if (plain >= 0) {
          const start = info[i * 4 + START] + c;
          k = plainKey(p.text.slice(start, start + (plain >> 8)));
          length = plain & 0xff;
        } else {
          const m = KEY.exec(lineText(p, i).slice(c));
          k = m ? (m[1] !== undefined ? doubleQuotedKey(m[1]) : m[2] !== undefined ? m[2].replace(/''/g, "'") : plainKey(m[3])) : undefined;
          length = m ? m[0].length : 0;
        }
        if (k !== undefined && !keys.has(k)) keys.set(k, { line: i, length });
      }
      memo.set(key, keys);
    }
    const entry = keys.get(token);
    if (!entry) break;
    hit = entry.line;
    found = { line: hit, column: col + 1 };
    // The value: inline (scalar, flow collection, alias, block scalar) ends the search here; otherwise
    // it is on the following lines, indented deeper or a sequence at the key's own indentation.
    if (!valueIsEmpty(p, hit, col + entry.length)) break;
    const end = regionEnd(p, VALUE, hit, col, to);
    from = hit + 1;
    firstCol = -1;
    to = end;
  }
  return found;
}

/** The content column of line `i` in a region starting at `from`, whose first line may be overridden. */
function contentCol(p: Prepared, i: number, from: number, firstCol: number): number {
  return i === from && firstCol >= 0 ? firstCol : p.info[i * 4 + COL];
}

/** Whether line i, at its content column c, is a sequence item ("- " or a lone "-"). */
function isItem(p: Prepared, i: number, c: number): boolean {
  return c === p.info[i * 4 + COL] ? p.info[i * 4 + ITEM_FLAG] === 1 : SEQ_ITEM.test(lineText(p, i).slice(c));
}

const ITEM = 0;
const VALUE = 1;

/**
 * End (exclusive) of the lines after `hit` that belong to it: for an ITEM, those blank or indented
 * deeper than `col`; for a VALUE, also sequence items at `col`. Lines after `hit` never have the
 * `firstCol` override, so the result only depends on the arguments.
 */
function regionEnd(p: Prepared, kind: typeof ITEM | typeof VALUE, hit: number, col: number, to: number): number {
  const key = `${kind === ITEM ? "i" : "v"}${hit}:${col}:${to}`;
  let end = p.memo.get(key) as number | undefined;
  if (end === undefined) {
    const { info } = p;
    for (end = hit + 1; end < to; end++) {
      const c = info[end * 4 + COL];
      if (!(c < 0 || c > col || (kind === VALUE && c === col && info[end * 4 + ITEM_FLAG] === 1))) break;
    }
    p.memo.set(key, end);
  }
  return end;
}

/**
 * `/^-\s*(?:[&!]\S*\s*)*\/.exec(line.slice(col))[0].length` on an item line: the offset of the item's
 * content after `- ` and any anchors and tags. Read from the character codes when spaces (ASCII) lead to
 * something else than an anchor or tag; the expression answers otherwise.
 */
function itemContentOffset(p: Prepared, i: number, col: number): number {
  const { text, info } = p;
  const start = info[i * 4 + START] + col;
  const stop = info[i * 4 + STOP];
  let j = start + 1; // after "-"
  while (j < stop && isAsciiSpace(text.charCodeAt(j))) j++;
  const c = j < stop ? text.charCodeAt(j) : -1;
  if (c === 38 /* & */ || c === 33 /* ! */ || c >= 128) return /^-\s*(?:[&!]\S*\s*)*/.exec(lineText(p, i).slice(col))![0].length;
  return j - start;
}

/** `rest === "" || rest.startsWith("#")` for the rest of line `i` from column `c`. */
function restIsEmpty(p: Prepared, i: number, c: number): boolean {
  const at = p.info[i * 4 + START] + c;
  return at >= p.info[i * 4 + STOP] || p.text.charCodeAt(at) === 35;
}

/**
 * Whether a key's value is not on its line: `line.slice(c).replace(/^\s*(?:[&!]\S*\s*)*\/, "")` is empty
 * or a comment. Read from the character codes when spaces (ASCII) lead to something else than an anchor
 * or tag; the expression answers otherwise.
 */
function valueIsEmpty(p: Prepared, i: number, c: number): boolean {
  const { text, info } = p;
  const stop = info[i * 4 + STOP];
  let j = info[i * 4 + START] + c;
  while (j < stop && isAsciiSpace(text.charCodeAt(j))) j++;
  if (j >= stop) return true;
  const ch = text.charCodeAt(j);
  if (ch === 38 /* & */ || ch === 33 /* ! */ || ch >= 128) {
    const value = lineText(p, i)
      .slice(c)
      .replace(/^\s*(?:[&!]\S*\s*)*/, "");
    return value === "" || value.startsWith("#");
  }
  return ch === 35;
}

/**
 * {@link KEY} on line `i` from column `c`, read from the character codes, for the common case: a plain
 * key of printable ASCII (or tabs) up to the first `:` followed by a space or the line's end. Returns
 * `keyLength << 8 | matchLength`; -1 when KEY itself must answer (a quote first, another character
 * before that `:`, a match longer than 255, or no such `:` on the line).
 */
function plainKeyLength(p: Prepared, i: number, c: number): number {
  const { text } = p;
  const from = p.info[i * 4 + START] + c;
  const stop = p.info[i * 4 + STOP];
  const first = text.charCodeAt(from);
  if (first === 34 /* " */ || first === 39 /* ' */) return -1;
  // `(.*?)\s*:(?:\s|$)`: the shortest key followed by optional spaces, `:`, then a space or the end.
  let spaces = -1; // start of the spaces before the current position (-1: none)
  for (let j = from; j < stop; j++) {
    const ch = text.charCodeAt(j);
    if (ch === 58 /* : */) {
      const next = j + 1 < stop ? text.charCodeAt(j + 1) : -1;
      if (next >= 128) return -1;
      if (next < 0 || isAsciiSpace(next)) {
        const keyLength = (spaces >= 0 ? spaces : j) - from;
        const matchLength = j + 1 - from + (next < 0 ? 0 : 1);
        return matchLength > 255 ? -1 : (keyLength << 8) | matchLength;
      }
      spaces = -1;
    } else if (ch === 32 || ch === 9) {
      if (spaces < 0) spaces = j;
    } else if (ch > 32 && ch < 127) {
      spaces = -1;
    } else return -1;
  }
  return -1;
}

const SEQ_ITEM = /^-(\s|$)/;
/** A mapping key at the start of a line: "quoted", 'quoted' or plain (lazily, up to the first `: `). */
const KEY = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|(.*?))\s*:(?:\s|$)/;

/**
 * A plain key as js-yaml's value has it: the text of what it resolves to in the CORE schema (`0x1F` is
 * the key "31", `~` is "null", `TRUE` is "true"). Only keys that can be something else than a string
 * (a digit, sign, `.` or `~` first, or one of the null and boolean words) are resolved.
 */
function plainKey(k: string): string {
  const c = k.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 126 || RESOLVED_WORDS.has(k))) return k;
  try {
    const v: unknown = yaml.load(k, { schema: yaml.CORE_SCHEMA });
    return v !== null && typeof v === "object" ? k : String(v);
  } catch {
    return k;
  }
}
const RESOLVED_WORDS = new Set(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);

/** The text of a double-quoted key (between the quotes), its escapes (`\"`, `\\`, `\u00e9`...) read by js-yaml. */
function doubleQuotedKey(k: string): string {
  if (!k.includes("\\")) return k;
  try {
    return String(yaml.load(`"${k}"`));
  } catch {
    return k;
  }
}

/**
 * The documents located in lately (at most {@link PREPARED_MAX}, most recent first; the oldest is
 * dropped), with each line's content column (-1: blank, comment, marker). Adapters report per
 * destination, i.e. about a few documents in turn: keeping several avoids analysing the same text again
 * and again. A short list compared with `===` rather than a Map by text: a Map would hash every text
 * (reading all of it) the first time it is looked up; comparing strings of other lengths costs nothing,
 * and the same string object is found by its address.
 */
const preparedTexts: Prepared[] = [];
const PREPARED_MAX = 8;

interface Prepared {
  text: string;
  /** Number of lines (as `text.split(/\r?\n/)` makes them). */
  count: number;
  /**
   * Per line, 4 numbers: the offset in `text` of its first character (START), of its end before its
   * `\n` or `\r\n` (STOP), its content column (COL; -1 for blank lines, comments, `---`/`...` markers and
   * directives) and 1 when its content is a sequence item, `- x` or a lone `-` (ITEM_FLAG).
   */
  info: number[];
  /** Lines already cut out of the text (most lines are never looked at as text). */
  lines?: (string | undefined)[];
  /** The first line with content (-1: none). */
  firstContent: number;
  /**
   * What was already found in this document: results by pointer (`""`, `/...`), and the item lines of
   * sequences (`s<first line>:<column>:<region end>`), the keys of mappings (`m...`) and the ends of
   * regions (`i...`, `v...`) searched, since many diagnostics point into the same places.
   */
  memo: Map<string, unknown>;
}
const START = 0;
const STOP = 1;
const COL = 2;
const ITEM_FLAG = 3;

/** Line `i` of a prepared text, cut out on first use. */
function lineText(p: Prepared, i: number): string {
  const lines = (p.lines ??= []);
  return (lines[i] ??= p.text.slice(p.info[i * 4 + START], p.info[i * 4 + STOP]));
}

/**
 * Analyses a document once for all the pointers located in it (diagnostics of one document come
 * together): its lines (those of `text.split(/\r?\n/)`), and each one's content column and whether it
 * is a sequence item, as {@link analyseLine} defines them. Lines are found by scanning for `\n` rather
 * than split into strings; a line is analysed from its character codes (see {@link analyseLineCodes}).
 */
function prepare(text: string): Prepared {
  for (let i = 0; i < preparedTexts.length; i++) {
    const known = preparedTexts[i];
    if (known.text === text) {
      if (i > 0) {
        preparedTexts.splice(i, 1);
        preparedTexts.unshift(known);
      }
      return known;
    }
  }
  let count = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  // A plain array of small integers: a typed array this size would be allocated outside the heap, which
  // costs more than the array itself for documents of a few dozen lines.
  const info: number[] = new Array(count * 4).fill(0);
  let lines: (string | undefined)[] | undefined;
  let firstContent = -1;
  for (let i = 0, start = 0; i < count; i++) {
    const nl = i === count - 1 ? text.length : text.indexOf("\n", start);
    // split(/\r?\n/): the line ends before `\r\n` or `\n`.
    const stop = nl > start && nl < text.length && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    info[i * 4 + START] = start;
    info[i * 4 + STOP] = stop;
    let col = analyseLineCodes(text, start, stop);
    if (col === UNKNOWN) {
      const line = ((lines ??= [])[i] = text.slice(start, stop));
      const [c, item] = analyseLine(line);
      col = c >= 0 ? c * 2 + item : -1;
    }
    info[i * 4 + COL] = col >= 0 ? col >> 1 : -1;
    info[i * 4 + ITEM_FLAG] = col >= 0 ? col & 1 : 0;
    if (firstContent < 0 && col >= 0) firstContent = i;
    start = nl + 1;
  }
  const prepared: Prepared = { text, count, info, lines, firstContent, memo: new Map() };
  if (preparedTexts.length >= PREPARED_MAX) preparedTexts.pop();
  preparedTexts.unshift(prepared);
  return prepared;
}

/**
 * The definition of a line's content column (-1: blank, comment, `---`/`...` marker, directive) and of
 * whether its content is a sequence item.
 */
function analyseLine(line: string): [col: number, item: number] {
  const start = /^---[ \t]+(?=\S)/.exec(line); // `--- {a: 1}`: content on the document-start line
  const indent = start ? start[0].length : /^\s*/.exec(line)![0].length;
  const ch = line.charAt(indent);
  const col = ch === "" || ch === "#" || (!start && indent === 0 && (/^(---|\.\.\.)(\s|$)/.test(line) || ch === "%")) ? -1 : indent;
  return [col, col >= 0 && SEQ_ITEM.test(line.slice(indent)) ? 1 : 0];
}

const UNKNOWN = -2;

/**
 * {@link analyseLine} of `text[start, stop)` read from its character codes, without cutting the line
 * out: `col * 2 + item`, -1 for a line without content, or UNKNOWN when a character outside ASCII
 * decides (then analyseLine itself answers, its `\s` knowing every Unicode space).
 */
function analyseLineCodes(text: string, start: number, stop: number): number {
  const at = (i: number): number => (i < stop ? text.charCodeAt(i) : -1); // -1: end of line
  let indent = 0;
  // `^---[ \t]+(?=\S)`: content on the document-start line, after the marker.
  if (at(start) === 45 && at(start + 1) === 45 && at(start + 2) === 45) {
    let j = start + 3;
    while (at(j) === 32 || at(j) === 9) j++;
    const next = at(j);
    if (j > start + 3 && next >= 0) {
      if (next >= 128) return UNKNOWN;
      if (!isAsciiSpace(next)) indent = j - start;
    }
  }
  const marked = indent > 0;
  if (!marked) {
    // `^\s*`
    let j = start;
    for (let c = at(j); c >= 0; c = at(++j)) {
      if (c >= 128) return UNKNOWN;
      if (!isAsciiSpace(c)) break;
    }
    indent = j - start;
  }
  const ch = at(start + indent);
  if (ch < 0 || ch === 35 /* # */) return -1;
  if (!marked && indent === 0) {
    if (ch === 37 /* % */) return -1;
    // `^(---|\.\.\.)(\s|$)`
    if ((ch === 45 || ch === 46) && at(start + 1) === ch && at(start + 2) === ch) {
      const after = at(start + 3);
      if (after >= 128) return UNKNOWN;
      if (after < 0 || isAsciiSpace(after)) return -1;
    }
  }
  // SEQ_ITEM `^-(\s|$)` at the content column.
  let item = 0;
  if (ch === 45) {
    const after = at(start + indent + 1);
    if (after >= 128) return UNKNOWN;
    item = after < 0 || isAsciiSpace(after) ? 1 : 0;
  }
  return indent * 2 + item;
}

/** `\s` for an ASCII code: tab, line feed, vertical tab, form feed, carriage return, space. */
function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
