/**
 * `connectionPool`: concurrent requests over maxConnections queue up to maxPendingRequests, the rest
 * overflow with 503 at once; maxRequestsPerConnection closes connections; maxRetries bounds retries.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: db-proxy-limits, namespace: shop}
spec:
  destination: {service: db}
  connectionPool: {maxConnections: 1, maxPendingRequests: 1, maxRequestsPerConnection: 1, connectTimeout: 250ms}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: flaky-retry-budget, namespace: shop}
spec:
  destination: {service: flaky}
  retries: {attempts: 3, retryOn: [5xx], backoff: 1ms}
  connectionPool: {maxRetries: 1}
`;

describe("connectionPool", () => {
  let db: App, flaky: App, web: App, proxy: ProxyRuntime;
  let active = 0,
    maxActive = 0;
  beforeAll(async () => {
    db = await startApp("db", (_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        res.end("row");
      }, 150);
    });
    flaky = await startApp("flaky", (_req, res) => setTimeout(() => res.writeHead(503).end(), 50));
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "db", namespace: "shop", port: db.port },
          { service: "flaky", namespace: "shop", port: flaky.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([db, flaky, web].map((a) => a?.close()));
  });

  test("one running, one queued, the rest overflow at once", async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(proxy.outboundPort("web", "shop"), "db", "/")));
    const ok = answers.filter((a) => a.status === 200);
    const overflow = answers.filter((a) => a.status === 503);
    expect(ok.length).toBe(2);
    expect(overflow.length).toBe(3);
    expect(overflow.every((a) => a.headers["x-unimesh-overflow"] === "true")).toBe(true);
    expect(maxActive).toBe(1);
    expect(proxy.metrics.overflows.get({ destination: "shop/db" })).toBe(3);
  });

  test("maxRequestsPerConnection: 1 opens a connection per request", async () => {
    const before = db.connections();
    for (let i = 0; i < 3; i++) await call(proxy.outboundPort("web", "shop"), "db", "/");
    // The destination's proxy applies the pool settings towards its app too: three connections.
    expect(db.connections() - before).toBe(3);
  });

  test("maxRetries bounds concurrent retries", async () => {
    const answers = await many(8, 8, () => call(proxy.outboundPort("web", "shop"), "flaky", "/"));
    expect(answers.every((a) => a.status === 503)).toBe(true);
    // Without the budget: 8 x (1 + 3) = 32 tries. With one retry at a time, far fewer.
    expect(flaky.seen.length).toBeLessThan(24);
    expect(flaky.seen.length).toBeGreaterThan(8);
  });
});
