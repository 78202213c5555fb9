/**
 * The bench (`npm run bench`) must measure translations that succeed: its generated input translates
 * without errors for every mesh, and has the documents it says. A change that makes the input invalid
 * for a mesh (a new error) would otherwise turn the bench into a measure of the error path.
 */
import { describe, expect, test } from "vitest";
import { BUILTIN_ADAPTERS, loadModel, translate } from "../src/index.js";
// @ts-expect-error: a plain .mjs module of the bench, without types
import { benchInput } from "../bench/input.mjs";

describe("bench input", () => {
  test.each(["istio", "linkerd", "appmesh"])("%s: the generated input translates without errors", (mesh) => {
    const { text, allowApproximations, documents } = benchInput(mesh, 250);
    const loaded = loadModel([{ file: "bench.yaml", text }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(loaded.model.policies.length + loaded.model.services.length).toBe(documents);
    const r = translate(loaded.model, { adapter: BUILTIN_ADAPTERS.find((a) => a.name === mesh)!, allowApproximations });
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.policy} ${d.pointer} ${d.message}`)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.resources.length).toBeGreaterThan(250);
  });
});
