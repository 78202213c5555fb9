/** Split targets that are other Services (`split[].service`): validation and the model's view. */
import { describe, expect, test } from "vitest";
import { loadModel } from "../../src/index.js";

const doc = (split: string) => `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: canary, namespace: shop}
spec:
  destination: {service: web, port: 80}
  routes:
    - split: ${split}
`;

describe("split[].service", () => {
  test("resolved as another Service of the destination's namespace; the destination's own name is the destination", () => {
    const { model, ok } = loadModel([{ file: "a.yaml", text: doc("[{weight: 90}, {service: web-next, weight: 10}]") }]);
    expect(ok).toBe(true);
    const r = model.destination("shop", "web")!.routes[0];
    expect(r.action.kind === "split" && r.action.targets.map((t) => [t.service, t.weight])).toEqual([[undefined, 90], ["web-next", 10]]);
    const self = loadModel([{ file: "a.yaml", text: doc("[{service: web}]") }]).model.destination("shop", "web")!.routes[0];
    expect(self.action.kind === "split" && self.action.targets[0].service).toBeUndefined();
  });

  test("not with a subset (rule/split-service); the same service twice is rule/split-duplicate", () => {
    const bad = loadModel([{ file: "a.yaml", text: doc("[{service: web-next, subset: {version: v2}}]") }]);
    expect(bad.diagnostics.map((d) => `${d.pointer} ${d.code}`)).toEqual(["/spec/routes/0/split/0/service rule/split-service"]);
    const dup = loadModel([{ file: "a.yaml", text: doc("[{service: web-next, weight: 50}, {service: web-next, weight: 50}]") }]);
    expect(dup.diagnostics.map((d) => `${d.pointer} ${d.code}`)).toEqual(["/spec/routes/0/split/1 rule/split-duplicate"]);
  });
});
