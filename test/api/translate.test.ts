/** translate(): what it guarantees around any adapter (names, namespaces, ownership labels, usage errors). */
import { describe, expect, test } from "vitest";
import {
  FEATURES,
  InternalError,
  UsageError,
  loadModel,
  translate,
  PATCH_ANNOTATION,
  MANAGED_BY_LABEL,
  POLICY_SET_LABEL,
  type Adapter,
  type KubeObject,
} from "../../src/index.js";

const model = loadModel([
  { file: "m.yaml", text: "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: a}\n" },
]).model;

function fake(objects: () => KubeObject[]): Adapter & { calls: number } {
  const a = {
    name: "fake",
    description: "test",
    versions: ["1"],
    defaultVersion: "1",
    calls: 0,
    capabilities: () => Object.fromEntries(FEATURES.map((f) => [f, { support: "full" }])) as any,
    translate() {
      a.calls++;
      return objects();
    },
  };
  return a;
}

const obj = (name: string, namespace?: string, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: "example.io/v1",
  kind: "Thing",
  metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) },
  spec: {},
});

describe("translate", () => {
  test("an adapter emitting a namespace that is not a DNS-1123 label is a bug (it could escape -o DIR)", () => {
    expect(() => translate(model, { adapter: fake(() => [obj("x", "../etc")]) })).toThrow(InternalError);
    expect(() => translate(model, { adapter: fake(() => [obj("Bad_Name", "shop")]) })).toThrow(/invalid name/);
  });

  test("owned objects get the ownership labels; patches of user-owned objects get none", () => {
    const r = translate(model, {
      adapter: fake(() => [obj("mine", "shop"), obj("users-svc", "shop", { [PATCH_ANNOTATION]: "server-side-apply" })]),
      policySet: "team-a",
    });
    const [mine, patch] = [r.resources.find((o) => o.metadata.name === "mine")!, r.resources.find((o) => o.metadata.name === "users-svc")!];
    expect(mine.metadata.labels).toEqual({ [MANAGED_BY_LABEL]: "unimesh", [POLICY_SET_LABEL]: "team-a" });
    expect(patch.metadata.labels).toBeUndefined();
    expect(patch.metadata.annotations).toEqual({ [PATCH_ANNOTATION]: "server-side-apply" });
  });

  test("a bad policy set or unknown approximation is a usage error raised before the adapter runs", () => {
    const a = fake(() => []);
    expect(() => translate(model, { adapter: a, policySet: "Not Valid" })).toThrow(UsageError);
    expect(() => translate(model, { adapter: a, allowApproximations: ["nope"] })).toThrow(UsageError);
    expect(a.calls).toBe(0);
  });

  test("an unsupported version lists the supported ones", () => {
    expect(() => translate(model, { adapter: fake(() => []), version: "2" })).toThrow(/supported versions: 1/);
  });
});

describe("settings", () => {
  const ACCESS = `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: reviews-readers, namespace: bookinfo}
spec:
  destination: {service: reviews}
  allow: [{source: {serviceAccounts: [productpage]}}]
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: strict, namespace: bookinfo}
spec: {mode: strict}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: reviews, namespace: bookinfo}
spec: {ports: [{port: 9080}]}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: productpage, namespace: bookinfo}
spec: {ports: [{port: 9080}]}
`;
  const access = loadModel([{ file: "a.yaml", text: ACCESS }]).model;

  test("an undeclared key is a usage error before the adapter runs; declared and core keys pass", () => {
    const a = { ...fake(() => []), settings: [{ name: "meshName", description: "x" }] };
    expect(() => translate(model, { adapter: a, settings: { mesh: "x" } })).toThrow('fake has no setting "mesh"; its settings are: trustDomain, meshName');
    expect(a.calls).toBe(0);
    expect(translate(model, { adapter: a, settings: { meshName: "x", trustDomain: "example.org" } }).ok).toBe(true);
    // An adapter that declares no settings accepts only the core ones.
    expect(() => translate(model, { adapter: fake(() => []), settings: { meshName: "x" } })).toThrow(UsageError);
  });

  test.each(["", "Example.org", "a/b", "spiffe://x", ".example", "example.", "a..b"])("trustDomain %j is a usage error", (td) => {
    expect(() => translate(model, { adapter: fake(() => []), settings: { trustDomain: td } })).toThrow(/not a SPIFFE trust domain/);
  });

  test("trustDomain reaches every identity each shipped adapter emits, and the model the caller holds is unchanged", async () => {
    const { BUILTIN_ADAPTERS, toYaml } = await import("../../src/index.js");
    for (const adapter of BUILTIN_ADAPTERS) {
      // Adapters without access control emit no identity (Gateway API refuses AccessPolicies).
      if (adapter.capabilities(adapter.defaultVersion).access.support === "none") continue;
      const base = toYaml(translate(access, { adapter, allowApproximations: [] }).resources);
      const r = translate(access, { adapter, settings: { trustDomain: "prod.example.com" } });
      expect(r.ok, adapter.name).toBe(true);
      const text = toYaml(r.resources);
      expect(text, adapter.name).not.toBe(base);
      expect(text, adapter.name).toContain("prod.example.com");
      expect(text, adapter.name).not.toContain("cluster.local/ns/");
      expect(text, adapter.name).not.toMatch(/identity\.linkerd\.cluster\.local|spiffe:\/\/cluster\.local/);
    }
    expect(access.trustDomain).toBe("cluster.local");
  });
});
