/**
 * The Gateway API (GAMMA) adapter: routes built from the model, checked against the upstream CRDs of the
 * target release and channel, with inputs taken from Gateway API's own mesh conformance tests
 * (kubernetes-sigs/gateway-api `conformance/tests/mesh/*.yaml`).
 */
import { describe, expect, test } from "vitest";
import { type KubeObject, type TranslateResult, gatewayApi, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";

type Opts = { version?: string; channel?: "standard" | "experimental" | string };

function run(yaml: string, o: Opts = {}): TranslateResult {
  const loaded = loadModel([{ file: "test.yaml", text: yaml }]);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return translate(loaded.model, { adapter: gatewayApi, version: o.version ?? "1.6", ...(o.channel ? { settings: { channel: o.channel } } : {}) });
}

function ok(yaml: string, o: Opts = {}): KubeObject[] {
  const r = run(yaml, o);
  expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.message}`)).toEqual([]);
  const set = `gateway-api/v${o.version === "1.2" ? "1.2.1" : "1.6.1"}/${o.channel === "experimental" ? "experimental" : "standard"}`;
  expect(validateAll(r.resources, [set as never])).toEqual([]);
  return r.resources;
}

const errors = (r: TranslateResult) => r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`);
const ECHO = `apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: echo, namespace: gateway-conformance-mesh}
spec:
  ports: [{port: 80, protocol: http}]
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
`;
const tp = (spec: string, name = "tp") => `---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: ${name}, namespace: gateway-conformance-mesh}
spec:
  destination: {service: echo, port: 80}
${spec}`;
const rulesOf = (objs: KubeObject[]) => (objs.find((o) => o.kind === "HTTPRoute") as any).spec.rules;
const strip = (rules: any[]) => rules.map(({ name: _n, ...r }: any) => r);

describe("gateway-api: MeshHTTPRouteRewritePath (conformance/tests/mesh/httproute-rewrite-path.yaml)", () => {
  const yaml =
    ECHO +
    tp(`  routes:
    - match: {path: {segmentPrefix: /prefix/one}}
      rewrite: {path: {replacePrefixMatch: /one}}
      split: [{subset: v1}]
    - match: {path: {segmentPrefix: /strip-prefix}}
      rewrite: {path: {replacePrefixMatch: /}}
      split: [{subset: v1}]
    - match: {path: {segmentPrefix: /full/one}}
      rewrite: {path: {replaceFullPath: /one}}
      split: [{subset: v1}]
`);

  test("the same rules as upstream (backend echo-v1 is the subset's Service), then the catch-all", () => {
    const rules = rulesOf(ok(yaml));
    const rewrite = (path: object) => [{ type: "URLRewrite", urlRewrite: { path } }];
    expect(strip(rules)).toEqual([
      {
        backendRefs: [{ name: "echo-v1", port: 80 }],
        filters: rewrite({ replacePrefixMatch: "/one", type: "ReplacePrefixMatch" }),
        matches: [{ path: { type: "PathPrefix", value: "/prefix/one" } }],
      },
      {
        backendRefs: [{ name: "echo-v1", port: 80 }],
        filters: rewrite({ replacePrefixMatch: "/", type: "ReplacePrefixMatch" }),
        matches: [{ path: { type: "PathPrefix", value: "/strip-prefix" } }],
      },
      {
        backendRefs: [{ name: "echo-v1", port: 80 }],
        filters: rewrite({ replaceFullPath: "/one", type: "ReplaceFullPath" }),
        matches: [{ path: { type: "PathPrefix", value: "/full/one" } }],
      },
      { backendRefs: [{ name: "echo", port: 80 }] },
    ]);
    expect(rules.map((r: any) => r.name)).toEqual(["tp.0", "tp.1", "tp.2", undefined]);
  });

  test("1.2 standard: no rule names (HTTPRouteRule.name is standard from 1.4), same rules otherwise", () => {
    const rules = rulesOf(ok(yaml, { version: "1.2" }));
    expect(rules.map((r: any) => r.name)).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe("gateway-api: precedence", () => {
  test("a later, more specific route would take requests from an earlier one: an error naming both", () => {
    const r = run(
      ECHO +
        tp(`  routes:
    - match: {path: {segmentPrefix: /api}}
      timeout: 1s
    - match: {path: {exact: /api/health}}
      timeout: 5s
`),
    );
    expect(errors(r)).toEqual(["/spec/routes/1/match adapter/unsupported-value/match.route-order"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("an Exact path, then the longest PathPrefix");
  });

  test("disjoint or more specific first: accepted; a longer prefix after a shorter one is refused", () => {
    ok(
      ECHO +
        tp(`  routes:
    - match: {path: {exact: /api/health}}
      timeout: 5s
    - match: {path: {segmentPrefix: /api/v2}}
      timeout: 2s
    - match: {path: {segmentPrefix: /api}, method: GET}
      timeout: 1s
    - match: {headers: {x-beta: {exact: "1"}}}
      timeout: 3s
`),
    );
    const r = run(
      ECHO +
        tp(`  routes:
    - match: {path: {segmentPrefix: /api}}
      timeout: 1s
    - match: {path: {segmentPrefix: /api/v2}}
      timeout: 2s
`),
    );
    expect(errors(r)).toEqual(["/spec/routes/1/match adapter/unsupported-value/match.route-order"]);
  });

  test("the catch-all rule forwards what no route matches (Gateway API would answer 404)", () => {
    const rules = rulesOf(ok(ECHO + tp(`  routes:\n    - match: {path: {exact: /a}}\n      timeout: 1s\n`)));
    expect(rules.at(-1)).toEqual({ backendRefs: [{ name: "echo", port: 80 }] });
  });

  test("a table that only forwards unchanged emits nothing", () => {
    expect(ok(ECHO + tp(`  routes:\n    - split: [{weight: 100}]\n`))).toEqual([]);
  });
});

describe("gateway-api: portable matches only", () => {
  test.each([
    ["path: {prefix: /api}", "/spec/routes/0/match/path/prefix", "string-prefix"],
    ["path: {regex: '/a[0-9]+'}", "/spec/routes/0/match/path/regex", "regex"],
    ["headers: {x-a: {prefix: b}}", "/spec/routes/0/match/headers/x-a", "header-prefix"],
    ["headers: {x-a: {present: false}}", "/spec/routes/0/match/headers/x-a", "header-absent"],
    ["queryParams: {q: {regex: 'a.*'}}", "/spec/routes/0/match/queryParams/q", "query-regex"],
  ])("%s is an error at %s (match.%s)", (m, pointer, what) => {
    const r = run(ECHO + tp(`  routes:\n    - match: {${m}}\n      timeout: 1s\n`));
    expect(errors(r)).toEqual([`${pointer} adapter/unsupported-value/match.${what}`]);
  });

  test("a string prefix '/' is every path: no path match", () => {
    const rules = rulesOf(ok(ECHO + tp(`  routes:\n    - match: {path: {prefix: /}, headers: {x-a: {exact: b}}}\n      timeout: 1s\n`)));
    expect(rules[0].matches).toEqual([{ headers: [{ name: "x-a", type: "Exact", value: "b" }] }]);
  });
});

describe("gateway-api: versions and channels", () => {
  const retries =
    ECHO +
    tp(`  timeout: 3s
  retries: {attempts: 2, perTryTimeout: 5s, backoff: 100ms, retryOn: [gateway-error, connect-failure, "409"]}
`);

  test("retries need the experimental channel (GEP-1731); perTryTimeout is timeouts.backendRequest, capped by the request timeout", () => {
    expect(errors(run(retries))).toEqual(["/spec/retries adapter/unsupported-feature/retries.release"]);
    const rules = rulesOf(ok(retries, { channel: "experimental" }));
    expect(rules[0].retry).toEqual({ attempts: 2, backoff: "100ms", codes: [409, 502, 503, 504] });
    expect(rules[0].timeouts).toEqual({ backendRequest: "3s", request: "3s" });
    expect(rulesOf(ok(retries, { channel: "experimental", version: "1.2" }))[0].retry).toEqual({ attempts: 2, backoff: "100ms", codes: [409, 502, 503, 504] });
  });

  test("retryOn without connection failures: a warning (implementations SHOULD retry them anyway); gRPC conditions are errors", () => {
    const r = run(ECHO + tp(`  retries: {attempts: 1, retryOn: ["503"]}\n`), { channel: "experimental" });
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.pointer)).toEqual(["/spec/retries/retryOn"]);
    expect(errors(run(ECHO + tp(`  retries: {attempts: 1, retryOn: [unavailable]}\n`), { channel: "experimental" }))).toEqual([
      "/spec/retries/retryOn/0 adapter/unsupported-value/retries.retryOn-grpc",
    ]);
  });

  test("mirror percent: 1.3+ standard, 1.2 experimental; decimals as a fraction", () => {
    const mirror = ECHO + tp(`  routes:\n    - split: [{subset: v1}]\n      mirror: {subset: v2, percent: 12.5}\n`);
    expect(errors(run(mirror, { version: "1.2" }))).toEqual(["/spec/routes/0/mirror/percent adapter/unsupported-value/mirror.percent"]);
    const f = rulesOf(ok(mirror))[0].filters[0];
    expect(f).toEqual({ requestMirror: { backendRef: { name: "echo-v2", port: 80 }, fraction: { denominator: 1000, numerator: 125 } }, type: "RequestMirror" });
    ok(mirror, { version: "1.2", channel: "experimental" });
  });

  test("redirect 303/307/308 from 1.5 (MeshHTTPRoute303Redirect...); 301 and 302 everywhere", () => {
    const redirect = (code: number) => ECHO + tp(`  routes:\n    - match: {path: {exact: /old}}\n      redirect: {path: /new, statusCode: ${code}}\n`);
    expect(rulesOf(ok(redirect(308)))[0].filters).toEqual([
      { requestRedirect: { path: { replaceFullPath: "/new", type: "ReplaceFullPath" }, statusCode: 308 }, type: "RequestRedirect" },
    ]);
    expect(errors(run(redirect(308), { version: "1.4" }))).toEqual(["/spec/routes/0/redirect/statusCode adapter/unsupported-value/redirect.statusCode"]);
    ok(redirect(302), { version: "1.2" });
  });

  test("CORS: standard from 1.5, experimental from 1.3, exact origins", () => {
    const cors = ECHO + tp(`  cors: {allowOrigins: [{exact: "https://app.example.com"}], allowMethods: [GET, PUT], maxAge: 1m}\n`);
    expect(rulesOf(ok(cors))[0].filters).toEqual([
      { cors: { allowMethods: ["GET", "PUT"], allowOrigins: ["https://app.example.com"], maxAge: 60 }, type: "CORS" },
    ]);
    expect(errors(run(cors, { version: "1.4" }))).toEqual(["/spec/cors adapter/unsupported-feature/cors.release"]);
    expect(errors(run(cors, { version: "1.2", channel: "experimental" }))).toEqual(["/spec/cors adapter/unsupported-feature/cors.release"]);
  });

  test("an unknown channel is an error", () => {
    const r = run(ECHO + tp(`  timeout: 1s\n`), { channel: "beta" });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain('setting channel "beta"');
  });
});

describe("gateway-api: gRPC, namespaces, refusals", () => {
  test("a grpc port gets a GRPCRoute (service/method matches, header filters); timeouts and retries are errors there", () => {
    const svc = ECHO.replace("protocol: http", "protocol: grpc");
    const objs = ok(
      svc +
        tp(`  routes:
    - match: {path: {exact: /pkg.Echo/Get}}
      split: [{subset: v2}]
      headers: {request: {set: {x-route: get}}}
    - match: {path: {segmentPrefix: /pkg.Echo}}
      split: [{subset: v1}]
`),
    );
    const route = objs.find((o) => o.kind === "GRPCRoute") as any;
    expect(route.spec.rules.map((r: any) => r.matches)).toEqual([
      [{ method: { method: "Get", service: "pkg.Echo", type: "Exact" } }],
      [{ method: { service: "pkg.Echo", type: "Exact" } }],
      undefined,
    ]);
    expect(errors(run(svc + tp(`  timeout: 1s\n`)))).toEqual(["/spec/timeout adapter/unsupported-feature/timeout.grpc"]);
  });

  test("a mirror to another namespace gets a ReferenceGrant there", () => {
    const objs = ok(ECHO + tp(`  routes:\n    - split: [{subset: v1}]\n      mirror: {service: audit, namespace: tools, port: 8080}\n`));
    const grant = objs.find((o) => o.kind === "ReferenceGrant") as any;
    expect(grant.metadata.namespace).toBe("tools");
    expect(grant.spec).toEqual({
      from: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", namespace: "gateway-conformance-mesh" }],
      to: [{ group: "", kind: "Service", name: "audit" }],
    });
    expect(rulesOf(objs)[0].filters[0].requestMirror.backendRef).toEqual({ name: "audit", namespace: "tools", port: 8080 });
  });

  test("access, mTLS and resilience settings without a Gateway API field are errors naming the field", () => {
    const r = run(
      ECHO +
        tp(`  outlierDetection: {consecutive5xxErrors: 3}\n  faultInjection: {abort: {httpStatus: 503, percent: 5}}\n`) +
        `---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ap, namespace: gateway-conformance-mesh}
spec:
  destination: {service: echo}
  allow: [{source: {serviceAccounts: [web]}}]
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: m, namespace: gateway-conformance-mesh}
spec: {mode: strict}
`,
    );
    expect(errors(r).sort()).toEqual([
      "/spec adapter/unsupported-feature/access",
      "/spec adapter/unsupported-feature/mtls",
      "/spec/faultInjection adapter/unsupported-feature/faultInjection",
      "/spec/outlierDetection adapter/unsupported-feature/outlierDetection",
    ]);
    expect(r.resources).toEqual([]);
  });
});

describe("gateway-api: answer 404 for the rest", () => {
  test("a final catch-all directResponse 404 without body is no rule (Gateway API answers 404 itself), and no forwarding catch-all is added", () => {
    const r = run(
      ECHO +
        tp(`  routes:
    - match: {path: {segmentPrefix: /api}}
      split: [{subset: v1}]
    - directResponse: {status: 404}
`),
    );
    expect(errors(r)).toEqual([]);
    expect(strip(rulesOf(r.resources))).toEqual([{ backendRefs: [{ name: "echo-v1", port: 80 }], matches: [{ path: { type: "PathPrefix", value: "/api" } }] }]);
    expect(r.diagnostics.some((d) => d.severity === "info" && d.pointer === "/spec/routes/1/directResponse")).toBe(true);
  });

  test("with a body, another status, or alone: an error", () => {
    expect(errors(run(ECHO + tp(`  routes:\n    - match: {path: {exact: /a}}\n      timeout: 1s\n    - directResponse: {status: 404, body: gone}\n`)))).toEqual(
      ["/spec/routes/1/directResponse adapter/unsupported-feature/directResponse"],
    );
    expect(errors(run(ECHO + tp(`  routes:\n    - match: {path: {exact: /a}}\n      timeout: 1s\n    - directResponse: {status: 403}\n`)))).toEqual([
      "/spec/routes/1/directResponse adapter/unsupported-feature/directResponse",
    ]);
    expect(errors(run(ECHO + tp(`  routes:\n    - directResponse: {status: 404}\n`)))).toEqual([
      "/spec/routes/0/directResponse adapter/unsupported-value/directResponse.not-found-for-everything",
    ]);
  });
});
