/**
 * VirtualService and DestinationRule rules of the Istio adapter.
 */
import { describe, expect, test } from "vitest";
import { istio } from "../../../src/index.js";
import { errors, find, H, ok, run } from "./helpers.js";
import { codeFamily } from "../../../src/api/diagnostics.js";

const tp = (spec: string, name = "p", ns = "shop") => `${H}kind: TrafficPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n`;

describe("istio routes", () => {
  test("every HTTP route, the default route included, has retries attempts 0 unless the policy sets retries", () => {
    const objs = ok(
      tp(
        "  destination: {service: web, port: 80}\n  routes:\n    - match: {path: {prefix: /a}}\n    - match: {path: {prefix: /b}}\n      retries: {attempts: 2}\n    - match: {path: {prefix: /c}}\n      redirect: {path: /d}",
      ),
    );
    const http = find(objs, "VirtualService", "web").spec.http;
    expect(http.map((h: any) => [h.name, h.retries.attempts])).toEqual([
      ["p.0", 0],
      ["p.1", 2],
      ["p.2", 0],
      ["unimesh-default", 0],
    ]);
    expect(http.at(-1)).toEqual({ name: "unimesh-default", retries: { attempts: 0 }, route: [{ destination: { host: "web.shop.svc.cluster.local" } }] });
  });

  test("retries without retryOn get the model's default conditions, not Istio's", () => {
    const objs = ok(tp("  destination: {service: web}\n  retries: {attempts: 3, perTryTimeout: 1500ms}"));
    expect(find(objs, "VirtualService", "web").spec.http[0].retries).toEqual({
      attempts: 3,
      perTryTimeout: "1500ms",
      retryOn: "connect-failure,refused-stream,5xx",
    });
  });

  test("a status code Istio would not recognise is an error", () => {
    const r = run(tp('  destination: {service: web}\n  retries: {attempts: 3, retryOn: ["503", "599"]}'));
    expect(errors(r)).toEqual(["/spec/retries/retryOn/1 adapter/unsupported-value"]);
  });

  test("attempts 0 with a per-try timeout: the single try's timeout becomes the route timeout", () => {
    const objs = ok(tp("  destination: {service: web}\n  timeout: 5s\n  retries: {attempts: 0, perTryTimeout: 2s}"));
    const route = find(objs, "VirtualService", "web").spec.http[0];
    expect(route.retries).toEqual({ attempts: 0 });
    expect(route.timeout).toBe("2s");
  });

  test("one VirtualService per host with the routes of all policies, most specific first", () => {
    const objs = ok(
      tp("  destination: {service: catalog, port: 8080}\n  routes:\n    - name: search\n      match: {path: {prefix: /search}}", "b-search") +
        "---\n" +
        tp(
          '  destination: {service: catalog, port: 8080}\n  routes:\n    - name: item\n      match: {path: {exact: /item}}\n    - name: beta\n      match: {headers: {x-beta: {exact: "true"}}}',
          "a-item",
        ) +
        "---\n" +
        tp("  source: {namespaces: [mobile]}\n  destination: {service: catalog, port: 8080}\n  routes:\n    - name: any", "c-mobile"),
    );
    expect(objs.filter((o) => o.kind === "VirtualService")).toHaveLength(1);
    const vs = find(objs, "VirtualService", "catalog");
    expect(vs.spec.hosts).toEqual(["catalog.shop.svc.cluster.local"]);
    expect(vs.spec).not.toHaveProperty("gateways");
    expect(vs.spec.http.map((h: any) => h.name)).toEqual(["c-mobile.any", "a-item.item", "b-search.search", "a-item.beta", "unimesh-default"]);
  });

  test("source-scoped route: cross product of the route's conditions and each workload label set / namespace", () => {
    const objs = ok(
      `${H}kind: MeshService\nmetadata: {name: bff-a, namespace: shop}\nspec: {serviceAccount: bff, selector: {app: bff, tier: a}}\n---\n` +
        `${H}kind: MeshService\nmetadata: {name: bff-b, namespace: shop}\nspec: {serviceAccount: bff, selector: {app: bff, tier: b}}\n---\n` +
        tp(
          '  source: {serviceAccounts: [bff, other/tool], namespaces: [partners]}\n  destination: {service: catalog, port: 8080}\n  routes:\n    - match: {path: {prefix: /v2/}, headers: {x-a: {exact: "1"}}}',
        ),
    );
    const base = { uri: { prefix: "/v2/" }, headers: { "x-a": { exact: "1" } }, port: 8080 };
    expect(find(objs, "VirtualService", "catalog").spec.http[0].match).toEqual([
      { ...base, sourceLabels: { app: "bff", tier: "a" }, sourceNamespace: "shop" },
      { ...base, sourceLabels: { app: "bff", tier: "b" }, sourceNamespace: "shop" },
      { ...base, sourceLabels: { app: "tool" }, sourceNamespace: "other" },
      { ...base, sourceNamespace: "partners" },
    ]);
  });

  test("serviceAccounts * cannot select callers of a VirtualService: error", () => {
    const r = run(tp('  source: {serviceAccounts: [frontend, "*"]}\n  destination: {service: catalog}\n  timeout: 1s'));
    expect(r.ok).toBe(false);
    expect(errors(r)).toEqual(["/spec/source/serviceAccounts/1 adapter/unsupported-value"]);
  });

  test("match: presence, absence, header names lower-cased", () => {
    const objs = ok(
      tp("  destination: {service: web}\n  routes:\n    - match: {headers: {X-Debug: {present: true}, x-legacy: {present: false}}, method: GET}"),
    );
    expect(find(objs, "VirtualService", "web").spec.http[0].match).toEqual([
      { headers: { "x-debug": {} }, withoutHeaders: { "x-legacy": {} }, method: { exact: "GET" } },
    ]);
  });

  test("subsets and ports: route destinations use the FQDN, the subset name and the port", () => {
    const objs = ok(
      tp(
        "  destination: {service: reviews, namespace: bookinfo, port: 9080}\n  routes:\n    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10, port: 9090}]",
      ),
    );
    expect(find(objs, "VirtualService", "reviews", "bookinfo").spec.http[0].route).toEqual([
      { destination: { host: "reviews.bookinfo.svc.cluster.local", subset: "v1", port: { number: 9080 } }, weight: 90 },
      { destination: { host: "reviews.bookinfo.svc.cluster.local", subset: "v2", port: { number: 9090 } }, weight: 10 },
    ]);
    expect(find(objs, "DestinationRule", "reviews", "bookinfo").spec.subsets).toEqual([
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ]);
  });

  test("replaceFullPath becomes a whole-path regex rewrite, backslashes escaped", () => {
    const objs = ok(
      tp('  destination: {service: web}\n  routes:\n    - match: {path: {regex: "^/old/.*"}}\n      rewrite: {path: {replaceFullPath: "/new\\\\x"}}'),
    );
    expect(find(objs, "VirtualService", "web").spec.http[0].rewrite).toEqual({ uriRegexRewrite: { match: "^.*$", rewrite: "/new\\\\x" } });
  });

  test("fault injection on a redirect route is rejected by Istio: error", () => {
    const r = run(tp("  destination: {service: web}\n  routes:\n    - redirect: {path: /x}\n      faultInjection: {abort: {httpStatus: 503}}"));
    expect(errors(r)).toEqual(["/spec/routes/0/faultInjection adapter/unsupported-value"]);
  });

  test("fault percentages are always written (Istio injects nothing without them)", () => {
    const objs = ok(tp("  destination: {service: web}\n  faultInjection: {delay: {fixedDelay: 1s}, abort: {httpStatus: 500}}"));
    expect(find(objs, "VirtualService", "web").spec.http[0].fault).toEqual({
      delay: { fixedDelay: "1s", percentage: { value: 100 } },
      abort: { httpStatus: 500, percentage: { value: 100 } },
    });
  });

  test("a mirror to another service's subset defines that subset in that host's DestinationRule", () => {
    const objs = ok(tp("  destination: {service: orders}\n  mirror: {service: audit, namespace: ops, subset: {track: canary}, percent: 5}"));
    const route = find(objs, "VirtualService", "orders").spec.http[0];
    expect(route.mirror).toEqual({ host: "audit.ops.svc.cluster.local", subset: "canary" });
    expect(route.mirrorPercentage).toEqual({ value: 5 });
    const dr = find(objs, "DestinationRule", "audit", "ops");
    expect(dr.spec).toEqual({ host: "audit.ops.svc.cluster.local", subsets: [{ name: "canary", labels: { track: "canary" } }] });
    expect(dr.metadata.annotations["unimesh.io/policies"]).toBe("TrafficPolicy/shop/p");
  });

  test("a mirror to a subset another service's MeshService does not declare: error (also when the model lets it through)", () => {
    const r = run(
      `${H}kind: MeshService\nmetadata: {name: audit, namespace: shop}\nspec:\n  subsets: [{name: stable, labels: {track: stable}}]\n---\n` +
        tp("  destination: {service: orders}\n  mirror: {service: audit, subset: {track: canary}}"),
      { modelErrors: true },
    );
    expect(errors(r)).toEqual(["/spec/mirror/subset adapter/unsupported-value"]);
  });

  test("destination-level settings go to the DestinationRule's trafficPolicy", () => {
    const objs = ok(
      tp(
        "  destination: {service: cart}\n  loadBalancer: {algorithm: consistent-hash, consistentHash: {cookie: {name: sid, ttl: 1h}}}\n  outlierDetection: {consecutive5xxErrors: 0}",
      ),
    );
    expect(find(objs, "DestinationRule", "cart").spec.trafficPolicy).toEqual({
      loadBalancer: { consistentHash: { httpCookie: { name: "sid", ttl: "3600s" } } },
      outlierDetection: { consecutive5xxErrors: 0 },
    });
  });

  test("a hashing cookie without ttl cannot be expressed (Istio requires httpCookie.ttl)", () => {
    const r = run(tp("  destination: {service: cart}\n  loadBalancer: {algorithm: consistent-hash, consistentHash: {cookie: {name: sid}}}"));
    expect(errors(r)).toEqual(["/spec/loadBalancer/consistentHash/cookie adapter/unsupported-value"]);
  });

  test("rate limit: perIdentity is not expressible; the total bucket is an inbound EnvoyFilter", () => {
    const objs = ok(tp("  destination: {service: search}\n  rateLimit: {requestsPerSecond: 10}"));
    const ef = find(objs, "EnvoyFilter", "search-ratelimit");
    expect(ef.apiVersion).toBe("networking.istio.io/v1alpha3");
    expect(ef.spec.workloadSelector).toEqual({ labels: { app: "search" } });
    expect(ef.spec.configPatches[0].match.context).toBe("SIDECAR_INBOUND");
    expect(ef.spec.configPatches[0].patch.value.typed_config.token_bucket).toEqual({ max_tokens: 10, tokens_per_fill: 10, fill_interval: "1s" });
    const r = run(tp("  destination: {service: search}\n  rateLimit: {requestsPerSecond: 10, perIdentity: 1}"));
    expect(errors(r)).toEqual(["/spec/rateLimit/perIdentity adapter/unsupported-value"]);
  });

  describe("TCP ports get tcp routes (http routes would not apply)", () => {
    const db = `${H}kind: MeshService\nmetadata: {name: db, namespace: shop}\nspec:\n  ports: [{port: 5432, protocol: tcp}, {port: 8080}]\n---\n`;

    test("a split for a TCP port is a tcp route, not an http route", () => {
      const objs = ok(
        db + tp("  destination: {service: db, port: 5432}\n  routes:\n    - split: [{subset: {v: a}, weight: 90}, {subset: {v: b}, weight: 10}]"),
      );
      const vs = find(objs, "VirtualService", "db").spec;
      expect(vs.tcp).toEqual([
        {
          match: [{ port: 5432 }],
          route: [
            { destination: { host: "db.shop.svc.cluster.local", subset: "a", port: { number: 5432 } }, weight: 90 },
            { destination: { host: "db.shop.svc.cluster.local", subset: "b", port: { number: 5432 } }, weight: 10 },
          ],
        },
      ]);
      expect(vs.http.map((h: any) => h.name)).toEqual(["unimesh-default"]);
    });

    test("Route.name: HTTPRoute.name on http routes; tcp routes have no name field: info", () => {
      const r = run(db + tp("  destination: {service: db, port: 5432}\n  routes:\n    - name: primary\n      split: [{subset: {v: a}}]"));
      expect(r.ok).toBe(true);
      expect(r.diagnostics.map((d) => `${d.severity} ${d.pointer} ${codeFamily(d.code)}`)).toEqual(["info /spec/routes/0/name adapter/unsupported-value"]);
      const named = ok(db + tp("  destination: {service: db, port: 8080}\n  routes:\n    - name: primary\n      timeout: 1s"));
      expect(find(named, "VirtualService", "db").spec.http.map((h: any) => h.name)).toEqual(["p.primary", "unimesh-default"]);
    });

    test("HTTP-only settings on a TCP port: error (validation refuses it first: rule/http-on-tcp)", () => {
      const r = run(db + tp("  destination: {service: db, port: 5432}\n  timeout: 1s"), { modelErrors: true });
      expect(errors(r)).toEqual(["/spec/timeout adapter/unsupported-value"]);
    });

    test("a split target's header changes on a TCP port: error (a tcp route has no headers); on every port: HTTP ports only, warned", () => {
      const split = '  routes:\n    - split: [{subset: {v: a}, weight: 90}, {subset: {v: b}, weight: 10, headers: {request: {set: {x-b: "1"}}}}]';
      expect(errors(run(db + tp(`  destination: {service: db, port: 5432}\n${split}`)))).toEqual(["/spec/routes/0/split/1/headers adapter/unsupported-value"]);
      const r = run(db + tp(`  destination: {service: db}\n${split}`));
      expect(r.ok).toBe(true);
      expect(r.diagnostics.map((d) => `${d.severity} ${d.pointer} ${codeFamily(d.code)}`)).toEqual(["warning /spec/routes/0 adapter/unsupported-value"]);
      const vs = find(r.resources, "VirtualService", "db").spec;
      expect(vs.tcp).toBeUndefined();
      expect(vs.http[0].route[1].headers).toEqual({ request: { set: { "x-b": "1" } } });
    });

    test("a catch-all split for every port also routes the TCP ports", () => {
      const objs = ok(db + tp("  destination: {service: db}\n  routes:\n    - split: [{subset: {v: a}}]"));
      const vs = find(objs, "VirtualService", "db").spec;
      expect(vs.tcp).toEqual([
        { match: [{ port: 5432 }], route: [{ destination: { host: "db.shop.svc.cluster.local", subset: "a", port: { number: 5432 } } }] },
      ]);
      expect(vs.http[0].route).toEqual([{ destination: { host: "db.shop.svc.cluster.local", subset: "a" } }]);
    });
  });

  test("clusterDomain setting changes every host", () => {
    const objs = ok(tp("  destination: {service: web}\n  timeout: 1s"), { settings: { clusterDomain: "corp.internal" } });
    expect(find(objs, "VirtualService", "web").spec.hosts).toEqual(["web.shop.svc.corp.internal"]);
  });
});

describe("istio versions", () => {
  const backoff = tp("  destination: {service: web}\n  retries: {attempts: 2, backoff: 100ms}");

  test("retries.backoff is emitted where the CRD has it (1.30)", () => {
    expect(find(ok(backoff), "VirtualService", "web").spec.http[0].retries.backoff).toBe("100ms");
  });

  test.each(["1.22", "1.29"])("retries.backoff on %s: error, never a silent drop", (version) => {
    const r = run(backoff, { version });
    expect(r.ok).toBe(false);
    expect(errors(r)).toEqual(["/spec/retries/backoff adapter/unsupported-value"]);
  });

  test("capabilities: retries partial before 1.30, full from 1.30; every feature declared", () => {
    expect(istio.capabilities("1.22").retries.support).toBe("partial");
    expect(istio.capabilities("1.29").retries.support).toBe("partial");
    expect(istio.capabilities("1.30").retries.support).toBe("full");
    expect(istio.versions).toEqual(["1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28", "1.29", "1.30"]);
    expect(istio.defaultVersion).toBe("1.30");
    // The sidecar columns cover every version once; the ambient columns (dataplane=ambient) all of them again,
    // split where waypoints read more of HTTPRoute (retry from 1.25, backoff and CORS from 1.26, Gateway API 1.5 in 1.30).
    expect(istio.profiles?.filter((p) => !p.settings).flatMap((p) => p.versions)).toEqual([...istio.versions]);
    expect(istio.profiles?.filter((p) => p.settings).flatMap((p) => p.versions)).toEqual([...istio.versions]);
    expect(istio.profiles?.filter((p) => p.settings).map((p) => [p.label, p.settings])).toEqual([
      ["ambient 1.22-1.24", { dataplane: "ambient" }],
      ["ambient 1.25", { dataplane: "ambient" }],
      ["ambient 1.26-1.29", { dataplane: "ambient" }],
      ["ambient 1.30", { dataplane: "ambient" }],
    ]);
  });

  test("the same input is valid for the 1.22 CRDs", () => {
    ok(
      tp(
        "  destination: {service: web, port: 80}\n  routes:\n    - match: {path: {exact: /x}}\n      rewrite: {path: {replaceFullPath: /y}}\n      timeout: 2s\n      retries: {attempts: 1, perTryTimeout: 1s}",
      ),
      { version: "1.22" },
    );
  });
});
