/**
 * The feature contract, both ways:
 * - the core enforces it for every adapter, third-party ones included: a policy using a feature the
 *   adapter declares `none` for (or does not declare) is an `adapter/unsupported-feature` error, even when
 *   the adapter emits nothing and says nothing about it (before: exit 0 and no output);
 * - every shipped adapter's declared capability agrees with what it does on the golden case of each
 *   feature (test/golden/<feature>/), for every version the goldens target: `full` → no unsupported-*
 *   error or warning about the feature; `none` → every use of the feature reported by the adapter itself
 *   (not left to the core), and output only as an approximation the user opted into.
 */
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  FEATURES,
  type Feature,
  loadModel,
  translate,
  type Adapter,
  type Capabilities,
  type Diagnostic,
  type KubeObject,
  type Model,
  type TranslateContext,
} from "../../src/index.js";
import { featureUses, undeclaredUses } from "../../src/api/feature-use.js";
import { type FeatureModule, deriveCapabilities, full, none, refusedFeature } from "../../src/api/feature-module.js";
import { linkerd } from "../../src/adapters/linkerd/index.js";
import { LINKERD_FEATURES } from "../../src/adapters/linkerd/features/index.js";
import { istio } from "../../src/adapters/istio/index.js";
import { ISTIO_FEATURES } from "../../src/adapters/istio/features/index.js";
import { BUILTIN_ADAPTERS } from "../../src/adapters/index.js";
import { GOLDEN_TARGETS } from "../support/targets.js";
import { cli } from "../cli/helpers.js";
import { codeFamily, isCodeIn } from "../../src/api/diagnostics.js";

const GOLDEN = join(import.meta.dirname, "../golden");

/** Capabilities with every feature `full` but those given. */
function caps(over: Partial<Capabilities> = {}): Capabilities {
  return { ...Object.fromEntries(FEATURES.map((f) => [f, { support: "full" }])), ...over } as Capabilities;
}

/** A third-party adapter that emits nothing and reports nothing, whatever the capabilities say. */
function silent(capabilities: Partial<Capabilities>, translate: Adapter["translate"] = () => []): Adapter {
  return {
    name: "thirdparty",
    description: "a third-party adapter",
    versions: ["1"],
    defaultVersion: "1",
    capabilities: () => capabilities as Capabilities,
    translate,
  };
}

const ACCESS = `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: { name: reviews-access, namespace: shop }
spec:
  destination: { service: reviews }
  allow:
    - source: { serviceAccounts: [productpage] }
`;
const RETRIES = `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: { name: reviews-retries, namespace: shop }
spec:
  destination: { service: reviews }
  retries: { attempts: 3 }
`;

const model = (text: string) => {
  const r = loadModel([{ file: "policies.yaml", text }]);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.model;
};

describe("the core enforces declared capabilities for every adapter", () => {
  test("access: none, and the adapter emits nothing and says nothing → adapter/unsupported-feature error, no output", () => {
    const r = translate(model(ACCESS), { adapter: silent(caps({ access: { support: "none", note: "no authorization API" } })) });
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: "adapter/unsupported-feature/access",
        severity: "error",
        feature: "access",
        adapter: "thirdparty@1",
        policy: "AccessPolicy/shop/reviews-access",
        pointer: "/spec",
        file: "policies.yaml",
        line: 4,
      }),
    ]);
    expect(r.diagnostics[0].message).toContain("no authorization API");
    expect(r.status).toEqual([{ policy: "AccessPolicy/shop/reviews-access", state: "rejected", reasons: ["adapter/unsupported-feature/access"] }]);
  });

  test("a feature the adapter does not declare at all counts as none (an adapter older than the feature)", () => {
    const { retries: _, ...withoutRetries } = caps();
    const r = translate(model(RETRIES), { adapter: silent(withoutRetries) });
    expect(r.diagnostics.map((d) => [d.code, d.feature, d.pointer])).toEqual([["adapter/unsupported-feature/retries", "retries", "/spec/retries"]]);
  });

  test("features declared full or partial, and policies that do not use the feature, are left to the adapter", () => {
    expect(translate(model(RETRIES), { adapter: silent(caps({ access: { support: "none" } })) }).ok).toBe(true);
    expect(translate(model(ACCESS), { adapter: silent(caps({ access: { support: "partial" } })) }).ok).toBe(true);
  });

  test("an adapter that reports the use itself gets no second diagnostic (its own error, or an approximation the user opted into)", () => {
    const own = silent(caps({ access: { support: "none" } }), (m: Model, ctx: TranslateContext): KubeObject[] => {
      for (const e of m.accessPolicies)
        ctx.report(e, "/spec/allow/0", { code: "adapter/unsupported-feature", severity: "error", message: "no access", feature: "access" });
      return [];
    });
    expect(translate(model(ACCESS), { adapter: own }).diagnostics.map((d) => d.message)).toEqual(["no access"]);
    const approx = silent(caps({ access: { support: "none" } }), (m: Model, ctx: TranslateContext): KubeObject[] => {
      for (const e of m.accessPolicies)
        ctx.report(e, "/spec", { code: "adapter/approximation", severity: "warning", message: "whole service", feature: "access" });
      return [];
    });
    const r = translate(model(ACCESS), { adapter: approx });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => codeFamily(d.code))).toEqual(["adapter/approximation"]);
  });

  test("an info note about the use does not count as reporting it", () => {
    const note = silent(caps({ access: { support: "none" } }), (m: Model, ctx: TranslateContext): KubeObject[] => {
      for (const e of m.accessPolicies) ctx.report(e, "/spec", { code: "adapter/note", severity: "info", message: "fyi", feature: "access" });
      return [];
    });
    expect(
      translate(model(ACCESS), { adapter: note })
        .diagnostics.map((d) => codeFamily(d.code))
        .sort(),
    ).toEqual(["adapter/note", "adapter/unsupported-feature"]);
  });

  describe("CLI: translate --adapter a third-party module", () => {
    const dir = mkdtempSync(join(tmpdir(), "unimesh-contract-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "policies.yaml"), ACCESS);
    writeFileSync(
      join(dir, "silent.mjs"),
      `
const FEATURES = ${JSON.stringify(FEATURES)};
export default {
  name: "silent", description: "declares access: none and emits nothing", versions: ["1"], defaultVersion: "1",
  capabilities: () => Object.fromEntries(FEATURES.map((f) => [f, { support: f === "access" ? "none" : "full" }])),
  translate: () => [],
};
`,
    );
    test("exit 1, the error on stderr, nothing on stdout", async () => {
      const r = await cli(["translate", "policies.yaml", "--adapter", "./silent.mjs"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("adapter/unsupported-feature");
      expect(r.stderr).toContain("policies.yaml:4");
    });
  });
});

// ------------------------------------------------------------------------------ declared vs done

/** The golden case of a feature: its model and the approximations its options.json opts into per adapter. */
function goldenCase(feature: Feature): { model: Model; approximations: Record<string, string[]> } {
  const dir = join(GOLDEN, feature);
  const r = loadModel([{ file: `test/golden/${feature}/input.yaml`, text: readFileSync(join(dir, "input.yaml"), "utf8") }]);
  expect(r.ok, `test/golden/${feature} is a valid model`).toBe(true);
  const options = existsSync(join(dir, "options.json")) ? JSON.parse(readFileSync(join(dir, "options.json"), "utf8")) : {};
  return {
    model: r.model,
    approximations: Object.fromEntries(Object.entries(options).map(([k, v]) => [k, (v as { allowApproximations?: string[] }).allowApproximations ?? []])),
  };
}

/** What the adapter itself reports for a model (its translate() with a recording context, without the core's checks). */
function adapterDiagnostics(adapter: Adapter, version: string, m: Model, approximations: readonly string[], settings?: Record<string, string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allow = new Set(approximations);
  const ctx: TranslateContext = {
    version,
    options: { allowApproximations: [...allow], policySet: "default", ...(settings ? { settings } : {}) },
    report: (entry, pointer, d) => {
      out.push({ ...m.diagnostic(entry, pointer, d), adapter: `${adapter.name}@${version}` });
    },
    reportGlobal: (d) => {
      out.push({ ...d });
    },
    allows: (a) => allow.has(a),
  };
  adapter.translate(m, ctx);
  return out;
}

/** Where an adapter's declared support for `feature` disagrees with what it does on the feature's golden case. */
function contractViolations(
  adapter: Adapter,
  version: string,
  feature: Feature,
  m: Model,
  approximations: readonly string[],
  settings?: Record<string, string>,
): string[] {
  const support = adapter.capabilities(version, settings)[feature]?.support ?? "none";
  const diags = adapterDiagnostics(adapter, version, m, approximations, settings);
  const about = diags.filter((d) => d.feature === feature);
  const out: string[] = [];
  if (support === "full") {
    for (const d of about) {
      if (/^adapter\/unsupported-/.test(d.code) && d.severity !== "info")
        out.push(`declares ${feature} full but reports ${codeFamily(d.code)} (${d.severity}) at ${d.pointer}: ${d.message}`);
    }
  }
  if (support === "none") {
    const only = caps({ [feature]: { support: "none" } });
    for (const d of undeclaredUses(m, only, diags, `${adapter.name}@${version}`))
      out.push(`declares ${feature} none but says nothing about ${d.pointer} of ${d.policy} (left to the core)`);
    if (!diags.some((d) => d.severity === "error") && !about.some((d) => isCodeIn(d.code, "adapter/approximation"))) {
      out.push(`declares ${feature} none but translates its golden case without an error or an approximation`);
    }
  }
  return out;
}

describe("declared capabilities agree with what the shipped adapters do", () => {
  test.each([...FEATURES])("every feature has a golden case that uses it: %s", (feature) => {
    expect(existsSync(join(GOLDEN, feature, "input.yaml"))).toBe(true);
    expect(featureUses(goldenCase(feature).model).some((u) => u.feature === feature)).toBe(true);
  });

  const cases = GOLDEN_TARGETS.flatMap((t) => FEATURES.map((f) => [t.file.replace(/\.golden\.yaml$/, ""), f, t] as const));
  test.each(cases)("%s: %s", (_mesh, feature, t) => {
    const { model: m, approximations } = goldenCase(feature);
    expect(contractViolations(t.adapter, t.version, feature, m, approximations[t.adapter.name] ?? [], t.options?.settings)).toEqual([]);
  });

  test("the check catches an adapter whose declaration lies", () => {
    const linkerd = GOLDEN_TARGETS.find((t) => t.adapter.name === "linkerd")!;
    const istio = GOLDEN_TARGETS.find((t) => t.adapter.name === "istio")!;
    // Linkerd reports an unsupported retry condition: claiming full support is caught.
    const boasting: Adapter = { ...linkerd.adapter, capabilities: (v) => ({ ...linkerd.adapter.capabilities(v), retries: { support: "full" } }) };
    const retries = goldenCase("retries");
    expect(contractViolations(boasting, linkerd.version, "retries", retries.model, [])).not.toEqual([]);
    // Istio translates fault injection: claiming none while producing it silently is caught.
    const modest: Adapter = { ...istio.adapter, capabilities: (v) => ({ ...istio.adapter.capabilities(v), faultInjection: { support: "none" } }) };
    const faults = goldenCase("faultInjection");
    expect(contractViolations(modest, istio.version, "faultInjection", faults.model, [])).toEqual(
      expect.arrayContaining([
        expect.stringContaining("declares faultInjection none but says nothing about /spec"),
        "declares faultInjection none but translates its golden case without an error or an approximation",
      ]),
    );
  });
});

// ------------------------------------------------------------------------------ feature modules

/**
 * Every shipped adapter with its feature modules: the array `src/adapters/<name>/features/index.ts`
 * exports (found by convention, so a new mesh needs no line here).
 */
const MODULAR: readonly [Adapter, readonly FeatureModule[]][] = await Promise.all(
  BUILTIN_ADAPTERS.map(async (a) => {
    const index: Record<string, unknown> = await import(`../../src/adapters/${a.name}/features/index.ts`);
    const lists = Object.values(index).filter(
      (v): v is readonly FeatureModule[] => Array.isArray(v) && v.every((m) => Array.isArray(m?.features) && typeof m?.capabilities === "function"),
    );
    expect(lists, `src/adapters/${a.name}/features/index.ts exports one FeatureModule[]`).toHaveLength(1);
    return [a, lists[0]] as const;
  }),
);

describe("capabilities are derived from the feature modules", () => {
  test("every shipped adapter is checked (it has features/index.ts)", () => {
    expect(MODULAR.map(([a]) => a.name)).toEqual(BUILTIN_ADAPTERS.map((a) => a.name));
  });

  test.each(MODULAR.map(([a, m]) => [a.name, a, m] as const))(
    "%s: capabilities(version) is what its modules declare, for every version",
    (_name, adapter, modules) => {
      for (const v of adapter.versions) expect(adapter.capabilities(v)).toEqual(deriveCapabilities(modules, v));
    },
  );

  test.each(MODULAR.map(([a, m]) => [a.name, a, m] as const))("%s: every feature is owned by exactly one module", (_name, adapter, modules) => {
    const owners = modules.flatMap((m) => m.features);
    expect([...owners].sort()).toEqual([...FEATURES].sort());
    expect(() => deriveCapabilities(modules, adapter.defaultVersion)).not.toThrow();
  });

  test("deriveCapabilities refuses a feature owned twice, a feature nobody owns, a declaration for a feature the module does not own", () => {
    const rest = FEATURES.filter((f) => f !== "cors" && f !== "mirror").map((f) => refusedFeature(f, "no"));
    const cors = refusedFeature("cors", "no");
    expect(() => deriveCapabilities([...rest, cors, refusedFeature("mirror", "no"), cors], "1")).toThrow(/cors is owned by two feature modules/);
    expect(() => deriveCapabilities([...rest, cors], "1")).toThrow(/no feature module owns mirror/);
    const liar: FeatureModule = { features: ["mirror"], capabilities: () => ({ mirror: none("no"), cors: full("x") }) };
    expect(() => deriveCapabilities([...rest, cors, liar], "1")).toThrow(/declares capabilities for cors, mirror/);
  });

  test("Istio: a module whose declaration disagrees with its code is caught, version by version", () => {
    const retries = goldenCase("retries");
    const mirrors = goldenCase("mirror");
    // features/retries.ts refuses backoff before Istio 1.30 and declares retries partial there: a module
    // declaring retries full in every version is caught on 1.22, and agrees with the code on 1.30.
    const lying = ISTIO_FEATURES.map((m) => (m.features.includes("retries") ? { features: m.features, capabilities: () => ({ retries: full("x") }) } : m));
    const boasting: Adapter = { ...istio, capabilities: (v) => deriveCapabilities(lying, v) };
    expect(contractViolations(boasting, "1.22", "retries", retries.model, [])).toEqual([
      expect.stringMatching(/^declares retries full but reports adapter\/unsupported-value \(error\) at \/spec\/retries\/backoff/),
    ]);
    expect(contractViolations(boasting, "1.30", "retries", retries.model, [])).toEqual([]);
    expect(contractViolations(istio, "1.22", "retries", retries.model, [])).toEqual([]);
    // features/mirror.ts translates mirrors: a module declaring them none is caught in every version.
    const modest = ISTIO_FEATURES.map((m) => (m.features.includes("mirror") ? refusedFeature("mirror", "no") : m));
    const shy: Adapter = { ...istio, capabilities: (v) => deriveCapabilities(modest, v) };
    for (const t of GOLDEN_TARGETS.filter((x) => x.adapter === istio)) {
      expect(contractViolations(shy, t.version, "mirror", mirrors.model, [])).toContain(
        "declares mirror none but translates its golden case without an error or an approximation",
      );
    }
  });

  test("a module whose declaration disagrees with its code is caught on the feature's golden case", () => {
    const t = GOLDEN_TARGETS.find((x) => x.adapter === linkerd && x.version === linkerd.defaultVersion)!;
    // features/faultInjection.ts refuses fault injection; a module declaring it full is caught.
    const lying = LINKERD_FEATURES.map((m) =>
      m.features.includes("faultInjection") ? { features: m.features, capabilities: () => ({ faultInjection: full("x") }) } : m,
    );
    const boasting: Adapter = { ...linkerd, capabilities: (v) => deriveCapabilities(lying, v) };
    const faults = goldenCase("faultInjection");
    const found = contractViolations(boasting, t.version, "faultInjection", faults.model, []);
    expect(found).not.toEqual([]);
    for (const v of found) expect(v).toMatch(/^declares faultInjection full but reports adapter\/unsupported-feature/);
    // features/retries.ts translates retries: a module declaring them none is caught.
    const modest = LINKERD_FEATURES.map((m) => (m.features.includes("retries") ? refusedFeature("retries", "no") : m));
    const shy: Adapter = { ...linkerd, capabilities: (v) => deriveCapabilities(modest, v) };
    const retries = goldenCase("retries");
    expect(contractViolations(shy, t.version, "retries", retries.model, [])).not.toEqual([]);
  });
});
