/**
 * The Istio authorization oracle (test/support/istio-authz-oracle.ts) against the examples of Istio's own
 * documentation: the reference page of AuthorizationPolicy, the security concept page, the normalization
 * page. If the oracle is wrong, the differential test (access-differential.test.ts) proves nothing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  istioAuthorize,
  istioClientTls,
  istioPeerMode,
  istioRequestAuthentication,
  normalizePath,
  requestPrincipalMatch,
  type SidecarRequest,
} from "../../support/istio-authz-oracle.js";

const ap = (namespace: string, spec: Record<string, unknown>, name = "p") => ({ kind: "AuthorizationPolicy", metadata: { name, namespace }, spec });
const req = (over: Partial<SidecarRequest> = {}): SidecarRequest => ({
  workload: { namespace: "foo", labels: { app: "httpbin", version: "v1" } },
  port: 8000,
  peer: { spiffe: "spiffe://cluster.local/ns/default/sa/sleep", ip: "10.0.0.1" },
  method: "GET",
  path: "/info/x",
  host: "httpbin.foo:8000",
  headers: {},
  ...over,
});
const allowed = (objs: { kind: string }[], r: SidecarRequest) => istioAuthorize(objs, r).allowed;

describe("the Istio authorization oracle, on the documentation's examples", () => {
  // authorization_policy.proto, the first example: sleep or namespace test; GET /info* or POST /data; a JWT from Google.
  const httpbin = ap("foo", {
    action: "ALLOW",
    rules: [
      {
        from: [{ source: { principals: ["cluster.local/ns/default/sa/sleep"] } }, { source: { namespaces: ["test"] } }],
        to: [{ operation: { methods: ["GET"], paths: ["/info*"] } }, { operation: { methods: ["POST"], paths: ["/data"] } }],
        when: [{ key: "request.auth.claims[iss]", values: ["https://accounts.google.com"] }],
      },
    ],
  });
  const google = { iss: "https://accounts.google.com", sub: "u1" };

  test("sources ORed, operations ORed, conditions ANDed; any other request denied", () => {
    expect(allowed([httpbin], req({ jwt: google }))).toBe(true);
    expect(allowed([httpbin], req({ jwt: google, peer: { spiffe: "spiffe://cluster.local/ns/test/sa/x", ip: "1.1.1.1" } }))).toBe(true);
    expect(allowed([httpbin], req({ jwt: google, method: "POST", path: "/data" }))).toBe(true);
    expect(allowed([httpbin], req({ jwt: google, method: "POST", path: "/info" }))).toBe(false);
    expect(allowed([httpbin], req())).toBe(false); // no token: the condition fails
    expect(allowed([httpbin], req({ jwt: google, peer: { ip: "1.1.1.1" } }))).toBe(false); // plaintext: no principal
  });

  test("scope: namespace, selector, root namespace", () => {
    const nothing = ap("foo", {}, "allow-nothing");
    expect(allowed([nothing], req())).toBe(false);
    expect(allowed([nothing], req({ workload: { namespace: "bar", labels: { app: "httpbin" } } }))).toBe(true);
    const v1 = ap("istio-system", { selector: { matchLabels: { version: "v1" } } }, "allow-nothing");
    expect(allowed([v1], req({ workload: { namespace: "any", labels: { version: "v1" } } }))).toBe(false);
    expect(allowed([v1], req({ workload: { namespace: "any", labels: { version: "v2" } } }))).toBe(true);
    expect(istioAuthorize([v1], req({ workload: { namespace: "any", labels: { version: "v1" } } }), { rootNamespace: "mesh-root" }).allowed).toBe(true);
  });

  test("allow-nothing, deny-all, allow-all; DENY before ALLOW; no ALLOW policy allows", () => {
    const denyAll = ap("foo", { action: "DENY", rules: [{}] }, "deny-all");
    const allowAll = ap("foo", { action: "ALLOW", rules: [{}] }, "allow-all");
    const denyNothing = ap("foo", { action: "DENY" }, "deny-nothing");
    expect(allowed([allowAll], req())).toBe(true);
    expect(allowed([allowAll, denyAll], req())).toBe(false);
    expect(allowed([denyNothing], req())).toBe(true);
    expect(allowed([], req())).toBe(true);
    const audit = ap("foo", { action: "AUDIT", rules: [{}] });
    expect(allowed([audit], req())).toBe(true);
  });

  test("value matching: exact, prefix, suffix, presence; presence needs a value", () => {
    const p = (principals: string[]) => [ap("foo", { rules: [{ from: [{ source: { principals } }] }] })];
    expect(allowed(p(["cluster.local/ns/default/*"]), req())).toBe(true);
    expect(allowed(p(["*/sa/sleep"]), req())).toBe(true);
    expect(allowed(p(["*"]), req())).toBe(true);
    expect(allowed(p(["*"]), req({ peer: { ip: "1.1.1.1" } }))).toBe(false);
    expect(allowed(p(["cluster.local/ns/default/sa/slee"]), req())).toBe(false);
  });

  test("exclusion: notRequestPrincipals [*] is the request without token; notValues hold for a missing header", () => {
    const jwtForAdmin = ap("foo", {
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/admin"] } }], from: [{ source: { notRequestPrincipals: ["*"] } }] }],
    });
    expect(allowed([jwtForAdmin], req({ path: "/admin" }))).toBe(false);
    expect(allowed([jwtForAdmin], req({ path: "/admin", jwt: google }))).toBe(true);
    const notV2 = ap("foo", { rules: [{ when: [{ key: "request.headers[version]", notValues: ["v2"] }] }] });
    expect(allowed([notV2], req())).toBe(true);
    expect(allowed([notV2], req({ headers: { Version: "v2" } }))).toBe(false);
    expect(allowed([notV2], req({ headers: { version: "v1" } }))).toBe(true);
  });

  test("ports are the connection's (pod) port, exact; ipBlocks are CIDRs", () => {
    const port = ap("foo", { rules: [{ to: [{ operation: { ports: ["8080"] } }] }] });
    expect(allowed([port], req({ port: 8080 }))).toBe(true);
    expect(allowed([port], req({ port: 80 }))).toBe(false);
    const ips = ap("foo", { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"], notIpBlocks: ["10.0.0.1"] } }] }] });
    expect(allowed([ips], req({ peer: { ip: "10.1.2.3" } }))).toBe(true);
    expect(allowed([ips], req())).toBe(false);
  });

  test("normalization: BASE decodes unreserved escapes, reads \\ as /, resolves dots, keeps // and %2F, drops the query", () => {
    expect(normalizePath("/public/./data/abc/../xyz")).toBe("/public/data/xyz");
    expect(normalizePath("/some%2fdata/%61%62%63")).toBe("/some%2fdata/abc");
    expect(normalizePath("/some%2fdata/%61%62%63", "DECODE_AND_MERGE_SLASHES")).toBe("/some/data/abc");
    expect(normalizePath("/some\\data")).toBe("/some/data");
    expect(normalizePath("/some//data///abc")).toBe("/some//data///abc");
    expect(normalizePath("/some//data///abc", "MERGE_SLASHES")).toBe("/some/data/abc");
    expect(normalizePath("/foo?v=1")).toBe("/foo");
    expect(normalizePath("/a%00b")).toBeUndefined();
    expect(istioAuthorize([], req({ method: "get" })).status).toBe(400);
  });

  test("requestPrincipals: split at the last / (Istio's implementation)", () => {
    const jwt = { iss: "https://idp.example.com", sub: "alice" };
    expect(requestPrincipalMatch("https://idp.example.com/alice", jwt)).toBe(true);
    expect(requestPrincipalMatch("https://idp.example.com/*", jwt)).toBe(true);
    expect(requestPrincipalMatch("*/alice", jwt)).toBe(true);
    expect(requestPrincipalMatch("*.example.com/alice", jwt)).toBe(true);
    expect(requestPrincipalMatch("https://idp*", jwt)).toBe(false); // issuer "https:/", subject prefix "idp"
    expect(requestPrincipalMatch("*", { iss: "x" })).toBe(false); // no subject
    expect(requestPrincipalMatch("*/1", { iss: "i", sub: "svc/1" })).toBe(false);
  });

  test("PeerAuthentication: workload over namespace over mesh, port level by pod port, UNSET inherits", () => {
    const pa = (namespace: string, spec: Record<string, unknown>, name = "default") => ({ kind: "PeerAuthentication", metadata: { name, namespace }, spec });
    const w = { namespace: "foo", labels: { app: "finance" } };
    const objs = [
      pa("istio-system", { mtls: { mode: "STRICT" } }),
      pa("foo", { mtls: { mode: "PERMISSIVE" } }),
      pa("foo", { selector: { matchLabels: { app: "finance" } }, mtls: { mode: "UNSET" }, portLevelMtls: { "8080": { mode: "DISABLE" } } }, "finance"),
    ];
    expect(istioPeerMode(objs, w, 8080)).toBe("DISABLE");
    expect(istioPeerMode(objs, w, 9090)).toBe("PERMISSIVE");
    expect(istioPeerMode(objs.slice(0, 1), w, 9090)).toBe("STRICT");
    expect(istioPeerMode([], w, 9090)).toBe("PERMISSIVE");
    // The client: the DestinationRule's tls, else auto mTLS (plaintext to a DISABLE port, or under a DISABLE namespace).
    const svc = { name: "finance", namespace: "foo", port: 80 };
    expect(istioClientTls(objs, svc, { workload: w, port: 8080 })).toBe("DISABLE");
    expect(istioClientTls(objs, svc, { workload: w, port: 9090 })).toBe("ISTIO_MUTUAL");
    expect(istioClientTls([pa("foo", { mtls: { mode: "DISABLE" } })], svc, { workload: w, port: 9090 })).toBe("DISABLE");
    const dr = {
      kind: "DestinationRule",
      metadata: { name: "finance", namespace: "foo" },
      spec: { host: "finance.foo.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    };
    expect(istioClientTls([...objs, dr], svc, { workload: w, port: 8080 })).toBe("ISTIO_MUTUAL");
  });

  test("RequestAuthentication: Istio's sample token is valid with the samples' JWKS, invalid otherwise; no token, no principal", () => {
    const fix = (f: string) => readFileSync(join(import.meta.dirname, "../../proxy/fixtures/istio-jwt", f), "utf8").trim();
    const demo = fix("demo.jwt");
    const ra = (jwks: string, extra: Record<string, unknown> = {}) => ({
      kind: "RequestAuthentication",
      metadata: { name: "ra", namespace: "foo" },
      spec: { selector: { matchLabels: { app: "httpbin" } }, jwtRules: [{ issuer: "testing@secure.istio.io", jwks, ...extra }] },
    });
    const w = { namespace: "foo", labels: { app: "httpbin" } };
    const bearer = { path: "/", headers: { Authorization: `Bearer ${demo}` } };
    const ok = istioRequestAuthentication([ra(fix("samples-jwks.json"))], w, bearer, { now: 1600000000 });
    expect(ok).toEqual({ jwt: expect.objectContaining({ iss: "testing@secure.istio.io", sub: "testing@secure.istio.io", foo: "bar" }) });
    expect(istioRequestAuthentication([ra(fix("tests-jwks.json"))], w, bearer)).toMatchObject({ status: 401 });
    expect(istioRequestAuthentication([ra(fix("samples-jwks.json"), { audiences: ["x"] })], w, bearer)).toMatchObject({ status: 401 });
    expect(istioRequestAuthentication([ra(fix("samples-jwks.json"))], w, { path: "/", headers: {} })).toEqual({});
    // A workload no RequestAuthentication selects does not look at tokens at all.
    expect(istioRequestAuthentication([ra(fix("tests-jwks.json"))], { namespace: "foo", labels: { app: "other" } }, bearer)).toEqual({});
    // The token in the default query parameter too; scope is read as a space-separated list.
    const gs = fix("groups-scope.jwt");
    const q = istioRequestAuthentication([ra(fix("samples-jwks.json"))], w, { path: `/x?access_token=${gs}`, headers: {} }, { now: 1600000000 });
    expect(q).toEqual({ jwt: expect.objectContaining({ groups: ["group1", "group2"], scope: ["scope1", "scope2"] }) });
  });
});
