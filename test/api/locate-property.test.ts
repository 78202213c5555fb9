/**
 * locatePointer (src/api/load.ts) is a hand-written locator over the lines of a document: the `yaml`
 * package's node ranges give the same positions at about 25 times the cost (bench/yaml.mjs), and
 * translate locates pointers in every document. This property test holds the fast path to the library:
 * random documents, written in the styles people and tools write (js-yaml and yaml with their options,
 * comments and blank lines, CRLF line breaks), and for every JSON Pointer of the document (plus some that do not exist)
 * the same line and column as the reference built on `yaml` (test/support/yaml-locate.ts).
 */
import fc from "fast-check";
import yaml from "js-yaml";
import { stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { locatePointer } from "../../src/index.js";
import { locateWithYaml } from "../support/yaml-locate.js";

/** Keys people write, and keys that need quoting or pointer escapes. */
const key = fc.oneof(
  fc.constantFrom(
    "name",
    "spec",
    "port",
    "routes",
    "match",
    "a",
    "b",
    "version",
    "9080",
    "0",
    "1",
    "a/b",
    "c~d",
    "x~1",
    "e.f",
    "a b",
    "true",
    "null",
    "yes",
    "-",
    "-x",
    "0x1F",
    "1.50",
    "~",
    "TRUE",
    ".inf",
    "+1",
    "-0",
    "0o17",
    "#c",
    "k:",
    "k: v",
    "é",
    '"q"',
    "'s'",
    "<<x",
    "?",
    "&a",
    "!t",
    " lead",
    "trail ",
  ),
  fc.string({ minLength: 1, maxLength: 6 }),
);
/** Scalars: plain words, numbers, text that needs quoting, multi-line text (block scalars). */
const scalar = fc.oneof(
  fc.constantFrom(
    "v1",
    "cart",
    "GET",
    "/api/*",
    "a: b",
    "- x",
    "# not a comment",
    "",
    " ",
    "true",
    "null",
    "0x1F",
    "1.5",
    "@x",
    "é",
    "line\nbreak",
    "two\nlines\n",
    "\n lead",
  ),
  fc.integer({ min: -100000, max: 100000 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("list"), tie("map")),
  list: fc.array(tie("value"), { maxLength: 4 }),
  map: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));
const documentValue = fc.oneof(fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 }), fc.array(value, { minLength: 1, maxLength: 4 }));

/** How the document is written: js-yaml or yaml, with the options that change the layout. */
const writer = fc.oneof(
  fc.record({
    lib: fc.constant("js-yaml" as const),
    indent: fc.integer({ min: 1, max: 4 }),
    noArrayIndent: fc.boolean(),
    flowLevel: fc.constantFrom(-1, -1, 1, 2, 3),
    quotingType: fc.constantFrom("'" as const, '"' as const),
    forceQuotes: fc.boolean(),
    noRefs: fc.boolean(),
  }),
  fc.record({
    lib: fc.constant("yaml" as const),
    indent: fc.integer({ min: 2, max: 4 }),
    indentSeq: fc.boolean(),
    flow: fc.boolean(),
    doubleQuoted: fc.boolean(),
    anchors: fc.boolean(),
  }),
);

type Writer = typeof writer extends fc.Arbitrary<infer T> ? T : never;

function write(v: unknown, w: Writer): string {
  if (w.lib === "js-yaml") {
    const { lib: _, ...options } = w;
    return yaml.dump(v, { ...options, lineWidth: -1 });
  }
  return stringify(v, {
    indent: w.indent,
    indentSeq: w.indentSeq,
    lineWidth: 0,
    aliasDuplicateObjects: w.anchors,
    collectionStyle: w.flow ? "flow" : "any",
    defaultKeyType: "PLAIN",
    defaultStringType: w.doubleQuoted ? "QUOTE_DOUBLE" : "PLAIN",
  });
}

/** Inserts comment lines and blank lines (indented like the line they precede) when the text has no block scalar. */
function decorate(text: string, at: number[]): string {
  if (/[|>][-+0-9]*$/m.test(text)) return text;
  const lines = text.split("\n");
  for (const i of [...new Set(at.map((n) => n % lines.length))].sort((a, b) => b - a)) {
    const indent = /^\s*/.exec(lines[i])![0];
    lines.splice(i, 0, i % 2 ? `${indent}# comment: - x` : "");
  }
  return lines.join("\n");
}

function* pointers(v: unknown, p = ""): Generator<string> {
  yield p;
  if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) yield* pointers(x, `${p}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`);
}

describe("locatePointer = the yaml package's node positions", () => {
  test("random documents, every pointer", () => {
    fc.assert(
      fc.property(documentValue, writer, fc.array(fc.nat(), { maxLength: 4 }), fc.integer({ min: 1, max: 50 }), fc.boolean(), (v, w, at, startLine, crlf) => {
        const lf = decorate(write(v, w), at);
        const text = crlf ? lf.replace(/\n/g, "\r\n") : lf;
        let loaded: unknown;
        try {
          loaded = yaml.load(text, { schema: yaml.CORE_SCHEMA });
        } catch {
          return; // a text js-yaml refuses is never located (parseDocuments reports it)
        }
        const doc = { text, startLine };
        for (const ptr of [...pointers(loaded), "/nothing", "/0/nothing", "/a/b/c"]) {
          expect({ ptr, at: locatePointer(doc, ptr) }).toEqual({ ptr, at: locateWithYaml(doc, ptr) });
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) },
    );
  });
});
