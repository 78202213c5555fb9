/**
 * `requestAuthentication`: end-user tokens (JWT) validated on the destination's inbound listener, through
 * real sockets, with Istio's own test material (test/proxy/fixtures/istio-jwt: the samples' jwks.json,
 * demo.jwt, groups-scope.jwt and signing key; the e2e tokens of tests/common/jwt) and a JWKS served by a
 * server on 127.0.0.1:
 * - a request without a token passes with no principal; one with a valid token gets its principal and
 *   claims, which the access rules match (Istio's TestAuthz_JWT table, case for case);
 * - a token that is not valid is refused with 401 before the app: expired, not yet valid, wrong issuer,
 *   wrong audience, bad signature, `alg: none`, HS256 signed with the RSA public key, malformed, two
 *   different tokens, found where its issuer does not read;
 * - the token is removed before the app unless forwardToken; the JWKS is fetched once and cached; an
 *   unreachable or hanging JWKS server makes tokens fail (401), never the requests without one.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import { createHmac, createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { SignJWT, importPKCS8, type JWTPayload } from "jose";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const FIX = join(import.meta.dirname, "fixtures/istio-jwt");
const read = (f: string) => readFileSync(join(FIX, f), "utf8").trim();
const TOKENS: Record<string, string> = JSON.parse(read("tests-tokens.json"));
const DEMO = read("demo.jwt");
const GROUPS_SCOPE = read("groups-scope.jwt");
const SAMPLES_JWKS = read("samples-jwks.json");
const TESTS_JWKS = read("tests-jwks.json");
/** The key id of the samples' JWKS (security/tools/jwt/samples/jwks.json). */
const SAMPLES_KID = JSON.parse(SAMPLES_JWKS).keys[0].kid as string;
const SAMPLES_PEM = read("samples-key.pem");

/** A token of the samples' issuer signed with the samples' key (as gen-jwt.py does), claims as given. */
async function sampleToken(claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const key = await importPKCS8(createPrivateKey(SAMPLES_PEM).export({ type: "pkcs8", format: "pem" }) as string, "RS256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "testing@secure.istio.io", sub: "testing@secure.istio.io", iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: SAMPLES_KID, typ: "JWT", ...header })
    .sign(key);
}

const b64url = (o: unknown) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");

/** JWKS server: /samples, /tests, /down (500), /hang (never answers); counts fetches per path. */
async function startJwksServer(): Promise<{ port: number; fetches: Map<string, number>; close(): Promise<void> }> {
  const fetches = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    fetches.set(req.url!, (fetches.get(req.url!) ?? 0) + 1);
    if (req.url === "/samples") {
      res.setHeader("content-type", "application/json");
      res.end(SAMPLES_JWKS);
    } else if (req.url === "/tests") {
      res.setHeader("content-type", "application/json");
      res.end(TESTS_JWKS);
    } else if (req.url === "/hang") hanging.add(res);
    else {
      res.statusCode = 500;
      res.end("down");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    fetches,
    close: () =>
      new Promise((r) => {
        for (const h of hanging) h.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const policies = (jwks: number) => `
# Istio's RequestAuthentication reference: require a JWT for every request but /healthz.
apiVersion: unimesh.io/v1alpha1
kind: RequestAuthentication
metadata: {name: httpbin, namespace: foo}
spec:
  destination: {service: httpbin}
  issuers:
    - issuer: testing@secure.istio.io
      jwksUri: http://127.0.0.1:${jwks}/samples
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: httpbin, namespace: foo}
spec:
  destination: {service: httpbin}
  allow:
    - requestPrincipals: ["*"]
    - paths: [/healthz]
---
# Istio's authorization-by-JWT test (tests/integration/security/testdata/authz/jwt.yaml.tmpl).
apiVersion: unimesh.io/v1alpha1
kind: RequestAuthentication
metadata: {name: echo, namespace: foo}
spec:
  destination: {service: echo}
  issuers:
    - issuer: test-issuer-1@istio.io
      jwks: '${TESTS_JWKS}'
    - issuer: test-issuer-2@istio.io
      jwksUri: http://127.0.0.1:${jwks}/tests
      spaceDelimitedClaims: [custom_scope, teams]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: echo, namespace: foo}
spec:
  destination: {service: echo}
  allow:
    - {paths: [/token1], methods: [GET], requestPrincipals: [test-issuer-1@istio.io/sub-1]}
    - {paths: [/token2], methods: [GET], claims: {groups: [group-2]}}
    - {paths: [/tokenAny], methods: [GET], requestPrincipals: ["*"]}
    - {paths: [/scope], methods: [GET], claims: {scope: [append, write]}}
    - {paths: [/otherscope], methods: [GET], claims: {scope: [admin]}}
    - {paths: [/permission], methods: [GET], claims: {permission: [write, append]}}
    - {paths: [/custom-scope-admin], methods: [GET], claims: {custom_scope: [admin]}}
    - {paths: [/custom-scope-user], methods: [GET], claims: {custom_scope: [user]}}
    - {paths: [/nested-key1], methods: [GET], claims: {nested: {key1: [valueB]}}}
    - {paths: [/nested-non-exist], methods: [GET], claims: {nested: {non-exist: [valueC]}}}
    - {paths: [/nested-key2], methods: [GET], claims: {nested: {key2: [valueC]}}}
    - {paths: [/nested-2-key1], methods: [GET], claims: {nested: {nested-2: {key1: [valueA]}}}}
    - {paths: [/valid-jwt], requestPrincipals: ["*"]}
    - {paths: ["*/presenter"], claims: {azp: [bar]}}
    - {paths: ["*/audiences"], claims: {aud: [foo]}}
    - {paths: [/token3], methods: [GET], notRequestPrincipals: [test-issuer-1@istio.io/sub-1]}
    - {paths: [/collision], claims: {"test-issuer-1@istio.io/simple": [valueC]}}
---
# Token in a header of its own and a query parameter, audiences, ANDed with the calling workload.
apiVersion: unimesh.io/v1alpha1
kind: RequestAuthentication
metadata: {name: reviews, namespace: bookinfo}
spec:
  destination: {service: reviews}
  issuers:
    - issuer: testing@secure.istio.io
      jwks: '${SAMPLES_JWKS}'
      audiences: [reviews]
      fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
      fromParams: [my_token]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: reviews, namespace: bookinfo}
spec:
  destination: {service: reviews}
  allow:
    - source: {serviceAccounts: [bookinfo-productpage]}
      methods: [POST]
      requestPrincipals: ["testing@secure.istio.io/*"]
      claims: {groups: [admin]}
    - {methods: [GET]}
  deny:
    - notRequestPrincipals: ["*"]
      paths: ["/internal/*"]
---
# A token that must reach the app (forwardToken), and a JWKS server that is down or hangs.
apiVersion: unimesh.io/v1alpha1
kind: RequestAuthentication
metadata: {name: details, namespace: bookinfo}
spec:
  destination: {service: details}
  issuers:
    - issuer: testing@secure.istio.io
      jwks: '${SAMPLES_JWKS}'
      forwardToken: true
    - issuer: down@example.com
      jwksUri: http://127.0.0.1:${jwks}/down
    - issuer: hang@example.com
      jwksUri: http://127.0.0.1:${jwks}/hang
`;

describe("requestAuthentication", () => {
  let httpbin: App, echo: App, reviews: App, details: App, sleep: App, productpage: App, ratings: App;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let proxy: ProxyRuntime;
  beforeAll(async () => {
    jwks = await startJwksServer();
    [httpbin, echo, reviews, details, sleep, productpage, ratings] = await Promise.all(
      ["httpbin", "echo", "reviews", "details", "sleep", "productpage", "ratings"].map((n) => startApp(n)),
    );
    proxy = await startMesh(
      meshConfig(
        policies(jwks.port),
        registry([
          { service: "httpbin", namespace: "foo", port: httpbin.port },
          { service: "echo", namespace: "foo", port: echo.port },
          { service: "sleep", namespace: "foo", port: sleep.port, outbound: true },
          { service: "reviews", namespace: "bookinfo", port: reviews.port },
          { service: "details", namespace: "bookinfo", port: details.port },
          { service: "productpage", namespace: "bookinfo", serviceAccount: "bookinfo-productpage", port: productpage.port, outbound: true },
          { service: "ratings", namespace: "bookinfo", serviceAccount: "bookinfo-ratings", port: ratings.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([httpbin, echo, reviews, details, sleep, productpage, ratings].map((a) => a?.close()));
    await jwks?.close();
  });
  const sleepTo = (svc: string, path: string, token?: string, headers: Record<string, string> = {}) =>
    call(proxy.outboundPort("sleep", "foo"), svc, path, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  describe("Istio's RequestAuthentication reference: a JWT for every path but /healthz (JWKS from a URI)", () => {
    test("the samples' demo.jwt passes; the app gets the request without the token", async () => {
      const before = httpbin.seen.length;
      const a = await sleepTo("httpbin", "/headers", DEMO);
      expect([a.status, a.body]).toEqual([200, "httpbin"]);
      expect(httpbin.seen.length).toBe(before + 1);
      expect(httpbin.seen.at(-1)!.headers.authorization).toBeUndefined();
    });

    test("without a token: only /healthz (no principal: the requestPrincipals rule does not match)", async () => {
      expect((await sleepTo("httpbin", "/headers")).status).toBe(403);
      expect((await sleepTo("httpbin", "/healthz")).status).toBe(200);
    });

    test("an Authorization header that is not a bearer token is no token", async () => {
      expect((await sleepTo("httpbin", "/healthz", undefined, { authorization: "Basic dXNlcjpwYXNz" })).status).toBe(200);
      expect((await sleepTo("httpbin", "/headers", undefined, { authorization: "Basic dXNlcjpwYXNz" })).status).toBe(403);
    });

    test("the token in the default query parameter access_token counts too, and is removed", async () => {
      const a = await sleepTo("httpbin", `/headers?access_token=${DEMO}&x=1`);
      expect(a.status).toBe(200);
      expect(httpbin.seen.at(-1)!.url).toBe("/headers?x=1");
    });

    test("the JWKS was fetched once, then served from the cache", async () => {
      for (let i = 0; i < 5; i++) expect((await sleepTo("httpbin", "/headers", DEMO)).status).toBe(200);
      expect(jwks.fetches.get("/samples")).toBe(1);
    });
  });

  describe("invalid tokens: 401 before the app, also where the rules would allow anyone (/healthz)", () => {
    const refused = async (token: string, body: string, path = "/healthz", headers: Record<string, string> = {}) => {
      const before = httpbin.seen.length;
      const a = await sleepTo("httpbin", path, token, headers);
      expect([a.status, a.body]).toEqual([401, body]);
      expect(a.headers["www-authenticate"]).toMatch(/^Bearer realm="http:\/\/httpbin\/healthz", error="invalid_token"$/);
      expect(httpbin.seen.length).toBe(before);
    };

    test("expired (an hour ago; Istio's e2e TokenExpired of another issuer is refused as unknown)", async () => {
      await refused(await sampleToken({ exp: Math.floor(Date.now() / 1000) - 3600 }), "Jwt is expired");
      await refused(TOKENS.TokenExpired, "Jwt issuer is not configured");
    });

    test("expired 30 s ago is still valid: Envoy's 60 s clock skew", async () => {
      expect((await sleepTo("httpbin", "/headers", await sampleToken({ exp: Math.floor(Date.now() / 1000) - 30 }))).status).toBe(200);
    });

    test("not yet valid (nbf in an hour)", async () => {
      await refused(await sampleToken({ nbf: Math.floor(Date.now() / 1000) + 3600 }), "Jwt not yet valid");
    });

    test("an issuer no RequestAuthentication of the destination names", async () => {
      await refused(await sampleToken({ iss: "evil@example.com" }), "Jwt issuer is not configured");
      await refused(TOKENS.TokenIssuer1, "Jwt issuer is not configured");
    });

    test("a bad signature: a tampered payload, another key's signature", async () => {
      const [h, , s] = DEMO.split(".");
      await refused(`${h}.${b64url({ iss: "testing@secure.istio.io", sub: "admin", exp: 4685989700 })}.${s}`, "Jwt verification fails");
      // Istio's e2e key signs a token naming the samples' issuer and key id.
      const other = await importPKCS8(createPrivateKey(read("tests-key.pem")).export({ type: "pkcs8", format: "pem" }) as string, "RS256");
      const forged = await new SignJWT({ iss: "testing@secure.istio.io", sub: "x", exp: Math.floor(Date.now() / 1000) + 60 })
        .setProtectedHeader({ alg: "RS256", kid: SAMPLES_KID })
        .sign(other);
      await refused(forged, "Jwt verification fails");
    });

    test("alg none (no signature)", async () => {
      const payload = b64url({ iss: "testing@secure.istio.io", sub: "admin", exp: Math.floor(Date.now() / 1000) + 3600 });
      await refused(`${b64url({ alg: "none", typ: "JWT" })}.${payload}.`, "Jwt verification fails");
      await refused(`${b64url({ alg: "none", typ: "JWT", kid: SAMPLES_KID })}.${payload}.`, "Jwt verification fails");
    });

    test("HS256 signed with the RSA public key (algorithm confusion)", async () => {
      const pub = createPublicKey(SAMPLES_PEM);
      const payload = b64url({ iss: "testing@secure.istio.io", sub: "admin", exp: Math.floor(Date.now() / 1000) + 3600 });
      for (const secret of [
        pub.export({ type: "spki", format: "pem" }) as string,
        pub.export({ type: "pkcs1", format: "pem" }) as string,
        JSON.stringify(pub.export({ format: "jwk" })),
      ]) {
        const head = b64url({ alg: "HS256", typ: "JWT", kid: SAMPLES_KID });
        const sig = createHmac("sha256", secret).update(`${head}.${payload}`).digest("base64url");
        await refused(`${head}.${payload}.${sig}`, "Jwt verification fails");
      }
    });

    test("malformed tokens", async () => {
      await refused("not-a-jwt", "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
      await refused(`${b64url("{")}.${b64url("{}")}.x`, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
    });

    test("two different tokens in one request (Istio leaves its principal undefined)", async () => {
      await refused(DEMO, "Jwt verification fails: the request carries more than one token", `/healthz?access_token=${GROUPS_SCOPE}`);
      // The same token twice is one token.
      expect((await sleepTo("httpbin", `/headers?access_token=${DEMO}`, DEMO)).status).toBe(200);
    });

    test("a CORS preflight is not checked (Istio bypass_cors_preflight)", async () => {
      const a = await call(proxy.outboundPort("sleep", "foo"), "httpbin", "/healthz", {
        method: "OPTIONS",
        headers: { authorization: "Bearer not-a-jwt", origin: "https://app.example.com", "access-control-request-method": "GET" },
      });
      expect(a.status).toBe(200);
    });
  });

  describe("Istio's authorization-by-JWT test (TestAuthz_JWT), case for case", () => {
    // [token, path, allowed] as in tests/integration/security/authz_test.go.
    const cases: [string, string, boolean][] = [
      ["", "/token1", false],
      ["", "/token2", false],
      ["TokenIssuer1", "/token1", true],
      ["TokenIssuer1", "/token2", false],
      ["TokenIssuer2", "/token1", false],
      ["TokenIssuer2", "/token2", true],
      ["TokenIssuer1", "/token3", false],
      ["TokenIssuer2", "/token3", true],
      ["TokenIssuer1", "/tokenAny", true],
      ["TokenIssuer2", "/tokenAny", true],
      ["TokenIssuer1", "/permission", false],
      ["TokenIssuer2", "/permission", false],
      ["TokenIssuer2WithSpaceDelimitedPermission", "/permission", true],
      ["TokenIssuer2WithSpaceDelimitedScope", "/scope", true],
      ["TokenIssuer2WithSpaceDelimitedScope", "/otherscope", false],
      ["TokenIssuer2WithCustomScopeSpaceDelimitedScope", "/custom-scope-admin", true],
      ["TokenIssuer2WithCustomScopeSpaceDelimitedScope", "/custom-scope-user", true],
      ["", "/custom-scope-admin", false],
      ["", "/custom-scope-user", false],
      ["TokenIssuer1", "/custom-scope-admin", false],
      ["TokenIssuer1", "/custom-scope-user", false],
      ["TokenIssuer1WithNestedClaims1", "/nested-key1", true],
      ["TokenIssuer1WithNestedClaims2", "/nested-key1", false],
      ["TokenIssuer1WithNestedClaims1", "/nested-key2", false],
      ["TokenIssuer1WithNestedClaims2", "/nested-key2", true],
      ["TokenIssuer1WithNestedClaims1", "/nested-2-key1", true],
      ["TokenIssuer1WithNestedClaims2", "/nested-2-key1", false],
      ["TokenIssuer1WithNestedClaims1", "/nested-non-exist", false],
      ["TokenIssuer1WithNestedClaims2", "/nested-non-exist", false],
      ["", "/tokenAny", false],
      ["TokenIssuer1WithAud", "/audiences", true],
      ["TokenIssuer1WithAudList", "/audiences", true],
      // Not in Istio's table, same semantics: the presenter (azp), a claim named like a URL, and
      // notRequestPrincipals for a request without a token (it has no principal, so it is not excluded).
      ["TokenIssuer1WithAzp", "/x/presenter", true],
      ["TokenIssuer1", "/x/presenter", false],
      ["TokenIssuer1WithCollisionResistantName", "/collision", true],
      ["TokenIssuer1", "/collision", false],
      ["", "/token3", true],
    ];
    test.each(cases)("%s %s → allowed %s", async (token, path, allowed) => {
      const before = echo.seen.length;
      const a = await sleepTo("echo", path, token ? TOKENS[token] : undefined);
      expect(a.status).toBe(allowed ? 200 : 403);
      expect(echo.seen.length).toBe(before + (allowed ? 1 : 0));
    });
  });

  describe("token locations, audiences, and the calling workload ANDed with the end user", () => {
    const admin = async (claims: JWTPayload = {}) => sampleToken({ aud: "reviews", groups: ["admin", "dev"], ...claims });
    const fromProductpage = (path: string, headers: Record<string, string>, method = "POST") =>
      call(proxy.outboundPort("productpage", "bookinfo"), "reviews", path, { method, headers, body: "x" });

    test("productpage with an admin's token in x-jwt may POST; the token is removed before the app", async () => {
      const a = await fromProductpage("/reviews/1", { "x-jwt": `Bearer ${await admin()}` });
      expect(a.status).toBe(200);
      expect(reviews.seen.at(-1)!.headers["x-jwt"]).toBeUndefined();
    });

    test("in the query parameter my_token too (removed, the rest of the query kept)", async () => {
      expect((await fromProductpage(`/reviews/1?a=1&my_token=${await admin()}&b=2`, {})).status).toBe(200);
      expect(reviews.seen.at(-1)!.url).toBe("/reviews/1?a=1&b=2");
    });

    test("the same token where this issuer does not read it is no token (Authorization is not a location here)", async () => {
      expect((await fromProductpage("/reviews/1", { authorization: `Bearer ${await admin()}` })).status).toBe(403);
      // GET needs no token: the Authorization header, not a token location here, reaches the app untouched.
      const token = await admin();
      expect((await fromProductpage("/reviews/1", { authorization: `Bearer ${token}` }, "GET")).status).toBe(200);
      expect(reviews.seen.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
    });

    test("a user without the admin group, a token for another audience, no token: refused", async () => {
      expect((await fromProductpage("/reviews/1", { "x-jwt": `Bearer ${await admin({ groups: ["dev"] })}` })).status).toBe(403);
      const other = await fromProductpage("/reviews/1", { "x-jwt": `Bearer ${await admin({ aud: ["ratings", "details"] })}` });
      expect([other.status, other.body]).toEqual([401, "Audiences in Jwt are not allowed"]);
      expect((await fromProductpage("/reviews/1", {})).status).toBe(403);
    });

    test("an admin's token presented by another workload (ratings) does not make it productpage", async () => {
      const a = await call(proxy.outboundPort("ratings", "bookinfo"), "reviews", "/reviews/1", {
        method: "POST",
        headers: { "x-jwt": `Bearer ${await admin()}` },
        body: "x",
      });
      expect(a.status).toBe(403);
    });

    test("deny notRequestPrincipals [*]: /internal/* needs a token, any other GET does not", async () => {
      expect((await fromProductpage("/internal/x", {}, "GET")).status).toBe(403);
      expect((await fromProductpage("/internal/x", { "x-jwt": `Bearer ${await admin()}` }, "GET")).status).toBe(200);
      expect((await fromProductpage("/reviews/2", {}, "GET")).status).toBe(200);
    });
  });

  describe("forwardToken, and JWKS servers that fail", () => {
    const toDetails = (token: string) =>
      call(proxy.outboundPort("productpage", "bookinfo"), "details", "/d", { headers: { authorization: `Bearer ${token}` } });

    test("forwardToken: the app receives the token", async () => {
      expect((await toDetails(DEMO)).status).toBe(200);
      expect(details.seen.at(-1)!.headers.authorization).toBe(`Bearer ${DEMO}`);
    });

    test("a JWKS server answering 500: tokens of that issuer get 401, requests without a token pass", async () => {
      const before = details.seen.length;
      const a = await toDetails(await sampleToken({ iss: "down@example.com" }));
      expect([a.status, a.body]).toEqual([401, "Jwks remote fetch is failed"]);
      expect(details.seen.length).toBe(before);
      expect((await call(proxy.outboundPort("productpage", "bookinfo"), "details", "/d")).status).toBe(200);
    });

    test("a JWKS server that never answers: 401 once the fetch times out (5 s), not a request hanging forever", async () => {
      const a = await toDetails(await sampleToken({ iss: "hang@example.com" }));
      expect([a.status, a.body]).toEqual([401, "Jwks remote fetch is failed"]);
      expect(jwks.fetches.get("/hang")).toBe(1);
    }, 20_000);
  });
});
