/** Serializing generated objects: YAML documents or a JSON `List`, byte-identical for the same input. */
import yaml from "js-yaml";
import type { KubeObject } from "./adapter.js";

/** Output formats of `translate`. */
export type OutputFormat = "yaml" | "json";

/** js-yaml's options for every dump: the fast writer below produces exactly what they produce (test/api/emit-property.test.ts holds it to them). @internal */
export const DUMP_OPTIONS: yaml.DumpOptions = { noRefs: true, lineWidth: -1, sortKeys: false, quotingType: '"' };

/**
 * YAML stream: one document per object, `---` separated, keys in the order given (translate()
 * already ordered them), no anchors, long strings never folded.
 */
export function toYaml(objects: readonly KubeObject[]): string {
  // Documents are joined in batches of about BATCH_CHARS: `join` copies each document's text (a rope of
  // the writer's appends) once, straight into a large string (allocated outside the young generation),
  // while the rope itself dies young. Appending every document to the output instead kept each one alive
  // to the end, for the collector to copy again and again.
  const w = newWriter();
  let out = "";
  const batch: string[] = [];
  let batchChars = 0;
  for (const o of objects) {
    const text = documentText(w, o);
    batch.push("---\n", text);
    batchChars += 4 + text.length;
    if (batchChars >= BATCH_CHARS) {
      out += batch.join("");
      batch.length = 0;
      batchChars = 0;
    }
  }
  return batch.length ? out + batch.join("") : out;
}

/** Characters of output joined at once by {@link toYaml}. */
const BATCH_CHARS = 1 << 18;

/**
 * One value as YAML (no anchors, no line folding). Strings YAML 1.1 readers would take for booleans or
 * numbers (`yes`, `on`, `1_000`) stay quoted, since kubectl reads YAML 1.1.
 */
export function dumpYaml(value: unknown): string {
  return documentText(newWriter(), value);
}

/** `yaml.dump(value, DUMP_OPTIONS)`: the fast writer's text, or js-yaml's when the value holds something only js-yaml writes. */
function documentText(w: Writer, value: unknown): string {
  w.out = "";
  if (value === undefined) return ""; // js-yaml: ""
  try {
    writeNode(w, value, 0, true);
  } catch (e) {
    if (e !== UNSUPPORTED) throw e;
    return yaml.dump(value, DUMP_OPTIONS);
  }
  return w.out + "\n";
}

// ------------------------------------------------------------------------------------------------
// A YAML writer for plain JSON data that reproduces `yaml.dump(value, DUMP_OPTIONS)` byte for byte
// (js-yaml 4: block style, indent 2, sequences indented inside mappings, `{}`/`[]` for empty
// collections, no folding). It follows js-yaml's writeNode/writeBlockMapping/writeBlockSequence, but
// appends to one output instead of concatenating the text of every node into its parent's. Every
// string that is not obviously plain is rendered by js-yaml itself (memoized), so quoting rules are
// js-yaml's. Anything else (class instances, Dates, typed arrays, keys over 1024 characters or with
// line breaks) makes the whole value fall back to `yaml.dump`, so the output never differs.

const UNSUPPORTED = Symbol("unsupported");

interface Writer {
  /** The text of the document being written (appended to piece by piece: a rope). */
  out: string;
  /** Rendering of the scalars js-yaml was asked for. */
  scalars: Map<string, string>;
  /**
   * Per nesting level, the text that starts a mapping pair, by key: [`key: `, `key:`, `\n<indent>key: `,
   * `\n<indent>key:`] (see {@link pairStart}). Kubernetes objects use few distinct keys, each in
   * thousands of objects: rendered (and checked) once, then appended as one piece.
   */
  pairStarts: Map<string, string[]>[];
}

function newWriter(): Writer {
  return { out: "", scalars: new Map(), pairStarts: [] };
}

/** Distinct keys remembered per level: keys that differ from object to object are rendered each time past it. */
const PAIR_STARTS_MAX = 4096;

const INDENTS: string[] = [];
function nextLine(level: number): string {
  return (INDENTS[level] ??= "\n" + " ".repeat(2 * level));
}
/** `nextLine(level) + "- "`, the start of every sequence item but a compact first one. */
const ITEM_STARTS: string[] = [];
function nextItem(level: number): string {
  return (ITEM_STARTS[level] ??= nextLine(level) + "- ");
}
/** Decimal text of the integers 0 ≤ n < 65536 (ports, weights, counts), made once each. */
const SMALL_INTS: string[] = [];

/** js-yaml writeNode for a defined value in block context (`compact` as js-yaml passes it). */
function writeNode(w: Writer, v: unknown, level: number, compact: boolean): void {
  if (v !== null && typeof v === "object") {
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) throw UNSUPPORTED;
      if (v.length === 0) w.out += "[]";
      else writeBlockSequence(w, v, level, compact);
      return;
    }
    const keys = mappingKeys(v);
    if (keys === undefined) w.out += "{}";
    else writeBlockMapping(w, v as Record<string, unknown>, keys, level, compact);
    return;
  }
  writeScalar(w, v, level);
}

/** A scalar (or null) as js-yaml writes it. */
function writeScalar(w: Writer, v: unknown, level: number): void {
  switch (typeof v) {
    case "string":
      w.out += scalarValue(v, level, w.scalars);
      return;
    case "number":
      w.out += numberText(v, w.scalars);
      return;
    case "boolean":
      w.out += v ? "true" : "false";
      return;
    case "object":
      if (v === null) {
        w.out += "null";
        return;
      } // falls through
    default:
      throw UNSUPPORTED;
  }
}

/**
 * The keys of a mapping the writer handles (plain object, no `Symbol.toStringTag`); undefined when it
 * has no pair to write (every value undefined: js-yaml writes `{}`). Throws UNSUPPORTED for other objects.
 */
function mappingKeys(v: object): string[] | undefined {
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || Symbol.toStringTag in v) throw UNSUPPORTED;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) if ((v as Record<string, unknown>)[keys[i]] !== undefined) return keys;
  return undefined;
}

/** A number as js-yaml writes it: integers in decimal (small ones made once), anything else asked. */
function numberText(v: number, scalars: Map<string, string>): string {
  if (Number.isInteger(v) && !Object.is(v, -0)) {
    return v >= 0 && v < 65536 ? (SMALL_INTS[v] ??= v.toString(10)) : v.toString(10);
  }
  return otherScalar(v, scalars);
}

/** Items are written compact, so none starts with a line break: always `- `. Undefined items are `null`. */
function writeBlockSequence(w: Writer, a: unknown[], level: number, compact: boolean): void {
  for (let i = 0; i < a.length; i++) {
    w.out += !compact || i > 0 ? nextItem(level) : "- ";
    const x = a[i];
    if (x === undefined) w.out += "null";
    else writeNode(w, x, level + 1, true);
  }
}

/**
 * Pairs with an undefined value are left out (`keys` has a defined one). A value written on the
 * following lines (a non-empty block collection) follows a bare `:`; other values follow `: `.
 */
function writeBlockMapping(w: Writer, o: Record<string, unknown>, keys: string[], level: number, compact: boolean): void {
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = o[k];
    if (x === undefined) continue;
    const newLine = !compact || !first;
    first = false;
    if (x === null || typeof x !== "object") {
      w.out += pairStart(w, k, level, newLine, false);
      writeScalar(w, x, level + 1);
    } else if (Array.isArray(x)) {
      if (Object.getPrototypeOf(x) !== Array.prototype) throw UNSUPPORTED;
      w.out += pairStart(w, k, level, newLine, x.length > 0);
      if (x.length === 0) w.out += "[]";
      else writeBlockSequence(w, x, level + 1, false);
    } else {
      const childKeys = mappingKeys(x);
      w.out += pairStart(w, k, level, newLine, childKeys !== undefined);
      if (childKeys === undefined) w.out += "{}";
      else writeBlockMapping(w, x as Record<string, unknown>, childKeys, level + 1, false);
    }
  }
}

/** `(newLine ? nextLine(level) : "") + scalarKey(k) + (bare ? ":" : ": ")`, remembered per level and key. */
function pairStart(w: Writer, k: string, level: number, newLine: boolean, bare: boolean): string {
  const byKey = (w.pairStarts[level] ??= new Map());
  let starts = byKey.get(k);
  if (starts === undefined) {
    const key = scalarKey(k, w.scalars);
    const indented = nextLine(level) + key;
    starts = [key + ": ", key + ":", indented + ": ", indented + ":"];
    if (byKey.size < PAIR_STARTS_MAX) byKey.set(k, starts);
  }
  return starts[(newLine ? 2 : 0) + (bare ? 1 : 0)];
}

/** A mapping key: js-yaml writes a key over 1024 characters as an explicit `? ` pair (not handled here). */
function scalarKey(k: string, scalars: Map<string, string>): string {
  if (k.includes("\n")) throw UNSUPPORTED;
  const s = singleLine(k, scalars);
  if (s.length > 1024) throw UNSUPPORTED;
  return s;
}

function scalarValue(s: string, level: number, scalars: Map<string, string>): string {
  if (!s.includes("\n")) return singleLine(s, scalars);
  // js-yaml: a multi-line string with a character it cannot print as is → double quotes (whatever the
  // level); otherwise a literal block scalar indented for this level (lineWidth -1: never folded).
  for (let i = 0; i < s.length;) {
    const c = s.codePointAt(i)!;
    if (c !== 10 && !isPrintable(c)) return otherScalar(s, scalars);
    i += c >= 0x10000 ? 2 : 1;
  }
  return "|" + blockHeader(s) + dropEndingNewline(indentString(s, 2 * Math.max(1, level)));
}

/** js-yaml's isPrintable (a code point it writes as is in a literal or double-quoted scalar). */
function isPrintable(c: number): boolean {
  return (
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa1 && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

/** Strings that js-yaml writes as they are: a letter or `/` first, printable ASCII, no `#`, no `:` last, not a YAML 1.1/1.2 keyword. */
function singleLine(s: string, scalars: Map<string, string>): string {
  const n = s.length;
  if (n === 0) return '""';
  const first = s.charCodeAt(0);
  let plain = (first >= 97 && first <= 122) || (first >= 65 && first <= 90) || first === 47;
  for (let i = 1; plain && i < n; i++) {
    const c = s.charCodeAt(i);
    plain = c > 32 && c < 127 && c !== 35;
  }
  if (plain && s.charCodeAt(n - 1) !== 58 && !(n <= 5 && KEYWORDS.has(s))) return s;
  return otherScalar(s, scalars);
}

/** Anything else that js-yaml writes independently of the level (quoted strings, floats): asked once. */
function otherScalar(v: unknown, scalars: Map<string, string>): string {
  const key = typeof v === "string" ? "s" + v : "n" + String(Object.is(v, -0) ? "-0" : v);
  let s = scalars.get(key);
  if (s === undefined) {
    s = yaml.dump(v, DUMP_OPTIONS).slice(0, -1);
    scalars.set(key, s);
  }
  return s;
}

/** Words js-yaml quotes though they look plain: null/bool of the YAML 1.2 core schema and YAML 1.1 booleans. */
const KEYWORDS = new Set([
  "null",
  "Null",
  "NULL",
  "true",
  "True",
  "TRUE",
  "false",
  "False",
  "FALSE",
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "on",
  "On",
  "ON",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF",
]);

// js-yaml's blockHeader, dropEndingNewline and indentString (indent per level 2).
function blockHeader(s: string): string {
  const indentIndicator = /^\n* /.test(s) ? "2" : "";
  const clip = s[s.length - 1] === "\n";
  const keep = clip && (s[s.length - 2] === "\n" || s === "\n");
  return indentIndicator + (keep ? "+" : clip ? "" : "-") + "\n";
}

function dropEndingNewline(s: string): string {
  return s[s.length - 1] === "\n" ? s.slice(0, -1) : s;
}

function indentString(s: string, spaces: number): string {
  const ind = " ".repeat(spaces);
  let result = "";
  let position = 0;
  while (position < s.length) {
    const next = s.indexOf("\n", position);
    const line = next === -1 ? s.slice(position) : s.slice(position, next + 1);
    position = next === -1 ? s.length : next + 1;
    if (line.length && line !== "\n") result += ind;
    result += line;
  }
  return result;
}

/** A Kubernetes `v1 List` holding the objects, as indented JSON with a trailing newline. */
export function toJson(objects: readonly KubeObject[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2) + "\n";
}

/** Serializes in the given format. */
export function serialize(objects: readonly KubeObject[], format: OutputFormat): string {
  return format === "json" ? toJson(objects) : toYaml(objects);
}
