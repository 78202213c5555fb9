/**
 * The Linkerd importer on hand-written objects: what unimesh never emits (ServerAuthorization-free
 * policies, PathPrefix routes, Service-level annotations, ServiceProfiles with dstOverrides) and every
 * construct that would become a looser rule (import/looser), a route order the model cannot keep
 * (import/route-order), or a field it cannot carry (a diagnostic naming the field).
 */
import { describe, expect, test } from "vitest";
import { linkerd } from "../../src/index.js";
import { type ImportResult, importFacts, importObjects, readNative } from "../../src/api/import.js";

async function imp(text: string, opts: { strict?: boolean } = {}): Promise<ImportResult & { lines: string[] }> {
  const native = readNative([{ file: "in.yaml", text }]);
  const r = importObjects(native.objects, {
    importer: await linkerd.importer!(),
    mesh: "linkerd",
    services: importFacts(native.unimesh).services,
    strict: opts.strict,
  });
  return { ...r, lines: r.diagnostics.filter((d) => d.severity !== "info").map((d) => `${d.severity} ${d.code} ${d.policy ?? ""}${d.pointer ?? ""}`) };
}
const doc = (r: ImportResult, kind: string, name?: string) =>
  r.documents.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name)) as any;

const svc = (name: string, ports = "[{port: 8080, name: http}]", selector = `{app: ${name}}`) => `---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: ${name}, namespace: shop}
spec: {selector: ${selector}, ports: ${ports}}
`;
const server = (name: string, labels: string, port: string | number = 8080, extra = "") => `---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: ${name}, namespace: shop}
spec: {podSelector: {matchLabels: ${labels}}, port: ${port}${extra}}
`;
const mtlsAuthn = (name: string, ids: string[]) => `---
apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: {name: ${name}, namespace: shop}
spec: {identities: [${ids.map((i) => JSON.stringify(i)).join(", ")}]}
`;
const authz = (name: string, targetKind: string, target: string, refs: { kind: string; name: string }[]) => `---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: {name: ${name}, namespace: shop}
spec:
  targetRef: {group: policy.linkerd.io, kind: ${targetKind}, name: ${target}}
  requiredAuthenticationRefs: [${refs.map((r) => `{group: policy.linkerd.io, kind: ${r.kind}, name: ${r.name}}`).join(", ")}]
`;
const inbound = (name: string, serverName: string, matches: string) => `---
apiVersion: policy.linkerd.io/v1beta3
kind: HTTPRoute
metadata: {name: ${name}, namespace: shop}
spec:
  parentRefs: [{group: policy.linkerd.io, kind: Server, name: ${serverName}}]
  rules: [{matches: ${matches}}]
`;
const id = (sa: string, ns = "shop") => `${sa}.${ns}.serviceaccount.identity.linkerd.cluster.local`;

describe("Linkerd import: access", () => {
  test("a Server with its authorizations becomes the service's AccessPolicy (identities, namespaces, networks)", async () => {
    const r = await imp(
      svc("orders") +
        server("orders-http", "{app: orders}") +
        mtlsAuthn("callers", [id("frontend"), `*.ops.serviceaccount.identity.linkerd.cluster.local`, id("auditor", "audit")]) +
        authz("orders-callers", "Server", "orders-http", [{ kind: "MeshTLSAuthentication", name: "callers" }]) +
        `---
apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: {name: office, namespace: shop}
spec: {networks: [{cidr: 10.1.0.0/16}]}
` +
        authz("office", "Server", "orders-http", [{ kind: "NetworkAuthentication", name: "office" }]),
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "AccessPolicy").spec).toEqual({
      destination: { service: "orders" },
      allow: [{ source: { serviceAccounts: ["audit/auditor", "frontend"], namespaces: ["ops"], ipBlocks: ["10.1.0.0/16"] } }],
    });
  });

  test("a NetworkAuthentication with except, a Server selector no service has, cluster-* default policies: import/looser errors, nothing written", async () => {
    const r = await imp(
      svc("orders") +
        server("orders-http", "{app: orders}") +
        `---
apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: {name: office, namespace: shop}
spec: {networks: [{cidr: 10.0.0.0/8, except: [10.9.0.0/16]}]}
` +
        authz("office", "Server", "orders-http", [{ kind: "NetworkAuthentication", name: "office" }]) +
        server("batch", "{tier: batch}") +
        `---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: exprs, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [orders]}]}, port: 8080}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {config.linkerd.io/default-inbound-policy: cluster-authenticated}}
`,
    );
    expect(r.ok).toBe(false);
    expect(r.documents).toEqual([]);
    expect(r.lines.filter((l) => l.includes("import/looser")).sort()).toEqual([
      "error import/looser Namespace/default/shop/metadata/annotations/config.linkerd.io~1default-inbound-policy",
      "error import/looser NetworkAuthentication/shop/office/spec/networks/0/except",
      "error import/looser Server/shop/batch/spec/podSelector/matchLabels",
      "error import/looser Server/shop/exprs/spec/podSelector/matchExpressions",
    ]);
  });

  test("inbound routes (Server parent): a more specific route admitting fewer callers becomes a deny rule; a wildcard minus a member is import/looser", async () => {
    const base =
      svc("api") +
      server("api-http", "{app: api}") +
      mtlsAuthn("both", [id("a"), id("b")]) +
      mtlsAuthn("only-a", [id("a")]) +
      inbound("all", "api-http", `[{path: {type: PathPrefix, value: /}}]`) +
      authz("all", "HTTPRoute", "all", [{ kind: "MeshTLSAuthentication", name: "both" }]) +
      inbound("admin", "api-http", `[{path: {type: Exact, value: /admin}}]`) +
      authz("admin", "HTTPRoute", "admin", [{ kind: "MeshTLSAuthentication", name: "only-a" }]);
    const r = await imp(base);
    expect(r.lines).toEqual([]);
    expect(doc(r, "AccessPolicy").spec).toEqual({
      destination: { service: "api" },
      allow: [{ source: { serviceAccounts: ["a", "b"] } }, { source: { serviceAccounts: ["a"] }, paths: ["/admin"] }],
      deny: [{ source: { serviceAccounts: ["b"] }, paths: ["/admin"] }],
    });
    // A whole namespace on the wide route, one of its service accounts on the specific one: not sayable.
    const wide = await imp(base.replace(`identities: ["${id("a")}", "${id("b")}"]`, `identities: ["*.shop.serviceaccount.identity.linkerd.cluster.local"]`));
    expect(wide.ok).toBe(false);
    expect(wide.lines).toContain("error import/looser HTTPRoute/shop/admin/spec/rules");
  });

  test("named ports via the Service port of that name; a Server selecting a service's pods with more labels is that service (a warning: stricter)", async () => {
    const r = await imp(
      svc("web", "[{port: 80, name: http, targetPort: 8080}, {port: 9090, name: admin}]") +
        server("web-http", "{app: web, tier: front}", "http", ", accessPolicy: all-authenticated"),
    );
    expect(r.lines).toEqual(["warning import/unresolved Server/shop/web-http/spec/podSelector/matchLabels"]);
    // Port 9090 has no Server: Linkerd's default (all-unauthenticated) applies there, written out.
    expect(doc(r, "AccessPolicy").spec).toEqual({
      destination: { service: "web" },
      allow: [{ source: { serviceAccounts: ["*"] }, ports: [80] }, { ports: [9090] }],
    });
  });

  test("namespace default inbound policy: deny → namespace AccessPolicy allowing nothing; all-authenticated → namespace MTLSPolicy strict", async () => {
    const r = await imp(`apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {config.linkerd.io/default-inbound-policy: deny}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, annotations: {config.linkerd.io/default-inbound-policy: all-authenticated}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain}
`);
    // The model's own warning that namespace shop now admits nobody (as Linkerd's deny does).
    expect(r.lines).toEqual(["warning rule/deny-all Namespace/default/shop"]);
    expect(r.documents.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name} ${JSON.stringify(d.spec)}`)).toEqual([
      'MTLSPolicy ops/default-inbound-policy {"mode":"strict"}',
      "AccessPolicy shop/default-inbound-policy {}",
    ]);
  });

  test("identities the model cannot name are reported and left out (stricter); AND of identities and networks admits nobody (a warning)", async () => {
    const r = await imp(
      svc("orders") +
        server("orders-http", "{app: orders}") +
        mtlsAuthn("m", [id("frontend"), "spiffe://other/x"]) +
        `---
apiVersion: policy.linkerd.io/v1alpha1
kind: NetworkAuthentication
metadata: {name: n, namespace: shop}
spec: {networks: [{cidr: 10.1.0.0/16}]}
` +
        authz("one", "Server", "orders-http", [{ kind: "MeshTLSAuthentication", name: "m" }]) +
        authz("both", "Server", "orders-http", [
          { kind: "MeshTLSAuthentication", name: "m" },
          { kind: "NetworkAuthentication", name: "n" },
        ]),
    );
    expect(r.lines.sort()).toEqual([
      "warning import/unsupported-value AuthorizationPolicy/shop/both/spec/requiredAuthenticationRefs",
      "warning import/unsupported-value MeshTLSAuthentication/shop/m/spec/identities/1",
    ]);
    expect(doc(r, "AccessPolicy").spec.allow).toEqual([{ source: { serviceAccounts: ["frontend"] } }]);
    expect(
      (
        await imp(
          svc("orders") +
            server("orders-http", "{app: orders}") +
            mtlsAuthn("m", ["spiffe://other/x"]) +
            authz("one", "Server", "orders-http", [{ kind: "MeshTLSAuthentication", name: "m" }]),
          { strict: true },
        )
      ).ok,
    ).toBe(false);
  });
});

describe("Linkerd import: routes", () => {
  const route = (name: string, annotations: string, rules: string, kind = "HTTPRoute", apiVersion = "gateway.networking.k8s.io/v1") => `---
apiVersion: ${apiVersion}
kind: ${kind}
metadata: {name: ${name}, namespace: shop${annotations ? `, annotations: {${annotations}}` : ""}}
spec:
  parentRefs: [{group: core, kind: Service, name: search, port: 8080}]
  rules: ${rules}
`;

  test("rules of several routes in Linkerd's most-specific-first order, retry/timeout annotations, the Service's inherited", async () => {
    const r = await imp(
      svc("search") +
        `---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: shop, annotations: {retry.linkerd.io/http: "503", retry.linkerd.io/limit: "3"}}
spec: {selector: {app: search}, ports: [{port: 8080}]}
` +
        route("a-default", `timeout.linkerd.io/request: 2s`, `[{matches: [{path: {type: PathPrefix, value: /}}]}]`) +
        route(
          "b-export",
          `timeout.linkerd.io/request: "90s", retry.linkerd.io/http: "5xx,429", retry.linkerd.io/timeout: 500ms`,
          `[{matches: [{path: {type: PathPrefix, value: /export}, method: GET}]}]`,
        ),
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "TrafficPolicy").spec).toEqual({
      destination: { service: "search", port: 8080 },
      routes: [
        {
          match: { path: { regex: "/export(?:/.*)?" }, method: "GET" },
          timeout: "90s",
          retries: { attempts: 1, perTryTimeout: "500ms", retryOn: ["5xx", "429", "refused-stream"] },
        },
        { timeout: "2s", retries: { attempts: 3, retryOn: ["503", "refused-stream"] } },
      ],
    });
  });

  test("two rules whose winner depends on the request: import/route-order", async () => {
    // A method-only rule against a path regex: the regex wins on longer paths, the method on "/".
    const r = await imp(
      svc("search") +
        route(
          "r",
          "",
          `[{matches: [{method: GET}], backendRefs: [{name: search, port: 8080}]}, {matches: [{path: {type: RegularExpression, value: "^/.*$"}}], filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-a, value: "1"}]}}]}]`,
        ),
    );
    expect(r.ok).toBe(false);
    expect(r.lines).toEqual(["error import/route-order HTTPRoute/shop/r/spec/rules/1/matches/0"]);
  });

  test("filters and backends the model cannot carry are errors naming the field; unknown rule fields are warnings", async () => {
    const r = await imp(
      svc("search") +
        route(
          "r",
          "",
          `[{matches: [{path: {type: Exact, value: /a}}], filters: [{type: RequestMirror, requestMirror: {backendRef: {name: x, port: 1}}}]}, {backendRefs: [{name: other, namespace: elsewhere, port: 8080}], sessionPersistence: {}}]`,
        ),
    );
    expect(r.lines).toEqual([
      "error import/unsupported-value HTTPRoute/shop/r/spec/rules/0/filters/0",
      "error import/unsupported-value HTTPRoute/shop/r/spec/rules/1/backendRefs/0/namespace",
      "warning import/unsupported-field HTTPRoute/shop/r/spec/rules/1/sessionPersistence",
    ]);
  });

  test("a backend that is another Service of the namespace is a split target service; without a rule for every request, Linkerd's 404 for the rest is a final directResponse 404", async () => {
    // Linkerd's dynamic request routing: x-request-id: alternative → backend-b; 90/10 between search and search-next
    // (a Service of the inputs whose pods are not search's), and no rule for every other request.
    const r = await imp(
      svc("search") +
        svc("search-next") +
        route(
          "r",
          "",
          `[{matches: [{headers: [{name: x-request-id, value: alternative}]}], backendRefs: [{name: other, port: 8080}]}, {matches: [{path: {type: PathPrefix, value: /api}}], backendRefs: [{name: search, port: 8080, weight: 90}, {name: search-next, port: 8080, weight: 10}]}]`,
        ),
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "TrafficPolicy").spec).toEqual({
      destination: { service: "search", port: 8080 },
      routes: [
        { match: { path: { regex: "/api(?:/.*)?" } }, split: [{ weight: 90 }, { service: "search-next", weight: 10 }] },
        { match: { headers: { "x-request-id": { exact: "alternative" } } }, split: [{ service: "other" }] },
        { directResponse: { status: 404 } },
      ],
    });
  });

  test("a ServiceProfile routes in order, timeouts, isRetryable, dstOverrides; the Service's HTTPRoutes are then ignored by Linkerd", async () => {
    const r = await imp(
      svc("search", "[{port: 8080}]") +
        `---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: search-canary, namespace: shop}
spec: {selector: {app: search, track: canary}}
---
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: search.shop.svc.cluster.local, namespace: shop}
spec:
  routes:
  - {name: get-items, condition: {all: [{method: GET}, {pathRegex: "/items/[^/]*"}]}, timeout: 300ms, isRetryable: true}
  - {name: any, condition: {any: [{method: POST}, {method: PUT}]}}
  dstOverrides:
  - {authority: search.shop.svc.cluster.local:8080, weight: 900m}
  - {authority: search-canary.shop.svc.cluster.local:8080, weight: 100m}
` +
        route("ignored", "", `[{backendRefs: [{name: search, port: 8080}]}]`),
    );
    expect(r.lines).toEqual([
      "warning import/unsupported-value ServiceProfile/shop/search.shop.svc.cluster.local/spec",
      "error import/unsupported-value ServiceProfile/shop/search.shop.svc.cluster.local/spec/routes/1/condition/any",
      "warning import/ignored HTTPRoute/shop/ignored/spec/parentRefs/0",
    ]);
    const ok = await imp(
      svc("search", "[{port: 8080}]") +
        `---
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: search.shop.svc.cluster.local, namespace: shop}
spec:
  retryBudget: {retryRatio: 0.2, minRetriesPerSecond: 10, ttl: 10s}
  routes:
  - {name: get-items, condition: {all: [{method: GET}, {pathRegex: "/items/[^/]*"}]}, timeout: 300ms, isRetryable: true}
  dstOverrides:
  - {authority: search.shop.svc.cluster.local:8080, weight: 900m}
  - {authority: search-canary.shop.svc.cluster.local:8080, weight: 100m}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: search-canary, namespace: shop}
spec: {selector: {app: search, track: canary}}
` +
        route("ignored", "", `[{backendRefs: [{name: search, port: 8080}]}]`),
    );
    expect(ok.lines).toEqual([
      "warning import/unsupported-value ServiceProfile/shop/search.shop.svc.cluster.local/spec/retryBudget",
      "warning import/ignored HTTPRoute/shop/ignored/spec/parentRefs/0",
    ]);
    // dstOverrides: the canary Service's selector beyond search's is the subset.
    const split = [{ weight: 90 }, { subset: { track: "canary" }, weight: 10 }];
    expect(doc(ok, "TrafficPolicy").spec).toEqual({
      destination: { service: "search" },
      routes: [
        { name: "get-items", match: { method: "GET", path: { regex: "/items/[^/]*" } }, timeout: "300ms", retries: { attempts: 1, retryOn: ["5xx"] }, split },
      ],
    });
  });

  test("failure accrual and HTTPLocalRateLimitPolicy land on the service's TrafficPolicy", async () => {
    const r = await imp(
      svc("search") +
        `---
apiVersion: v1
kind: Service
metadata:
  name: search
  namespace: shop
  annotations:
    balancer.linkerd.io/failure-accrual: consecutive
    balancer.linkerd.io/failure-accrual-consecutive-max-failures: "5"
    balancer.linkerd.io/failure-accrual-consecutive-min-penalty: 30s
    balancer.linkerd.io/failure-accrual-consecutive-max-penalty: 5m
spec: {selector: {app: search}, ports: [{port: 8080}]}
` +
        server("search-http", "{app: search}", 8080, ", accessPolicy: all-unauthenticated") +
        `---
apiVersion: policy.linkerd.io/v1alpha1
kind: HTTPLocalRateLimitPolicy
metadata: {name: search-http, namespace: shop}
spec:
  targetRef: {group: policy.linkerd.io, kind: Server, name: search-http}
  total: {requestsPerSecond: 100}
  identity: {requestsPerSecond: 20}
  overrides: [{requestsPerSecond: 50, clientRefs: [{kind: ServiceAccount, name: batch}]}]
`,
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "TrafficPolicy").spec).toEqual({
      destination: { service: "search" },
      outlierDetection: { consecutive5xxErrors: 5, baseEjectionTime: "30s", maxEjectionPercent: 100 },
      rateLimit: { requestsPerSecond: 100, perIdentity: 20, overrides: [{ serviceAccounts: ["batch"], requestsPerSecond: 50 }] },
    });
    expect(doc(r, "AccessPolicy").spec).toEqual({ destination: { service: "search" }, allow: [{}] });
  });
});
