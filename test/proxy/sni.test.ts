/**
 * Mutual TLS between proxies over HTTP (`hopProtocol: http`, and the other cases that use it: HTTP/2
 * ports, Wasm destinations, connectionPool limits): the caller's connections to an instance are reused
 * whatever Host header each request names. undici takes each request's SNI from its Host and, on a TLS
 * pool, closes an idle connection and opens a new one when that name changes — so callers that name one
 * service by different names ("app", "app.shop", "app.shop.svc.cluster.local") paid a TLS handshake on
 * almost every request. The SNI means nothing between proxies (secure naming checks the SPIFFE ID).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, countAccepted, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

describe("connections between proxies whatever the Host (hopProtocol: http)", () => {
  let app: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    app = await startApp("app");
    web = await startApp("web");
    const config = meshConfig(
      "",
      registry([
        { service: "app", namespace: "shop", port: app.port },
        { service: "web", namespace: "shop", port: web.port, outbound: true },
      ]),
    );
    config.spec.hopProtocol = "http";
    // Over loopback whatever UNIMESH_TEST_HOPS says: in-process hops open no connection to count.
    config.spec.colocatedHops = "mtls";
    proxy = await startMesh(config);
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([app, web].map((a) => a?.close()));
  });

  test("40 requests naming the service three ways reuse the caller's connections to the instance", async () => {
    const names = ["app", "app.shop", "app.shop.svc.cluster.local"];
    const { accepted } = await countAccepted(proxy.inboundPort("app", "shop", app.port), async () => {
      for (let i = 0; i < 40; i++) {
        const a = await call(proxy.outboundPort("web", "shop"), names[i % 3], "/");
        expect(a.status).toBe(200);
      }
    });
    expect(app.seen.length).toBeGreaterThanOrEqual(40);
    // One connection (sequential requests), a few at most; not one per change of name.
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(3);
  });
});
