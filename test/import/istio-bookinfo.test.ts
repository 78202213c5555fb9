/**
 * Istio's own Bookinfo samples (test/import/fixtures/istio-bookinfo, see PROVENANCE.md) through
 * `unimesh import --from istio`: every scenario imports with the Services and Deployments of bookinfo.yaml
 * as facts (and destination-rule-all.yaml where a VirtualService names subsets), the documents validate and
 * translate back to Istio, and translating them to Linkerd and App Mesh either works or says precisely why
 * not. The outcomes are recorded in istio-bookinfo.golden.txt (update with -u after reading the diff).
 */
import { describe, expect, test } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../cli/helpers.js";

const DIR = "test/import/fixtures/istio-bookinfo";
const FACTS = `${DIR}/platform/bookinfo.yaml`;
const DRS = `${DIR}/networking/destination-rule-all.yaml`;
const scenarios = [
  ...readdirSync(join(import.meta.dirname, "fixtures/istio-bookinfo/networking"))
    .sort()
    .map((f) => `${DIR}/networking/${f}`),
  ...readdirSync(join(import.meta.dirname, "fixtures/istio-bookinfo/security"))
    .sort()
    .map((f) => `${DIR}/security/${f}`),
];

/** Diagnostic lines without the repository path, errors and warnings only. */
function lines(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => / (error|warning) /.test(l))
    .map((l) => l.replaceAll(`${DIR}/`, "").replace(/^-:/, "<imported>:"));
}

describe("Istio Bookinfo samples", () => {
  const outcomes: string[] = [];
  for (const file of scenarios) {
    const name = file.slice(DIR.length + 1);
    test(name, async () => {
      const inputs = [file, ...(file.includes("virtual-service") ? [DRS] : []), FACTS];
      const imported = await cli(["import", "--from", "istio", ...inputs]);
      const out = [`## ${name}`, `import: exit ${imported.code}`, ...lines(imported.stderr).map((l) => `  ${l}`)];
      expect(imported.code).toBe(0);
      // The documents validate and translate back to Istio.
      const back = await cli(["translate", "-", "--mesh", "istio", "-q"], { stdin: imported.stdout });
      expect(back.stderr.split("\n").filter((l) => / error /.test(l))).toEqual([]);
      expect(back.code).toBe(0);
      // Migration: without Istio's implicit retries, to Linkerd and App Mesh.
      const omitted = await cli(["import", "--from", "istio", "--mesh-defaults", "omit", "-q", ...inputs]);
      expect(omitted.code).toBe(0);
      for (const mesh of ["linkerd", "appmesh"]) {
        const r = await cli(["translate", "-", "--mesh", mesh, "-q"], { stdin: omitted.stdout });
        const errors = r.stderr.split("\n").filter((l) => / error /.test(l));
        // Never a failure without a reason, never a reason on a success.
        expect(r.code === 0).toBe(errors.length === 0);
        out.push(
          `${mesh}: exit ${r.code}`,
          ...errors.map(
            (l) =>
              `  ${l
                .replace(/^-:\d+:\d+ /, "")
                .replace(/: error /, ": ")
                .slice(0, 160)}`,
          ),
        );
      }
      outcomes.push(out.join("\n"));
    });
  }
  test("outcomes", async (ctx) => {
    if (outcomes.length !== scenarios.length) ctx.skip(); // a filtered run (-t) did not record every scenario
    await expect(outcomes.sort().join("\n\n") + "\n").toMatchFileSnapshot(join(import.meta.dirname, "istio-bookinfo.golden.txt"));
  });
});
