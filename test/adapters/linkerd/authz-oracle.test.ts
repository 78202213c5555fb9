/**
 * The Linkerd authorization oracle (test/support/linkerd-authz-oracle.ts) against the examples and
 * statements of Linkerd's own documentation (2-edge reference/authorization-policy.md,
 * features/server-policy.md, tasks/configuring-per-route-policy.md) and the behaviour of its policy
 * controller and proxy cited there. If the oracle is wrong, the differential test (access-differential.test.ts)
 * proves nothing.
 */
import { describe, expect, test } from "vitest";
import { type LinkerdObject, type LinkerdRequest, linkerdAuthorize, pathMatchLength, selects } from "../../support/linkerd-authz-oracle.js";
import { inCidr } from "../../support/cidr.js";

const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace = "booksapp", apiVersion = "policy.linkerd.io/v1alpha1"): LinkerdObject => ({
  apiVersion,
  kind,
  metadata: { name, namespace },
  spec,
});
const id = (sa: string, ns = "booksapp") => `${sa}.${ns}.serviceaccount.identity.linkerd.cluster.local`;
const req = (over: Partial<LinkerdRequest> = {}): LinkerdRequest => ({
  workload: { namespace: "booksapp", labels: { app: "authors", project: "booksapp" } },
  port: 7001,
  client: { ip: "10.1.2.3", identity: id("webapp") },
  method: "GET",
  path: "/authors.json",
  headers: [],
  ...over,
});
const decide = (objs: LinkerdObject[], r: LinkerdRequest, clusterDefault?: "deny" | "all-authenticated") =>
  linkerdAuthorize(objs, r, clusterDefault ? { clusterDefault } : {});

// The authors Server of the per-route policy task (tasks/configuring-per-route-policy.md).
const authorsServer = obj(
  "Server",
  "authors-server",
  { podSelector: { matchLabels: { app: "authors", project: "booksapp" } }, port: 7001 },
  "booksapp",
  "policy.linkerd.io/v1beta3",
);

describe("the Linkerd authorization oracle, on the documentation's examples", () => {
  test("default policies: all-unauthenticated by default, the namespace annotation over the cluster's, deny, all-authenticated", () => {
    expect(decide([], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(true);
    expect(decide([], req(), "deny")).toMatchObject({ allowed: false, status: 403 });
    expect(decide([], req({ client: { ip: "10.1.2.3" } }), "all-authenticated").allowed).toBe(false);
    expect(decide([], req(), "all-authenticated").allowed).toBe(true);
    const ns: LinkerdObject = { kind: "Namespace", metadata: { name: "booksapp", annotations: { "config.linkerd.io/default-inbound-policy": "deny" } } };
    expect(decide([ns], req()).allowed).toBe(false);
    // The pod's own annotation wins over the namespace's.
    const pod = req({ workload: { namespace: "booksapp", labels: {}, annotations: { "config.linkerd.io/default-inbound-policy": "all-unauthenticated" } } });
    expect(decide([ns], pod).allowed).toBe(true);
    // cluster-authenticated: meshed clients from the cluster's networks only.
    expect(linkerdAuthorize([], req({ client: { ip: "203.0.113.1", identity: id("webapp") } }), { clusterDefault: "cluster-authenticated" }).allowed).toBe(
      false,
    );
    expect(linkerdAuthorize([], req(), { clusterDefault: "cluster-authenticated" }).allowed).toBe(true);
  });

  test("a Server denies everything not authorized; its accessPolicy admits as a default policy; audit admits", () => {
    expect(decide([authorsServer], req())).toMatchObject({ allowed: false, status: 403 });
    const open = { ...authorsServer, spec: { ...authorsServer.spec, accessPolicy: "all-authenticated" } };
    expect(decide([open], req()).allowed).toBe(true);
    expect(decide([open], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(false);
    const audit = { ...authorsServer, spec: { ...authorsServer.spec, accessPolicy: "audit" } };
    expect(decide([audit], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(true);
    // Another port of the pod keeps the default policy.
    expect(decide([authorsServer], req({ port: 9990 })).allowed).toBe(true);
    // Localhost is always permitted (the proxy's own rule).
    expect(decide([authorsServer], req({ client: { ip: "127.0.0.1" } })).allowed).toBe(true);
  });

  test("AuthorizationPolicy: a Server, its MeshTLSAuthentication (identities, identityRefs, *), a ServiceAccount, a Namespace target", () => {
    const authn = obj("MeshTLSAuthentication", "authors-get-authn", { identities: [id("books"), id("webapp")] });
    const policy = obj("AuthorizationPolicy", "authors-policy", {
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "authors-server" },
      requiredAuthenticationRefs: [{ name: "authors-get-authn", kind: "MeshTLSAuthentication", group: "policy.linkerd.io" }],
    });
    expect(decide([authorsServer, authn, policy], req()).allowed).toBe(true);
    expect(decide([authorsServer, authn, policy], req({ client: { ip: "10.1.2.3", identity: id("other") } })).allowed).toBe(false);
    expect(decide([authorsServer, authn, policy], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(false);
    const refs = obj("MeshTLSAuthentication", "authors-get-authn", {
      identityRefs: [
        { kind: "ServiceAccount", name: "books" },
        { kind: "ServiceAccount", name: "webapp" },
      ],
    });
    expect(decide([authorsServer, refs, policy], req()).allowed).toBe(true);
    const star = obj("MeshTLSAuthentication", "authors-get-authn", { identities: ["*"] });
    expect(decide([authorsServer, star, policy], req({ client: { ip: "10.1.2.3", identity: id("x", "elsewhere") } })).allowed).toBe(true);
    expect(decide([authorsServer, star, policy], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(false);
    const nsWide = obj("MeshTLSAuthentication", "authors-get-authn", { identities: ["*.booksapp.serviceaccount.identity.linkerd.cluster.local"] });
    expect(decide([authorsServer, nsWide, policy], req()).allowed).toBe(true);
    expect(decide([authorsServer, nsWide, policy], req({ client: { ip: "10.1.2.3", identity: id("webapp", "other") } })).allowed).toBe(false);
    // The webapp ServiceAccount authorized to the whole namespace (targetRef kind Namespace).
    const sa = obj("AuthorizationPolicy", "authors-policy", {
      targetRef: { kind: "Namespace", name: "booksapp" },
      requiredAuthenticationRefs: [{ name: "webapp", kind: "ServiceAccount" }],
    });
    expect(decide([authorsServer, sa], req()).allowed).toBe(true);
    expect(decide([authorsServer, sa], req({ client: { ip: "10.1.2.3", identity: id("books") } })).allowed).toBe(false);
    // A policy whose authentication does not exist is ignored.
    expect(decide([authorsServer, policy], req()).allowed).toBe(false);
  });

  test("NetworkAuthentication: clients in the networks (minus except), any authentication unless a MeshTLSAuthentication is also required", () => {
    const net = obj("NetworkAuthentication", "cluster-network", { networks: [{ cidr: "10.0.0.0/8", except: ["10.9.0.0/16"] }, { cidr: "192.168.0.0/16" }] });
    const policy = obj("AuthorizationPolicy", "p", {
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "authors-server" },
      requiredAuthenticationRefs: [{ name: "cluster-network", kind: "NetworkAuthentication", group: "policy.linkerd.io" }],
    });
    expect(decide([authorsServer, net, policy], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(true);
    expect(decide([authorsServer, net, policy], req({ client: { ip: "10.9.2.3" } })).allowed).toBe(false);
    expect(decide([authorsServer, net, policy], req({ client: { ip: "172.16.0.1", identity: id("webapp") } })).allowed).toBe(false);
    const both = obj("AuthorizationPolicy", "p", {
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "authors-server" },
      requiredAuthenticationRefs: [
        { name: "cluster-network", kind: "NetworkAuthentication", group: "policy.linkerd.io" },
        { name: "any", kind: "MeshTLSAuthentication", group: "policy.linkerd.io" },
      ],
    });
    const any = obj("MeshTLSAuthentication", "any", { identities: ["*"] });
    expect(decide([authorsServer, net, any, both], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(false);
    expect(decide([authorsServer, net, any, both], req()).allowed).toBe(true);
  });

  test("ServerAuthorization (deprecated): by name or selector; unauthenticated with networks; meshTLS serviceAccounts", () => {
    const srv = { ...authorsServer, metadata: { ...authorsServer.metadata, labels: { tier: "api" } } };
    const pub = obj(
      "ServerAuthorization",
      "web-public",
      { server: { name: "authors-server" }, client: { unauthenticated: true, networks: [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }] } },
      "booksapp",
      "policy.linkerd.io/v1beta1",
    );
    expect(decide([srv, pub], req({ client: { ip: "203.0.113.9" } })).allowed).toBe(true);
    const prom = obj(
      "ServerAuthorization",
      "prom",
      { server: { selector: { matchLabels: { tier: "api" } } }, client: { meshTLS: { serviceAccounts: [{ namespace: "linkerd-viz", name: "prometheus" }] } } },
      "booksapp",
      "policy.linkerd.io/v1beta1",
    );
    expect(decide([srv, prom], req({ client: { ip: "10.1.2.3", identity: id("prometheus", "linkerd-viz") } })).allowed).toBe(true);
    expect(decide([srv, prom], req()).allowed).toBe(false);
    // Without networks: the cluster's networks only.
    const unauth = obj(
      "ServerAuthorization",
      "u",
      { server: { name: "authors-server" }, client: { unauthenticated: true } },
      "booksapp",
      "policy.linkerd.io/v1beta1",
    );
    expect(decide([srv, unauth], req({ client: { ip: "203.0.113.9" } })).allowed).toBe(false);
    expect(decide([srv, unauth], req({ client: { ip: "10.1.2.3" } })).allowed).toBe(true);
  });

  test("per-route policy (the task): only the matched HTTPRoute's authorizations and the Server's; unmatched requests get 404", () => {
    const route = obj(
      "HTTPRoute",
      "authors-get-route",
      {
        parentRefs: [{ name: "authors-server", kind: "Server", group: "policy.linkerd.io" }],
        rules: [
          {
            matches: [
              { path: { value: "/authors.json" }, method: "GET" },
              { path: { value: "/authors/", type: "PathPrefix" }, method: "GET" },
            ],
          },
        ],
      },
      "booksapp",
      "policy.linkerd.io/v1beta3",
    );
    const authn = obj("MeshTLSAuthentication", "authors-get-authn", { identities: [id("books"), id("webapp")] });
    const policy = obj("AuthorizationPolicy", "authors-get-policy", {
      targetRef: { group: "policy.linkerd.io", kind: "HTTPRoute", name: "authors-get-route" },
      requiredAuthenticationRefs: [{ name: "authors-get-authn", kind: "MeshTLSAuthentication", group: "policy.linkerd.io" }],
    });
    // The probe route of the task: GET /ping from any network, meshed or not.
    const probeRoute = obj(
      "HTTPRoute",
      "authors-probe-route",
      {
        parentRefs: [{ name: "authors-server", kind: "Server", group: "policy.linkerd.io" }],
        rules: [{ matches: [{ path: { value: "/ping" }, method: "GET" }] }],
      },
      "booksapp",
      "policy.linkerd.io/v1beta1",
    );
    const probeAuthn = obj("NetworkAuthentication", "authors-probe-authn", { networks: [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }] });
    const probePolicy = obj("AuthorizationPolicy", "authors-probe-policy", {
      targetRef: { group: "policy.linkerd.io", kind: "HTTPRoute", name: "authors-probe-route" },
      requiredAuthenticationRefs: [{ name: "authors-probe-authn", kind: "NetworkAuthentication", group: "policy.linkerd.io" }],
    });
    const objs = [authorsServer, route, authn, policy, probeRoute, probeAuthn, probePolicy];
    expect(decide(objs, req()).allowed).toBe(true);
    // A path without type is a PathPrefix (Gateway API's default): /authors.json/x too, by whole segments.
    expect(decide(objs, req({ path: "/authors.json/x" })).allowed).toBe(true);
    expect(decide(objs, req({ path: "/ping", client: { ip: "10.1.2.3" } })).allowed).toBe(true);
    expect(decide(objs, req({ path: "/authors.json", client: { ip: "10.1.2.3" } }))).toMatchObject({ allowed: false, status: 403 });
    expect(decide(objs, req({ path: "/authors/1.json" })).allowed).toBe(true);
    expect(decide(objs, req({ client: { ip: "10.1.2.3", identity: id("other") } }))).toMatchObject({ allowed: false, status: 403 });
    expect(decide(objs, req({ method: "DELETE", path: "/authors/1.json" }))).toMatchObject({ allowed: false, status: 404 });
    expect(decide(objs, req({ path: "/authorsx" }))).toMatchObject({ allowed: false, status: 404 });
    // A Server-wide authorization applies on every route too.
    const everyone = obj("AuthorizationPolicy", "all", {
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "authors-server" },
      requiredAuthenticationRefs: [{ name: "all-nets", kind: "NetworkAuthentication", group: "policy.linkerd.io" }],
    });
    const nets = obj("NetworkAuthentication", "all-nets", { networks: [{ cidr: "0.0.0.0/0" }] });
    expect(decide([...objs, everyone, nets], req({ client: { ip: "10.1.2.3", identity: id("other") } })).allowed).toBe(true);
    expect(decide([...objs, everyone, nets], req({ method: "DELETE" })).status).toBe(404);
  });

  test("route precedence: the longest path match, then headers, then method; a tie between routes is ambiguous", () => {
    const route = (name: string, matches: unknown[]) =>
      obj(
        "HTTPRoute",
        name,
        { parentRefs: [{ name: "authors-server", kind: "Server", group: "policy.linkerd.io" }], rules: [{ matches }] },
        "booksapp",
        "policy.linkerd.io/v1beta3",
      );
    const all = obj("NetworkAuthentication", "all", { networks: [{ cidr: "0.0.0.0/0" }] });
    const allow = (r: string) =>
      obj("AuthorizationPolicy", `allow-${r}`, {
        targetRef: { group: "policy.linkerd.io", kind: "HTTPRoute", name: r },
        requiredAuthenticationRefs: [{ name: "all", kind: "NetworkAuthentication", group: "policy.linkerd.io" }],
      });
    // /admin (exact, length 6) beats the regex on /admin? No: a regex scores the whole path, also 6: a tie.
    const base = [authorsServer, all, route("wide", [{ path: { type: "PathPrefix", value: "/" } }]), allow("wide")];
    expect(decide([...base, route("deny-admin", [{ path: { type: "PathPrefix", value: "/admin" } }])], req({ path: "/admin/x" })).allowed).toBe(false);
    expect(decide([...base, route("deny-admin", [{ path: { type: "PathPrefix", value: "/admin" } }])], req({ path: "/adminx" })).allowed).toBe(true);
    // Headers before method.
    const h = route("h", [{ headers: [{ name: "x-role", value: "admin" }] }]);
    const m = route("m", [{ method: "GET" }]);
    expect(decide([authorsServer, all, h, m, allow("m")], req({ headers: [["X-Role", "admin"]] })).allowed).toBe(false);
    expect(decide([authorsServer, all, h, m, allow("m")], req()).allowed).toBe(true);
    // Each header line on its own: a repeated header matches when one line does.
    expect(
      decide(
        [authorsServer, all, h, allow("h")],
        req({
          headers: [
            ["x-role", "user"],
            ["X-ROLE", "admin"],
          ],
        }),
      ).allowed,
    ).toBe(true);
    // Same score in two routes: creation order decides, unknown here.
    const d = decide([authorsServer, all, route("a", [{ method: "GET" }]), route("b", [{ method: "GET" }]), allow("a")], req());
    expect(d).toMatchObject({ allowed: true, ambiguous: true });
  });

  test("path, selector and network primitives", () => {
    expect(pathMatchLength({ type: "PathPrefix", value: "/foo" }, "/foo/bar")).toBe(4);
    expect(pathMatchLength({ type: "PathPrefix", value: "/foo/" }, "/foo")).toBe(4);
    expect(pathMatchLength({ type: "PathPrefix", value: "/foo" }, "/foobar")).toBeUndefined();
    expect(pathMatchLength({ type: "Exact", value: "/foo" }, "/foo/")).toBeUndefined();
    expect(pathMatchLength({ type: "RegularExpression", value: "/a|/ab" }, "/ab")).toBeUndefined(); // leftmost-first /a does not span
    expect(pathMatchLength({ type: "RegularExpression", value: "^(?:/a|/ab)$" }, "/ab")).toBe(3);
    expect(
      selects(
        {
          matchExpressions: [
            { key: "app", operator: "In", values: ["voting-svc", "emoji-svc"] },
            { key: "environment", operator: "NotIn", values: ["dev"] },
          ],
        },
        { app: "emoji-svc" },
      ),
    ).toBe(true);
    expect(selects({ matchExpressions: [{ key: "environment", operator: "NotIn", values: ["dev"] }] }, { environment: "dev" })).toBe(false);
    expect(inCidr("10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(inCidr("::1", "::/0")).toBe(true);
    expect(inCidr("127.0.0.1", "::/0")).toBe(false);
    expect(inCidr("127.0.0.2", "127.0.0.1")).toBe(false);
  });
});
