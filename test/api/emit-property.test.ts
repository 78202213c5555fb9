/**
 * The YAML writer (src/api/emit.ts) is a fast path for `yaml.dump(value, DUMP_OPTIONS)`: js-yaml's own
 * dump takes about 2-4 times as long on translate's output, and the `yaml` package's stringify about 13
 * times (bench/yaml.mjs), while the golden files are js-yaml's bytes. This property test holds the fast
 * path to js-yaml byte for byte on random values: Kubernetes-like objects, text that needs quoting or a
 * block scalar, numbers of every kind, undefined members and items, and what only js-yaml writes (keys
 * over 1024 characters or with a line break, Dates, class instances) which the writer hands to js-yaml.
 */
import fc from "fast-check";
import yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { dumpYaml, toYaml } from "../../src/index.js";
import { DUMP_OPTIONS } from "../../src/api/emit.js";
import type { KubeObject } from "../../src/index.js";

const text = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      "v1",
      "cart",
      "GET",
      "/api/*",
      "a: b",
      "a:",
      "- x",
      "#x",
      "x #y",
      "",
      " ",
      "true",
      "True",
      "yes",
      "on",
      "N",
      "null",
      "~",
      "0x1F",
      "1_000",
      "1.5",
      "1e3",
      ".inf",
      "-.5",
      "+1",
      "012",
      "@x",
      "`x",
      "%x",
      "!x",
      "&x",
      "*x",
      "{a}",
      "[a]",
      "'q'",
      '"q"',
      "é",
      "日本",
      "line\nbreak",
      "two\nlines\n",
      "\n lead",
      "  indented\nx",
      "keep\n\n",
      "\n",
      "tab\tx",
      "nul\u0000",
      "bom\ufeff",
      "ls\u2028",
      "😀",
      "a\r\nb",
      "x".repeat(1030),
    ),
  },
  fc.string({ maxLength: 10 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: fc.constantFrom("a", " ", ":", "#", "-", "\n", "'", '"', "\\", "\t", "é", "?", ","), maxLength: 12 }),
);
const key = fc.oneof(text, fc.constantFrom("apiVersion", "kind", "metadata", "name", "spec", "9080", "x".repeat(1025), "k\nl"));
const scalar = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.integer(),
  fc.integer({ min: 0, max: 70000 }),
  fc.double(),
  fc.constantFrom(-0, 0.1, 1e21, 2 ** 53, -1e-7, Number.MAX_VALUE),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
class Box {
  constructor(readonly inner: number) {}
}
const exotic = fc.constantFrom(new Date(0), new Box(1), Object.create(null) as object);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("list"), tie("map"), exotic),
  list: fc.array(tie("value"), { maxLength: 4 }),
  map: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));

const dump = (v: unknown) => yaml.dump(v, DUMP_OPTIONS);

describe("the YAML writer = js-yaml's dump, byte for byte", () => {
  const runs = Number(process.env.PROPERTY_RUNS ?? 300);
  test("random values", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(dumpYaml(v)).toBe(v === undefined ? "" : dump(v));
      }),
      { numRuns: runs },
    );
  });

  test("random streams of objects", () => {
    const object = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 });
    fc.assert(
      fc.property(fc.array(object, { maxLength: 5 }), (objects) => {
        expect(toYaml(objects as unknown as KubeObject[])).toBe(objects.map((o) => `---\n${dump(o)}`).join(""));
      }),
      { numRuns: runs },
    );
  });
});
