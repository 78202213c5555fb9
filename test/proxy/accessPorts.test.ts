/**
 * Ports in access rules and per-port mTLS modes name Service ports (the model's meaning, README "Ports
 * are Service ports"): a number that is a Service port of the destination names that port only, never
 * another Service port whose target port (or whose instance's app port) has the same number. Istio gets
 * the same from the adapter, which maps each Service port to its own target port. A number that is no
 * Service port of the service may still name a target port (hand-written ProxyConfigs).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

// Service port 80 reaches the pods' 8080; Service port 8080 (admin) reaches their 9090.
const SERVICE = `
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: api, namespace: shop}
spec:
  ports: [{port: 80, targetPort: 8080, name: web, protocol: http}, {port: 8080, targetPort: 9090, name: admin, protocol: http}]
`;

describe("ports in access rules and mTLS modes are Service ports", () => {
  let web: App, admin: App, client: App;
  const runtimes: ProxyRuntime[] = [];
  const reg = (service = "api", webServicePort = 80, adminServicePort = 8080) => {
    const r = registry([
      { service, namespace: "shop", port: web.port, servicePort: webServicePort },
      { service, namespace: "shop", port: admin.port, servicePort: adminServicePort },
      { service: "client", namespace: "shop", serviceAccount: "client", port: client.port, outbound: true },
    ]);
    if (service === "api")
      r.spec.services!.find((s) => s.name === "api")!.ports = [
        { port: 80, targetPort: 8080, protocol: "http" },
        { port: 8080, targetPort: 9090, protocol: "http" },
      ] as never;
    return r;
  };
  const mesh = async (policies: string, r = reg()) => {
    const rt = await startMesh(meshConfig(policies, r));
    runtimes.push(rt);
    return rt;
  };
  beforeAll(async () => {
    [web, admin, client] = await Promise.all(["web", "admin", "client"].map((n) => startApp(n)));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await closeAgents();
    await Promise.all([web, admin, client].map((a) => a?.close()));
  });

  test("an allow for Service port 8080 does not admit Service port 80, whose target port is 8080", async () => {
    const p = await mesh(`${SERVICE}---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: admin-only, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - source: {serviceAccounts: [client]}
      ports: [8080]
`);
    const from = p.outboundPort("client", "shop");
    const before = web.seen.length;
    expect((await call(from, "api:8080", "/admin")).status).toBe(200);
    expect((await call(from, "api:80", "/web-secret")).status).toBe(403);
    expect(web.seen.slice(before).some((s) => s.url === "/web-secret")).toBe(false);
  });

  test("a deny for Service port 8080 does not refuse Service port 80", async () => {
    const p = await mesh(`${SERVICE}---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: no-admin, namespace: shop}
spec:
  destination: {service: api}
  allow: [{}]
  deny: [{ports: [8080]}]
`);
    const from = p.outboundPort("client", "shop");
    expect((await call(from, "api:80", "/")).status).toBe(200);
    expect((await call(from, "api:8080", "/")).status).toBe(403);
  });

  test("an allow naming the port an instance's app listens on does not admit another Service port with that number", async () => {
    // Service api2: port 80 served by the web app, and a Service port numbered like the web app's own port.
    const pol = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api2-policy, namespace: shop}
spec:
  destination: {service: api2}
  allow:
    - source: {serviceAccounts: [client]}
      ports: [${web.port}]
`;
    const p = await mesh(pol, reg("api2", 80, web.port));
    const from = p.outboundPort("client", "shop");
    const before = web.seen.length;
    expect((await call(from, `api2:${web.port}`, "/")).status).toBe(200);
    expect((await call(from, "api2:80", "/secret-web")).status).toBe(403);
    expect(web.seen.slice(before).some((s) => s.url === "/secret-web")).toBe(false);
  });

  test("a number that is no Service port still names a target port (a ProxyConfig written by hand)", async () => {
    const cfg = meshConfig(
      `${SERVICE}---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: by-target, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - source: {serviceAccounts: [client]}
      ports: [8080]
`,
      reg(),
    );
    // The model names Service ports only; the ProxyConfig also takes a target port that is no Service port.
    const rule = cfg.spec.destinations!.find((d) => d.service === "api")!.access!.allow![0];
    rule.ports = [9090];
    const p = await startMesh(cfg);
    runtimes.push(p);
    const from = p.outboundPort("client", "shop");
    expect((await call(from, "api:8080", "/")).status).toBe(200);
    expect((await call(from, "api:80", "/")).status).toBe(403);
  });

  test("a permissive override for Service port 8080 leaves Service port 80 strict (no plaintext through its target port's number)", async () => {
    const p = await mesh(`${SERVICE}---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: api-mtls, namespace: shop}
spec:
  destination: {service: api}
  mode: strict
  ports: {"8080": permissive}
`);
    const plain = async (a: App) => {
      const before = a.seen.length;
      const status = await rawCall(p.inboundPort("api", "shop", a.port), "api", "/plain").then(
        (r) => r.status,
        () => "refused",
      );
      return { status, reached: a.seen.length > before };
    };
    expect(await plain(admin)).toEqual({ status: 200, reached: true });
    const w = await plain(web);
    expect(w.reached).toBe(false);
    expect(w.status).not.toBe(200);
  });
});
