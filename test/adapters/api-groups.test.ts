/**
 * `Adapter.apiGroups` (what `apply --prune` searches) must cover every API group a shipped adapter
 * emits: checked on every golden output, so a new kind in a new group cannot be forgotten (its objects
 * would never be pruned once no longer generated). And every declared group has an install hint (the
 * adapter's `cluster.installHints`, or the core's for shared APIs), so a missing CRD names what to install.
 * Every shipped adapter (BUILTIN_ADAPTERS) is checked, a new one included.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { BUILTIN_ADAPTERS } from "../../src/adapters/index.js";
import { installerOf } from "../../src/kube/kinds.js";

const GOLDEN = join(import.meta.dirname, "../golden");

/** API groups of every object in the goldens of `mesh`, with the files they come from. */
function emittedGroups(mesh: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const c of readdirSync(GOLDEN)) {
    for (const f of readdirSync(join(GOLDEN, c))) {
      if (!f.endsWith(".golden.yaml") || f.split(/[@.]/)[0] !== mesh) continue;
      for (const o of yaml.loadAll(readFileSync(join(GOLDEN, c, f), "utf8")) as { apiVersion: string }[]) {
        if (!o) continue;
        const group = o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "";
        if (!groups.has(group)) groups.set(group, `${c}/${f}`);
      }
    }
  }
  return groups;
}

describe("Adapter.apiGroups", () => {
  const emitting = BUILTIN_ADAPTERS.filter((a) => a.apiGroups !== undefined).map((a) => a.name);

  test("the adapters that emit Kubernetes objects are found (sanity)", () => {
    expect(emitting.length).toBeGreaterThan(0);
    expect(emitting).toContain("istio");
  });

  test.each(emitting)("%s declares every group its goldens emit", (mesh) => {
    const adapter = BUILTIN_ADAPTERS.find((a) => a.name === mesh)!;
    const emitted = emittedGroups(mesh);
    expect(emitted.size).toBeGreaterThan(0);
    const undeclared = [...emitted].filter(([g]) => g !== "" && !adapter.apiGroups?.includes(g)).map(([g, f]) => `${g} (${f})`);
    expect(undeclared).toEqual([]);
  });

  test.each(emitting)("%s: every declared group names who installs its CRDs", (mesh) => {
    const adapter = BUILTIN_ADAPTERS.find((a) => a.name === mesh)!;
    const generic = adapter.apiGroups!.filter((g) => installerOf(g, [adapter]).startsWith("the CRDs of the API group"));
    expect(generic).toEqual([]);
  });

  test("the built-in proxy emits no Kubernetes API group (its ProxyConfig is not applied to clusters)", () => {
    expect(BUILTIN_ADAPTERS.find((a) => a.name === "builtin")!.apiGroups).toBeUndefined();
  });
});
