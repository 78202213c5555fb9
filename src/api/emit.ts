/** Serializing generated objects: YAML documents or a JSON `List`, byte-identical for the same input. */
import yaml from "js-yaml";
import type { KubeObject } from "./adapter.js";

/** Output formats of `translate`. */
export type OutputFormat = "yaml" | "json";

/** js-yaml's options for every dump: the fast writer below produces exactly what they produce. */
const DUMP_OPTIONS: yaml.DumpOptions = { noRefs: true, lineWidth: -1, sortKeys: false, quotingType: '"' };

/**
 * YAML stream: one document per object, `---` separated, keys in the order given (translate()
 * already ordered them), no anchors, long strings never folded.
 */
export function toYaml(objects: readonly KubeObject[]): string {
  const scalars = new Map<string, string>();
  let out = "";
  for (const o of objects) out += "---\n" + dumpWith(o, scalars);
  return out;
}

/**
 * The same string, flattened (reading a character of a rope makes V8 flatten it). The writer's text is
 * a rope of many small appends: each document's is flattened as soon as it is written (its pieces die
 * young, cheap to collect), instead of a whole output of millions of pieces.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * One value as YAML (no anchors, no line folding). Strings YAML 1.1 readers would take for booleans or
 * numbers (`yes`, `on`, `1_000`) stay quoted, since kubectl reads YAML 1.1.
 */
export function dumpYaml(value: unknown): string {
  return dumpWith(value, new Map());
}

function dumpWith(value: unknown, scalars: Map<string, string>): string {
  const w: Writer = { out: "", scalars };
  return writeDocument(w, value) ? flat(w.out) : yaml.dump(value, DUMP_OPTIONS);
}

/**
 * Appends `yaml.dump(value, DUMP_OPTIONS)` to `w.out`; false (with `w.out` partly written) when the
 * value holds something only js-yaml writes.
 */
function writeDocument(w: Writer, value: unknown): boolean {
  if (value === undefined) return true; // js-yaml: ""
  try {
    writeNode(w, value, 0, true);
  } catch (e) {
    if (e !== UNSUPPORTED) throw e;
    return false;
  }
  w.out += "\n";
  return true;
}

// ------------------------------------------------------------------------------------------------
// A YAML writer for plain JSON data that reproduces `yaml.dump(value, DUMP_OPTIONS)` byte for byte
// (js-yaml 4: block style, indent 2, sequences indented inside mappings, `{}`/`[]` for empty
// collections, no folding). It follows js-yaml's writeNode/writeBlockMapping/writeBlockSequence, but
// appends to one string instead of concatenating the text of every node into its parent's. Every
// string that is not obviously plain is rendered by js-yaml itself (memoized), so quoting rules are
// js-yaml's. Anything else (class instances, Dates, typed arrays, keys over 1024 characters or with
// line breaks) makes the whole value fall back to `yaml.dump`, so the output never differs.

const UNSUPPORTED = Symbol("unsupported");

interface Writer {
  out: string;
  /** Rendering of the scalars js-yaml was asked for. */
  scalars: Map<string, string>;
}

const INDENTS: string[] = [];
function nextLine(level: number): string {
  return (INDENTS[level] ??= "\n" + " ".repeat(2 * level));
}

/** js-yaml writeNode for a defined value in block context (`compact` as js-yaml passes it). */
function writeNode(w: Writer, v: unknown, level: number, compact: boolean): void {
  switch (typeof v) {
    case "string": w.out += scalarValue(v, level, w.scalars); return;
    case "number": w.out += Number.isInteger(v) && !Object.is(v, -0) ? (v as number).toString(10) : otherScalar(v, w.scalars); return;
    case "boolean": w.out += v ? "true" : "false"; return;
    case "object": {
      if (v === null) { w.out += "null"; return; }
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) throw UNSUPPORTED;
        if (v.length === 0) w.out += "[]";
        else writeBlockSequence(w, v, level, compact);
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || Symbol.toStringTag in (v as object)) throw UNSUPPORTED;
      writeBlockMapping(w, v as Record<string, unknown>, level, compact);
      return;
    }
    default: throw UNSUPPORTED;
  }
}

/** Items are written compact, so none starts with a line break: always `- `. Undefined items are `null`. */
function writeBlockSequence(w: Writer, a: unknown[], level: number, compact: boolean): void {
  for (let i = 0; i < a.length; i++) {
    if (!compact || i > 0) w.out += nextLine(level);
    w.out += "- ";
    const x = a[i];
    if (x === undefined) w.out += "null";
    else writeNode(w, x, level + 1, true);
  }
}

/** Pairs with an undefined value are left out; `{}` when none is left. */
function writeBlockMapping(w: Writer, o: Record<string, unknown>, level: number, compact: boolean): void {
  const keys = Object.keys(o);
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = o[k];
    if (x === undefined) continue;
    if (!compact || !first) w.out += nextLine(level);
    first = false;
    // A value written on the following lines (a non-empty block collection) follows a bare `:`.
    w.out += scalarKey(k, w.scalars) + (startsOnNextLine(x) ? ":" : ": ");
    writeNode(w, x, level + 1, false);
  }
  if (first) w.out += "{}";
}

/** True when js-yaml's text of a mapping value starts with a line break: a block collection with something in it. */
function startsOnNextLine(x: unknown): boolean {
  if (x === null || typeof x !== "object") return false;
  if (Array.isArray(x)) return x.length > 0;
  for (const k in x) if (Object.hasOwn(x, k) && (x as Record<string, unknown>)[k] !== undefined) return true;
  return false;
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
  for (let i = 0; i < s.length; ) {
    const c = s.codePointAt(i)!;
    if (c !== 10 && !isPrintable(c)) return otherScalar(s, scalars);
    i += c >= 0x10000 ? 2 : 1;
  }
  return "|" + blockHeader(s) + dropEndingNewline(indentString(s, 2 * Math.max(1, level)));
}

/** js-yaml's isPrintable (a code point it writes as is in a literal or double-quoted scalar). */
function isPrintable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0xa1 && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
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
  "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
  "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
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
