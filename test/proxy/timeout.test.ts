/**
 * `timeout`: a request timeout answers 504 on time; a route's own timeout overrides the policy's; per-try
 * timeouts retry within the request timeout, which bounds them all; a per-try timeout longer than the
 * request timeout does not delay it. (One timer per forwarded request serves both timeouts,
 * src/proxy/upstream/exchange.ts: each fires at its own deadline, never before.)
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: search-timeouts, namespace: shop}
spec:
  destination: {service: search, port: 8080}
  timeout: 1s
  routes:
    - name: export
      match: {path: {prefix: /export/}}
      timeout: 3s
    - name: tries
      match: {path: {prefix: /tries/}}
      timeout: 1200ms
      retries: {attempts: 10, perTryTimeout: 500ms, retryOn: [reset], backoff: 1ms}
    - name: retry-once
      match: {path: {prefix: /retry-once/}}
      timeout: 2s
      retries: {attempts: 2, perTryTimeout: 1s, retryOn: [reset], backoff: 1ms}
    - name: long-try
      match: {path: {prefix: /long-try/}}
      timeout: 1s
      retries: {attempts: 2, perTryTimeout: 3s, retryOn: [reset], backoff: 1ms}
    - name: default
`;

describe("timeout", () => {
  let search: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    search = await startApp("search", (req, res) => {
      const q = new URL(req.url!, "http://x").searchParams;
      // `then`: the sleep of every try after the first of the same URL.
      const again = q.has("then") && search.seen.filter((s) => s.url === req.url).length > 1;
      const ms = Number((again ? q.get("then") : q.get("sleep")) ?? 0);
      setTimeout(() => {
        if (!res.destroyed) res.end("done");
      }, ms);
    });
    caller = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "search", namespace: "shop", port: search.port, servicePort: 8080 },
          { service: "web", namespace: "shop", port: caller.port, servicePort: 8080, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([search?.close(), caller?.close()]);
  });

  test("a slow answer is cut at the request timeout with 504", async () => {
    const out = proxy.outboundPort("web", "shop");
    const t0 = performance.now();
    const a = await call(out, "search:8080", "/q?sleep=5000");
    const took = performance.now() - t0;
    expect(a.status).toBe(504);
    expect(a.body).toBe("upstream request timeout");
    expect(a.headers["x-unimesh-flag"]).toBe("UT");
    // At the timeout (1 s), not before; long before the app would answer (5 s), with room for a loaded machine.
    // (1 s rather than 300 ms: at load average > 10 the first call's mTLS set-up alone once took longer than 300 ms.)
    expect(took).toBeGreaterThanOrEqual(980);
    expect(took).toBeLessThan(4000);
  });

  test("an answer within the timeout passes", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "search:8080", "/q?sleep=10");
    expect(a.status).toBe(200);
  });

  test("the route's timeout overrides the policy's", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "search:8080", "/export/all?sleep=1500");
    expect(a.status).toBe(200);
    expect(a.body).toBe("done");
  });

  test("per-try timeouts are retried until the request timeout, which cuts the try in progress", async () => {
    const out = proxy.outboundPort("web", "shop");
    const t0 = performance.now();
    const a = await call(out, "search:8080", "/tries/1?sleep=5000");
    const took = performance.now() - t0;
    expect([a.status, a.headers["x-unimesh-flag"]]).toEqual([504, "UT"]);
    // Tries start at about 0, 500 and 1000 ms; the request timeout (1.2 s) ends the third: never a fourth.
    const tries = search.seen.filter((s) => s.url.startsWith("/tries/1")).length;
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(3);
    expect(took).toBeGreaterThanOrEqual(1180);
    expect(took).toBeLessThan(4000);
  });

  test("a per-try timeout longer than the request timeout does not delay it", async () => {
    const t0 = performance.now();
    const a = await call(proxy.outboundPort("web", "shop"), "search:8080", "/long-try/1?sleep=5000");
    const took = performance.now() - t0;
    expect([a.status, a.headers["x-unimesh-flag"]]).toEqual([504, "UT"]);
    expect(search.seen.filter((s) => s.url.startsWith("/long-try/1")).length).toBe(1);
    expect(took).toBeGreaterThanOrEqual(980);
    expect(took).toBeLessThan(2900);
  });

  test("an answer after a per-try timeout's retry passes, and no timeout fires for it once it is done", async () => {
    const timeouts = () => proxy.metrics.upstreamFailures.get({ direction: "outbound", reason: "timeout" });
    const before = timeouts();
    const t0 = performance.now();
    // The first try of /retry-once/1 sleeps past its per-try timeout (1 s); the retry answers at once.
    const a = await call(proxy.outboundPort("web", "shop"), "search:8080", "/retry-once/1?sleep=5000&then=0");
    expect([a.status, a.body]).toEqual([200, "done"]);
    expect(search.seen.filter((s) => s.url.startsWith("/retry-once/1")).length).toBeGreaterThanOrEqual(2);
    const done = timeouts();
    expect(done).toBeGreaterThanOrEqual(before + 1);
    // Past the request's deadline (2 s after it started): no timeout of a request that is over fires.
    await new Promise((r) => setTimeout(r, Math.max(0, 2300 - (performance.now() - t0))));
    expect(timeouts()).toBe(done);
  });
});
