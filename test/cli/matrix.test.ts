/** The feature × mesh matrix renderer. */
import { describe, expect, test } from "vitest";
import type { Adapter, Capabilities } from "../../src/api/adapter.js";
import { FEATURES } from "../../src/api/features.js";
import { matrixColumns, renderMatrix } from "../../src/cli/matrix.js";
import { adapter as fake } from "./fixtures/adapter.mjs";

function adapter(name: string, over: Partial<Adapter> = {}, caps: (v: string) => Partial<Capabilities> = () => ({})): Adapter {
  return {
    name,
    description: name,
    versions: ["1.0", "2.0"],
    defaultVersion: "2.0",
    capabilities: (v) => ({ ...Object.fromEntries(FEATURES.map((f) => [f, { support: "full" }])), ...caps(v) }) as Capabilities,
    translate: () => [],
    ...over,
  };
}

describe("renderMatrix", () => {
  test("no adapters: the feature column only", () => {
    const md = renderMatrix([]);
    expect(md.split("\n").slice(0, 3)).toEqual(["| Feature |", "|---|", "| `match` Request matching (path, method, headers, query) |"]);
  });

  test("one column per profile (newest version of the profile), else the default version", () => {
    const a = adapter(
      "a",
      {
        profiles: [
          { label: "1.x", versions: ["1.0"] },
          { label: "2.x", versions: ["1.5", "2.0"] },
        ],
      },
      (v) => ({ retries: { support: v === "1.0" ? "none" : "full" } }),
    );
    const b = adapter("b");
    expect(matrixColumns([a, b])).toEqual([
      { adapter: "a", label: "a 1.x", version: "1.0" },
      { adapter: "a", label: "a 2.x", version: "2.0" },
      { adapter: "b", label: "b 2.0", version: "2.0" },
    ]);
    const md = renderMatrix([a, b]);
    expect(md).toContain("| Feature | a 1.x | a 2.x | b 2.0 |\n|---|:-:|:-:|:-:|\n");
    expect(md).toContain("| `retries` Retries (attempts, per-try timeout, retry-on) | ❌ | ✅ | ✅ |\n");
    expect(md).toContain("\n✅ full · ◐ partial · ❌ none\n");
  });

  test("notes become numbered footnotes, identical notes share a number, pipes and newlines are escaped", () => {
    const a = adapter("a", {}, () => ({
      match: { support: "partial", note: "no regex | on query" },
      split: { support: "none", note: "needs\n  an extension" },
      timeout: { support: "partial", note: "no regex | on query" },
    }));
    const md = renderMatrix([a]);
    expect(md).toContain("| `match` Request matching (path, method, headers, query) | ◐ [1] |");
    expect(md).toContain("| `split` Weighted split across subsets and other Services | ❌ [2] |");
    expect(md).toContain("| `timeout` Request timeout | ◐ [1] |");
    expect(md.endsWith("\n- [1] no regex | on query\n- [2] needs an extension\n")).toBe(true);
    expect(renderMatrix([adapter("x|y")])).toContain("| Feature | x\\|y 2.0 |");
  });

  test("a feature an adapter does not declare is shown as none", () => {
    const a = adapter("a", { capabilities: () => ({}) as Capabilities });
    expect(renderMatrix([a])).toContain("| `cors` CORS | ❌ [1] |");
  });

  test("deterministic, and a table row per feature", () => {
    const md = renderMatrix([fake, adapter("b")]);
    expect(renderMatrix([fake, adapter("b")])).toBe(md);
    expect(md.split("\n").filter((l) => l.startsWith("| `"))).toHaveLength(FEATURES.length);
  });
});
