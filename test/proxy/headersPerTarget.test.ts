/**
 * `headers` of a split target (`split[].headers`, Istio `http[].route[].headers`): the requests sent to
 * that target, and its responses, get its header changes besides the route's; the other targets' do not.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: catalog-canary, namespace: shop}
spec:
  destination: {service: catalog, port: 80}
  routes:
    - headers:
        request: {set: {x-route: all}}
      split:
        - subset: {version: v1}
          weight: 50
        - subset: {version: v2}
          weight: 50
          headers:
            request:
              set: {x-canary: "true"}
              remove: [x-debug]
            response:
              add: {x-served-by: canary}
`;

describe("headers of a split target", () => {
  let v1: App, v2: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v2, web] = await Promise.all(["v1", "v2", "web"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "catalog", namespace: "shop", port: v1.port, labels: { version: "v1" } },
          { service: "catalog", namespace: "shop", port: v2.port, labels: { version: "v2" } },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, web].map((a) => a?.close()));
  });

  test("only the canary's share carries its changes; every request carries the route's", async () => {
    const answers = await many(60, 8, () => call(proxy.outboundPort("web", "shop"), "catalog", "/", { headers: { "x-debug": "1" } }));
    const byBody = (b: string) => answers.filter((a) => a.body === b);
    expect(byBody("v1").length).toBeGreaterThan(0);
    expect(byBody("v2").length).toBeGreaterThan(0);
    for (const a of byBody("v2")) expect(a.headers["x-served-by"]).toBe("canary");
    for (const a of byBody("v1")) expect(a.headers["x-served-by"]).toBeUndefined();
    expect(v2.seen.every((s) => s.headers["x-canary"] === "true" && s.headers["x-debug"] === undefined && s.headers["x-route"] === "all")).toBe(true);
    expect(v1.seen.every((s) => s.headers["x-canary"] === undefined && s.headers["x-debug"] === "1" && s.headers["x-route"] === "all")).toBe(true);
  });
});
