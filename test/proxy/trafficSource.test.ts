/** `trafficSource`: a source-scoped policy applies only to calls from its source identities. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: mobile-to-v2, namespace: shop}
spec:
  source: {serviceAccounts: [mobile-bff], namespaces: [partners]}
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
`;

describe("trafficSource", () => {
  let v1: App, v2: App, mobile: App, web: App, partner: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v2, mobile, web, partner] = await Promise.all(["v1", "v2", "mobile", "web", "partner"].map((n) => startApp(n)));
    proxy = await startMesh(meshConfig(POLICIES, registry([
      { service: "catalog", namespace: "shop", port: v1.port, servicePort: 8080, labels: { version: "v1" } },
      { service: "catalog", namespace: "shop", port: v2.port, servicePort: 8080, labels: { version: "v2" } },
      { service: "mobile-bff", namespace: "shop", port: mobile.port, outbound: true },
      { service: "web", namespace: "shop", port: web.port, outbound: true },
      { service: "gateway", namespace: "partners", port: partner.port, outbound: true },
    ])));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, mobile, web, partner].map((a) => a?.close()));
  });

  test("the source's calls follow its routes; other callers follow the general ones", async () => {
    expect((await call(proxy.outboundPort("mobile-bff", "shop"), "catalog:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("gateway", "partners"), "catalog.shop:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("web", "shop"), "catalog:8080", "/")).body).toBe("v1");
  });
});
