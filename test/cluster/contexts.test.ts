/**
 * A second real kube-apiserver (`spare`), with no mesh at first: missing CRDs, a mesh of another release
 * (Istio 1.22's CRDs without `networking.istio.io/v1`, then with it), `--mesh auto` on a cluster without
 * a mesh and on one with Istio 1.22; then it is stopped, and one kubeconfig with two contexts (`east`:
 * the `main` server, `west`: the stopped one) shows an unreachable cluster beside a reachable one.
 * The tests run in order. Policies are translated by the test adapters (test/kube/support/fake-adapters.ts).
 */
import yaml from "js-yaml";
import { beforeAll, describe, expect, inject, test, vi } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import type { KubeClient } from "../../src/kube/client.js";
import { type TestCluster, liveCluster, policies, scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, adminClient, combinedKubeconfig, crdsOf, deleteCrds, installCrds, server, stopServer } from "./support/servers.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("../kube/support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

const run = inject("unimeshCluster");
type Obj = any;

describe.skipIf(!!run.skip).sequential("a second API server: missing CRDs, another release, then stopped", () => {
  let spare: ServerInfo;
  let main: ServerInfo;
  let c: TestCluster;
  let client: KubeClient;
  let dir: string;
  const ns = "um-spare";
  const kc = () => ({ kubeconfig: spare.kubeconfig });

  beforeAll(async () => {
    [spare, main] = [await server(run, "spare"), await server(run, "main")];
    c = await liveCluster(spare.kubeconfig, spare.context, "istio");
    client = await adminClient(spare.kubeconfig);
    await c.setupNamespace(ns);
    dir = scratch({ "base.yaml": policies(ns), "nowhere.yaml": policies("um-nowhere") });
  });

  test("--mesh auto on a cluster without a mesh: exit 3, saying so", async () => {
    const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "auto"], kc());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "unimesh apply: kube-local: error: --mesh auto: no service mesh found in context kube-local (no Istio, Linkerd or App Mesh CRDs or control plane); install one, or name the mesh with --mesh NAME@VERSION",
    );
  });

  test("a missing CRD names the mesh to install, and nothing is applied", async () => {
    const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "appmesh"], kc());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "unimesh apply: kube-local: error: appmesh.k8s.aws/v1beta2 Mesh, VirtualNode are not served by this cluster (CRDs meshes.appmesh.k8s.aws, virtualnodes.appmesh.k8s.aws): install the AWS App Mesh controller (the eks/appmesh-controller Helm chart) first",
    );
    expect(r.stdout).toBe("");
    expect(await c.get("v1", "Service", ns, "ratings-appmesh")).toBeUndefined();
  });

  test("several problems are listed together", async () => {
    const r = await unimesh(["apply", `${dir}/nowhere.yaml`, "--mesh", "istio"], kc());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "error: 3 problems (nothing was changed in the cluster):\n  - networking.istio.io/v1 DestinationRule, VirtualService are not served by this cluster (CRDs destinationrules.networking.istio.io, virtualservices.networking.istio.io): install Istio (istioctl install, or the istio/base Helm chart) first\n",
    );
    expect(r.stderr).toContain("  - security.istio.io/v1 AuthorizationPolicy is not served by this cluster");
    expect(r.stderr).toContain("  - namespace um-nowhere does not exist");
  });

  test.each(["apply", "diff"])("%s --output json with a named mesh: the translation's diagnostics are in the JSON report", async (cmd) => {
    const r = await unimesh([cmd, `${dir}/base.yaml`, "--mesh", "appmesh", "--output", "json"], kc());
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).clusters[0]).toMatchObject({ context: "kube-local", ok: false, error: { code: "missing-crd" } });
    const report = JSON.parse(r.stderr);
    expect(report.diagnostics.map((d: Obj) => `${d.severity} ${d.code} ${d.adapter}`)).toContain("info adapter/deprecated-mesh appmesh@1.13");
  });

  test("Istio 1.22's CRDs without v1 (an older release): the message says which versions the cluster serves", async () => {
    const crds = crdsOf(["istio/1.22.8"]).map((crd) => {
      crd.spec.versions = crd.spec.versions.filter((v: Obj) => v.name !== "v1");
      if (!crd.spec.versions.some((v: Obj) => v.storage)) crd.spec.versions[0].storage = true;
      return crd;
    });
    await installCrds(client, crds);
    const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "istio"], kc());
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "networking.istio.io/v1 DestinationRule, VirtualService are not served by this cluster (CRDs destinationrules.networking.istio.io, virtualservices.networking.istio.io): it serves networking.istio.io v1beta1, v1alpha3 but not v1, so the installed mesh is another version than the one translated for; translate for the installed version (--mesh auto, or --mesh NAME@VERSION), or upgrade Istio",
    );
  });

  test("Istio 1.22's CRDs as released (v1 served): --mesh auto detects 1.22 and diff shows what apply would create", async () => {
    const crds = crdsOf(["istio/1.22.8"]);
    // Going back to the released CRDs changes their storage version: delete and reinstall, as a reinstall of the mesh would.
    await deleteCrds(
      client,
      crds.map((x) => x.metadata.name),
    );
    await installCrds(client, crds);
    const r = await unimesh(["diff", `${dir}/base.yaml`, "--mesh", "auto"], kc());
    expect(r.stderr).toContain("unimesh diff: kube-local: istio@1.22 (--mesh auto: istio 1.22, detected in context kube-local)");
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`^\\+ VirtualService\\.networking\\.istio\\.io ${ns}/reviews \\(created\\)$`, "m"));
  });

  test("two contexts, one server stopped: the stopped one is reported (exit 3), the other is applied", async () => {
    await stopServer(spare.kubeconfig);
    const mainCluster = await liveCluster(main.kubeconfig, main.context, "istio");
    const east = `um-east-${process.pid}`;
    await mainCluster.setupNamespace(east);
    const kubeconfig = combinedKubeconfig(run, "east-west.kubeconfig", { east: main, west: spare });
    const d = scratch({ "p.yaml": policies(east) });
    const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio", "--context", "west,east", "--policy-set", east], { kubeconfig });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `unimesh apply: west: error: cannot reach ${spare.server}/version (context "west"): connect ECONNREFUSED 127.0.0.1:${new URL(spare.server).port}`,
    );
    expect(r.stdout).toContain(`east: VirtualService.networking.istio.io ${east}/reviews created`);
    expect(r.stdout).not.toContain("west:");
    expect(await mainCluster.get("networking.istio.io/v1", "VirtualService", east, "reviews")).toBeDefined();

    const all = await unimesh(["discover", "--all-contexts", "-n", east], { kubeconfig });
    expect(all.code).toBe(3);
    expect(all.stderr).toContain("unimesh discover: west: error: cannot reach");
    const loaded = loadModel([{ file: "-", text: all.stdout }]);
    expect(loaded.ok).toBe(true);
    expect(loaded.model.clusters.map((x) => x.doc.spec.context)).toEqual(["east"]);
    expect(
      yaml
        .loadAll(all.stdout)
        .filter((x: Obj) => x?.kind === "MeshService")
        .map((x: Obj) => x.metadata.name)
        .sort(),
    ).toEqual(["ratings", "reviews"]);
  });
});
