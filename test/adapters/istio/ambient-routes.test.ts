/**
 * Istio ambient mode, routing at waypoints (--set dataplane=ambient): HTTPRoutes with a Service parentRef
 * and DestinationRule traffic policy, checked against istio.io's and istio/istio's own samples and
 * against what istiod's HTTPRoute conversion reads in each release
 * (istio/istio pilot/pkg/config/kube/gateway/conversion.go at the tags 1.22.0 ... 1.30.0).
 */
import { describe, expect, test } from "vitest";
import { run, ok, find, H } from "./helpers.js";
import type { TranslateResult } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";

/** Errors as `pointer code` (full codes). */
const errors = (r: TranslateResult) => r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`);

const AMBIENT = { settings: { dataplane: "ambient" } };
const EXPERIMENTAL = { settings: { dataplane: "ambient", channel: "experimental" } };

const REVIEWS = `${H}kind: MeshService
metadata: {name: reviews, namespace: default}
spec:
  serviceAccount: bookinfo-reviews
  ports: [{port: 9080, name: http, protocol: http}]
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
    - {name: v3, labels: {version: v3}}
---
${H}`;

/** The route objects without unimesh's metadata and rule names (which istio.io's samples do not have). */
function routeSpec(o: any): unknown {
  return { ...o.spec, rules: o.spec.rules.map(({ name: _n, ...r }: any) => r) };
}

describe("istio.io's ambient traffic samples, field by field", () => {
  test("getting-started 'Manage traffic' / samples/bookinfo/gateway-api/route-reviews-90-10.yaml: reviews 90% v1, 10% v2", () => {
    // istio.io content/en/docs/ambient/getting-started/manage-traffic (snip deploy_httproute) and
    // istio/istio samples/bookinfo/gateway-api/route-reviews-90-10.yaml, spec as upstream writes it:
    const upstream = {
      parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
      rules: [
        {
          backendRefs: [
            { name: "reviews-v1", port: 9080, weight: 90 },
            { name: "reviews-v2", port: 9080, weight: 10 },
          ],
        },
      ],
    };
    const out = ok(
      `${REVIEWS}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split:
        - {subset: {version: v1}, weight: 90}
        - {subset: {version: v2}, weight: 10}
`,
      AMBIENT,
    );
    expect(routeSpec(find(out, "HTTPRoute", "reviews-9080", "default"))).toEqual(upstream);
    // The Services of samples/bookinfo/platform/kube/bookinfo-versions.yaml are the backends: reviews-v1, -v2.
    // The waypoint serves reviews (istio.io usage/waypoint "Configure a service to use a specific waypoint").
    expect(find(out, "Gateway", "waypoint", "default").spec).toEqual({
      gatewayClassName: "istio-waypoint",
      listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
    });
    expect(find(out, "Service", "reviews", "default").metadata.labels).toEqual({
      "istio.io/ingress-use-waypoint": "true",
      "istio.io/use-waypoint": "waypoint",
    });
    // No access policy: nothing restricts callers (no allow-nothing at the waypoint, no ztunnel policy).
    expect(out.filter((o) => o.kind === "AuthorizationPolicy")).toEqual([]);
    // Never a VirtualService: classic APIs must not be mixed with the HTTPRoutes (istio.io usage/l7-features).
    expect(out.some((o) => o.kind === "VirtualService")).toBe(false);
  });

  test("route-reviews-v1.yaml: all of reviews to v1 (a single backend, no weight)", () => {
    const out = ok(
      `${REVIEWS}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split: [{subset: {version: v1}, weight: 100}]
`,
      AMBIENT,
    );
    expect(routeSpec(find(out, "HTTPRoute", "reviews-9080", "default"))).toEqual({
      parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
      rules: [{ backendRefs: [{ name: "reviews-v1", port: 9080 }] }],
    });
  });
});

describe("what each Istio release's waypoints read of an HTTPRoute (istiod's conversion.go)", () => {
  const retrying = (extra = "") => `${H}kind: TrafficPolicy
metadata: {name: ratings, namespace: default}
spec:
  destination: {service: ratings, port: 9080}
  timeout: 2s
  retries: {attempts: 3, perTryTimeout: 500ms, retryOn: ["503", connect-failure]${extra}}
`;

  test("retries: rules[].retry from Istio 1.25 (istio/istio#54800); 1.24 ignores it, so it is an error there", () => {
    // 1.24 is built against Gateway API 1.2, whose experimental CRDs have retry, but istiod does not read it.
    const r24 = run(retrying(), { version: "1.24", ...EXPERIMENTAL });
    expect(errors(r24)).toEqual(["/spec/retries adapter/unsupported-feature/retries.release"]);
    expect(r24.diagnostics.find((d) => d.severity === "error")!.message).toContain("Istio 1.24 does not read HTTPRoute.rules[].retry at waypoints");
    // 1.25: attempts and codes; connection failures are always retried by istiod (connect-failure,refused-stream,...).
    const r25 = run(retrying(), { version: "1.25", ...EXPERIMENTAL });
    expect(errors(r25)).toEqual([]);
    const rule = find(r25.resources, "HTTPRoute", "ratings-9080", "default").spec.rules[0];
    expect(rule.retry).toEqual({ attempts: 3, codes: [503] });
    // backendRequest becomes the per-try timeout when retry is set (conversion.go: vs.Retries.PerTryTimeout).
    expect(rule.timeouts).toEqual({ backendRequest: "500ms", request: "2s" });
    expect(
      validateAll(
        r25.resources.filter((o) => o.apiVersion !== "v1"),
        ["istio/1.30.3", "gateway-api/v1.6.1/experimental"],
      ),
    ).toEqual([]);
  });

  test("retry backoff: read from Istio 1.26 (1.25: 'Istio does not currently implement the Backoff field')", () => {
    const r25 = run(retrying(", backoff: 100ms"), { version: "1.25", ...EXPERIMENTAL });
    expect(errors(r25)).toEqual(["/spec/retries/backoff adapter/unsupported-value/retries.backoff"]);
    const r26 = run(retrying(", backoff: 100ms"), { version: "1.26", ...EXPERIMENTAL });
    expect(errors(r26)).toEqual([]);
    expect(find(r26.resources, "HTTPRoute", "ratings-9080", "default").spec.rules[0].retry).toEqual({ attempts: 3, backoff: "100ms", codes: [503] });
  });

  test("the standard channel has no rules[].retry: an error that names --set channel=experimental", () => {
    const r = run(retrying(), { version: "1.30", ...AMBIENT });
    expect(errors(r)).toEqual(["/spec/retries adapter/unsupported-feature/retries.release"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("--set channel=experimental");
  });

  test("mirror percent: not before Istio 1.24 (1.22-1.23 mirror every request)", () => {
    const yaml = `${H}kind: TrafficPolicy
metadata: {name: web, namespace: default}
spec:
  destination: {service: web, port: 80}
  mirror: {service: web-shadow, port: 80, percent: 10}
`;
    expect(errors(run(yaml, { version: "1.23", ...EXPERIMENTAL }))).toEqual(["/spec/mirror/percent adapter/unsupported-value/mirror.percent"]);
    // Istio 1.26 is built against Gateway API 1.3, where percent is standard.
    const out = ok(yaml, { version: "1.26", ...AMBIENT });
    expect(find(out, "HTTPRoute", "web-80", "default").spec.rules[0].filters).toEqual([
      { type: "RequestMirror", requestMirror: { backendRef: { name: "web-shadow", port: 80 }, percent: 10 } },
    ]);
  });

  test("rate limits and source-specific routes: errors at their fields, nothing emitted", () => {
    const r = run(
      `${H}kind: TrafficPolicy
metadata: {name: ratings, namespace: default}
spec:
  destination: {service: ratings, port: 9080}
  rateLimit: {requestsPerSecond: 10}
  routes:
    - match: {headers: {end-user: {exact: jason}}}
      faultInjection: {delay: {fixedDelay: 7s, percent: 100}}
    - match: {path: {exact: /gone}}
      directResponse: {status: 410}
---
${H}kind: TrafficPolicy
metadata: {name: ratings-for-reviews, namespace: default}
spec:
  source: {serviceAccounts: [bookinfo-reviews]}
  destination: {service: ratings, port: 9080}
  timeout: 1s
`,
      AMBIENT,
    );
    expect(errors(r).sort()).toEqual([
      "/spec/rateLimit adapter/unsupported-feature/rateLimit.waypoint",
      "/spec/source adapter/unsupported-feature/trafficSource.waypoint",
    ]);
    expect(r.resources).toEqual([]);
  });
});

const RATINGS = `${H}kind: MeshService
metadata: {name: ratings, namespace: default}
spec:
  serviceAccount: bookinfo-ratings
  ports: [{port: 9080, name: http, protocol: http}]
  subsets:
    - {name: v1, labels: {version: v1}}
---
${H}`;

describe("fault injection and direct responses at a waypoint: the destination's routes are a VirtualService", () => {
  test("istio.io's fault-injection task (samples/bookinfo/networking/virtual-service-ratings-test-delay.yaml), read by ratings' waypoint", () => {
    // istio/istio samples/bookinfo/networking/virtual-service-ratings-test-delay.yaml, http[] as upstream
    // writes it, with the subset v1 as the Service ratings-v1 (subsets are Services at waypoints) and the
    // FQDN host, port match and retries unimesh writes for every VirtualService.
    const upstream = [
      {
        match: [{ headers: { "end-user": { exact: "jason" } } }],
        fault: { delay: { percentage: { value: 100 }, fixedDelay: "7s" } },
        route: [{ destination: { host: "ratings", subset: "v1" } }],
      },
      { route: [{ destination: { host: "ratings", subset: "v1" } }] },
    ];
    const r = run(
      `${RATINGS}kind: TrafficPolicy
metadata: {name: ratings, namespace: default}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - match: {headers: {end-user: {exact: jason}}}
      faultInjection: {delay: {fixedDelay: 7s, percent: 100}}
      split: [{subset: {version: v1}}]
    - split: [{subset: {version: v1}}]
`,
      AMBIENT,
    );
    expect(errors(r)).toEqual([]);
    const host = "ratings-v1.default.svc.cluster.local";
    const vs = find(r.resources, "VirtualService", "ratings", "default");
    expect(vs.spec).toEqual({
      hosts: ["ratings.default.svc.cluster.local"],
      http: [
        {
          name: "ratings.0",
          match: [{ ...upstream[0].match![0], port: 9080 }],
          fault: upstream[0].fault,
          route: [{ destination: { host, port: { number: 9080 } } }],
          retries: { attempts: 0 },
        },
        { name: "ratings.1", match: [{ port: 9080 }], route: [{ destination: { host, port: { number: 9080 } } }], retries: { attempts: 0 } },
      ],
    });
    // No HTTPRoute for ratings (VirtualService and HTTPRoute must not be mixed for one workload); the
    // waypoint, the Service's use-waypoint label; the Alpha status is a warning at the fault.
    expect(r.resources.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["Gateway/waypoint", "Service/ratings", "VirtualService/ratings"]);
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => `${d.pointer} ${d.code}`)).toEqual([
      "/spec/routes/0/faultInjection adapter/note/faultInjection.waypoint-virtual-service",
    ]);
    expect(r.diagnostics.find((d) => d.code.endsWith("waypoint-virtual-service"))!.message).toContain("Alpha");
    expect(r.diagnostics.some((d) => d.code === "adapter/note/split" && d.message.includes("ratings-v1 (selector"))).toBe(true);
    expect(
      validateAll(
        r.resources.filter((o) => o.apiVersion !== "v1"),
        ["istio/1.30.3", "gateway-api/v1.6.1/standard"],
      ),
    ).toEqual([]);
  });

  test("a direct response too; retries in the VirtualService also where waypoints ignore HTTPRoute retry (before 1.25)", () => {
    const input = `${H}kind: TrafficPolicy
metadata: {name: web, namespace: default}
spec:
  destination: {service: web, port: 8080}
  retries: {attempts: 2, retryOn: [5xx]}
  routes:
    - match: {path: {exact: /gone}}
      directResponse: {status: 410, body: gone}
    - timeout: 5s
`;
    for (const version of ["1.22", "1.30"]) {
      const r = run(input, { ...AMBIENT, version });
      expect(errors(r)).toEqual([]);
      const vs = find(r.resources, "VirtualService", "web", "default");
      expect(vs.spec.http).toEqual([
        {
          name: "web.0",
          match: [{ port: 8080, uri: { exact: "/gone" } }],
          directResponse: { status: 410, body: { string: "gone" } },
          retries: { attempts: 0 },
        },
        {
          name: "web.1",
          match: [{ port: 8080 }],
          route: [{ destination: { host: "web.default.svc.cluster.local", port: { number: 8080 } } }],
          retries: { attempts: 2, retryOn: "5xx" },
          timeout: "5s",
        },
        // Other ports of web (not declared), as in sidecar mode.
        { name: "unimesh-default", route: [{ destination: { host: "web.default.svc.cluster.local" } }], retries: { attempts: 0 } },
      ]);
    }
    // Without the direct response, the routes are HTTPRoutes, whose retry (and, in Istio 1.22's Gateway API
    // 1.1 standard channel, timeouts) 1.22's waypoints do not read.
    const plain = run(input.replace(/ {4}- match: \{path: \{exact: \/gone\}\}\n {6}directResponse: .*\n/, ""), { ...AMBIENT, version: "1.22" });
    expect(errors(plain)).toEqual([
      "/spec/retries adapter/unsupported-feature/retries.release",
      "/spec/routes/0/timeout adapter/unsupported-feature/timeout.release",
    ]);
    expect(plain.resources.some((o) => o.kind === "VirtualService")).toBe(false);
  });

  test("Istio 1.22-1.23 waypoints ignore rewrite.uriRegexRewrite: an error there, emitted from 1.24", () => {
    const input = `${H}kind: TrafficPolicy
metadata: {name: web, namespace: default}
spec:
  destination: {service: web, port: 8080}
  routes:
    - match: {path: {exact: /old}}
      rewrite: {path: {replaceFullPath: /new}}
      faultInjection: {abort: {httpStatus: 503, percent: 1}}
`;
    expect(errors(run(input, { ...AMBIENT, version: "1.23" }))).toEqual(["/spec/routes/0/rewrite adapter/unsupported-value/rewrite.waypoint-regex-rewrite"]);
    const r = run(input, { ...AMBIENT, version: "1.24" });
    expect(errors(r)).toEqual([]);
    expect(find(r.resources, "VirtualService", "web", "default").spec.http[0].rewrite).toEqual({ uriRegexRewrite: { match: "^.*$", rewrite: "/new" } });
  });
});

describe("string prefixes and regexes at a waypoint: HTTPRoute RegularExpression paths (RE2, as Istio reads them)", () => {
  test("a string prefix is <escaped prefix>.*; the rules for every request become the RegularExpression .* so they rank after it", () => {
    const r = run(
      `${H}kind: TrafficPolicy
metadata: {name: ratings, namespace: default}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - match: {path: {prefix: /ratings/}}
      timeout: 1s
    - match: {path: {regex: "/v[0-9]+(/.*)?"}}
      timeout: 2s
    - match: {path: {prefix: /a.b}, method: GET}
      timeout: 3s
    - match: {headers: {x-tenant: {prefix: acme-}, x-debug: {present: true}, user-agent: {regex: ".*Mobile.*"}}, queryParams: {v: {regex: "[0-9]+"}}}
      timeout: 4s
`,
      AMBIENT,
    );
    expect(errors(r)).toEqual([]);
    const route = find(r.resources, "HTTPRoute", "ratings-9080", "default");
    expect(route.spec.rules.map((x: any) => x.matches)).toEqual([
      [{ path: { type: "RegularExpression", value: "/ratings/.*" } }],
      [{ path: { type: "RegularExpression", value: "/v[0-9]+(/.*)?" } }],
      [{ method: "GET", path: { type: "RegularExpression", value: "/a\\.b.*" } }],
      [
        {
          headers: [
            { name: "user-agent", type: "RegularExpression", value: ".*Mobile.*" },
            { name: "x-debug", type: "RegularExpression", value: ".*" },
            { name: "x-tenant", type: "RegularExpression", value: "acme-.*" },
          ],
          path: { type: "RegularExpression", value: ".*" },
          queryParams: [{ name: "v", type: "RegularExpression", value: "[0-9]+" }],
        },
      ],
      [{ path: { type: "RegularExpression", value: ".*" } }],
    ]);
    expect(
      validateAll(
        r.resources.filter((o) => o.kind === "HTTPRoute"),
        ["gateway-api/v1.6.1/standard"],
      ),
    ).toEqual([]);
    // The portable Gateway API target keeps refusing them (RegularExpression is implementation-specific there).
  });

  test("Istio ranks RegularExpression after every PathPrefix: a later segment-prefix or header-only route that overlaps is an error", () => {
    const r = run(
      `${H}kind: TrafficPolicy
metadata: {name: ratings, namespace: default}
spec:
  destination: {service: ratings, port: 9080}
  routes:
    - match: {path: {prefix: /ratings/}}
      timeout: 1s
    - match: {path: {segmentPrefix: /ratings}}
      timeout: 2s
    - match: {path: {prefix: /other}}
      timeout: 3s
    - match: {path: {segmentPrefix: /elsewhere}}
      timeout: 4s
`,
      AMBIENT,
    );
    // /ratings (PathPrefix) would take /ratings/x from the earlier /ratings/ prefix; /elsewhere is disjoint from both prefixes.
    expect(errors(r)).toEqual(["/spec/routes/1/match adapter/unsupported-value/match.route-order"]);
  });
});

describe("a routed destination's access policies move to the waypoint", () => {
  test("L4-only rules of a routed service: targetRefs at the waypoint, ztunnel admits only the waypoint (it sees the waypoint's identity)", () => {
    const out = ok(
      `${REVIEWS}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  timeout: 3s
---
${H}kind: AccessPolicy
metadata: {name: reviews-readers, namespace: default}
spec:
  destination: {service: reviews}
  allow:
    - source: {serviceAccounts: [bookinfo-productpage]}
`,
      AMBIENT,
    );
    const allow = find(out, "AuthorizationPolicy", "reviews-allow", "default");
    expect(allow.spec).toEqual({
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/bookinfo-productpage"] } }] }],
      targetRefs: [{ group: "", kind: "Service", name: "reviews" }],
    });
    expect(find(out, "AuthorizationPolicy", "reviews-ztunnel", "default").spec).toEqual({
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/waypoint"] } }] }],
      selector: { matchLabels: { app: "reviews" } },
    });
    // No selector policy naming productpage: ztunnel would see the waypoint, never productpage, and refuse everything.
    expect(out.filter((o) => o.kind === "AuthorizationPolicy" && JSON.stringify(o.spec).includes("bookinfo-productpage") && (o.spec as any).selector)).toEqual(
      [],
    );
    expect(find(out, "HTTPRoute", "reviews-9080", "default").spec.rules).toEqual([
      { backendRefs: [{ name: "reviews", port: 9080 }], name: "reviews", timeouts: { request: "3s" } },
    ]);
  });

  test("a routed service under a namespace-wide AccessPolicy is refused (ztunnel would judge the waypoint, not the caller)", () => {
    const r = run(
      `${H}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  timeout: 3s
---
${H}kind: AccessPolicy
metadata: {name: ns, namespace: default}
spec:
  allow:
    - source: {namespaces: [default]}
`,
      AMBIENT,
    );
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value/scope.needs-waypoint"]);
  });
});

describe("traffic policy at waypoints: DestinationRule per host the waypoint sends to", () => {
  test("outlier detection on reviews, a subset's own connection pool: reviews and each subset Service's DestinationRule", () => {
    const r = run(
      `${REVIEWS}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - split:
        - {subset: {version: v1}, weight: 90}
        - {subset: {version: v3}, weight: 10}
  outlierDetection: {consecutive5xxErrors: 5, interval: 10s}
  subsetSettings:
    - subset: {version: v3}
      connectionPool: {maxConnections: 10}
      outlierDetection: {consecutive5xxErrors: 1}
`,
      AMBIENT,
    );
    expect(errors(r)).toEqual([]);
    const od = { consecutive5xxErrors: 5, interval: "10s" };
    expect(find(r.resources, "DestinationRule", "reviews", "default").spec).toEqual({
      host: "reviews.default.svc.cluster.local",
      trafficPolicy: { outlierDetection: od },
    });
    expect(find(r.resources, "DestinationRule", "reviews-v1", "default").spec).toEqual({
      host: "reviews-v1.default.svc.cluster.local",
      trafficPolicy: { outlierDetection: od },
    });
    // A subset's own setting replaces the destination's of the same kind (as subsets[].trafficPolicy in sidecar mode).
    expect(find(r.resources, "DestinationRule", "reviews-v3", "default").spec).toEqual({
      host: "reviews-v3.default.svc.cluster.local",
      trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } }, outlierDetection: { consecutive5xxErrors: 1 } },
    });
    // No subsets in ambient DestinationRules: the waypoint's backends are Services, not pod subsets.
    expect(r.resources.filter((o) => o.kind === "DestinationRule").every((o) => !(o.spec as any).subsets)).toBe(true);
    // DestinationRule is Alpha in ambient mode (istio.io): a warning.
    expect(r.diagnostics.filter((d) => d.code.endsWith("waypoint-destination-rule")).map((d) => d.severity)).toEqual(["warning"]);
  });
});

describe("apply order of the waypoint objects (first apply: no window where the waypoint serves without its policies)", () => {
  test("Gateway and DestinationRule, then routes, then authorization, then the Service label patches; prune in reverse", async () => {
    const { applyRank, inApplyOrder } = await import("../../../src/kube/kinds.js");
    const { istio } = await import("../../../src/index.js");
    const out = ok(
      `${REVIEWS}kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews, port: 9080}
  timeout: 3s
  outlierDetection: {consecutive5xxErrors: 5}
---
${H}kind: AccessPolicy
metadata: {name: reviews-readers, namespace: default}
spec:
  destination: {service: reviews}
  allow:
    - source: {serviceAccounts: [bookinfo-productpage]}
      methods: [GET]
`,
      AMBIENT,
    );
    const order = inApplyOrder(out, (o) => o, [istio]).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(order.indexOf("Service/reviews")).toBe(order.length - 1);
    for (const before of [
      "Gateway/waypoint",
      "DestinationRule/reviews",
      "HTTPRoute/reviews-9080",
      "AuthorizationPolicy/reviews-allow",
      "AuthorizationPolicy/reviews-ztunnel",
    ]) {
      expect(order.indexOf(before)).toBeLessThan(order.indexOf("Service/reviews"));
    }
    // After the authorization stage: when a grant fails to apply, the label is not applied at all. Other
    // Service patches keep the core's rank (before the routes).
    expect(applyRank({ apiVersion: "v1", kind: "Service" }, [istio])).toBe(30);
    expect(applyRank({ apiVersion: "v1", kind: "Service", metadata: { labels: { "istio.io/use-waypoint": "waypoint" } } }, [istio])).toBeGreaterThan(
      applyRank({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", spec: { action: "ALLOW" } }, [istio]),
    );
  });
});
