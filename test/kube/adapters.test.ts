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

/** Annotations unimesh (or the Linkerd adapter's patches) put on an object. */
const unimeshKeys = (o: any): string[] => Object.keys(o?.metadata?.annotations ?? {}).filter((k) => /^(unimesh\.io|balancer\.linkerd\.io|config\.linkerd\.io|retry\.linkerd\.io)\//.test(k));

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
    const ratings = c.server.get("v1", "Service", "bookinfo", "ratings");
    expect(ratings).toBeDefined();
    expect(unimeshKeys(ratings)).toEqual([]);
  });

  test("linkerd: --prune releases the Service and Namespace patches no longer generated, and only those of its policy set", async () => {
    const c = await bookinfoCluster("linkerd");
    await c.setupNamespace("team-b");
    // The user's own annotation on the Namespace: prune must keep it.
    await c.applyAs("kubectl", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bookinfo", annotations: { "example.com/owner": "team-a" } } });
    const patches = (ns: string) => [
      { apiVersion: "unimesh.io/v1alpha1", kind: "MTLSPolicy", metadata: { name: `${ns}-permissive`, namespace: ns }, spec: { mode: "permissive" } },
      { apiVersion: "unimesh.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "ratings-outliers", namespace: ns }, spec: { destination: { service: "ratings", port: 9080 }, outlierDetection: { consecutive5xxErrors: 5, baseEjectionTime: "30s", maxEjectionPercent: 100 } } },
    ].map((x) => "---\n" + yaml.dump(x)).join("");
    const base = policies("bookinfo").replace("retries:\n    attempts: 3", "retries:\n    attempts: 3\n    retryOn: [5xx]");
    const d = scratch({ "base.yaml": base + patches("bookinfo"), "fewer.yaml": policies("bookinfo", "fewer"), "team-b.yaml": patches("team-b") });
    expect((await unimesh(["apply", `${d}/team-b.yaml`, "--mesh", "linkerd", "--policy-set", "team-b"], { kubeconfig: c.kubeconfig })).code).toBe(0);
    const first = await unimesh(["apply", `${d}/base.yaml`, "--mesh", "linkerd"], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error/);
    expect(first.code).toBe(0);
    for (const ns of ["bookinfo", "team-b"]) {
      expect(c.server.get("v1", "Namespace", undefined, ns)?.metadata.annotations?.["config.linkerd.io/default-inbound-policy"], ns).toBe("all-unauthenticated");
      expect(c.server.get("v1", "Service", ns, "ratings")?.metadata.annotations?.["balancer.linkerd.io/failure-accrual"], ns).toBe("consecutive");
    }
    // Patches carry no ownership label (translate), only the annotations.
    expect(c.server.get("v1", "Service", "bookinfo", "ratings")?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();

    const diff = await unimesh(["diff", `${d}/fewer.yaml`, "--mesh", "linkerd", "--prune"], { kubeconfig: c.kubeconfig });
    expect(diff.stdout).toContain("~ Namespace bookinfo (no longer generated: unimesh's fields are removed)");
    expect(diff.stdout).toContain('    - .metadata.annotations["config.linkerd.io/default-inbound-policy"]: "all-unauthenticated"');
    expect(diff.stdout).not.toContain("team-b");

    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "linkerd", "--prune"], { kubeconfig: c.kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/^kind-linkerd: Service bookinfo\/ratings released$/m);
    expect(pruned.stdout).toMatch(/^kind-linkerd: Namespace bookinfo released$/m);
    expect(pruned.stdout).not.toContain("team-b");
    const ns = c.server.get("v1", "Namespace", undefined, "bookinfo");
    const svc = c.server.get("v1", "Service", "bookinfo", "ratings");
    expect(unimeshKeys(ns)).toEqual([]);
    expect(unimeshKeys(svc)).toEqual([]);
    expect(ns?.metadata.annotations?.["example.com/owner"]).toBe("team-a");
    expect(svc?.spec.ports).toEqual([expect.objectContaining({ port: 9080 })]);
    // Another policy set's patches are left alone.
    expect(c.server.get("v1", "Namespace", undefined, "team-b")?.metadata.annotations?.["config.linkerd.io/default-inbound-policy"]).toBe("all-unauthenticated");
    expect(c.server.get("v1", "Service", "team-b", "ratings")?.metadata.annotations?.["balancer.linkerd.io/failure-accrual"]).toBe("consecutive");
    // Nothing is left to release.
    const again = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "linkerd", "--prune"], { kubeconfig: c.kubeconfig });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/pruned|released/);
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
