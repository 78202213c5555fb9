/** `directResponse`: the caller's proxy answers with the fixed response; the app never sees the request. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: maintenance, namespace: shop}
spec:
  destination: {service: checkout, port: 8080}
  routes:
    - name: robots
      match: {path: {exact: /robots.txt}}
      directResponse: {status: 200, body: "User-agent: *\\nDisallow: /\\n"}
    - name: closed
      match: {path: {prefix: /beta/}}
      directResponse: {status: 503}
`;

describe("directResponse", () => {
  let checkout: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [checkout, web] = await Promise.all([startApp("checkout"), startApp("web")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "checkout", namespace: "shop", port: checkout.port, servicePort: 8080 },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([checkout, web].map((a) => a?.close()));
  });

  test("fixed answers, and everything else still reaches the app", async () => {
    const out = proxy.outboundPort("web", "shop");
    const a = await call(out, "checkout:8080", "/robots.txt");
    expect([a.status, a.body]).toEqual([200, "User-agent: *\nDisallow: /\n"]);
    const b = await call(out, "checkout:8080", "/beta/x");
    expect([b.status, b.body]).toEqual([503, ""]);
    expect(checkout.seen.length).toBe(0);
    expect((await call(out, "checkout:8080", "/pay")).body).toBe("checkout");
  });
});
