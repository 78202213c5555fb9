/**
 * Reload: a configuration change under load loses no request; requests in flight finish with the
 * configuration they started with; a removed instance's listener drains; an invalid configuration is
 * refused and the running one stays.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App, type Answer } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const to = (version: string) => `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-route, namespace: bookinfo}
spec:
  destination: {service: reviews}
  routes:
    - split: [{subset: {version: ${version}}}]
`;

describe("reload", () => {
  let v1: App, v2: App, slow: App, caller: App, proxy: ProxyRuntime;
  const reg = (withV2: boolean) => registry([
    { service: "reviews", namespace: "bookinfo", port: v1.port, labels: { version: "v1" } },
    ...(withV2 ? [{ service: "reviews", namespace: "bookinfo", port: v2.port, labels: { version: "v2" } }] : []),
    { service: "slow", namespace: "bookinfo", port: slow.port },
    { service: "productpage", namespace: "bookinfo", port: caller.port, outbound: true },
  ]);
  beforeAll(async () => {
    v1 = await startApp("v1");
    v2 = await startApp("v2");
    slow = await startApp("slow", (_req, res) => setTimeout(() => res.end("slow"), 500));
    caller = await startApp("productpage");
    proxy = await startMesh(meshConfig(to("v1"), reg(true)));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, slow, caller].map((a) => a?.close()));
  });

  test("reloads under load lose no request, and the new routes apply", async () => {
    const out = proxy.outboundPort("productpage", "bookinfo");
    let reloadsDone = false;
    const answers: Answer[] = [];
    const errors: unknown[] = [];
    // Load runs until every reload is done and at least 300 requests were answered.
    const load = Promise.all(Array.from({ length: 16 }, async () => {
      while (!reloadsDone || answers.length + errors.length < 300) {
        try { answers.push(await call(out, "reviews", "/reviews/1")); } catch (e) { errors.push(e); }
      }
    }));
    const results = [];
    for (const v of ["v2", "v1", "v2", "v1", "v2"]) {
      const before = answers.length;
      // Each reload happens while requests are flowing.
      while (answers.length < before + 20) await new Promise((r) => setTimeout(r, 5));
      results.push(await proxy.reload(meshConfig(to(v), reg(true))));
    }
    reloadsDone = true;
    await load;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(errors).toEqual([]);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect((await call(out, "reviews", "/")).body).toBe("v2");
    expect(proxy.metrics.reloads.get({ result: "ok" })).toBe(5);
  });

  test("a request in flight finishes across a reload; a removed instance drains", async () => {
    const out = proxy.outboundPort("productpage", "bookinfo");
    const inFlight = call(out, "slow", "/");
    await new Promise((r) => setTimeout(r, 100));
    // v2 disappears from the registry and the policy routes to v1 again.
    const r = await proxy.reload(meshConfig(to("v1"), reg(false)));
    expect(r.ok).toBe(true);
    expect((await inFlight).body).toBe("slow");
    expect(Object.keys(proxy.listeners()).some((k) => k.includes(`:${v2.port}`))).toBe(false);
    expect((await call(out, "reviews", "/")).body).toBe("v1");
  });

  test("an invalid configuration is refused and the running one stays", async () => {
    const bad = meshConfig(to("v1"), reg(false));
    bad.spec.ingresses = [{ name: "gw", port: 0, destination: { service: "nope" } }];
    const r = await proxy.reload(bad);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain("proxy/unknown-service");
    expect((await call(proxy.outboundPort("productpage", "bookinfo"), "reviews", "/")).body).toBe("v1");
    expect(proxy.metrics.reloads.get({ result: "error" })).toBe(1);
  });
});
