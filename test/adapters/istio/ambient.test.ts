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
import { validateAll } from "../../support/crd-validator.js";

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
    const bookinfoLike =
      "apiVersion: unimesh.io/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: t, namespace: default}\nspec:\n  destination: {service: reviews}\n  timeout: 2s\n";
    expect(run(bookinfoLike, { settings: { dataplane: "sidecar" } }).resources).toEqual(run(bookinfoLike).resources);
    expect(run(bookinfoLike).resources.map((o) => o.kind)).toContain("VirtualService");
  });

  test("capabilities follow the setting; the matrix has an ambient column", () => {
    const caps = istio.capabilities("1.30", { dataplane: "ambient" });
    expect(caps.access.support).toBe("full");
    expect(caps.accessL7.support).toBe("partial");
    expect(caps.mtls.support).toBe("partial");
    // Waypoint routes: HTTPRoute retry (experimental channel) from Istio 1.25, a VirtualService's retries
    // before; faults in a VirtualService (Alpha at waypoints).
    expect(caps.retries.support).toBe("partial");
    expect(istio.capabilities("1.24", { dataplane: "ambient" }).retries.support).toBe("partial");
    expect(istio.capabilities("1.24", { dataplane: "ambient" }).retries.via).toContain("VirtualService");
    expect(caps.match.support).toBe("partial");
    expect(caps.faultInjection.support).toBe("full");
    expect(caps.outlierDetection.support).toBe("full");
    expect(caps.requestAuthentication.support).toBe("partial");
    expect(istio.capabilities("1.30").match.support).toBe("full");
    const { columns, rows } = matrixRows([istio]);
    const i = columns.findIndex((c) => c.label === "istio ambient 1.22-1.24");
    const j = columns.findIndex((c) => c.label === "istio ambient 1.30");
    expect(i).toBeGreaterThan(0);
    expect(rows.find((r) => r.feature === "retries")!.cells[i].support).toBe("partial");
    expect(rows.find((r) => r.feature === "retries")!.cells[j].support).toBe("partial");
    expect(rows.find((r) => r.feature === "faultInjection")!.cells[j].support).toBe("full");
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
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - source: {serviceAccounts: [bookinfo-gateway-istio]}
`,
      AMBIENT,
    );
    expect(objs.map((o) => o.kind)).toEqual(["AuthorizationPolicy"]);
    const ap = find(objs, "AuthorizationPolicy", "productpage-allow", "default");
    expect(ap.apiVersion).toBe(upstream.apiVersion);
    expect(ap.spec.selector).toEqual(upstream.spec.selector);
    expect(ap.spec.action).toBe(upstream.spec.action);
    expect(ap.spec.rules).toEqual(upstream.spec.rules);
    expect(Object.keys(ap.spec).sort()).toEqual(Object.keys(upstream.spec).sort());
  });

  test("istio.io usage/l4-policy 'allow-sleep-to-httpbin' (namespace ambient-demo)", () => {
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: allow-sleep-to-httpbin, namespace: ambient-demo}
spec:
  destination: {service: httpbin}
  allow:
    - source: {serviceAccounts: [sleep]}
`,
      AMBIENT,
    );
    const ap = find(objs, "AuthorizationPolicy", "httpbin-allow", "ambient-demo");
    expect(ap.spec).toEqual({
      action: "ALLOW",
      selector: { matchLabels: { app: "httpbin" } },
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/ambient-demo/sa/sleep"] } }] }],
    });
  });

  test("namespaces, IP blocks, ports and their negations stay on ztunnel; deny wins; allow-nothing once selected", () => {
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
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
`,
      AMBIENT,
    );
    const allow = find(objs, "AuthorizationPolicy", "orders-allow", "shop").spec;
    expect(allow.rules).toEqual([
      { from: [{ source: { namespaces: ["shop"], notPrincipals: ["cluster.local/ns/shop/sa/batch"] } }], to: [{ operation: { ports: ["8080"] } }] },
      { from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }], to: [{ operation: { notPorts: ["9090"] } }] },
    ]);
    expect(find(objs, "AuthorizationPolicy", "orders-deny", "shop").spec).toEqual({
      action: "DENY",
      selector: { matchLabels: { app: "orders" } },
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/ops/sa/chaos"] } }] }],
    });
    // A destination with an AccessPolicy and no allow rule: ALLOW without rules = allow-nothing.
    expect(find(objs, "AuthorizationPolicy", "vault-allow", "shop").spec).toEqual({ action: "ALLOW", selector: { matchLabels: { app: "vault" } } });
    for (const o of objs) expect(httpAttributes(o.spec as never)).toEqual([]);
    expect(objs.some((o) => o.kind === "DestinationRule" || o.kind === "VirtualService")).toBe(false);
  });
});

describe("L7 access at a waypoint: upstream samples, field by field", () => {
  const L7 = `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-viewer, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - source: {serviceAccounts: [curl]}
      methods: [GET]
`;

  test("istio.io ambient getting-started 'Enforce Layer 7 authorization policy': the waypoint, the targetRefs policy, the label, ztunnel admitting the waypoint", () => {
    const objs = ok(L7, AMBIENT);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "Gateway/waypoint",
      "AuthorizationPolicy/productpage-allow",
      "AuthorizationPolicy/productpage-ztunnel",
      "Service/productpage",
    ]);
    // `istioctl waypoint generate --for service -n default` (istio.io docs/ambient/usage/waypoint/index.md).
    const generated = {
      kind: "Gateway",
      metadata: { labels: { "istio.io/waypoint-for": "service" }, name: "waypoint", namespace: "default" },
      spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
    };
    const gw = find(objs, "Gateway", "waypoint", "default");
    expect(gw.apiVersion).toBe("gateway.networking.k8s.io/v1");
    expect(gw.spec).toEqual(generated.spec);
    expect(gw.metadata.labels).toMatchObject(generated.metadata.labels);
    // enforce-auth-policies/index.md, snip deploy_l7_policy.
    const upstream = {
      targetRefs: [{ kind: "Service", group: "", name: "productpage" }],
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/curl"] } }], to: [{ operation: { methods: ["GET"] } }] }],
    };
    const ap = find(objs, "AuthorizationPolicy", "productpage-allow", "default");
    expect(ap.spec).toEqual(upstream);
    // "Remember that our L4 policy instructed the ztunnel to only allow connections from the gateway? We
    // now need to update it to also allow connections from the waypoint" (istio/istio.io#16091): here the
    // waypoint only, every caller passing its L7 policy.
    expect(find(objs, "AuthorizationPolicy", "productpage-ztunnel", "default").spec).toEqual({
      selector: { matchLabels: { app: "productpage" } },
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/waypoint"] } }] }],
    });
    // `kubectl label service productpage istio.io/use-waypoint=waypoint`, as a patch of the user's Service: metadata only.
    const svc = find(objs, "Service", "productpage", "default");
    expect(svc).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "productpage",
        namespace: "default",
        labels: { "istio.io/ingress-use-waypoint": "true", "istio.io/use-waypoint": "waypoint" },
        annotations: { "unimesh.io/patch": "server-side-apply", "unimesh.io/policies": "AccessPolicy/default/productpage-viewer" },
      },
    });
    for (const o of objs)
      if (o.kind === "AuthorizationPolicy" && o.spec && (o.spec as { selector?: unknown }).selector) expect(httpAttributes(o.spec as never)).toEqual([]);
  });

  test("--set waypointName names the Gateway and the identity ztunnel admits; a bad name is an error", () => {
    const objs = ok(L7, { settings: { dataplane: "ambient", waypointName: "productpage-wp" } });
    expect(find(objs, "Gateway", "productpage-wp", "default").spec.gatewayClassName).toBe("istio-waypoint");
    expect(find(objs, "AuthorizationPolicy", "productpage-ztunnel").spec.rules[0].from[0].source.principals).toEqual([
      "cluster.local/ns/default/sa/productpage-wp",
    ]);
    expect(find(objs, "Service", "productpage").metadata.labels["istio.io/use-waypoint"]).toBe("productpage-wp");
    expect(codes(run(L7, { settings: { dataplane: "ambient", waypointName: "Bad_Name" } }))).toEqual([" adapter/unsupported-value/settings.waypointName"]);
  });

  test("deny wins at the waypoint: a deny on paths and headers becomes a DENY targetRefs policy, beside the ALLOW", () => {
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: productpage-public, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - methods: [GET, POST]
  deny:
    - paths: [/admin/*]
      notHeaders: {x-token: [abc]}
`,
      AMBIENT,
    );
    expect(find(objs, "AuthorizationPolicy", "productpage-deny").spec).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "productpage" }],
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }], when: [{ key: "request.headers[x-token]", notValues: ["abc"] }] }],
    });
    expect(find(objs, "AuthorizationPolicy", "productpage-allow").spec.rules).toEqual([{ to: [{ operation: { methods: ["GET", "POST"] } }] }]);
  });

  test("JWT: RequestAuthentication with targetRefs and end-user conditions at the waypoint", () => {
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
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
`,
      AMBIENT,
    );
    expect(find(objs, "RequestAuthentication", "productpage-jwt").spec).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "productpage" }],
      jwtRules: [{ issuer: "https://issuer.example.com", jwksUri: "https://issuer.example.com/jwks" }],
    });
    expect(find(objs, "AuthorizationPolicy", "productpage-allow").spec.rules).toEqual([
      { from: [{ source: { requestPrincipals: ["https://issuer.example.com/*"] } }] },
    ]);
  });

  test("refused with an exact diagnostic: port conditions beside a waypoint, HTTP conditions in a namespace-wide policy", () => {
    const ports = run(
      `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: a, namespace: default}
spec:
  destination: {service: productpage}
  allow:
    - methods: [GET]
      ports: [9080]
`,
      AMBIENT,
    );
    expect(ports.ok).toBe(false);
    expect(codes(ports)).toEqual(["/spec/allow/0/ports adapter/unsupported-value/accessL7.needs-waypoint"]);
    const wide = run(
      `apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ns, namespace: default}
spec:
  deny:
    - methods: [DELETE]
`,
      AMBIENT,
    );
    expect(wide.ok).toBe(false);
    expect(codes(wide)).toEqual(["/spec/deny/0/methods adapter/unsupported-value/accessL7.needs-waypoint"]);
    expect(wide.diagnostics[0].message).toContain("ztunnel would never match such an allow rule and would deny every request of a deny rule's callers");
  });
});

describe("what needs waypoint routing is refused with an exact diagnostic, never emitted to ztunnel", () => {
  test("the output check: a selector (ztunnel) policy with an HTTP attribute is a bug, a targetRefs (waypoint) one is not", () => {
    const ap = (spec: object) => ({ apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name: "x", namespace: "default" }, spec });
    expect(() =>
      assertZtunnelOnly([ap({ action: "ALLOW", selector: { matchLabels: { app: "x" } }, rules: [{ to: [{ operation: { methods: ["GET"] } }] }] })]),
    ).toThrow(/operation\.methods/);
    expect(() => assertZtunnelOnly([ap({ action: "DENY", rules: [{ when: [{ key: "request.headers[x]", values: ["a"] }] }] })])).toThrow(
      /when request\.headers\[x\]/,
    );
    expect(() => assertZtunnelOnly([ap({ action: "ALLOW", rules: [{ from: [{ source: { requestPrincipals: ["*"] } }] }] })])).toThrow(
      /source\.requestPrincipals/,
    );
    expect(() =>
      assertZtunnelOnly([
        ap({ action: "ALLOW", targetRefs: [{ kind: "Service", group: "", name: "x" }], rules: [{ to: [{ operation: { methods: ["GET"] } }] }] }),
      ]),
    ).not.toThrow();
    expect(() =>
      assertZtunnelOnly([
        ap({
          action: "ALLOW",
          selector: { matchLabels: { app: "x" } },
          rules: [
            {
              from: [{ source: { principals: ["a"], notIpBlocks: ["1.2.3.4"] } }],
              to: [{ operation: { ports: ["80"] } }],
              when: [{ key: "source.ip", values: ["1.2.3.4"] }],
            },
          ],
        }),
      ]),
    ).not.toThrow();
  });
});

describe("mTLS on ztunnel", () => {
  test("strict and permissive → PeerAuthentication (portLevelMtls included); no DestinationRule client TLS", () => {
    const objs = ok(
      `apiVersion: unimesh.io/v1alpha1
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
`,
      AMBIENT,
    );
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["PeerAuthentication/default", "PeerAuthentication/legacy-mtls"]);
    expect(find(objs, "PeerAuthentication", "legacy-mtls").spec).toEqual({
      selector: { matchLabels: { app: "legacy" } },
      mtls: { mode: "STRICT" },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
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
  const inputs = readdirSync(DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => ({ file: `examples/bookinfo/${f}`, text: readFileSync(join(DIR, f), "utf8") }));

  test("routed at the waypoint: ratings' fault test makes ratings' routes a VirtualService (Alpha: a warning); exit 0 with the experimental channel", () => {
    const loaded = loadModel(inputs);
    const EXPERIMENTAL = { settings: { dataplane: "ambient", channel: "experimental" } };
    const s = translate(loaded.model, { adapter: istio, version: "1.30", ...EXPERIMENTAL });
    expect(s.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(codes(s, "warning").filter((c) => c.includes("waypoint-virtual-service"))).toEqual([
      "/spec/routes/0/faultInjection adapter/note/faultInjection.waypoint-virtual-service",
    ]);
    const vs = s.resources.find((o) => o.kind === "VirtualService")!;
    expect(vs.metadata.name).toBe("ratings");
    // The fault test's string prefix is the VirtualService's own uri prefix; jason's delay, then the 10% abort, then ratings' resilience route.
    expect((vs.spec as any).http.map((h: any) => [h.name, h.match[0].uri ?? h.match[0].headers, h.fault ? Object.keys(h.fault)[0] : undefined])).toEqual([
      ["ratings-fault-test.jason-delay", { "end-user": { exact: "jason" } }, "delay"],
      ["ratings-fault-test.flaky", { prefix: "/ratings/" }, "abort"],
      ["ratings-resilience", undefined, undefined],
    ]);
    // The standard channel has no HTTPRoute retry: reviews' retries are an error there (ratings' are in its VirtualService).
    const std = translate(loaded.model, { adapter: istio, version: "1.30", settings: { dataplane: "ambient" } });
    expect(std.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.policy} ${d.pointer} ${d.code}`)).toEqual([
      "TrafficPolicy/bookinfo/reviews-canary /spec/retries adapter/unsupported-feature/retries.release",
    ]);
    // Before: the fault test was refused (HTTPRoute has no fault filter, no string prefix).
    expect(s.diagnostics.some((d) => d.code.endsWith("faultInjection.waypoint") || d.code.endsWith("match.string-prefix"))).toBe(false);
    expect(s.resources.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "AuthorizationPolicy/details-allow",
      "AuthorizationPolicy/details-ztunnel",
      "AuthorizationPolicy/productpage-allow",
      "AuthorizationPolicy/productpage-deny",
      "AuthorizationPolicy/productpage-ztunnel",
      "AuthorizationPolicy/ratings-allow",
      "AuthorizationPolicy/ratings-ztunnel",
      "AuthorizationPolicy/reviews-allow",
      "AuthorizationPolicy/reviews-ztunnel",
      "DestinationRule/ratings",
      "DestinationRule/reviews",
      "DestinationRule/reviews-v1",
      "DestinationRule/reviews-v2",
      "DestinationRule/reviews-v3",
      "Gateway/waypoint",
      "HTTPRoute/details-9080",
      "HTTPRoute/reviews-9080",
      "PeerAuthentication/default",
      "Service/details",
      "Service/productpage",
      "Service/ratings",
      "Service/reviews",
      "VirtualService/ratings",
    ]);
    expect(
      validateAll(
        s.resources.filter((o) => o.apiVersion !== "v1"),
        ["istio/1.30.3", "gateway-api/v1.6.1/experimental"],
      ),
    ).toEqual([]);
  });
});
