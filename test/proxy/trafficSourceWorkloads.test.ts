/**
 * `trafficSource` by pod labels (`source.workloads`, Istio's `sourceLabels` + `sourceNamespace`): a route
 * applies to calls from instances whose pod labels (their service's selector plus their own labels)
 * include the entry's labels, in the entry's namespace. Other instances of the same service, the same
 * labels in another namespace, and an ingress (no pod labels) follow the general routes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: canary-callers-to-v2, namespace: shop}
spec:
  source:
    workloads:
      - labels: {app: web, track: canary}
      - labels: {team: data}
        namespace: jobs
  destination: {service: catalog, port: 8080}
  routes:
    - split: [{subset: {version: v2}}]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: everyone-to-v1, namespace: shop}
spec:
  destination: {service: catalog, port: 8080}
  routes:
    - split: [{subset: {version: v1}}]
---
# The batch pods carry team: data through their service's selector, not through instance labels.
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: batch, namespace: jobs}
spec:
  selector: {team: data, role: batch}
`;

describe("trafficSource: callers by pod labels", () => {
  let v1: App, v2: App, stable: App, canary: App, batch: App, other: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v2, stable, canary, batch, other] = await Promise.all(["v1", "v2", "stable", "canary", "batch", "other"].map((n) => startApp(n)));
    const config = meshConfig(
      POLICIES,
      registry(
        [
          { service: "catalog", namespace: "shop", port: v1.port, servicePort: 8080, labels: { version: "v1" } },
          { service: "catalog", namespace: "shop", port: v2.port, servicePort: 8080, labels: { version: "v2" } },
          { service: "web", namespace: "shop", port: stable.port, labels: { track: "stable" }, outbound: true },
          { service: "web", namespace: "shop", port: canary.port, labels: { track: "canary" }, outbound: true },
          { service: "batch", namespace: "jobs", port: batch.port, outbound: true },
          // Same labels as the canary, in another namespace: not selected (the entry's namespace is shop).
          { service: "web", namespace: "staging", port: other.port, labels: { track: "canary" }, outbound: true },
        ],
        { ingresses: [{ name: "edge", namespace: "shop", port: 0 }] },
      ),
    );
    proxy = await startMesh(config);
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, stable, canary, batch, other].map((a) => a?.close()));
  });

  test("the selected instance's calls follow the source's routes; its sibling's do not", async () => {
    expect((await call(proxy.outboundPort("web", "shop", canary.port), "catalog:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("web", "shop", stable.port), "catalog:8080", "/")).body).toBe("v1");
  });

  test("labels from the service's selector count, in the entry's namespace", async () => {
    expect((await call(proxy.outboundPort("batch", "jobs"), "catalog.shop:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("web", "staging"), "catalog.shop:8080", "/")).body).toBe("v1");
  });

  test("an ingress has no pod labels: general routes", async () => {
    expect((await call(proxy.port("ingress|edge"), "catalog:8080", "/")).body).toBe("v1");
  });
});
