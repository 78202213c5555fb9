/**
 * Determinism of the whole pipeline (load → validate → model → translate → emit), with a tiny fake
 * adapter defined here (the real adapters have their own golden tests): the same input gives
 * byte-identical output, whatever the order of documents and files; names are valid and bounded.
 */
import { describe, expect, test } from "vitest";
import {
  FEATURES,
  dnsLabel,
  isDnsLabel,
  loadModel,
  objectMeta,
  toJson,
  toYaml,
  translate,
  type Adapter,
  type Capabilities,
  type KubeObject,
  type Model,
  type TextInput,
} from "../../src/index.js";

/**
 * Emits, per destination, one object with its route table and subsets, and per route one object with
 * a long composed name. Emits in reverse order and with unsorted keys on purpose; reuses one object
 * in two places (a shared reference) on purpose.
 */
const fake: Adapter = {
  name: "fake",
  description: "test adapter",
  versions: ["1.0"],
  defaultVersion: "1.0",
  capabilities: () => Object.fromEntries(FEATURES.map((f) => [f, { support: "full" }])) as Capabilities,
  translate(model: Model): KubeObject[] {
    const out: KubeObject[] = [];
    for (const v of model.destinations()) {
      const shared = { kept: true, zone: "z", area: "a" };
      out.push({
        kind: "FakeTable",
        apiVersion: "fake.unimesh.io/v1",
        spec: {
          zeta: shared,
          alpha: shared,
          routes: v.routes.map((r) => ({
            policy: r.policy.id,
            match: r.match?.value ?? null,
            timeoutMs: r.timeout?.value ?? null,
            targets: r.action.kind === "split" ? r.action.targets.map((t) => ({ subset: t.subset?.name ?? null, weight: t.weight })) : r.action.kind,
          })),
          subsets: v.subsets,
          allow: v.allow.map((a) => ({ policy: a.policy.id, identities: a.source?.identities ?? "any" })),
          defaultRoute: v.needsDefaultRoute,
        },
        metadata: objectMeta(dnsLabel(v.service, "table"), v.namespace, [...v.trafficPolicies, ...v.accessPolicies], { labels: { z: "1", a: "2" } }),
      });
      v.routes.forEach((r, i) => {
        out.push({
          apiVersion: "fake.unimesh.io/v1",
          kind: "FakeRoute",
          metadata: objectMeta(dnsLabel(r.policy.name, v.service, r.name ?? `route-${i}`, "with-a-rather-long-suffix"), v.namespace, [r.policy]),
          spec: { service: v.service },
        });
      });
    }
    return out.reverse();
  },
};

const doc = (kind: string, name: string, namespace: string, spec: unknown) =>
  `apiVersion: unimesh.io/v1alpha1\nkind: ${kind}\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${JSON.stringify(spec)}\n`;

const LONG = "a-very-long-service-name-that-is-exactly-sixty-three-chars-long".slice(0, 63);
const docs = [
  doc("MeshService", "reviews", "bookinfo", {
    ports: [{ port: 9080 }],
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  }),
  doc("TrafficPolicy", "b-canary", "bookinfo", {
    destination: { service: "reviews", port: 9080 },
    routes: [
      {
        name: "canary",
        split: [
          { subset: { version: "v1" }, weight: 90 },
          { subset: { version: "v2" }, weight: 10 },
        ],
      },
    ],
  }),
  doc("TrafficPolicy", "a-jason", "bookinfo", {
    destination: { service: "reviews", port: 9080 },
    routes: [{ name: "jason", match: { headers: { "end-user": { exact: "jason" } } }, split: [{ subset: { version: "v2" } }] }],
  }),
  doc("TrafficPolicy", "timeouts", "shop", {
    destination: { service: LONG },
    timeout: "2s",
    routes: [{ name: "x".repeat(63), match: { path: { prefix: "/a" } } }, { name: "y".repeat(63) }],
  }),
  doc("AccessPolicy", "readers", "bookinfo", { destination: { service: "reviews" }, allow: [{ source: { serviceAccounts: ["productpage", "ops/admin"] } }] }),
  doc("TrafficPolicy", "cart", "shop", { destination: { service: "cart" }, routes: [{ split: [{ subset: { version: "v2", track: "blue" } }] }] }),
];

function run(inputs: TextInput[]): { yaml: string; json: string; diagnostics: string } {
  const loaded = loadModel(inputs);
  expect(loaded.diagnostics).toEqual([]);
  const r = translate(loaded.model, { adapter: fake });
  expect(r.ok).toBe(true);
  return { yaml: toYaml(r.resources), json: toJson(r.resources), diagnostics: JSON.stringify(r.diagnostics) };
}

describe("determinism", () => {
  const inOneFile = [{ file: "all.yaml", text: docs.join("---\n") }];

  test("the same input twice gives byte-identical YAML and JSON", () => {
    const a = run(inOneFile);
    const b = run(inOneFile.map((i) => ({ ...i })));
    expect(b.yaml).toBe(a.yaml);
    expect(b.json).toBe(a.json);
    expect(a.yaml.length).toBeGreaterThan(500);
  });

  test("documents in another order give the same output", () => {
    const a = run(inOneFile);
    const reversed = run([{ file: "all.yaml", text: [...docs].reverse().join("---\n") }]);
    const shuffled = run([{ file: "all.yaml", text: [docs[3], docs[0], docs[5], docs[2], docs[4], docs[1]].join("---\n") }]);
    expect(reversed.yaml).toBe(a.yaml);
    expect(shuffled.yaml).toBe(a.yaml);
    expect(shuffled.json).toBe(a.json);
  });

  test("documents split over files, in another file order, give the same output", () => {
    const a = run(inOneFile);
    const files = docs.map((text, i) => ({ file: `f${i}.yaml`, text }));
    expect(run(files).yaml).toBe(a.yaml);
    expect(run([...files].reverse()).yaml).toBe(a.yaml);
  });

  test("the same invalid input gives the same diagnostics, in any file order", () => {
    const bad = [
      { file: "a.yaml", text: doc("TrafficPolicy", "p", "shop", { destination: { service: "x" }, timeout: "0ms", retries: { attempts: 99 } }) },
      {
        file: "b.yaml",
        text: doc("TrafficPolicy", "q", "shop", { destination: { service: "x" }, routes: [{ split: [{ weight: 10 }, { subset: { v: "2" }, weight: 10 }] }] }),
      },
      { file: "c.yaml", text: doc("MTLSPolicy", "m", "shop", { mode: "strict", ports: { "80": "disabled" } }) },
    ];
    const one = loadModel(bad).diagnostics;
    expect(one.length).toBeGreaterThanOrEqual(3);
    expect(loadModel([...bad].reverse()).diagnostics).toEqual(one);
    expect(loadModel([bad[1], bad[2], bad[0]]).diagnostics).toEqual(one);
  });

  test("objects are sorted (apiVersion, kind, namespace, name) and keys canonical", () => {
    const loaded = loadModel(inOneFile);
    const r = translate(loaded.model, { adapter: fake });
    const keys = r.resources.map((o) => [o.apiVersion, o.kind, o.metadata.namespace ?? "", o.metadata.name].join("|"));
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const table = r.resources.find((o) => o.kind === "FakeTable")!;
    expect(Object.keys(table)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(Object.keys(table.metadata)).toEqual(["name", "namespace", "labels", "annotations"]);
    expect(Object.keys(table.metadata.labels!)).toEqual(["a", "app.kubernetes.io/managed-by", "unimesh.io/policy-set", "z"]);
    expect(Object.keys(table.spec as object)).toEqual(["allow", "alpha", "defaultRoute", "routes", "subsets", "zeta"]);
  });

  test("a value the adapter reuses is written out twice, without YAML anchors", () => {
    const { yaml } = run(inOneFile);
    expect(yaml).not.toMatch(/&ref|\*ref|: &|: \*/);
    expect(yaml.match(/kind: FakeTable/g)?.length).toBe(3); // bookinfo/reviews, shop/cart, shop/<long>
    expect(yaml.match(/kept: true/g)?.length).toBe(2 * 3); // alpha and zeta, in each table
  });

  test("the route table in the output is the model's (most specific first)", () => {
    const table = JSON.parse(run(inOneFile).json).items.find((o: KubeObject) => o.kind === "FakeTable" && o.metadata.name === "reviews-table");
    expect(table.spec.routes.map((r: { policy: string }) => r.policy)).toEqual(["TrafficPolicy/bookinfo/a-jason", "TrafficPolicy/bookinfo/b-canary"]);
    expect(table.spec.routes[0].targets).toEqual([{ subset: "v2", weight: 100 }]);
    expect(table.spec.defaultRoute).toBe(false);
  });

  test("names built from long inputs are valid DNS-1123 labels of at most 63 characters, all distinct", () => {
    const r = translate(loadModel(inOneFile).model, { adapter: fake });
    const names = r.resources.map((o) => o.metadata.name);
    for (const n of names) {
      expect(isDnsLabel(n), n).toBe(true);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => /-[0-9a-f]{8}$/.test(n)).length).toBeGreaterThanOrEqual(3); // the long ones were cut and hashed
  });
});
