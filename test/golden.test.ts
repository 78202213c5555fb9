/**
 * Golden files: every case in test/golden/<case>/input.yaml translated for every target of
 * test/support/targets.ts, compared with <case>/<target file>; model diagnostics compared with
 * <case>/diagnostics.golden.txt. Every emitted object is validated against the upstream CRDs.
 * Update after a reviewed change with `npx vitest run test/golden.test.ts -u`. With CI=true (as `.ci/run`
 * sets it) a missing golden file fails instead of being written.
 */
import { describe, expect, test } from "vitest";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic, loadModel, toYaml, translate, type Diagnostic, type TranslateResult } from "../src/index.js";
import { GOLDEN_TARGETS } from "./support/targets.js";
import { loadCrds } from "./support/crd-validator.js";

const ROOT = join(import.meta.dirname, "golden");
const cases = readdirSync(ROOT)
  .filter((d) => statSync(join(ROOT, d)).isDirectory())
  .sort();

function rel(d: Diagnostic): Diagnostic {
  return d.file ? { ...d, file: d.file.replace(/^.*test\/golden\//, "") } : d;
}

/** The golden text of one translation: a header with the diagnostics, then the YAML. */
function renderTranslation(caseName: string, r: TranslateResult): string {
  const head = [`# unimesh translate test/golden/${caseName}/input.yaml --mesh ${r.mesh}`];
  if (r.diagnostics.length) head.push("# diagnostics:", ...r.diagnostics.map((d) => "#   " + formatDiagnostic(rel(d))));
  head.push(...r.status.filter((s) => s.state !== "accepted").map((s) => `# status: ${s.policy} ${s.state} (${s.reasons.join(", ")})`));
  return head.join("\n") + "\n" + (r.ok ? toYaml(r.resources) : "# no output: the translation has errors\n");
}

describe.each(cases)("golden %s", (caseName) => {
  const text = readFileSync(join(ROOT, caseName, "input.yaml"), "utf8");
  const loaded = loadModel([{ file: `test/golden/${caseName}/input.yaml`, text }]);
  const optionsFile = join(ROOT, caseName, "options.json");
  const caseOptions: Record<string, { allowApproximations?: string[]; member?: string }> = existsSync(optionsFile)
    ? JSON.parse(readFileSync(optionsFile, "utf8"))
    : {};

  test("model diagnostics", async () => {
    const out = loaded.diagnostics.map((d) => formatDiagnostic(rel(d))).join("\n");
    await expect(out ? out + "\n" : "(none)\n").toMatchFileSnapshot(join(ROOT, caseName, "diagnostics.golden.txt"));
  });

  // A case whose model is invalid (a negative case) is shown by its diagnostics golden alone: it must
  // have no mesh golden (a stale one would otherwise never be compared).
  test.runIf(!loaded.ok)("invalid model: diagnostics only, no mesh goldens", () => {
    expect(loaded.diagnostics.some((d) => d.severity === "error")).toBe(true);
    expect(GOLDEN_TARGETS.map((t) => t.file).filter((f) => existsSync(join(ROOT, caseName, f)))).toEqual([]);
  });

  for (const t of GOLDEN_TARGETS) {
    test.runIf(loaded.ok)(t.file, async () => {
      const opts = { adapter: t.adapter, version: t.version, ...t.options, ...(caseOptions["*"] ?? {}), ...(caseOptions[t.adapter.name] ?? {}) };
      const r = translate(loaded.model, opts);
      await expect(renderTranslation(caseName, r)).toMatchFileSnapshot(join(ROOT, caseName, t.file));
      // Determinism: a second run gives byte-identical output.
      expect(toYaml(translate(loaded.model, opts).resources)).toBe(toYaml(r.resources));
      // Every Kubernetes object is checked against the upstream CRDs (the builtin target emits no CRD-backed object).
      if (r.ok && t.crdSets.length) {
        const crds = loadCrds(...t.crdSets);
        const checked = r.resources.filter((o) => !(t.nonCrdApiVersions ?? []).includes(o.apiVersion));
        expect(checked.flatMap((o) => crds.validate(o))).toEqual([]);
      }
    });
  }
});
