/**
 * `faultInjection`: aborts at the configured rate (never reaching the app), delays, and gRPC aborts.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ratings-chaos, namespace: bookinfo}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - name: slow-for-testers
      match: {headers: {x-chaos: {exact: slow}}}
      faultInjection: {delay: {fixedDelay: 250ms, percent: 100}}
    - name: grpc-down
      match: {headers: {x-chaos: {exact: grpc}}}
      faultInjection: {abort: {grpcStatus: UNAVAILABLE}}
    - name: everyone
      faultInjection: {abort: {httpStatus: 503, percent: 20}}
`;

describe("faultInjection", () => {
  let ratings: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    ratings = await startApp("ratings");
    caller = await startApp("reviews");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "ratings", namespace: "bookinfo", port: ratings.port, servicePort: 9080 },
          { service: "reviews", namespace: "bookinfo", port: caller.port, servicePort: 9080, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([ratings?.close(), caller?.close()]);
  });

  test("aborts 20% of requests with 503, which never reach the app", async () => {
    const out = proxy.outboundPort("reviews", "bookinfo");
    const n = 1000;
    const answers = await many(n, 32, () => call(out, "ratings:9080", "/ratings/1"));
    const aborted = answers.filter((a) => a.status === 503);
    expect(aborted.length + answers.filter((a) => a.status === 200).length).toBe(n);
    expect(aborted.every((a) => a.body === "fault filter abort" && a.headers["x-unimesh-flag"] === "FI")).toBe(true);
    const sd = Math.sqrt(n * 0.2 * 0.8);
    expect(Math.abs(aborted.length - n * 0.2)).toBeLessThan(5 * sd);
    expect(ratings.seen.length).toBe(n - aborted.length);
    expect(proxy.metrics.faults.get({ kind: "abort" })).toBe(aborted.length);
  });

  test("delays requests by the fixed delay", async () => {
    const t0 = performance.now();
    const a = await call(proxy.outboundPort("reviews", "bookinfo"), "ratings:9080", "/ratings/1", { headers: { "x-chaos": "slow" } });
    expect(a.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
  });

  test("a gRPC abort answers HTTP 200 with grpc-status", async () => {
    const a = await call(proxy.outboundPort("reviews", "bookinfo"), "ratings:9080", "/x", { headers: { "x-chaos": "grpc" } });
    expect(a.status).toBe(200);
    expect(a.headers["grpc-status"]).toBe("14");
    expect(a.headers["content-type"]).toBe("application/grpc");
  });
});
