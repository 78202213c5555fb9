/** Canonical JSON: object keys sorted, for equality tests and hashes of model values. */

/** JSON with object keys sorted, for equality and hashing. */
export function canonicalJson(v: unknown): string {
  // Plain JSON data (the model's documents) is written directly; anything else (toJSON, functions,
  // class instances, keys JavaScript orders as integers, cycles) by the reference below.
  if (v !== null && typeof v === "object") {
    try {
      return canonicalPlain(v);
    } catch {
      // fall through: the reference gives the same result, or throws the same error
    }
  }
  return canonicalReference(v);
}

/** The definition of {@link canonicalJson}. */
function canonicalReference(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .filter((k) => val[k] !== undefined)
            .map((k) => [k, val[k]]),
        )
      : val,
  );
}

const NOT_PLAIN = new Error("not plain JSON data");

/** canonicalJson of plain data, as {@link canonicalReference} writes it; throws NOT_PLAIN otherwise. */
function canonicalPlain(v: unknown): string {
  switch (typeof v) {
    case "string":
      return quote(v);
    case "number":
      return Number.isFinite(v) ? String(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") throw NOT_PLAIN;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) throw NOT_PLAIN;
        let out = "[";
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          out += (i ? "," : "") + (x === undefined ? "null" : canonicalPlain(x));
        }
        return out + "]";
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
      const keys = Object.keys(v);
      if (!isSorted(keys)) keys.sort();
      let out = "{";
      let first = true;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        // Integer-like keys come first in a rebuilt object, whatever the sort said: left to the reference.
        const c = k.charCodeAt(0);
        if (c >= 48 && c <= 57) throw NOT_PLAIN;
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        out += (first ? "" : ",") + quoteKey(k) + ":" + canonicalPlain(x);
        first = false;
      }
      return out + "}";
    }
    default:
      throw NOT_PLAIN; // undefined, functions, symbols inside values, bigint
  }
}

/**
 * `JSON.stringify(s)` for a string: written directly when it has nothing JSON escapes (no `"`, `\`,
 * control character or lone surrogate: then JSON's text is the string in quotes), else by JSON.stringify.
 */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** {@link quote} of an object key, remembered: the documents use few distinct keys, again and again. */
function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = quote(k);
    if (quotedKeys.size < 4096) quotedKeys.set(k, q);
  }
  return q;
}
const quotedKeys = new Map<string, string>();

/** True when the strings are in code-unit order (what `sort()` would leave as it is). */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}
