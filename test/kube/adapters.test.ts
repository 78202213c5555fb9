/**
 * The shipped adapters through the cluster layer (no test doubles): what they emit for realistic
 * policies is accepted by the fake API server (which validates custom resources against the real
 * CRDs), a second apply changes nothing, diff then finds no difference, and --prune removes what a
 * smaller policy set no longer generates.
 */
import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, describe, expect, test } from "vitest";
import { CRD_ROOT, fakeCluster, policies, removeScratch, scratch, unimesh } from "./support/harness.js";

const BOOKINFO = join(import.meta.dirname, "../../examples/bookinfo");
const clusters: { server: { stop(): Promise<void> } }[] = [];
afterAll(async () => {
  for (const c of clusters) await c.server.stop();
  removeScratch();
});

async function bookinfoCluster(mesh: "istio" | "linkerd", extraCrds: string[] = []) {
  const c = await fakeCluster({ mesh });
  clusters.push(c);
  for (const d of extraCrds) c.server.installCrds(join(CRD_ROOT, d));
  await c.setupNamespace("bookinfo");
  for (const s of ["productpage", "details", "reviews-v1", "reviews-v2"]) {
    c.server.seed({ apiVersion: "v1", kind: "Service", metadata: { name: s, namespace: "bookinfo" }, spec: { selector: { app: s.replace(/-v\d$/, "") }, ports: [{ name: "http", port: 9080 }] } });
  }
  return c;
}

describe("shipped adapters against the fake API server", () => {
  test("istio: examples/bookinfo applies, reapplies unchanged, diffs clean (--mesh auto)", async () => {
    const c = await bookinfoCluster("istio");
    const first = await unimesh(["apply", BOOKINFO, "--mesh", "istio"], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error:/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/VirtualService\.networking\.istio\.io bookinfo\/reviews created/);
    const second = await unimesh(["apply", BOOKINFO, "--mesh", "istio"], { kubeconfig: c.kubeconfig });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/ (created|configured)$/m);
    const diff = await unimesh(["diff", BOOKINFO, "--mesh", "auto", "--prune"], { kubeconfig: c.kubeconfig });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/: 0 to create, 0 to update, 0 to delete, \d+ unchanged/);
  });

  test("linkerd: applies, reapplies unchanged, prunes what is no longer generated", async () => {
    const c = await bookinfoCluster("linkerd");
    const d = scratch({
      "base.yaml": policies("bookinfo").replace("retries:\n    attempts: 3", "retries:\n    attempts: 3\n    retryOn: [5xx]"),
      "fewer.yaml": policies("bookinfo", "fewer"),
    });
    const first = await unimesh(["apply", `${d}/base.yaml`, "--mesh", "linkerd"], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error/);
    expect(first.code).toBe(0);
    const second = await unimesh(["apply", `${d}/base.yaml`, "--mesh", "linkerd"], { kubeconfig: c.kubeconfig });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/ (created|configured)$/m);
    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "linkerd", "--prune"], { kubeconfig: c.kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/ratings\S* (pruned|released)$/m);
    expect(c.server.get("v1", "Service", "bookinfo", "ratings")).toBeDefined();
  });

  test("appmesh: the Services it generates are created, and pruned when no longer generated", async () => {
    const c = await bookinfoCluster("istio", ["aws-app-mesh/v1.13.3"]);
    // App Mesh describes every MeshService: "fewer" drops ratings' policy and its MeshService.
    const fewer = (yaml.loadAll(policies("bookinfo", "fewer")) as any[]).filter((x) => !(x.kind === "MeshService" && x.metadata.name === "ratings"));
    const d = scratch({ "base.yaml": policies("bookinfo"), "fewer.yaml": fewer.map((x) => "---\n" + yaml.dump(x)).join("") });
    const first = await unimesh(["apply", `${d}/base.yaml`, "--mesh", "appmesh"], { kubeconfig: c.kubeconfig });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Service bookinfo\/ratings-appmesh created/);
    const lines = first.stdout.split("\n");
    expect(lines.findIndex((l) => / Mesh\.appmesh\.k8s\.aws /.test(l))).toBeLessThan(lines.findIndex((l) => /VirtualNode\.appmesh\.k8s\.aws/.test(l)));
    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "appmesh", "--prune"], { kubeconfig: c.kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/Service bookinfo\/ratings-appmesh pruned/);
    expect(c.server.get("v1", "Service", "bookinfo", "ratings-appmesh")).toBeUndefined();
    expect(c.server.get("v1", "Service", "bookinfo", "ratings")).toBeDefined();
  });
});
