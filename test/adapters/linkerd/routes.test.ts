/**
 * Outbound routing of the Linkerd adapter: exact matches, Linkerd's precedence, splits, settings as route
 * annotations, the API versions each Linkerd release reads, and the 2.14–2.15 ServiceProfile.
 */
import { describe, expect, test } from "vitest";
import { errors, diags, find, ms, names, ok, run, tp } from "./helpers.js";
import { isCodeIn } from "../../../src/api/diagnostics.js";

const route = (match: string, extra = "") => tp(`  destination: {service: api, port: 8080}\n  routes:\n    - match: ${match}\n${extra}`);

describe("linkerd matches are exact", () => {
  test("a string prefix becomes an anchored regex: PathPrefix /x/ would also match /x, PathPrefix /x not /xy", () => {
    const rules = find(ok(route("{path: {prefix: /x/}}", "      timeout: 1s")), "HTTPRoute", "api-8080-timeout-1s").spec.rules;
    expect(rules[0].matches).toEqual([{ path: { type: "RegularExpression", value: "^/x/.*$" } }]);
    const r2 = find(ok(route("{path: {prefix: /api.v1}}", "      timeout: 1s")), "HTTPRoute", "api-8080-timeout-1s").spec.rules;
    expect(r2[0].matches).toEqual([{ path: { type: "RegularExpression", value: "^/api\\.v1.*$" } }]);
  });

  test("prefix / is every path: no path match at all", () => {
    const rules = find(ok(route("{path: {prefix: /}, method: GET}", "      timeout: 1s")), "HTTPRoute", "api-8080-timeout-1s").spec.rules;
    expect(rules[0].matches).toEqual([{ method: "GET" }]);
  });

  test("exact paths stay Exact unless Gateway API's CEL would refuse them; regexes are wrapped for whole-path matching", () => {
    const objs = ok(
      tp(`  destination: {service: api, port: 8080}
  timeout: 1s
  routes:
    - match: {path: {exact: /a/b.json}}
    - match: {path: {exact: "/a//b"}}
    - match: {path: {regex: "/a|/ab"}}`),
    );
    expect(
      find(objs, "HTTPRoute", "api-8080-timeout-1s")
        .spec.rules.slice(0, 3)
        .map((r: any) => r.matches[0].path),
    ).toEqual([
      { type: "Exact", value: "/a/b.json" },
      { type: "RegularExpression", value: "^/a//b$" },
      { type: "RegularExpression", value: "^(?:/a|/ab)$" },
    ]);
  });

  test("headers: exact, prefix and present become Exact / anchored regexes; absence is an error", () => {
    const objs = ok(route('{headers: {x-a: {exact: "1"}, x-b: {prefix: "v."}, x-c: {present: true}, X-D: {regex: "a|b"}}}', "      timeout: 1s"));
    expect(find(objs, "HTTPRoute", "api-8080-timeout-1s").spec.rules[0].matches[0].headers).toEqual([
      { name: "x-a", type: "Exact", value: "1" },
      { name: "x-b", type: "RegularExpression", value: "^v\\..*$" },
      { name: "x-c", type: "RegularExpression", value: "^.*$" },
      { name: "x-d", type: "RegularExpression", value: "^(?:a|b)$" },
    ]);
    const r = run(route("{headers: {x-legacy: {present: false}}}"));
    expect(errors(r)).toEqual(["/spec/routes/0/match/headers/x-legacy/present adapter/unsupported-value"]);
  });

  test("names Gateway API cannot carry are errors, not CRD rejections at apply time", () => {
    expect(errors(run(route('{queryParams: {"a[0]": {exact: x}}}')))).toEqual(["/spec/routes/0/match/queryParams/a[0] adapter/unsupported-value"]);
    expect(errors(run(tp('  destination: {service: api, port: 8080}\n  headers: {request: {set: {"x a": b}}}')))).toEqual([
      "/spec/headers/request adapter/unsupported-value",
    ]);
  });

  test("query parameters are matched (Exact / anchored regex)", () => {
    const objs = ok(route('{queryParams: {format: {exact: json}, v: {prefix: "2"}}}', "      timeout: 1s"));
    expect(find(objs, "HTTPRoute", "api-8080-timeout-1s").spec.rules[0].matches[0].queryParams).toEqual([
      { name: "format", type: "Exact", value: "json" },
      { name: "v", type: "RegularExpression", value: "^2.*$" },
    ]);
  });
});

describe("linkerd precedence: the most specific match wins, not the first", () => {
  test("a header route written before a path route cannot keep its priority: error on the later route", () => {
    const r = run(
      tp(`  destination: {service: api, port: 8080}
  routes:
    - match: {headers: {x-user: {exact: jason}}}
      timeout: 7s
    - match: {path: {prefix: /ratings/}}
      timeout: 1s`),
    );
    expect(errors(r)).toEqual(["/spec/routes/1/match adapter/unsupported-value"]);
    expect(r.diagnostics[0].message).toContain("most specific match");
  });

  test("disjoint matches in any order are fine, and the default route comes last", () => {
    const objs = ok(
      tp(`  destination: {service: api, port: 8080}
  routes:
    - match: {method: POST}
      timeout: 7s
    - match: {path: {exact: /health}, method: GET}
      timeout: 1s`),
    );
    expect(names(objs)).toEqual(["HTTPRoute/api-8080", "HTTPRoute/api-8080-timeout-1s", "HTTPRoute/api-8080-timeout-7s"]);
    expect(find(objs, "HTTPRoute", "api-8080").spec.rules).toEqual([{ backendRefs: [{ name: "api", port: 8080 }] }]);
  });

  test("an equally specific pair is fine inside one HTTPRoute (rule order breaks the tie) but not across two", () => {
    const same = ok(
      tp(`  destination: {service: api, port: 8080}
  routes:
    - match: {headers: {x-a: {exact: "1"}}}
      split: [{subset: {version: v2}}]
    - match: {headers: {x-b: {exact: "1"}}}
      split: [{subset: {version: v3}}]`),
    );
    expect(find(same, "HTTPRoute", "api-8080").spec.rules.map((r: any) => r.backendRefs[0].name)).toEqual(["api-v2", "api-v3", "api"]);
    const split = run(
      tp(`  destination: {service: api, port: 8080}
  routes:
    - match: {headers: {x-a: {exact: "1"}}}
      timeout: 1s
    - match: {headers: {x-b: {exact: "1"}}}
      timeout: 2s`),
    );
    expect(errors(split)).toEqual(["/spec/routes/1/match adapter/unsupported-value"]);
    expect(split.diagnostics.find((d) => d.severity === "error")!.message).toContain("different HTTPRoutes");
  });
});

describe("linkerd splits, headers, redirects", () => {
  test("subsets are Services named <svc>-<subset>; unimesh names them in a note and never emits them", () => {
    const r = run(
      ms(
        "reviews",
        "  ports: [{port: 9080, targetPort: 8080, name: http}]\n  subsets: [{name: stable, labels: {version: v1}}, {name: canary, labels: {version: v2}}]",
      ) +
        tp("  destination: {service: reviews, port: 9080}\n  routes:\n    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]"),
    );
    expect(r.ok).toBe(true);
    expect(r.resources.filter((o) => o.kind === "Service")).toEqual([]);
    expect(find(r.resources, "HTTPRoute", "reviews-9080").spec.rules[0].backendRefs).toEqual([
      { name: "reviews-stable", port: 9080, weight: 90 },
      { name: "reviews-canary", port: 9080, weight: 10 },
    ]);
    const note = r.diagnostics.find((d) => isCodeIn(d.code, "adapter/note"))!;
    expect(note.severity).toBe("info");
    expect(note.message).toContain('reviews-canary (selector {"app":"reviews","version":"v2"})');
  });

  test("request and response headers become filters; a forward without settings needs no HTTPRoute", () => {
    expect(ok(tp("  destination: {service: api, port: 8080}"))).toEqual([]);
    const objs = ok(tp("  destination: {service: api, port: 8080}\n  headers: {request: {set: {x-a: b}}, response: {remove: [server]}}"));
    expect(find(objs, "HTTPRoute", "api-8080").spec.rules[0].filters).toEqual([
      { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-a", value: "b" }] } },
      { type: "ResponseHeaderModifier", responseHeaderModifier: { remove: ["server"] } },
    ]);
  });

  test("redirects: 301 by default, hostname/port/path; 308 is an error", () => {
    const objs = ok(
      tp(
        "  destination: {service: web, port: 80}\n  routes:\n    - match: {path: {prefix: /blog/}}\n      redirect: {authority: blog.example.com, path: /, port: 8443, scheme: https}",
      ),
    );
    const rule = find(objs, "HTTPRoute", "web-80").spec.rules[0];
    expect(rule.backendRefs).toBeUndefined();
    expect(rule.filters).toEqual([
      {
        type: "RequestRedirect",
        requestRedirect: {
          hostname: "blog.example.com",
          path: { type: "ReplaceFullPath", replaceFullPath: "/" },
          port: 8443,
          scheme: "https",
          statusCode: 301,
        },
      },
    ]);
    expect(errors(run(tp("  destination: {service: web, port: 80}\n  routes:\n    - redirect: {scheme: https, statusCode: 308}")))).toEqual([
      "/spec/routes/0/redirect/statusCode adapter/unsupported-value",
    ]);
  });

  test("routes need a port: without destination.port or declared ports it is an error", () => {
    expect(errors(run(tp("  destination: {service: api}\n  timeout: 1s")))).toEqual(["/spec/destination adapter/unsupported-value"]);
    const objs = ok(ms("api", "  ports: [{port: 80}, {port: 9090}]") + tp("  destination: {service: api}\n  timeout: 1s"));
    expect(names(objs)).toEqual(["HTTPRoute/api-80-timeout-1s", "HTTPRoute/api-9090-timeout-1s"]);
  });
});

describe("linkerd retries and timeouts (2.16+: route annotations)", () => {
  test("timeout, attempts, per-try timeout and conditions are HTTPRoute annotations; the Service is not touched", () => {
    const objs = ok(
      tp(
        '  destination: {service: api, port: 8080}\n  timeout: 1m30s\n  retries: {attempts: 3, perTryTimeout: 500ms, retryOn: [5xx, "429", retriable-4xx, refused-stream]}',
      ),
    );
    expect(names(objs)).toEqual(["HTTPRoute/api-8080-timeout-90s-retries-3"]);
    const a = objs[0].metadata.annotations!;
    expect(a["timeout.linkerd.io/request"]).toBe("90s");
    expect(a["retry.linkerd.io/limit"]).toBe("3");
    expect(a["retry.linkerd.io/timeout"]).toBe("500ms");
    expect(a["retry.linkerd.io/http"]).toBe("5xx,429,409");
  });

  test("no retries: nothing is written (Linkerd's default), a note about inheriting Service annotations; a per-try timeout without retries bounds the request", () => {
    const r = run(tp("  destination: {service: api, port: 8080}\n  timeout: 5s\n  retries: {attempts: 0, perTryTimeout: 2s}"));
    expect(r.ok).toBe(true);
    expect(r.resources[0].metadata.annotations).toEqual({ "timeout.linkerd.io/request": "2s", "unimesh.io/policies": "TrafficPolicy/shop/p" });
    expect(diags(r, "info")).toEqual(["/spec/retries/attempts adapter/note"]);
  });

  test("connect-failure, reset and back-off cannot be expressed; the default retryOn includes connect-failure", () => {
    expect(
      errors(run(tp("  destination: {service: api, port: 8080}\n  retries: {attempts: 2, retryOn: [connect-failure, reset, 5xx], backoff: 25ms}"))),
    ).toEqual([
      "/spec/retries/backoff adapter/unsupported-value",
      "/spec/retries/retryOn/0 adapter/unsupported-value",
      "/spec/retries/retryOn/1 adapter/unsupported-value",
    ]);
    expect(errors(run(tp("  destination: {service: api, port: 8080}\n  retries: {attempts: 2}")))).toEqual(["/spec/retries adapter/unsupported-value"]);
  });

  test("a per-try timeout is always retried by Linkerd: retryOn must allow retrying timed-out tries", () => {
    expect(errors(run(tp('  destination: {service: api, port: 8080}\n  retries: {attempts: 2, perTryTimeout: 1s, retryOn: ["503"]}')))).toEqual([
      "/spec/retries/perTryTimeout adapter/unsupported-value",
    ]);
  });

  test("gRPC ports get a GRPCRoute with retry.linkerd.io/grpc; gRPC conditions on an HTTP port are errors", () => {
    const yaml =
      ms("inventory", "  ports: [{port: 50051, protocol: grpc}]") +
      tp(`  destination: {service: inventory, port: 50051}
  retries: {attempts: 2, retryOn: [unavailable, cancelled]}
  routes:
    - match: {path: {exact: /shop.Inventory/Get}}
      timeout: 1s
    - match: {path: {prefix: /shop.Inventory/}, headers: {x-a: {exact: b}}}
      timeout: 2s`);
    const objs = ok(yaml);
    const g = find(objs, "GRPCRoute", "inventory-50051-timeout-1s-retries-2");
    expect(g.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(g.metadata.annotations["retry.linkerd.io/grpc"]).toBe("unavailable,cancelled");
    expect(g.spec.rules[0].matches).toEqual([{ method: { type: "Exact", service: "shop.Inventory", method: "Get" } }]);
    expect(find(objs, "GRPCRoute", "inventory-50051-timeout-2s-retries-2").spec.rules[0].matches).toEqual([
      { headers: [{ name: "x-a", type: "Exact", value: "b" }], method: { type: "Exact", service: "shop.Inventory" } },
    ]);
    expect(names(objs)).toEqual([
      "GRPCRoute/inventory-50051",
      "GRPCRoute/inventory-50051-timeout-1s-retries-2",
      "GRPCRoute/inventory-50051-timeout-2s-retries-2",
    ]);
    expect(find(objs, "GRPCRoute", "inventory-50051").spec.rules).toEqual([{ backendRefs: [{ name: "inventory", port: 50051 }] }]);
    expect(new Set(ok(yaml, { version: "2.16" }).map((o) => o.apiVersion))).toEqual(new Set(["gateway.networking.k8s.io/v1alpha2"]));
    expect(errors(run(tp("  destination: {service: api, port: 8080}\n  retries: {attempts: 2, retryOn: [unavailable]}")))).toEqual([
      "/spec/retries/retryOn/0 adapter/unsupported-value",
    ]);
  });
});

describe("linkerd versions: emit what the release reads", () => {
  const yaml = tp("  destination: {service: api, port: 8080}\n  timeout: 1s");
  test.each([
    ["2.20", "gateway.networking.k8s.io/v1"],
    ["2.18", "gateway.networking.k8s.io/v1"],
    ["2.17", "gateway.networking.k8s.io/v1beta1"],
    ["2.16", "gateway.networking.k8s.io/v1beta1"],
    ["2.15", "policy.linkerd.io/v1beta3"],
    ["2.14", "policy.linkerd.io/v1beta3"],
  ])("Linkerd %s: outbound HTTPRoute %s", (version, apiVersion) => {
    const objs = ok(yaml, { version });
    expect(objs.map((o) => o.apiVersion)).toEqual([apiVersion]);
  });

  test("2.14: the timeout is rules[].timeouts.request of a policy.linkerd.io HTTPRoute (no annotations before 2.16)", () => {
    const objs = ok(yaml, { version: "2.14" });
    expect(objs[0].metadata.annotations).toEqual({ "unimesh.io/policies": "TrafficPolicy/shop/p" });
    expect((objs[0] as any).spec.rules).toEqual([{ backendRefs: [{ name: "api", port: 8080 }], timeouts: { request: "1s" } }]);
  });

  test("2.14: response header changes cannot be expressed (no ResponseHeaderModifier in policy.linkerd.io HTTPRoute)", () => {
    expect(errors(run(tp("  destination: {service: api, port: 8080}\n  headers: {response: {remove: [server]}}"), { version: "2.14" }))).toEqual([
      "/spec/headers/response adapter/unsupported-value",
    ]);
  });
});

describe("header changes of a split target → backendRefs[].filters", () => {
  const yaml = tp(`  destination: {service: api, port: 8080}
  routes:
    - split:
        - {weight: 80}
        - subset: {version: v2}
          weight: 20
          headers: {request: {set: {x-canary: "1"}}, response: {remove: [server]}}`);

  test.each(["2.20", "2.14"])("%s: request and response filters on that backend only (2.14's CRD allows response filters on backends)", (version) => {
    const rule = (find(ok(yaml, { version }), "HTTPRoute", "api-8080") as any).spec.rules[0];
    expect(rule.filters).toBeUndefined();
    expect(rule.backendRefs).toEqual([
      { name: "api", port: 8080, weight: 80 },
      {
        filters: [
          { requestHeaderModifier: { set: [{ name: "x-canary", value: "1" }] }, type: "RequestHeaderModifier" },
          { responseHeaderModifier: { remove: ["server"] }, type: "ResponseHeaderModifier" },
        ],
        name: "api-v2",
        port: 8080,
        weight: 20,
      },
    ]);
  });

  test("a lone target with header changes is not a plain forward: the route is kept", () => {
    const r = ok(tp("  destination: {service: api, port: 8080}\n  routes:\n    - split: [{headers: {request: {add: {x-a: b}}}}]"));
    expect((find(r, "HTTPRoute", "api-8080") as any).spec.rules[0].backendRefs[0].filters).toHaveLength(1);
  });

  test("2.14 with retries: the ServiceProfile would drop them: error", () => {
    const r = run(
      tp(
        "  destination: {service: api, port: 8080}\n  retries: {attempts: 1, retryOn: [5xx]}\n  routes:\n    - split: [{headers: {request: {add: {x-a: b}}}}]",
      ),
      { version: "2.14", approximations: ["retry-budget"] },
    );
    expect(errors(r)).toEqual(["/spec/routes/0/split/0/headers adapter/conflict"]);
  });
});

describe("linkerd 2.14-2.15: retries need a ServiceProfile", () => {
  const yaml = tp(
    `  destination: {service: ratings, namespace: bookinfo, port: 9080}
  routes:
    - name: get-one
      match: {path: {prefix: /ratings/}, method: GET}
      timeout: 2s
      retries: {attempts: 2, retryOn: [5xx]}
    - name: rest
      timeout: 5s`,
    "r",
    "bookinfo",
  );

  test("without the retry-budget approximation the attempt count is an error", () => {
    expect(errors(run(yaml, { version: "2.14" }))).toEqual(["/spec/routes/0/retries/attempts adapter/unsupported-value"]);
  });

  test("ServiceProfile named after the Service FQDN, routes in order, isRetryable + retry budget", () => {
    const r = run(yaml, { version: "2.15", approximations: ["retry-budget"] });
    expect(r.ok).toBe(true);
    expect(diags(r, "warning")).toEqual(["/spec/routes/0/retries/attempts adapter/approximation"]);
    const objs = ok(yaml, { version: "2.14", approximations: ["retry-budget"] });
    expect(names(objs)).toEqual(["ServiceProfile/ratings.bookinfo.svc.cluster.local"]);
    const sp = objs[0] as any;
    expect(sp.apiVersion).toBe("linkerd.io/v1alpha2");
    expect(sp.metadata.namespace).toBe("bookinfo");
    expect(sp.spec).toEqual({
      routes: [
        { name: "get-one", condition: { all: [{ pathRegex: "^/ratings/.*$" }, { method: "GET" }] }, timeout: "2s", isRetryable: true },
        { name: "rest", condition: { pathRegex: "^.*$" }, timeout: "5s" },
      ],
      retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: "10s" },
    });
    const custom = ok(yaml, { version: "2.14", approximations: ["retry-budget"], settings: { clusterDomain: "corp.example" } });
    expect(names(custom)).toEqual(["ServiceProfile/ratings.bookinfo.svc.corp.example"]);
  });

  test("a ServiceProfile makes Linkerd ignore HTTPRoutes and failure accrual: splits, header matches and outlier detection conflict", () => {
    const r = run(
      tp(`  destination: {service: ratings, port: 9080}
  retries: {attempts: 1, retryOn: [5xx]}
  outlierDetection: {maxEjectionPercent: 100}
  routes:
    - match: {headers: {x-a: {exact: b}}}
      split: [{subset: {version: v2}}]`),
      { version: "2.14", approximations: ["retry-budget"] },
    );
    expect(errors(r)).toEqual(["/spec/outlierDetection adapter/conflict", "/spec/routes/0/match adapter/conflict", "/spec/routes/0/split adapter/conflict"]);
  });

  test("retries only of 5xx; no per-try timeout", () => {
    expect(
      errors(
        run(tp("  destination: {service: api, port: 8080}\n  retries: {attempts: 1, perTryTimeout: 1s, retryOn: [gateway-error]}"), {
          version: "2.14",
          approximations: ["retry-budget"],
        }),
      ),
    ).toEqual(["/spec/retries/perTryTimeout adapter/unsupported-value", "/spec/retries/retryOn/0 adapter/unsupported-value"]);
  });
});

describe("linkerd: a policy for every port when the ports are only guessed", () => {
  test("its routes go to the ports other policies name, with a warning naming them (never silently); declared ports: no warning", () => {
    const text =
      tp("  destination: {service: api}\n  timeout: 2s", "all-ports") +
      tp("  destination: {service: api, port: 8080}\n  routes:\n    - match: {path: {prefix: /v2/}}\n      timeout: 1s", "one-port");
    const r = run(text);
    expect(r.ok).toBe(true);
    expect(diags(r, "warning")).toEqual(["/spec/destination adapter/unsupported-value"]);
    const w = r.diagnostics.find((d) => d.severity === "warning")!;
    expect(w.policy).toBe("TrafficPolicy/shop/all-ports");
    expect(w.message).toContain("its routes go only to the port other policies name (8080) and any other port keeps Linkerd's defaults");
    const declared = run(ms("api", "  ports: [{port: 8080}]") + text);
    expect(diags(declared, "warning")).toEqual([]);
  });
});
