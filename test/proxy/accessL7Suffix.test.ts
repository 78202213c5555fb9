/**
 * Suffix paths in access rules (`*.png`, as Istio's AuthorizationPolicy `paths`): the path, without its
 * query string, ends with the text after `*`; case-sensitive; deny rules with a suffix win as any other.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: assets, namespace: shop}
spec:
  destination: {service: assets}
  allow:
    - methods: [GET]
      paths: ["*.png", /index.html]
  deny:
    - paths: ["*.secret.png"]
`;

describe("access paths: suffix", () => {
  let assets: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [assets, web] = await Promise.all(["assets", "web"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "assets", namespace: "shop", port: assets.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([assets, web].map((a) => a?.close()));
  });
  const get = (path: string) => call(proxy.outboundPort("web", "shop"), "assets", path);

  test("a path ending with the suffix is allowed, with or without a query string", async () => {
    expect((await get("/img/logo.png")).status).toBe(200);
    expect((await get("/logo.png?v=2")).status).toBe(200);
    expect(assets.seen.at(-1)!.url).toBe("/logo.png?v=2");
  });

  test("other endings, another case, and a suffix only in the query string are denied", async () => {
    const before = assets.seen.length;
    for (const p of ["/logo.pngx", "/logo.PNG", "/logo.png/", "/x?f=logo.png", "/logo.css"]) {
      expect((await get(p)).status, p).toBe(403);
    }
    expect(assets.seen.length).toBe(before);
  });

  test("a deny rule with a suffix wins over the allow rule", async () => {
    expect((await get("/keys/root.secret.png")).status).toBe(403);
    expect((await get("/keys/root.public.png")).status).toBe(200);
  });
});
