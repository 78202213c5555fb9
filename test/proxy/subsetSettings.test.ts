/**
 * `subsetSettings` (Istio `DestinationRule.subsets[].trafficPolicy`): for the requests a route sends to a
 * subset, its own outlier detection and connection pool replace the destination's; requests sent to the
 * whole service keep the destination's settings, even when they reach the subset's instances.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: catalog, namespace: shop}
spec:
  destination: {service: catalog}
  connectionPool: {maxConnections: 10}
  subsetSettings:
    - subset: {version: v2}
      outlierDetection: {consecutive5xxErrors: 1, interval: 50ms, baseEjectionTime: 30s, maxEjectionPercent: 50}
    - subset: {version: v3}
      connectionPool: {maxConnections: 1, maxPendingRequests: 1}
  routes:
    - match: {headers: {x-whole: {exact: "1"}}}
      split: [{}]
    - match: {path: {prefix: /v3}}
      split: [{subset: {version: v3}}]
    - split: [{subset: {version: v2}}]
`;

describe("subsetSettings", () => {
  let bad: App, good: App, slow: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    bad = await startApp("v2-bad", (_req, res) => {
      res.writeHead(500).end("v2-bad");
    });
    good = await startApp("v2-good");
    slow = await startApp("v3", (_req, res) => {
      setTimeout(() => res.end("v3"), 200);
    });
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "catalog", namespace: "shop", port: bad.port, labels: { version: "v2" } },
          { service: "catalog", namespace: "shop", port: good.port, labels: { version: "v2" } },
          { service: "catalog", namespace: "shop", port: slow.port, labels: { version: "v3" } },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([bad, good, slow, web].map((a) => a?.close()));
  });
  const out = () => proxy.outboundPort("web", "shop");

  test("the subset's outlier detection ejects its failing instance for the requests routed to the subset", async () => {
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await call(out(), "catalog", "/"));
    expect(bad.seen.length).toBe(1);
    expect(answers.filter((a) => a.status === 500)).toHaveLength(1);
    expect(answers.slice(-10).every((a) => a.body === "v2-good")).toBe(true);
  });

  test("requests to the whole service keep the destination's settings (no outlier detection): the failing instance still gets them", async () => {
    const before = bad.seen.length;
    for (let i = 0; i < 12; i++) await call(out(), "catalog", "/", { headers: { "x-whole": "1" } });
    expect(bad.seen.length - before).toBe(4);
  });

  test("the subset's connection pool bounds only the requests routed to it", async () => {
    const v3 = await many(6, 6, () => call(out(), "catalog", "/v3"));
    expect(v3.filter((a) => a.status === 503 && a.headers["x-unimesh-overflow"] === "true").length).toBeGreaterThanOrEqual(3);
    expect(v3.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    const whole = await many(6, 6, () => call(out(), "catalog", "/v3", { headers: { "x-whole": "1" } }));
    expect(whole.filter((a) => a.status === 503 && a.headers["x-unimesh-overflow"] === "true")).toHaveLength(0);
  });
});
