/**
 * The request-authentication semantics every adapter and the proxy share (src/api/request-auth.ts),
 * against Istio's own expectations: `requestPrincipals` entries become the issuer/subject matchers of
 * istio/istio `pilot/pkg/security/authz/model/generator_test.go` (TestRequestPrincipal); claims match a
 * string or a list element (`MetadataListValueMatcherForJWTClaims`), with `scope`/`permission` split.
 */
import { describe, expect, test } from "vitest";
import {
  checkJwks,
  claimConditions,
  compileRequestPrincipals,
  matchClaim,
  normalizeClaims,
  principalIssuerKnown,
  requestPrincipalMatchers,
  stringMatcher,
} from "../../src/api/request-auth.js";

describe("requestPrincipals: Istio's generator table", () => {
  const any = { kind: "any" };
  test.each([
    ["*", any, any],
    ["foo*", { kind: "prefix", value: "foo" }, any],
    ["foo/*", { kind: "exact", value: "foo" }, any],
    ["foo/bar*", { kind: "exact", value: "foo" }, { kind: "prefix", value: "bar" }],
    ["*foo", any, { kind: "suffix", value: "foo" }],
    ["*/foo", any, { kind: "exact", value: "foo" }],
    ["*bar/foo", { kind: "suffix", value: "bar" }, { kind: "exact", value: "foo" }],
    ["foo/bar", { kind: "exact", value: "foo" }, { kind: "exact", value: "bar" }],
    // Split at the LAST "/": issuers are often URLs.
    ["https://accounts.example.com/user-1", { kind: "exact", value: "https://accounts.example.com" }, { kind: "exact", value: "user-1" }],
    ["https://accounts.example.com/*", { kind: "exact", value: "https://accounts.example.com" }, any],
  ])("%s", (v, iss, sub) => {
    expect(requestPrincipalMatchers(v)).toEqual({ iss, sub });
  });

  test("matching: any means a non-empty string; a token without sub matches no entry", () => {
    const m = compileRequestPrincipals(["https://idp.example.com/*"]);
    expect(m("https://idp.example.com", "alice")).toBe(true);
    expect(m("https://idp.example.com", "")).toBe(false);
    expect(m("https://idp.example.com", undefined)).toBe(false);
    expect(m("https://idp.example.com.evil", "alice")).toBe(false);
    expect(compileRequestPrincipals(["*"])("iss", undefined)).toBe(false);
    expect(compileRequestPrincipals(["*@example.com"])("any-issuer", "bob@example.com")).toBe(true);
  });

  test("rule/unknown-issuer looks at the issuer part only", () => {
    const issuers = ["https://idp.example.com", "testing@secure.istio.io"];
    expect(principalIssuerKnown("https://idp.example.com/*", issuers)).toBe(true);
    expect(principalIssuerKnown("https://idp.exmaple.com/*", issuers)).toBe(false);
    expect(principalIssuerKnown("*", issuers)).toBe(true);
    expect(principalIssuerKnown("*@secure.istio.io", issuers)).toBe(true); // any issuer, subject suffix
    expect(principalIssuerKnown("testing@secure*", issuers)).toBe(true); // issuer prefix, any subject
    // Istio splits at the last "/" even here: issuer "https:/", subject prefix "idp" — matches no issuer.
    expect(principalIssuerKnown("https://idp*", issuers)).toBe(false);
    expect(principalIssuerKnown("*.io/testing@secure.istio.io", issuers)).toBe(true);
  });
});

describe("claims", () => {
  const claims = normalizeClaims(
    {
      groups: ["group1", "group2"],
      scope: "read write",
      permission: "a b",
      roles: "x y",
      custom: "admin user",
      nested: { key1: ["valueA", "valueB"], "nested-2": { key2: "valueC" } },
      n: 1,
      b: true,
      o: { a: "b" },
      aud: "foo",
    },
    ["custom"],
  );
  const m = (path: string[], values: string[]) => matchClaim(claims, path, values.map(stringMatcher));

  test("a list matches by any element; a string by itself", () => {
    expect(m(["groups"], ["group2"])).toBe(true);
    expect(m(["groups"], ["group3"])).toBe(false);
    expect(m(["aud"], ["foo"])).toBe(true);
  });

  test("scope, permission and spaceDelimitedClaims are split at spaces; other strings are not", () => {
    expect(m(["scope"], ["write"])).toBe(true);
    expect(m(["permission"], ["b"])).toBe(true);
    expect(m(["custom"], ["user"])).toBe(true);
    expect(m(["roles"], ["y"])).toBe(false);
    expect(m(["roles"], ["x y"])).toBe(true);
  });

  test("nested claims; a missing claim, numbers, booleans and objects match nothing", () => {
    expect(m(["nested", "key1"], ["valueB"])).toBe(true);
    expect(m(["nested", "nested-2", "key2"], ["valueC"])).toBe(true);
    expect(m(["nested", "non-exist"], ["valueC"])).toBe(false);
    expect(m(["n"], ["1", "*"])).toBe(false);
    expect(m(["b"], ["true", "*"])).toBe(false);
    expect(m(["o"], ["*"])).toBe(false);
    expect(matchClaim(undefined, ["groups"], [stringMatcher("*")])).toBe(false);
  });

  test("wildcards: prefix, suffix, presence", () => {
    expect(m(["groups"], ["group*"])).toBe(true);
    expect(m(["groups"], ["*2"])).toBe(true);
    expect(m(["groups"], ["*"])).toBe(true);
    expect(m(["missing"], ["*"])).toBe(false);
  });

  test("the claims mapping flattens to paths with pointers", () => {
    expect(claimConditions({ groups: ["admin"], realm_access: { roles: ["admin", "ops"] }, "a/b": ["x"] })).toEqual([
      { path: ["groups"], values: ["admin"], pointer: "/groups" },
      { path: ["realm_access", "roles"], values: ["admin", "ops"], pointer: "/realm_access/roles" },
      { path: ["a/b"], values: ["x"], pointer: "/a~1b" },
    ]);
  });
});

describe("checkJwks", () => {
  const rsa = { kty: "RSA", n: "xAE7eB6qugXyCAG3yhh7pkDk", e: "AQAB" };
  test("a public key set passes", () => {
    expect(checkJwks(JSON.stringify({ keys: [rsa] }))).toEqual([]);
  });
  test("not JSON: where, in the JSON text", () => {
    const [p] = checkJwks('{"keys": [\n  {"kty": "RSA",}\n]}');
    expect(p.severity).toBe("error");
    expect(p.message).toMatch(/^jwks is not valid JSON: .* at line 2 column 17 of the JSON; expected a JSON Web Key Set/);
  });
  test("not a key set, no keys, unknown kty, missing members, private members, symmetric keys", () => {
    expect(checkJwks("[]")[0].message).toMatch(/an object with a "keys" list/);
    expect(checkJwks('{"keys": []}')[0].message).toMatch(/no keys/);
    expect(checkJwks('{"keys": [{"kty": "DSA"}]}')[0].message).toBe('jwks keys[0] has kty "DSA"; expected one of RSA, EC, OKP, oct');
    expect(checkJwks('{"keys": [{"kty": "EC", "crv": "P-256", "x": "a"}]}')[0].message).toBe('jwks keys[0] (kty EC) lacks "y"');
    expect(checkJwks(JSON.stringify({ keys: [{ ...rsa, d: "secret", p: "q" }] }))).toEqual([
      { severity: "error", message: expect.stringMatching(/^jwks keys\[0\] holds private key members \("d", "p"\)/) },
    ]);
    expect(checkJwks('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')).toEqual([{ severity: "warning", message: expect.stringMatching(/symmetric key/) }]);
  });
});
