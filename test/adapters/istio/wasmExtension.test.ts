/**
 * WasmExtension → Istio WasmPlugin: the places where a mistake would run the module on the wrong
 * traffic (outbound calls, another port, every workload of the namespace) or run an unverified module.
 */
import { describe, expect, test } from "vitest";
import { loadModel } from "../../../src/index.js";
import { errors, find, H, ok, run, warnings } from "./helpers.js";

const SHA = "1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210";
const wx = (spec: string, name = "wx", ns = "shop") => `${H}kind: WasmExtension\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
const svc = `${H}kind: MeshService\nmetadata: {name: api, namespace: shop}\nspec:\n  ports: [{port: 80, targetPort: 8080}, {port: 9000}]\n---\n`;
const OCI = `  module: {url: "oci://ghcr.io/example/filter:1.0", sha256: ${SHA}}`;

describe("istio wasmExtension", () => {
  test.each(["1.22", "1.30"])("istio@%s: a WasmPlugin for the destination's sidecars, server side only, with every field", (version) => {
    const objs = ok(wx(`  destination: {service: api}\n${OCI}\n  pluginName: my_root\n  phase: AUTHZ\n  priority: -3\n  config: {a: 1, nested: {b: [x]}}`), {
      version,
    });
    expect(find(objs, "WasmPlugin", "api-wasm-wx", "shop")).toMatchObject({
      apiVersion: "extensions.istio.io/v1alpha1",
      spec: {
        selector: { matchLabels: { app: "api" } },
        url: "oci://ghcr.io/example/filter:1.0",
        sha256: SHA,
        pluginName: "my_root",
        pluginConfig: { a: 1, nested: { b: ["x"] } },
        phase: "AUTHZ",
        priority: -3,
        type: "HTTP",
        // Without mode SERVER Istio would also run it on the pods' own outbound calls.
        match: [{ mode: "SERVER" }],
      },
    });
  });

  test("ports are Service ports, matched at the pod: the WasmPlugin names the pod ports", () => {
    const objs = ok(svc + wx(`  destination: {service: api}\n  ports: [9000, 80]\n${OCI}`));
    expect(find(objs, "WasmPlugin", "api-wasm-wx").spec.match).toEqual([{ mode: "SERVER", ports: [{ number: 8080 }, { number: 9000 }] }]);
  });

  test("a port no MeshService declares is an error (a guessed pod port could leave the extension off)", () => {
    const r = run(wx(`  destination: {service: api}\n  ports: [80]\n${OCI}`));
    expect(errors(r)).toEqual(["/spec/ports/0 adapter/missing-fact"]);
    expect(r.resources.filter((o) => o.kind === "WasmPlugin")).toEqual([]);
  });

  test("a local file only: file:/// on the proxy, with a warning saying a cluster needs it at a URL", () => {
    const r = run(wx(`  destination: {service: api}\n  module: {file: ./build/filter.wasm, sha256: ${SHA}}`));
    expect(warnings(r)).toEqual(["/spec/module/file adapter/note"]);
    expect(r.diagnostics[0].message).toContain("oci:// or https://");
    expect(find(r.resources, "WasmPlugin", "api-wasm-wx").spec).toMatchObject({ url: "file:///build/filter.wasm", sha256: SHA });
  });

  test("a url without sha256 is a warning; an extension from another namespace gets its namespace in the name", () => {
    const r = run(wx(`  destination: {service: api, namespace: shop}\n  module: {url: "https://example.com/f.wasm"}`, "audit", "platform"));
    expect(warnings(r)).toEqual(["/spec/module/url adapter/note"]);
    const wp = find(r.resources, "WasmPlugin", "api-wasm-platform-audit", "shop");
    expect(wp.spec.sha256).toBeUndefined();
    expect(wp.metadata.annotations["unimesh.io/policies"]).toBe("WasmExtension/platform/audit");
  });

  test("a destination in Istio's root namespace would run the module in every namespace: error", () => {
    const r = run(wx(`  destination: {service: api}\n${OCI}`, "wx", "istio-system"));
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
  });
});

describe("istio wasmExtension, ambient mode (--set dataplane=ambient)", () => {
  const AMBIENT = { settings: { dataplane: "ambient" } };
  // istio.io docs/ambient/usage/extend-waypoint-wasm, "At a waypoint, for a specific service".
  const BASIC_AUTH = wx(
    `  destination: {service: reviews}
  module: {url: "oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0", sha256: ${SHA}}
  phase: AUTHN
  config:
    basic_auth_rules:
      - {prefix: /reviews, request_methods: [GET, POST], credentials: ["ok:test", "YWRtaW4zOmFkbWluMw=="]}`,
    "basic-auth-for-service",
    "default",
  );

  test.each(["1.24", "1.30"])(
    "istio@%s: istio.io's service WasmPlugin (targetRefs Service, no selector, no match), run by the service's waypoint",
    (version) => {
      const r = run(BASIC_AUTH, { version, ...AMBIENT });
      expect(errors(r)).toEqual([]);
      expect(find(r.resources, "WasmPlugin", "reviews-wasm-basic-auth-for-service", "default").spec).toEqual({
        targetRefs: [{ group: "", kind: "Service", name: "reviews" }],
        url: "oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0",
        sha256: SHA,
        phase: "AUTHN",
        type: "HTTP",
        pluginConfig: { basic_auth_rules: [{ prefix: "/reviews", request_methods: ["GET", "POST"], credentials: ["ok:test", "YWRtaW4zOmFkbWluMw=="] }] },
      });
      // The waypoint, the Service using it, and ztunnel admitting only the waypoint (else a pod-address caller skips the extension).
      expect(find(r.resources, "Gateway", "waypoint", "default").spec.gatewayClassName).toBe("istio-waypoint");
      expect(find(r.resources, "Service", "reviews", "default").metadata.labels["istio.io/use-waypoint"]).toBe("waypoint");
      expect(find(r.resources, "AuthorizationPolicy", "reviews-ztunnel", "default").spec).toEqual({
        selector: { matchLabels: { app: "reviews" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/waypoint"] } }] }],
      });
    },
  );

  test("istio@1.22: the same, with a warning that istiod 1.22.0 does not apply it (istio/istio#51014)", () => {
    const r = run(BASIC_AUTH, { version: "1.22", ...AMBIENT });
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.code)).toContain("adapter/note/wasmExtension.waypoint-1.22.0");
    expect(find(r.resources, "WasmPlugin", "reviews-wasm-basic-auth-for-service", "default").spec.targetRefs).toEqual([
      { group: "", kind: "Service", name: "reviews" },
    ]);
  });

  test("ports: a waypoint looks WasmPlugins up without a port, so they would never match: error, nothing emitted", () => {
    const r = run(svc + wx(`  destination: {service: api}\n  ports: [80]\n${OCI}`), AMBIENT);
    expect(errors(r)).toEqual(["/spec/ports adapter/unsupported-value"]);
    expect(r.diagnostics.find((d) => d.pointer === "/spec/ports")!.code).toBe("adapter/unsupported-value/wasmExtension.waypoint-ports");
    expect(r.resources).toEqual([]);
  });

  test("the destination's L4 access rules move to the waypoint with it (ztunnel would see the waypoint's identity)", () => {
    const ap = `${H}kind: AccessPolicy\nmetadata: {name: readers, namespace: shop}\nspec:\n  destination: {service: api}\n  allow:\n    - source: {serviceAccounts: [web]}\n  deny:\n    - source: {serviceAccounts: [batch]}\n---\n`;
    const objs = ok(ap + wx(`  destination: {service: api}\n${OCI}`), AMBIENT);
    expect(find(objs, "AuthorizationPolicy", "api-allow", "shop").spec).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "api" }],
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }],
    });
    // The deny stays a deny, at the waypoint: with the caller's identity it still matches batch.
    expect(find(objs, "AuthorizationPolicy", "api-deny", "shop").spec).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "api" }],
      action: "DENY",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/batch"] } }] }],
    });
    expect(find(objs, "AuthorizationPolicy", "api-ztunnel", "shop").spec.rules).toEqual([
      { from: [{ source: { principals: ["cluster.local/ns/shop/sa/waypoint"] } }] },
    ]);
    expect(objs.filter((o) => o.kind === "AuthorizationPolicy" && (o.spec as { selector?: unknown }).selector && o.metadata.name !== "api-ztunnel")).toEqual(
      [],
    );
  });

  test("a namespace-wide AccessPolicy beside it stays on ztunnel, where it would see the waypoint: error", () => {
    const wide = `${H}kind: AccessPolicy\nmetadata: {name: ns-readers, namespace: shop}\nspec:\n  allow:\n    - source: {serviceAccounts: [web]}\n---\n`;
    const r = run(wide + wx(`  destination: {service: api}\n${OCI}`), AMBIENT);
    expect(errors(r)).toEqual(["/spec/destination adapter/unsupported-value"]);
  });
});

describe("WasmExtension validation", () => {
  const codes = (yaml: string) =>
    loadModel([{ file: "t.yaml", text: yaml }])
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => `${d.pointer} ${d.code}`);
  test("a module needs url or file; a file needs its sha256; digests, URLs and file names are checked", () => {
    expect(codes(wx("  destination: {service: api}\n  module: {}"))).toEqual(["/spec/module rule/wasm-module"]);
    expect(codes(wx("  destination: {service: api}\n  module: {file: f.wasm}"))).toEqual(["/spec/module rule/wasm-sha256"]);
    expect(codes(wx("  destination: {service: api}\n  module: {url: ftp://x/f.wasm, file: f.txt, sha256: ABC}"))).toEqual([
      "/spec/module/file schema/pattern",
      "/spec/module/sha256 schema/pattern",
      "/spec/module/url schema/pattern",
    ]);
    expect(codes(svc + wx(`  destination: {service: api}\n  ports: [81]\n${OCI}`))).toEqual(["/spec/ports/0 rule/unknown-port"]);
  });
});
