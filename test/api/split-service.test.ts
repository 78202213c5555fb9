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
    expect(r.action.kind === "split" && r.action.targets.map((t) => [t.service, t.weight])).toEqual([
      [undefined, 90],
      ["web-next", 10],
    ]);
    const self = loadModel([{ file: "a.yaml", text: doc("[{service: web}]") }]).model.destination("shop", "web")!.routes[0];
    expect(self.action.kind === "split" && self.action.targets[0].service).toBeUndefined();
  });

  test("not with a subset (rule/split-service); the same service twice is rule/split-duplicate", () => {
    const bad = loadModel([{ file: "a.yaml", text: doc("[{service: web-next, subset: {version: v2}}]") }]);
    expect(bad.diagnostics.map((d) => `${d.pointer} ${d.code}`)).toEqual(["/spec/routes/0/split/0/service rule/split-service"]);
    const dup = loadModel([{ file: "a.yaml", text: doc("[{service: web-next, weight: 50}, {service: web-next, weight: 50}]") }]);
    expect(dup.diagnostics.map((d) => `${d.pointer} ${d.code}`)).toEqual(["/spec/routes/0/split/1 rule/split-duplicate"]);
  });

  test("ports are that Service's: its declared ports, the destination's port unless the target names one", () => {
    const svc = (name: string, ports: string) => `apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: ${name}, namespace: shop}
spec: {ports: ${ports}}
---
`;
    const ok = loadModel([
      {
        file: "a.yaml",
        text: svc("web", "[{port: 80}]") + svc("web-next", "[{port: 80}, {port: 8080}]") + doc("[{weight: 90}, {service: web-next, port: 8080, weight: 10}]"),
      },
    ]);
    expect(ok.diagnostics).toEqual([]);
    const missing = loadModel([
      { file: "a.yaml", text: svc("web", "[{port: 80}]") + svc("web-next", "[{port: 8080}]") + doc("[{weight: 90}, {service: web-next, weight: 10}]") },
    ]);
    expect(missing.diagnostics.map((d) => `${d.pointer} ${d.code} ${d.message}`)).toEqual([
      "/spec/routes/0/split/1/service rule/unknown-port port 80 is not a port of MeshService shop/web-next (ports: 8080)",
    ]);
    const wrong = loadModel([
      { file: "a.yaml", text: svc("web", "[{port: 80}]") + svc("web-next", "[{port: 8080}]") + doc("[{service: web-next, port: 9090}]") },
    ]);
    expect(wrong.diagnostics.map((d) => `${d.pointer} ${d.code}`)).toEqual(["/spec/routes/0/split/0/port rule/unknown-port"]);
  });
});
