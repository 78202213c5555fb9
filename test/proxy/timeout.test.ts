/** `timeout`: a request timeout answers 504 on time; a route's own timeout overrides the policy's. */
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
    - name: default
`;

describe("timeout", () => {
  let search: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    search = await startApp("search", (req, res) => {
      const ms = Number(new URL(req.url!, "http://x").searchParams.get("sleep") ?? 0);
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
});
