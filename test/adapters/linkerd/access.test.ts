/**
 * The receiving side of the Linkerd adapter: a Server turns on default deny for its port, so it must
 * appear only where the model wants one and always with the authorizations that keep allowed callers
 * working; deny rules only when they subtract exactly; rate limits and mTLS on Servers.
 */
import { describe, expect, test } from "vitest";
import { ap, diags, errors, find, H, ms, names, ok, run, tp } from "./helpers.js";
import { isCodeIn } from "../../../src/api/diagnostics.js";

const web = ms("web", "  serviceAccount: web-sa\n  ports: [{port: 80, targetPort: 8080, protocol: http}]");

describe("linkerd Server: only with access rules", () => {
  test("routing, timeouts and failure accrual never create a Server (it would deny every unlisted caller)", () => {
    const objs = ok(web + tp("  destination: {service: web, port: 80}\n  timeout: 1s\n  outlierDetection: {maxEjectionPercent: 100}"));
    expect(objs.filter((o) => o.kind === "Server")).toEqual([]);
  });

  test("an AccessPolicy gets a Server per pod port (targetPort), deny by default, and the note explaining it", () => {
    const r = run(web + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}"));
    expect(r.ok).toBe(true);
    const server = find(r.resources, "Server", "web-8080");
    expect(server.apiVersion).toBe("policy.linkerd.io/v1beta3");
    expect(server.spec).toEqual({ accessPolicy: "deny", podSelector: { matchLabels: { app: "web" } }, port: 8080, proxyProtocol: "HTTP/1" });
    const note = r.diagnostics.find((d) => d.severity === "info")!;
    expect(note.message).toContain("turns on default deny for port 8080");
    expect(note.message).toContain("admitted: service account shop/frontend");
  });

  test("2.14: Server v1beta1 (no accessPolicy field), same authorizations", () => {
    const objs = ok(web + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}"), { version: "2.14" });
    expect(find(objs, "Server", "web-8080").apiVersion).toBe("policy.linkerd.io/v1beta1");
    expect(find(objs, "Server", "web-8080").spec).not.toHaveProperty("accessPolicy");
    expect(names(objs)).toContain("AuthorizationPolicy/web-8080-identities");
  });

  test("ports unknown: error (a Server selects one port), and the rules are still checked", () => {
    const r = run(ap("  destination: {service: orders}\n  allow:\n    - source: {namespaces: [ops]}\n  deny:\n    - source: {serviceAccounts: [ops/chaos]}"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value", "/spec/deny/0 adapter/unsupported-value"]);
  });
});

describe("linkerd authorizations keep allowed callers working", () => {
  test("service accounts and namespaces: one MeshTLSAuthentication (Linkerd identities, * for a namespace) and its AuthorizationPolicy on the Server", () => {
    const objs = ok(web + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend, ops/admin], namespaces: [partners]}"), {
      trustDomain: "corp.local",
    });
    expect(find(objs, "MeshTLSAuthentication", "web-8080-identities").spec.identities).toEqual([
      "admin.ops.serviceaccount.identity.linkerd.corp.local",
      "frontend.shop.serviceaccount.identity.linkerd.corp.local",
      "*.partners.serviceaccount.identity.linkerd.corp.local",
    ]);
    expect(find(objs, "AuthorizationPolicy", "web-8080-identities").spec).toEqual({
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "web-8080" },
      requiredAuthenticationRefs: [{ group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "web-8080-identities" }],
    });
  });

  test("identities and IP blocks are alternatives: two AuthorizationPolicies (refs of one policy are ANDed)", () => {
    const objs = ok(web + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend], ipBlocks: [10.1.0.0/16]}"));
    expect(names(objs).filter((n) => n.startsWith("AuthorizationPolicy"))).toEqual([
      "AuthorizationPolicy/web-8080-identities",
      "AuthorizationPolicy/web-8080-networks",
    ]);
    expect(find(objs, "NetworkAuthentication", "web-8080-networks").spec).toEqual({ networks: [{ cidr: "10.1.0.0/16" }] });
  });

  test("any caller: a NetworkAuthentication for every network (a policy must reference an authentication; a MeshTLSAuthentication would admit meshed clients only)", () => {
    const objs = ok(web + ap("  destination: {service: web}\n  allow:\n    - {}"));
    expect(find(objs, "NetworkAuthentication", "web-8080-any").spec.networks).toEqual([{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }]);
  });

  test("* is any meshed identity; under strict mTLS any caller becomes any meshed caller, IP blocks require mTLS too", () => {
    const strict = `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: strict}\n---\n`;
    const any = ok(strict + web + ap("  destination: {service: web}\n  allow:\n    - {}"));
    expect(find(any, "MeshTLSAuthentication", "web-8080-identities").spec.identities).toEqual(["*"]);
    expect(any.filter((o) => o.kind === "NetworkAuthentication")).toEqual([]);
    const objs = ok(strict + web + ap("  destination: {service: web}\n  allow:\n    - source: {ipBlocks: [10.0.0.0/8]}"));
    expect(find(objs, "AuthorizationPolicy", "web-8080-networks").spec.requiredAuthenticationRefs).toEqual([
      { group: "policy.linkerd.io", kind: "NetworkAuthentication", name: "web-8080-networks" },
      { group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "web-8080-authenticated" },
    ]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-authenticated").spec.identities).toEqual(["*"]);
  });

  test("an AccessPolicy without rules: a Server and nothing else (deny all)", () => {
    const objs = ok(web + ap("  destination: {service: web}"));
    expect(names(objs)).toEqual(["Server/web-8080"]);
  });
});

describe("linkerd deny rules: exact subtraction or an error", () => {
  test("a listed identity is removed from the allowed ones", () => {
    const objs = ok(
      web + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a, b]}\n  deny:\n    - source: {serviceAccounts: [b]}"),
    );
    expect(find(objs, "MeshTLSAuthentication", "web-8080-identities").spec.identities).toEqual(["a.shop.serviceaccount.identity.linkerd.cluster.local"]);
  });

  test("an identity inside an allowed namespace (or *, or any caller) cannot be excluded: error, never a looser allow", () => {
    for (const allow of ["{namespaces: [shop]}", '{serviceAccounts: ["*"]}', "{ipBlocks: [10.0.0.0/8]}"]) {
      const r = run(web + ap(`  destination: {service: web}\n  allow:\n    - source: ${allow}\n  deny:\n    - source: {serviceAccounts: [b]}`));
      expect(errors(r)).toEqual(["/spec/deny/0 adapter/unsupported-value"]);
      expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("allow-only");
    }
    expect(errors(run(web + ap("  destination: {service: web}\n  allow:\n    - {}\n  deny:\n    - source: {serviceAccounts: [b]}")))).toEqual([
      "/spec/deny/0 adapter/unsupported-value",
    ]);
  });

  test("a deny rule that matches no allowed request is dropped with a note", () => {
    const r = run(web + ap("  destination: {service: web}\n  allow:\n    - {methods: [GET]}\n  deny:\n    - {methods: [POST]}"));
    expect(r.ok).toBe(true);
    expect(diags(r, "info")).toContain("/spec/deny/0 adapter/note");
  });

  test("a deny for any caller on a path becomes an unauthorized route that Linkerd prefers (longer path match)", () => {
    const objs = ok(web + ap('  destination: {service: web}\n  allow:\n    - {methods: [GET, POST]}\n  deny:\n    - {paths: ["/admin/*"]}'));
    expect(names(objs)).toEqual([
      "AuthorizationPolicy/web-8080-allow-1-any",
      "NetworkAuthentication/web-8080-allow-1-any",
      "HTTPRoute/web-8080-allow-1",
      "HTTPRoute/web-8080-deny-1",
      "Server/web-8080",
    ]);
    expect(find(objs, "HTTPRoute", "web-8080-deny-1").spec).toEqual({
      parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "web-8080" }],
      // /admin/* is /admin itself and everything below it (src/api/access-path.ts): the deny covers /admin too.
      rules: [{ matches: [{ path: { type: "Exact", value: "/admin" } }, { path: { type: "RegularExpression", value: "^/admin/.*$" } }] }],
    });
    expect(find(objs, "HTTPRoute", "web-8080-allow-1").spec.rules).toEqual([{ matches: [{ method: "GET" }, { method: "POST" }] }]);
  });

  test("a deny Linkerd would not prefer over the allow route is an error", () => {
    const r = run(web + ap('  destination: {service: web}\n  allow:\n    - {paths: ["/api/*"]}\n  deny:\n    - {methods: [DELETE]}'));
    expect(errors(r)).toEqual(["/spec/deny/0 adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("most specific match");
  });

  test("a deny for some callers on a path: a route admitting the other allowed callers", () => {
    const objs = ok(
      web +
        ap(
          "  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a, b]}\n  deny:\n    - source: {serviceAccounts: [b]}\n      paths: [/admin]",
        ),
    );
    expect(find(objs, "MeshTLSAuthentication", "web-8080-deny-1-identities").spec.identities).toEqual(["a.shop.serviceaccount.identity.linkerd.cluster.local"]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-1-identities").spec.identities).toHaveLength(2);
  });
});

describe("linkerd method/path/header rules: inbound HTTPRoutes", () => {
  test("one route per rule, matches = methods × paths, header values as one anchored regex; a probe warning", () => {
    const r = run(
      web +
        ap(`  destination: {service: web}
  allow:
    - source: {serviceAccounts: [reader]}
      methods: [GET]
      paths: ["/items/*", /health, "*/x.json"]
    - source: {serviceAccounts: [writer]}
      methods: [PUT]
      headers: {x-token: [a.1, b]}`),
      { approximations: ["header-lines"] },
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "HTTPRoute", "web-8080-allow-1").spec.rules[0].matches).toEqual([
      { method: "GET", path: { type: "Exact", value: "/items" } },
      { method: "GET", path: { type: "RegularExpression", value: "^/items/.*$" } },
      { method: "GET", path: { type: "Exact", value: "/health" } },
      { method: "GET", path: { type: "RegularExpression", value: "^.*/x\\.json$" } },
    ]);
    expect(find(r.resources, "HTTPRoute", "web-8080-allow-2").spec.rules[0].matches).toEqual([
      { headers: [{ name: "x-token", type: "RegularExpression", value: "^(?:a\\.1|b)$" }], method: "PUT" },
    ]);
    expect(diags(r, "warning")).toEqual(["/spec adapter/note", "/spec/allow/0/paths adapter/note", "/spec/allow/1/headers/x-token adapter/approximation"]);
    expect(r.diagnostics.find((d) => d.severity === "warning")!.message).toContain("probes");
    // linkerd2-proxy matches paths as sent: the prefix rule admits a way out of /items/.
    expect(r.diagnostics.find((d) => d.pointer === "/spec/allow/0/paths")!.message).toContain(
      "this allow rule admits /items/../secret, which an app that normalizes paths serves as /secret",
    );
    // ... and each line of a repeated header on its own: one allowed line is enough.
    expect(r.diagnostics.find((d) => d.pointer === "/spec/allow/1/headers/x-token")!.message).toContain(
      'this allow rule admits a request with the two lines "x-token: a.1" and "x-token: other", which the model sees as "a.1,other" (not an allowed value)',
    );
  });

  test("repeated headers: an error on every allow rule with headers, and on deny rules only for values with a comma (the others only get stricter); a warning with the approximation header-lines", () => {
    const r = run(
      web +
        ap(`  destination: {service: web}
  allow:
    - source: {serviceAccounts: [reader]}
  deny:
    - methods: [DELETE]
      headers: {x-a: [v1]}
    - methods: [PUT]
      headers: {x-b: [v1, "a,b"]}`),
      { approximations: ["header-lines"] },
    );
    expect(r.ok).toBe(true);
    const w = r.diagnostics.filter((d) => d.code === "adapter/approximation/accessL7.headers");
    expect(w.map((d) => [d.severity, d.pointer])).toEqual([["warning", "/spec/deny/1/headers/x-b"]]);
    expect(w[0].message).toMatch(/^approximation header-lines: /);
    // Without the approximation the looser rules are refused (README: looser translations only on request).
    const strict = run(
      web +
        ap(`  destination: {service: web}
  allow:
    - source: {serviceAccounts: [reader]}
      headers: {x-a: [v1]}
  deny:
    - methods: [DELETE]
      headers: {x-a: [v1]}
    - methods: [PUT]
      headers: {x-b: [v1, "a,b"]}`),
    );
    expect(strict.ok).toBe(false);
    const refused = strict.diagnostics.filter((d) => d.code === "adapter/unsupported-value/accessL7.headers");
    expect(refused.map((d) => [d.severity, d.pointer])).toEqual([
      ["error", "/spec/allow/0/headers/x-a"],
      ["error", "/spec/deny/1/headers/x-b"],
    ]);
    expect(refused[0].message).toContain("allow the approximation header-lines to accept that");
    expect(w[0].message).toContain(
      'this deny rule does not see a request sending "a,b" as the lines "x-b: a" and "x-b: b", which the model sees as "a,b" (denied)',
    );
  });

  test("path rules: what gets past them when the app normalizes paths (linkerd2-proxy matches the path as sent)", () => {
    const note = (rules: string) =>
      run(web + ap(`  destination: {service: web}\n${rules}`))
        .diagnostics.filter((d) => isCodeIn(d.code, "adapter/note") && !!d.pointer?.endsWith("/paths"))
        .map((d) => `${d.pointer} ${d.severity}: ${d.message.replace(/^.*this /, "this ").replace(/\. Path rules.*$/, "")}`);
    expect(note('  allow:\n    - {}\n  deny:\n    - paths: ["/admin/*"]')).toEqual([
      "/spec/deny/0/paths warning: this deny rule does not see /./admin/x, /x/../admin/x, /admin\\x, //admin/x, /admin%2Fx, which an app that normalizes paths or merges slashes or decodes %2F serves as /admin/x",
    ]);
    expect(note('  allow:\n    - {}\n  deny:\n    - paths: ["*.bak"]')).toEqual([
      "/spec/deny/0/paths warning: this deny rule does not see /%78.bak, which an app that decodes %-escapes serves as /x.bak",
    ]);
    // Another spelling of an exact allowed path only misses it (denied): nothing to say.
    expect(note('  allow:\n    - paths: [/health, "*.png"]')).toEqual([]);
  });

  test("a rule inside a wider rule's requests admits the wider rule's callers too (one route per request)", () => {
    const objs = ok(
      web +
        ap(
          "  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [admin]}\n    - source: {serviceAccounts: [reader]}\n      methods: [GET]",
        ),
    );
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-2-identities").spec.identities).toEqual([
      "admin.shop.serviceaccount.identity.linkerd.cluster.local",
      "reader.shop.serviceaccount.identity.linkerd.cluster.local",
    ]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-1-identities").spec.identities).toEqual([
      "admin.shop.serviceaccount.identity.linkerd.cluster.local",
    ]);
  });

  test("overlapping rules with different callers and no provable winner: one more, more specific route for their overlap admits both", () => {
    const objs = ok(
      web +
        ap(
          '  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a]}\n      methods: [GET]\n    - source: {serviceAccounts: [b]}\n      headers: {x-a: ["1"]}',
        ),
      { approximations: ["header-lines"] },
    );
    const id = (sa: string) => `${sa}.shop.serviceaccount.identity.linkerd.cluster.local`;
    // GET without x-a: a only; x-a: 1 with another method: b only; GET with x-a: 1: both (the model's OR of the two rules).
    expect(find(objs, "HTTPRoute", "web-8080-allow-1").spec.rules).toEqual([{ matches: [{ method: "GET" }] }]);
    expect(find(objs, "HTTPRoute", "web-8080-allow-2").spec.rules).toEqual([{ matches: [{ headers: [{ name: "x-a", type: "Exact", value: "1" }] }] }]);
    expect(find(objs, "HTTPRoute", "web-8080-allow-3").spec.rules).toEqual([
      { matches: [{ headers: [{ name: "x-a", type: "Exact", value: "1" }], method: "GET" }] },
    ]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-1-identities").spec.identities).toEqual([id("a")]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-2-identities").spec.identities).toEqual([id("b")]);
    expect(find(objs, "MeshTLSAuthentication", "web-8080-allow-3-identities").spec.identities).toEqual([id("a"), id("b")]);
    // A path rule and a method rule: the overlap (GET /x) gets its own route, which Linkerd prefers over both.
    const objs2 = ok(
      web +
        ap(
          "  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a]}\n      methods: [GET]\n    - source: {serviceAccounts: [b]}\n      paths: [/x]",
        ),
    );
    expect(find(objs2, "HTTPRoute", "web-8080-allow-3").spec.rules).toEqual([{ matches: [{ method: "GET", path: { type: "Exact", value: "/x" } }] }]);
    expect(find(objs2, "MeshTLSAuthentication", "web-8080-allow-3-identities").spec.identities).toEqual([id("a"), id("b")]);
  });

  test("overlapping rules with different callers whose overlap cannot be written as one route: error", () => {
    const r = run(
      web +
        ap(
          '  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [a]}\n      paths: ["/x*"]\n    - source: {serviceAccounts: [b]}\n      paths: ["*/y"]',
        ),
    );
    expect(errors(r)).toEqual(["/spec/allow/1 adapter/unsupported-value"]);
  });

  test("rule ports select Servers; a port-scoped AccessPolicy leaves other ports alone", () => {
    const two = ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 9090}]");
    const objs = ok(two + ap("  destination: {service: web, port: 9090}\n  allow:\n    - source: {serviceAccounts: [prom]}"));
    expect(names(objs).filter((n) => n.startsWith("Server"))).toEqual(["Server/web-9090"]);
    const objs2 = ok(two + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [prom]}\n      ports: [9090]"));
    expect(names(objs2).filter((n) => n.startsWith("Server"))).toEqual(["Server/web-8080", "Server/web-9090"]);
    expect(objs2.filter((o) => o.kind === "AuthorizationPolicy").map((o: any) => o.spec.targetRef.name)).toEqual(["web-9090"]);
    // Rule ports are Service ports: 80 is the pods' 8080.
    const objs3 = ok(two + ap("  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [prom]}\n      ports: [80]"));
    expect(objs3.filter((o) => o.kind === "AuthorizationPolicy").map((o: any) => o.spec.targetRef.name)).toEqual(["web-8080"]);
  });
});

describe("linkerd rate limits and mTLS", () => {
  const limited =
    ms("search", "  ports: [{port: 8080, protocol: http2}]") +
    tp(
      "  destination: {service: search}\n  rateLimit: {requestsPerSecond: 100, perIdentity: 10, overrides: [{serviceAccounts: [a, ops/b], requestsPerSecond: 50}]}",
    );

  test("HTTPLocalRateLimitPolicy on a Server that admits every caller (the Server would otherwise deny all)", () => {
    const r = run(limited);
    expect(r.ok).toBe(true);
    expect(find(r.resources, "Server", "search-8080").spec).toEqual({
      accessPolicy: "all-unauthenticated",
      podSelector: { matchLabels: { app: "search" } },
      port: 8080,
      proxyProtocol: "HTTP/2",
    });
    expect(find(r.resources, "HTTPLocalRateLimitPolicy", "search-8080").spec).toEqual({
      targetRef: { group: "policy.linkerd.io", kind: "Server", name: "search-8080" },
      total: { requestsPerSecond: 100 },
      identity: { requestsPerSecond: 10 },
      overrides: [
        { requestsPerSecond: 50, clientRefs: [{ kind: "ServiceAccount", name: "a", namespace: "shop" }] },
        { requestsPerSecond: 50, clientRefs: [{ kind: "ServiceAccount", name: "b", namespace: "ops" }] },
      ],
    });
    expect(diags(r, "info")).toEqual([]);
    expect(diags(r, "warning")).toEqual(["/spec/rateLimit adapter/note"]);
    ok(limited);
  });

  test("version gating: no HTTPLocalRateLimitPolicy before 2.17", () => {
    for (const version of ["2.14", "2.16"]) {
      const r = run(limited, { version });
      expect(errors(r)).toEqual(["/spec/rateLimit adapter/unsupported-feature"]);
      expect(r.diagnostics[0].adapter).toBe(`linkerd@${version}`);
      expect(r.diagnostics[0].message).toContain(`Linkerd ${version}`);
    }
    expect(ok(limited, { version: "2.17" }).map((o) => o.kind)).toEqual(["HTTPLocalRateLimitPolicy", "Server"]);
  });

  test("a burst other than requestsPerSecond and a limit for several ports (even with destination.port: the limit is destination-level) are errors", () => {
    expect(
      errors(run(ms("s", "  ports: [{port: 80}]") + tp("  destination: {service: s, port: 80}\n  rateLimit: {requestsPerSecond: 10, burst: 20}"))),
    ).toEqual(["/spec/rateLimit/burst adapter/unsupported-value"]);
    for (const dest of ["{service: s}", "{service: s, port: 80}"]) {
      expect(errors(run(ms("s", "  ports: [{port: 80}, {port: 81}]") + tp(`  destination: ${dest}\n  rateLimit: {requestsPerSecond: 10}`)))).toEqual([
        "/spec/rateLimit adapter/unsupported-value",
      ]);
    }
  });

  test("namespace mTLS: a Namespace patch with the default inbound policy; disabled is an error", () => {
    const r = run(`${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: strict}\n`);
    expect(r.ok).toBe(true);
    expect(r.resources).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "shop",
          annotations: {
            "config.linkerd.io/default-inbound-policy": "all-authenticated",
            "unimesh.io/patch": "server-side-apply",
            "unimesh.io/policies": "MTLSPolicy/shop/m",
          },
        },
      },
    ]);
    expect(r.diagnostics[0].message).toContain("restart");
    const off = run(`${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: disabled}\n`);
    expect(errors(off)).toEqual(["/spec/mode adapter/unsupported-value"]);
    expect(off.diagnostics[0].message).toContain("cannot turn mTLS off");
  });

  test("service mTLS per-port overrides are by Service port, mapped to the pods' port", () => {
    const yaml =
      ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 9090}]") +
      `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: permissive, destination: {service: web}, ports: {"80": strict}}\n`;
    const objs = ok(yaml);
    expect(find(objs, "Server", "web-8080").spec.accessPolicy).toBe("all-authenticated");
    expect(find(objs, "Server", "web-9090").spec.accessPolicy).toBe("all-unauthenticated");
  });

  test("service mTLS: a Server per port with the mode as accessPolicy (2.16+), an AuthorizationPolicy for everyone on 2.14", () => {
    const yaml = web + `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: permissive, destination: {service: web}}\n`;
    expect(find(ok(yaml), "Server", "web-8080").spec.accessPolicy).toBe("all-unauthenticated");
    const legacy = ok(yaml, { version: "2.14" });
    expect(names(legacy)).toEqual(["AuthorizationPolicy/web-8080-any", "NetworkAuthentication/web-8080-any", "Server/web-8080"]);
  });
});

describe("linkerd: negative conditions", () => {
  const two = ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 9443, targetPort: 15443}]");

  test("notPorts: the rule is left off the excluded pod port's Server, exactly", () => {
    const objs = ok(
      two +
        ap(
          "  destination: {service: web}\n  allow:\n    - source: {serviceAccounts: [frontend]}\n      notPorts: [9443]\n    - source: {serviceAccounts: [prometheus]}\n      ports: [9443]",
        ),
    );
    const ids = (server: string) => find(objs, "MeshTLSAuthentication", `${server}-identities`).spec.identities;
    expect(ids("web-8080")).toEqual(["frontend.shop.serviceaccount.identity.linkerd.cluster.local"]);
    expect(ids("web-15443")).toEqual(["prometheus.shop.serviceaccount.identity.linkerd.cluster.local"]);
  });

  test("a rule whose ports leave out its policy's port never matches: left out with a warning, also where both ports reach one pod port", () => {
    const shared = ms("web", "  ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8080}]");
    const nsDeny = ap("  {}", "allow-nothing");
    const r = run(shared + nsDeny + ap("  destination: {service: web, port: 80}\n  allow:\n    - ports: [81]"));
    expect(r.ok).toBe(true);
    expect(diags(r, "warning")).toContain("/spec/allow/0/ports adapter/conflict");
    expect(r.diagnostics.find((d) => d.pointer === "/spec/allow/0/ports")!.message).toContain("this rule can never match: the policy is for Service port 80");
    // Pod port 8080 admits nobody (it admitted every caller, on 80 and 81, before).
    expect(names(r.resources).filter((n) => n.startsWith("AuthorizationPolicy/"))).toEqual([]);
    expect(find(r.resources, "Server", "web-8080").spec.accessPolicy).toBe("deny");
    // With its own port in the list, the rule applies to port 80 only, and would admit its callers on 81 too: the shared pod port error.
    const own = run(shared + nsDeny + ap("  destination: {service: web, port: 80}\n  allow:\n    - ports: [80, 81]"));
    expect(errors(own)).toEqual(["/spec/allow/0/ports adapter/unsupported-value"]);
  });

  test("notMethods, notPaths, notHeaders, notServiceAccounts, notNamespaces, notIpBlocks: errors, and nothing is emitted for the Server", () => {
    const r = run(
      two +
        ap(
          "  destination: {service: web}\n  allow:\n    - source: {namespaces: [shop], notServiceAccounts: [legacy], notNamespaces: [x], notIpBlocks: [10.0.0.0/8]}\n      notMethods: [DELETE]\n      notPaths: [/admin]\n      notHeaders: {x-env: [staging]}",
        ),
    );
    expect(errors(r).sort()).toEqual([
      "/spec/allow/0/notHeaders adapter/unsupported-value",
      "/spec/allow/0/notMethods adapter/unsupported-value",
      "/spec/allow/0/notPaths adapter/unsupported-value",
      "/spec/allow/0/source/notIpBlocks adapter/unsupported-value",
      "/spec/allow/0/source/notNamespaces adapter/unsupported-value",
      "/spec/allow/0/source/notServiceAccounts adapter/unsupported-value",
    ]);
    expect(r.diagnostics.filter((d) => d.severity === "error").every((d) => d.feature === "accessNegation")).toBe(true);
    expect(r.diagnostics.some((d) => d.severity === "info")).toBe(false);
  });
});

describe("linkerd: namespace-wide policies are the namespace's default inbound policy", () => {
  const ns = (spec: string, name = "ns") => ap(spec, name);
  const mtls = (mode: string) => `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {mode: ${mode}}\n---\n`;
  const annotation = (objs: any[]) => find(objs, "Namespace", "shop").metadata.annotations["config.linkerd.io/default-inbound-policy"];

  test("allow nothing → deny; every caller → all-unauthenticated; every identity → all-authenticated; strict mTLS tightens", () => {
    expect(annotation(ok(ns("  allow: []")))).toBe("deny");
    expect(annotation(ok(ns("  allow: [{}]")))).toBe("all-unauthenticated");
    expect(annotation(ok(ns("  allow: [{}]") + mtls("strict")))).toBe("all-authenticated");
    expect(annotation(ok(ns('  allow: [{source: {serviceAccounts: ["*"]}}]') + mtls("permissive")))).toBe("all-authenticated");
    expect(annotation(ok(ns("  allow: []") + mtls("permissive")))).toBe("deny");
  });

  test("named callers, request conditions, deny rules: errors (a default policy cannot say them)", () => {
    const r = run(ns("  allow:\n    - source: {serviceAccounts: [web]}\n    - methods: [GET]\n  deny:\n    - source: {namespaces: [x]}"));
    expect(errors(r).sort()).toEqual([
      "/spec/allow/0 adapter/unsupported-value",
      "/spec/allow/1 adapter/unsupported-value",
      "/spec/deny/0 adapter/unsupported-value",
    ]);
  });

  test("mesh-wide AccessPolicy or MTLSPolicy: errors naming the install-time setting", () => {
    const r = run(ns("  scope: mesh\n  allow: [{}]") + `${H}kind: MTLSPolicy\nmetadata: {name: m, namespace: shop}\nspec: {scope: mesh, mode: strict}\n`);
    expect(errors(r)).toEqual(["/spec/scope adapter/unsupported-value", "/spec/scope adapter/unsupported-value"]);
    expect(r.diagnostics.map((d) => d.message).join("\n")).toContain("proxy.defaultInboundPolicy");
  });

  test("a Server made for a service's mTLS mode carries the namespace-wide rules: it never reopens the port", () => {
    const svcMtls = `${H}kind: MTLSPolicy\nmetadata: {name: web-strict, namespace: shop}\nspec:\n  destination: {service: web}\n  mode: strict\n---\n`;
    const objs = ok(web + svcMtls + ns("  allow: []"));
    expect(find(objs, "Server", "web-8080").spec.accessPolicy).toBe("deny");
    expect(objs.filter((o) => o.kind === "AuthorizationPolicy")).toEqual([]);
    const open = ok(web + svcMtls);
    expect(find(open, "Server", "web-8080").spec.accessPolicy).toBe("all-authenticated");
  });
});
