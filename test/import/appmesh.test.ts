/** The App Mesh importer on hand-written objects and on App Mesh's http-headers walkthrough. */
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appmesh } from "../../src/index.js";
import { type ImportResult, importFacts, importObjects, readNative } from "../../src/api/import.js";

async function imp(text: string, file = "in.yaml"): Promise<ImportResult & { lines: string[] }> {
  const native = readNative([{ file, text }]);
  const r = importObjects(native.objects, { importer: await appmesh.importer!(), mesh: "appmesh", services: importFacts(native.unimesh).services });
  return { ...r, lines: r.diagnostics.filter((d) => d.severity !== "info").map((d) => `${d.severity} ${d.code} ${d.policy ?? ""}${d.pointer ?? ""}`) };
}
const doc = (r: ImportResult, kind: string, name: string) => r.documents.find((d) => d.kind === kind && d.metadata.name === name) as any;

const node = (name: string, labels: string, extra = "") => `---
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualNode
metadata: {name: ${name}, namespace: shop}
spec:
  podSelector: {matchLabels: ${labels}}
  listeners: [{portMapping: {port: 8080, protocol: http}}]
${extra}${extra && !extra.endsWith("\n") ? "\n" : ""}`;
const vs = (name: string) => `---
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualService
metadata: {name: ${name}, namespace: shop}
spec:
  awsName: ${name}.shop.svc.cluster.local
  provider: {virtualNode: {virtualNodeRef: {name: ${name}}}}
`;

describe("App Mesh import", () => {
  test("the http-headers walkthrough: header routes to the subsets of color, in priority order, App Mesh's defaults written out", async () => {
    const text = readFileSync(join(import.meta.dirname, "fixtures/appmesh-walkthroughs/howto-k8s-http-headers.yaml"), "utf8");
    const r = await imp(text);
    expect(r.ok).toBe(true);
    const tp = doc(r, "TrafficPolicy", "color");
    const defaults = { timeout: "15s", retries: { attempts: 2, retryOn: ["503", "connect-failure", "refused-stream", "reset"] } };
    expect(tp.spec).toEqual({
      destination: { service: "color", port: 8080 },
      routes: [
        { name: "color-route-blue", match: { headers: { color_header: { exact: "blue" } } }, split: [{ subset: { version: "blue" } }], ...defaults },
        { name: "color-route-green", match: { headers: { color_header: { regex: ".*green.*" } } }, split: [{ subset: { version: "green" } }], ...defaults },
        { name: "color-route-red", match: { headers: { color_header: { prefix: "red" } } }, split: [{ subset: { version: "red" } }], ...defaults },
        { name: "color-route-yellow", match: { headers: { color_header: { present: true } } }, split: [{ subset: { version: "yellow" } }], ...defaults },
        { name: "color-route-white", split: [{ subset: { version: "white" } }], ...defaults },
      ],
    });
  });

  test("DROP_ALL: the callers of a destination are the VirtualNodes listing it; plaintext bypass reported", async () => {
    const r = await imp(`apiVersion: appmesh.k8s.aws/v1beta2
kind: Mesh
metadata: {name: m}
spec: {egressFilter: {type: DROP_ALL}, namespaceSelector: {matchLabels: {mesh: m}}}
${node("front", "{app: front}", "  backends: [{virtualService: {virtualServiceRef: {name: orders}}}]")}${node("batch", "{app: batch}")}${node("orders", "{app: orders}")}${vs("orders")}${vs("front")}${vs("batch")}`);
    expect(r.ok).toBe(true);
    expect(doc(r, "AccessPolicy", "orders-callers").spec).toEqual({ destination: { service: "orders" }, allow: [{ source: { serviceAccounts: ["front"] } }] });
    // Nobody lists front and batch: they may be called by nobody in App Mesh.
    expect(doc(r, "AccessPolicy", "front-callers").spec).toEqual({ destination: { service: "front" } });
    expect(r.lines).toContain("warning import/unsupported-value VirtualNode/shop/orders/spec/listeners");
  });

  test("ALLOW_ALL: backends restrict nothing, no AccessPolicy; without the Mesh, an error", async () => {
    const objs = `${node("front", "{app: front}", "  backends: [{virtualService: {virtualServiceRef: {name: orders}}}]")}${node("orders", "{app: orders}")}${vs("orders")}`;
    const allow = await imp(`apiVersion: appmesh.k8s.aws/v1beta2
kind: Mesh
metadata: {name: m}
spec: {egressFilter: {type: ALLOW_ALL}}
${objs}`);
    expect(allow.ok).toBe(true);
    expect(allow.documents.filter((d) => d.kind === "AccessPolicy")).toEqual([]);
    const none = await imp(objs);
    expect(none.lines).toEqual(["error import/unresolved VirtualNode/shop/front/spec/backends"]);
  });

  test("listener TLS → MTLSPolicy, outlier detection → outlierDetection, health checks reported", async () => {
    const r = await imp(
      `${node(
        "orders",
        "{app: orders}",
        `    # listener settings
`,
      ).replace(
        "listeners: [{portMapping: {port: 8080, protocol: http}}]",
        `listeners:
    - portMapping: {port: 8080, protocol: http}
      tls: {mode: STRICT, certificate: {sds: {secretName: x}}}
      outlierDetection: {maxServerErrors: 3, interval: {unit: s, value: 10}, baseEjectionDuration: {unit: s, value: 30}, maxEjectionPercent: 50}
      healthCheck: {protocol: http, path: /ping, healthyThreshold: 2, unhealthyThreshold: 2, timeoutMillis: 2000, intervalMillis: 5000}`,
      )}${vs("orders")}`,
    );
    expect(doc(r, "MTLSPolicy", "orders-mtls").spec).toEqual({ destination: { service: "orders" }, mode: "strict" });
    expect(doc(r, "TrafficPolicy", "orders").spec.outlierDetection).toEqual({
      consecutive5xxErrors: 3,
      interval: "10s",
      baseEjectionTime: "30s",
      maxEjectionPercent: 50,
    });
    expect(r.lines).toContain("warning import/unsupported-field VirtualNode/shop/orders/spec/listeners/0/healthCheck");
  });

  test("ingress gateways and BackendGroups are outside the model", async () => {
    const r = await imp(`apiVersion: appmesh.k8s.aws/v1beta2
kind: Mesh
metadata: {name: m}
spec: {egressFilter: {type: DROP_ALL}}
---
apiVersion: appmesh.k8s.aws/v1beta2
kind: VirtualGateway
metadata: {name: gw, namespace: shop}
spec: {}
---
apiVersion: appmesh.k8s.aws/v1beta2
kind: BackendGroup
metadata: {name: all, namespace: shop}
spec: {virtualservices: [{name: "*"}]}
`);
    expect(r.lines).toEqual(["warning import/unsupported-kind VirtualGateway/shop/gw", "error import/looser BackendGroup/shop/all"]);
  });
});
