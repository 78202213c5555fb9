/** Helpers for the Linkerd adapter tests: YAML in, translation out, every object checked. */
import { expect } from "vitest";
import { type Diagnostic, type KubeObject, type TranslateResult, linkerd, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { PATCH_ANNOTATION } from "../../../src/adapters/linkerd/index.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

export interface RunOptions {
  version?: string;
  approximations?: string[];
  settings?: Record<string, string>;
  trustDomain?: string;
}

/** Loads unimesh YAML (must be valid) and translates it for Linkerd (default 2.20). */
export function run(yaml: string, opts: RunOptions = {}): TranslateResult {
  const loaded = loadModel([{ file: "test.yaml", text: yaml }], opts.trustDomain ? { trustDomain: opts.trustDomain } : {});
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return translate(loaded.model, {
    adapter: linkerd,
    version: opts.version ?? "2.20",
    ...(opts.approximations ? { allowApproximations: opts.approximations } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
  });
}

/** The CRD set a version's output is validated against (the only two Linkerd CRD snapshots). */
export function crdSet(version: string): "linkerd/edge-26.8.3" | "linkerd/stable-2.14.10" {
  return version === "2.14" || version === "2.15" ? "linkerd/stable-2.14.10" : "linkerd/edge-26.8.3";
}

/**
 * Checks the objects that are not CRD-backed: `v1` Service and Namespace objects must be minimal
 * server-side-apply patches (metadata only, marked with the patch annotation, no ownership labels).
 */
export function expectPatchesMinimal(objs: KubeObject[]): void {
  for (const o of objs.filter((x) => x.apiVersion === "v1")) {
    expect(["Service", "Namespace"]).toContain(o.kind);
    expect(Object.keys(o).sort()).toEqual(["apiVersion", "kind", "metadata"]);
    // No ownership labels: a label selector for unimesh's objects must never match the user's object.
    expect(Object.keys(o.metadata).sort()).toEqual(o.kind === "Namespace" ? ["annotations", "name"] : ["annotations", "name", "namespace"]);
    expect(o.metadata.annotations?.[PATCH_ANNOTATION]).toBe("server-side-apply");
  }
}

/** Like {@link run}, and asserts success, CRD validity (schema and CEL) and minimal patches. */
export function ok(yaml: string, opts: RunOptions = {}): KubeObject[] {
  const r = run(yaml, opts);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(r.ok).toBe(true);
  const version = opts.version ?? "2.20";
  // Edge output is validated against the Gateway API CRDs Linkerd bundles (v1.1.1); Linkerd 2.18+ read v1.1.1-1.2.1.
  expect(
    validateAll(
      r.resources.filter((o) => o.apiVersion !== "v1"),
      [crdSet(version)],
    ),
  ).toEqual([]);
  expectPatchesMinimal(r.resources);
  return r.resources;
}

/** The one object of a kind and name. */
export function find(objs: KubeObject[], kind: string, name: string, namespace?: string): any {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name && (!namespace || o.metadata.namespace === namespace));
  expect(found, `${kind}/${name} in ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`).toHaveLength(1);
  return found[0];
}

/** `kind/name` of every object. */
export function names(objs: KubeObject[]): string[] {
  return objs.map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Diagnostics of a severity, as `pointer code-family` strings (`adapter/unsupported-value`, whatever the value). */
export function diags(r: TranslateResult, severity: Diagnostic["severity"]): string[] {
  return r.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.pointer} ${codeFamily(d.code)}`);
}

/** Error diagnostics, as `pointer code-family` strings. */
export const errors = (r: TranslateResult): string[] => diags(r, "error");

/** Diagnostics of a severity, as `pointer code` strings with the specific code (`adapter/unsupported-value/retries.backoff`). */
export function codes(r: TranslateResult, severity: Diagnostic["severity"] = "error"): string[] {
  return r.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.pointer} ${d.code}`);
}

/** A YAML document header. */
export const H = "apiVersion: unimesh.io/v1alpha1\n";

/** A TrafficPolicy document in namespace shop. */
export const tp = (spec: string, name = "p", ns = "shop"): string =>
  `${H}kind: TrafficPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
/** An AccessPolicy document in namespace shop. */
export const ap = (spec: string, name = "a", ns = "shop"): string =>
  `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
/** A MeshService document in namespace shop. */
export const ms = (name: string, spec: string, ns = "shop"): string =>
  `${H}kind: MeshService\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
