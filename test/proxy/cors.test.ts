/** `cors`: preflights from allowed origins are answered by the proxy; responses get the CORS headers. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: api-cors, namespace: shop}
spec:
  destination: {service: api, port: 8080}
  cors:
    allowOrigins: [{exact: "https://shop.example.com"}, {regex: "https://.*\\\\.example\\\\.com"}]
    allowMethods: [GET, POST]
    allowHeaders: [authorization, content-type]
    exposeHeaders: [x-request-id]
    maxAge: 24h
    allowCredentials: true
`;

describe("cors", () => {
  let api: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [api, web] = await Promise.all([startApp("api"), startApp("web")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "api", namespace: "shop", port: api.port, servicePort: 8080 },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([api, web].map((a) => a?.close()));
  });
  const preflight = (origin: string) => ({ method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

  test("a preflight from an allowed origin is answered without reaching the app", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "api:8080", "/cart", preflight("https://m.example.com"));
    expect(a.status).toBe(200);
    expect(a.headers["access-control-allow-origin"]).toBe("https://m.example.com");
    expect(a.headers["access-control-allow-methods"]).toBe("GET,POST");
    expect(a.headers["access-control-allow-headers"]).toBe("authorization,content-type");
    expect(a.headers["access-control-max-age"]).toBe("86400");
    expect(a.headers["access-control-allow-credentials"]).toBe("true");
    expect(api.seen.length).toBe(0);
  });

  test("an actual request from an allowed origin gets the CORS headers", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "api:8080", "/cart", { headers: { origin: "https://shop.example.com" } });
    expect(a.headers["access-control-allow-origin"]).toBe("https://shop.example.com");
    expect(a.headers["access-control-expose-headers"]).toBe("x-request-id");
  });

  test("another origin gets no CORS headers, and its preflight goes to the app", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "api:8080", "/cart", { headers: { origin: "https://evil.test" } });
    expect(a.headers["access-control-allow-origin"]).toBeUndefined();
    const p = await call(proxy.outboundPort("web", "shop"), "api:8080", "/cart", preflight("https://evil.test"));
    expect(p.headers["access-control-allow-origin"]).toBeUndefined();
    expect(api.seen.at(-1)!.method).toBe("OPTIONS");
  });
});
