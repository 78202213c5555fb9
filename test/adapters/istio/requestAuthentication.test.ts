/**
 * RequestAuthentication and the end-user conditions of AuthorizationPolicy rules (Istio adapter): the
 * places where a mistake admits a request without a token or with someone else's.
 */
import { describe, expect, test } from "vitest";
import { errors, find, H, ok, run, warnings } from "./helpers.js";

const ra = (svc: string, issuers: string, name = svc) =>
  `${H}kind: RequestAuthentication\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  destination: {service: ${svc}}\n  issuers:\n${issuers}\n---\n`;
const ap = (spec: string, name = "p") => `${H}kind: AccessPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n---\n`;
const IDP = "    - {issuer: https://idp.example.com, jwksUri: https://idp.example.com/jwks.json}";

describe("istio requestAuthentication", () => {
  test("the reference's example: RequestAuthentication for the pods + requestPrincipals [*]", () => {
    const objs = ok(ra("httpbin", IDP) + ap('  destination: {service: httpbin}\n  allow:\n    - requestPrincipals: ["*"]'));
    expect(find(objs, "RequestAuthentication", "httpbin-jwt").spec).toEqual({
      selector: { matchLabels: { app: "httpbin" } },
      jwtRules: [{ issuer: "https://idp.example.com", jwksUri: "https://idp.example.com/jwks.json" }],
    });
    expect(find(objs, "AuthorizationPolicy", "httpbin-allow").spec.rules).toEqual([{ from: [{ source: { requestPrincipals: ["*"] } }] }]);
  });

  test("several RequestAuthentications of a destination become one object, issuers sorted", () => {
    const objs = ok(ra("api", "    - {issuer: z@example.com, jwksUri: https://z.example.com/k}", "b") + ra("api", IDP, "a"));
    const spec = find(objs, "RequestAuthentication", "api-jwt").spec;
    expect(spec.jwtRules.map((r: { issuer: string }) => r.issuer)).toEqual(["https://idp.example.com", "z@example.com"]);
  });

  test("end-user conditions are ANDed with every caller of the source: (A or B) and token", () => {
    const objs = ok(
      ra("api", IDP) +
        ap(`  destination: {service: api}
  allow:
    - source: {serviceAccounts: [web], namespaces: [admin], notServiceAccounts: [admin/intern]}
      requestPrincipals: ["https://idp.example.com/*"]
      notRequestPrincipals: ["https://idp.example.com/guest"]
      claims: {realm_access: {roles: [admin]}}
      notClaims: {status: [suspended]}`),
    );
    const [rule] = find(objs, "AuthorizationPolicy", "api-allow").spec.rules;
    const user = { requestPrincipals: ["https://idp.example.com/*"], notRequestPrincipals: ["https://idp.example.com/guest"] };
    expect(rule.from).toEqual([
      { source: { principals: ["cluster.local/ns/shop/sa/web"], notPrincipals: ["cluster.local/ns/admin/sa/intern"], ...user } },
      { source: { namespaces: ["admin"], notPrincipals: ["cluster.local/ns/admin/sa/intern"], ...user } },
    ]);
    expect(rule.when).toEqual([
      { key: "request.auth.claims[realm_access][roles]", values: ["admin"] },
      { key: "request.auth.claims[status]", notValues: ["suspended"] },
    ]);
  });

  test("spaceDelimitedClaims: emitted from Istio 1.28, an error before (rules on single values would never match)", () => {
    const yaml =
      ra("api", "    - {issuer: https://idp.example.com, jwksUri: https://idp.example.com/jwks.json, spaceDelimitedClaims: [roles]}") +
      ap("  destination: {service: api}\n  allow:\n    - claims: {roles: [admin]}");
    expect(find(ok(yaml), "RequestAuthentication", "api-jwt").spec.jwtRules[0].spaceDelimitedClaims).toEqual(["roles"]);
    expect(run(yaml, { version: "1.28" }).ok).toBe(true);
    const old = run(yaml, { version: "1.27" });
    expect(errors(old)).toEqual(["/spec/issuers/0/spaceDelimitedClaims adapter/unsupported-feature"]);
    expect(old.resources).toEqual([]);
    // Without it, 1.22 translates (scope and permission are always split).
    ok(ra("api", IDP) + ap("  destination: {service: api}\n  allow:\n    - claims: {scope: [read]}"), { version: "1.22" });
  });

  test("forwardToken and token locations map one to one", () => {
    const objs = ok(
      ra(
        "api",
        '    - {issuer: i@example.com, jwks: \'{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}\', audiences: [api], fromHeaders: [{name: x-jwt, prefix: "Bearer "}, {name: x-raw}], fromParams: [t], forwardToken: true}',
      ),
    );
    expect(find(objs, "RequestAuthentication", "api-jwt").spec.jwtRules).toEqual([
      {
        issuer: "i@example.com",
        audiences: ["api"],
        jwks: '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}',
        fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }, { name: "x-raw" }],
        fromParams: ["t"],
        forwardOriginalToken: true,
      },
    ]);
  });

  test("services sharing pods: other issuers on the shared pods are an error, none a warning", () => {
    const svc = (name: string, selector: string) => `${H}kind: MeshService\nmetadata: {name: ${name}, namespace: shop}\nspec: {selector: ${selector}}\n---\n`;
    const base = svc("reviews", "{app: reviews}") + svc("reviews-v2", "{app: reviews, version: v2}") + ra("reviews", IDP);
    const other = run(base + ra("reviews-v2", "    - {issuer: other@example.com, jwksUri: https://other.example.com/k}"));
    expect(errors(other)).toContain("/spec/destination adapter/unsupported-value");
    expect(other.ok).toBe(false);
    const none = run(base);
    expect(none.ok).toBe(true);
    expect(warnings(none)).toContain("/spec/destination adapter/conflict");
    expect(run(base + ra("reviews-v2", IDP)).diagnostics.filter((d) => d.feature === "requestAuthentication")).toEqual([]);
  });

  test("services sharing pods, one without RequestAuthentication: an error when access rules that govern it look at the token", () => {
    // Found by the access differential test: the namespace-wide allow for requestPrincipals ["*"] denies every
    // request to reviews (no RequestAuthentication: no principal, ever), but on the pods reviews shares with
    // reviews-v2, Istio validates reviews-v2's tokens for reviews' requests too, and admitted token holders.
    const svc = (name: string, selector: string) => `${H}kind: MeshService\nmetadata: {name: ${name}, namespace: shop}\nspec: {selector: ${selector}}\n---\n`;
    const base = svc("reviews", "{app: reviews}") + svc("reviews-v2", "{app: reviews}") + ra("reviews-v2", IDP);
    const nsWide = (rule: string) => ap(`  allow:\n    - ${rule}`, "ns");
    for (const rule of ['requestPrincipals: ["*"]', 'notRequestPrincipals: ["*"]', "claims: {groups: [admin]}", "notClaims: {groups: [admin]}"]) {
      const r = run(base + nsWide(rule));
      expect(r.ok, rule).toBe(false);
      const e = r.diagnostics.filter((d) => d.severity === "error");
      expect(e.map((d) => `${d.policy} ${d.pointer} ${d.code}`)).toEqual([
        "RequestAuthentication/shop/reviews-v2 /spec/destination adapter/unsupported-value/requestAuthentication.destination",
      ]);
      expect(e[0].message).toContain("the access rules that govern shop/reviews look at them (AccessPolicy/shop/ns /spec/allow/0)");
    }
    // Rules that do not look at the token: only invalid tokens are refused on the shared pods (a warning).
    const plain = run(base + nsWide("methods: [GET]"));
    expect(plain.ok).toBe(true);
    expect(warnings(plain)).toContain("/spec/destination adapter/conflict");
    // The same issuers for both: exact.
    expect(run(base + ra("reviews", IDP) + nsWide('requestPrincipals: ["*"]')).ok).toBe(true);
  });

  test("a destination in the root namespace is refused (it would apply mesh-wide)", () => {
    const r = run(`${H}kind: RequestAuthentication\nmetadata: {name: x, namespace: istio-system}\nspec:\n  destination: {service: gw}\n  issuers:\n${IDP}\n`);
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
  });
});
