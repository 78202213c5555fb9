/**
 * Canonical JSON of string maps (pod labels, selectors), as the Linkerd adapter writes them into
 * diagnostics: the same text as `canonicalJson` of `src/api/model.ts`, written directly. Messages name a
 * selector for every destination, and the generic function (and the merged objects it was given) cost
 * several times more per call.
 */
import { canonicalJson } from "../../api/model.js";

/**
 * `canonicalJson(m)` for a plain object of string values: `{"a":"x","b":"y"}`, keys sorted by code
 * unit. Anything else (integer-like keys, which JavaScript orders first; non-string values; class
 * instances) is left to `canonicalJson` itself, so the result is always identical to it.
 */
export function stringMapJson(m: Record<string, string>): string {
  if (!isPlainObject(m)) return canonicalJson(m);
  const keys = Object.keys(m);
  return writeSorted(keys, m, m) ?? canonicalJson(m);
}

/**
 * `stringMapJson({ ...base, ...over })` without building the merged object (spreading objects read from
 * YAML costs more than writing their JSON): the union of the keys, each with `over`'s value if it has one.
 */
export function mergedStringMapJson(base: Record<string, string>, over: Record<string, string>): string {
  if (!isPlainObject(base) || !isPlainObject(over)) return canonicalJson({ ...base, ...over });
  const keys = Object.keys(base);
  for (const k of Object.keys(over)) if (!keys.includes(k)) keys.push(k);
  return writeSorted(keys, base, over) ?? canonicalJson({ ...base, ...over });
}

function isPlainObject(m: unknown): m is Record<string, string> {
  if (m === null || typeof m !== "object") return false;
  const proto = Object.getPrototypeOf(m);
  return proto === Object.prototype || proto === null;
}

/**
 * Sorts `keys` (own enumerable keys of `base` and `over`) and writes `{"k":"v",...}`, the value of a key
 * being `over`'s when it is one of `over`'s keys, else `base`'s. Undefined when the result would not be
 * canonicalJson's (an integer-like key, a value that is not a string).
 */
function writeSorted(keys: string[], base: Record<string, string>, over: Record<string, string>): string | undefined {
  const overKeys = over === base ? undefined : Object.keys(over);
  for (let i = 0; i < keys.length; i++) {
    const c = keys[i].charCodeAt(0);
    if (c >= 48 && c <= 57) return undefined;
  }
  if (keys.length > 1) keys.sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const value = !overKeys || overKeys.includes(k) ? over[k] : base[k];
    if (typeof value !== "string") return undefined;
    out += (i ? "," : "") + JSON.stringify(k) + ":" + JSON.stringify(value);
  }
  return out + "}";
}
