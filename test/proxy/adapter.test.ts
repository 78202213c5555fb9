/**
 * The builtin adapter: what it emits is one ProxyConfig that validates against
 * schemas/proxy-config.schema.json and compiles, for every golden case and example; it reports what
 * the proxy cannot run; the Bookinfo local registry is valid and merges with Bookinfo's policies.
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { FEATURES, loadModel, translate } from "../../src/index.js";
import { builtin } from "../../src/adapters/builtin/index.js";
import * as validators from "../../src/api/generated/validators.js";
import { compileConfig } from "../../src/proxy/config/compile.js";
import { loadProxyDocuments } from "../../src/proxy/config/load.js";
import { mergeProxyDocuments } from "../../src/proxy/config/merge.js";
import type { ProxyConfig } from "../../src/api/generated/proxyConfig.js";
import { codeFamily } from "../../src/api/diagnostics.js";

const ROOT = join(import.meta.dirname, "../..");
const validate = (validators as unknown as Record<string, ((d: unknown) => boolean) & { errors?: unknown }>).ProxyConfig;

function translateText(files: { file: string; text: string }[]) {
  const loaded = loadModel(files);
  // A virtual mesh is translated for one of its members (the first, as a local `up` would).
  const member = loaded.model.virtualMesh?.doc.spec.members[0]?.name;
  return { loaded, result: loaded.ok ? translate(loaded.model, { adapter: builtin, ...(member ? { member } : {}) }) : undefined };
}

const cases = readdirSync(join(ROOT, "test/golden")).filter((d) => statSync(join(ROOT, "test/golden", d)).isDirectory());

describe("builtin adapter", () => {
  test.each(cases)("golden case %s: one valid ProxyConfig that compiles", (c) => {
    const { loaded, result } = translateText([{ file: "input.yaml", text: readFileSync(join(ROOT, "test/golden", c, "input.yaml"), "utf8") }]);
    if (!loaded.ok || !result?.ok) return; // negative cases: the golden files show their diagnostics
    expect(result.resources).toHaveLength(1);
    const doc = result.resources[0];
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(compileConfig(doc as unknown as ProxyConfig).diagnostics).toEqual([]);
  });

  test("Bookinfo's policies and the local registry merge into a configuration that compiles", () => {
    const dir = join(ROOT, "examples/bookinfo");
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
    const { result } = translateText(files);
    expect(result?.ok).toBe(true);
    const docs = loadProxyDocuments([join(ROOT, "examples/bookinfo-local/registry.yaml")]);
    expect(docs.diagnostics).toEqual([]);
    const { config, diagnostics } = mergeProxyDocuments(
      [{ doc: result!.resources[0] as unknown as ProxyConfig, file: "x", documentIndex: 0 }],
      docs.registries,
    );
    expect(diagnostics).toEqual([]);
    const c = compileConfig(config);
    expect(c.diagnostics).toEqual([]);
    const reviews = c.compiled!.services.get("bookinfo/reviews")!;
    expect(reviews.serviceAccount).toBe("bookinfo-reviews");
    expect(reviews.instances.map((i) => [i.labels.version, i.mode])).toEqual([
      ["v1", "strict"],
      ["v2", "strict"],
      ["v3", "strict"],
    ]);
  });

  test("declares every feature as fully supported (each has a behaviour test in test/proxy; crossCluster: virtualMesh.test.ts), but Wasm extensions", () => {
    const caps = builtin.capabilities("1");
    // wasmExtension: local module files only (no OCI/URL fetch), see src/adapters/builtin/features/wasmExtension.ts.
    expect(FEATURES.filter((f) => caps[f].support !== "full")).toEqual(["wasmExtension"]);
  });

  test("a regex JavaScript cannot compile is reported, not emitted", () => {
    const { result } = translateText([
      {
        file: "p.yaml",
        text: `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: re, namespace: shop}
spec:
  destination: {service: api}
  routes:
    - match: {path: {regex: "(?P<id>[0-9]+)"}}
`,
      },
    ]);
    expect(result?.ok).toBe(false);
    expect(result?.diagnostics.map((d) => [codeFamily(d.code), d.pointer])).toEqual([["adapter/unsupported-value", "/spec/routes/0/match/path/regex"]]);
  });

  test("a regex the proxy's linear-time engine cannot run is reported at translation, in route matches and CORS origins", () => {
    const { result } = translateText([
      {
        file: "p.yaml",
        text: `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: re, namespace: shop}
spec:
  destination: {service: api}
  routes:
    - match: {headers: {x-id: {regex: "x{1000}"}}}
      cors: {allowOrigins: [{exact: "https://a.example"}, {regex: "https://[a-z]{1000}[.]example"}]}
    - match: {path: {regex: "/([a-z0-9]+-?)+"}}
`,
      },
    ]);
    expect(result?.ok).toBe(false);
    expect(result?.diagnostics.map((d) => [codeFamily(d.code), d.pointer])).toEqual([
      ["adapter/unsupported-value", "/spec/routes/0/match/headers/x-id/regex"],
      ["adapter/unsupported-value", "/spec/routes/0/cors/allowOrigins/1/regex"],
    ]);
    expect(result?.diagnostics[0].message).toMatch(/cannot be matched in time linear in the request/);
  });

  test("TCP ports are left out with a warning", () => {
    const { result } = translateText([
      {
        file: "p.yaml",
        text: `
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: db, namespace: shop}
spec:
  ports: [{port: 5432, protocol: tcp}, {port: 8080, protocol: http}]
`,
      },
    ]);
    expect(result?.ok).toBe(true);
    expect(result?.diagnostics.map((d) => codeFamily(d.code))).toEqual(["adapter/unsupported-value"]);
    const spec = (result!.resources[0] as unknown as ProxyConfig).spec;
    expect(spec.services?.[0].ports).toEqual([{ port: 8080, protocol: "http" }]);
  });

  test("invalid proxy documents are reported with their location", () => {
    const docs = loadProxyDocuments([join(ROOT, "test/proxy/fixtures/bad-registry.yaml")]);
    expect(docs.diagnostics.map((d) => [codeFamily(d.code), d.pointer, d.line])).toEqual([
      ["schema/required", "/spec/services/0/instances/0", 8],
      ["schema/unknown-field", "/spec/services/0/instances/0/prot", 8],
    ]);
  });

  test("limits.maxHeaderBytes is bounded (8 MiB, Envoy's ceiling): a larger value is refused where it is written", () => {
    const docs = loadProxyDocuments([join(ROOT, "test/proxy/fixtures/too-large-headers.yaml")]);
    expect(docs.diagnostics.map((d) => [codeFamily(d.code), d.pointer, d.line])).toEqual([["schema/maximum", "/spec/limits/maxHeaderBytes", 6]]);
  });
});
