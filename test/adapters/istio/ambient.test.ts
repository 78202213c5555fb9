/**
 * Istio ambient mode (`--set dataplane=ambient`): the setting, what ztunnel enforces (L4
 * AuthorizationPolicy with selector, PeerAuthentication), and the exact refusals of everything that
 * needs a waypoint. Upstream samples are compared field by field with istio.io's ambient docs
 * (content/en/docs/ambient/getting-started/enforce-auth-policies/index.md, usage/l4-policy/index.md).
 */
import { describe, expect, test } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { istio, loadModel, translate, type TranslateResult } from "../../../src/index.js";
import { assertZtunnelOnly, httpAttributes } from "../../../src/adapters/istio/ambient/ztunnel.js";
import { matrixRows } from "../../../src/cli/matrix.js";
import { run, ok, find } from "./helpers.js";

const AMBIENT = { settings: { dataplane: "ambient" } };
const codes = (r: TranslateResult, severity = "error") => r.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.pointer ?? ""} ${d.code}`);

describe("the dataplane setting", () => {
  const yaml = "apiVersion: unimesh.io/v1alpha1\nkind: AccessPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  destination: {service: productpage}\n";

  test("a value other than sidecar or ambient is an error naming both", () => {
    const r = run(yaml, { settings: { dataplane: "ztunnel" } });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["adapter/unsupported-value/settings.dataplane", "error"]]);
    expect(r.diagnostics[0].message).toContain("use sidecar or ambient");
  });

  test("ambient is Beta in Istio 1.22 and 1.23 (a warning), GA from 1.24 (none)", () => {
    for (const version of ["1.22", "1.23"]) {
      const r = run(yaml, { version, ...AMBIENT });
      expect(r.ok).toBe(true);
      expect(codes(r, "warning")).toEqual([" adapter/note/settings.dataplane"]);
      expect(r.diagnostics[0].message).toContain("Beta (GA from Istio 1.24)");
    }
    for (const version of ["1.24", "1.30"]) expect(run(yaml, { version, ...AMBIENT }).diagnostics).toEqual([]);
  });

  test("sidecar is the default: no setting and dataplane=sidecar give the same output", () => {
    const bookinfoLike = "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: t, namespace: default}\nspec:\n  destination: {service: reviews}\n  timeout: 2s\n";
    expect(run(bookinfoLike, { settings: { dataplane: "sidecar" } }).resources).toEqual(run(bookinfoLike).resources);
    expect(run(bookinfoLike).resources.map((o) => o.kind)).toContain("VirtualService");
  });

  test("capabilities follow the setting; the matrix has an ambient column", () => {
    const caps = istio.capabilities("1.30", { dataplane: "ambient" });
    expect(caps.access.support).toBe("full");
    expect(caps.accessL7.support).toBe("partial");
    expect(caps.mtls.support).toBe("partial");
    expect(caps.retries.support).toBe("none");
    expect(caps.match.support).toBe("none");
    expect(caps.requestAuthentication.support).toBe("none");
    expect(istio.capabilities("1.30").match.support).toBe("full");
    const { columns, rows } = matrixRows([istio]);
    const i = columns.findIndex((c) => c.label === "istio ambient 1.22-1.30");
    expect(i).toBeGreaterThan(0);
    expect(rows.find((r) => r.feature === "retries")!.cells[i].support).toBe("none");
    expect(rows.find((r) => r.feature === "retries")!.cells[0].support).not.toBe("none");
  });
});

describe("L4 authorization on ztunnel: upstream samples, field by field", () => {
  test("istio.io ambient getting-started 'Enforce Layer 4 authorization policy' (productpage-viewer)", () => {
    // The policy as istio.io writes it (enforce-auth-policies/index.md, snip deploy_l4_policy).
    const upstream = {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "productpage-viewer", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "productpage" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/bookinfo-gateway-istio"] } }] }],
      },
    };
    const objs = ok(`apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - source: {serviceAccounts: [bookinfo-gateway-istio]}
`, AMBIENT);
    expect(objs.map((o) => o.kind)).toEqual(["AuthorizationPolicy"]);
    const ap = find(objs, "AuthorizationPolicy", "productpage-allow", "default");
    expect(ap.apiVersion).toBe(upstream.apiVersion);
    expect(ap.spec.selector).toEqual(upstream.spec.selector);
    expect(ap.spec.action).toBe(upstream.spec.action);
    expect(ap.spec.rules).toEqual(upstream.spec.rules);
    expect(Object.keys(ap.spec).sort()).toEqual(Object.keys(upstream.spec).sort());
  });

  test("istio.io usage/l4-policy 'allow-sleep-to-httpbin' (namespace ambient-demo)", () => {
    const objs = ok(`apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: allow-sleep-to-httpbin, namespace: ambient-demo}
spec:
  destination: {service: httpbin}
  allow:
    - source: {serviceAccounts: [sleep]}
`, AMBIENT);
    const ap = find(objs, "AuthorizationPolicy", "httpbin-allow", "ambient-demo");
    expect(ap.spec).toEqual({ action: "ALLOW", selector: { matchLabels: { app: "httpbin" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/ambient-demo/sa/sleep"] } }] }] });
  });

  test("namespaces, IP blocks, ports and their negations stay on ztunnel; deny wins; allow-nothing once selected", () => {
    const objs = ok(`apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: orders, namespace: shop}
spec:
  destination: {service: orders}
  allow:
    - source: {namespaces: [shop], notServiceAccounts: [shop/batch]}
      ports: [80]
    - source: {ipBlocks: [10.0.0.0/8]}
      notPorts: [9090]
  deny:
    - source: {serviceAccounts: [ops/chaos]}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: vault, namespace: shop}
spec:
  destination: {service: vault}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: orders, namespace: shop}
spec:
  ports: [{port: 80, targetPort: 8080, name: http}, {port: 9090, name: metrics}]
`, AMBIENT);
    const allow = find(objs, "AuthorizationPolicy", "orders-allow", "shop").spec;
    expect(allow.rules).toEqual([
      { from: [{ source: { namespaces: ["shop"], notPrincipals: ["cluster.local/ns/shop/sa/batch"] } }], to: [{ operation: { ports: ["8080"] } }] },
      { from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }], to: [{ operation: { notPorts: ["9090"] } }] },
    ]);
    expect(find(objs, "AuthorizationPolicy", "orders-deny", "shop").spec).toEqual({ action: "DENY", selector: { matchLabels: { app: "orders" } }, rules: [{ from: [{ source: { principals: ["cluster.local/ns/ops/sa/chaos"] } }] }] });
    // A destination with an AccessPolicy and no allow rule: ALLOW without rules = allow-nothing.
    expect(find(objs, "AuthorizationPolicy", "vault-allow", "shop").spec).toEqual({ action: "ALLOW", selector: { matchLabels: { app: "vault" } } });
    for (const o of objs) expect(httpAttributes(o.spec as never)).toEqual([]);
    expect(objs.some((o) => o.kind === "DestinationRule" || o.kind === "VirtualService")).toBe(false);
  });
});

describe("what needs a waypoint is refused with an exact diagnostic, never emitted to ztunnel", () => {
  test("an allow rule on methods (ztunnel would never match it) and a deny rule on paths (ztunnel would deny every request of its callers)", () => {
    const r = run(`apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - source: {serviceAccounts: [curl]}
      methods: [GET]
  deny:
    - notHeaders: {x-token: [abc]}
      paths: [/admin/*]
`, AMBIENT);
    expect(r.ok).toBe(false);
    expect(r.resources).toEqual([]);
    expect(codes(r).sort()).toEqual([
      "/spec/allow/0/methods adapter/unsupported-value/accessL7.needs-waypoint",
      "/spec/deny/0/paths adapter/unsupported-value/accessL7.needs-waypoint",
      "/spec/deny/0/notHeaders adapter/unsupported-value/accessNegation.needs-waypoint",
    ].sort());
    const m = r.diagnostics.find((d) => d.pointer === "/spec/allow/0/methods")!.message;
    expect(m).toContain("waypoint");
    expect(m).toContain("--set dataplane=sidecar");
  });

  test("end-user (JWT) conditions and RequestAuthentication need a waypoint", () => {
    const r = run(`apiVersion: unimesh.io/v1alpha1
kind: RequestAuthentication
metadata: {name: jwt, namespace: default}
spec:
  destination: {service: productpage}
  issuers: [{issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks"}]
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: a, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - requestPrincipals: ["https://issuer.example.com/*"]
`, AMBIENT);
    expect(r.ok).toBe(false);
    expect(codes(r).sort()).toEqual([
      "/spec adapter/unsupported-feature/requestAuthentication.needs-waypoint",
      "/spec/allow/0/requestPrincipals adapter/unsupported-feature/requestAuthentication.needs-waypoint",
    ]);
  });

  test("every TrafficPolicy feature is an error at its field (routing, retries, timeouts, faults, traffic policy...)", () => {
    const r = run(`apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews, namespace: default}
spec:
  destination: {service: reviews}
  timeout: 2s
  retries: {attempts: 2}
  outlierDetection: {consecutive5xxErrors: 5}
  routes:
    - match: {path: {prefix: /v2}}
      split: [{subset: {version: v2}, weight: 100}]
      faultInjection: {abort: {httpStatus: 503, percent: 10}}
`, AMBIENT);
    expect(r.ok).toBe(false);
    expect(codes(r).sort()).toEqual([
      "/spec/outlierDetection adapter/unsupported-feature/outlierDetection.needs-waypoint",
      "/spec/retries adapter/unsupported-feature/retries.needs-waypoint",
      "/spec/routes/0/faultInjection adapter/unsupported-feature/faultInjection.needs-waypoint",
      "/spec/routes/0/match adapter/unsupported-feature/match.needs-waypoint",
      "/spec/routes/0/split adapter/unsupported-feature/split.needs-waypoint",
      "/spec/timeout adapter/unsupported-feature/timeout.needs-waypoint",
    ]);
  });

  test("the output check: a selector (ztunnel) policy with an HTTP attribute is a bug, a targetRefs (waypoint) one is not", () => {
    const ap = (spec: object) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "x", namespace: "default" }, spec });
    expect(() => assertZtunnelOnly([ap({ action: "ALLOW", selector: { matchLabels: { app: "x" } }, rules: [{ to: [{ operation: { methods: ["GET"] } }] }] })])).toThrow(/operation\.methods/);
    expect(() => assertZtunnelOnly([ap({ action: "DENY", rules: [{ when: [{ key: "request.headers[x]", values: ["a"] }] }] })])).toThrow(/when request\.headers\[x\]/);
    expect(() => assertZtunnelOnly([ap({ action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] })])).toThrow(/source\.requestPrincipals/);
    expect(() => assertZtunnelOnly([ap({ action: "ALLOW", targetRefs: [{ kind: "Service", group: "", name: "x" }], rules: [{ to: [{ operation: { methods: ["GET"] } }] }] })])).not.toThrow();
    expect(() => assertZtunnelOnly([ap({ action: "ALLOW", selector: { matchLabels: { app: "x" } }, rules: [{ from: [{ source: { principals: ["a"], notIpBlocks: ["1.2.3.4"] } }], to: [{ operation: { ports: ["80"] } }], when: [{ key: "source.ip", values: ["1.2.3.4"] }] }] })])).not.toThrow();
  });
});

describe("mTLS on ztunnel", () => {
  test("strict and permissive → PeerAuthentication (portLevelMtls included); no DestinationRule client TLS", () => {
    const objs = ok(`apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: ns, namespace: shop}
spec: {mode: strict}
---
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: legacy, namespace: shop}
spec:
  destination: {service: legacy}
  mode: strict
  ports: {"8080": permissive}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: legacy, namespace: shop}
spec:
  ports: [{port: 8080, name: http}]
`, AMBIENT);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["PeerAuthentication/default", "PeerAuthentication/legacy-mtls"]);
    expect(find(objs, "PeerAuthentication", "legacy-mtls").spec).toEqual({ selector: { matchLabels: { app: "legacy" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } });
  });

  test("disabled is an error: ztunnel ignores PeerAuthentication DISABLE", () => {
    const r = run("apiVersion: unimesh.io/v1alpha1\nkind: MTLSPolicy\nmetadata: {name: ns, namespace: shop}\nspec: {mode: disabled}\n", AMBIENT);
    expect(r.ok).toBe(false);
    expect(codes(r)).toEqual(["/spec/mode adapter/unsupported-value/mtls.disabled"]);
    expect(r.diagnostics[0].message).toContain("HBONE");
  });
});

describe("examples/bookinfo with --set dataplane=ambient (README 'Bookinfo on every mesh')", () => {
  const DIR = join(import.meta.dirname, "../../../examples/bookinfo");
  const inputs = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort().map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));

  test("refused: every TrafficPolicy feature and the method/path access rules need a waypoint, each an error at its field", () => {
    const loaded = loadModel(inputs);
    const r = translate(loaded.model, { adapter: istio, version: "1.30", settings: { dataplane: "ambient" } });
    expect(r.ok).toBe(false);
    const errs = r.diagnostics.filter((d) => d.severity === "error");
    expect(new Set(errs.map((d) => d.code))).toEqual(new Set([
      "adapter/unsupported-feature/match.needs-waypoint", "adapter/unsupported-feature/faultInjection.needs-waypoint",
      "adapter/unsupported-feature/timeout.needs-waypoint", "adapter/unsupported-feature/split.needs-waypoint",
      "adapter/unsupported-feature/retries.needs-waypoint", "adapter/unsupported-feature/outlierDetection.needs-waypoint",
      "adapter/unsupported-feature/connectionPool.needs-waypoint", "adapter/unsupported-value/accessL7.needs-waypoint",
    ]));
    // The access policies are refused for their methods/paths only; the MTLSPolicy is not refused.
    expect(errs.filter((d) => d.policy?.startsWith("AccessPolicy/")).map((d) => d.pointer).every((p) => /\/(methods|paths)$/.test(p!))).toBe(true);
    expect(errs.some((d) => d.policy?.startsWith("MTLSPolicy/"))).toBe(false);
  });
});
