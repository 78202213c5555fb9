/** `rewrite`: prefix replacement (query kept), full-path replacement, authority. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rewritePath } from "../../src/proxy/features/rewrite.js";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: legacy-rewrites, namespace: shop}
spec:
  destination: {service: catalog, port: 8080}
  routes:
    - name: v1-api
      match: {path: {prefix: /api/v1/}}
      rewrite: {path: {replacePrefixMatch: /}, authority: catalog-v1.shop.svc.cluster.local}
    - name: old-home
      match: {path: {exact: /index.php}}
      rewrite: {path: {replaceFullPath: /}}
    # Gateway API's conformance test MeshHTTPRouteRewritePath (conformance/tests/mesh/httproute-rewrite-path.yaml).
    - name: prefix-one
      match: {path: {segmentPrefix: /prefix/one}}
      rewrite: {path: {replacePrefixMatch: /one}}
    - name: strip-prefix
      match: {path: {segmentPrefix: /strip-prefix}}
      rewrite: {path: {replacePrefixMatch: /}}
`;

describe("rewrite", () => {
  let catalog: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [catalog, web] = await Promise.all([startApp("catalog"), startApp("web")]);
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "catalog", namespace: "shop", port: catalog.port, servicePort: 8080 },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([catalog, web].map((a) => a?.close()));
  });

  test("the matched prefix is replaced, the query kept, the authority rewritten", async () => {
    await call(proxy.outboundPort("web", "shop"), "catalog:8080", "/api/v1/items/3?sort=asc");
    const s = catalog.seen.at(-1)!;
    expect(s.url).toBe("/items/3?sort=asc");
    expect(s.headers.host).toBe("catalog-v1.shop.svc.cluster.local");
  });

  test("the full path is replaced", async () => {
    await call(proxy.outboundPort("web", "shop"), "catalog:8080", "/index.php?x=1");
    expect(catalog.seen.at(-1)!.url).toBe("/?x=1");
    expect(catalog.seen.at(-1)!.headers.host).toBe("catalog:8080");
  });

  // The requests and expected paths of MeshHTTPRouteRewritePath (httproute-rewrite-path.go), through the proxy.
  test.each([
    ["/prefix/one/two", "/one/two"],
    ["/strip-prefix/three", "/three"],
    ["/strip-prefix", "/"],
    ["/strip-prefix/?q=1", "/?q=1"],
  ])("segmentPrefix + replacePrefixMatch: %s reaches the app as %s", async (sent, seen) => {
    await call(proxy.outboundPort("web", "shop"), "catalog:8080", sent);
    expect(catalog.seen.at(-1)!.url).toBe(seen);
  });

  test("a segment prefix matches whole segments only: /strip-prefixes is not rewritten", async () => {
    await call(proxy.outboundPort("web", "shop"), "catalog:8080", "/strip-prefixes/x");
    expect(catalog.seen.at(-1)!.url).toBe("/strip-prefixes/x");
  });

  test("prefix replacement rules", () => {
    expect(rewritePath("/api/v1/", "", { prefix: "/api/v1/", replacePrefixMatch: "/" })).toBe("/");
    expect(rewritePath("/old/x", "", { prefix: "/old", replacePrefixMatch: "/new" })).toBe("/new/x");
    expect(rewritePath("/old/x", "", { prefix: "/old/", replacePrefixMatch: "/new" })).toBe("/new/x");
  });
});
