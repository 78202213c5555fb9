/** `redirect`: the caller's proxy answers with the redirect; the app never sees the request. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: moved-pages, namespace: shop}
spec:
  destination: {service: web, port: 80}
  routes:
    - name: old-blog
      match: {path: {prefix: /blog/}}
      redirect: {authority: blog.example.com, path: /, statusCode: 301}
    - name: force-https
      match: {headers: {x-forwarded-proto: {exact: http}}}
      redirect: {scheme: https, port: 443, statusCode: 308}
    - name: temp
      match: {path: {exact: /tmp}}
      redirect: {path: /elsewhere, statusCode: 302}
`;

describe("redirect", () => {
  let site: App, client: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [site, client] = await Promise.all([startApp("web"), startApp("client")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "web", namespace: "shop", port: site.port },
          { service: "client", namespace: "shop", port: client.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([site, client].map((a) => a?.close()));
  });

  test("redirects replace the authority, the scheme and port, or the path", async () => {
    const out = proxy.outboundPort("client", "shop");
    const a = await call(out, "web", "/blog/post?id=3");
    expect(a.status).toBe(301);
    expect(a.headers.location).toBe("http://blog.example.com/?id=3");
    const b = await call(out, "web:80", "/cart", { headers: { "x-forwarded-proto": "http" } });
    expect(b.status).toBe(308);
    expect(b.headers.location).toBe("https://web/cart");
    const c = await call(out, "web:80", "/tmp");
    expect(c.status).toBe(302);
    expect(c.headers.location).toBe("http://web/elsewhere");
    expect(site.seen.length).toBe(0);
  });
});
