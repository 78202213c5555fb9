/** `headers`: request headers set/added/removed before the app; response headers changed before the caller. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: frontend-headers, namespace: shop}
spec:
  destination: {service: frontend, port: 80}
  headers:
    request:
      set: {x-forwarded-env: production}
      add: {x-request-tag: unimesh}
      remove: [x-internal-debug]
    response:
      set: {strict-transport-security: max-age=31536000}
      remove: [server]
`;

describe("headers", () => {
  let frontend: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    frontend = await startApp("frontend", (_req, res) => {
      res.setHeader("server", "leaky/1.0");
      res.setHeader("x-kept", "yes");
      res.end("ok");
    });
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "frontend", namespace: "shop", port: frontend.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([frontend, web].map((a) => a?.close()));
  });

  test("request headers are changed before the app sees them", async () => {
    await call(proxy.outboundPort("web", "shop"), "frontend", "/", { headers: { "x-forwarded-env": "dev", "x-request-tag": "mine", "x-internal-debug": "1" } });
    const h = frontend.seen.at(-1)!.headers;
    expect(h["x-forwarded-env"]).toBe("production");
    expect(h["x-request-tag"]).toBe("mine, unimesh");
    expect(h["x-internal-debug"]).toBeUndefined();
    expect(h.host).toBe("frontend");
    expect(h["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("response headers are changed before the caller sees them", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "frontend", "/");
    expect(a.headers["strict-transport-security"]).toBe("max-age=31536000");
    expect(a.headers.server).toBeUndefined();
    expect(a.headers["x-kept"]).toBe("yes");
  });
});
