/**
 * Pod ports no Service port reaches (MeshService `ports[].podOnly`, issue 9 §1): a metrics port Prometheus
 * scrapes on each pod's address. Validation, the model, and what every adapter makes of access and mTLS
 * there (enforced at the pod port), of routing (none), and of destination-level settings (not there).
 */
import { describe, expect, test } from "vitest";
import { appmesh, builtin, formatDiagnostic, istio, linkerd, loadModel, translate, type Adapter, type Diagnostic, type KubeObject } from "../../src/index.js";
import { exposedPorts, servicePort } from "../../src/api/model.js";
import { codeFamily } from "../../src/api/diagnostics.js";

const H = "apiVersion: unimesh.io/v1alpha1\n";
const doc = (kind: string, name: string, spec: string) => `${H}kind: ${kind}\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n---\n`;
/** reviews: Service port 80 → pod port 9080, and pod port 9090 (metrics) that no Service port reaches. */
const REVIEWS = doc(
  "MeshService",
  "reviews",
  "  ports:\n    - {port: 80, targetPort: 9080, name: http}\n    - {port: 9090, name: http-metrics, podOnly: true}",
);
const METRICS_ONLY = doc(
  "AccessPolicy",
  "metrics",
  "  destination: {service: reviews, port: 9090}\n  allow:\n    - source: {serviceAccounts: [monitoring/prometheus]}",
);
const READERS = doc("AccessPolicy", "readers", "  destination: {service: reviews}\n  allow:\n    - source: {serviceAccounts: [productpage]}");

const load = (text: string) => loadModel([{ file: "t.yaml", text }]);
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === "error").map((d) => `${codeFamily(d.code)} ${d.pointer} ${d.policy}`);
function run(adapter: Adapter, text: string, allow: string[] = []) {
  const loaded = load(text);
  expect(loaded.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
  return translate(loaded.model, { adapter, ...(allow.length ? { allowApproximations: allow } : {}) });
}
const find = (objs: KubeObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name) as any;

describe("validation", () => {
  test("a pod-only port has no targetPort and is no Service port's target (rule/pod-only-port)", () => {
    const r = load(
      doc(
        "MeshService",
        "a",
        "  ports:\n    - {port: 80, targetPort: 9080}\n    - {port: 9090, targetPort: 9091, podOnly: true}\n    - {port: 9080, podOnly: true}",
      ),
    );
    expect(r.diagnostics.map((d) => `${codeFamily(d.code)} ${d.pointer}`)).toEqual([
      "rule/pod-only-port /spec/ports/1/targetPort",
      "rule/pod-only-port /spec/ports/2/port",
    ]);
    expect(r.diagnostics[1].message).toContain("pod port 9080 is the targetPort of Service port 80: policies for it name Service port 80");
    // A pod-only port numbered like a Service port: one number, two ports.
    expect(
      load(doc("MeshService", "a", "  ports:\n    - {port: 9090, targetPort: 8080}\n    - {port: 9090, podOnly: true}")).diagnostics.map((d) =>
        codeFamily(d.code),
      ),
    ).toEqual(["rule/duplicate-port"]);
    expect(load(doc("MeshService", "a", "  ports:\n    - {port: 9090, targetPort: 8080, podOnly: false}")).diagnostics).toEqual([]);
  });

  test("routes do not reach a pod-only port: a TrafficPolicy naming it is an error; AccessPolicies and MTLSPolicies may", () => {
    const r = load(
      REVIEWS +
        doc("TrafficPolicy", "t1", "  destination: {service: reviews, port: 9090}\n  timeout: 1s") +
        doc("TrafficPolicy", "t2", "  destination: {service: reviews}\n  routes:\n    - split: [{port: 9090}]\n      mirror: {service: reviews, port: 9090}") +
        METRICS_ONLY +
        doc("AccessPolicy", "a2", "  destination: {service: reviews}\n  allow:\n    - ports: [9090]\n  deny:\n    - notPorts: [9090]") +
        doc("MTLSPolicy", "m", '  destination: {service: reviews}\n  mode: strict\n  ports: {"9090": permissive}'),
    );
    expect(errors(r.diagnostics)).toEqual([
      "rule/pod-only-port /spec/destination/port TrafficPolicy/shop/t1",
      "rule/pod-only-port /spec/routes/0/split/0/port TrafficPolicy/shop/t2",
      "rule/pod-only-port /spec/routes/0/mirror/port TrafficPolicy/shop/t2",
    ]);
    expect(r.diagnostics[0].message).toContain("callers dial it on a pod's own address, where no route applies");
  });

  test("the model: a declared pod-only port maps to itself and is not exposed", () => {
    const { model } = load(REVIEWS + READERS);
    const v = model.destination("shop", "reviews")!;
    expect(v.ports.map((p) => `${p.port}->${p.targetPort}${p.podOnly ? " podOnly" : ""}`)).toEqual(["80->9080", "9090->9090 podOnly"]);
    expect(servicePort(v, 9090)).toMatchObject({ targetPort: 9090, declared: true, podOnly: true });
    expect(exposedPorts(v.ports).map((p) => p.port)).toEqual([80]);
    expect(exposedPorts(v.ports.slice(0, 1))).toEqual(v.ports.slice(0, 1));
  });
});

describe("istio", () => {
  test("access and mTLS at pod port 9090 (AuthorizationPolicy ports, portLevelMtls); no DestinationRule port for it", () => {
    const r = run(
      istio,
      REVIEWS + READERS + METRICS_ONLY + doc("MTLSPolicy", "m", '  destination: {service: reviews}\n  mode: disabled\n  ports: {"9090": strict}'),
    );
    expect(errors(r.diagnostics)).toEqual([]);
    const allow = find(r.resources, "AuthorizationPolicy", "reviews-allow").spec;
    expect(allow.rules).toEqual([
      { from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }], to: [{ operation: { ports: ["9090"] } }] },
      { from: [{ source: { principals: ["cluster.local/ns/shop/sa/productpage"] } }] },
    ]);
    expect(find(r.resources, "PeerAuthentication", "reviews-mtls").spec).toMatchObject({
      mtls: { mode: "DISABLE" },
      portLevelMtls: { "9090": { mode: "STRICT" } },
    });
    // The client side: DISABLE for the service (auto mTLS would send mTLS), nothing for 9090 (no Service port).
    const dr = find(r.resources, "DestinationRule", "reviews").spec.trafficPolicy;
    expect(dr.tls).toEqual({ mode: "DISABLE" });
    expect(dr.portLevelSettings).toBeUndefined();
    // Strict on a pod-only port: sidecars reach it in plaintext (PassthroughCluster), a warning says so.
    const note = r.diagnostics.find((d) => d.pointer === "/spec/ports/1/podOnly")!;
    expect(note).toMatchObject({ severity: "warning", code: "adapter/note/mtls", policy: "MeshService/shop/reviews" });
    expect(note.message).toContain("PassthroughCluster in plaintext (istio/istio#37431)");
  });

  test("a route for every port stays on the Service; a rate limit warns that the pods' filter also limits the pod-only port", () => {
    const r = run(istio, REVIEWS + doc("TrafficPolicy", "t", "  destination: {service: reviews}\n  timeout: 1s\n  rateLimit: {requestsPerSecond: 10}"));
    expect(find(r.resources, "VirtualService", "reviews").spec.http[0]).not.toHaveProperty("match");
    expect(r.diagnostics.find((d) => d.pointer === "/spec/rateLimit")).toMatchObject({
      severity: "warning",
      message: expect.stringContaining("pod-only port 9090 are limited too"),
    });
  });
});

describe("linkerd", () => {
  test("a Server on pod port 9090 with its authorization; routes only on Service port 80", () => {
    const r = run(linkerd, REVIEWS + READERS + METRICS_ONLY + doc("TrafficPolicy", "t", "  destination: {service: reviews}\n  timeout: 1s"));
    expect(errors(r.diagnostics)).toEqual([]);
    expect(r.resources.filter((o) => o.kind === "Server").map((o: any) => `${o.metadata.name}:${o.spec.port}`)).toEqual([
      "reviews-9080:9080",
      "reviews-9090:9090",
    ]);
    expect(r.resources.filter((o) => o.kind === "HTTPRoute").map((o: any) => o.spec.parentRefs[0].port)).toEqual([80]);
    const ids = (name: string) => find(r.resources, "MeshTLSAuthentication", name).spec.identities;
    expect(ids("reviews-9090-identities")).toEqual([
      "prometheus.monitoring.serviceaccount.identity.linkerd.cluster.local",
      "productpage.shop.serviceaccount.identity.linkerd.cluster.local",
    ]);
    expect(ids("reviews-9080-identities")).toEqual(["productpage.shop.serviceaccount.identity.linkerd.cluster.local"]);
  });

  test("a rate limit is for the Service port's pod port only (one Server), not the pod-only port", () => {
    const r = run(linkerd, REVIEWS + doc("TrafficPolicy", "t", "  destination: {service: reviews}\n  rateLimit: {requestsPerSecond: 10}"));
    expect(errors(r.diagnostics)).toEqual([]);
    expect(r.resources.filter((o) => o.kind === "Server").map((o: any) => o.spec.port)).toEqual([9080]);
    expect(find(r.resources, "HTTPLocalRateLimitPolicy", "reviews-9080").spec.targetRef.name).toBe("reviews-9080");
  });
});

describe("appmesh", () => {
  const STRICT = doc("MTLSPolicy", "ns", "  mode: strict");
  test("pod port 9090 is a VirtualNode listener (TLS, SANs) and no VirtualRouter listener; destination-level settings stay off it", () => {
    const r = run(
      appmesh,
      REVIEWS +
        STRICT +
        READERS +
        doc("TrafficPolicy", "t", "  destination: {service: reviews}\n  outlierDetection: {consecutive5xxErrors: 3}\n  connectionPool: {maxConnections: 10}"),
      ["connection-pool-per-instance"],
    );
    expect(errors(r.diagnostics)).toEqual([]);
    const vn = find(r.resources, "VirtualNode", "reviews").spec;
    expect(
      vn.listeners.map((l: any) => [
        l.portMapping.port,
        l.tls?.mode,
        l.tls?.validation.subjectAlternativeNames?.match.exact,
        !!l.connectionPool,
        !!l.outlierDetection,
      ]),
    ).toEqual([
      [9080, "STRICT", ["spiffe://cluster.local/ns/shop/sa/productpage"], true, true],
      [9090, "STRICT", ["spiffe://cluster.local/ns/shop/sa/productpage"], false, false],
    ]);
    expect(find(r.resources, "VirtualRouter", "reviews").spec.listeners).toEqual([{ portMapping: { port: 80, protocol: "http" } }]);
    // Callers originate TLS on the routed listener only (9090 is never a backend's target).
    const client = find(r.resources, "VirtualNode", "productpage").spec.backends[0].virtualService.clientPolicy.tls;
    expect(client).not.toHaveProperty("ports");
    expect(r.diagnostics.find((d) => d.pointer === "/spec/ports/1/podOnly")).toMatchObject({ severity: "warning", code: "adapter/note/mtls" });
  });

  test("plaintext on the pod-only port: an AccessPolicy for every port is not enforceable there (error, as for any port)", () => {
    const r = run(appmesh, REVIEWS + doc("MTLSPolicy", "m", '  destination: {service: reviews}\n  mode: strict\n  ports: {"9090": permissive}') + READERS);
    expect(errors(r.diagnostics)).toEqual(["adapter/unsupported-value /spec/destination AccessPolicy/shop/readers"]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("accepts plaintext on pod port 9090 (permissive)");
  });
});

describe("builtin", () => {
  test("a policy naming a pod-only port is an error (no pod addresses); the port is not a proxied service port", () => {
    const r = run(
      builtin,
      REVIEWS +
        METRICS_ONLY +
        doc("AccessPolicy", "a2", "  destination: {service: reviews}\n  allow:\n    - ports: [9090]") +
        doc("MTLSPolicy", "m", '  destination: {service: reviews}\n  mode: strict\n  ports: {"9090": permissive}'),
    );
    expect(errors(r.diagnostics)).toEqual([
      "adapter/unsupported-value /spec/destination/port AccessPolicy/shop/metrics",
      "adapter/unsupported-value /spec/allow/0/ports/0 AccessPolicy/shop/a2",
      "adapter/unsupported-value /spec/ports/9090 MTLSPolicy/shop/m",
    ]);
    expect(r.diagnostics.find((d) => d.severity === "error")!.message).toContain("the built-in proxy has no pod addresses");
    const ok = run(builtin, REVIEWS + READERS);
    expect(ok.ok).toBe(true);
    const service = (ok.resources[0] as any).spec.services.find((s: any) => s.name === "reviews");
    expect(service.ports).toEqual([{ port: 80, targetPort: 9080, protocol: "http" }]);
    expect(ok.diagnostics.find((d) => d.pointer === "/spec/ports/1/podOnly")).toMatchObject({ severity: "info", code: "adapter/note/pod-only-port" });
  });
});
