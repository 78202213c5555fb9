/** `trafficSource`: a source-scoped policy applies only to calls from its source identities. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ProxyAgent, request } from "undici";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: mobile-to-v2, namespace: shop}
spec:
  source: {serviceAccounts: [mobile-bff], namespaces: [partners]}
  destination: {service: catalog, port: 8080}
  routes:
    - split: [{subset: {version: v2}}]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: everyone-to-v1, namespace: shop}
spec:
  destination: {service: catalog, port: 8080}
  routes:
    - split: [{subset: {version: v1}}]
`;

describe("trafficSource", () => {
  let v1: App, v2: App, mobile: App, web: App, partner: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [v1, v2, mobile, web, partner] = await Promise.all(["v1", "v2", "mobile", "web", "partner"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "catalog", namespace: "shop", port: v1.port, servicePort: 8080, labels: { version: "v1" } },
          { service: "catalog", namespace: "shop", port: v2.port, servicePort: 8080, labels: { version: "v2" } },
          { service: "mobile-bff", namespace: "shop", port: mobile.port, outbound: true },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
          { service: "gateway", namespace: "partners", port: partner.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([v1, v2, mobile, web, partner].map((a) => a?.close()));
  });

  test("the source's calls follow its routes; other callers follow the general ones", async () => {
    expect((await call(proxy.outboundPort("mobile-bff", "shop"), "catalog:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("gateway", "partners"), "catalog.shop:8080", "/")).body).toBe("v2");
    expect((await call(proxy.outboundPort("web", "shop"), "catalog:8080", "/")).body).toBe("v1");
  });
});

/**
 * The outbound listener's trust model: like a sidecar's, any process that can connect to it calls with
 * its app's identity. With `outbound.token`, only a caller presenting the token (HTTP_PROXY with
 * credentials) does; the header is not forwarded and /config does not show the token.
 */
describe("trafficSource: who may use an outbound listener", () => {
  const TOKEN = "s3cret-token-for-mobile-bff";
  let catalog: App, mobile: App, proxy: ProxyRuntime;
  const dir = mkdtempSync(join(tmpdir(), "unimesh-traffic-source-"));
  const logFile = join(dir, "access.log");
  beforeAll(async () => {
    [catalog, mobile] = await Promise.all(["catalog", "mobile"].map((n) => startApp(n)));
    const reg = registry([
      { service: "catalog", namespace: "shop", port: catalog.port },
      { service: "mobile-bff", namespace: "shop", port: mobile.port, outbound: true },
    ]);
    reg.spec.services!.find((x) => x.name === "mobile-bff")!.instances![0].outbound = { port: 0, token: TOKEN };
    proxy = await startMesh(
      meshConfig(
        `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: catalog-callers, namespace: shop}
spec:
  destination: {service: catalog}
  allow: [{source: {serviceAccounts: [mobile-bff]}}]
`,
        reg,
        { accessLog: { enabled: true, path: logFile } },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([catalog, mobile].map((a) => a?.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const out = () => proxy.outboundPort("mobile-bff", "shop");

  test("without the token, another local process gets 407 and nothing reaches the destination", async () => {
    for (const headers of [
      {},
      { "proxy-authorization": "Bearer wrong-token-0000000000" },
      { "proxy-authorization": `Basic ${Buffer.from("unimesh:nope").toString("base64")}` },
      { authorization: `Bearer ${TOKEN}` },
    ] as Record<string, string>[]) {
      const a = await call(out(), "catalog", "/", { headers });
      expect({ headers, status: a.status, auth: a.headers["proxy-authenticate"] }).toEqual({
        headers,
        status: 407,
        auth: 'Basic realm="unimesh outbound shop/mobile-bff"',
      });
    }
    expect(catalog.seen.length).toBe(0);
    // Counted and logged as the chain's other refusals (it was counted only): nobody's, to no destination.
    const metrics = await (await request(`http://127.0.0.1:${proxy.port("admin")}/metrics`)).body.text();
    expect(metrics).toMatch(/^unimesh_requests_total\{direction="outbound",source="unknown",destination="-",response_code="407"\} 4$/m);
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.direction, l.source, l.destination, l.method, l.path, l.status, l.flags])).toEqual(
      Array(4).fill(["outbound", "unknown", "-", "GET", "/", 407, ["UAEX"]]),
    );
    // The credentials a caller sent are not written anywhere in the log.
    expect(readFileSync(logFile, "utf8")).not.toMatch(/wrong-token|Basic |s3cret/);
  });

  test("with the token (HTTP_PROXY credentials, or Bearer), the app's calls carry its identity; the token is not forwarded", async () => {
    // As an HTTP client given HTTP_PROXY=http://unimesh:<token>@127.0.0.1:<port> sends it (no CONNECT for http://).
    const agent = new ProxyAgent({ uri: `http://unimesh:${TOKEN}@127.0.0.1:${out()}`, proxyTunnel: false });
    const viaProxyUrl = await request("http://catalog/items", { dispatcher: agent });
    expect(viaProxyUrl.statusCode).toBe(200);
    expect(await viaProxyUrl.body.text()).toBe("catalog");
    expect((await call(out(), "catalog", "/", { headers: { "proxy-authorization": `Bearer ${TOKEN}` } })).status).toBe(200);
    await agent.close();
    expect(catalog.seen.map((s) => s.headers["proxy-authorization"])).toEqual([undefined, undefined]);
    expect(catalog.seen[0].headers["x-forwarded-client-cert"]).toContain("URI=spiffe://cluster.local/ns/shop/sa/mobile-bff");
  });

  test("the admin page does not show the token", async () => {
    const r = await request(`http://127.0.0.1:${proxy.port("admin")}/config`);
    const text = await r.body.text();
    expect(text).not.toContain(TOKEN);
    expect(text).toContain("<redacted>");
  });
});
