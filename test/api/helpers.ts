/** Helpers shared by the core tests: YAML literals whose line numbers can be read off the test. */
import { expect } from "vitest";
import { loadModel, type Diagnostic, type Model, type ValidationResult } from "../../src/index.js";

/**
 * Removes the first newline and the common indentation of a template literal, so that
 * ```
 * y`
 *   a: 1      ← line 1
 *   b: 2      ← line 2
 * `
 * ```
 * A line holding only `|` marks an empty line (editors strip trailing spaces).
 */
export function y(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = String.raw({ raw: strings.raw.map((s) => s.replace(/\\`/g, "`")) }, ...values);
  const lines = raw
    .replace(/^\n/, "")
    .replace(/\n[ \t]*$/, "\n")
    .split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => (l.trim() === "|" ? "" : l.slice(indent))).join("\n");
}

/** Loads texts as files `f0.yaml`, `f1.yaml`... (or with the names given). */
export function load(files: string | string[] | Record<string, string>): ValidationResult {
  const entries = typeof files === "string" ? [["f0.yaml", files]] : Array.isArray(files) ? files.map((t, i) => [`f${i}.yaml`, t]) : Object.entries(files);
  return loadModel(entries.map(([file, text]) => ({ file, text })));
}

/** One model document, written as data. */
export type Doc = { kind: string; name: string; namespace?: string; spec: unknown };

/** A maker of documents of one kind: `doc("TrafficPolicy")("reviews", spec)` (namespace shop). */
export const doc =
  (kind: string) =>
  (name: string, spec: unknown, namespace = "shop"): Doc => ({ kind, name, namespace, spec });

/** The model of these documents, as one YAML stream (JSON is YAML); fails the test on any error. */
export function modelOf(...docs: Doc[]): Model {
  const text = docs
    .map((d) =>
      JSON.stringify({
        apiVersion: "unimesh.io/v1alpha1",
        kind: d.kind,
        metadata: { name: d.name, ...(d.namespace ? { namespace: d.namespace } : {}) },
        spec: d.spec,
      }),
    )
    .join("\n---\n");
  const r = load(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.model;
}

/** What a test states about one diagnostic: `message` is a substring; absent fields are not checked. */
export interface Expected {
  code: string;
  severity?: Diagnostic["severity"];
  pointer?: string;
  line?: number;
  column?: number;
  documentIndex?: number;
  file?: string;
  policy?: string;
  message?: string;
}

/**
 * Asserts the exact list of diagnostics (count and order), each matching its expectation. A field an
 * expectation sets to `undefined` must be absent; fields it does not mention are not compared.
 */
export function expectDiagnostics(actual: Diagnostic[], expected: Expected[]): void {
  const want = expected.map((e) => ({ severity: "error", ...e }));
  const got = actual.map((d, i) => {
    const keys = Object.keys(want[i] ?? d) as (keyof Diagnostic)[];
    return Object.fromEntries(keys.map((k) => [k, d[k]]));
  });
  expect(got).toEqual(want.map((w) => (w.message === undefined ? w : { ...w, message: expect.stringContaining(w.message) })));
}
