/**
 * Istio ambient mode in discovery and `--mesh auto` (issue 12): a namespace labelled
 * `istio.io/dataplane-mode=ambient` (istio.io docs/ambient/usage/add-workloads) in a cluster running
 * Istio with its ztunnel DaemonSet is listed in ClusterInfo `spec.namespaces` with `dataplane=ambient`,
 * and `translate --mesh auto` translates that namespace's policies for the ambient data plane.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { loadModel } from "../../src/api/validate.js";
import { pickSettings } from "../../src/cli/mesh-auto.js";
import { CRD_ROOT, fakeCluster, removeScratch, scratch, unimesh } from "./support/harness.js";

type Cluster = Awaited<ReturnType<typeof fakeCluster>>;
let istio: Cluster;

const policy = (ns: string) => `apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews, namespace: ${ns}}
spec:
  destination: {service: reviews, port: 9080}
  timeout: 3s
`;

beforeAll(async () => {
  istio = await fakeCluster({ mesh: "istio" });
  istio.server.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "istio.io/dataplane-mode": "ambient" } } });
  istio.server.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy", labels: { "istio-injection": "enabled" } } });
  // As istioctl / the ztunnel Helm chart install it (istio/istio manifests/charts/ztunnel: DaemonSet ztunnel, label app: ztunnel).
  istio.server.seed({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "ztunnel", namespace: "istio-system", labels: { app: "ztunnel" } },
    spec: {
      selector: { matchLabels: { app: "ztunnel" } },
      template: { metadata: { labels: { app: "ztunnel" } }, spec: { containers: [{ name: "istio-proxy", image: "docker.io/istio/ztunnel:1.30.3" }] } },
    },
  });
});
afterAll(async () => {
  await istio.server.stop();
  removeScratch();
});

describe("discover: which namespaces are ambient", () => {
  test("the labelled namespace is listed with dataplane=ambient and its evidence; the others are not", async () => {
    const r = await unimesh(["discover", "--context", istio.context], { kubeconfig: istio.kubeconfig });
    expect(r.code).toBe(0);
    const loaded = loadModel([{ file: "cluster.yaml", text: r.stdout }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(loaded.model.clusters[0].doc.spec.namespaces).toEqual([
      {
        name: "shop",
        mesh: "istio",
        settings: { dataplane: "ambient" },
        evidence: ["namespace shop is labelled istio.io/dataplane-mode=ambient", "ztunnel DaemonSet istio-system/ztunnel"],
      },
    ]);
    expect(r.stderr).toContain("namespace shop: istio dataplane=ambient");
  });

  test("-n legacy: no namespace settings (its sidecar-injection label is not ambient)", async () => {
    const r = await unimesh(["discover", "--context", istio.context, "-n", "legacy"], { kubeconfig: istio.kubeconfig });
    expect(r.code).toBe(0);
    expect(loadModel([{ file: "cluster.yaml", text: r.stdout }]).model.clusters[0].doc.spec.namespaces).toBeUndefined();
  });
});

describe("translate --mesh auto picks the ambient data plane for ambient namespaces", () => {
  let dir: string;
  beforeAll(async () => {
    const r = await unimesh(["discover", "--context", istio.context], { kubeconfig: istio.kubeconfig });
    dir = scratch({ "cluster.yaml": r.stdout, "shop.yaml": policy("shop"), "legacy.yaml": policy("legacy") });
  });

  test("policies of the ambient namespace: waypoint routes (HTTPRoute), and stderr says why", async () => {
    const r = await unimesh(["translate", join(dir, "cluster.yaml"), join(dir, "shop.yaml"), "--mesh", "auto"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--mesh auto: --set dataplane=ambient for namespace shop");
    expect(r.stdout).toContain("kind: HTTPRoute");
    expect(r.stdout).not.toContain("kind: VirtualService");
  });

  test("policies of a sidecar namespace: the sidecar translation (VirtualService)", async () => {
    const r = await unimesh(["translate", join(dir, "cluster.yaml"), join(dir, "legacy.yaml"), "--mesh", "auto"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kind: VirtualService");
    expect(r.stderr).not.toContain("dataplane=ambient");
  });

  test("both at once: a usage error naming both namespaces, unless --set dataplane decides", async () => {
    const r = await unimesh(["translate", join(dir, "cluster.yaml"), join(dir, "shop.yaml"), join(dir, "legacy.yaml"), "--mesh", "auto"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--mesh auto: the policies' namespaces need different istio settings (legacy: the defaults; shop: dataplane=ambient)");
    const forced = await unimesh([
      "translate",
      join(dir, "cluster.yaml"),
      join(dir, "shop.yaml"),
      join(dir, "legacy.yaml"),
      "--mesh",
      "auto",
      "--set",
      "dataplane=sidecar",
    ]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("kind: VirtualService");
  });
});

describe("pickSettings", () => {
  const shop = { name: "shop", mesh: "istio", settings: { dataplane: "ambient" }, source: "ClusterInfo/c" };
  test("another mesh's settings, or namespaces without policies, do not count", () => {
    expect(pickSettings([shop], "linkerd", ["shop"])).toEqual({ ok: true, settings: {} });
    expect(pickSettings([shop], "istio", ["legacy"])).toEqual({ ok: true, settings: {} });
    expect(pickSettings([shop], "istio", ["shop", "shop"])).toEqual({ ok: true, settings: { dataplane: "ambient" }, reason: "namespace shop (ClusterInfo/c)" });
  });
});

describe("diff --mesh auto reads the same namespace settings from the context's ClusterInfo", () => {
  test("the ambient namespace's policies are compared as waypoint objects", async () => {
    istio.server.installCrds(join(CRD_ROOT, "gateway-api/v1.6.1/standard"));
    istio.server.seed({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "reviews", namespace: "shop" },
      spec: { selector: { app: "reviews" }, ports: [{ name: "http", port: 9080 }] },
    });
    const d = await unimesh(["discover", "--context", istio.context], { kubeconfig: istio.kubeconfig });
    const dir = scratch({ "cluster.yaml": d.stdout, "shop.yaml": policy("shop") });
    const r = await unimesh(["diff", join(dir, "cluster.yaml"), join(dir, "shop.yaml"), "--mesh", "auto", "--context", istio.context], {
      kubeconfig: istio.kubeconfig,
    });
    expect(r.stderr).toContain("dataplane=ambient for namespace shop");
    expect(r.stdout).toContain("HTTPRoute");
    expect(r.stdout).not.toContain("VirtualService");
  });
});
