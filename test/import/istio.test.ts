/**
 * The Istio importer on hand-written native objects: what unimesh never emits (several match entries,
 * relative weights, Istio's defaults, DENY without ALLOW, Istio path prefixes, constructs the model cannot
 * state) and the never-silent rules: every field left out is a diagnostic with its pointer, a looser rule is
 * an error.
 */
import { describe, expect, test } from "vitest";
import { formatDiagnostic, istio, loadModel, translate } from "../../src/index.js";
import { type ImportResult, importFacts, importObjects, readNative } from "../../src/api/import.js";

async function imp(
  text: string,
  opts: { strict?: boolean; meshDefaults?: "explicit" | "omit"; settings?: Record<string, string> } = {},
): Promise<ImportResult & { lines: string[] }> {
  const native = readNative([{ file: "in.yaml", text }]);
  const facts = importFacts(native.unimesh);
  const r = importObjects(native.objects, { importer: await istio.importer!(), mesh: "istio", services: facts.services, ...opts });
  return { ...r, lines: r.diagnostics.filter((d) => d.severity !== "info").map((d) => `${d.severity} ${d.code} ${d.policy ?? ""}${d.pointer ?? ""}`) };
}
const doc = (r: ImportResult, kind: string, name: string) => r.documents.find((d) => d.kind === kind && d.metadata.name === name) as any;

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
    - {name: canary, labels: {version: v3}}
`;

describe("VirtualService", () => {
  test("match entries are ORed: one model route each, in order, with the route's action and settings", async () => {
    const r = await imp(`${DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews.shop.svc.cluster.local]
  http:
    - name: canary
      match:
        - headers: {end-user: {exact: jason}}
        - uri: {prefix: /beta}
          method: {exact: GET}
      route: [{destination: {host: reviews, subset: v2}}]
      timeout: 3s
      retries: {attempts: 0}
    - route:
        - {destination: {host: reviews, subset: v1}, weight: 1}
        - {destination: {host: reviews, subset: v2}, weight: 2}
      retries: {attempts: 3, perTryTimeout: 1.5s, retryOn: "5xx,retriable-headers"}
`);
    expect(r.ok).toBe(true);
    expect(doc(r, "TrafficPolicy", "reviews").spec).toEqual({
      destination: { service: "reviews" },
      routes: [
        { name: "canary", match: { headers: { "end-user": { exact: "jason" } } }, split: [{ subset: { version: "v2" } }], timeout: "3s" },
        { match: { path: { prefix: "/beta" }, method: "GET" }, split: [{ subset: { version: "v2" } }], timeout: "3s" },
        {
          split: [
            { subset: { version: "v1" }, weight: 33 },
            { subset: { version: "v2" }, weight: 67 },
          ],
          retries: { attempts: 3, perTryTimeout: "1500ms", retryOn: ["5xx"] },
        },
      ],
    });
    // Relative weights rounded, an unknown retry condition dropped: warnings, with the field.
    expect(r.lines).toEqual([
      "warning import/unsupported-value VirtualService/shop/reviews/spec/http/1/route",
      "warning import/unsupported-value VirtualService/shop/reviews/spec/http/1/retries/retryOn",
    ]);
  });

  test("a subset named otherwise than its labels: the MeshService declares the DestinationRule's names", async () => {
    const r = await imp(`${DR}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: canary}}], retries: {attempts: 0}}]
`);
    expect(doc(r, "MeshService", "reviews").spec.subsets).toEqual([
      { name: "canary", labels: { version: "v3" } },
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ]);
    const out = translate(loadModel([{ file: "x", text: r.documents.map((d) => JSON.stringify(d)).join("\n---\n") }]).model, { adapter: istio });
    expect(JSON.stringify(out.resources)).toContain('"subset":"canary"');
  });

  test("Istio's default retries are written out (explicit), or left out with a warning (omit)", async () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: ratings}}]}]
`;
    const explicit = await imp(vs);
    expect(doc(explicit, "TrafficPolicy", "ratings").spec.routes).toEqual([
      { retries: { attempts: 2, retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled"] } },
    ]);
    expect(explicit.diagnostics.find((d) => d.code === "import/mesh-default")?.severity).toBe("info");
    const omit = await imp(vs, { meshDefaults: "omit" });
    expect(doc(omit, "TrafficPolicy", "ratings").spec.routes).toEqual([{}]);
    expect(omit.lines).toEqual(["warning import/mesh-default VirtualService/shop/ratings/spec/http/0"]);
  });

  test("a route without a catch-all: Istio's 404 for the rest is reported", async () => {
    const r = await imp(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http: [{match: [{uri: {exact: /a}}], route: [{destination: {host: ratings}}], retries: {attempts: 0}}]
`);
    expect(r.lines).toEqual(["warning import/unsupported-value VirtualService/shop/ratings/spec/http"]);
  });

  test("what the model cannot select is an error with its pointer; unknown fields are warnings; --strict makes them errors", async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http:
    - match: [{authority: {exact: a.example}}, {sourceLabels: {app: web}}, {method: {prefix: G}}]
      route: [{destination: {host: ratings}}]
      retries: {attempts: 1, retryRemoteLocalities: true}
    - route: [{destination: {host: details.other}}]
`;
    const r = await imp(text);
    expect(r.ok).toBe(false);
    expect(r.documents).toEqual([]);
    expect(r.lines).toEqual([
      "error import/unsupported-value VirtualService/shop/ratings/spec/http/0/match/0/authority",
      "error import/unsupported-value VirtualService/shop/ratings/spec/http/0/match/1/sourceLabels",
      "error import/unsupported-value VirtualService/shop/ratings/spec/http/0/match/2/method",
      "warning import/unsupported-field VirtualService/shop/ratings/spec/http/0/retries/retryRemoteLocalities",
      "error import/unsupported-value VirtualService/shop/ratings/spec/http/1/route/0/destination/host",
    ]);
    const line = formatDiagnostic(r.diagnostics.find((d) => d.pointer?.endsWith("/authority"))!);
    expect(line).toMatch(/^in\.yaml:7:\d+ \[0\]#\/spec\/http\/0\/match\/0\/authority: error/);
  });

  test("--strict: a field left out is an error", async () => {
    const r = await imp(
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http: [{route: [{destination: {host: ratings}}], retries: {attempts: 1, retryIgnorePreviousHosts: true}}]
`,
      { strict: true },
    );
    expect(r.ok).toBe(false);
    expect(r.lines).toEqual(["error import/unsupported-field VirtualService/shop/ratings/spec/http/0/retries/retryIgnorePreviousHosts"]);
  });

  test("routes whose order the model's merged route table would change: import/route-order", async () => {
    // A catch-all for every caller before a route for callers of namespace a: Istio never uses the second;
    // the model would put the source-specific route first.
    const r = await imp(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: shop}
spec:
  hosts: [ratings]
  http:
    - {route: [{destination: {host: ratings}}], retries: {attempts: 0}}
    - {match: [{sourceNamespace: a, uri: {prefix: /x}}], route: [{destination: {host: ratings}}], retries: {attempts: 0}, timeout: 1s}
`);
    expect(r.lines).toContain("error import/route-order VirtualService/shop/ratings/spec/http/1");
  });

  test("a VirtualService of an ingress gateway only is not imported (warning)", async () => {
    const r = await imp(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: shop}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http: [{route: [{destination: {host: productpage}}]}]
`);
    expect(r.ok).toBe(true);
    expect(r.documents).toEqual([]);
    expect(r.lines).toEqual(["warning import/unsupported-kind VirtualService/shop/bookinfo/spec/gateways"]);
  });
});

describe("AuthorizationPolicy", () => {
  test("a DENY policy on workloads without ALLOW policy: the model allows the rest explicitly", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules: [{to: [{operation: {paths: [/admin, /admin/*]}}]}]
`);
    expect(r.ok).toBe(true);
    expect(doc(r, "AccessPolicy", "no-admin").spec).toEqual({ destination: { service: "web" }, deny: [{ paths: ["/admin/*"] }], allow: [{}] });
  });

  test("with an ALLOW policy for the workload, DENY rules stay deny rules; from entries of one list each are one source", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: readers, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules:
    - from:
        - source: {principals: [cluster.local/ns/shop/sa/front, cluster.local/ns/ops/sa/*], notNamespaces: [legacy]}
        - source: {namespaces: [batch], notNamespaces: [legacy]}
      to: [{operation: {methods: [GET], ports: ["8080"]}}]
      when: [{key: "request.headers[x-team]", values: [a, b]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules: [{to: [{operation: {notMethods: [GET]}}]}]
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80, targetPort: 8080}]}
`);
    // Faithful: the ALLOW policy admits on pod port 8080 (Service port 80) only, so the other port is closed.
    expect(r.lines).toEqual(["warning rule/deny-all AuthorizationPolicy/shop/no-admin"]);
    expect(doc(r, "AccessPolicy", "readers").spec.allow).toEqual([
      {
        source: { serviceAccounts: ["front"], namespaces: ["ops", "batch"], notNamespaces: ["legacy"] },
        methods: ["GET"],
        ports: [80],
        headers: { "x-team": ["a", "b"] },
      },
    ]);
    expect(doc(r, "AccessPolicy", "no-admin").spec).toEqual({ destination: { service: "web" }, deny: [{ notMethods: ["GET"] }] });
  });

  test("Istio's lone /a/* is the string prefix /a/: an error in an allow rule, a warning in a deny rule", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: readers, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules: [{to: [{operation: {paths: [/api/*]}}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules: [{to: [{operation: {paths: [/admin/*]}}]}, {to: [{operation: {notPaths: [/public/*]}}]}]
`);
    expect(r.lines).toEqual([
      "error import/looser AuthorizationPolicy/shop/readers/spec/rules/0/to/0/operation/paths/0",
      "warning import/unsupported-value AuthorizationPolicy/shop/no-admin/spec/rules/0/to/0/operation/paths/0",
      "error import/looser AuthorizationPolicy/shop/no-admin/spec/rules/1/to/0/operation/notPaths/0",
    ]);
  });

  test("what the model cannot state is an error, import/looser where dropping it would admit requests", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext, namespace: shop}
spec:
  action: CUSTOM
  provider: {name: opa}
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-some, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules:
    - from: [{source: {remoteIpBlocks: [10.0.0.0/8]}}]
    - from: [{source: {principals: [other.domain/ns/shop/sa/x]}}]
    - when: [{key: "request.headers[x-user]", values: ["admin*"]}]
    - to: [{operation: {hosts: [a.example]}}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: shop}
spec: {jwtRules: [{issuer: x}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}
`);
    expect(r.ok).toBe(false);
    expect(r.lines).toEqual([
      "error import/looser AuthorizationPolicy/shop/ext/spec/action",
      "error import/looser AuthorizationPolicy/shop/deny-some/spec/rules/0/from/0/source/remoteIpBlocks",
      "error import/looser AuthorizationPolicy/shop/deny-some/spec/rules/1/from/0/source/principals/0",
      "error import/looser AuthorizationPolicy/shop/deny-some/spec/rules/2/when/0/values/0",
      "error import/looser AuthorizationPolicy/shop/deny-some/spec/rules/3/to/0/operation/hosts",
      "error import/looser RequestAuthentication/shop/jwt",
      "error import/looser Sidecar/shop/default/spec/outboundTrafficPolicy/mode",
    ]);
  });

  test("allow-nothing for the namespace, the mesh-wide policy in the root namespace", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: shop}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-readers, namespace: istio-system}
spec:
  rules: [{from: [{source: {namespaces: [shop]}}]}]
`);
    expect(r.lines).toEqual([]);
    expect(doc(r, "AccessPolicy", "allow-nothing").spec).toEqual({});
    expect(doc(r, "AccessPolicy", "mesh-readers")).toMatchObject({
      metadata: { namespace: "istio-system" },
      spec: { scope: "mesh", allow: [{ source: { namespaces: ["shop"] } }] },
    });
  });

  test("a selector no known service has cannot be attached (error)", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: v2-only, namespace: shop}
spec:
  selector: {matchLabels: {app: reviews, version: v2}}
  action: DENY
  rules: [{}]
`);
    expect(r.lines).toEqual(["error import/looser AuthorizationPolicy/shop/v2-only/spec/selector"]);
  });
});

describe("RequestAuthentication", () => {
  test("jwtRules → issuers; requestPrincipals in from, request.auth.claims and principal in when → the rule's end-user conditions", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: web-jwt, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  jwtRules:
    - issuer: https://idp.example
      jwksUri: https://idp.example/jwks.json
      audiences: [web]
      fromHeaders: [{name: x-jwt, prefix: "Bearer "}]
      forwardOriginalToken: true
      outputPayloadToHeader: x-payload
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web-users, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules:
    - from: [{source: {principals: [cluster.local/ns/shop/sa/front], requestPrincipals: ["https://idp.example/*"]}}]
      when:
        - {key: "request.auth.claims[groups]", values: [admin]}
        - {key: "request.auth.claims[realm][roles]", notValues: [guest]}
    - when: [{key: request.auth.principal, values: ["*"]}]
`);
    expect(r.lines).toEqual(["warning import/unsupported-field RequestAuthentication/shop/web-jwt/spec/jwtRules/0/outputPayloadToHeader"]);
    expect(doc(r, "RequestAuthentication", "web-jwt").spec).toEqual({
      destination: { service: "web" },
      issuers: [
        {
          issuer: "https://idp.example",
          jwksUri: "https://idp.example/jwks.json",
          audiences: ["web"],
          fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }],
          forwardToken: true,
        },
      ],
    });
    expect(doc(r, "AccessPolicy", "web-users").spec.allow).toEqual([
      {
        source: { serviceAccounts: ["front"] },
        requestPrincipals: ["https://idp.example/*"],
        claims: { groups: ["admin"] },
        notClaims: { realm: { roles: ["guest"] } },
      },
      { requestPrincipals: ["*"] },
    ]);
  });

  test("a namespace-wide RequestAuthentication cannot be stated per service: import/looser", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ns-jwt, namespace: shop}
spec: {jwtRules: [{issuer: x, jwksUri: https://x/jwks}]}
`);
    expect(r.lines).toEqual(["error import/looser RequestAuthentication/shop/ns-jwt"]);
  });
});

describe("PeerAuthentication", () => {
  test("namespace, workload (pod ports → Service ports) and UNSET (inherits the namespace's mode)", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  portLevelMtls: {"8080": {mode: PERMISSIVE}}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: web, namespace: shop}
spec: {ports: [{port: 80, targetPort: 8080}, {port: 9090}]}
`);
    expect(r.lines).toEqual([]);
    expect(doc(r, "MTLSPolicy", "default").spec).toEqual({ mode: "strict" });
    expect(doc(r, "MTLSPolicy", "web").spec).toEqual({ destination: { service: "web" }, mode: "strict", ports: { "80": "permissive" } });
  });

  test("two namespace-wide policies: Istio applies the oldest, an error", async () => {
    const r = await imp(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: a, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: b, namespace: shop}
spec: {mtls: {mode: PERMISSIVE}}
`);
    expect(r.lines).toEqual(["error import/conflict PeerAuthentication/shop/b/metadata/name"]);
  });
});

describe("DestinationRule client TLS with the PeerAuthentication (the model's mode of a Service port)", () => {
  /** Ownership metadata of an object unimesh generated from `policy`. */
  const owned = (name: string, policy: string) =>
    `{name: ${name}, namespace: shop, labels: {app.kubernetes.io/managed-by: unimesh, unimesh.io/policy-set: default}, annotations: {unimesh.io/policies: ${policy}}}`;
  const facts = `---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: cart, namespace: shop}
spec: {ports: [{port: 9080, targetPort: 80}, {port: 9090}]}
`;
  const pa = (spec: string, meta = owned("cart-mtls", "MTLSPolicy/shop/cart-tls")) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: ${meta}
spec:
  selector: {matchLabels: {app: cart}}
${spec}
`;
  const dr = (trafficPolicy: string, meta = owned("cart", "MTLSPolicy/shop/cart-tls")) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: ${meta}
spec:
  host: cart.shop.svc.cluster.local
  trafficPolicy:
${trafficPolicy}
`;
  const infos = (r: ImportResult, code: string) => r.diagnostics.filter((d) => d.severity === "info" && d.code === code).map((d) => `${d.policy}${d.pointer}`);

  test("service-wide DISABLE over PERMISSIVE (a disabled service on pods a service without MTLSPolicy shares): disabled", async () => {
    const r = await imp(pa("  mtls: {mode: PERMISSIVE}") + dr("    tls: {mode: DISABLE}") + facts);
    expect(r.lines).toEqual([]);
    expect(doc(r, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "disabled" });
    expect(infos(r, "import/generated")).toEqual(["DestinationRule/shop/cart/spec/trafficPolicy/tls"]);
    // DISABLE over DISABLE: the same, nothing to say.
    const same = await imp(pa("  mtls: {mode: DISABLE}") + dr("    tls: {mode: DISABLE}") + facts);
    expect(same.lines).toEqual([]);
    expect(doc(same, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "disabled" });
    expect(infos(same, "import/generated")).toEqual([]);
  });

  test("port-level DISABLE over a PERMISSIVE pod port (golden mtlsModesSharedPods): that Service port is disabled, the others keep the PeerAuthentication's", async () => {
    const r = await imp(
      pa(`  mtls: {mode: STRICT}
  portLevelMtls: {"80": {mode: PERMISSIVE}}`) +
        dr(`    portLevelSettings:
      - port: {number: 9080}
        tls: {mode: DISABLE}`) +
        facts,
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "strict", ports: { "9080": "disabled" } });
    expect(infos(r, "import/generated")).toEqual(["DestinationRule/shop/cart/spec/trafficPolicy/portLevelSettings/0/tls"]);
    expect(r.from[r.documents.findIndex((d) => d.kind === "MTLSPolicy")]).toEqual(["PeerAuthentication/shop/cart-mtls", "DestinationRule/shop/cart"]);
  });

  test("ISTIO_MUTUAL never raises a mode: a permissive port (disabled service) and a permissive service (disabled namespace) stay permissive", async () => {
    const port = await imp(
      pa(`  mtls: {mode: DISABLE}
  portLevelMtls: {"9090": {mode: PERMISSIVE}}`) +
        dr(`    tls: {mode: DISABLE}
    portLevelSettings:
      - port: {number: 9090}
        tls: {mode: ISTIO_MUTUAL}`) +
        facts,
    );
    expect(port.lines).toEqual([]);
    expect(doc(port, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "disabled", ports: { "9090": "permissive" } });
    const service = await imp(
      `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: DISABLE}}
---
` +
        pa("  mtls: {mode: PERMISSIVE}") +
        dr("    tls: {mode: ISTIO_MUTUAL}") +
        facts,
    );
    expect(service.lines).toEqual([]);
    expect(doc(service, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "permissive" });
  });

  test("a port-level entry without tls does not inherit the service-wide DISABLE (Istio: port-level settings replace the destination's)", async () => {
    const r = await imp(
      pa("  mtls: {mode: PERMISSIVE}") +
        dr(`    tls: {mode: DISABLE}
    portLevelSettings:
      - port: {number: 9090}`) +
        facts,
    );
    expect(r.lines).toEqual([]);
    expect(doc(r, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "disabled", ports: { "9090": "permissive" } });
  });

  test("ambiguous evidence: the stricter mode, with a warning", async () => {
    // DISABLE over STRICT (a disabled service whose pods a strict sharer makes strict): strict.
    const strict = await imp(pa("  mtls: {mode: STRICT}") + dr("    tls: {mode: DISABLE}") + facts);
    expect(strict.lines).toEqual(["warning import/conflict DestinationRule/shop/cart/spec/trafficPolicy/tls"]);
    expect(doc(strict, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "strict" });
    // ISTIO_MUTUAL over DISABLE (unimesh does not write it): permissive.
    const off = await imp(
      pa("  mtls: {mode: DISABLE}") +
        dr(`    portLevelSettings:
      - port: {number: 9090}
        tls: {mode: ISTIO_MUTUAL}`) +
        facts,
    );
    expect(off.lines).toEqual(["warning import/conflict DestinationRule/shop/cart/spec/trafficPolicy/portLevelSettings/0/tls"]);
    expect(doc(off, "MTLSPolicy", "cart-tls").spec).toEqual({ destination: { service: "cart" }, mode: "disabled", ports: { "9090": "permissive" } });
  });

  test("a DestinationRule unimesh did not generate is not read for the mode (an info): the PeerAuthentication's mode, the stricter", async () => {
    const spec = `  mtls: {mode: STRICT}
  portLevelMtls: {"80": {mode: PERMISSIVE}}`;
    const tp = `    portLevelSettings:
      - port: {number: 9080}
        tls: {mode: DISABLE}`;
    for (const [paMeta, drMeta] of [
      [undefined, "{name: cart, namespace: shop}"], // hand-written DestinationRule
      ["{name: cart-mtls, namespace: shop}", undefined], // hand-written PeerAuthentication, unimesh's DestinationRule
    ]) {
      const r = await imp(pa(spec, paMeta) + dr(tp, drMeta) + facts);
      expect(doc(r, "MTLSPolicy", paMeta ? "cart-mtls" : "cart-tls").spec).toEqual({
        destination: { service: "cart" },
        mode: "strict",
        ports: { "9080": "permissive" },
      });
      if (drMeta) {
        expect(r.lines).toEqual([]);
        expect(infos(r, "import/mesh-default")).toEqual(["DestinationRule/shop/cart/spec/trafficPolicy/portLevelSettings/0/tls"]);
      } else {
        // unimesh's DestinationRule says what MTLSPolicy/shop/cart-tls said, which no PeerAuthentication among the inputs carries.
        expect(r.lines).toEqual(["warning import/unsupported-field DestinationRule/shop/cart/spec/trafficPolicy/portLevelSettings/0/tls"]);
      }
    }
  });
});

describe("objects outside the importer", () => {
  test("workloads are ignored (info), other meshes' objects are unsupported kinds (warning)", async () => {
    const r = await imp(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {}
---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: web, namespace: shop}
spec: {}
`);
    expect(r.ok).toBe(true);
    expect(r.lines).toEqual(["warning import/unsupported-kind Server/shop/web"]);
    expect(r.diagnostics.some((d) => d.code === "import/ignored" && /1 Deployment/.test(d.message))).toBe(true);
  });
});
