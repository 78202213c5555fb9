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

  test("fault injection, direct responses, rate limits and source-specific routes: errors at their fields, nothing emitted", () => {
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
      "/spec/routes/0/faultInjection adapter/unsupported-feature/faultInjection.waypoint",
      "/spec/routes/1/directResponse adapter/unsupported-feature/directResponse.waypoint",
      "/spec/source adapter/unsupported-feature/trafficSource.waypoint",
    ]);
    expect(r.resources).toEqual([]);
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
