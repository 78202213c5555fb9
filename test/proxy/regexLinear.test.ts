/**
 * Regular expressions on request data (route path, header and query matches, CORS origins) run in time
 * linear in the input, as Envoy's RE2 does: a pattern with nested quantifiers cannot stall the proxy's
 * event loop (a backtracking engine took 10 s for 32 characters, and doubles with every two more). A
 * pattern the linear engine cannot run is refused when the configuration is compiled, with why.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import { linearRegex } from "../../src/proxy/features/match.js";
import { compileConfig } from "../../src/proxy/config/compile.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const route = (regex: string) => `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: tenants, namespace: shop}
spec:
  destination: {service: api, port: 8080}
  routes:
    - name: tenant
      match: {headers: {x-tenant: {regex: "${regex}"}}}
      split: [{subset: {version: v2}}]
    - name: default
      split: [{subset: {version: v1}}]
`;

describe("linear-time regular expressions", () => {
  test("whole-string, case-sensitive matching as before, by the linear engine", () => {
    const re = linearRegex("([a-z0-9]+-?)+");
    expect(re.flags).toContain("l");
    expect(re.test("acme-eu-1")).toBe(true);
    expect(re.test("ACME")).toBe(false);
    expect(re.test("x acme")).toBe(false);
    // Catastrophic for a backtracking engine (2^40 ways to split the run): answered at once.
    expect(re.test(`${"a".repeat(40)}!`)).toBe(false);
    expect(linearRegex("^/items/[0-9]+$").test("/items/42")).toBe(true);
    expect(linearRegex("a|b").test("ab")).toBe(false);
  });

  test("a pattern the linear engine cannot run is a configuration error at its route, with why", () => {
    const reg = registry([{ service: "api", namespace: "shop", port: 1, servicePort: 8080, labels: { version: "v1" } }]);
    // The built-in adapter refuses it already (test/proxy/adapter.test.ts); a ProxyConfig written by hand is
    // checked when it is compiled.
    const cfg = meshConfig(route("x+"), reg);
    const tenant = cfg.spec.destinations!.find((d) => d.service === "api")!.routes!.find((r) => r.match?.headers?.["x-tenant"])!;
    tenant.match!.headers!["x-tenant"] = { regex: "x{1000}" };
    const { compiled, diagnostics } = compileConfig(cfg);
    expect(compiled).toBeUndefined();
    const d = diagnostics.find((x) => x.code === "proxy/invalid-regex");
    expect(d?.pointer).toMatch(/\/routes\/0\/match$/);
    expect(d?.message).toMatch(/cannot be matched in time linear in the request/);
  });

  describe("through the proxy", () => {
    let v1: App, v2: App, web: App, proxy: ProxyRuntime;
    beforeAll(async () => {
      [v1, v2, web] = await Promise.all([startApp("v1"), startApp("v2"), startApp("web")]);
      proxy = await startMesh(
        meshConfig(
          route("([a-z0-9]+-?)+"),
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

    test("a hostile header against a nested quantifier is answered at once, and routes as the pattern says", async () => {
      const port = proxy.outboundPort("web", "shop");
      expect((await call(port, "api:8080", "/evil", { headers: { "x-tenant": `${"a".repeat(40)}!` } })).status).toBe(200);
      expect(v1.seen.some((s) => s.url === "/evil")).toBe(true);
      expect((await call(port, "api:8080", "/tenant", { headers: { "x-tenant": "acme-eu-1" } })).status).toBe(200);
      expect(v2.seen.some((s) => s.url === "/tenant")).toBe(true);
    });
  });
});
