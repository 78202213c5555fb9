import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import {
  assertValid,
  CRD_ROOT,
  CRD_SETS,
  type CrdSet,
  type CrdValidator,
  evaluateKubernetesCel,
  loadCrds,
  validateAll,
  validatorFromCrdDocuments,
} from "./support/crd-validator.js";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** A deep copy of `obj`, changed by `edit`. */
function variant<T>(obj: T, edit: (copy: any) => void): T {
  const copy = structuredClone(obj);
  edit(copy);
  return copy;
}

/**
 * Asserts that validating `obj` reports a problem at each JSON pointer given, whose message contains
 * the fragment given for it. Other problems are allowed only if `exact` is false.
 */
function expectProblems(v: CrdValidator, obj: unknown, expected: [pointer: string, fragment: string][], exact = true): string[] {
  const problems = v.validate(obj);
  for (const [pointer, fragment] of expected) {
    const hit = problems.some((p) => p.includes(` ${pointer}: `) && p.includes(fragment));
    expect(hit, `expected a problem at ${pointer} containing ${JSON.stringify(fragment)}, got:\n${problems.join("\n")}`).toBe(true);
  }
  if (exact) expect(problems, problems.join("\n")).toHaveLength(expected.length);
  return problems;
}

function expectValid(v: CrdValidator, obj: unknown): void {
  expect(v.validate(obj)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The copied CRDs
// ---------------------------------------------------------------------------------------------

describe("test/crds", () => {
  const folders = ["istio/1.30.3", "istio/1.22.8", "linkerd/edge-26.8.3", "linkerd/stable-2.14.10", "aws-app-mesh/v1.13.3", "gateway-api/v1.6.1"];

  function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
  }

  it.each(folders)("%s is a verbatim copy: every file matches the sha256 in its PROVENANCE.md", (folder) => {
    const dir = join(CRD_ROOT, folder);
    const provenance = readFileSync(join(dir, "PROVENANCE.md"), "utf8");
    const recorded = new Map<string, string>();
    for (const m of provenance.matchAll(/^\| `([^`]+)` \|.*`([0-9a-f]{64})`/gm)) recorded.set(m[1], m[2]);
    expect(recorded.size).toBeGreaterThan(0);

    const stored = filesUnder(dir)
      .map((path) => relative(dir, path))
      .filter((file) => file !== "PROVENANCE.md");
    expect(stored).toContain("LICENSE");
    for (const file of stored) {
      if (file === "LICENSE" && !recorded.has("LICENSE")) continue; // some PROVENANCE.md files describe LICENSE in prose
      expect(recorded.has(file), `${folder}/${file} is not listed in PROVENANCE.md`).toBe(true);
      const sha = createHash("sha256")
        .update(readFileSync(join(dir, file)))
        .digest("hex");
      expect(sha, `${folder}/${file}`).toBe(recorded.get(file));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Every rule of every set is supported
// ---------------------------------------------------------------------------------------------

describe("CEL rule support", () => {
  /**
   * Rules that cannot be evaluated, with the reason. Keep this list explicit and short: the test
   * below fails if it grows (a new CRD using an unimplemented function) or shrinks.
   */
  const KNOWN_UNSUPPORTED: readonly { set: CrdSet; rule: string; why: string }[] = [];

  it.each(CRD_SETS)("%s: every CEL rule compiles against the implemented functions", (set) => {
    const v = loadCrds(set);
    const unsupported = v.unsupportedRules().map((u) => ({ set, rule: u.rule, where: `${u.kind} ${u.version} ${u.field}`, reason: u.reason }));
    expect(
      unsupported.map(({ set: s, rule }) => ({ set: s, rule })),
      JSON.stringify(unsupported, null, 2),
    ).toEqual(KNOWN_UNSUPPORTED.filter((k) => k.set === set).map(({ set: s, rule }) => ({ set: s, rule })));
  });

  it("CRD_SETS are found by convention: every vendored release folder (per channel for Gateway API)", () => {
    expect(CRD_SETS).toEqual(
      expect.arrayContaining([
        "aws-app-mesh/v1.13.3",
        "gateway-api/v1.2.1/experimental",
        "gateway-api/v1.2.1/standard",
        "gateway-api/v1.6.1/experimental",
        "gateway-api/v1.6.1/standard",
        "istio/1.22.8",
        "istio/1.30.3",
        "kuma/v2.14.3",
        "linkerd/edge-26.8.3",
        "linkerd/stable-2.14.10",
      ]),
    );
    // A release's subfolders (Linkerd's policy/, workload/) belong to it, not sets of their own.
    expect(CRD_SETS.filter((s) => s.startsWith("linkerd/"))).toEqual(["linkerd/edge-26.8.3", "linkerd/stable-2.14.10"]);
    expect(() => loadCrds("istio/9.9.9")).toThrow(/unknown CRD set "istio\/9\.9\.9"/);
  });

  it("each set serves the kinds unimesh targets", () => {
    expect(loadCrds("istio/1.30.3").servedKinds()).toEqual(
      expect.arrayContaining(["networking.istio.io/v1 VirtualService", "security.istio.io/v1 AuthorizationPolicy", "telemetry.istio.io/v1 Telemetry"]),
    );
    expect(loadCrds("linkerd/edge-26.8.3").servedKinds()).toEqual(
      expect.arrayContaining(["policy.linkerd.io/v1beta3 Server", "policy.linkerd.io/v1beta3 HTTPRoute", "gateway.networking.k8s.io/v1 HTTPRoute"]),
    );
    expect(loadCrds("aws-app-mesh/v1.13.3").servedKinds()).toEqual(expect.arrayContaining(["appmesh.k8s.aws/v1beta2 Mesh"]));
    expect(loadCrds("gateway-api/v1.6.1/standard").servedKinds()).not.toContain("gateway.networking.k8s.io/v1alpha2 TCPRoute");
  });

  it("the sets really have CEL rules, and transition rules are only counted", () => {
    const stats = Object.fromEntries(CRD_SETS.map((set) => [set, loadCrds(set).ruleStats()]));
    expect(stats["istio/1.30.3"].compiled).toBeGreaterThan(300);
    expect(stats["istio/1.22.8"].compiled).toBeGreaterThan(0);
    expect(stats["linkerd/edge-26.8.3"].compiled).toBeGreaterThan(200);
    expect(stats["gateway-api/v1.6.1/standard"].compiled).toBeGreaterThan(250);
    expect(stats["gateway-api/v1.6.1/standard"].transition).toBe(2); // GatewayClass controllerName: self == oldSelf
    for (const s of Object.values(stats)) expect(s.unsupported).toBe(0);
  });

  it("a rule that calls an unimplemented function is reported, not skipped", () => {
    const v = validatorFromCrdDocuments([
      widgetCrd({
        type: "object",
        properties: {
          size: { type: "string", "x-kubernetes-validations": [{ rule: "quantity(self).isGreaterThan(quantity('1Gi'))" }] },
          tags: { type: "array", items: { type: "string" }, "x-kubernetes-validations": [{ rule: "self.all(i, v, v != '')" }] },
          opt: { type: "string", "x-kubernetes-validations": [{ rule: "self.?x.orValue('') == ''" }] },
          ref: { type: "string", "x-kubernetes-validations": [{ rule: "self == undeclaredVariable" }] },
        },
      }),
    ]);
    const reasons = v
      .unsupportedRules()
      .filter((u) => u.version === "v1")
      .map((u) => `${u.field}: ${u.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^\.spec\.size: .*unknown function 'quantity'/),
      expect.stringMatching(/^\.spec\.tags: the 3-argument form of the 'all' macro is not supported/),
      expect.stringMatching(/^\.spec\.opt: does not parse/),
      expect.stringMatching(/^\.spec\.ref: undeclared reference to 'undeclaredVariable'/),
    ]);
    expect(v.ruleStats()).toEqual({ compiled: 0, transition: 0, unsupported: 8 }); // 4 rules x 2 versions
  });
});

// ---------------------------------------------------------------------------------------------
// Istio
// ---------------------------------------------------------------------------------------------

const virtualService = {
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "reviews", namespace: "bookinfo", labels: { app: "reviews", "app.kubernetes.io/managed-by": "unimesh" } },
  spec: {
    hosts: ["reviews.bookinfo.svc.cluster.local"],
    http: [
      {
        match: [{ uri: { prefix: "/api" } }],
        route: [
          { destination: { host: "reviews", subset: "v1", port: { number: 9080 } }, weight: 80 },
          { destination: { host: "reviews", subset: "v2", port: { number: 9080 } }, weight: 20 },
        ],
        retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure" },
        timeout: "10s",
      },
    ],
  },
};

const destinationRule = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "reviews", namespace: "bookinfo" },
  spec: {
    host: "reviews.bookinfo.svc.cluster.local",
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: "30ms" }, http: { http1MaxPendingRequests: 10 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s" },
      tls: { mode: "ISTIO_MUTUAL" },
    },
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  },
};

const istioAuthorizationPolicy = {
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name: "reviews-allow-get", namespace: "bookinfo" },
  spec: {
    selector: { matchLabels: { app: "reviews" } },
    action: "ALLOW",
    rules: [
      {
        from: [{ source: { principals: ["cluster.local/ns/bookinfo/sa/productpage"] } }],
        to: [{ operation: { methods: ["GET"], paths: ["/api/*"] } }],
      },
    ],
  },
};

const peerAuthentication = {
  apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication",
  metadata: { name: "reviews-strict", namespace: "bookinfo" },
  spec: {
    selector: { matchLabels: { app: "reviews" } },
    mtls: { mode: "STRICT" },
    portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
  },
};

const telemetry = {
  apiVersion: "telemetry.istio.io/v1",
  kind: "Telemetry",
  metadata: { name: "tags", namespace: "bookinfo" },
  spec: {
    metrics: [
      {
        providers: [{ name: "prometheus" }],
        overrides: [{ match: { metric: "REQUEST_COUNT" }, tagOverrides: { request_host: { operation: "UPSERT", value: "request.host" } } }],
      },
    ],
  },
};

describe.each(["istio/1.30.3", "istio/1.22.8"] as const)("Istio %s", (set) => {
  const v = loadCrds(set);

  it("accepts valid VirtualService, DestinationRule, AuthorizationPolicy, PeerAuthentication, Telemetry", () => {
    for (const obj of [virtualService, destinationRule, istioAuthorizationPolicy, peerAuthentication, telemetry]) expectValid(v, obj);
    expect(() => assertValid([virtualService, destinationRule, istioAuthorizationPolicy, peerAuthentication], set)).not.toThrow();
  });

  it("accepts the older API versions that are still served", () => {
    expectValid(v, { ...virtualService, apiVersion: "networking.istio.io/v1beta1" });
    expectValid(v, { ...virtualService, apiVersion: "networking.istio.io/v1alpha3" });
    expectValid(v, { ...istioAuthorizationPolicy, apiVersion: "security.istio.io/v1beta1" });
  });

  it("rejects an unknown field", () => {
    const bad = variant(virtualService, (o) => (o.spec.http[0].retriez = { attempts: 3 }));
    expectProblems(v, bad, [["/spec/http/0/retriez", 'unknown field "retriez"']]);
  });

  it("rejects an unknown top-level field and an unknown metadata field", () => {
    const bad = variant(virtualService, (o) => {
      o.specs = {};
      o.metadata.label = { app: "x" };
    });
    expectProblems(v, bad, [
      ["/specs", 'unknown field "specs"'],
      ["/metadata/label", 'unknown field "label"'],
    ]);
  });

  it("rejects a wrong type", () => {
    const bad = variant(virtualService, (o) => (o.spec.http[0].retries.attempts = "3"));
    const problems = expectProblems(v, bad, [["/spec/http/0/retries/attempts", "must be of type integer"]], false);
    if (set === "istio/1.30.3") expect(problems.at(-1)).toContain("some validation rules were not checked");
  });

  it("rejects a bad enum value", () => {
    const bad = variant(istioAuthorizationPolicy, (o) => (o.spec.action = "MAYBE"));
    expectProblems(v, bad, [["/spec/action", 'Unsupported value: "MAYBE"']], false);
  });

  it("rejects a value outside the schema's bounds and a bad oneOf", () => {
    const bad = variant(virtualService, (o) => {
      o.spec.http[0].route[0].destination.port.number = 2 ** 32;
      o.spec.http[0].match[0].uri = { prefix: "/a", exact: "/a" };
    });
    expectProblems(
      v,
      bad,
      [
        ["/spec/http/0/route/0/destination/port/number", "should be less than or equal to 4294967295"],
        ["/spec/http/0/match/0/uri", "must validate one and only one schema (oneOf)"],
      ],
      false,
    );
  });

  it("rejects a CEL rule violation (Telemetry tagOverrides: UPSERT needs a value)", () => {
    const bad = variant(telemetry, (o) => (o.spec.metrics[0].overrides[0].tagOverrides.request_host.value = ""));
    expectProblems(v, bad, [["/spec/metrics/0/overrides/0/tagOverrides/request_host", "value must be set when operation is UPSERT"]]);
  });

  it("rejects a metadata name that is not a DNS-1123 subdomain", () => {
    const bad = variant(virtualService, (o) => (o.metadata.name = "Foo_Bar"));
    expectProblems(v, bad, [["/metadata/name", 'Invalid value: "Foo_Bar": a lowercase RFC 1123 subdomain']]);
  });

  it("rejects bad label keys and values, and a bad namespace", () => {
    const bad = variant(virtualService, (o) => {
      o.metadata.labels = { "-bad": "ok", good: "x".repeat(64) };
      o.metadata.namespace = "Bookinfo";
    });
    expectProblems(v, bad, [
      ["/metadata/labels/-bad", "label key name part must consist of alphanumeric characters"],
      ["/metadata/labels/good", "label value must be no more than 63 characters"],
      ["/metadata/namespace", "a lowercase RFC 1123 label"],
    ]);
  });

  it("rejects an API version that is not defined, and a kind from the wrong group", () => {
    expectProblems(v, { ...virtualService, apiVersion: "networking.istio.io/v1alpha9" }, [["/apiVersion", 'has no version "v1alpha9"']]);
    expectProblems(v, { ...virtualService, apiVersion: "security.istio.io/v1" }, [["/kind", 'no kind "VirtualService" in API group "security.istio.io"']]);
    expectProblems(v, { ...virtualService, apiVersion: "v1" }, [["/apiVersion", "is not <group>/<version> of a custom resource"]]);
  });
});

describe("Istio 1.30.3 CEL rules", () => {
  const v = loadCrds("istio/1.30.3");

  it("VirtualService and DestinationRule durations must be at least 1ms", () => {
    expectProblems(
      v,
      variant(virtualService, (o) => (o.spec.http[0].timeout = "500us")),
      [["/spec/http/0/timeout", "must be a valid duration greater than 1ms"]],
    );
    expectProblems(
      v,
      variant(destinationRule, (o) => (o.spec.trafficPolicy.outlierDetection.interval = "0s")),
      [["/spec/trafficPolicy/outlierDetection/interval", "must be a valid duration greater than 1ms"]],
    );
    expectProblems(
      v,
      variant(virtualService, (o) => (o.spec.http[0].retries.perTryTimeout = "2 seconds")),
      [["/spec/http/0/retries/perTryTimeout", "rule evaluation error: Failed to parse duration"]],
    );
  });

  it("AuthorizationPolicy: only one of selector / targetRef / targetRefs", () => {
    const bad = variant(istioAuthorizationPolicy, (o) => (o.spec.targetRefs = [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "waypoint" }]));
    expectProblems(v, bad, [["/spec", "only one of targetRefs or selector can be set"]]);
  });

  it("PeerAuthentication: portLevelMtls requires a selector, and ports must be 1-65535", () => {
    expectProblems(
      v,
      variant(peerAuthentication, (o) => delete o.spec.selector),
      [["/spec", "portLevelMtls requires selector"]],
    );
    expectProblems(
      v,
      variant(peerAuthentication, (o) => (o.spec.portLevelMtls["0"] = { mode: "STRICT" })),
      [["/spec/portLevelMtls", "port must be between 1-65535"]],
    );
  });

  it("label selectors: no wildcards", () => {
    expectProblems(
      v,
      variant(peerAuthentication, (o) => (o.spec.selector.matchLabels.app = "rev*")),
      [["/spec/selector/matchLabels/app", "wildcard not allowed in label value match"]],
    );
  });

  it("WasmPlugin url: Kubernetes url()/isURL() semantics", () => {
    const wasm = {
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: "auth", namespace: "bookinfo" },
      spec: { selector: { matchLabels: { app: "reviews" } }, url: "oci://ghcr.io/example/auth:v1" },
    };
    expectValid(v, wasm);
    expectValid(
      v,
      variant(wasm, (o) => (o.spec.url = "ghcr.io/example/auth:v1")),
    ); // no scheme: checked as http://...
    expectValid(
      v,
      variant(wasm, (o) => (o.spec.url = "file:///opt/filters/auth.wasm")),
    );
    expectProblems(
      v,
      variant(wasm, (o) => (o.spec.url = "ftp://example.com/auth.wasm")),
      [["/spec/url", "url must have schema one of [http, https, file, oci]"]],
    );
  });
});

describe("Istio 1.22.8 vs 1.30.3", () => {
  it("1.22.8 rejects fields that only exist in 1.30.3", () => {
    const withBackoff = variant(virtualService, (o) => (o.spec.http[0].retries.backoff = "25ms"));
    const withRetryBudget = variant(destinationRule, (o) => (o.spec.trafficPolicy.retryBudget = { percent: 20, minRetryConcurrency: 5 }));
    const withServiceAccounts = variant(istioAuthorizationPolicy, (o) => {
      o.spec.rules[0].from[0].source = { serviceAccounts: ["bookinfo/productpage"] };
    });
    for (const obj of [withBackoff, withRetryBudget, withServiceAccounts]) expectValid(loadCrds("istio/1.30.3"), obj);

    const old = loadCrds("istio/1.22.8");
    expectProblems(old, withBackoff, [["/spec/http/0/retries/backoff", 'unknown field "backoff"']]);
    expectProblems(old, withRetryBudget, [["/spec/trafficPolicy/retryBudget", 'unknown field "retryBudget"']]);
    expectProblems(old, withServiceAccounts, [["/spec/rules/0/from/0/source/serviceAccounts", 'unknown field "serviceAccounts"']]);
  });

  it("1.22.8 has no duration rules, so a sub-millisecond timeout only fails on 1.30.3", () => {
    const fast = variant(virtualService, (o) => (o.spec.http[0].timeout = "500us"));
    expectValid(loadCrds("istio/1.22.8"), fast);
    expect(loadCrds("istio/1.30.3").validate(fast)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Linkerd
// ---------------------------------------------------------------------------------------------

const linkerdServer = {
  apiVersion: "policy.linkerd.io/v1beta3",
  kind: "Server",
  metadata: { name: "web-http", namespace: "shop" },
  spec: { podSelector: { matchLabels: { app: "web" } }, port: "http", proxyProtocol: "HTTP/1" },
};

const linkerdAuthorizationPolicy = {
  apiVersion: "policy.linkerd.io/v1alpha1",
  kind: "AuthorizationPolicy",
  metadata: { name: "web-http-authn", namespace: "shop" },
  spec: {
    targetRef: { group: "policy.linkerd.io", kind: "Server", name: "web-http" },
    requiredAuthenticationRefs: [{ group: "policy.linkerd.io", kind: "MeshTLSAuthentication", name: "web-clients" }],
  },
};

const meshTLSAuthentication = {
  apiVersion: "policy.linkerd.io/v1alpha1",
  kind: "MeshTLSAuthentication",
  metadata: { name: "web-clients", namespace: "shop" },
  spec: { identities: ["frontend.shop.serviceaccount.identity.linkerd.cluster.local"] },
};

const linkerdHTTPRoute = {
  apiVersion: "policy.linkerd.io/v1beta3",
  kind: "HTTPRoute",
  metadata: { name: "web-api", namespace: "shop" },
  spec: {
    parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: "web-http" }],
    rules: [{ matches: [{ path: { type: "PathPrefix", value: "/api" }, method: "GET" }] }],
  },
};

const rateLimitPolicy = {
  apiVersion: "policy.linkerd.io/v1alpha1",
  kind: "HTTPLocalRateLimitPolicy",
  metadata: { name: "web-rl", namespace: "shop" },
  spec: {
    targetRef: { group: "policy.linkerd.io", kind: "Server", name: "web-http" },
    total: { requestsPerSecond: 100 },
    identity: { requestsPerSecond: 20 },
  },
};

/** A Gateway API HTTPRoute attached to a Service (GAMMA / mesh routing). */
const gatewayHTTPRoute = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "web-split", namespace: "shop" },
  spec: {
    parentRefs: [{ group: "core", kind: "Service", name: "web", port: 8080 }],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        backendRefs: [
          { name: "web-v1", port: 8080, weight: 90 },
          { name: "web-v2", port: 8080, weight: 10 },
        ],
      },
    ],
  },
};

describe("Linkerd edge-26.8.3", () => {
  const v = loadCrds("linkerd/edge-26.8.3");

  it("accepts valid Server, AuthorizationPolicy, MeshTLSAuthentication, HTTPRoute, HTTPLocalRateLimitPolicy", () => {
    for (const obj of [linkerdServer, linkerdAuthorizationPolicy, meshTLSAuthentication, linkerdHTTPRoute, rateLimitPolicy]) expectValid(v, obj);
    expectValid(
      v,
      variant(linkerdServer, (o) => (o.spec.port = 8080)),
    );
  });

  it("Server: port is an int-or-string, and exactly one selector (oneOf)", () => {
    expectProblems(
      v,
      variant(linkerdServer, (o) => (o.spec.port = 80.5)),
      [["/spec/port", "must be an integer or a string"]],
    );
    expectProblems(
      v,
      variant(linkerdServer, (o) => (o.spec.externalWorkloadSelector = { matchLabels: { app: "vm" } })),
      [["/spec", "must validate one and only one schema (oneOf), matched 2"]],
    );
  });

  it("AuthorizationPolicy: required fields and reference patterns", () => {
    expectProblems(
      v,
      variant(linkerdAuthorizationPolicy, (o) => delete o.spec.requiredAuthenticationRefs),
      [["/spec/requiredAuthenticationRefs", "Required value"]],
    );
    expectProblems(
      v,
      variant(linkerdAuthorizationPolicy, (o) => (o.spec.targetRef.kind = "Server!")),
      [["/spec/targetRef/kind", "should match"]],
    );
  });

  it("MeshTLSAuthentication: identities or identityRefs", () => {
    expectProblems(
      v,
      variant(meshTLSAuthentication, (o) => delete o.spec.identities),
      [["/spec", "matched 0"]],
    );
  });

  it("policy.linkerd.io HTTPRoute: enum and unknown fields", () => {
    expectProblems(
      v,
      variant(linkerdHTTPRoute, (o) => (o.spec.rules[0].matches[0].path.type = "Prefix")),
      [["/spec/rules/0/matches/0/path/type", 'Unsupported value: "Prefix"']],
    );
    expectProblems(
      v,
      variant(linkerdHTTPRoute, (o) => (o.spec.rules[0].timeout = "10s")),
      [["/spec/rules/0/timeout", 'unknown field "timeout"']],
    );
  });

  it("HTTPLocalRateLimitPolicy: integer rate", () => {
    expectProblems(
      v,
      variant(rateLimitPolicy, (o) => (o.spec.total.requestsPerSecond = "100")),
      [["/spec/total/requestsPerSecond", "must be of type integer"]],
    );
  });

  it("is not confused by the two AuthorizationPolicy kinds: the group decides", () => {
    expectProblems(v, { ...linkerdAuthorizationPolicy, apiVersion: "security.istio.io/v1" }, [["/apiVersion", 'no CRD of API group "security.istio.io"']]);
    const both = loadCrds("istio/1.30.3", "linkerd/edge-26.8.3");
    expectValid(both, linkerdAuthorizationPolicy);
    expectValid(both, istioAuthorizationPolicy);
    expectProblems(both, { ...linkerdAuthorizationPolicy, apiVersion: "security.istio.io/v1" }, [
      ["/spec/requiredAuthenticationRefs", 'unknown field "requiredAuthenticationRefs"'],
    ]);
    expectProblems(both, { ...istioAuthorizationPolicy, apiVersion: "policy.linkerd.io/v1alpha1" }, [["/spec/selector", 'unknown field "selector"']], false);
  });
});

describe("Linkerd stable-2.14.10", () => {
  const v = loadCrds("linkerd/stable-2.14.10");
  const serviceProfile = {
    apiVersion: "linkerd.io/v1alpha2",
    kind: "ServiceProfile",
    metadata: { name: "web.shop.svc.cluster.local", namespace: "shop" },
    spec: {
      routes: [
        {
          name: "GET /api",
          condition: { method: "GET", pathRegex: "/api/.*" },
          isRetryable: true,
          timeout: "300ms",
          responseClasses: [{ condition: { status: { min: 500, max: 599 } }, isFailure: true }],
        },
      ],
      retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10, ttl: "10s" },
      dstOverrides: [
        { authority: "web-v1.shop.svc.cluster.local:8080", weight: "900m" },
        { authority: "web-v2.shop.svc.cluster.local:8080", weight: 100 },
      ],
    },
  };
  const server = {
    apiVersion: "policy.linkerd.io/v1beta1",
    kind: "Server",
    metadata: { name: "web-http", namespace: "shop" },
    spec: { podSelector: { matchLabels: { app: "web" } }, port: 8080, proxyProtocol: "HTTP/1" },
  };

  it("accepts a valid ServiceProfile and Server v1beta1", () => {
    expectValid(v, serviceProfile);
    expectValid(v, server);
  });

  it("rejects bad ServiceProfile fields", () => {
    expectProblems(
      v,
      variant(serviceProfile, (o) => (o.spec.dstOverrides[0].weight = "lots")),
      [["/spec/dstOverrides/0/weight", "should match"]],
    );
    expectProblems(
      v,
      variant(serviceProfile, (o) => delete o.spec.routes[0].condition),
      [["/spec/routes/0/condition", "Required value"]],
    );
    expectProblems(
      v,
      variant(serviceProfile, (o) => (o.spec.retryBudget.retryRatio = "0.2")),
      [["/spec/retryBudget/retryRatio", "must be of type number"]],
    );
  });

  it("rejects Server versions that 2.14 does not have, and a Server without podSelector", () => {
    expectProblems(v, { ...server, apiVersion: "policy.linkerd.io/v1beta3" }, [["/apiVersion", 'has no version "v1beta3"']]);
    expectProblems(
      v,
      variant(server, (o) => delete o.spec.podSelector),
      [["/spec/podSelector", "Required value"]],
    );
  });

  it("rejects a version that is defined but not served", () => {
    expectProblems(v, { ...gatewayHTTPRoute, apiVersion: "gateway.networking.k8s.io/v1alpha2" }, [["/apiVersion", 'version "v1alpha2"']]);
    expect(v.validate({ ...gatewayHTTPRoute, apiVersion: "gateway.networking.k8s.io/v1alpha2" })[0]).toContain("is not served");
  });
});

// ---------------------------------------------------------------------------------------------
// Gateway API HTTPRoute with a Service parentRef
// ---------------------------------------------------------------------------------------------

describe.each(["gateway-api/v1.6.1/standard", "gateway-api/v1.6.1/experimental", "linkerd/edge-26.8.3"] as const)(
  "gateway.networking.k8s.io/v1 HTTPRoute (%s)",
  (set) => {
    const v = loadCrds(set);

    it("accepts a mesh HTTPRoute with a Service parentRef", () => {
      expectValid(v, gatewayHTTPRoute);
      expectValid(
        v,
        variant(gatewayHTTPRoute, (o) => (o.spec.parentRefs[0].group = "")),
      );
    });

    it("applies defaults before CEL: a Service backendRef (kind defaulted) needs a port", () => {
      expectProblems(
        v,
        variant(gatewayHTTPRoute, (o) => delete o.spec.rules[0].backendRefs[1].port),
        [["/spec/rules/0/backendRefs/1", "Must have port for Service reference"]],
      );
    });

    it("checks parentRef uniqueness across the list (CEL over a list of objects, __namespace__ escaping)", () => {
      const twice = variant(gatewayHTTPRoute, (o) => o.spec.parentRefs.push({ ...o.spec.parentRefs[0], namespace: "shop" }, o.spec.parentRefs[0]));
      expectProblems(v, twice, [["/spec/parentRefs", "must be unique when parentRefs includes 2 or more references to the same parent"]]);
    });

    it("rejects a bad path match and a filter without its config", () => {
      expectProblems(
        v,
        variant(gatewayHTTPRoute, (o) => (o.spec.rules[0].matches[0].path.value = "api")),
        [["/spec/rules/0/matches/0/path", "must be an absolute path"]],
      );
      expectProblems(
        v,
        variant(gatewayHTTPRoute, (o) => (o.spec.rules[0].filters = [{ type: "RequestHeaderModifier" }])),
        [["/spec/rules/0/filters/0", "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type"]],
      );
    });

    it("rejects a weight out of range and too many rules entries", () => {
      expectProblems(
        v,
        variant(gatewayHTTPRoute, (o) => (o.spec.rules[0].backendRefs[0].weight = 1000001)),
        [["/spec/rules/0/backendRefs/0/weight", "should be less than or equal to 1000000"]],
      );
    });
  },
);

describe("several sets: the first one that defines a group/kind wins", () => {
  const withSessionPersistence = variant(gatewayHTTPRoute, (o) => (o.spec.rules[0].sessionPersistence = { sessionName: "s", type: "Cookie" }));

  it("Linkerd's bundled Gateway API HTTPRoute (v1.1 experimental) has sessionPersistence, v1.6.1 standard does not", () => {
    expectValid(loadCrds("linkerd/edge-26.8.3", "gateway-api/v1.6.1/standard"), withSessionPersistence);
    expectProblems(loadCrds("gateway-api/v1.6.1/standard", "linkerd/edge-26.8.3"), withSessionPersistence, [
      ["/spec/rules/0/sessionPersistence", 'unknown field "sessionPersistence"'],
    ]);
  });

  it("kinds that only the later set defines are still found", () => {
    const gateway = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "ingress", namespace: "shop" },
      spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] },
    };
    expectValid(loadCrds("linkerd/edge-26.8.3", "gateway-api/v1.6.1/standard"), gateway);
    expectProblems(loadCrds("linkerd/edge-26.8.3"), gateway, [["/kind", 'no kind "Gateway"']]);
  });

  it("validateAll / assertValid report every problem of every object", () => {
    const objects = [virtualService, variant(virtualService, (o) => (o.metadata.name = "Bad_Name")), linkerdServer];
    const problems = validateAll(objects, ["istio/1.30.3", "linkerd/edge-26.8.3"]);
    expect(problems).toEqual([expect.stringContaining("VirtualService/Bad_Name /metadata/name")]);
    expect(() => assertValid(objects, "istio/1.30.3", "linkerd/edge-26.8.3")).toThrow(/1 problem\(s\) in 3 object\(s\)[\s\S]*Bad_Name/);
    expect(() => assertValid([linkerdServer], "istio/1.30.3")).toThrow(/no CRD of API group "policy.linkerd.io"/);
  });
});

describe("Gateway API v1.6.1 served versions", () => {
  it("rejects a version that is listed but not served (TCPRoute v1alpha2 in the standard channel)", () => {
    const tcpRoute = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "TCPRoute",
      metadata: { name: "db", namespace: "shop" },
      spec: { parentRefs: [{ name: "ingress" }], rules: [{ backendRefs: [{ name: "db", port: 5432 }] }] },
    };
    expectValid(loadCrds("gateway-api/v1.6.1/standard"), tcpRoute);
    const alpha = { ...tcpRoute, apiVersion: "gateway.networking.k8s.io/v1alpha2" };
    expectProblems(loadCrds("gateway-api/v1.6.1/standard"), alpha, [["/apiVersion", 'version "v1alpha2" of TCPRoute.gateway.networking.k8s.io']]);
    expectValid(loadCrds("gateway-api/v1.6.1/experimental"), alpha);
  });
});

// ---------------------------------------------------------------------------------------------
// AWS App Mesh
// ---------------------------------------------------------------------------------------------

describe("AWS App Mesh v1.13.3", () => {
  const v = loadCrds("aws-app-mesh/v1.13.3");
  const meshRef = { name: "global", uid: "0f7e3d7c-2c1a-4b55-9a1e-1f1f1f1f1f1f" };
  const mesh = {
    apiVersion: "appmesh.k8s.aws/v1beta2",
    kind: "Mesh",
    metadata: { name: "global" },
    spec: { namespaceSelector: { matchLabels: { mesh: "global" } }, egressFilter: { type: "DROP_ALL" } },
  };
  const virtualNode = {
    apiVersion: "appmesh.k8s.aws/v1beta2",
    kind: "VirtualNode",
    metadata: { name: "web-v1", namespace: "shop" },
    spec: {
      meshRef,
      podSelector: { matchLabels: { app: "web", version: "v1" } },
      listeners: [{ portMapping: { port: 8080, protocol: "http" } }],
      serviceDiscovery: { dns: { hostname: "web-v1.shop.svc.cluster.local" } },
      backends: [{ virtualService: { virtualServiceRef: { name: "db" } } }],
    },
  };
  const virtualRouter = {
    apiVersion: "appmesh.k8s.aws/v1beta2",
    kind: "VirtualRouter",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      meshRef,
      listeners: [{ portMapping: { port: 8080, protocol: "http" } }],
      routes: [
        {
          name: "split",
          httpRoute: {
            match: { prefix: "/" },
            action: {
              weightedTargets: [
                { virtualNodeRef: { name: "web-v1" }, weight: 90 },
                { virtualNodeRef: { name: "web-v2" }, weight: 10 },
              ],
            },
            retryPolicy: { maxRetries: 2, perRetryTimeout: { unit: "ms", value: 500 }, httpRetryEvents: ["server-error"] },
          },
        },
      ],
    },
  };
  const appMeshVirtualService = {
    apiVersion: "appmesh.k8s.aws/v1beta2",
    kind: "VirtualService",
    metadata: { name: "web", namespace: "shop" },
    spec: { meshRef, awsName: "web.shop.svc.cluster.local", provider: { virtualRouter: { virtualRouterRef: { name: "web" } } } },
  };

  it("accepts valid Mesh, VirtualNode, VirtualRouter, VirtualService", () => {
    for (const obj of [mesh, virtualNode, virtualRouter, appMeshVirtualService]) expectValid(v, obj);
  });

  it("Mesh is cluster scoped: a namespace is an error", () => {
    expectProblems(
      v,
      variant(mesh, (o) => (o.metadata.namespace = "shop")),
      [["/metadata/namespace", "not allowed on this cluster-scoped kind"]],
    );
  });

  it("rejects bad App Mesh fields", () => {
    expectProblems(
      v,
      variant(virtualRouter, (o) => (o.spec.routes[0].httpRoute.action.weightedTargets[0].weight = 101)),
      [["/spec/routes/0/httpRoute/action/weightedTargets/0/weight", "should be less than or equal to 100"]],
    );
    expectProblems(
      v,
      variant(virtualRouter, (o) => (o.spec.routes[0].httpRoute.action.weightedTargets = [])),
      [["/spec/routes/0/httpRoute/action/weightedTargets", "should have at least 1 items"]],
    );
    expectProblems(
      v,
      variant(virtualNode, (o) => (o.spec.listeners[0].portMapping.protocol = "HTTP")),
      [["/spec/listeners/0/portMapping/protocol", 'Unsupported value: "HTTP"']],
    );
    expectProblems(
      v,
      variant(appMeshVirtualService, (o) => delete o.spec.meshRef.uid),
      [["/spec/meshRef/uid", "Required value"]],
    );
    expectProblems(
      v,
      variant(mesh, (o) => (o.spec.egressFilter.kind = "x")),
      [["/spec/egressFilter/kind", 'unknown field "kind"']],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes semantics, on a synthetic CRD
// ---------------------------------------------------------------------------------------------

function widgetCrd(specSchema: Obj, options: { scope?: "Namespaced" | "Cluster"; rootRules?: Obj[] } = {}): Obj {
  const schema = (served: boolean): Obj => ({
    name: served ? "v1" : "v1alpha1",
    served,
    storage: served,
    schema: {
      openAPIV3Schema: {
        type: "object",
        properties: { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, spec: specSchema },
        ...(options.rootRules ? { "x-kubernetes-validations": options.rootRules } : {}),
      },
    },
  });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.test.unimesh.dev" },
    spec: {
      group: "test.unimesh.dev",
      names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
      scope: options.scope ?? "Namespaced",
      versions: [schema(true), schema(false)],
    },
  };
}

function widget(spec: unknown, extra: Obj = {}): Obj {
  return { apiVersion: "test.unimesh.dev/v1", kind: "Widget", metadata: { name: "w", namespace: "ns" }, spec, ...extra };
}

describe("pattern: Go RE2 as the API server reads it", () => {
  // prometheus-operator v0.93.0's PrometheusRule: spec.groups[].partial_response_strategy.
  const v = validatorFromCrdDocuments([
    widgetCrd({ type: "object", properties: { strategy: { type: "string", pattern: "^(?i)(abort|warn)?$" }, mode: { type: "string", pattern: "(?s)^a.b$" } } }),
  ]);
  it("a leading (?i) flag group is case-insensitive matching, not an unsupported rule", () => {
    expect(v.unsupportedRules()).toEqual([]);
    for (const strategy of ["abort", "WARN", "Abort", ""]) expect(v.validate(widget({ strategy })), strategy).toEqual([]);
    expect(v.validate(widget({ strategy: "retry" }))[0]).toContain("should match '^(?i)(abort|warn)?$'");
    expect(v.validate(widget({ mode: "a\nb" }))).toEqual([]);
  });
});

describe("Kubernetes structural schema semantics", () => {
  const v = validatorFromCrdDocuments([
    widgetCrd({
      type: "object",
      required: ["mode"],
      properties: {
        mode: { type: "string", enum: ["A", "B"] },
        name: { type: "string", nullable: true, maxLength: 3 },
        count: { type: "integer", format: "int32", minimum: 0 },
        ratio: { type: "number", exclusiveMaximum: true, maximum: 1 },
        port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
        free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        empty: { type: "object" },
        labels: { type: "object", additionalProperties: { type: "string", minLength: 1 } },
        tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["port", "protocol"],
          items: {
            type: "object",
            required: ["port"],
            properties: { port: { type: "integer" }, protocol: { type: "string", default: "TCP" } },
          },
        },
        when: { type: "string", format: "date-time" },
        either: {
          type: "object",
          properties: { a: { type: "string" }, b: { type: "string" } },
          oneOf: [{ required: ["a"] }, { required: ["b"] }],
        },
        notBoth: { type: "object", properties: { a: { type: "string" }, b: { type: "string" } }, not: { required: ["a", "b"] } },
      },
    }),
  ]);

  it("accepts a valid object", () => {
    expectValid(
      v,
      widget({
        mode: "A",
        name: null,
        count: 3,
        ratio: 0.5,
        port: "http",
        free: { anything: { goes: [1, "x"] } },
        empty: {},
        labels: { a: "b" },
        tags: ["x", "y"],
        ports: [{ port: 80 }, { port: 80, protocol: "UDP" }],
        when: "2024-02-29T10:00:00Z",
        either: { b: "x" },
        notBoth: { a: "x" },
      }),
    );
  });

  it("nullable and non-nullable nulls: a non-nullable null is dropped like the API server does", () => {
    expectValid(v, widget({ mode: "A", name: null, count: null }));
    expectProblems(v, widget({ mode: null }), [["/spec/mode", "Required value"]]);
    expectProblems(v, widget({ mode: "A", tags: [null] }), [["/spec/tags/0", "must be of type string, got null"]]);
  });

  it("types, int32 range, int-or-string, exclusive maximum", () => {
    expectProblems(v, widget({ mode: "A", count: 1.5, port: true, ratio: 1 }), [
      ["/spec/count", "must be of type integer, got number"],
      ["/spec/port", "must be an integer or a string"],
      ["/spec/ratio", "should be less than 1"],
    ]);
    expectProblems(v, widget({ mode: "A", count: 2 ** 31 }), [["/spec/count", "out of int32 range"]]);
    expectValid(v, widget({ mode: "A", port: 8080 }));
  });

  it("unknown fields: preserved only under x-kubernetes-preserve-unknown-fields; an object without properties holds nothing", () => {
    expectProblems(v, widget({ mode: "A", empty: { x: 1 }, free: { y: 2 }, extra: 1 }), [
      ["/spec/extra", 'unknown field "extra"'],
      ["/spec/empty/x", 'unknown field "x"'],
    ]);
  });

  it("additionalProperties schema, list-type set and map (with defaulted keys), maxLength in code points", () => {
    expectProblems(v, widget({ mode: "A", labels: { a: "" }, tags: ["x", "x"], ports: [{ port: 80 }, { port: 80, protocol: "TCP" }] }), [
      ["/spec/labels/a", "should be at least 1 chars long"],
      ["/spec/tags/1", 'Duplicate value: "x"'],
      ["/spec/ports/1", 'Duplicate value: {"port":80,"protocol":"TCP"}'],
    ]);
    expectValid(v, widget({ mode: "A", name: "日本語" }));
    expectProblems(v, widget({ mode: "A", name: "日本語!" }), [["/spec/name", "Too long"]]);
  });

  it("oneOf, not, format", () => {
    expectProblems(v, widget({ mode: "A", either: {}, notBoth: { a: "x", b: "y" }, when: "2024-02-30T10:00:00Z" }), [
      ["/spec/either", "matched 0"],
      ["/spec/notBoth", "must not validate the schema (not)"],
      ["/spec/when", "must be a date-time"],
    ]);
  });

  it("metadata: name or generateName, label/annotation keys, namespace", () => {
    expectProblems(v, widget({ mode: "A" }, { metadata: { namespace: "ns" } }), [["/metadata/name", "Required value"]]);
    expectValid(v, widget({ mode: "A" }, { metadata: { generateName: "w-" } }));
    expectProblems(v, widget({ mode: "A" }, { metadata: { name: "w", annotations: { "Example.com/x": "1", "a/b/c": "2" } } }), [
      ["/metadata/annotations/a~1b~1c", "annotation key a qualified name"],
    ]);
    expectProblems(v, widget({ mode: "A" }, { metadata: { name: "w", labels: { app: 1 } } }), [["/metadata/labels/app", "must be of type string"]]);
    expectProblems(v, widget({ mode: "A" }, { metadata: { name: "w".repeat(254) } }), [["/metadata/name", "no more than 253 characters"]]);
  });

  it("the object must be plain JSON data", () => {
    expectProblems(v, widget({ mode: "A", when: new Date(0) }), [["/spec/when", "a Date object is not plain JSON data"]], false);
    expectProblems(v, widget({ mode: "A", tags: ["a", undefined] }), [["/spec/tags/1", "undefined array element"]], false);
    expectProblems(v, widget({ mode: "A", count: Number.NaN }), [["/spec/count", "NaN is not a JSON number"]], false);
    expectValid(v, widget({ mode: "A", name: undefined })); // undefined properties are omitted, as JSON.stringify does
    expect(v.validate("nope")).toEqual(["<no kind>/<no name> (root): must be a JSON object, got string"]);
  });

  it("groups, kinds and versions", () => {
    expectProblems(v, widget({ mode: "A" }, { apiVersion: "test.unimesh.dev/v1alpha1" }), [
      ["/apiVersion", 'version "v1alpha1" of Widget.test.unimesh.dev (inline) is not served'],
    ]);
    expectProblems(v, widget({ mode: "A" }, { kind: "Gadget" }), [["/kind", 'no kind "Gadget" in API group "test.unimesh.dev"']]);
    expectProblems(v, { apiVersion: "v1", kind: "Service", metadata: { name: "web" } }, [["/apiVersion", "is not <group>/<version>"]]);
    expect(v.servedKinds()).toEqual(["test.unimesh.dev/v1 Widget"]);
  });

  it("cluster-scoped kinds reject a namespace", () => {
    const cluster = validatorFromCrdDocuments([widgetCrd({ type: "object" }, { scope: "Cluster" })]);
    expectValid(cluster, { apiVersion: "test.unimesh.dev/v1", kind: "Widget", metadata: { name: "w" } });
    expectProblems(cluster, { apiVersion: "test.unimesh.dev/v1", kind: "Widget", metadata: { name: "w", namespace: "ns" } }, [
      ["/metadata/namespace", "Forbidden"],
    ]);
  });
});

describe("CEL semantics", () => {
  const rule = (r: string, extra: Obj = {}): Obj => ({ rule: r, ...extra });
  const v = validatorFromCrdDocuments([
    widgetCrd(
      {
        type: "object",
        "x-kubernetes-validations": [
          rule("self.weight <= 100", { message: "weight must be at most 100" }),
          rule("!has(self.ratio) || self.ratio < 2", { message: "ratio" }),
          rule("!has(self.mode) || self.mode == 'auto' || has(self.ratio)", { message: "manual mode needs a ratio", fieldPath: ".mode" }),
          rule("self.__namespace__ != 'kube-system'", { messageExpression: "'namespace ' + self.__namespace__ + ' is reserved'" }),
          rule("!has(self.x__dash__y) || self.x__dash__y > 0", { message: "x-y must be positive" }),
          rule("self.mode == oldSelf.mode", { message: "immutable" }),
        ],
        properties: {
          weight: { type: "integer", default: 50 },
          ratio: { type: "number" },
          mode: { type: "string" },
          namespace: { type: "string", default: "default" },
          "x-y": { type: "integer" },
          port: { "x-kubernetes-int-or-string": true, "x-kubernetes-validations": [rule("type(self) == int ? self > 0 : self != ''")] },
          host: { type: "string", "x-kubernetes-validations": [rule("isURL('http://' + self) && url('http://' + self).getHostname() == self")] },
          ip: {
            type: "string",
            "x-kubernetes-validations": [
              rule("isIP(self) && ip(self).family() == 4 && cidr('10.0.0.0/8').containsIP(self)", { message: "must be in 10.0.0.0/8" }),
            ],
          },
          canonical: { type: "string", "x-kubernetes-validations": [rule("ip.isCanonical(self)", { message: "not canonical" })] },
          label: {
            type: "string",
            "x-kubernetes-validations": [
              rule("!format.dns1123Label().validate(self).hasValue()", { messageExpression: "format.dns1123Label().validate(self).value().join(', ')" }),
            ],
          },
          nums: {
            type: "array",
            items: { type: "integer" },
            "x-kubernetes-validations": [
              rule("self.isSorted() && self.sum() == 6 && self.min() == 1 && self.max() == 3 && self.indexOf(2) == 1 && self.lastIndexOf(9) == -1", {
                message: "nums",
              }),
              rule("sets.contains(self, [1, 2]) && sets.intersects(self, [3]) && !sets.equivalent(self, [1])", { message: "sets" }),
            ],
          },
          timeout: { type: "string", format: "duration", "x-kubernetes-validations": [rule("self <= duration('1m')", { message: "timeout at most 1m" })] },
          data: { type: "string", format: "byte", "x-kubernetes-validations": [rule("size(self) == 3", { message: "3 bytes" })] },
          items: {
            type: "array",
            items: {
              type: "object",
              properties: { name: { type: "string" } },
              "x-kubernetes-validations": [rule("self.name.startsWith('i-')", { message: "item names start with i-" })],
            },
          },
        },
      },
      { rootRules: [rule("self.kind == 'Widget' && self.metadata.name.size() <= 10 && !has(self.metadata.namespace)", { message: "root rule" })] },
    ),
  ]);

  it("valid values pass, with defaults applied before evaluation", () => {
    expectValid(
      v,
      widget({
        ratio: 1,
        mode: "manual",
        port: 8080,
        host: "example.com",
        ip: "10.1.2.3",
        canonical: "2001:db8::1",
        label: "my-label",
        nums: [1, 2, 3],
        timeout: "30s",
        data: "YWJj",
        items: [{ name: "i-1" }],
      }),
    );
    expectValid(v, widget({ port: "http", "x-y": 1 }));
  });

  it("integer, double and int-or-string values have the CEL types Kubernetes gives them", () => {
    expectProblems(v, widget({ weight: 101, ratio: 2, port: 0 }), [
      ["/spec", "weight must be at most 100"],
      ["/spec", "ratio"],
      ["/spec/port", "failed rule: type(self) == int ? self > 0 : self != ''"],
    ]);
    expectProblems(v, widget({ port: "" }), [["/spec/port", "failed rule"]]);
  });

  it("fieldPath, messageExpression, escaped property names", () => {
    expectProblems(v, widget({ mode: "manual" }), [["/spec/mode", "manual mode needs a ratio"]]);
    expectValid(v, widget({ mode: "manual", ratio: 1, weight: null })); // null weight: dropped, then defaulted to 50
    expectProblems(v, widget({ namespace: "kube-system", "x-y": -1 }), [
      ["/spec", "namespace kube-system is reserved"],
      ["/spec", "x-y must be positive"],
    ]);
  });

  it("Kubernetes libraries: url, ip, cidr, format, lists, sets", () => {
    expectProblems(v, widget({ host: "example.com:8080", ip: "192.168.0.1", canonical: "2001:DB8::1", label: "Not_A_Label", nums: [3, 2, 1] }), [
      ["/spec/host", "failed rule"],
      ["/spec/ip", "must be in 10.0.0.0/8"],
      ["/spec/canonical", "not canonical"],
      ["/spec/label", "a lowercase RFC 1123 label must consist of"],
      ["/spec/nums", "nums"],
    ]);
    expectProblems(v, widget({ ip: "10.0.0.01" }), [["/spec/ip", "must be in 10.0.0.0/8"]]);
    expectProblems(v, widget({ nums: [1, 2, 4] }), [
      ["/spec/nums", "nums"],
      ["/spec/nums", "sets"],
    ]);
  });

  it("format: duration and byte strings are CEL durations and bytes", () => {
    expectProblems(v, widget({ timeout: "2m", data: "YWJjZA==" }), [
      ["/spec/timeout", "timeout at most 1m"],
      ["/spec/data", "3 bytes"],
    ]);
  });

  it("rules on array items, and the root rule that sees only metadata.name", () => {
    expectProblems(v, widget({ items: [{ name: "i-1" }, { name: "x" }] }), [["/spec/items/1", "item names start with i-"]]);
    expectProblems(v, widget({}, { metadata: { name: "a-very-long-name", namespace: "ns" } }), [["(root)", "root rule"]]);
  });

  it("transition rules are not evaluated for a new object", () => {
    expect(v.ruleStats()).toMatchObject({ transition: 2, unsupported: 0 }); // one rule, in two versions
  });

  it("a schema error blocks all CEL evaluation, like the API server", () => {
    expectProblems(v, widget({ weight: "many" }), [
      ["/spec/weight", "must be of type integer"],
      ["(root)", "some validation rules were not checked"],
    ]);
  });
});

describe("Gateway API experimental XBackend port name rule", () => {
  // Upstream writes `size(self) == 0 || format.dns1123Label().validate(self) == null`. validate()
  // returns an optional, and in cel-go `optional.none() == null` is false (types.Equal: only null equals
  // null), so the API server rejects every non-empty port name. The validator does the same.
  const v = loadCrds("gateway-api/v1.6.1/experimental");
  const backend = {
    apiVersion: "gateway.networking.x-k8s.io/v1alpha1",
    kind: "XBackend",
    metadata: { name: "ext", namespace: "shop" },
    spec: { type: "ExternalHostname", externalHostname: { hostname: "api.example.com" }, port: { port: 443 } },
  };

  it("accepts an empty port name and rejects any other, as the API server does", () => {
    expectValid(v, backend);
    expectValid(
      v,
      variant(backend, (o) => (o.spec.port.name = "")),
    );
    expectProblems(
      v,
      variant(backend, (o) => (o.spec.port.name = "https")),
      [["/spec/port/name", "Name must be a valid DNS label"]],
    );
  });

  it("still checks the other XBackend rules", () => {
    expectProblems(
      v,
      variant(backend, (o) => (o.spec.externalHostname.hostname = "api.shop.svc.cluster.local")),
      [["/spec/externalHostname/hostname", "hostname must not be an IP address or end with .cluster.local"]],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Speed
// ---------------------------------------------------------------------------------------------

describe("many objects", () => {
  // Speed is measured in `npm run bench`, never asserted in tests; this checks that the cached
  // validators stay correct across many distinct objects.
  it("validates 1000 distinct valid objects with no false positives", () => {
    const v = loadCrds("istio/1.30.3", "linkerd/edge-26.8.3", "gateway-api/v1.6.1/standard", "aws-app-mesh/v1.13.3");
    const objects = Array.from({ length: 1000 }, (_, i) => {
      const base = [virtualService, destinationRule, istioAuthorizationPolicy, peerAuthentication, gatewayHTTPRoute][i % 5];
      return variant(base, (o) => (o.metadata.name = `${o.metadata.name}-${i}`));
    });
    expect(objects.flatMap((o) => v.validate(o))).toEqual([]);
    // ...and a broken one among them is still caught after the caches are warm.
    const broken = variant(virtualService, (o) => ((o.spec as any).http[0].retriez = 1));
    expect(v.validate(broken).join("\n")).toMatch(/retriez/);
  });
});

describe("after all the validations above", () => {
  it("no rule met an unbound function or a missing overload at run time", () => {
    const problems = CRD_SETS.flatMap((set) => loadCrds(set).unsupportedRules());
    expect(problems, JSON.stringify(problems, null, 2)).toEqual([]);
  });
});

describe("Kubernetes CEL libraries (examples from the Kubernetes library documentation)", () => {
  const cases: [expression: string, expected: unknown][] = [
    // URLs: url() must pass Go's url.ParseRequestURI
    ["url('https://user:pass@example.com:80/path?query=val#fragment').getHost()", "example.com:80"],
    ["isURL('https://user:pass@example.com:80/path?query=val#fragment')", true],
    ["isURL('/absolute-path')", true],
    ["isURL('https://a:b:c/')", false],
    ["isURL('../relative-path')", false],
    ["isURL('')", false],
    ["isURL('registry.io/image:tag')", false],
    ["url('/path').getScheme()", ""],
    ["url('HTTPS://example.com/').getScheme()", "https"],
    ["url('https://example.com/').getHost()", "example.com"],
    ["url('https://[::1]:80/').getHost()", "[::1]:80"],
    ["url('https://[::1]/').getHostname()", "::1"],
    ["url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"],
    ["url('https://example.com:80/').getPort()", "80"],
    ["url('https://example.com/').getPort()", ""],
    ["url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"],
    ["url('https://example.com').getEscapedPath()", ""],
    ["url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}", true],
    ["url('https://example.com/path?key with spaces=value with spaces').getQuery() == {'key with spaces': ['value with spaces']}", true],
    ["url('https://example.com/path?').getQuery() == {}", true],
    // IPs and CIDRs
    ["isIP('127.0.0.1') && isIP('::1')", true],
    ["isIP('127.0.0.256') || isIP(':::1') || isIP('127.0.0.01') || isIP('::ffff:1.2.3.4') || isIP('fe80::1%eth0')", false],
    ["ip('127.0.0.1').family() == 4 && ip('::1').family() == 6", true],
    ["ip.isCanonical('2001:db8::abcd') && !ip.isCanonical('2001:DB8::ABCD') && !ip.isCanonical('2001:db8::0:0:0:abcd')", true],
    ["ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified() && !ip('::1').isUnspecified()", true],
    ["ip('127.0.0.1').isLoopback() && ip('::1').isLoopback() && !ip('2001:db8::abcd').isLoopback()", true],
    ["ip('224.0.0.1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast()", true],
    ["ip('169.254.169.254').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() && !ip('fd80::1').isLinkLocalUnicast()", true],
    ["ip('192.168.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()", true],
    ["cidr('192.168.0.0/24').containsIP(ip('192.168.0.1')) && !cidr('192.168.0.0/24').containsIP('192.168.1.1')", true],
    ["cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24') && !cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')", true],
    ["cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24') && cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", true],
    ["cidr('::1/128').prefixLength()", 128n],
    ["isCIDR('192.168.0.0/24') && !isCIDR('192.168.0.0/33') && !isCIDR('192.168.0.0/024') && !isCIDR('::ffff:1.2.3.4/128')", true],
    // format library
    ["format.dns1123Label().validate('my-label-name').hasValue()", false],
    ["format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()", false],
    ["format.dns1035Label().validate('1abc').hasValue()", true],
    ["format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()", false],
    ["format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()", false],
    ["format.uri().validate('http://example.com').hasValue() || format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", false],
    ["format.byte().validate('aGVsbG8=').hasValue() || format.date().validate('2021-01-01').hasValue()", false],
    ["format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", false],
    ["format.named('labelValue').value().validate('a').hasValue()", false],
    ["'a'.repeat(2)", "unsupported"],
    ["format.named('nope').hasValue()", false],
    ["format.dns1123Label().validate('Not A Label').value().size() > 0", true],
    ["format.dns1123Label().validate('x') == null", false], // an optional is never null (cel-go semantics)
    // optionals, lists, sets
    ["optional.of(1).orValue(2) + optional.none().orValue(3)", 4n],
    ["optional.ofNonZeroValue('').hasValue()", false],
    ["[1, 2, 3].isSorted() && ![3, 1].isSorted() && ['a', 'b'].isSorted()", true],
    ["[1, 2, 3].sum()", 6n],
    ["[1.5, 2.5].sum()", 4],
    ["[].sum()", 0n],
    ["[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3", true],
    ["[1, 2, 2, 3].indexOf(2) == 1 && [1, 2, 2, 3].lastIndexOf(2) == 2 && [1].indexOf(5) == -1", true],
    ["sets.contains([1, 2, 3], [3, 1]) && !sets.contains([1], [2])", true],
    ["sets.equivalent([1, 2], [2, 1, 1]) && sets.intersects([1, 2], [2, 5])", true],
    // standard CEL and the strings extension, as the CRDs use them
    ["duration('1h30m') > duration('90m') || duration('1.5h') == duration('90m')", true],
    ["duration('5\u03bcs') < duration('1ms')", true],
    ["'a,b'.split(',').size() == 2 && 'ABC'.lowerAscii() == 'abc' && ['a', 'b'].join('-') == 'a-b'", true],
    ["'*.example.com'.substring(2).matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$')", true],
    ['\'Foo.Bar\'.matches(r"""^(?i)\\.?[a-z_][a-z_0-9]*(\\.[a-z_][a-z_0-9]*)*$""")', true],
    ["self.all(k, 0 < int(k) && int(k) <= 65535)", true],
  ];

  it.each(cases)("%s", (expression, expected) => {
    if (expected === "unsupported") {
      expect(() => evaluateKubernetesCel(expression)).toThrow(/unsupported/);
    } else {
      expect(evaluateKubernetesCel(expression, { "80": 1, "8080": 2 })).toEqual(expected);
    }
  });

  it("errors are errors", () => {
    expect(() => evaluateKubernetesCel("url('../relative')")).toThrow(/URL parse error/);
    expect(() => evaluateKubernetesCel("ip('::ffff:1.2.3.4')")).toThrow(/IPv4-mapped IPv6 address/);
    expect(() => evaluateKubernetesCel("[].min()")).toThrow(/empty/);
    expect(() => evaluateKubernetesCel("optional.none().value()")).toThrow(/optional.none\(\) dereference/);
  });
});
