/** `match`: path (exact, prefix, regex), method, headers (exact, prefix, regex, present, absent), query. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: api-routing, namespace: shop}
spec:
  destination: {service: api, port: 8080}
  routes:
    - name: health
      match: {path: {exact: /healthz}, method: GET}
      split: [{subset: {version: v1}}]
    - name: orders-v2
      match:
        path: {prefix: /orders/}
        headers: {x-api-version: {exact: "2"}, x-tenant: {prefix: acme-}, x-debug: {present: true}, x-legacy: {present: false}}
        queryParams: {format: {exact: json}}
      split: [{subset: {version: v2}}]
    - name: items-by-id
      match: {path: {regex: "^/items/[0-9]+$"}, headers: {user-agent: {regex: ".*Mobile.*"}}}
      split: [{subset: {version: v2}}]
    - name: default
      split: [{subset: {version: v1}}]
`;

describe("match", () => {
  let v1: App, v2: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v2, web] = await Promise.all([startApp("v1"), startApp("v2"), startApp("web")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "api", namespace: "shop", port: v1.port, servicePort: 8080, labels: { version: "v1" } },
          { service: "api", namespace: "shop", port: v2.port, servicePort: 8080, labels: { version: "v2" } },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, web].map((a) => a?.close()));
  });
  const to = async (path: string, headers: Record<string, string> = {}, method = "GET") =>
    (await call(proxy.outboundPort("web", "shop"), "api:8080", path, { headers, method })).body;
  const full = { "x-api-version": "2", "x-tenant": "acme-eu", "x-debug": "1" };

  test("every condition of a match must hold", async () => {
    expect(await to("/orders/7?format=json", full)).toBe("v2");
    expect(await to("/orders/7?format=xml", full)).toBe("v1");
    expect(await to("/orders/7?format=json", { ...full, "x-api-version": "3" })).toBe("v1");
    expect(await to("/orders/7?format=json", { ...full, "x-tenant": "other" })).toBe("v1");
    expect(await to("/orders/7?format=json", { "x-api-version": "2", "x-tenant": "acme-eu" })).toBe("v1");
    expect(await to("/orders/7?format=json", { ...full, "x-legacy": "yes" })).toBe("v1");
    expect(await to("/ordersX?format=json", full)).toBe("v1");
  });

  test("a regex matches the whole path", async () => {
    expect(await to("/items/42", { "user-agent": "Foo Mobile Bar" })).toBe("v2");
    expect(await to("/items/42x", { "user-agent": "Foo Mobile Bar" })).toBe("v1");
    expect(await to("/items/42", { "user-agent": "Desktop" })).toBe("v1");
  });

  test("a route sees the normalized path, and the app gets it (the query string as sent)", async () => {
    const mobile = { "user-agent": "Foo Mobile Bar" };
    const port = proxy.outboundPort("web", "shop");
    for (const target of ["/items/./42", "/orders/../items/42", "/items/%34%32", "//items//42", "/items\\42", "/%2E%2e/items/42"]) {
      const before = v2.seen.length;
      const a = await rawCall(port, "api:8080", `${target}?q=/../%2e`, { headers: mobile });
      expect({ target, body: a.body, seen: v2.seen.slice(before).map((s) => s.url) }).toEqual({ target, body: "v2", seen: ["/items/42?q=/../%2e"] });
    }
    expect((await rawCall(port, "api:8080", "/orders/7/../../orders/7?format=json", { headers: full })).body).toBe("v2");
  });

  test("exact path and method", async () => {
    expect(await to("/healthz")).toBe("v1");
    expect(await to("/healthz", {}, "POST")).toBe("v1");
  });

  test("an unknown host is refused by the caller's proxy", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "nowhere:80", "/");
    expect(a.status).toBe(502);
    expect(a.headers["x-unimesh-flag"]).toBe("NR");
  });

  test("an app may use the proxy as HTTP_PROXY (absolute URL in the request line)", async () => {
    const http = await import("node:http");
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(
          { host: "127.0.0.1", port: proxy.outboundPort("web", "shop"), path: "http://api.shop:8080/orders/7?format=json", headers: full, agent: false },
          (res) => {
            let b = "";
            res.on("data", (c) => (b += c)).on("end", () => resolve(b));
          },
        )
        .on("error", reject);
    });
    expect(body).toBe("v2");
  });
});
