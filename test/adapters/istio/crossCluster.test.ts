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
    expect(vs.spec.http[0].route.map((d: any) => [d.destination.host, d.destination.subset, d.weight])).toEqual([
      ["mysvc.myns.svc.cluster.local", names["cluster-1"], 75],
      ["mysvc.myns.svc.cluster.local", names["cluster-2"], 25],
    ]);
    expect(validateAll(r.resources, ["istio/1.30.3", "istio/1.22.8"])).toEqual([]);
  });

  test("translated for the other member, the same policy keeps that member's share local: its routes name no subset", () => {
    const r = run(vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"), "cluster-2");
    // In cluster-2 both shares are local: a plain route, no cluster subsets.
    const vs = get(r.resources, "VirtualService");
    expect(vs.spec.http[0].route.map((d: any) => d.destination)).toEqual([
      { host: "mysvc.myns.svc.cluster.local", port: { number: 80 } },
      { host: "mysvc.myns.svc.cluster.local", port: { number: 80 } },
    ]);
    // Only the subset cluster-1 sends its share to (see "the member that receives a share").
    expect(get(r.resources, "DestinationRule").spec.subsets.map((x: any) => x.labels)).toEqual([{ "topology.istio.io/cluster": "cluster-2" }]);
  });

  test("the default route of a pinned destination stays in the local cluster (Istio would spread it over every cluster)", () => {
    const yaml =
      vmesh() +
      `---
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
    for (const [east, code] of [
      ["linkerd@2.18", "adapter/unsupported-value/crossCluster.other-mesh"],
      ["auto", "adapter/unsupported-value/crossCluster.mesh-auto"],
    ]) {
      const r = run(vmesh(east) + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.pointer} ${d.code}`)).toEqual([`/spec/routes/0/split/1/cluster ${code}`]);
    }
    expect(() => run(vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"), null)).toThrow(
      /translate for one of its members \(cluster-1, cluster-2\)/,
    );
  });
});

const three = (south = "istio@1.30") => `apiVersion: unimesh.io/v1alpha1
kind: VirtualMesh
metadata: {name: mesh1}
spec:
  members:
    - {name: cluster-1, context: ctx-1, mesh: istio@1.30, trustDomain: cluster-1.example}
    - {name: cluster-2, context: ctx-2, mesh: istio@1.30, trustDomain: cluster-2.example}
    - {name: cluster-3, context: ctx-3, mesh: ${south}, trustDomain: cluster-3.example}
---
apiVersion: unimesh.io/v1alpha1
kind: MeshService
metadata: {name: helloworld, namespace: sample}
spec:
  ports: [{port: 5000, name: http, protocol: http}]
`;
const failover = (clusters: string, extra = "") => `---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: helloworld, namespace: sample}
spec:
  destination: {service: helloworld, port: 5000}
  outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 10m}
  loadBalancer: {algorithm: round-robin}
  failover: {clusters: ${clusters}}
${extra}`;

describe("Istio: failover to another member", () => {
  test("the DestinationRule of istio.io's locality failover task, failing over by cluster: localityLbSetting.failoverPriority [topology.istio.io/cluster] beside outlierDetection", () => {
    const r = run(three("linkerd@2.20") + failover("[cluster-1, cluster-2]").replace(/helloworld/g, "helloworld"));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const dr = get(r.resources, "DestinationRule");
    // istio.io tasks/traffic-management/locality-load-balancing/failover: the sample's trafficPolicy, the
    // region failover replaced by the cluster label of the multicluster docs.
    expect(dr.spec).toEqual({
      host: "helloworld.sample.svc.cluster.local",
      trafficPolicy: {
        loadBalancer: { localityLbSetting: { enabled: true, failoverPriority: ["topology.istio.io/cluster"] }, simple: "ROUND_ROBIN" },
        outlierDetection: { baseEjectionTime: "600s", consecutive5xxErrors: 1, interval: "1s" },
      },
    });
    expect(validateAll(r.resources, ["istio/1.30.3", "istio/1.22.8"])).toEqual([]);
  });

  test("a subset's own loadBalancer carries the failover too (it replaces the destination's); local targets stay unpinned, a share in another member is pinned", () => {
    const yaml =
      three("linkerd@2.20").replace(
        "ports: [{port: 5000, name: http, protocol: http}]",
        "ports: [{port: 5000, name: http, protocol: http}]\n  subsets: [{name: v1, labels: {version: v1}}]",
      ) +
      failover(
        "[cluster-2]",
        `  routes:
    - split: [{subset: v1, weight: 80}, {cluster: cluster-2, weight: 20}]
  subsetSettings:
    - subset: {version: v1}
      loadBalancer: {algorithm: least-request}
`,
      );
    const r = run(yaml);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const dr = get(r.resources, "DestinationRule");
    const v1 = dr.spec.subsets.find((s: any) => s.name === "v1");
    expect(v1.trafficPolicy.loadBalancer).toEqual({
      localityLbSetting: { enabled: true, failoverPriority: ["topology.istio.io/cluster"] },
      simple: "LEAST_REQUEST",
    });
    const vs = get(r.resources, "VirtualService");
    expect(vs.spec.http[0].route.map((d: any) => d.destination.subset)).toEqual(["v1", "cluster-cluster-2"]);
    expect(validateAll(r.resources, ["istio/1.30.3"])).toEqual([]);
  });

  test("what Istio's one failover tier cannot keep is refused at the field", () => {
    const codes = (yaml: string) =>
      run(yaml)
        .diagnostics.filter((d) => d.severity === "error")
        .map((d) => `${d.pointer} ${d.code}`);
    // Two listed Istio members: Istio cannot order them.
    expect(codes(three() + failover("[cluster-2, cluster-3]"))).toEqual(["/spec/failover/clusters adapter/unsupported-value/crossCluster.failover-order"]);
    // An unlisted Istio member would take over as well.
    expect(codes(three() + failover("[cluster-2]"))).toEqual(["/spec/failover/clusters adapter/unsupported-value/crossCluster.failover-unlisted"]);
    // A listed member of another mesh; a member whose mesh is auto.
    expect(codes(three("linkerd@2.20") + failover("[cluster-3]"))).toEqual([
      "/spec/failover/clusters adapter/unsupported-value/crossCluster.failover-unlisted",
      "/spec/failover/clusters/0 adapter/unsupported-value/crossCluster.other-mesh",
    ]);
    expect(codes(three("auto") + failover("[cluster-2]"))).toEqual(["/spec/failover/clusters adapter/unsupported-value/crossCluster.mesh-auto"]);
  });

  test("translated for a member that is the only one listed, nothing fails over: no localityLbSetting", () => {
    const r = run(three("linkerd@2.20") + failover("[cluster-1]"));
    expect(r.ok).toBe(true);
    expect(get(r.resources, "DestinationRule").spec.trafficPolicy.loadBalancer).toEqual({ simple: "ROUND_ROBIN" });
  });
});

describe("the model: failover", () => {
  const errs = (yaml: string) =>
    loadModel([{ file: "t.yaml", text: yaml }])
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => `${d.pointer} ${d.code}`);
  test("needs outlierDetection on the destination, members of the VirtualMesh, no source; two policies must agree", () => {
    expect(errs(three() + failover("[cluster-2]").replace("  outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 10m}\n", ""))).toEqual(
      ["/spec/failover rule/failover-outlier-detection"],
    );
    expect(errs(three() + failover("[cluster-9]"))).toEqual(["/spec/failover/clusters/0 rule/unknown-cluster"]);
    expect(errs(three() + failover("[cluster-2]", "  source: {serviceAccounts: [sleep]}\n"))).toContain("/spec/failover rule/destination-setting-with-source");
    const second = `---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: helloworld-2, namespace: sample}
spec:
  destination: {service: helloworld, port: 5000}
  failover: {clusters: [cluster-3]}
`;
    expect(errs(three() + failover("[cluster-2]") + second)).toEqual(["/spec/failover rule/conflict"]);
  });
});

describe("Istio: the member that receives a share", () => {
  test("defines the subset the senders name (its east-west gateway builds SNI-DNAT clusters from its own DestinationRules)", () => {
    const yaml = vmesh() + shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]");
    const sender = get(run(yaml, "cluster-1").resources, "DestinationRule");
    const receiver = get(run(yaml, "cluster-2").resources, "DestinationRule");
    const incoming = sender.spec.subsets.find((s: any) => s.labels["topology.istio.io/cluster"] === "cluster-2");
    // Same name and labels on both sides: the SNI outbound_.80_.<subset>_.mysvc.myns.svc.cluster.local resolves at cluster-2's gateway.
    expect(receiver.spec.subsets).toEqual([incoming]);
    expect(receiver.metadata.annotations["unimesh.io/policies"]).toBe("TrafficPolicy/myns/mysvc-shift");
  });

  test("no Istio sender, no subset: a virtual mesh whose other member runs Linkerd", () => {
    const r = run(
      vmesh("linkerd@2.20")
        .replace("mesh: istio@1.30, trustDomain: cluster-1", "mesh: linkerd@2.20, trustDomain: cluster-1")
        .replace("mesh: linkerd@2.20, trustDomain: cluster-2", "mesh: istio@1.30, trustDomain: cluster-2") +
        shift("[{weight: 75}, {cluster: cluster-2, weight: 25}]"),
      "cluster-2",
    );
    expect(get(r.resources, "DestinationRule")).toBeUndefined();
  });
});

describe("Istio: a share to another Service in another member (split[].service with cluster)", () => {
  test("the subset is that Service's, in its own DestinationRule, on both sides", () => {
    const yaml = vmesh() + shift("[{weight: 50}, {service: mysvc-v2, cluster: cluster-2, weight: 50}]");
    const sender = run(yaml, "cluster-1");
    expect(sender.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const vs = get(sender.resources, "VirtualService");
    expect(vs.spec.http[0].route.map((d: any) => [d.destination.host, d.destination.subset])).toEqual([
      ["mysvc.myns.svc.cluster.local", "cluster-cluster-1"],
      ["mysvc-v2.myns.svc.cluster.local", "cluster-cluster-2"],
    ]);
    const drOf = (objs: KubeObject[], host: string) => objs.find((o: any) => o.kind === "DestinationRule" && o.spec.host === host) as any;
    expect(drOf(sender.resources, "mysvc-v2.myns.svc.cluster.local").spec.subsets).toEqual([
      { name: "cluster-cluster-2", labels: { "topology.istio.io/cluster": "cluster-2" } },
    ]);
    const receiver = run(yaml, "cluster-2");
    expect(drOf(receiver.resources, "mysvc-v2.myns.svc.cluster.local").spec.subsets).toEqual([
      { name: "cluster-cluster-2", labels: { "topology.istio.io/cluster": "cluster-2" } },
    ]);
    expect(validateAll([...sender.resources, ...receiver.resources], ["istio/1.30.3"])).toEqual([]);
  });
});
