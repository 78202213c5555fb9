/**
 * AWS App Mesh's own walkthroughs (test/import/fixtures/appmesh-walkthroughs, see PROVENANCE.md) through
 * `unimesh import --from appmesh`: App Mesh was discontinued on 2026-09-30, and its users move to Istio or
 * Linkerd. Every walkthrough imports (its Services and Deployments are the facts), the documents translate
 * back to App Mesh, and to Istio and Linkerd, or say precisely why not. Outcomes in
 * appmesh-walkthroughs.golden.txt (update with -u after reading the diff).
 */
import { describe, expect, test } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { cli } from "../cli/helpers.js";

const DIR = "test/import/fixtures/appmesh-walkthroughs";
const walkthroughs = readdirSync(join(import.meta.dirname, "fixtures/appmesh-walkthroughs"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();

function lines(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => / (error|warning) /.test(l))
    .map((l) => l.replaceAll(`${DIR}/`, "").slice(0, 260));
}

describe("App Mesh walkthroughs", () => {
  const outcomes: string[] = [];
  for (const file of walkthroughs) {
    test(file, async () => {
      const imported = await cli(["import", "--from", "appmesh", `${DIR}/${file}`]);
      const out = [`## ${file}`, `import: exit ${imported.code}`, ...lines(imported.stderr).map((l) => `  ${l}`)];
      // An import either succeeds or says why with an error (never silently).
      expect(imported.code === 0).toBe(!/ error /.test(imported.stderr));
      if (imported.code !== 0) {
        outcomes.push(out.join("\n"));
        return;
      }
      const omitted = await cli(["import", "--from", "appmesh", "--mesh-defaults", "omit", "-q", `${DIR}/${file}`]);
      expect(omitted.code).toBe(0);
      for (const [mesh, input] of [
        ["appmesh", imported.stdout],
        ["istio", imported.stdout],
        ["linkerd", omitted.stdout],
      ] as const) {
        const r = await cli(["translate", "-", "--mesh", mesh, "-q"], { stdin: input });
        const errors = r.stderr.split("\n").filter((l) => / error /.test(l));
        expect(r.code === 0).toBe(errors.length === 0);
        out.push(
          `${mesh}${mesh === "linkerd" ? " (--mesh-defaults omit)" : ""}: exit ${r.code}`,
          ...errors.map(
            (l) =>
              `  ${l
                .replace(/^-:\d+:\d+ /, "")
                .replace(/: error /, ": ")
                .slice(0, 200)}`,
          ),
        );
      }
      outcomes.push(out.join("\n"));
    });
  }
  test("outcomes", async (ctx) => {
    if (outcomes.length !== walkthroughs.length) ctx.skip();
    await expect(outcomes.sort().join("\n\n") + "\n").toMatchFileSnapshot(join(import.meta.dirname, "appmesh-walkthroughs.golden.txt"));
  });
});
