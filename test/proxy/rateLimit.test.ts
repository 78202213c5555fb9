/** `rateLimit`: a token bucket per instance answers 429 over the budget; per-identity budgets and overrides. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: search-rate-limit, namespace: shop}
spec:
  destination: {service: search}
  rateLimit: {requestsPerSecond: 5, burst: 5}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: api-fair-use, namespace: shop}
spec:
  destination: {service: api}
  rateLimit:
    requestsPerSecond: 1000
    perIdentity: 3
    overrides:
      - {serviceAccounts: [batch-importer], requestsPerSecond: 8}
`;

describe("rateLimit", () => {
  let search: App, api: App, web: App, batch: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [search, api, web, batch] = await Promise.all(["search", "api", "web", "batch"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "search", namespace: "shop", port: search.port },
          { service: "api", namespace: "shop", port: api.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
          { service: "batch", namespace: "shop", serviceAccount: "batch-importer", port: batch.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([search, api, web, batch].map((a) => a?.close()));
  });

  /**
   * Sends `n` calls, at most `concurrency` at a time; the codes, and the tokens the bucket may have
   * refilled meanwhile at `rate` per second (a loaded machine makes the calls slower: more refill).
   */
  const burst = async (from: string, to: string, n: number, rate: number, concurrency = 1) => {
    const t0 = performance.now();
    const codes = (await many(n, concurrency, () => call(proxy.outboundPort(from, "shop"), to, "/"))).map((a) => a.status);
    return Object.assign(codes, { refill: Math.ceil(((performance.now() - t0) / 1000) * rate) });
  };

  test("the burst passes, then requests over the rate get 429 without reaching the app", async () => {
    // 20 calls at once: they arrive far faster than 5 per second, however loaded the machine.
    const codes = await burst("web", "search", 20, 5, 20);
    const ok = codes.filter((c) => c === 200).length;
    expect(ok).toBeGreaterThanOrEqual(5);
    // The burst of 5, plus what refilled while the calls ran.
    expect(ok).toBeLessThanOrEqual(5 + codes.refill);
    expect(ok).toBeLessThan(20);
    expect(codes.filter((c) => c === 429).length).toBe(20 - ok);
    expect(search.seen.length).toBe(ok);
    expect(proxy.metrics.rateLimited.get({ destination: "shop/search" })).toBe(20 - ok);
  });

  test("each identity has its own budget; an override gives one caller more", async () => {
    const w = await burst("web", "api", 12, 3, 12);
    const b = await burst("batch", "api", 12, 8, 12);
    const web = w.filter((c) => c === 200).length;
    const batch = b.filter((c) => c === 200).length;
    expect(web).toBeGreaterThanOrEqual(3);
    expect(web).toBeLessThanOrEqual(3 + w.refill);
    expect(batch).toBeGreaterThanOrEqual(8);
    expect(batch).toBeLessThanOrEqual(8 + b.refill);
  });
});
