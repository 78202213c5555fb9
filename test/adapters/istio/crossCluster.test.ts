/**
 * Istio cross-cluster routing in a virtual mesh (multi-primary): built from istio.io
 * `docs/ops/configuration/traffic-management/multicluster` ("Partitioning Services": the DestinationRule
 * `mysvc-per-cluster-dr` with subsets `cluster-1` / `cluster-2` selecting `topology.istio.io/cluster`,
 * and VirtualService routes to those subsets).
 */
import { describe, expect, test } from "vitest";
import { type KubeObject, istio, loadModel, translate } from "../../../src/index.js";
import { validateAll } from "../../support/crd-validator.js";

const vmesh = (east = "istio@1.30") => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: mesh1}
spec:
  members:
    - {name: cluster-1, context: ctx-1, mesh: istio@1.30, trustDomain: cluster-1.example}
    - {name: cluster-2, context: ctx-2, mesh: ${east}, trustDomain: cluster-2.example}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: mysvc, namespace: myns}
spec:
  ports: [{port: 80, name: http, protocol: http}]
`;
const shift = (split: string) => `---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: mysvc-shift, namespace: myns}
spec:
  destination: {service: mysvc, port: 80}
  routes:
    - split: ${split}
`;

function run(yaml: string, member: string | null = "cluster-1") {
  const loaded = loadModel([{ file: "test.yaml", text: yaml }]);
  expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return translate(loaded.model, { adapter: istio, version: "1.30", ...(member ? { member } : {}) });
}
const get = (objs: KubeObject[], kind: string) => objs.find((o) => o.kind === kind) as any;

describe("Istio: a share in another member", () => {
  test("per-cluster subsets by topology.istio.io/cluster (istio.io mysvc-per-cluster-dr) and VirtualService weights to them", () => {
    const r = run(vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const dr = get(r.resources, "DestinationRule");
    expect(dr.spec.host).toBe("mysvc.myns.svc.cluster.local");
    // The doc's subsets, by their labels: one per cluster ID.
    expect(dr.spec.subsets.map((s: any) => s.labels)).toEqual([{ "topology.istio.io/cluster": "cluster-1" }, { "topology.istio.io/cluster": "cluster-2" }]);
    const names = Object.fromEntries(dr.spec.subsets.map((s: any) => [s.labels["topology.istio.io/cluster"], s.name]));
    const vs = get(r.resources, "VirtualService");
    expect(vs.spec.http[0].route.map((d: any) => [d.destination.host, d.destination.subset, d.weight]))
      .toEqual([["mysvc.myns.svc.cluster.local", names["cluster-1"], 75], ["mysvc.myns.svc.cluster.local", names["cluster-2"], 25]]);
    expect(validateAll(r.resources, ["istio/1.30.3", "istio/1.22.8"])).toEqual([]);
  });

  test("translated for the other member, the same policy keeps that member's share local and has no cluster subset", () => {
    const r = run(vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"), "cluster-2");
    // In cluster-2 both shares are local: a plain route, no cluster subsets.
    const vs = get(r.resources, "VirtualService");
    expect(vs.spec.http[0].route.map((d: any) => d.destination)).toEqual([
      { host: "mysvc.myns.svc.cluster.local", port: { number: 80 } }, { host: "mysvc.myns.svc.cluster.local", port: { number: 80 } }]);
    expect(get(r.resources, "DestinationRule")).toBeUndefined();
  });

  test("the default route of a pinned destination stays in the local cluster (Istio would spread it over every cluster)", () => {
    const yaml = vmesh() + `---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: mysvc-shift, namespace: myns}
spec:
  destination: {service: mysvc, port: 80}
  routes:
    - match: {path: {prefix: /api}}
      split: [{weight: 50}, {cluster: cluster-2, weight: 50}]
`;
    const r = run(yaml);
    const vs = get(r.resources, "VirtualService");
    const last = vs.spec.http[vs.spec.http.length - 1];
    expect(last.route).toEqual([{ destination: { host: "mysvc.myns.svc.cluster.local", subset: "cluster-cluster-1" } }]);
  });

  test("a member running another mesh, or mesh auto, is refused at the target; translate() needs the member (the local cluster ID)", () => {
    for (const [east, code] of [["linkerd@2.18", "adapter/unsupported-value/crossCluster.other-mesh"], ["auto", "adapter/unsupported-value/crossCluster.mesh-auto"]]) {
      const r = run(vmesh(east) + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`)).toEqual([`/spec/routes/0/split/1/cluster ${code}`]);
    }
    expect(() => run(vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"), null)).toThrow(/translate for one of its members \(cluster-1, cluster-2\)/);
  });
});
