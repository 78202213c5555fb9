/**
 * The Kuma access oracle (test/support/kuma-authz-oracle.ts) against the examples and statements of Kuma's own
 * documentation (kumahq/kuma-website app/_src/policies/meshtrafficpermission_experimental.md, meshtrafficpermission.md,
 * meshtls.md, introduction.md, guides/meshidentity-guide.md) and Kuma 2.14.3's own tests cited there. If the
 * oracle is wrong, the differential test (access-differential.test.ts) proves nothing.
 */
import { describe, expect, test } from "vitest";
import { type KumaObject, type KumaOptions, type KumaRequest, kumaAuthorize, selecting } from "../../support/kuma-authz-oracle.js";

const TD = "my-mesh.us-east-2.mesh.local";
const id = (ns: string, sa: string, td = TD) => `spiffe://${td}/ns/${ns}/sa/${sa}`;
const mtp = (name: string, spec: Record<string, unknown>, namespace = "kuma-system", mesh = "my-mesh"): KumaObject => ({
  apiVersion: "kuma.io/v1alpha1",
  kind: "MeshTrafficPermission",
  metadata: { name, namespace, labels: { "kuma.io/mesh": mesh } },
  spec,
});
const tls = (name: string, spec: Record<string, unknown>, namespace = "kuma-system", mesh = "my-mesh"): KumaObject => ({
  ...mtp(name, spec, namespace, mesh),
  kind: "MeshTLS",
});
const req = (client: KumaRequest["client"], over: Partial<KumaRequest> = {}): KumaRequest => ({
  workload: { namespace: "app", labels: { app: "my-app" } },
  inbound: { port: 8080 },
  client,
  ...over,
});
const OPTS: KumaOptions = { mesh: "my-mesh" };
const decide = (objs: KumaObject[], r: KumaRequest, o: KumaOptions = OPTS) => kumaAuthorize(objs, r, o).allowed;

describe("the Kuma access oracle, on the documentation's examples", () => {
  test("the rules page's common example: deny a namespace prefix and one identity, allow the trust domain", () => {
    const p = mtp(
      "my-app-permissions",
      {
        targetRef: { kind: "Dataplane", labels: { app: "my-app" } },
        rules: [
          {
            default: {
              deny: [
                { spiffeID: { type: "Prefix", value: `spiffe://${TD}/ns/legacy-ns` } },
                { spiffeID: { type: "Exact", value: `spiffe://${TD}/ns/test/sa/client` } },
              ],
              allow: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}` } }],
            },
          },
        ],
      },
      "app",
    );
    // "workloads labeled app: my-app will reject connections from identities under the legacy-ns namespace as
    // well as the specific test/client identity, while continuing to accept ... all other identities".
    expect(decide([p], req({ spiffeId: id("legacy-ns", "x") }))).toBe(false);
    expect(decide([p], req({ spiffeId: id("test", "client") }))).toBe(false);
    expect(decide([p], req({ spiffeId: id("test", "client2") }))).toBe(true);
    expect(decide([p], req({ spiffeId: id("prod", "web") }))).toBe(true);
    // A Prefix is a string prefix (Envoy's StringMatcher on the URI SAN): legacy-ns-2 starts with it too.
    expect(decide([p], req({ spiffeId: id("legacy-ns-2", "x") }))).toBe(false);
    // Another workload is not selected: no policy, denied by default.
    expect(kumaAuthorize([p], req({ spiffeId: id("prod", "web") }, { workload: { namespace: "app", labels: { app: "other" } } }), OPTS)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("denied by default"),
    });
  });

  test("'By default, if no policy is present, all requests are denied' (MeshIdentity), and the guide's namespace allow opens the namespace", () => {
    expect(decide([], req({ spiffeId: id("kuma-demo", "demo-app") }))).toBe(false);
    // The MeshIdentity guide: a `rules` MTP in kuma-demo allowing the Prefix of kuma-demo's identities.
    const demo = mtp(
      "mtp",
      { rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: "spiffe://default.default.mesh.local/ns/kuma-demo" } }] } }] },
      "kuma-demo",
      "default",
    );
    const inDemo = req(
      { spiffeId: "spiffe://default.default.mesh.local/ns/kuma-demo/sa/demo-app" },
      { workload: { namespace: "kuma-demo", labels: { app: "redis" } } },
    );
    expect(decide([demo], inDemo, {})).toBe(true);
    expect(decide([demo], { ...inDemo, client: { spiffeId: "spiffe://default.default.mesh.local/ns/other/sa/x" } }, {})).toBe(false);
    // A policy in a namespace applies only to proxies inside it (the introduction): not to another namespace's.
    expect(kumaAuthorize([demo], { ...inDemo, workload: { namespace: "elsewhere", labels: { app: "redis" } } }, {}).reason).toContain(
      "no MeshTrafficPermission",
    );
    // Another mesh's policies do not apply.
    expect(decide([demo], inDemo, { mesh: "other" })).toBe(false);
  });

  test("mesh-wide allow for a namespace, a service owner's deny on one port (sectionName): the deny wins there only", () => {
    const allowObs = mtp("allow-observability-ns", {
      rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}/ns/observability` } }] } }],
    });
    const denyObs = mtp(
      "deny-observability-ns",
      {
        targetRef: { kind: "Dataplane", labels: { app: "backend" }, sectionName: "backend-admin-api" },
        rules: [{ default: { deny: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}/ns/observability` } }] } }],
      },
      "backend-ns",
    );
    const backend = (port: number, name: string) => ({ workload: { namespace: "backend-ns", labels: { app: "backend" } }, inbound: { port, name } });
    const obs = { spiffeId: id("observability", "prometheus") };
    // "This policy allows any client in observability namespace to consume any service in my-mesh".
    expect(decide([allowObs, denyObs], req(obs))).toBe(true);
    expect(decide([allowObs, denyObs], { ...backend(8080, "backend-api"), client: obs })).toBe(true);
    // "denies requests from clients in observability namespace on backend-admin-api port of backend app".
    expect(decide([allowObs, denyObs], { ...backend(9090, "backend-admin-api"), client: obs })).toBe(false);
    // An inbound without a name is selected by its port number.
    expect(decide([allowObs, denyObs], { ...backend(9090, undefined as unknown as string), client: obs })).toBe(true);
    expect(selecting([denyObs], "MeshTrafficPermission", { workload: backend(1, "").workload, inbound: { port: 9090 }, client: {} }, OPTS)).toEqual([]);
    // Other clients: no allow matches, denied by default.
    expect(decide([allowObs, denyObs], req({ spiffeId: id("shop", "web") }))).toBe(false);
    // The incident policy of the same page: a mesh-wide deny nobody can override.
    const malicious = mtp("deny-malicious-ns", { rules: [{ default: { deny: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}/ns/malicious` } }] } }] });
    const allowAll = mtp(
      "allow-all",
      {
        targetRef: { kind: "Dataplane", labels: { app: "my-app" } },
        rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}` } }] } }],
      },
      "app",
    );
    expect(decide([malicious, allowAll], req({ spiffeId: id("malicious", "x") }))).toBe(false);
    expect(decide([malicious, allowAll], req({ spiffeId: id("shop", "x") }))).toBe(true);
  });

  test("Kuma 2.14.3's inbound-rules-deny-precedence: a mesh-wide allow, a Dataplane deny: deny matchers come first", () => {
    // test/e2e_env/universal/envoyconfig/testdata/sidecars/meshtrafficpermission/inbound-rules-deny-precedence.input.yaml
    const p1 = mtp("mtp-1", {
      targetRef: { kind: "Mesh" },
      rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh" } }] } }],
    });
    const p2 = mtp("mtp-2", {
      targetRef: { kind: "Dataplane", name: "test-server" },
      rules: [{ default: { deny: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh/ns/backend" } }] } }],
    });
    const server = (spiffeId: string): KumaRequest => ({
      workload: { namespace: "kuma-system", labels: {}, name: "test-server" },
      inbound: { port: 80 },
      client: { spiffeId },
    });
    expect(decide([p1, p2], server("spiffe://trust-domain.mesh/ns/backend/sa/x"))).toBe(false);
    expect(decide([p1, p2], server("spiffe://trust-domain.mesh/ns/frontend/sa/x"))).toBe(true);
    // allowWithShadowDeny admits (and only logs as a deny).
    const shadow = mtp("shadow", {
      rules: [{ default: { allowWithShadowDeny: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh/ns/legacy" } }] } }],
    });
    expect(decide([shadow], server("spiffe://trust-domain.mesh/ns/legacy/sa/x"))).toBe(true);
  });

  test("workload identity ignores 'from' MeshTrafficPermissions and legacy TrafficPermissions (plugin test: default-deny)", () => {
    const allowAllFrom = mtp("allow-all", { from: [{ targetRef: { kind: "Mesh" }, default: { action: "Allow" } }] });
    expect(decide([allowAllFrom], req({ spiffeId: id("a", "b") }))).toBe(false);
    // Without a workload identity (Mesh mTLS), the 'from' allow-all admits, and without any MTP the default mesh's
    // allow-all TrafficPermission does; with no TrafficPermission at all, Kuma denies.
    const legacy: KumaOptions = { ...OPTS, workloadIdentity: false, meshMtls: { enabled: true } };
    expect(decide([allowAllFrom], req({ spiffeId: "spiffe://my-mesh/web", tags: { "kuma.io/service": "web" } }), legacy)).toBe(true);
    expect(decide([], req({ spiffeId: "spiffe://my-mesh/web" }), legacy)).toBe(true);
    expect(decide([], req({ spiffeId: "spiffe://my-mesh/web" }), { ...legacy, trafficPermissions: "none" })).toBe(false);
    // Without Mesh mTLS and without MeshIdentity no MeshTrafficPermission applies at all.
    const denyAll = mtp("deny-all", { from: [{ targetRef: { kind: "Mesh" }, default: { action: "Deny" } }] });
    expect(decide([denyAll], req({}), { ...OPTS, workloadIdentity: false })).toBe(true);
    expect(decide([denyAll], req({ spiffeId: "spiffe://my-mesh/web" }), legacy)).toBe(false);
  });

  test("the from page: allow-orders (MeshSubset kuma.io/service), and the order of the from array: the later entry wins", () => {
    const legacy: KumaOptions = { ...OPTS, workloadIdentity: false, meshMtls: { enabled: true } };
    const allowOrders = mtp(
      "allow-orders",
      {
        targetRef: { kind: "Dataplane", labels: { app: "payments" } },
        from: [{ targetRef: { kind: "MeshSubset", tags: { "kuma.io/service": "orders" } }, default: { action: "Allow" } }],
      },
      "kuma-demo",
    );
    const payments = (tags: Record<string, string>): KumaRequest => ({
      workload: { namespace: "kuma-demo", labels: { app: "payments" } },
      inbound: { port: 8080 },
      client: { spiffeId: `spiffe://my-mesh/${tags["kuma.io/service"] ?? "x"}`, tags },
    });
    expect(decide([allowOrders], payments({ "kuma.io/service": "orders" }), legacy)).toBe(true);
    // "All requests from service orders will be allowed on service payments": the others match no entry.
    expect(decide([allowOrders], payments({ "kuma.io/service": "web" }), legacy)).toBe(false);
    const withTags = mtp("example-with-tags", {
      targetRef: { kind: "Mesh" },
      from: [
        { targetRef: { kind: "MeshSubset", tags: { "kuma.io/zone": "us-east" } }, default: { action: "Allow" } },
        { targetRef: { kind: "MeshSubset", tags: { env: "dev" } }, default: { action: "Deny" } },
      ],
    });
    // "Request from the proxy that has both kuma.io/zone: east and env: dev will be denied. This is because the
    // rule with Deny is later in the from array than any Allow rules."
    expect(decide([withTags], payments({ "kuma.io/zone": "us-east", env: "dev" }), legacy)).toBe(false);
    expect(decide([withTags], payments({ "kuma.io/zone": "us-east" }), legacy)).toBe(true);
    expect(decide([withTags], payments({ env: "dev" }), legacy)).toBe(false);
    // Across policies: the more specific top-level targetRef merges later (Dataplane after Mesh), so it wins.
    const denyOrders = mtp("deny-orders", { targetRef: { kind: "Mesh" }, from: [{ targetRef: { kind: "Mesh" }, default: { action: "Deny" } }] });
    expect(decide([allowOrders, denyOrders], payments({ "kuma.io/service": "orders" }), legacy)).toBe(true);
    expect(decide([allowOrders, denyOrders], payments({ "kuma.io/service": "web" }), legacy)).toBe(false);
    // MeshService and MeshServiceSubset select by kuma.io/service.
    const svc = mtp("svc", { from: [{ targetRef: { kind: "MeshServiceSubset", name: "orders", tags: { version: "v2" } }, default: { action: "Allow" } }] });
    expect(decide([svc], payments({ "kuma.io/service": "orders", version: "v2" }), legacy)).toBe(true);
    expect(decide([svc], payments({ "kuma.io/service": "orders", version: "v1" }), legacy)).toBe(false);
  });

  test("MeshTLS: 'Permissive ... inbound connections on the server-side accept both TLS and plaintext'; Strict refuses plaintext", () => {
    const strictRedis = tls("strict-mode", { targetRef: { kind: "Dataplane", labels: { app: "redis" } }, rules: [{ default: { mode: "Strict" } }] });
    const permissiveMesh = tls("permissive", { rules: [{ default: { mode: "Permissive" } }] });
    const redis = (client: KumaRequest["client"]): KumaRequest => ({
      workload: { namespace: "app", labels: { app: "redis" } },
      inbound: { port: 6379 },
      client,
    });
    // The Dataplane policy is more specific than the mesh-wide one.
    expect(kumaAuthorize([permissiveMesh, strictRedis], redis({}), OPTS)).toMatchObject({ allowed: false, mode: "Strict" });
    // Plaintext on a Permissive inbound skips RBAC (it is on Kuma's TLS filter chain only), even a deny-all.
    const denyAll = mtp("deny", { rules: [{ default: { deny: [{ spiffeID: { type: "Prefix", value: `spiffe://${TD}` } }] } }] });
    expect(kumaAuthorize([permissiveMesh, denyAll], req({}), OPTS)).toMatchObject({ allowed: true, mode: "Permissive" });
    expect(decide([permissiveMesh, denyAll], req({ spiffeId: id("a", "b") }))).toBe(false);
    // Without a MeshTLS mode: Strict with a workload identity; else the Mesh's backend mode.
    expect(kumaAuthorize([], req({}), OPTS)).toMatchObject({ allowed: false, mode: "Strict" });
    expect(kumaAuthorize([], req({}), { ...OPTS, workloadIdentity: false, meshMtls: { enabled: true, mode: "PERMISSIVE" } })).toMatchObject({
      allowed: true,
      mode: "Permissive",
    });
    expect(kumaAuthorize([], req({}), { ...OPTS, workloadIdentity: false, meshMtls: { enabled: true } })).toMatchObject({ allowed: false, mode: "Strict" });
    // A namespace's Mesh policy (workload-owner) is more specific than the system namespace's (system).
    const nsStrict = tls("ns-strict", { targetRef: { kind: "Mesh" }, rules: [{ default: { mode: "Strict" } }] }, "app");
    expect(kumaAuthorize([nsStrict, permissiveMesh], req({}), OPTS).mode).toBe("Strict");
    const nsPermissive = tls("ns", { rules: [{ default: { mode: "Permissive" } }] }, "app");
    const meshStrict = tls("mesh", { rules: [{ default: { mode: "Strict" } }] });
    expect(kumaAuthorize([nsPermissive, meshStrict], req({}), OPTS).mode).toBe("Permissive");
    // A merge keeps a mode the more specific policy does not set (JSON merge patch).
    const ciphersOnly = tls(
      "ciphers",
      { targetRef: { kind: "Dataplane", labels: { app: "my-app" } }, rules: [{ default: { tlsVersion: { min: "TLS13" } } }] },
      "app",
    );
    expect(kumaAuthorize([nsPermissive, ciphersOnly], req({}), OPTS).mode).toBe("Permissive");
  });

  test("specificity ties: inverted lexicographical order of names, the smaller name merged last", () => {
    const a = tls("aaa", { targetRef: { kind: "Dataplane", labels: { app: "my-app" } }, rules: [{ default: { mode: "Permissive" } }] }, "app");
    const z = tls("zzz", { targetRef: { kind: "Dataplane", labels: { app: "my-app" } }, rules: [{ default: { mode: "Strict" } }] }, "app");
    expect(selecting([a, z], "MeshTLS", req({}), OPTS).map((p) => p.metadata.name)).toEqual(["zzz", "aaa"]);
    expect(kumaAuthorize([a, z], req({}), OPTS).mode).toBe("Permissive");
  });

  test("a client of a trust domain the mesh does not trust fails the handshake", () => {
    const p = mtp("all", { rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: "spiffe://" } }] } }] });
    expect(decide([p], req({ spiffeId: id("a", "b") }), { ...OPTS, trustDomains: [TD] })).toBe(true);
    expect(decide([p], req({ spiffeId: id("a", "b", "elsewhere.local") }), { ...OPTS, trustDomains: [TD] })).toBe(false);
  });
});
