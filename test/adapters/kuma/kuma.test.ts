/**
 * The Kuma adapter, feature by feature, on the semantics Kuma documents and implements (kuma v2.14.3:
 * `pkg/plugins/policies/*`, `pkg/defaults/mesh/*`; kuma.io / developer.konghq.com mesh docs). Every output
 * passes the CRDs and Kuma's admission rules (helpers.ts `kumaAdmission`).
 */
import { readdirSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import yaml from "js-yaml";
import { describe, expect, test } from "vitest";
import { FEATURES, type KubeObject, kuma } from "../../../src/index.js";
import { KUMA_FEATURES } from "../../../src/adapters/kuma/index.js";
import { kumaCluster } from "../../../src/adapters/kuma/cluster.js";
import { compareKuma, literalPrefix } from "../../../src/adapters/kuma/features/match.js";
import { brief, find, kumaAdmission, run } from "./helpers.js";
import { type KumaObject, kumaAuthorize } from "../../support/kuma-authz-oracle.js";

const TP = (spec: string, name = "p", ns = "shop") => `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}
`;
const SVC = (name: string, ports = "[{port: 8080, name: http}]", extra = "") => `apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: ${name}, namespace: shop}
spec: {ports: ${ports}${extra}}
`;
const STRICT = `apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: strict, namespace: shop}
spec: {mode: strict}
`;
const doc = (...d: string[]) => d.join("---\n");
/** The diagnostics about policies (without the one global note on Kuma's preconditions). */
const own = (r: Parameters<typeof brief>[0]) => brief(r).filter((l) => !l.startsWith("- "));

describe("capabilities come from the feature modules", () => {
  test("one module per model feature, in FEATURES order", () => {
    expect(KUMA_FEATURES.flatMap((m) => m.features)).toEqual([...FEATURES]);
    expect(Object.keys(kuma.capabilities("2.14")).sort()).toEqual([...FEATURES].sort());
  });
});

describe("retries: Kuma's default MeshRetry (5 retries) is switched off where the model means none", () => {
  test("a TrafficPolicy without retries gets numRetries: 0 for HTTP and gRPC on its MeshService", () => {
    const r = run(doc(SVC("cart"), TP("  destination: {service: cart}\n  timeout: 2s")));
    expect(r.ok).toBe(true);
    const mr = find(r.resources, "MeshRetry", "cart");
    expect(mr.spec).toEqual({
      targetRef: { kind: "Mesh" },
      to: [{ targetRef: { kind: "MeshService", name: "cart" }, default: { http: { numRetries: 0 }, grpc: { numRetries: 0 } } }],
    });
    // kuma pkg/defaults/mesh/meshretry.go: the default has http and grpc numRetries 5 and perTryTimeout 16s.
    expect(find(r.resources, "MeshTimeout", "cart").spec.to).toEqual([
      { targetRef: { kind: "MeshService", name: "cart" }, default: { http: { requestTimeout: "2s" } } },
    ]);
  });

  test("retries given: every field Kuma would merge from its default is written (per-try timeout 0s = none)", () => {
    const r = run(doc(SVC("cart"), TP('  destination: {service: cart}\n  retries: {attempts: 3, retryOn: [5xx, reset, "409"]}')));
    expect(find(r.resources, "MeshRetry", "cart").spec.to[0].default).toEqual({
      http: { numRetries: 3, perTryTimeout: "0s", retryOn: ["5xx", "Reset", "409"] },
      grpc: { numRetries: 0 },
    });
  });

  test("attempts: 0 with a per-try timeout: the one try is bounded, as a request timeout (the smaller one)", () => {
    const r = run(doc(SVC("cart"), TP("  destination: {service: cart}\n  timeout: 5s\n  retries: {attempts: 0, perTryTimeout: 800ms}")));
    expect(find(r.resources, "MeshTimeout", "cart").spec.to[0].default).toEqual({ http: { requestTimeout: "800ms" } });
    expect(find(r.resources, "MeshRetry", "cart").spec.to[0].default).toEqual({ http: { numRetries: 0 }, grpc: { numRetries: 0 } });
  });

  test("routes of a service with several declared ports: one `to` entry per port, each backendRef on its port", () => {
    const r = run(
      doc(SVC("api", "[{port: 8080, name: http}, {port: 9000}]"), TP("  destination: {service: api}\n  routes:\n    - split: [{subset: {version: v2}}]")),
    );
    expect(find(r.resources, "MeshHTTPRoute", "api").spec.to.map((t: any) => [t.targetRef.sectionName, t.rules[0].default.backendRefs[0].port])).toEqual([
      ["http", 8080],
      ["9000", 9000],
    ]);
  });

  test("gRPC conditions on a declared HTTP service would be ignored by Kuma: error", () => {
    const r = run(doc(SVC("cart"), TP("  destination: {service: cart}\n  retries: {attempts: 2, retryOn: [unavailable]}")));
    expect(brief(r)).toEqual(["TrafficPolicy/shop/p /spec/retries/retryOn error adapter/unsupported-value/retries.retryOn-protocol"]);
  });
});

describe("routes: one MeshHTTPRoute, Kuma's rule order checked", () => {
  test("header route before the catch-all: Kuma sorts the path-less rules by header count, same order", () => {
    const r = run(
      doc(
        SVC("reviews", "[{port: 9080, name: http}]"),
        TP(
          `  destination: {service: reviews, port: 9080}
  routes:
    - name: jason
      match: {headers: {end-user: {exact: jason}}}
      split: [{subset: {version: v2}, weight: 100}]
    - split: [{subset: {version: v1}, weight: 90}, {subset: {version: v3}, weight: 10}]`,
          "canary",
          "shop",
        ),
      ),
    );
    expect(r.ok).toBe(true);
    const route = find(r.resources, "MeshHTTPRoute", "reviews");
    expect(route.spec.to[0].targetRef).toEqual({ kind: "MeshService", name: "reviews" });
    expect(route.spec.to[0].rules).toEqual([
      {
        matches: [{ headers: [{ type: "Exact", name: "end-user", value: "jason" }] }],
        default: { backendRefs: [{ kind: "MeshService", name: "reviews-v2", port: 9080, weight: 100 }] },
      },
      {
        matches: [{}],
        default: {
          backendRefs: [
            { kind: "MeshService", name: "reviews-v1", port: 9080, weight: 90 },
            { kind: "MeshService", name: "reviews-v3", port: 9080, weight: 10 },
          ],
        },
      },
    ]);
  });

  test("a header route written before a path route: Kuma tries the path route first; requests matching both are an error", () => {
    const r = run(
      doc(
        SVC("ratings"),
        TP(`  destination: {service: ratings}
  routes:
    - match: {headers: {end-user: {exact: jason}}}
      split: [{subset: {version: v2}}]
    - match: {path: {prefix: /ratings/}}
      split: [{subset: {version: v1}}]`),
      ),
    );
    expect(brief(r)).toEqual([
      "TrafficPolicy/shop/p /spec/routes/1/match error adapter/unsupported-value/match.route-order",
      "TrafficPolicy/shop/p /spec/routes/1/split info adapter/note/split.subset-services",
    ]);
    expect(r.diagnostics[0].message).toContain("this route would be tried before route p.0");
    expect(r.resources).toEqual([]);
  });

  test("disjoint paths may be reordered: no error (exact /items/1 vs regex ^/orders/)", () => {
    const r = run(
      doc(
        SVC("api"),
        TP(`  destination: {service: api}
  routes:
    - match: {path: {prefix: /orders/}}
      split: [{subset: {version: v2}}]
    - match: {path: {regex: "^/items/[0-9]+$"}}
      split: [{subset: {version: v1}}]`),
      ),
    );
    expect(r.ok).toBe(true);
  });

  test("Kuma's CompareMatch (meshhttproute compare.go): exact < prefix < regex (longer first) < no path; then method, headers, query", () => {
    const sorted = [
      { headers: [{ type: "Exact", name: "a", value: "1" }] },
      { path: { type: "RegularExpression", value: "/a.*" } },
      {},
      { method: "GET" },
      { path: { type: "Exact", value: "/x" } },
      { path: { type: "RegularExpression", value: "/abc.*" } },
    ].sort(compareKuma as any);
    expect(sorted).toEqual([
      { path: { type: "Exact", value: "/x" } },
      { path: { type: "RegularExpression", value: "/abc.*" } },
      { path: { type: "RegularExpression", value: "/a.*" } },
      { method: "GET" },
      { headers: [{ type: "Exact", name: "a", value: "1" }] },
      {},
    ]);
    expect(literalPrefix("^/items/[0-9]+$")).toBe("/items/");
    expect(literalPrefix("/a\\.b/x?")).toBe("/a.b/");
    expect(literalPrefix("a|b")).toBe("");
  });

  test("route-specific timeouts and retries: one MeshHTTPRoute per route, targeted by MeshTimeout and MeshRetry; the rest keeps numRetries 0", () => {
    const r = run(
      doc(
        SVC("search"),
        TP(`  destination: {service: search}
  routes:
    - name: export
      match: {path: {exact: /export}}
      timeout: 90s
      retries: {attempts: 2, perTryTimeout: 30s}
    - name: rest
      timeout: 1500ms`),
      ),
    );
    expect(r.ok).toBe(true);
    expect(r.resources.filter((o) => o.kind === "MeshHTTPRoute").map((o) => o.metadata.name)).toEqual(["search-p-export", "search-p-rest"]);
    expect(find(r.resources, "MeshTimeout", "search").spec.to).toEqual([
      { targetRef: { kind: "MeshHTTPRoute", name: "search-p-export" }, default: { http: { requestTimeout: "90s" } } },
      { targetRef: { kind: "MeshHTTPRoute", name: "search-p-rest" }, default: { http: { requestTimeout: "1500ms" } } },
    ]);
    expect(find(r.resources, "MeshRetry", "search").spec.to).toEqual([
      { targetRef: { kind: "MeshService", name: "search" }, default: { http: { numRetries: 0 }, grpc: { numRetries: 0 } } },
      {
        targetRef: { kind: "MeshHTTPRoute", name: "search-p-export" },
        default: { http: { numRetries: 2, perTryTimeout: "30s", retryOn: ["ConnectFailure", "RefusedStream", "5xx"] }, grpc: { numRetries: 0 } },
      },
    ]);
  });

  test("cors, direct responses and caller-specific routes have no Kuma form: errors naming the field", () => {
    const r = run(
      doc(
        SVC("api"),
        TP(`  destination: {service: api}
  source: {serviceAccounts: [mobile]}
  cors: {allowOrigins: [{exact: "https://a.example"}]}
  routes:
    - match: {path: {exact: /down}}
      directResponse: {status: 503}`),
      ),
    );
    expect(brief(r)).toEqual([
      "TrafficPolicy/shop/p /spec/source error adapter/unsupported-feature/trafficSource",
      "TrafficPolicy/shop/p /spec/cors error adapter/unsupported-feature/cors",
      "TrafficPolicy/shop/p /spec/routes/0/directResponse error adapter/unsupported-feature/directResponse",
    ]);
  });
});

describe("split targets that are other Services; unmatched requests", () => {
  test("another Service of the namespace is a MeshService backendRef on the route's port (its own port when the target names one)", () => {
    // Linkerd's dynamic request routing, as Kuma writes it: backend-a's requests with x-request-id: alternative
    // go to backend-b; 90/10 between web and web-next.
    const r = run(
      doc(
        SVC("web", "[{port: 80}]"),
        SVC("web-next", "[{port: 80}, {port: 8080}]"),
        TP(`  destination: {service: web, port: 80}
  routes:
    - match: {headers: {x-request-id: {exact: alternative}}}
      split: [{service: web-next, port: 8080}]
    - split: [{weight: 90}, {service: web-next, weight: 10}]`),
      ),
    );
    expect(own(r)).toEqual([]);
    const rules = find(r.resources, "MeshHTTPRoute", "web").spec.to[0].rules;
    expect(rules.map((x: any) => x.default.backendRefs)).toEqual([
      [{ kind: "MeshService", name: "web-next", port: 8080, weight: 100 }],
      [
        { kind: "MeshService", name: "web", port: 80, weight: 90 },
        { kind: "MeshService", name: "web-next", port: 80, weight: 10 },
      ],
    ]);
  });

  test("one target that is another Service, on a TCP port: a MeshTCPRoute backendRef", () => {
    const r = run(
      doc(
        SVC("db", "[{port: 5432, protocol: tcp}]"),
        SVC("db-replica", "[{port: 5432, protocol: tcp}]"),
        TP("  destination: {service: db, port: 5432}\n  routes:\n    - split: [{service: db-replica}]", "p"),
      ),
    );
    expect(own(r)).toEqual([]);
    expect(find(r.resources, "MeshTCPRoute", "db").spec.to[0].rules).toEqual([
      { default: { backendRefs: [{ kind: "MeshService", name: "db-replica", port: 5432, weight: 100 }] } },
    ]);
  });

  test("'answer 404 for the rest' is an error: Kuma 2.14 appends a catch-all route to the MeshService (listeners.go prepareRoutes)", () => {
    const r = run(
      doc(
        SVC("api"),
        TP(`  destination: {service: api, port: 8080}
  routes:
    - match: {path: {exact: /v1}}
    - directResponse: {status: 404}`),
      ),
    );
    expect(r.ok).toBe(false);
    expect(own(r)).toEqual(["TrafficPolicy/shop/p /spec/routes/1/directResponse error adapter/unsupported-value/directResponse.not-found-for-the-rest"]);
    expect(r.diagnostics.find((d) => d.pointer === "/spec/routes/1/directResponse")?.message).toMatch(
      /sends requests no MeshHTTPRoute rule matches to shop\/api itself/,
    );
  });
});

describe("faults are injected at the destination's inbound", () => {
  test("the same fault for every request: MeshFaultInjection on the pods, from every caller", () => {
    const r = run(
      doc(
        SVC("inventory"),
        TP("  destination: {service: inventory}\n  faultInjection: {delay: {fixedDelay: 2s, percent: 5}, abort: {httpStatus: 503, percent: 1.5}}"),
      ),
    );
    expect(find(r.resources, "MeshFaultInjection", "inventory").spec).toEqual({
      targetRef: { kind: "Dataplane", labels: { app: "inventory" } },
      from: [{ targetRef: { kind: "Mesh" }, default: { http: [{ delay: { value: "2s", percentage: "5" }, abort: { httpStatus: 503, percentage: "1.5" } }] } }],
    });
  });

  test("an abort next to retries: the caller's MeshRetry would retry it; error", () => {
    const r = run(doc(SVC("inventory"), TP("  destination: {service: inventory}\n  retries: {attempts: 2}\n  faultInjection: {abort: {httpStatus: 503}}")));
    expect(brief(r)).toEqual(["TrafficPolicy/shop/p /spec/faultInjection/abort error adapter/unsupported-value/faultInjection.retried-abort"]);
  });

  test("a fault on one route only: unmatched requests would get it too; error", () => {
    const r = run(
      doc(
        SVC("inventory"),
        TP('  destination: {service: inventory}\n  routes:\n    - match: {headers: {x-chaos: {exact: "1"}}}\n      faultInjection: {delay: {fixedDelay: 1s}}'),
      ),
    );
    expect(brief(r)).toEqual(["TrafficPolicy/shop/p /spec/routes/0/faultInjection error adapter/unsupported-value/faultInjection.non-uniform"]);
  });
});

describe("destination settings", () => {
  test("outlier detection, connection limits, load balancer, rate limit", () => {
    const r = run(
      doc(
        SVC("db"),
        TP(`  destination: {service: db}
  outlierDetection: {consecutive5xxErrors: 3, consecutiveGatewayErrors: 2, interval: 5s}
  connectionPool: {maxConnections: 10, maxPendingRequests: 5, connectTimeout: 500ms}
  loadBalancer: {algorithm: consistent-hash, consistentHash: {header: X-User}}
  rateLimit: {requestsPerSecond: 50}`),
      ),
    );
    expect(r.ok).toBe(true);
    expect(find(r.resources, "MeshCircuitBreaker", "db").spec.to[0].default).toEqual({
      connectionLimits: { maxConnections: 10, maxPendingRequests: 5 },
      outlierDetection: {
        disabled: false,
        interval: "5s",
        baseEjectionTime: "30s",
        maxEjectionPercent: 10,
        detectors: { totalFailures: { consecutive: 3 }, gatewayFailures: { consecutive: 2 } },
      },
    });
    expect(find(r.resources, "MeshTimeout", "db").spec.to).toEqual([
      { targetRef: { kind: "MeshService", name: "db" }, default: { connectionTimeout: "500ms" } },
    ]);
    expect(find(r.resources, "MeshLoadBalancingStrategy", "db").spec.to[0].default).toEqual({
      loadBalancer: { type: "RingHash", ringHash: { hashPolicies: [{ type: "Header", header: { name: "x-user" } }] } },
    });
    expect(find(r.resources, "MeshRateLimit", "db").spec).toEqual({
      targetRef: { kind: "Dataplane", labels: { app: "db" } },
      from: [{ targetRef: { kind: "Mesh" }, default: { local: { http: { requestRate: { num: 50, interval: "1s" } } } } }],
    });
  });

  test("a burst other than the rate, requests per connection: errors", () => {
    const r = run(
      doc(SVC("db"), TP("  destination: {service: db}\n  rateLimit: {requestsPerSecond: 50, burst: 100}\n  connectionPool: {maxRequestsPerConnection: 1}")),
    );
    expect(brief(r)).toEqual([
      "TrafficPolicy/shop/p /spec/rateLimit/burst error adapter/unsupported-value/rateLimit.burst",
      "TrafficPolicy/shop/p /spec/connectionPool/maxRequestsPerConnection error adapter/unsupported-value/connectionPool.maxRequestsPerConnection",
    ]);
  });
});

const AP = (name: string, spec: string, ns = "shop") => `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}
`;

describe("access: deny by default once selected, deny wins (MeshTrafficPermission rules)", () => {
  test("kuma's inbound-rules-deny-precedence example: a mesh-wide allow and a service deny, both as rules", () => {
    // test/e2e_env/universal/envoyconfig/testdata/sidecars/meshtrafficpermission/inbound-rules-deny-precedence.input.yaml
    // (v2.14.3): Kuma emits every deny matcher before every allow matcher (rbac_configurer.go createMatcher).
    const r = run(
      doc(
        STRICT,
        SVC("test-server"),
        AP("everyone", '  scope: mesh\n  allow: [{source: {serviceAccounts: ["*"]}}]', "platform"),
        AP("no-backend", '  destination: {service: test-server}\n  allow: [{source: {serviceAccounts: ["*"]}}]\n  deny: [{source: {namespaces: [backend]}}]'),
        `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: mesh-strict, namespace: platform}\nspec: {scope: mesh, mode: strict}\n`,
      ),
      { trustDomain: "trust-domain.mesh" },
    );
    expect(r.ok).toBe(true);
    // Every caller of the trust domain: `spiffe://trust-domain.mesh/ns`, not the bare trust domain, which as a
    // string prefix would also admit a federated `spiffe://trust-domain.mesh2/...` (Kuma refuses a trailing `/`).
    expect(find(r.resources, "MeshTrafficPermission", "platform-everyone")).toMatchObject({
      metadata: { namespace: "kuma-system" },
      spec: { targetRef: { kind: "Mesh" }, rules: [{ default: { allow: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh/ns" } }] } }] },
    });
    // Decided by the Kuma oracle (test/support/kuma-authz-oracle.ts, string-prefix matching as Envoy's RBAC):
    // with a federated trust domain whose name extends ours, its callers match no allow.
    const everyone = [find(r.resources, "MeshTrafficPermission", "platform-everyone") as KumaObject];
    const call = (spiffeId: string) =>
      kumaAuthorize(
        everyone,
        { workload: { namespace: "other", labels: { app: "other" } }, inbound: { port: 8080 }, client: { spiffeId } },
        {
          trustDomains: ["trust-domain.mesh", "trust-domain.mesh2"],
        },
      ).allowed;
    expect(call("spiffe://trust-domain.mesh/ns/a/sa/b")).toBe(true);
    expect(call("spiffe://trust-domain.mesh2/ns/a/sa/b")).toBe(false);
    expect(find(r.resources, "MeshTrafficPermission", "no-backend").spec).toEqual({
      targetRef: { kind: "Dataplane", labels: { app: "test-server" } },
      rules: [
        {
          default: {
            allow: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh/ns" } }],
            deny: [{ spiffeID: { type: "Prefix", value: "spiffe://trust-domain.mesh/ns/backend/sa" } }],
          },
        },
      ],
    });
  });

  test("service accounts are exact SPIFFE IDs of a MeshIdentity (/ns/<ns>/sa/<sa>)", () => {
    const r = run(
      doc(STRICT, SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{source: {serviceAccounts: [frontend, ops/auditor]}}]")),
    );
    expect(find(r.resources, "MeshTrafficPermission", "orders").spec.rules).toEqual([
      {
        default: {
          allow: [
            { spiffeID: { type: "Exact", value: "spiffe://cluster.local/ns/ops/sa/auditor" } },
            { spiffeID: { type: "Exact", value: "spiffe://cluster.local/ns/shop/sa/frontend" } },
          ],
        },
      },
    ]);
    expect(r.diagnostics.map((d) => d.message).join("\n")).toContain("MeshIdentity must use that trust domain");
  });

  test("a rule without its own source takes the policy's source (never any caller)", () => {
    const r = run(doc(STRICT, SVC("orders"), AP("orders", "  destination: {service: orders}\n  source: {serviceAccounts: [web]}\n  allow: [{}]")));
    expect(find(r.resources, "MeshTrafficPermission", "orders").spec.rules).toEqual([
      { default: { allow: [{ spiffeID: { type: "Exact", value: "spiffe://cluster.local/ns/shop/sa/web" } }] } },
    ]);
    // And without strict mTLS it is not "admit everyone": plaintext callers would get past it.
    expect(own(run(doc(SVC("orders"), AP("orders", "  destination: {service: orders}\n  source: {serviceAccounts: [web]}\n  allow: [{}]"))))).toEqual([
      "AccessPolicy/shop/orders /spec error adapter/unsupported-value/access.plaintext",
    ]);
  });

  test("allow-nothing: the inbound is selected by a deny of an identity no workload has (Kuma refuses empty lists)", () => {
    const r = run(doc(STRICT, SVC("vault"), AP("vault", "  destination: {service: vault}")));
    expect(find(r.resources, "MeshTrafficPermission", "vault").spec.rules).toEqual([
      { default: { deny: [{ spiffeID: { type: "Exact", value: "spiffe://cluster.local/unimesh/allow-nothing" } }] } },
    ]);
  });

  test("plaintext skips MeshTrafficPermission: an AccessPolicy on a destination that is not strict is an error", () => {
    const r = run(doc(SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{source: {serviceAccounts: [frontend]}}]")));
    expect(own(r)).toEqual(["AccessPolicy/shop/orders /spec error adapter/unsupported-value/access.plaintext"]);
    expect(r.resources).toEqual([]);
    // Admitting everyone anyway is exact with plaintext callers too.
    expect(run(doc(SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{}]"))).ok).toBe(true);
  });

  test("a namespace-wide AccessPolicy needs strict mTLS in its namespace", () => {
    const r = run(doc(SVC("orders"), AP("ns", "  allow: [{source: {namespaces: [shop]}}]")));
    expect(own(r)).toEqual(["AccessPolicy/shop/ns /spec error adapter/unsupported-value/scope.plaintext"]);
    const ok = run(doc(STRICT, SVC("orders"), AP("ns", "  allow: [{source: {namespaces: [shop]}}]")));
    expect(find(ok.resources, "MeshTrafficPermission", "ns")).toMatchObject({ metadata: { namespace: "shop" }, spec: { targetRef: { kind: "Mesh" } } });
  });

  test("a policy for a service's one port, on pods another service shares with pod ports of its own: an error (Kuma applies it to every inbound)", () => {
    // The MeshTrafficPermission selects the pods by labels, without sectionName: every inbound of them, so on
    // the shared pods also the other service's pod port, where its allows join that service's rules (the
    // differential test's case: any caller admitted to b-v2:9090, which only allows a).
    const b = `${SVC("b", "[{port: 80}]")}---\n${SVC("b-v2", "[{port: 9090}]", ", selector: {app: b}")}`;
    const yaml = doc(
      STRICT,
      b,
      AP("ap-b", "  destination: {service: b, port: 80}\n  allow: [{}]"),
      AP("ap-b-v2", "  destination: {service: b-v2, port: 9090}\n  allow: [{source: {serviceAccounts: [a]}}]"),
    );
    expect(own(run(yaml))).toEqual([
      "AccessPolicy/shop/ap-b /spec/destination/port error adapter/unsupported-value/access.port-scoped",
      "AccessPolicy/shop/ap-b-v2 /spec/destination/port error adapter/unsupported-value/access.port-scoped",
    ]);
    // A sharer whose ports all reach the same pod port: the policy covers exactly that inbound.
    const same = `${SVC("b", "[{port: 80}]")}---\n${SVC("b-v2", "[{port: 8080, targetPort: 80}]", ", selector: {app: b}")}`;
    expect(own(run(doc(STRICT, same, AP("ap-b", "  destination: {service: b, port: 80}\n  allow: [{source: {serviceAccounts: [a]}}]"))))).not.toContain(
      "AccessPolicy/shop/ap-b /spec/destination/port error adapter/unsupported-value/access.port-scoped",
    );
  });

  test("workloads no AccessPolicy selects: with a MeshIdentity Kuma denies their mutual-TLS callers, a warning names them", () => {
    // kuma-website policies/meshtrafficpermission_experimental.md: "By default, if no policy is present, all
    // requests are denied"; kuma v2.14.3 plugin.go builds the deny-all RBAC for an inbound no `rules` policy
    // selects under a workload identity, ignoring `from` policies and TrafficPermissions.
    const r = run(doc(STRICT, SVC("orders"), SVC("catalog"), AP("orders", "  destination: {service: orders}\n  allow: [{source: {serviceAccounts: [web]}}]")));
    const w = r.diagnostics.filter((d) => d.code === "adapter/conflict/access.default-deny");
    expect(w.map((d) => d.severity)).toEqual(["warning"]);
    expect(w[0].message).toContain("shop/catalog");
    expect(w[0].message).not.toContain("shop/orders");
    // The note on the preconditions no longer says an installation's allow-all opens them.
    const note = r.diagnostics.find((d) => d.code === "adapter/note/mtls-preconditions")!.message;
    expect(note).not.toContain("open only where the installation keeps an allow-all");
    // A namespace-wide AccessPolicy selects them all: nothing to say.
    const all = run(doc(STRICT, SVC("orders"), SVC("catalog"), AP("ns", "  allow: [{source: {namespaces: [shop]}}]")));
    expect(all.diagnostics.filter((d) => d.code === "adapter/conflict/access.default-deny")).toEqual([]);
  });

  test("workloads no MTLSPolicy covers: with a MeshIdentity Kuma's mode is Strict (plaintext refused), where the model's default is permissive", () => {
    // kuma v2.14.3 meshtls plugin.go getMeshTLSMode: no MeshTLS mode and a workload identity: Strict.
    const r = run(doc(SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{}]")));
    expect(r.ok).toBe(true);
    const w = r.diagnostics.filter((d) => d.code === "adapter/conflict/mtls.default-strict");
    expect(w.map((d) => [d.severity, /shop\/orders/.test(d.message)])).toEqual([["warning", true]]);
    expect(run(doc(STRICT, SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{}]"))).diagnostics.map((d) => d.code)).not.toContain(
      "adapter/conflict/mtls.default-strict",
    );
    // The plaintext error no longer calls Kuma's default mode Permissive.
    const e = run(doc(SVC("orders"), AP("orders", "  destination: {service: orders}\n  allow: [{source: {serviceAccounts: [web]}}]")));
    expect(e.diagnostics.find((d) => d.code === "adapter/unsupported-value/access.plaintext")!.message).not.toContain("default MeshTLS mode is Permissive");
  });

  test("methods, paths, headers, ports, negations and IP blocks: errors naming the field, nothing emitted", () => {
    const r = run(
      doc(
        STRICT,
        SVC("orders"),
        AP(
          "orders",
          `  destination: {service: orders}
  allow:
    - {source: {serviceAccounts: [frontend]}, methods: [GET], paths: ["/api/*"]}
    - {source: {ipBlocks: [10.0.0.0/8]}}
  deny:
    - {source: {notNamespaces: [shop]}}`,
        ),
      ),
    );
    expect(own(r)).toEqual([
      "AccessPolicy/shop/orders /spec/allow/0/methods error adapter/unsupported-feature/accessL7.methods",
      "AccessPolicy/shop/orders /spec/allow/0/paths error adapter/unsupported-feature/accessL7.paths",
      "AccessPolicy/shop/orders /spec/allow/1/source/ipBlocks error adapter/unsupported-value/access.ipBlocks",
      "AccessPolicy/shop/orders /spec/deny/0/source/notNamespaces error adapter/unsupported-feature/accessNegation.notNamespaces",
    ]);
    expect(r.resources).toEqual([]);
  });
});

describe("mTLS: MeshTLS by targetRef specificity (Dataplane > Mesh in a namespace > Mesh in kuma-system)", () => {
  test("service, namespace and mesh policies", () => {
    const r = run(
      doc(
        SVC("orders"),
        `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: orders, namespace: shop}\nspec: {destination: {service: orders}, mode: permissive}\n`,
        STRICT,
        `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: all, namespace: platform}\nspec: {scope: mesh, mode: strict}\n`,
      ),
    );
    const spec = (o: KubeObject) => [o.metadata.namespace, (o as any).spec.targetRef, (o as any).spec.rules[0].default.mode];
    expect(r.resources.filter((o) => o.kind === "MeshTLS").map(spec)).toEqual([
      ["kuma-system", { kind: "Mesh" }, "Strict"],
      ["shop", { kind: "Dataplane", labels: { app: "orders" } }, "Permissive"],
      ["shop", { kind: "Mesh" }, "Strict"],
    ]);
  });

  test("a strict service's MeshTLS on pods a service of a permissive namespace shares: plaintext refused there, a warning names it", () => {
    // Kuma gives an inbound the mode of the most specific MeshTLS (Dataplane labels over the namespace's Mesh):
    // b's pods, which b-v2 also selects, are Strict for b-v2's callers too.
    const r = run(
      doc(
        `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: ns, namespace: shop}\nspec: {mode: permissive}\n`,
        `apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: b, namespace: shop}\nspec: {destination: {service: b}, mode: strict}\n`,
        SVC("b"),
        SVC("b-v2", "[{port: 8080, name: http}]", ", selector: {app: b}"),
      ),
    );
    const w = r.diagnostics.filter((d) => d.code === "adapter/conflict/mtls.shared-pods");
    expect(w.map((d) => [d.policy, d.severity, /shop\/b-v2/.test(d.message)])).toEqual([["MTLSPolicy/shop/b", "warning", true]]);
  });

  test("disabled cannot be expressed", () => {
    const r = run(`apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: off, namespace: shop}\nspec: {mode: disabled}\n`);
    expect(brief(r)).toEqual(["MTLSPolicy/shop/off /spec/mode error adapter/unsupported-value/mtls.disabled"]);
  });
});

describe("settings and cluster hooks", () => {
  test("meshName labels every policy; systemNamespace receives the mesh-wide ones", () => {
    const r = run(doc(`apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: all, namespace: platform}\nspec: {scope: mesh, mode: strict}\n`), {
      settings: { meshName: "prod", systemNamespace: "kong-mesh-system" },
    });
    expect(r.resources.map((o) => [o.metadata.namespace, o.metadata.labels?.["kuma.io/mesh"]])).toEqual([["kong-mesh-system", "prod"]]);
  });

  test("detection: the kuma.io CRDs and the kuma-control-plane Deployment's image tag", () => {
    const dir = join(import.meta.dirname, "../../crds/kuma/v2.14.3");
    const crds = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => yaml.load(readFileSync(join(dir, f), "utf8")) as any);
    const cp = {
      metadata: { name: "kuma-control-plane", namespace: "kuma-system", labels: { app: "kuma-control-plane" } },
      spec: { template: { spec: { containers: [{ name: "control-plane", image: "docker.io/kumahq/kuma-cp:2.14.3" }] } } },
    };
    expect(kumaCluster.detect!(crds, [cp])).toEqual([
      {
        name: "kuma",
        version: "2.14.3",
        evidence: [
          "control plane kuma-system/kuma-control-plane runs docker.io/kumahq/kuma-cp:2.14.3",
          "CRDs: 23 in kuma.io, e.g. meshtrafficpermissions.kuma.io (served v1alpha1; storage v1alpha1)",
        ],
      },
    ]);
    expect(kumaCluster.detect!(crds, [])[0]).toMatchObject({ name: "kuma", version: "2.14" });
    expect(kumaCluster.detect!([], [])).toEqual([]);
    expect(kumaCluster.isSystemNamespace!("kuma-system")).toBe(true);
  });
});

describe("every Kuma golden passes Kuma's admission rules", () => {
  const GOLDEN = join(import.meta.dirname, "../../golden");
  const files = readdirSync(GOLDEN)
    .map((c) => join(GOLDEN, c, "kuma.golden.yaml"))
    .filter(existsSync);
  test.each(files.map((f) => [f.split("/").slice(-2)[0], f]))("%s", (_c, f) => {
    const objs = (yaml.loadAll(readFileSync(f, "utf8")) as KubeObject[]).filter(Boolean);
    expect(kumaAdmission(objs)).toEqual([]);
  });
});
