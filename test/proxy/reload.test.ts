/**
 * Reload: a configuration change under load loses no request; requests in flight finish with the
 * configuration they started with; a removed instance's listener drains; an invalid configuration is
 * refused and the running one stays.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, freePorts, meshConfig, registry, startApp, startMesh, type App, type Answer } from "./support.js";
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
  const reg = (withV2: boolean) =>
    registry([
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
    const load = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (!reloadsDone || answers.length + errors.length < 300) {
          try {
            answers.push(await call(out, "reviews", "/reviews/1"));
          } catch (e) {
            errors.push(e);
          }
        }
      }),
    );
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

  // Fixed ports are picked free, then bound: a test file running in parallel can take one in between
  // (the reload is then refused with proxy/listen); a retry picks new ports, and starts clean: the load of
  // a failed try is stopped, and counts are taken from the start of each try.
  test("moving inbound listeners to other ports under load loses no request", { retry: 2 }, async () => {
    const ports = await freePorts(6);
    // The instances' inbound listeners move between fixed ports (and back to ephemeral ones); they
    // rotate, so a port one listener leaves is taken by another in the same reload.
    const moved = (k: number | undefined) => {
      const r = reg(true);
      for (const svc of r.spec.services!)
        for (const i of svc.instances!) {
          i.inbound = { port: k === undefined || svc.name === "productpage" ? 0 : ports[k + (i.port === v1.port ? 0 : i.port === v2.port ? 1 : 2)] };
        }
      return meshConfig(to("v1"), r);
    };
    const out = proxy.outboundPort("productpage", "bookinfo");
    const failuresBefore = proxy.metrics.upstreamFailures.get({});
    let reloadsDone = false,
      stop = false;
    const answers: Answer[] = [];
    const errors: unknown[] = [];
    const load = Promise.all(
      Array.from({ length: 16 }, async (_x, n) => {
        while (!stop && (!reloadsDone || answers.length + errors.length < 300) && errors.length < 50) {
          // Slow requests too: in flight across every reload.
          try {
            answers.push(await call(out, n % 4 === 0 ? "slow" : "reviews", "/"));
          } catch (e) {
            errors.push(e);
          }
        }
      }),
    );
    try {
      for (const k of [0, 1, 2, undefined, 1, 0]) {
        const before = answers.length;
        while (answers.length < before + 20 && errors.length < 50) await new Promise((r) => setTimeout(r, 5));
        const r = await proxy.reload(moved(k));
        expect(r.diagnostics.map((d) => d.message)).toEqual([]);
        expect(r.ok).toBe(true);
        if (k !== undefined) expect(proxy.inboundPort("reviews", "bookinfo", v1.port)).toBe(ports[k]);
      }
      reloadsDone = true;
      await load;
    } finally {
      stop = true;
      await load;
    }
    expect(errors).toEqual([]);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.body === "slow").length).toBeGreaterThan(8);
    expect(proxy.metrics.upstreamFailures.get({}) - failuresBefore).toBe(0);
  });

  test("moving an outbound listener: requests in flight on the old port finish, the new port serves", async () => {
    const [port] = await freePorts(1);
    const r = reg(true);
    for (const svc of r.spec.services!) for (const i of svc.instances!) if (i.outbound) i.outbound = { port };
    const old = proxy.outboundPort("productpage", "bookinfo");
    const seen = slow.seen.length;
    const inFlight = Array.from({ length: 4 }, () => call(old, "slow", "/"));
    while (slow.seen.length < seen + 4) await new Promise((res) => setTimeout(res, 5));
    expect((await proxy.reload(meshConfig(to("v1"), r))).ok).toBe(true);
    expect(proxy.outboundPort("productpage", "bookinfo")).toBe(port);
    expect((await Promise.all(inFlight)).map((a) => a.body)).toEqual(["slow", "slow", "slow", "slow"]);
    expect((await call(port, "reviews", "/")).body).toBe("v1");
  });

  test("an invalid configuration is refused and the running one stays", async () => {
    const refused = proxy.metrics.reloads.get({ result: "error" });
    const bad = meshConfig(to("v1"), reg(false));
    bad.spec.ingresses = [{ name: "gw", port: 0, destination: { service: "nope" } }];
    const r = await proxy.reload(bad);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain("proxy/unknown-service");
    expect((await call(proxy.outboundPort("productpage", "bookinfo"), "reviews", "/")).body).toBe("v1");
    expect(proxy.metrics.reloads.get({ result: "error" })).toBe(refused + 1);
  });
});
