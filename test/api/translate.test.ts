/** translate(): what it guarantees around any adapter (names, namespaces, ownership labels, usage errors). */
import { describe, expect, test } from "vitest";
import {
  FEATURES, InternalError, UsageError, loadModel, translate, PATCH_ANNOTATION, MANAGED_BY_LABEL, POLICY_SET_LABEL,
  type Adapter, type KubeObject,
} from "../../src/index.js";

const model = loadModel([{ file: "m.yaml", text: "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  destination: {service: a}\n" }]).model;

function fake(objects: () => KubeObject[]): Adapter & { calls: number } {
  const a = {
    name: "fake", description: "test", versions: ["1"], defaultVersion: "1", calls: 0,
    capabilities: () => Object.fromEntries(FEATURES.map((f) => [f, { support: "full" }])) as any,
    translate() { a.calls++; return objects(); },
  };
  return a;
}

const obj = (name: string, namespace?: string, annotations?: Record<string, string>): KubeObject => ({
  apiVersion: "example.io/v1", kind: "Thing", metadata: { name, ...(namespace ? { namespace } : {}), ...(annotations ? { annotations } : {}) }, spec: {},
});

describe("translate", () => {
  test("an adapter emitting a namespace that is not a DNS-1123 label is a bug (it could escape -o DIR)", () => {
    expect(() => translate(model, { adapter: fake(() => [obj("x", "../etc")]) })).toThrow(InternalError);
    expect(() => translate(model, { adapter: fake(() => [obj("Bad_Name", "shop")]) })).toThrow(/invalid name/);
  });

  test("owned objects get the ownership labels; patches of user-owned objects get none", () => {
    const r = translate(model, { adapter: fake(() => [obj("mine", "shop"), obj("users-svc", "shop", { [PATCH_ANNOTATION]: "server-side-apply" })]), policySet: "team-a" });
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
