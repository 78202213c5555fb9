/** locatePointer: JSON Pointer → line/column in a YAML document, as diagnostics show them. */
import { describe, expect, test } from "vitest";
import { locatePointer, parseDocuments } from "../../src/index.js";
import { y } from "./helpers.js";

/** Locates in a document that starts on line 1. */
const at = (text: string, ptr: string) => locatePointer({ text, startLine: 1 }, ptr);

describe("block style", () => {
  const doc = y`
    apiVersion: unimesh.io/v1alpha1
    kind: TrafficPolicy
    metadata:
      name: a
      namespace: shop
    spec:
      destination:
        service: cart
        port: 8080
      timeout: 1s
  `;
  test.each([
    ["", 1, 1],
    ["/kind", 2, 1],
    ["/metadata", 3, 1],
    ["/metadata/namespace", 5, 3],
    ["/spec/destination/port", 9, 5],
    ["/spec/timeout", 10, 3],
  ])("%s → %i:%i", (ptr, line, column) => {
    expect(at(doc, ptr)).toEqual({ line, column });
  });

  test("a pointer that does not exist resolves to its deepest existing ancestor", () => {
    expect(at(doc, "/spec/destination/namespace")).toEqual({ line: 7, column: 3 });
    expect(at(doc, "/spec/retries/attempts")).toEqual({ line: 6, column: 1 });
    expect(at(doc, "/nothing")).toEqual({ line: 1, column: 1 });
  });

  test("a key is not found in a sibling's subtree or by prefix", () => {
    const t = y`
      a:
        name: x
      b:
        other: 1
      names: 2
      name: 3
    `;
    expect(at(t, "/b/name")).toEqual({ line: 3, column: 1 });
    expect(at(t, "/name")).toEqual({ line: 6, column: 1 });
  });
});

describe("sequences", () => {
  test("sequences of mappings (`- name: x` items)", () => {
    const t = y`
      routes:
        - name: a
          timeout: 1s
        - name: b
          split:
            - subset: {version: v1}
              weight: 50
            - subset: {version: v2}
              weight: 50
    `;
    expect(at(t, "/routes/0")).toEqual({ line: 2, column: 5 });
    expect(at(t, "/routes/0/timeout")).toEqual({ line: 3, column: 5 });
    expect(at(t, "/routes/1/name")).toEqual({ line: 4, column: 5 });
    expect(at(t, "/routes/1/split/1")).toEqual({ line: 8, column: 9 });
    expect(at(t, "/routes/1/split/1/weight")).toEqual({ line: 9, column: 9 });
    expect(at(t, "/routes/2")).toEqual({ line: 1, column: 1 });
  });

  test("sequences at the same indentation as their key (kubectl style)", () => {
    const t = y`
      spec:
        routes:
        - name: a
          timeout: 1s
        - name: b
        retries:
          attempts: 1
    `;
    expect(at(t, "/spec/routes/1")).toEqual({ line: 5, column: 5 });
    expect(at(t, "/spec/routes/0/timeout")).toEqual({ line: 4, column: 5 });
    expect(at(t, "/spec/retries/attempts")).toEqual({ line: 7, column: 5 });
  });

  test("nested sequences", () => {
    const t = y`
      m:
        - - a
          - b
        - - c
          -
            - d
            - e
    `;
    expect(at(t, "/m/0/1")).toEqual({ line: 3, column: 7 });
    expect(at(t, "/m/1/0")).toEqual({ line: 4, column: 7 });
    expect(at(t, "/m/1/1/1")).toEqual({ line: 7, column: 9 });
  });

  test("an item whose content starts on the next line", () => {
    const t = y`
      items:
        -
          name: a
        - # a comment
          name: b
    `;
    expect(at(t, "/items/0/name")).toEqual({ line: 3, column: 5 });
    expect(at(t, "/items/1/name")).toEqual({ line: 5, column: 5 });
  });
});

describe("keys", () => {
  test("quoted keys, keys containing / and ~ (pointer escapes ~1 and ~0)", () => {
    const t = y`
      ports:
        "9080": permissive
        '9090': strict
      headers:
        "a/b": 1
        c~d: 2
        "e.f": 3
        "x~1": 4
    `;
    expect(at(t, "/ports/9080")).toEqual({ line: 2, column: 3 });
    expect(at(t, "/ports/9090")).toEqual({ line: 3, column: 3 });
    expect(at(t, "/headers/a~1b")).toEqual({ line: 5, column: 3 });
    expect(at(t, "/headers/c~0d")).toEqual({ line: 6, column: 3 });
    expect(at(t, "/headers/e.f")).toEqual({ line: 7, column: 3 });
    expect(at(t, "/headers/x~01")).toEqual({ line: 8, column: 3 });
  });

  test("keys with regex characters match literally", () => {
    const t = y`
      a.b: 1
      a+b: 2
      "a*": 3
    `;
    expect(at(t, "/a+b")).toEqual({ line: 2, column: 1 });
    expect(at(t, "/a*")).toEqual({ line: 3, column: 1 });
    expect(at(t, "/aXb")).toEqual({ line: 1, column: 1 });
  });

  test("anchors and tags before a block value do not stop the search", () => {
    const t = y`
      spec: &spec
        retries: !!map
          attempts: 1
    `;
    expect(at(t, "/spec/retries/attempts")).toEqual({ line: 3, column: 5 });
  });
});

describe("fallbacks", () => {
  test("flow style resolves to the line where the flow collection starts", () => {
    const t = y`
      metadata: {name: a, namespace: shop}
      spec:
        destination: {service: cart, port: 8080}
        routes: [{name: a}, {name: b}]
    `;
    expect(at(t, "/metadata/namespace")).toEqual({ line: 1, column: 1 });
    expect(at(t, "/spec/destination/port")).toEqual({ line: 3, column: 3 });
    expect(at(t, "/spec/routes/1/name")).toEqual({ line: 4, column: 3 });
  });

  test("a whole flow document resolves to its first line", () => {
    expect(at('{"apiVersion": "unimesh.io/v1alpha1", "spec": {"a": 1}}', "/spec/a")).toEqual({ line: 1, column: 1 });
  });

  test("aliases and block scalars resolve to their key", () => {
    const t = y`
      a: &x
        b: 1
      c: *x
      d: |
        e: not a key
    `;
    expect(at(t, "/c/b")).toEqual({ line: 3, column: 1 });
    expect(at(t, "/d/e")).toEqual({ line: 4, column: 1 });
  });

  test("a document with no content has no location", () => {
    expect(at("", "")).toBeUndefined();
    expect(at("# only a comment\n\n", "/a")).toBeUndefined();
  });
});

describe("comments, blank lines, later start lines", () => {
  test("comments and blank lines (at any indentation) are skipped", () => {
    const t = y`
      # header comment
      spec:
      # a comment at column 1 inside spec
        |
        routes:   # trailing comment
          # comment between items
          - name: a
      |
          - name: b   # b
    `;
    expect(at(t, "")).toEqual({ line: 2, column: 1 });
    expect(at(t, "/spec/routes")).toEqual({ line: 5, column: 3 });
    expect(at(t, "/spec/routes/1/name")).toEqual({ line: 9, column: 7 });
  });

  test("documents starting at a later line (the third document of a file)", () => {
    const file = y`
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      ---
      apiVersion: unimesh.io/v1alpha1
      kind: MeshService
      ---
      |
      # third
      apiVersion: unimesh.io/v1alpha1
      spec:
        ports:
          - port: 80
    `;
    const docs = parseDocuments(file, "f").documents;
    expect(docs.map((d) => [d.index, d.startLine])).toEqual([
      [0, 1],
      [1, 4],
      [2, 8],
    ]);
    expect(locatePointer(docs[2], "/spec/ports/0/port")).toEqual({ line: 12, column: 7 });
    expect(locatePointer(docs[2], "")).toEqual({ line: 9, column: 1 });
  });

  test("CRLF text", () => {
    expect(at("a:\r\n  b:\r\n    c: 1\r\n", "/a/b/c")).toEqual({ line: 3, column: 5 });
  });

  test("content on the --- line", () => {
    const docs = parseDocuments("--- {a: 1}\n--- # comment\nb:\n  c: 2\n", "f").documents;
    expect(docs.map((d) => [d.index, d.startLine])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(locatePointer(docs[0], "/a")).toEqual({ line: 1, column: 5 });
    expect(locatePointer(docs[1], "/b/c")).toEqual({ line: 4, column: 3 });
  });
});

describe("found by the property test against the yaml package (test/api/locate-property.test.ts)", () => {
  test("an item whose content starts on the next line is located there", () => {
    expect(at("-\n - 0\n", "/0")).toEqual({ line: 2, column: 2 });
    expect(at("a:\n  - &x\n    b: 1\n", "/a/0")).toEqual({ line: 3, column: 5 });
  });

  test("quoted keys with escapes, plain keys that resolve to other text", () => {
    const t = y`
      'it''s': 1
      "a\"b": 2
      "caf\u00e9": 3
      0x1F: 4
      ~: 5
    `;
    expect(at(t, "/it's")).toEqual({ line: 1, column: 1 });
    expect(at(t, '/a"b')).toEqual({ line: 2, column: 1 });
    expect(at(t, "/café")).toEqual({ line: 3, column: 1 });
    expect(at(t, "/31")).toEqual({ line: 4, column: 1 });
    expect(at(t, "/null")).toEqual({ line: 5, column: 1 });
  });
});
