/** `split`: a 90/10 weighted split is observed within statistical bounds over many requests. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-canary, namespace: bookinfo}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split:
        - {subset: {version: v1}, weight: 90}
        - {subset: {version: v3}, weight: 10}
`;

describe("split", () => {
  let v1: App, v3: App, caller: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v3, caller] = await Promise.all([startApp("v1"), startApp("v3"), startApp("productpage")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "reviews", namespace: "bookinfo", port: v1.port, servicePort: 9080, labels: { version: "v1" } },
          { service: "reviews", namespace: "bookinfo", port: v3.port, servicePort: 9080, labels: { version: "v3" } },
          { service: "productpage", namespace: "bookinfo", port: caller.port, servicePort: 9080, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1?.close(), v3?.close(), caller?.close()]);
  });

  test("90/10 over 2000 requests stays within 5 standard deviations", async () => {
    const out = proxy.outboundPort("productpage", "bookinfo");
    const n = 2000;
    const answers = await many(n, 32, () => call(out, "reviews:9080", "/reviews/1"));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const toV3 = answers.filter((a) => a.body === "v3").length;
    // Binomial(n, 0.1): mean 200, sd ~13.4. 5 sd: the test is wrong about once in 3.5 million runs.
    const sd = Math.sqrt(n * 0.1 * 0.9);
    expect(Math.abs(toV3 - n * 0.1)).toBeLessThan(5 * sd);
    expect(v1.seen.length + v3.seen.length).toBe(n);
    expect(proxy.metrics.requests.get({ direction: "inbound", destination: "bookinfo/reviews", response_code: "200" })).toBe(n);
  });

  test("the hop between proxies is mutual TLS: the app sees the caller's verified identity", async () => {
    const out = proxy.outboundPort("productpage", "bookinfo");
    await call(out, "reviews.bookinfo.svc.cluster.local:9080", "/x");
    const last = [...v1.seen, ...v3.seen].find((s) => s.url === "/x")!;
    expect(last.headers["x-forwarded-client-cert"]).toBe(
      "By=spiffe://cluster.local/ns/bookinfo/sa/reviews;URI=spiffe://cluster.local/ns/bookinfo/sa/productpage",
    );
  });
});

// Linkerd's dynamic request routing example (2-edge/tasks/configuring-dynamic-request-routing.md): requests
// to backend-a-podinfo carrying `x-request-id: alternative` go to the Service backend-b-podinfo, and a
// share of the rest too ("10% of web to web-next"): split targets that are other Services.
const OTHER_SERVICES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: backend-router, namespace: test}
spec:
  destination: {service: backend-a-podinfo, port: 9898}
  routes:
    - match: {headers: {x-request-id: {exact: alternative}}}
      split: [{service: backend-b-podinfo}]
    - split:
        - {weight: 90}
        - {service: backend-b-podinfo, weight: 10}
`;

describe("split to other Services", () => {
  let a: App, b: App, frontend: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [a, b, frontend] = await Promise.all([startApp("backend-a"), startApp("backend-b"), startApp("frontend")]);
    proxy = await startMesh(
      meshConfig(
        OTHER_SERVICES,
        registry([
          { service: "backend-a-podinfo", namespace: "test", port: a.port, servicePort: 9898 },
          { service: "backend-b-podinfo", namespace: "test", port: b.port, servicePort: 9898 },
          { service: "frontend", namespace: "test", port: frontend.port, servicePort: 8080, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([a?.close(), b?.close(), frontend?.close()]);
  });

  test("the matching header sends every request to the other Service, whose proxy sees the caller's identity", async () => {
    const out = proxy.outboundPort("frontend", "test");
    for (let i = 0; i < 20; i++)
      expect((await call(out, "backend-a-podinfo:9898", "/", { headers: { "x-request-id": "alternative" } })).body).toBe("backend-b");
    expect(b.seen.at(-1)!.headers["x-forwarded-client-cert"]).toBe(
      "By=spiffe://cluster.local/ns/test/sa/backend-b-podinfo;URI=spiffe://cluster.local/ns/test/sa/frontend",
    );
  });

  test("90/10 between the destination and the other Service over 2000 requests, within 5 standard deviations", async () => {
    const out = proxy.outboundPort("frontend", "test");
    const n = 2000;
    const before = b.seen.length;
    const answers = await many(n, 32, () => call(out, "backend-a-podinfo:9898", "/x"));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    const toB = answers.filter((x) => x.body === "backend-b").length;
    expect(Math.abs(toB - n * 0.1)).toBeLessThan(5 * Math.sqrt(n * 0.1 * 0.9));
    expect(b.seen.length - before).toBe(toB);
  });
});
