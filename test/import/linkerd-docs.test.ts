/**
 * Linkerd's own documentation examples (test/import/fixtures/linkerd-docs, see PROVENANCE.md) through
 * `unimesh import --from linkerd`, with the applications' Services and Deployments (emojivoto.yml,
 * booksapp.yml) as facts: each scenario imports (or fails with the reason), and the documents translate to
 * Linkerd, Istio and App Mesh or say precisely why not. The outcomes are recorded in
 * linkerd-docs.golden.txt (update with -u after reading the diff).
 */
import { describe, expect, test } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../cli/helpers.js";

const DIR = "test/import/fixtures/linkerd-docs";
const scenarios = readdirSync(join(import.meta.dirname, "fixtures/linkerd-docs/scenarios")).sort();
/** The facts and the namespace (booksapp.yml names none: the guides apply it with -n booksapp) of each app. */
const APP: Record<string, string[]> = {
  emojivoto: [`${DIR}/platform/emojivoto.yml`],
  booksapp: [`${DIR}/platform/booksapp.yml`, "-n", "booksapp"],
};
/** Scenarios whose import must fail: a construct the model cannot carry without changing what it routes. */
const REFUSED = new Set<string>();

function lines(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => / (error|warning) /.test(l))
    .map((l) => l.replaceAll(`${DIR}/`, ""));
}

describe("Linkerd documentation examples", () => {
  const outcomes: string[] = [];
  for (const name of scenarios) {
    test(name, async () => {
      const inputs = [`${DIR}/scenarios/${name}`, ...(APP[name.split("-")[0]] ?? [])];
      const imported = await cli(["import", "--from", "linkerd", ...inputs]);
      const out = [`## ${name}`, `import: exit ${imported.code}`, ...lines(imported.stderr).map((l) => `  ${l}`)];
      if (REFUSED.has(name)) {
        expect(imported.code).toBe(1);
        expect(lines(imported.stderr).some((l) => / error /.test(l))).toBe(true);
      } else {
        expect(imported.code).toBe(0);
        for (const mesh of ["linkerd", "istio", "appmesh"]) {
          const r = await cli(["translate", "-", "--mesh", mesh, "-q"], { stdin: imported.stdout });
          const errors = r.stderr.split("\n").filter((l) => / error /.test(l));
          // Never a failure without a reason, never a reason on a success.
          expect(r.code === 0).toBe(errors.length === 0);
          if (mesh === "linkerd") expect(errors).toEqual([]);
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
      }
      outcomes.push(out.join("\n"));
    });
  }
  test("outcomes", async (ctx) => {
    if (outcomes.length !== scenarios.length) ctx.skip(); // a filtered run (-t) did not record every scenario
    await expect(outcomes.sort().join("\n\n") + "\n").toMatchFileSnapshot(join(import.meta.dirname, "linkerd-docs.golden.txt"));
  });
});
