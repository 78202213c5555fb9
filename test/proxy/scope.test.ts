/**
 * `scope`: namespace-wide and mesh-wide AccessPolicies and MTLSPolicies on real traffic. A namespace-wide
 * AccessPolicy without allow rules (Istio's allow-nothing) denies every workload of the namespace, also
 * services only the registry knows, except what other AccessPolicies allow (allow rules of every scope
 * are one set, any deny wins); namespaces it does not cover stay open; a mesh-wide deny reaches every
 * namespace; a mesh-wide strict mTLS mode refuses plaintext everywhere but where a more specific policy
 * says otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Agent, request } from "undici";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: allow-nothing, namespace: shop}
spec: {}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: orders-callers, namespace: shop}
spec:
  destination: {service: orders}
  allow: [{source: {serviceAccounts: [frontend]}}]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: no-legacy, namespace: platform}
spec:
  scope: mesh
  deny: [{source: {namespaces: [legacy]}}]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: open, namespace: platform}
spec:
  scope: mesh
  allow: [{paths: [/public]}]
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: mesh-strict, namespace: platform}
spec: {scope: mesh, mode: strict}
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: tools-permissive, namespace: tools}
spec: {mode: permissive}
`;

/** One plaintext request straight to an inbound listener. */
async function plaintext(port: number, path = "/"): Promise<number> {
  const dispatcher = new Agent();
  try {
    const r = await request(`http://127.0.0.1:${port}${path}`, { dispatcher, headers: { host: "x" } });
    await r.body.text();
    return r.statusCode;
  } finally {
    await dispatcher.destroy();
  }
}

describe("scope: namespace- and mesh-wide policies", () => {
  let orders: App, payments: App, frontend: App, wiki: App, importer: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [orders, payments, frontend, wiki, importer] = await Promise.all(["orders", "payments", "frontend", "wiki", "importer"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "orders", namespace: "shop", port: orders.port },
          // Only the registry knows payments: the namespace-wide AccessPolicy governs it all the same.
          { service: "payments", namespace: "shop", port: payments.port },
          { service: "frontend", namespace: "shop", port: frontend.port, outbound: true },
          { service: "wiki", namespace: "tools", port: wiki.port, outbound: true },
          { service: "importer", namespace: "legacy", port: importer.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([orders, payments, frontend, wiki, importer].map((a) => a?.close()));
  });
  const from = (svc: string, ns: string) => proxy.outboundPort(svc, ns);

  test("a service's own allow opens it inside a namespace that allows nothing", async () => {
    expect((await call(from("frontend", "shop"), "orders", "/")).status).toBe(200);
    expect((await call(from("wiki", "tools"), "orders.shop", "/")).status).toBe(403);
  });

  test("a workload with no policy of its own, known only to the registry, is denied by the namespace-wide policy", async () => {
    const before = payments.seen.length;
    expect((await call(from("frontend", "shop"), "payments", "/")).status).toBe(403);
    expect(payments.seen.length).toBe(before);
  });

  test("allow rules of every scope are one set: the mesh-wide allow of /public opens it in shop too", async () => {
    expect((await call(from("frontend", "shop"), "payments", "/public")).status).toBe(200);
    expect((await call(from("wiki", "tools"), "orders.shop", "/public")).status).toBe(200);
  });

  test("a mesh-wide deny wins in every namespace, over every allow", async () => {
    expect((await call(from("importer", "legacy"), "orders.shop", "/public")).status).toBe(403);
    expect((await call(from("importer", "legacy"), "wiki.tools", "/public")).status).toBe(403);
    expect((await call(from("frontend", "shop"), "wiki.tools", "/anything")).status).toBe(403);
    expect((await call(from("frontend", "shop"), "wiki.tools", "/public")).status).toBe(200);
  });

  test("mesh-wide strict mTLS refuses plaintext; a namespace-wide permissive policy wins over it", async () => {
    await expect(plaintext(proxy.inboundPort("orders", "shop", orders.port), "/public")).rejects.toThrow();
    expect(await plaintext(proxy.inboundPort("wiki", "tools", wiki.port), "/public")).toBe(200);
  });
});

/**
 * Istio's own examples on real traffic: `allow-nothing` for namespace foo (istio/api
 * security/v1beta1/authorization_policy.proto) and the mesh-wide STRICT PeerAuthentication of the task
 * "Globally enabling Istio mutual TLS in STRICT mode" (istio.io authn-policy), with the task's
 * httpbin and sleep in namespaces foo and bar: a plain-text client (the task's unmeshed sleep.legacy) is
 * refused everywhere; meshed callers reach bar, and nobody reaches foo.
 */
describe("scope: Istio's allow-nothing and mesh-wide STRICT examples", () => {
  const EXAMPLES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: allow-nothing, namespace: foo}
spec: {}
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: default, namespace: istio-system}
spec: {scope: mesh, mode: strict}
`;
  let httpbinFoo: App, httpbinBar: App, sleepFoo: App, sleepBar: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [httpbinFoo, httpbinBar, sleepFoo, sleepBar] = await Promise.all(["httpbin", "httpbin", "sleep", "sleep"].map((n) => startApp(n)));
    proxy = await startMesh(
      meshConfig(
        EXAMPLES,
        registry([
          { service: "httpbin", namespace: "foo", port: httpbinFoo.port },
          { service: "httpbin", namespace: "bar", port: httpbinBar.port },
          { service: "sleep", namespace: "foo", port: sleepFoo.port, outbound: true },
          { service: "sleep", namespace: "bar", port: sleepBar.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([httpbinFoo, httpbinBar, sleepFoo, sleepBar].map((a) => a?.close()));
  });

  test("allow-nothing: no caller reaches a workload of foo, from foo or elsewhere; bar stays open to meshed callers", async () => {
    const before = httpbinFoo.seen.length;
    for (const ns of ["foo", "bar"]) {
      expect((await call(proxy.outboundPort("sleep", ns), "httpbin.foo", "/ip")).status).toBe(403);
      expect((await call(proxy.outboundPort("sleep", ns), "httpbin.bar", "/ip")).status).toBe(200);
    }
    expect(httpbinFoo.seen.length).toBe(before);
  });

  test("mesh-wide STRICT: a plain-text client is refused in every namespace", async () => {
    await expect(plaintext(proxy.inboundPort("httpbin", "bar", httpbinBar.port), "/ip")).rejects.toThrow();
    await expect(plaintext(proxy.inboundPort("httpbin", "foo", httpbinFoo.port), "/ip")).rejects.toThrow();
  });
});
