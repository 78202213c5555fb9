/**
 * `colocatedHops: inline`: the in-process hop between co-located listeners enforces what the wire
 * hop does — access control on the caller's identity before the app, the identity header, no identity
 * towards a `disabled` port, rate limits, inbound metrics — and the caller's retries still apply.
 * (Every behaviour test also runs this way with UNIMESH_TEST_HOPS=inline.)
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: details-readers, namespace: bookinfo}
spec:
  destination: {service: details}
  allow: [{source: {serviceAccounts: [productpage]}, paths: ["/details/*"]}]
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: legacy-plain, namespace: bookinfo}
spec:
  destination: {service: legacy}
  mode: disabled
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: flaky-retries, namespace: bookinfo}
spec:
  destination: {service: flaky}
  retries: {attempts: 2, retryOn: [5xx], backoff: 1ms}
  rateLimit: {requestsPerSecond: 1000, burst: 1000}
`;

describe("inline hops", () => {
  let details: App, legacy: App, flaky: App, productpage: App, reviews: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [details, legacy, productpage, reviews] = await Promise.all(["details", "legacy", "productpage", "reviews"].map((n) => startApp(n)));
    flaky = await startApp("flaky", (_req, res, _b, n) => res.writeHead(n % 2 ? 503 : 200).end());
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "details", namespace: "bookinfo", port: details.port },
          { service: "legacy", namespace: "bookinfo", port: legacy.port },
          { service: "flaky", namespace: "bookinfo", port: flaky.port },
          { service: "productpage", namespace: "bookinfo", port: productpage.port, outbound: true },
          { service: "reviews", namespace: "bookinfo", port: reviews.port, outbound: true },
        ]),
        { colocatedHops: "inline" },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([details, legacy, flaky, productpage, reviews].map((a) => a?.close()));
  });

  test("access control on the caller's identity, before the app", async () => {
    expect((await call(proxy.outboundPort("productpage", "bookinfo"), "details", "/details/1")).status).toBe(200);
    expect(details.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBe(
      "By=spiffe://cluster.local/ns/bookinfo/sa/details;URI=spiffe://cluster.local/ns/bookinfo/sa/productpage",
    );
    const denied = await call(proxy.outboundPort("reviews", "bookinfo"), "details", "/details/1");
    expect([denied.status, denied.body]).toEqual([403, "RBAC: access denied"]);
    expect(details.seen.length).toBe(1);
    expect(proxy.metrics.requests.get({ direction: "inbound", destination: "bookinfo/details", response_code: "403" })).toBe(1);
  });

  test("a disabled port gets no caller identity, as a plaintext caller would have none", async () => {
    await call(proxy.outboundPort("productpage", "bookinfo"), "legacy", "/");
    expect(legacy.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBeUndefined();
  });

  test("the caller's retries apply across the in-process hop", async () => {
    const a = await call(proxy.outboundPort("productpage", "bookinfo"), "flaky", "/");
    expect(a.status).toBe(200);
    expect(flaky.seen.length).toBe(2);
    expect(proxy.metrics.retries.get({ destination: "bookinfo/flaky" })).toBe(1);
  });
});
