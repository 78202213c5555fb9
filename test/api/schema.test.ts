/**
 * The schema is the single source of truth: generated files are fresh, every field is documented, the
 * schema compiles in ajv's strict mode, the examples validate, and the code agrees with the schema.
 */
import { describe, expect, test } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import * as validators from "../../src/api/generated/validators.js";
import type { UnimeshDocument, TrafficPolicy } from "../../src/api/generated/model.js";
import { PATTERN_MESSAGES } from "../../src/api/validate.js";
import { API_VERSION, FEATURES, KINDS, loadModel, parseDocuments, parseDuration, readInputs, type DocumentKind } from "../../src/index.js";

const ROOT = join(import.meta.dirname, "../..");
const schema = JSON.parse(readFileSync(join(ROOT, "schemas/unimesh.schema.json"), "utf8"));
const defs: Record<string, any> = schema.definitions;

/** Every (pointer, node) of the schema, depth first. */
function* nodes(node: unknown, ptr = "#"): Generator<[string, any]> {
  if (!node || typeof node !== "object") return;
  yield [ptr, node];
  for (const [k, v] of Object.entries(node)) yield* nodes(v, `${ptr}/${k}`);
}

describe("generated files", () => {
  // Asynchronously, so that the worker keeps answering vitest's RPC meanwhile.
  test("src/api/generated and src/adapters/shipped.ts are fresh (`node scripts/generate-types.mjs --check` exits 0)", async () => {
    let out: string;
    let status = 0;
    try {
      out = (await promisify(execFile)(process.execPath, ["scripts/generate-types.mjs", "--check"], { cwd: ROOT, encoding: "utf8" })).stderr;
    } catch (e) {
      const err = e as { code: number; stderr: string };
      status = err.code;
      out = err.stderr;
    }
    expect(out).toBe("");
    expect(status).toBe(0);
  }, 60_000);
});

describe("documentation", () => {
  test("every definition has a description", () => {
    expect(
      Object.entries(defs)
        .filter(([, d]) => !d.description)
        .map(([k]) => k),
    ).toEqual([]);
  });

  test("every property has a description (a pure $ref borrows its definition's; apiVersion, kind and consts are trivial)", () => {
    const missing: string[] = [];
    for (const [ptr, node] of nodes(schema)) {
      if (!node.properties || /\/(if|then)(\/|$)/.test(ptr)) continue;
      for (const [name, prop] of Object.entries<any>(node.properties)) {
        if (prop.description || prop.const !== undefined || name === "apiVersion" || name === "kind") continue;
        const ref = typeof prop.$ref === "string" ? defs[prop.$ref.replace("#/definitions/", "")] : undefined;
        if (ref?.description) continue;
        missing.push(`${ptr}/properties/${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("every $ref resolves", () => {
    const refs = [...nodes(schema)].map(([, n]) => n.$ref).filter((r): r is string => typeof r === "string");
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((r) => !defs[r.replace("#/definitions/", "")])).toEqual([]);
  });
});

describe("ajv", () => {
  test("the schema compiles in strict mode, and so does each kind", () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    ajv.addSchema(schema);
    expect(() => ajv.compile({ $ref: `${schema.$id}` })).not.toThrow();
    for (const k of KINDS) expect(() => ajv.getSchema(`${schema.$id}#/definitions/${k}`)).not.toThrow();
  });

  test("there is one generated validator per kind, and only those (besides extra schemas)", () => {
    const exported = Object.keys(validators).filter((k) => typeof (validators as Record<string, unknown>)[k] === "function");
    expect(exported.filter((k) => (KINDS as readonly string[]).includes(k)).sort()).toEqual([...KINDS].sort());
  });

  test("every pattern of the schema has a message in words", () => {
    const patterns = new Set([...nodes(schema)].map(([, n]) => n.pattern).filter((p): p is string => typeof p === "string"));
    expect([...patterns].filter((p) => !(p in PATTERN_MESSAGES))).toEqual([]);
    expect(Object.keys(PATTERN_MESSAGES).filter((p) => !patterns.has(p))).toEqual([]);
  });
});

describe("examples", () => {
  const dir = join(ROOT, "examples");
  const scenarios = readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
  /** The schema a YAML file declares in its `# yaml-language-server: $schema=...` line (default: the model's). */
  const schemaOf = (text: string) => /^# yaml-language-server: \$schema=\S*?([^/\s]+\.schema\.json)\s*$/m.exec(text)?.[1] ?? "unimesh.schema.json";

  test("there are examples, each with a README", () => {
    expect(scenarios.length).toBeGreaterThan(0);
    for (const s of scenarios) expect(readdirSync(join(dir, s))).toContain("README.md");
  });

  test.each(scenarios)("examples/%s: every *.yaml validates with no diagnostic", (s) => {
    const { inputs, diagnostics } = readInputs([join(dir, s)]);
    expect(diagnostics).toEqual([]);
    expect(inputs.length).toBeGreaterThan(0);
    const bySchema: Record<string, typeof inputs> = {};
    for (const i of inputs) (bySchema[schemaOf(i.text)] ??= []).push(i);
    expect(Object.keys(bySchema).filter((k) => k !== "unimesh.schema.json" && k !== "proxy-config.schema.json")).toEqual([]);
    // Model documents (policies, MeshServices) validate together: they may refer to each other.
    const policies = bySchema["unimesh.schema.json"] ?? [];
    if (policies.length) {
      const r = loadModel(policies);
      expect(r.diagnostics).toEqual([]);
      expect(r.ok).toBe(true);
    }
    // Documents of the built-in proxy (ServiceRegistry, ProxyConfig) validate against their own schema.
    for (const input of bySchema["proxy-config.schema.json"] ?? []) {
      const parsed = parseDocuments(input.text, input.file);
      expect(parsed.diagnostics).toEqual([]);
      const validate = validators.ProxyConfig as ((data: unknown) => boolean) & { errors?: unknown[] | null };
      for (const d of parsed.documents) {
        const ok = validate(d.value);
        expect([input.file, d.index, ok ? [] : validate.errors]).toEqual([input.file, d.index, []]);
      }
    }
  });
});

describe("code and schema agree", () => {
  test("KINDS is the schema's kind enum, API_VERSION its apiVersion const", () => {
    expect([...KINDS]).toEqual(schema.properties.kind.enum);
    expect(API_VERSION).toBe(schema.properties.apiVersion.const);
    for (const k of KINDS) {
      expect(defs[k].properties.kind.const).toBe(k);
      expect(defs[k].properties.apiVersion.const).toBe(API_VERSION);
    }
  });

  test("the types agree at compile time (DocumentKind, apiVersion)", () => {
    type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
    const kinds: Equal<DocumentKind, UnimeshDocument["kind"]> = true;
    const version: Equal<TrafficPolicy["apiVersion"], "unimesh.io/v1alpha1"> = true;
    expect([kinds, version]).toEqual([true, true]);
  });

  test("every object definition is an exported interface of the generated model", () => {
    const model = readFileSync(join(ROOT, "src/api/generated/model.ts"), "utf8");
    const objects = Object.entries(defs)
      .filter(([, d]) => d.type === "object")
      .map(([k]) => k);
    expect(objects.filter((k) => !new RegExp(`^export interface ${k} \\{`, "m").test(model))).toEqual([]);
  });

  test("features are named after the schema properties that ask for them", () => {
    const props = new Set([...Object.keys(defs.Route.properties), ...Object.keys(defs.TrafficPolicySpec.properties)]);
    for (const k of ["name", "source", "destination", "routes"]) props.delete(k);
    // `failover` names other members of a virtual mesh: a use of the crossCluster feature, like split[].cluster.
    props.delete("failover");
    const modelOnly = ["mtls", "access", "accessL7", "accessNegation", "scope", "requestAuthentication", "trafficSource", "crossCluster", "wasmExtension"];
    expect([...props].sort()).toEqual(FEATURES.filter((f) => !modelOnly.includes(f)).sort());
  });

  test("golden cases are named after features, or a feature and a variant (besides the negative and combined cases)", () => {
    const cases = readdirSync(join(ROOT, "test/golden")).filter((d) => statSync(join(ROOT, "test/golden", d)).isDirectory());
    const extra = ["conflict", "merged"];
    // `<feature><Variant>`, e.g. rateLimitPerIdentity, accessL7Suffix: the feature, then an upper-case letter.
    const named = (c: string) => FEATURES.some((f) => c === f || (c.startsWith(f) && /^[A-Z]/.test(c.slice(f.length))));
    expect(cases.filter((c) => !named(c) && !extra.includes(c))).toEqual([]);
  });

  test("the Duration pattern and parseDuration accept the same strings", () => {
    const re = new RegExp(defs.Duration.pattern, "u");
    const samples = ["1ms", "2s", "1m30s", "1.5h", "0ms", "10", "s", "1x", "1m 30s", "-1s", "1.s", ".5s", "1h1h", "250ms", "1mss", "", "1e3s", "01s"];
    for (const s of samples) expect([s, re.test(s)]).toEqual([s, parseDuration(s) !== undefined]);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
  });
});
