/**
 * VirtualRouter routes, VirtualNodes and their DNS discovery on App Mesh: matches, weighted targets and
 * ports, retries, timeouts and durations.
 */
import { describe, expect, test } from "vitest";
import { errors, find, ok, routes, run, svc, tp, warnings } from "./helpers.js";
import { codeFamily, isCodeIn } from "../../../src/api/diagnostics.js";

const reviews = svc("reviews", "{ports: [{port: 9080}], subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}", "bookinfo");

describe("appmesh routes", () => {
  test("one routing-only VirtualNode per subset (no podSelector), discovered through a headless Service", () => {
    const objs = ok(
      reviews +
        tp(
          "canary",
          "  destination: {service: reviews, port: 9080}\n  routes:\n    - split: [{subset: {version: v1}, weight: 80}, {subset: {version: v2}, weight: 20}]",
          "bookinfo",
        ),
    );
    const v1 = find(objs, "VirtualNode", "reviews-v1", "bookinfo");
    expect(v1.spec).not.toHaveProperty("podSelector"); // the identity node "reviews" selects the pods
    expect(v1.spec.serviceDiscovery).toEqual({ dns: { hostname: "reviews-v1-appmesh.bookinfo.svc.cluster.local", responseType: "ENDPOINTS" } });
    expect(v1.spec.listeners).toEqual([{ portMapping: { port: 9080, protocol: "http" } }]);
    const s = find(objs, "Service", "reviews-v1-appmesh", "bookinfo");
    expect(s.spec).toEqual({
      clusterIP: "None",
      selector: { app: "reviews", version: "v1" },
      ports: [{ name: "http-9080", port: 9080, targetPort: 9080, protocol: "TCP" }],
    });
    expect(find(objs, "VirtualNode", "reviews", "bookinfo").spec.podSelector).toEqual({ matchLabels: { app: "reviews" } });
    expect(routes(objs, "reviews", "bookinfo")[0].httpRoute.action.weightedTargets).toEqual([
      { virtualNodeRef: { name: "reviews-v1" }, weight: 80 },
      { virtualNodeRef: { name: "reviews-v2" }, weight: 20 },
    ]);
    const vs = find(objs, "VirtualService", "reviews", "bookinfo");
    expect(vs.spec).toEqual({ awsName: "reviews.bookinfo.svc.cluster.local", provider: { virtualRouter: { virtualRouterRef: { name: "reviews" } } } });
  });

  test("priorities keep the route table order; a default route is added only when nothing catches all", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp("p", "  destination: {service: api}\n  routes:\n    - name: a\n      match: {path: {exact: /a}}\n    - name: b\n      match: {path: {prefix: /b}}"),
    );
    expect(routes(objs, "api").map((r) => [r.name, r.priority, r.httpRoute.match])).toEqual([
      ["p-a", 0, { path: { exact: "/a" } }],
      ["p-b", 1, { prefix: "/b" }],
      ["default", 2, { prefix: "/" }],
    ]);
  });

  test("headers: exact/prefix/regex, present, absent (invert) and lower-cased names; query parameters exact", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp(
          "p",
          '  destination: {service: api}\n  routes:\n    - match:\n        method: POST\n        headers: {X-A: {exact: "1"}, x-b: {prefix: p}, x-c: {regex: "v[0-9]"}, x-d: {present: true}, x-e: {present: false}, x-f: {prefix: ""}}\n        queryParams: {q: {exact: "1"}}',
        ),
    );
    expect(routes(objs, "api")[0].httpRoute.match).toEqual({
      prefix: "/",
      method: "POST",
      headers: [
        { name: "x-a", match: { exact: "1" } },
        { name: "x-b", match: { prefix: "p" } },
        { name: "x-c", match: { regex: "v[0-9]" } },
        { name: "x-d" },
        { name: "x-e", invert: true },
        { name: "x-f" },
      ],
      queryParameters: [{ name: "q", match: { exact: "1" } }],
    });
  });

  test("query parameters other than exact cannot be matched", () => {
    const r = run(tp("p", "  destination: {service: api, port: 8080}\n  routes:\n    - match: {queryParams: {q: {prefix: a}, r: {regex: b}}}"));
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.feature])).toEqual([
      ["adapter/unsupported-value", "/spec/routes/0/match/queryParams/q/prefix", "match"],
      ["adapter/unsupported-value", "/spec/routes/0/match/queryParams/r/regex", "match"],
    ]);
    expect(errors(r)[0].message).toMatch(/^queryParams\.q\.prefix: App Mesh 1\.13 matches query parameters only exactly/);
  });

  test("a route whose targets listen on different ports is rejected (App Mesh would silently drop it)", () => {
    const two = svc("api", "{ports: [{port: 8080}, {port: 9090}], subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}");
    const r = run(
      two +
        tp(
          "p",
          "  destination: {service: api, port: 8080}\n  routes:\n    - split: [{subset: {version: v1}, weight: 50, port: 8080}, {subset: {version: v2}, weight: 50, port: 9090}]",
        ),
    );
    expect(r.ok).toBe(false);
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.feature])).toEqual([["adapter/unsupported-value", "/spec/routes/0/split", "split"]]);
    expect(errors(r)[0].message).toContain("aws/aws-app-mesh-examples#93");
    expect(errors(r)[0].message).toContain("App Mesh 1.13");
  });

  test("multi-port services: every route matches its port and targets the pod port", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 80, targetPort: 8080}, {port: 9090, protocol: grpc}]}") +
        tp("p", "  destination: {service: api, port: 80}\n  routes:\n    - match: {path: {prefix: /v1/}}"),
    );
    const vr = find(objs, "VirtualRouter", "api");
    expect(vr.spec.listeners).toEqual([{ portMapping: { port: 80, protocol: "http" } }, { portMapping: { port: 9090, protocol: "grpc" } }]);
    expect(
      vr.spec.routes.map((r: any) => [r.name, r.priority, r.httpRoute?.match ?? r.grpcRoute.match, (r.httpRoute ?? r.grpcRoute).action.weightedTargets]),
    ).toEqual([
      ["p-0", 0, { prefix: "/v1/", port: 80 }, [{ virtualNodeRef: { name: "api" }, weight: 100, port: 8080 }]],
      ["default-80", 1, { prefix: "/", port: 80 }, [{ virtualNodeRef: { name: "api" }, weight: 100, port: 8080 }]],
      ["default-9090", 2, { port: 9090 }, [{ virtualNodeRef: { name: "api" }, weight: 100, port: 9090 }]],
    ]);
    expect(find(objs, "VirtualNode", "api").spec.listeners.map((l: any) => l.portMapping)).toEqual([
      { port: 8080, protocol: "http" },
      { port: 9090, protocol: "grpc" },
    ]);
    // A gRPC listener among several: the controller bug aws-app-mesh-controller-for-k8s#715 is pointed out.
    const r = run(svc("api", "{ports: [{port: 80, targetPort: 8080}, {port: 9090, protocol: grpc}]}"));
    expect(warnings(r).map((d) => d.message)).toEqual([expect.stringContaining("aws-app-mesh-controller-for-k8s#715")]);
  });

  test("durations are {unit, value}: whole seconds in s, otherwise ms", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp(
          "p",
          "  destination: {service: api}\n  routes:\n    - match: {path: {prefix: /a}}\n      timeout: 2s\n    - match: {path: {prefix: /b}}\n      timeout: 1500ms\n    - match: {path: {prefix: /c}}\n      timeout: 0.25s\n    - timeout: 1m30s",
        ),
    );
    expect(routes(objs, "api").map((r) => r.httpRoute.timeout.perRequest)).toEqual([
      { unit: "s", value: 2 },
      { unit: "ms", value: 1500 },
      { unit: "ms", value: 250 },
      { unit: "s", value: 90 },
    ]);
    // Above App Mesh's 15s default the target VirtualNode's listener gets the timeout too.
    expect(find(objs, "VirtualNode", "api").spec.listeners[0].timeout).toEqual({ http: { perRequest: { unit: "s", value: 90 } } });
    const r = run(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  timeout: 1.5ms"));
    expect(errors(r).map((d) => [d.pointer, d.feature])).toEqual([["/spec/timeout", "timeout"]]);
  });

  test("a timeout above 15s is set on the route, the pods' own VirtualNode (not only a subset node that selects no pod) and the callers' VirtualNodes (issue #9)", () => {
    const text =
      svc("reviews", "{ports: [{port: 9080, targetPort: 8080}], subsets: [{name: v2, labels: {version: v2}}]}") +
      svc("productpage", "{ports: [{port: 9080, protocol: http2}]}") +
      svc("batch", "{}") +
      svc("other", "{ports: [{port: 7000}]}") +
      tp("slow", "  destination: {service: reviews}\n  timeout: 40s\n  routes:\n    - split: [{subset: {version: v2}}]") +
      `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: strict, namespace: shop}\nspec: {mode: strict}\n---\n` +
      `apiVersion: unimesh.io/v1alpha1\nkind: AccessPolicy\nmetadata: {name: readers, namespace: shop}\nspec:\n  destination: {service: reviews}\n  allow: [{source: {serviceAccounts: [productpage, batch]}}]\n`;
    const objs = ok(text);
    const forty = { unit: "s", value: 40 };
    expect(routes(objs, "reviews")[0].httpRoute.timeout).toEqual({ perRequest: forty });
    // Destination: the routing-only subset node AND the identity node, whose podSelector selects the pods.
    expect(find(objs, "VirtualNode", "reviews-v2").spec.listeners[0].timeout).toEqual({ http: { perRequest: forty } });
    expect(find(objs, "VirtualNode", "reviews").spec.podSelector).toEqual({ matchLabels: { app: "reviews" } });
    expect(find(objs, "VirtualNode", "reviews").spec.listeners[0].timeout).toEqual({ http: { perRequest: forty } });
    // Source: every listener of each allowed caller (batch has none: nothing to set); not the other services.
    expect(find(objs, "VirtualNode", "productpage").spec.listeners[0].timeout).toEqual({ http2: { perRequest: forty } });
    expect(find(objs, "VirtualNode", "batch").spec).not.toHaveProperty("listeners");
    expect(find(objs, "VirtualNode", "other").spec.listeners[0]).not.toHaveProperty("timeout");
  });

  test("no timeout: App Mesh's 15s default applies, said by an info diagnostic per route", () => {
    const r = run(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  routes:\n    - match: {path: {prefix: /a}}"));
    expect(r.ok).toBe(true);
    const infos = r.diagnostics.filter((d) => d.severity === "info" && d.feature === "timeout");
    expect(infos.map((d) => d.pointer)).toEqual(["/spec/routes/0"]);
    expect(infos[0].message).toContain("default 15s per-request timeout");
    expect(routes(r.resources, "api")[0].httpRoute).not.toHaveProperty("timeout");
  });

  test("omitted retries (and attempts: 0) disable App Mesh's default retry policy explicitly", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp(
          "p",
          "  destination: {service: api}\n  routes:\n    - match: {path: {prefix: /a}}\n      timeout: 3s\n    - match: {path: {prefix: /b}}\n      retries: {attempts: 0}",
        ),
    );
    const [a, b, dflt] = routes(objs, "api");
    expect(a.httpRoute.retryPolicy).toEqual({ maxRetries: 0, perRetryTimeout: { unit: "s", value: 3 }, tcpRetryEvents: ["connection-error"] });
    expect(b.httpRoute.retryPolicy).toEqual({ maxRetries: 0, perRetryTimeout: { unit: "s", value: 15 }, tcpRetryEvents: ["connection-error"] });
    expect(dflt.httpRoute.retryPolicy).toEqual({ maxRetries: 0, perRetryTimeout: { unit: "s", value: 15 }, tcpRetryEvents: ["connection-error"] });
  });

  test("attempts: 0 with perTryTimeout: the one try's bound is folded into timeout.perRequest (the smaller of both)", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp(
          "p",
          "  destination: {service: api}\n  routes:\n    - match: {path: {prefix: /a}}\n      retries: {attempts: 0, perTryTimeout: 1s}\n    - match: {path: {prefix: /b}}\n      timeout: 3s\n      retries: {attempts: 0, perTryTimeout: 1s}\n    - match: {path: {prefix: /c}}\n      timeout: 500ms\n      retries: {attempts: 0, perTryTimeout: 1s}",
        ),
    );
    const [a, b, c] = routes(objs, "api");
    expect(a.httpRoute.timeout).toEqual({ perRequest: { unit: "s", value: 1 } });
    expect(a.httpRoute.retryPolicy).toEqual({ maxRetries: 0, perRetryTimeout: { unit: "s", value: 1 }, tcpRetryEvents: ["connection-error"] });
    expect(b.httpRoute.timeout).toEqual({ perRequest: { unit: "s", value: 1 } });
    expect(c.httpRoute.timeout).toEqual({ perRequest: { unit: "ms", value: 500 } });
    // The bound comes from the policy: no "default 15s timeout" notice for route a.
    const r = run(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  retries: {attempts: 0, perTryTimeout: 1s}"));
    expect(r.diagnostics.filter((d) => d.feature === "timeout")).toEqual([]);
    // A per-try bound above App Mesh's 15s default raises the listener timeout, as a request timeout does.
    const long = ok(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  retries: {attempts: 0, perTryTimeout: 20s}"));
    expect(routes(long, "api")[0].httpRoute.timeout).toEqual({ perRequest: { unit: "s", value: 20 } });
    expect(find(long, "VirtualNode", "api").spec.listeners[0].timeout).toEqual({ http: { perRequest: { unit: "s", value: 20 } } });
    // On a tcp port there is no request timeout to fold it into: error (validation says so first: rule/http-on-tcp).
    const tcp = run(
      svc("db", "{ports: [{port: 5432, protocol: tcp}]}") + tp("p", "  destination: {service: db}\n  retries: {attempts: 0, perTryTimeout: 1s}"),
      { modelErrors: true },
    );
    expect(errors(tcp).map((d) => [d.pointer, d.feature])).toEqual([["/spec/retries/perTryTimeout", "timeout"]]);
  });

  test("retryOn maps to App Mesh events; reset and status codes only when a listed class covers them", () => {
    const objs = ok(
      svc("api", "{ports: [{port: 8080}]}") +
        tp(
          "p",
          '  destination: {service: api}\n  timeout: 3s\n  retries: {attempts: 3, perTryTimeout: 500ms, retryOn: [5xx, gateway-error, retriable-4xx, refused-stream, connect-failure, reset, "503", "409", retriable-status-codes]}',
        ),
    );
    expect(routes(objs, "api")[0].httpRoute.retryPolicy).toEqual({
      maxRetries: 3,
      perRetryTimeout: { unit: "ms", value: 500 },
      httpRetryEvents: ["server-error", "gateway-error", "client-error", "stream-error"],
      tcpRetryEvents: ["connection-error"],
    });
    // Default retryOn: connect-failure, refused-stream, 5xx; no perTryTimeout: the request bound.
    const dflt = ok(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  timeout: 2s\n  retries: {attempts: 2}"));
    expect(routes(dflt, "api")[0].httpRoute.retryPolicy).toEqual({
      maxRetries: 2,
      perRetryTimeout: { unit: "s", value: 2 },
      httpRetryEvents: ["server-error", "stream-error"],
      tcpRetryEvents: ["connection-error"],
    });
  });

  test("retry conditions App Mesh cannot express: one error each", () => {
    const r = run(
      svc("api", "{ports: [{port: 8080}]}") +
        tp("p", '  destination: {service: api}\n  retries: {attempts: 2, retryOn: [reset, "429", unavailable], backoff: 100ms}'),
    );
    // (one YAML line: ordered by pointer)
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.feature])).toEqual([
      ["adapter/unsupported-value", "/spec/retries/backoff", "retries"],
      ["adapter/unsupported-value", "/spec/retries/retryOn/0", "retries"],
      ["adapter/unsupported-value", "/spec/retries/retryOn/1", "retries"],
      ["adapter/unsupported-value", "/spec/retries/retryOn/2", "retries"],
    ]);
    expect(errors(r).map((d) => d.message.split(":")[0])).toEqual(["backoff", 'retryOn "reset"', 'retryOn "429"', 'retryOn "unavailable"']);
    // server-error is 500-508, 510, 511: 509 is not covered by 5xx.
    expect(
      errors(run(svc("api", "{ports: [{port: 8080}]}") + tp("p", '  destination: {service: api}\n  retries: {attempts: 2, retryOn: [5xx, "509"]}'))).map(
        (d) => d.pointer,
      ),
    ).toEqual(["/spec/retries/retryOn/1"]);
    // Envoy's 25ms default back-off is what App Mesh uses: accepted.
    expect(run(svc("api", "{ports: [{port: 8080}]}") + tp("p", "  destination: {service: api}\n  retries: {attempts: 2, backoff: 25ms}")).ok).toBe(true);
  });

  test("gRPC ports: grpcRoute with service/method from the path, metadata from headers, gRPC retry events", () => {
    const objs = ok(
      svc("inv", "{ports: [{port: 50051, protocol: grpc}]}") +
        tp(
          "p",
          "  destination: {service: inv}\n  routes:\n    - match: {path: {exact: /shop.Inventory/Get}, headers: {x-tenant: {exact: a}}}\n      retries: {attempts: 2, retryOn: [unavailable, cancelled]}\n    - match: {path: {prefix: /shop.Inventory/}}",
        ),
    );
    const [get, svcRoute] = routes(objs, "inv");
    expect(get.grpcRoute.match).toEqual({ serviceName: "shop.Inventory", methodName: "Get", metadata: [{ name: "x-tenant", match: { exact: "a" } }] });
    expect(get.grpcRoute.retryPolicy).toEqual({ maxRetries: 2, perRetryTimeout: { unit: "s", value: 15 }, grpcRetryEvents: ["cancelled", "unavailable"] });
    expect(svcRoute.grpcRoute.match).toEqual({ serviceName: "shop.Inventory" });
    const bad = run(
      svc("inv", "{ports: [{port: 50051, protocol: grpc}]}") +
        tp("p", "  destination: {service: inv}\n  routes:\n    - match: {path: {prefix: /shop}, method: GET}"),
    );
    expect(errors(bad).map((d) => d.pointer)).toEqual(["/spec/routes/0/match/method", "/spec/routes/0/match/path/prefix"]);
  });

  test("tcp ports: tcpRoute without retries; HTTP conditions and request timeouts are errors", () => {
    const objs = ok(svc("db", "{ports: [{port: 5432, protocol: tcp}]}") + tp("p", "  destination: {service: db}\n  retries: {attempts: 0}"));
    expect(routes(objs, "db")).toEqual([
      { name: "p", priority: 0, tcpRoute: { action: { weightedTargets: [{ virtualNodeRef: { name: "db" }, weight: 100 }] } } },
    ]);
    // (Validation refuses these first: rule/http-on-tcp; the adapter does not rely on it.)
    const r = run(
      svc("db", "{ports: [{port: 5432, protocol: tcp}]}") +
        tp("p", "  destination: {service: db}\n  timeout: 1s\n  retries: {attempts: 1}\n  routes:\n    - match: {path: {prefix: /x}}"),
      { modelErrors: true },
    );
    expect(errors(r).map((d) => d.pointer)).toEqual(["/spec/timeout", "/spec/retries", "/spec/routes/0/match"]);
  });

  test("more than 10 weighted targets cannot be expressed", () => {
    const subsets = Array.from({ length: 11 }, (_, i) => `{subset: {v: s${i}}, weight: ${i === 0 ? 90 : 1}}`).join(", ");
    const r = run(tp("p", `  destination: {service: api, port: 8080}\n  routes:\n    - split: [${subsets}]`));
    expect(errors(r).map((d) => [d.pointer, d.feature])).toEqual([["/spec/routes/0/split", "split"]]);
  });

  test("outlier detection: listeners of the service and its subset nodes, model defaults filled in", () => {
    const objs = ok(
      reviews +
        tp(
          "p",
          "  destination: {service: reviews}\n  outlierDetection: {consecutive5xxErrors: 3, interval: 500ms}\n  routes:\n    - split: [{subset: {version: v1}}]",
          "bookinfo",
        ),
    );
    const od = { maxServerErrors: 3, interval: { unit: "ms", value: 500 }, baseEjectionDuration: { unit: "s", value: 30 }, maxEjectionPercent: 10 };
    expect(find(objs, "VirtualNode", "reviews", "bookinfo").spec.listeners[0].outlierDetection).toEqual(od);
    expect(find(objs, "VirtualNode", "reviews-v1", "bookinfo").spec.listeners[0].outlierDetection).toEqual(od);
    // consecutive5xxErrors: 0 disables ejection: nothing emitted.
    const off = ok(reviews + tp("p", "  destination: {service: reviews}\n  outlierDetection: {consecutive5xxErrors: 0}", "bookinfo"));
    expect(find(off, "VirtualNode", "reviews", "bookinfo").spec.listeners[0]).not.toHaveProperty("outlierDetection");
  });

  test("a subset's own outlier detection goes to its routing node only; the service's elsewhere", () => {
    const objs = ok(
      reviews +
        tp(
          "p",
          "  destination: {service: reviews}\n  outlierDetection: {consecutive5xxErrors: 3, interval: 500ms}\n  subsetSettings:\n    - subset: {version: v2}\n      outlierDetection: {consecutive5xxErrors: 1, maxEjectionPercent: 100}\n  routes:\n    - split: [{subset: {version: v1}, weight: 50}, {subset: {version: v2}, weight: 50}]",
          "bookinfo",
        ),
    );
    const service = { maxServerErrors: 3, interval: { unit: "ms", value: 500 }, baseEjectionDuration: { unit: "s", value: 30 }, maxEjectionPercent: 10 };
    const v2 = { maxServerErrors: 1, interval: { unit: "s", value: 10 }, baseEjectionDuration: { unit: "s", value: 30 }, maxEjectionPercent: 100 };
    expect(find(objs, "VirtualNode", "reviews", "bookinfo").spec.listeners[0].outlierDetection).toEqual(service);
    expect(find(objs, "VirtualNode", "reviews-v1", "bookinfo").spec.listeners[0].outlierDetection).toEqual(service);
    expect(find(objs, "VirtualNode", "reviews-v2", "bookinfo").spec.listeners[0].outlierDetection).toEqual(v2);
  });

  describe("a connection pool meant for one subset never lands on the VirtualNode of every pod (issue 9 §2)", () => {
    const opt = { allow: ["connection-pool-per-instance"] };
    const listenerPools = (objs: any[]) =>
      objs.filter((o) => o.kind === "VirtualNode").map((o) => [o.metadata.name, (o.spec.listeners ?? []).map((l: any) => l.connectionPool ?? null)]);

    test("subsetSettings[].connectionPool: an error, with or without connection-pool-per-instance; no pool anywhere", () => {
      const text =
        reviews +
        tp(
          "p",
          "  destination: {service: reviews}\n  subsetSettings:\n    - subset: {version: v2}\n      connectionPool: {maxConnections: 5}\n  routes:\n    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v2}, weight: 10}]",
          "bookinfo",
        );
      for (const o of [{}, opt]) {
        const r = run(text, o);
        expect(errors(r).map((d) => [d.pointer, d.feature])).toEqual([["/spec/subsetSettings/0/connectionPool", "connectionPool"]]);
        expect(errors(r)[0].message).toContain("the routing VirtualNode of subset v2 has no pods of its own");
      }
    });

    test("the service's pool is on the identity VirtualNode (all its pods, which requests routed to a subset reach too), never on a subset's routing node, where no Envoy would apply it", () => {
      const objs = ok(
        reviews +
          tp(
            "p",
            "  destination: {service: reviews}\n  connectionPool: {maxConnections: 5}\n  routes:\n    - split: [{subset: {version: v2}, weight: 100}]",
            "bookinfo",
          ),
        opt,
      );
      expect(listenerPools(objs)).toEqual([
        ["reviews", [{ http: { maxConnections: 5 } }]],
        ["reviews-v2", [null]],
      ]);
    });

    test("a subset as a Service of its own (reviews-v2, Linkerd's convention) with a pool: refused when reviews' VirtualNode selects its pods too", () => {
      const v2svc = svc("reviews-v2", "{selector: {app: reviews, version: v2}, serviceAccount: reviews, ports: [{port: 9080}]}", "bookinfo");
      const r = run(reviews + v2svc + tp("p", "  destination: {service: reviews-v2}\n  connectionPool: {maxConnections: 5}", "bookinfo"), opt);
      expect(errors(r).map((d) => [codeFamily(d.code), d.pointer, d.policy])).toEqual([
        ["adapter/conflict", "/spec/selector", "MeshService/bookinfo/reviews-v2"],
      ]);
      // Selectors that may overlap (neither contains the other): a warning, the pool stays on reviews-v2's own node.
      const web = svc("reviews", "{selector: {app: reviews, tier: web}, ports: [{port: 9080}]}", "bookinfo");
      const w = run(web + v2svc + tp("p", "  destination: {service: reviews-v2}\n  connectionPool: {maxConnections: 5}", "bookinfo"), opt);
      expect(
        warnings(w)
          .filter((d) => d.pointer === "/spec/selector")
          .map((d) => d.policy),
      ).toEqual(["MeshService/bookinfo/reviews-v2"]);
      expect(listenerPools(w.resources)).toEqual([
        ["reviews", [null]],
        ["reviews-v2", [{ http: { maxConnections: 5 } }]],
      ]);
    });
  });

  test("connection pools: maxRequests on an HTTP/1.1 listener is never skipped silently", () => {
    const opt = { allow: ["connection-pool-per-instance"] };
    const http1 = (pool: string) => svc("api", "{ports: [{port: 8080}]}") + tp("p", `  destination: {service: api}\n  connectionPool: ${pool}`);
    // No maxConnections to bound it: error, saying what to do.
    const alone = run(http1("{maxRequests: 100}"), opt);
    expect(alone.ok).toBe(false);
    expect(errors(alone).map((d) => [codeFamily(d.code), d.pointer, d.feature])).toEqual([
      ["adapter/unsupported-value", "/spec/connectionPool/maxRequests", "connectionPool"],
    ]);
    expect(errors(alone)[0].message).toContain("set maxConnections to at most 100");
    expect(errors(alone)[0].message).toContain("http2 or grpc");
    // maxConnections above maxRequests does not bound it either: error.
    expect(errors(run(http1("{maxConnections: 200, maxRequests: 100}"), opt)).map((d) => d.pointer)).toEqual(["/spec/connectionPool/maxRequests"]);
    // maxConnections <= maxRequests keeps the limit (one request per HTTP/1.1 connection): info.
    const bounded = run(http1("{maxConnections: 10, maxRequests: 100}"), opt);
    expect(bounded.ok).toBe(true);
    expect(bounded.diagnostics.filter((d) => d.pointer === "/spec/connectionPool/maxRequests").map((d) => [d.severity, d.code, d.feature])).toEqual([
      ["info", "adapter/unsupported-value/connectionPool.maxRequests", "connectionPool"],
    ]);
    expect(find(bounded.resources, "VirtualNode", "api").spec.listeners[0].connectionPool).toEqual({ http: { maxConnections: 10 } });
  });

  test("connection pools: the fields App Mesh has no place for are each an error", () => {
    const r = run(
      svc("api", "{ports: [{port: 8080, protocol: http2}]}") +
        tp(
          "p",
          "  destination: {service: api}\n  connectionPool: {maxRequests: 10, maxRequestsPerConnection: 5, maxRetries: 3, connectTimeout: 1s, idleTimeout: 1m}",
        ),
      { allow: ["connection-pool-per-instance"] },
    );
    expect(
      errors(r)
        .map((d) => [d.pointer, d.feature])
        .sort(),
    ).toEqual([
      ["/spec/connectionPool/connectTimeout", "connectionPool"],
      ["/spec/connectionPool/idleTimeout", "connectionPool"],
      ["/spec/connectionPool/maxRequestsPerConnection", "connectionPool"],
      ["/spec/connectionPool/maxRetries", "connectionPool"],
    ]);
  });

  test("connection pools: error without the opt-in, per listener protocol with it", () => {
    const text =
      svc("api", "{ports: [{port: 8080}, {port: 9090, protocol: http2}]}") +
      tp("p", "  destination: {service: api}\n  connectionPool: {maxConnections: 10, maxPendingRequests: 5, maxRequests: 100}");
    const r = run(text);
    expect(errors(r).map((d) => [codeFamily(d.code), d.pointer])).toEqual([
      ["adapter/unsupported-value", "/spec/connectionPool"],
      ["adapter/unsupported-value", "/spec/connectionPool/maxConnections"],
      ["adapter/unsupported-value", "/spec/connectionPool/maxPendingRequests"],
    ]);
    const http1 =
      svc("api", "{ports: [{port: 8080}]}") +
      tp("p", "  destination: {service: api}\n  connectionPool: {maxConnections: 10, maxPendingRequests: 5, maxRequests: 100}");
    const objs = ok(http1, { allow: ["connection-pool-per-instance"] });
    expect(find(objs, "VirtualNode", "api").spec.listeners[0].connectionPool).toEqual({ http: { maxConnections: 10, maxPendingRequests: 5 } });
    const warned = run(http1, { allow: ["connection-pool-per-instance"] }).diagnostics.filter((d) => isCodeIn(d.code, "adapter/approximation"));
    expect(warned.map((d) => [d.severity, d.pointer])).toEqual([["warning", "/spec/connectionPool"]]);
  });
});

describe("appmesh: a policy for every port when the ports are only guessed", () => {
  test("its routes go to the ports other policies name, with a warning naming them (never silently); declared ports: no warning", () => {
    const text =
      tp("all-ports", "  destination: {service: api}\n  timeout: 2s") +
      tp("one-port", "  destination: {service: api, port: 8080}\n  routes:\n    - match: {path: {prefix: /v2/}}\n      timeout: 1s");
    const r = run(text);
    expect(r.ok).toBe(true);
    const w = warnings(r);
    expect(w.map((d) => `${d.policy} ${d.pointer} ${codeFamily(d.code)}`)).toEqual([
      "TrafficPolicy/shop/all-ports /spec/destination adapter/unsupported-value",
    ]);
    expect(w[0].message).toContain("its routes go only to the port other policies name (8080) and any other port gets no App Mesh route");
    expect(warnings(run(svc("api", "{ports: [{port: 8080}]}") + text))).toEqual([]);
  });
});
