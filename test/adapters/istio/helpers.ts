/** Helpers for the Istio adapter tests: YAML in, translation out. */
import { expect } from "vitest";
import { type Diagnostic, type KubeObject, type TranslateResult, istio, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

/** Loads unimesh YAML (must be valid) and translates it for Istio. */
export function run(
  yaml: string,
  opts: { version?: string; trustDomain?: string; settings?: Record<string, string>; modelErrors?: boolean } = {},
): TranslateResult {
  const loaded = loadModel([{ file: "test.yaml", text: yaml }], opts.trustDomain ? { trustDomain: opts.trustDomain } : {});
  if (!opts.modelErrors) expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return translate(loaded.model, { adapter: istio, version: opts.version ?? "1.30", ...(opts.settings ? { settings: opts.settings } : {}) });
}

/** Like {@link run}, and asserts success and CRD validity (for the version's CRD set). */
export function ok(yaml: string, opts: Parameters<typeof run>[1] = {}): KubeObject[] {
  const r = run(yaml, opts);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(r.ok).toBe(true);
  const set = (opts.version ?? "1.30") === "1.30" ? "istio/1.30.3" : "istio/1.22.8";
  // Ambient output also has waypoint Gateways (Gateway API CRDs) and Service label patches (built-in kind).
  const ambient = opts.settings?.dataplane === "ambient";
  const sets = ambient ? ([set, "gateway-api/v1.6.1/standard"] as const) : ([set] as const);
  expect(
    validateAll(
      r.resources.filter((o) => !(ambient && o.apiVersion === "v1")),
      [...sets],
    ),
  ).toEqual([]);
  return r.resources;
}

/** The one object of a kind and name. */
export function find(objs: KubeObject[], kind: string, name: string, namespace?: string): any {
  const found = objs.filter((o) => o.kind === kind && o.metadata.name === name && (!namespace || o.metadata.namespace === namespace));
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0];
}

/** Error diagnostics, as `pointer code` strings. */
export function errors(r: TranslateResult): string[] {
  return r.diagnostics.filter((d: Diagnostic) => d.severity === "error").map((d) => `${d.pointer} ${codeFamily(d.code)}`);
}

/** Warning diagnostics, as `pointer code` strings. */
export function warnings(r: TranslateResult): string[] {
  return r.diagnostics.filter((d: Diagnostic) => d.severity === "warning").map((d) => `${d.pointer} ${codeFamily(d.code)}`);
}

/** A YAML document header. */
export const H = "apiVersion: unimesh.io/v1alpha1\n";
