/** `loadBalancer`: round-robin, least-request, consistent-hash by header and by cookie. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: rr, namespace: shop}
spec:
  destination: {service: rr}
  loadBalancer: {algorithm: round-robin}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: lr, namespace: shop}
spec:
  destination: {service: lr}
  loadBalancer: {algorithm: least-request}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: sticky, namespace: shop}
spec:
  destination: {service: sticky}
  loadBalancer: {algorithm: consistent-hash, consistentHash: {header: x-user-id}}
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: cookie, namespace: shop}
spec:
  destination: {service: cookie}
  loadBalancer: {algorithm: consistent-hash, consistentHash: {cookie: {name: affinity, ttl: 1h}}}
`;

describe("loadBalancer", () => {
  const apps: Record<string, App[]> = {};
  let web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    for (const svc of ["rr", "lr", "sticky", "cookie"]) {
      apps[svc] = await Promise.all(
        [0, 1, 2].map((i) => startApp(`${svc}-${i}`, svc === "lr" && i === 0 ? (_req, res) => setTimeout(() => res.end(`${svc}-${i}`), 300) : undefined)),
      );
    }
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          ...Object.entries(apps).flatMap(([svc, list]) => list.map((a) => ({ service: svc, namespace: "shop", port: a.port }))),
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([...Object.values(apps).flat(), web].map((a) => a?.close()));
  });
  const out = () => proxy.outboundPort("web", "shop");

  test("round-robin spreads evenly", async () => {
    for (let i = 0; i < 30; i++) await call(out(), "rr", "/");
    expect(apps.rr.map((a) => a.seen.length)).toEqual([10, 10, 10]);
  });

  test("least-request avoids the busy instance", async () => {
    await many(60, 6, () => call(out(), "lr", "/"));
    // Round-robin would send it 20; it holds each request 300 ms, so it keeps being the busiest.
    expect(apps.lr[0].seen.length).toBeLessThan(12);
  });

  test("consistent-hash by header keeps a key on one instance and spreads keys", async () => {
    const where = async (user: string) => (await call(out(), "sticky", "/", { headers: { "x-user-id": user } })).body;
    const used = new Set<string>();
    for (let u = 0; u < 20; u++) {
      const first = await where(`user-${u}`);
      used.add(first);
      for (let k = 0; k < 3; k++) expect(await where(`user-${u}`)).toBe(first);
    }
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  test("consistent-hash by cookie sets the cookie, then sticks to it", async () => {
    const a = await call(out(), "cookie", "/");
    const setCookie = String(a.headers["set-cookie"]);
    expect(setCookie).toMatch(/^affinity=[^;]+; Path=\/; HttpOnly; Max-Age=3600$/);
    const value = setCookie.split(";")[0];
    for (let k = 0; k < 5; k++) expect((await call(out(), "cookie", "/", { headers: { cookie: value } })).body).toBe(a.body);
  });
});
