/**
 * Services whose selectors MAY pick some of the same pods without one containing the other (issue 9 §2,
 * "Two Services whose selectors pick the same pods", the partial case): `reviews-web` = {app: reviews,
 * tier: web} and `reviews-v2` = {app: reviews, version: v2} both select a pod labelled app=reviews,
 * tier=web, version=v2, if one exists. Pod labels are not in the model, so such a pod is assumed to exist:
 * the same treatment as services whose selectors certainly share pods (shared-pods.ts), never looser.
 */
import { describe, expect, test } from "vitest";
import { appmesh, builtin, formatDiagnostic, istio, linkerd, loadModel, translate, type Adapter, type KubeObject } from "../../src/index.js";
import { isCodeIn, codeFamily } from "../../src/api/diagnostics.js";

const H = "apiVersion: unimesh.io/v1alpha1\n";
const doc = (kind: string, name: string, spec: string) => `${H}kind: ${kind}\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n---\n`;
const WEB = doc("MeshService", "reviews-web", "  selector: {app: reviews, tier: web}\n  serviceAccount: reviews\n  ports: [{port: 9080}]");
const V2 = doc("MeshService", "reviews-v2", "  selector: {app: reviews, version: v2}\n  serviceAccount: reviews\n  ports: [{port: 9080}]");
const webReaders = doc("AccessPolicy", "web-readers", "  destination: {service: reviews-web}\n  allow:\n    - source: {serviceAccounts: [productpage]}");
const v2Open = doc("AccessPolicy", "v2-open", "  destination: {service: reviews-v2}\n  allow:\n    - {}");

function run(adapter: Adapter, text: string) {
  const loaded = loadModel([{ file: "t.yaml", text }]);
  expect(loaded.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
  return translate(loaded.model, { adapter });
}
const find = (objs: KubeObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name) as any;

describe("selectors that may overlap", () => {
  test("istio: allow: [{}] on reviews-v2 would open the pods reviews-web shares with it (Istio ORs ALLOW policies): an error naming both", () => {
    const r = run(istio, WEB + V2 + webReaders + v2Open);
    expect(r.ok).toBe(false);
    const e = r.diagnostics.filter((d) => d.severity === "error");
    expect(e.map((d) => `${d.policy} ${d.pointer}`)).toEqual(["AccessPolicy/shop/web-readers /spec/destination"]);
    expect(e[0].message).toContain("shop/reviews-v2 and shop/reviews-web may select some of the same pods");
    expect(e[0].message).toContain('selects {"app":"reviews","version":"v2"} and shop/reviews-web {"app":"reviews","tier":"web"}');
    expect(e[0].message).toContain("the AccessPolicies of shop/reviews-v2 allow requests those of shop/reviews-web do not");
  });

  test("istio: one of them without AccessPolicy: a warning naming both (requests to the other on shared pods get these rules)", () => {
    const r = run(istio, WEB + V2 + webReaders);
    expect(r.ok).toBe(true);
    const w = r.diagnostics.filter((d) => d.severity === "warning" && isCodeIn(d.code, "adapter/conflict"));
    expect(w.map((d) => d.policy)).toEqual(["AccessPolicy/shop/web-readers"]);
    expect(w[0].message).toContain("shop/reviews-v2 has no AccessPolicy on pod port 9080");
  });

  test("istio: the same rules on both are exact: no finding", () => {
    const r = run(
      istio,
      WEB +
        V2 +
        webReaders +
        doc("AccessPolicy", "v2-readers", "  destination: {service: reviews-v2}\n  allow:\n    - source: {serviceAccounts: [productpage]}"),
    );
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.severity !== "info")).toEqual([]);
  });

  test("istio: a permissive PeerAuthentication for reviews-v2 never loosens the strict reviews-web on a pod both select", () => {
    const r = run(
      istio,
      WEB +
        V2 +
        doc("MTLSPolicy", "web-strict", "  destination: {service: reviews-web}\n  mode: strict") +
        doc("MTLSPolicy", "v2-permissive", "  destination: {service: reviews-v2}\n  mode: permissive"),
    );
    expect(find(r.resources, "PeerAuthentication", "reviews-v2-mtls").spec.mtls.mode).toBe("STRICT");
    expect(find(r.resources, "PeerAuthentication", "reviews-web-mtls").spec.mtls.mode).toBe("STRICT");
    expect(r.diagnostics.filter((d) => d.severity === "warning").map((d) => d.policy)).toContain("MTLSPolicy/shop/v2-permissive");
  });

  test("linkerd: different rules are an error (only one Server applies to a pod port)", () => {
    const r = run(
      linkerd,
      WEB + V2 + webReaders + doc("AccessPolicy", "v2-readers", "  destination: {service: reviews-v2}\n  allow:\n    - source: {serviceAccounts: [ratings]}"),
    );
    expect(r.ok).toBe(false);
    const e = r.diagnostics.filter((d) => d.severity === "error");
    expect(e.length).toBeGreaterThan(0);
    expect(e.every((d) => d.message.includes("may select some of the same pods"))).toBe(true);
  });

  test("appmesh: a warning that a pod carrying both label sets would be refused (two VirtualNodes select it)", () => {
    const r = run(appmesh, WEB + V2);
    const w = r.diagnostics.filter((d) => d.pointer === "/spec/selector");
    expect(w.map((d) => `${d.severity} ${codeFamily(d.code)} ${d.policy}`)).toEqual(["warning adapter/conflict MeshService/shop/reviews-web"]);
    expect(w[0].message).toContain("VirtualNodes shop/reviews-v2 and shop/reviews-web may select the same pods");
  });

  test("selectors with a label that differs never meet: nothing to say", () => {
    const V1 = doc("MeshService", "reviews-v1", "  selector: {app: reviews, version: v1}\n  serviceAccount: reviews\n  ports: [{port: 9080}]");
    for (const adapter of [istio, linkerd, appmesh]) {
      const r = run(
        adapter,
        V1 + V2 + doc("AccessPolicy", "v1-readers", "  destination: {service: reviews-v1}\n  allow:\n    - source: {serviceAccounts: [productpage]}") + v2Open,
      );
      expect(r.diagnostics.filter((d) => /same pods/.test(d.message)).map(formatDiagnostic)).toEqual([]);
    }
  });

  test("builtin: a listener per service keeps them apart (no finding)", () => {
    const r = run(builtin, WEB + V2 + webReaders + v2Open);
    expect(r.ok).toBe(true);
  });
});
