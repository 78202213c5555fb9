/** `mirror`: copies go to the mirror target (Host suffixed -shadow, answers discarded), at the configured share. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-shadow, namespace: bookinfo}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split: [{subset: {version: v1}}]
      mirror: {subset: {version: v2}, percent: 25}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: orders-audit-copy, namespace: bookinfo}
spec:
  destination: {service: orders, port: 9080}
  mirror: {service: orders-audit, port: 9080}
`;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe("mirror", () => {
  let v1: App, v2: App, orders: App, audit: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, orders, caller] = await Promise.all([startApp("v1"), startApp("orders"), startApp("productpage")]);
    v2 = await startApp("v2", (_req, res) => res.writeHead(500).end("the shadow's answer is discarded"));
    audit = await startApp("audit");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "reviews", namespace: "bookinfo", port: v1.port, servicePort: 9080, labels: { version: "v1" } },
          { service: "reviews", namespace: "bookinfo", port: v2.port, servicePort: 9080, labels: { version: "v2" } },
          { service: "orders", namespace: "bookinfo", port: orders.port, servicePort: 9080 },
          { service: "orders-audit", namespace: "bookinfo", port: audit.port, servicePort: 9080 },
          { service: "productpage", namespace: "bookinfo", port: caller.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, orders, audit, caller].map((a) => a?.close()));
  });

  test("a copy of every request goes to another service, with its body", async () => {
    const a = await call(proxy.outboundPort("productpage", "bookinfo"), "orders:9080", "/orders", { method: "POST", body: '{"id":1}' });
    expect(a.body).toBe("orders");
    await until(() => audit.seen.length === 1);
    expect(audit.seen[0].headers.host).toBe("orders-shadow:9080");
    expect(audit.seen[0].body).toBe('{"id":1}');
  });

  test("25% of requests are copied to a subset; callers only see the primary's answers", async () => {
    const n = 800;
    const answers = await many(n, 16, () => call(proxy.outboundPort("productpage", "bookinfo"), "reviews:9080", "/reviews/1"));
    expect(answers.every((a) => a.status === 200 && a.body === "v1")).toBe(true);
    const mirrored = proxy.metrics.mirrored.get({ destination: "bookinfo/reviews" });
    const sd = Math.sqrt(n * 0.25 * 0.75);
    expect(Math.abs(mirrored - n * 0.25)).toBeLessThan(5 * sd);
    await until(() => v2.seen.length === mirrored);
    expect(v2.seen.length).toBe(mirrored);
  });
});
