/**
 * `access` and `accessL7`: once an AccessPolicy selects a destination, only allowed callers pass —
 * denied callers are refused with 403 before the app sees the request; deny rules win; methods, paths,
 * ports and headers are enforced; a destination whose policies allow nothing refuses everything.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { call, closeAgents, meshConfig, rawCall, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: details-readers, namespace: bookinfo}
spec:
  destination: {service: details}
  allow:
    - source: {serviceAccounts: [bookinfo-productpage]}
      methods: [GET]
      paths: ["/details/*"]
    - source: {serviceAccounts: [bookinfo-reviews]}
      paths: ["/public/*"]
    - source: {serviceAccounts: [bookinfo-admin]}
      methods: [POST]
      paths: [/details]
      headers: {x-admin-token-id: [ops-1]}
  deny:
    - paths: ["*/secret", "/details/admin/*"]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: vault-locked, namespace: bookinfo}
spec:
  destination: {service: vault}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ops-namespace, namespace: bookinfo}
spec:
  destination: {service: ratings}
  allow:
    - source: {namespaces: [ops]}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: portal-public, namespace: bookinfo}
spec:
  destination: {service: portal}
  allow: [{}]
  deny:
    - paths: ["/admin/*"]
`;

describe("access", () => {
  let details: App, vault: App, ratings: App, productpage: App, admin: App, reviews: App, monitor: App, portal: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [details, vault, ratings, productpage, admin, reviews, monitor, portal] = await Promise.all(
      ["details", "vault", "ratings", "productpage", "admin", "reviews", "monitor", "portal"].map((n) => startApp(n)),
    );
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "details", namespace: "bookinfo", port: details.port },
          { service: "vault", namespace: "bookinfo", port: vault.port },
          { service: "ratings", namespace: "bookinfo", port: ratings.port },
          { service: "productpage", namespace: "bookinfo", serviceAccount: "bookinfo-productpage", port: productpage.port, outbound: true },
          { service: "admin", namespace: "bookinfo", serviceAccount: "bookinfo-admin", port: admin.port, outbound: true },
          { service: "reviews", namespace: "bookinfo", serviceAccount: "bookinfo-reviews", port: reviews.port, outbound: true },
          { service: "monitor", namespace: "ops", port: monitor.port, outbound: true },
          { service: "portal", namespace: "bookinfo", port: portal.port },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([details, vault, ratings, productpage, admin, reviews, monitor, portal].map((a) => a?.close()));
  });
  const from = (svc: string, ns = "bookinfo") => proxy.outboundPort(svc, ns);

  test("the allowed caller passes", async () => {
    const a = await call(from("productpage"), "details", "/details/1");
    expect(a.status).toBe(200);
    expect(details.seen.at(-1)!.url).toBe("/details/1");
  });

  test("a denied caller is refused before the app sees the request", async () => {
    const before = details.seen.length;
    const a = await call(from("reviews"), "details", "/details/1");
    expect(a.status).toBe(403);
    expect(a.body).toBe("RBAC: access denied");
    expect(details.seen.length).toBe(before);
    expect(proxy.metrics.denied.get({ source: "bookinfo/bookinfo-reviews", destination: "bookinfo/details" })).toBe(1);
  });

  test("methods and paths of an allow rule are enforced", async () => {
    expect((await call(from("productpage"), "details", "/details/1", { method: "DELETE" })).status).toBe(403);
    expect((await call(from("productpage"), "details", "/other")).status).toBe(403);
  });

  test("headers of an allow rule are enforced", async () => {
    expect((await call(from("admin"), "details", "/details", { method: "POST", body: "x", headers: { "x-admin-token-id": "ops-1" } })).status).toBe(200);
    expect((await call(from("admin"), "details", "/details", { method: "POST", body: "x", headers: { "x-admin-token-id": "ops-9" } })).status).toBe(403);
    expect((await call(from("admin"), "details", "/details", { method: "POST", body: "x" })).status).toBe(403);
  });

  test("a path /a/* is /a itself and everything below it, not a plain string prefix", async () => {
    // allow GET /details/*: /details itself is admitted, /detailsx is not.
    expect((await call(from("productpage"), "details", "/details")).status).toBe(200);
    expect((await call(from("productpage"), "details", "/detailsx")).status).toBe(403);
    // deny /admin/*: /admin itself is denied too (a deny cannot be bypassed by dropping the last slash).
    const before = portal.seen.length;
    for (const path of ["/admin", "/admin/", "/admin/users", "/admin?x=1"]) {
      expect((await call(from("productpage"), "portal", path)).status, path).toBe(403);
    }
    expect(portal.seen.length).toBe(before);
    expect((await call(from("productpage"), "portal", "/administrators")).status).toBe(200);
  });

  test("a deny rule wins over an allow rule", async () => {
    expect((await call(from("productpage"), "details", "/details/secret")).status).toBe(403);
    expect((await call(from("productpage"), "details", "/details/admin/x")).status).toBe(403);
  });

  // Path rules see the normalized path (dot segments, %-encoded unreserved characters, backslashes,
  // merged slashes), and the app gets that same path: no spelling of a denied path gets through.
  test.each([
    "/details/./admin/x",
    "/details/x/../admin/x",
    "/details/%2e%2e/details/admin/x",
    "/details/.%2E/details/admin/x",
    "/details/admin\\x",
    "/details//admin/x",
    "/details/%61dmin/x",
    "/details/admin/x/../../admin/y",
  ])("a deny rule cannot be bypassed by spelling its path differently: %s", async (target) => {
    const before = details.seen.length;
    const a = await rawCall(from("productpage"), "details", target);
    expect(a.status).toBe(403);
    expect(details.seen.length).toBe(before);
  });

  test("an allow rule's path cannot be left with dot segments, and the app gets the path the rule saw", async () => {
    expect((await rawCall(from("reviews"), "details", "/public/../secret-place")).status).toBe(403);
    expect((await rawCall(from("reviews"), "details", "/public/%2E%2E/other")).status).toBe(403);
    const before = details.seen.length;
    const a = await rawCall(from("reviews"), "details", "/public/./a/../b?x=/../y&z=%2e");
    expect(a.status).toBe(200);
    expect(details.seen.slice(before).map((s) => s.url)).toEqual(["/public/b?x=/../y&z=%2e"]);
  });

  test("paths the proxy cannot forward safely are refused with 400 before access control and the app", async () => {
    const before = details.seen.length;
    for (const target of ["/details/admin%2Fx", "/details/admin%5cx", "/details/1%00", "/details/1%zz", "/details/1#frag", "*"]) {
      const a = await rawCall(from("productpage"), "details", target, target === "*" ? { method: "OPTIONS" } : {});
      expect({ target, status: a.status, flag: a.headers["x-unimesh-flag"] }).toEqual({ target, status: 400, flag: "DPE" });
    }
    expect(details.seen.length).toBe(before);
  });

  test("an AccessPolicy without rules denies everything", async () => {
    expect((await call(from("productpage"), "vault", "/")).status).toBe(403);
    expect(vault.seen.length).toBe(0);
  });

  test("a namespace source admits every identity of that namespace, and only those", async () => {
    expect((await call(from("monitor", "ops"), "ratings.bookinfo", "/")).status).toBe(200);
    expect((await call(from("productpage"), "ratings", "/")).status).toBe(403);
  });

  test("a destination without AccessPolicy admits everyone", async () => {
    expect((await call(from("productpage"), "reviews", "/")).status).toBe(200);
  });
});

describe("access in another trust domain (--set trustDomain)", () => {
  const policies = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: details-readers, namespace: bookinfo}
spec:
  destination: {service: details}
  allow: [{source: {serviceAccounts: [bookinfo-productpage]}}]
`;
  let details: App, productpage: App, reviews: App, proxy: ProxyRuntime;
  const instances = () => [
    { service: "details", namespace: "bookinfo", port: details.port },
    { service: "productpage", namespace: "bookinfo", serviceAccount: "bookinfo-productpage", port: productpage.port, outbound: true },
    { service: "reviews", namespace: "bookinfo", port: reviews.port, outbound: true },
  ];
  beforeAll(async () => {
    [details, productpage, reviews] = await Promise.all(["details", "productpage", "reviews"].map((n) => startApp(n)));
    proxy = await startMesh(meshConfig(policies, registry(instances(), { trustDomain: "prod.example.com" }), {}, { trustDomain: "prod.example.com" }));
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([details, productpage, reviews].map((a) => a?.close()));
  });

  test("identities are issued and matched in that trust domain", async () => {
    const a = await call(proxy.outboundPort("productpage", "bookinfo"), "details", "/");
    expect(a.status).toBe(200);
    expect(details.seen.at(-1)!.headers["x-forwarded-client-cert"]).toContain("URI=spiffe://prod.example.com/ns/bookinfo/sa/bookinfo-productpage");
    expect((await call(proxy.outboundPort("reviews", "bookinfo"), "details", "/")).status).toBe(403);
  });

  test("a registry in another trust domain than the policies is refused (no rule would ever match)", () => {
    expect(() => meshConfig(policies, registry(instances(), { trustDomain: "prod.example.com" }))).toThrow(
      /proxy\/trust-domain.*--set trustDomain=prod.example.com/,
    );
  });
});

describe("negative conditions (notServiceAccounts, notNamespaces, notMethods, notPaths, notPorts, notHeaders)", () => {
  const policies = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-viewers, namespace: bookinfo}
spec:
  destination: {service: productpage}
  allow:
    - source: {namespaces: [bookinfo], notServiceAccounts: [bookinfo-legacy]}
      notMethods: [DELETE]
      notPaths: ["/admin/*"]
    - source: {serviceAccounts: [bookinfo-admin]}
      notHeaders: {x-env: [staging]}
    - source: {namespaces: [ops]}
    - paths: [/public]
  deny:
    - source: {notServiceAccounts: ["*"]}
    - source: {serviceAccounts: ["*"], notNamespaces: [bookinfo]}
      notPorts: [9443]
`;
  let page: App, pageMetrics: App, reviews: App, legacy: App, admin: App, monitor: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [page, pageMetrics, reviews, legacy, admin, monitor] = await Promise.all(
      ["page", "page-metrics", "reviews", "legacy", "admin", "monitor"].map((n) => startApp(n)),
    );
    proxy = await startMesh(
      meshConfig(
        policies,
        registry([
          { service: "productpage", namespace: "bookinfo", port: page.port, servicePort: 9080 },
          { service: "productpage", namespace: "bookinfo", port: pageMetrics.port, servicePort: 9443 },
          { service: "reviews", namespace: "bookinfo", serviceAccount: "bookinfo-reviews", port: reviews.port, outbound: true },
          { service: "legacy", namespace: "bookinfo", serviceAccount: "bookinfo-legacy", port: legacy.port, outbound: true },
          { service: "admin", namespace: "bookinfo", serviceAccount: "bookinfo-admin", port: admin.port, outbound: true },
          { service: "monitor", namespace: "ops", port: monitor.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([page, pageMetrics, reviews, legacy, admin, monitor].map((a) => a?.close()));
  });
  const from = (svc: string, ns = "bookinfo") => proxy.outboundPort(svc, ns);

  test("notServiceAccounts: the namespace's other identities pass, the excluded one does not", async () => {
    expect((await call(from("reviews"), "productpage:9080", "/")).status).toBe(200);
    expect((await call(from("legacy"), "productpage:9080", "/")).status).toBe(403);
  });

  test("notMethods: every other method passes, extension methods included; notPaths: every other path", async () => {
    expect((await call(from("reviews"), "productpage:9080", "/x", { method: "DELETE" })).status).toBe(403);
    expect((await call(from("reviews"), "productpage:9080", "/x", { method: "PUT", body: "x" })).status).toBe(200);
    expect((await call(from("reviews"), "productpage:9080", "/x", { method: "PROPFIND" })).status).toBe(200);
    expect((await call(from("reviews"), "productpage:9080", "/admin/users")).status).toBe(403);
    expect((await call(from("reviews"), "productpage:9080", "/admin")).status).toBe(403);
    expect((await call(from("reviews"), "productpage:9080", "/administrator")).status).toBe(200);
  });

  test("notHeaders: a request without the header or with another value passes; the excluded value does not", async () => {
    expect((await call(from("admin"), "productpage:9080", "/admin/users")).status).toBe(200);
    expect((await call(from("admin"), "productpage:9080", "/admin/users", { headers: { "x-env": "prod" } })).status).toBe(200);
    expect((await call(from("admin"), "productpage:9080", "/admin/users", { headers: { "x-env": "staging" } })).status).toBe(403);
  });

  test("notPorts: a deny rule for identities outside bookinfo spares the excluded port", async () => {
    expect((await call(from("monitor", "ops"), "productpage.bookinfo:9080", "/")).status).toBe(403);
    expect((await call(from("monitor", "ops"), "productpage.bookinfo:9443", "/metrics")).status).toBe(200);
    expect(pageMetrics.seen.at(-1)!.url).toBe("/metrics");
  });

  test('notServiceAccounts: ["*"] denies callers without a mesh identity (plaintext), though an allow rule admits any caller', async () => {
    expect((await call(from("legacy"), "productpage:9080", "/public")).status).toBe(200);
    const before = page.seen.length;
    const r = await request(`http://127.0.0.1:${proxy.inboundPort("productpage", "bookinfo", page.port)}/public`, { headers: { host: "productpage" } });
    expect(r.statusCode).toBe(403);
    await r.body.text();
    expect(page.seen.length).toBe(before);
  });
});
