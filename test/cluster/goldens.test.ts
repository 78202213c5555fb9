/**
 * Every golden output of every adapter (`test/golden/<case>/<target>.golden.yaml`, found on disk: new
 * cases and targets are picked up without touching this file) sent to a real kube-apiserver as a
 * server-side apply with `dryRun=All` and `fieldValidation=Strict`, with the upstream CRDs of its target
 * (test/support/targets.ts) installed. This catches what the offline validator (test/support/crd-validator.ts)
 * cannot: defaulting, structural pruning, CEL cost limits, strict field validation, the API server's own
 * checks of built-in kinds (the Services and Namespaces adapters patch).
 *
 * Targets whose CRD sets define the same CRDs (Istio 1.30 and 1.22, say) cannot be installed together:
 * the targets are grouped into phases of compatible sets, and each phase installs its CRDs, dry-runs its
 * goldens and deletes them again. Namespaces the goldens name are created; so are the Services and
 * Namespaces a golden only patches (annotation `unimesh.io/patch`: they must exist, as apply checks).
 *
 * Bookinfo too (README "Bookinfo on every mesh", issue 12's "Done means"): examples/bookinfo, and its
 * services and traffic policies alone, translated for every target; each translation without errors is
 * dry-run the same way, and the ones the README says exit 0 must be among them (the refusals of the others
 * are asserted exactly by each adapter's bookinfo test).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadModel } from "../../src/api/validate.js";
import { translate } from "../../src/api/translate.js";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { isPatch } from "../../src/api/ownership.js";
import type { KubeObject } from "../../src/api/adapter.js";
import type { KubeClient } from "../../src/kube/client.js";
import { KubeApiError } from "../../src/kube/errors.js";
import { describe as describeObject } from "../../src/kube/kinds.js";
import { GOLDEN_TARGETS } from "../support/targets.js";
import { ROOT, adminClient, applyAs, crdsOf, deleteCrds, ensureNamespace, getObject, installCrds, pathOf, server } from "./support/servers.js";

const run = inject("unimeshCluster");
const GOLDEN = join(ROOT, "test/golden");

/**
 * The Kubernetes objects of a golden file (none when the translation had errors): all of them, built-in
 * kinds too (App Mesh's Services, Linkerd's patches), which the API server checks as well.
 */
function goldenObjects(file: string): KubeObject[] {
  return (yaml.loadAll(readFileSync(file, "utf8")) as unknown[]).filter((d): d is KubeObject => !!d && typeof d === "object");
}

const cases = readdirSync(GOLDEN)
  .filter((d) => statSync(join(GOLDEN, d)).isDirectory())
  .sort();
const targets = GOLDEN_TARGETS.filter((t) => t.crdSets.length > 0);

const BOOKINFO = join(ROOT, "examples/bookinfo");
/** examples/bookinfo whole, and its services and traffic policies alone (what Kuma translates of it). */
const BOOKINFO_INPUTS = {
  bookinfo: readdirSync(BOOKINFO).filter((f) => f.endsWith(".yaml")),
  "bookinfo services+traffic": ["services.yaml", "traffic.yaml"],
} as const;
/** `<input> <golden file of the target>` that README "Bookinfo on every mesh" says translate (exit 0). */
const BOOKINFO_TRANSLATES = [
  "bookinfo istio.golden.yaml",
  "bookinfo istio@1.22.golden.yaml",
  "bookinfo istio-ambient-experimental.golden.yaml",
  "bookinfo services+traffic istio.golden.yaml",
  "bookinfo services+traffic istio@1.22.golden.yaml",
  "bookinfo services+traffic istio-ambient-experimental.golden.yaml",
  "bookinfo services+traffic kuma.golden.yaml",
];

/** The objects of a Bookinfo translation for a target, or undefined when it has errors. */
function bookinfoObjects(input: keyof typeof BOOKINFO_INPUTS, t: (typeof targets)[number]): KubeObject[] | undefined {
  const files = BOOKINFO_INPUTS[input].map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(BOOKINFO, f), "utf8") }));
  const r = translate(loadModel(files).model, { adapter: t.adapter, version: t.version, ...t.options });
  return r.ok ? r.resources : undefined;
}

/** Targets grouped so that no two CRD sets of a phase define the same CRD with different content. */
function phases(): { sets: string[]; targets: typeof targets }[] {
  const names = new Map<string, Map<string, string>>(); // set -> CRD name -> content
  const of = (set: string) => {
    let m = names.get(set);
    if (!m) names.set(set, (m = new Map(crdsOf([set]).map((c) => [c.metadata.name as string, JSON.stringify(c.spec)]))));
    return m;
  };
  const compatible = (a: string, b: string) => [...of(a)].every(([n, spec]) => !of(b).has(n) || of(b).get(n) === spec);
  const out: { sets: string[]; targets: typeof targets }[] = [];
  for (const t of targets) {
    const phase = out.find((p) => t.crdSets.every((s) => p.sets.every((q) => compatible(s, q))));
    if (phase) {
      phase.targets.push(t);
      for (const s of t.crdSets) if (!phase.sets.includes(s)) phase.sets.push(s);
    } else {
      out.push({ sets: [...t.crdSets], targets: [t] });
    }
  }
  return out;
}

/** Makes sure what a golden's objects need exists: their namespaces, and the objects they patch. */
async function prepare(client: KubeClient, objects: readonly KubeObject[]): Promise<void> {
  for (const ns of new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n))) await ensureNamespace(client, ns);
  for (const o of objects.filter(isPatch)) {
    if (o.apiVersion === "v1" && o.kind === "Namespace") await ensureNamespace(client, o.metadata.name);
    else if (o.apiVersion === "v1" && o.kind === "Service") {
      if (!(await getObject(client, "v1", "Service", o.metadata.namespace, o.metadata.name))) {
        await applyAs(client, "unimesh-test", {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
          spec: { selector: { app: o.metadata.name }, ports: [{ name: "http", port: 80 }] },
        });
      }
    } else {
      throw new Error(`${describeObject(o)} is a patch of a kind this test does not know how to create; add it to prepare()`);
    }
  }
}

/** Server-side dry run of each object; the API server's objections, one line per object. */
async function dryRun(client: KubeClient, objects: readonly KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      const path = await pathOf(client, o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
      await client.request("PATCH", path, {
        query: { fieldManager: "unimesh", force: true, dryRun: "All", fieldValidation: "Strict" },
        body: o,
        contentType: "application/apply-patch+yaml",
      });
    } catch (e) {
      problems.push(`${describeObject(o)}: ${e instanceof KubeApiError ? e.message : (e as Error).message}`);
    }
  }
  return problems;
}

describe.skipIf(!!run.skip)("golden outputs on a real kube-apiserver (server-side dry run, strict field validation)", () => {
  let client: KubeClient;
  beforeAll(async () => {
    client = await adminClient((await server(run, "goldens")).kubeconfig);
  });

  test("every target with CRDs is covered and every golden file belongs to a target", () => {
    expect(targets.length).toBeGreaterThan(0);
    const known = new Set(GOLDEN_TARGETS.map((t) => t.file));
    const stray = cases.flatMap((c) =>
      readdirSync(join(GOLDEN, c))
        .filter((f) => f.endsWith(".golden.yaml") && !known.has(f))
        .map((f) => `${c}/${f}`),
    );
    expect(stray).toEqual([]);
  });

  describe.each(phases().map((p) => [p.sets.join(" + "), p] as const))("CRDs %s", (_label, phase) => {
    const crds = crdsOf(phase.sets);
    beforeAll(async () => {
      await installCrds(client, crds);
    });
    afterAll(async () => {
      await deleteCrds(
        client,
        crds.map((c) => c.metadata.name),
      );
    });

    const goldens = phase.targets.flatMap((t) => cases.filter((c) => existsSync(join(GOLDEN, c, t.file))).map((c) => [`${c}/${t.file}`, t] as const));
    test.each(goldens)("%s", async (name) => {
      const objects = goldenObjects(join(GOLDEN, name));
      await prepare(client, objects);
      expect(await dryRun(client, objects)).toEqual([]);
    });

    const bookinfo = phase.targets.flatMap((t) =>
      Object.keys(BOOKINFO_INPUTS).map((input) => [`${input} ${t.file}`, input as keyof typeof BOOKINFO_INPUTS, t] as const),
    );
    test.each(bookinfo)("%s", async (name, input, t) => {
      const objects = bookinfoObjects(input, t);
      expect(objects !== undefined, `README "Bookinfo on every mesh": ${name} translates`).toBe(BOOKINFO_TRANSLATES.includes(name));
      if (!objects) return;
      await prepare(client, objects);
      expect(await dryRun(client, objects)).toEqual([]);
    });
  });

  test("every Bookinfo translation the README promises has a target here", () => {
    const all = targets.flatMap((t) => Object.keys(BOOKINFO_INPUTS).map((input) => `${input} ${t.file}`));
    expect(BOOKINFO_TRANSLATES.filter((n) => !all.includes(n))).toEqual([]);
  });
});
