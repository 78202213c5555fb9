/**
 * The Linkerd adapter writes selectors into diagnostics with its own canonical JSON of string maps (a
 * fast path): it must always be the model's canonicalJson, also for inputs off the fast path.
 */
import { describe, expect, test } from "vitest";
import { canonicalJson } from "../../../src/api/model.js";
import { mergedStringMapJson, stringMapJson } from "../../../src/adapters/linkerd/canonical.js";

const maps: Record<string, any>[] = [
  {},
  { app: "reviews" },
  { version: "v2", app: "reviews" },
  { "app.kubernetes.io/name": "x", app: "y", "Zeta": "z", "é": "accent", "": "empty" },
  { quote: 'a"b\\c', newline: "a\nb", unicode: "\u2028 \ud83d\ude00" },
  { "1": "one", app: "x" },
  { "10": "ten", "9": "nine", "1a": "not an index" },
  { app: undefined, version: "v1" },
  { app: 1 as unknown as string },
  Object.assign(Object.create(null), { b: "2", a: "1" }),
  { toJSON: "not a function", app: "x" },
];

describe("linkerd canonical string maps", () => {
  test("stringMapJson is canonicalJson", () => {
    for (const m of maps) expect(stringMapJson(m)).toBe(canonicalJson(m));
  });

  test("mergedStringMapJson is canonicalJson of the merged object", () => {
    for (const a of maps) {
      for (const b of maps) expect(mergedStringMapJson(a, b)).toBe(canonicalJson({ ...a, ...b }));
    }
    expect(mergedStringMapJson({ app: "reviews" }, { version: "v2", app: "other" })).toBe('{"app":"other","version":"v2"}');
    expect(mergedStringMapJson(undefined as unknown as Record<string, string>, { version: "v2" })).toBe('{"version":"v2"}');
  });
});
