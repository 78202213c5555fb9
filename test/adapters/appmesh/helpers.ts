/** Helpers for the App Mesh adapter tests: translate YAML text, find objects, check them against the CRDs. */
import { expect } from "vitest";
import { appmesh, formatDiagnostic, loadModel, translate, type Diagnostic, type KubeObject, type TranslateResult } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { isCodeIn } from "../../../src/api/diagnostics.js";

/** Document header of every test document. */
export const H = "apiVersion: unimesh.io/v1alpha1\n";

/** A MeshService document. */
export const svc = (name: string, spec: string, ns = "shop") => `${H}kind: MeshService\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n---\n`;

/** A TrafficPolicy document (spec lines indented by two spaces). */
export const tp = (name: string, spec: string, ns = "shop") => `${H}kind: TrafficPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;

/** An AccessPolicy document. */
export const ap = (name: string, spec: string, ns = "shop") => `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;

/** An MTLSPolicy document. */
export const mp = (name: string, spec: string, ns = "shop") => `${H}kind: MTLSPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;

export interface RunOptions {
  allow?: string[];
  settings?: Record<string, string>;
  strict?: boolean;
  /** The model may have errors (the adapter's own checks of what validation already refuses). */
  modelErrors?: boolean;
}

/** Translates YAML text for appmesh@1.13; the model must be valid unless `modelErrors`. */
export function run(text: string, o: RunOptions = {}): TranslateResult {
  const loaded = loadModel([{ file: "test.yaml", text }]);
  if (!o.modelErrors) expect(loaded.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
  return translate(loaded.model, {
    adapter: appmesh,
    version: "1.13",
    ...(o.allow ? { allowApproximations: o.allow } : {}),
    ...(o.settings ? { settings: o.settings } : {}),
    ...(o.strict ? { strict: true } : {}),
  });
}

/** Translates and expects success; every App Mesh object must validate against the v1.13.3 CRDs. */
export function ok(text: string, o: RunOptions = {}): KubeObject[] {
  const r = run(text, o);
  expect(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
  expect(r.ok).toBe(true);
  expect(
    validateAll(
      r.resources.filter((x) => x.apiVersion !== "v1"),
      ["aws-app-mesh/v1.13.3"],
    ),
  ).toEqual([]);
  return r.resources;
}

/** The Mesh-wide warning that DROP_ALL (chosen because of AccessPolicies) blocks egress outside the mesh. */
export const isDropAllNotice = (d: Diagnostic) => isCodeIn(d.code, "adapter/note") && !d.policy && d.message.includes("egressFilter DROP_ALL");

/**
 * Adapter diagnostics of one severity, without the always-present deprecation notice and the DROP_ALL
 * egress warning every model with an AccessPolicy gets (tested on its own).
 */
export function diags(r: TranslateResult, severity?: Diagnostic["severity"]): Diagnostic[] {
  return r.diagnostics.filter((d) => !isCodeIn(d.code, "adapter/deprecated-mesh") && !isDropAllNotice(d) && (!severity || d.severity === severity));
}

export const errors = (r: TranslateResult) => diags(r, "error");
export const warnings = (r: TranslateResult) => diags(r, "warning");

/** The object of a kind and name (namespace optional); fails when absent. */
export function find(objs: KubeObject[], kind: string, name: string, namespace?: string): any {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name && (!namespace || x.metadata.namespace === namespace));
  expect(o, `${kind} ${namespace ?? "*"}/${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`).toBeDefined();
  return o;
}

/** Names of the VirtualServices a VirtualNode lists as backends (`ns/name` when in another namespace). */
export function backends(objs: KubeObject[], node: string, namespace = "shop"): string[] {
  const vn = find(objs, "VirtualNode", node, namespace);
  return (vn.spec.backends ?? []).map(
    (b: any) =>
      (b.virtualService.virtualServiceRef.namespace ? `${b.virtualService.virtualServiceRef.namespace}/` : "") + b.virtualService.virtualServiceRef.name,
  );
}

/** The routes of a VirtualRouter. */
export function routes(objs: KubeObject[], router: string, namespace = "shop"): any[] {
  return find(objs, "VirtualRouter", router, namespace).spec.routes;
}
