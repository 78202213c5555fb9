/**
 * The shipped adapters through the cluster layer (no test doubles) on a real kube-apiserver (the `main`
 * server: Istio, Linkerd and App Mesh CRDs): what they emit for realistic policies is accepted, a second
 * apply changes nothing, diff then finds no difference, and --prune removes what a smaller policy set no
 * longer generates. Linkerd's patches of the user's own Services and Namespaces (annotations, marked
 * `unimesh.io/patch`) are applied with field manager `unimesh` and released by --prune (only unimesh's
 * fields removed; the objects, other managers' fields and other policy sets' patches stay); hand-made
 * objects of the same kinds are never touched.
 */
import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type TestCluster, liveCluster, policies, removeScratch, scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, server } from "./support/servers.js";

const BOOKINFO = join(import.meta.dirname, "../../examples/bookinfo");
const run = inject("unimeshCluster");
let main: ServerInfo;
afterAll(() => removeScratch());

/** Annotations unimesh (or the Linkerd adapter's patches) put on an object. */
const unimeshKeys = (o: any): string[] =>
  Object.keys(o?.metadata?.annotations ?? {}).filter((k) => /^(unimesh\.io|balancer\.linkerd\.io|config\.linkerd\.io|retry\.linkerd\.io)\//.test(k));

/** Namespace `ns` with the scenarios' workloads, plus the Services Bookinfo and Linkerd's subsets need. */
async function bookinfoCluster(mesh: "istio" | "linkerd", ns: string): Promise<TestCluster> {
  const c = await liveCluster(main.kubeconfig, main.context, mesh);
  await c.setupNamespace(ns);
  for (const s of ["productpage", "details", "reviews-v1", "reviews-v2"]) {
    await c.applyAs("unimesh-test", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: s, namespace: ns },
      spec: { selector: { app: s.replace(/-v\d$/, "") }, ports: [{ name: "http", port: 9080 }] },
    });
  }
  return c;
}
let n = 0;
const fresh = (what: string) => `um-patch-${what}-${process.pid}-${n++}`;

describe.skipIf(!!run.skip)("shipped adapters on a real kube-apiserver", () => {
  beforeAll(async () => {
    main = await server(run, "main");
  });

  test("istio: examples/bookinfo applies, reapplies unchanged, diffs clean", async () => {
    const c = await bookinfoCluster("istio", "bookinfo");
    // Its own policy set: other cluster tests share this server's bookinfo namespace, and `diff --prune` of the
    // default set listed their objects for deletion (exit 5) whenever one ran first.
    const SET = fresh("istio-bookinfo");
    const first = await unimesh(["apply", BOOKINFO, "--mesh", "istio", "--policy-set", SET], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error:/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/VirtualService\.networking\.istio\.io bookinfo\/reviews created/);
    const second = await unimesh(["apply", BOOKINFO, "--mesh", "istio", "--policy-set", SET], { kubeconfig: c.kubeconfig });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/ (created|configured)$/m);
    const diff = await unimesh(["diff", BOOKINFO, "--mesh", "istio", "--prune", "--policy-set", SET], { kubeconfig: c.kubeconfig });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/: 0 to create, 0 to update, 0 to delete, \d+ unchanged/);
  });

  test("linkerd: applies, reapplies unchanged, prunes what is no longer generated", async () => {
    const ns = fresh("l5d");
    const c = await bookinfoCluster("linkerd", ns);
    const d = scratch({
      "base.yaml": policies(ns).replace("retries:\n    attempts: 3", "retries:\n    attempts: 3\n    retryOn: [5xx]"),
      "fewer.yaml": policies(ns, "fewer"),
    });
    const args = ["--mesh", "linkerd", "--policy-set", ns];
    const first = await unimesh(["apply", `${d}/base.yaml`, ...args], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error/);
    expect(first.code).toBe(0);
    const second = await unimesh(["apply", `${d}/base.yaml`, ...args], { kubeconfig: c.kubeconfig });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/ (created|configured)$/m);
    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, ...args, "--prune"], { kubeconfig: c.kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/ratings\S* (pruned|released)$/m);
    const ratings = await c.get("v1", "Service", ns, "ratings");
    expect(ratings).toBeDefined();
    expect(unimeshKeys(ratings)).toEqual([]);
  });

  test("linkerd: --prune releases the Service and Namespace patches no longer generated, only those of its policy set, never hand-made ones", async () => {
    const [a, b, hand] = [fresh("a"), fresh("b"), fresh("hand")];
    const c = await bookinfoCluster("linkerd", a);
    await c.setupNamespace(b);
    await c.setupNamespace(hand);
    // The user's own annotation on the Namespace: prune must keep it.
    await c.applyAs("kubectl", { apiVersion: "v1", kind: "Namespace", metadata: { name: a, annotations: { "example.com/owner": "team-a" } } });
    // Hand-made look-alikes of unimesh's patches (same kinds, same annotations, even this policy set's), written by kubectl.
    const lookalike = {
      "unimesh.io/patch": "server-side-apply",
      "unimesh.io/policy-set": a,
      "config.linkerd.io/default-inbound-policy": "all-unauthenticated",
    };
    await c.applyAs("kubectl", { apiVersion: "v1", kind: "Namespace", metadata: { name: hand, annotations: lookalike } });
    await c.applyAs("kubectl", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "ratings", namespace: hand, annotations: { ...lookalike, "balancer.linkerd.io/failure-accrual": "consecutive" } },
    });
    const patches = (ns: string) =>
      [
        { apiVersion: "unimesh.io/v1alpha1", kind: "MTLSPolicy", metadata: { name: `${ns}-permissive`, namespace: ns }, spec: { mode: "permissive" } },
        {
          apiVersion: "unimesh.io/v1alpha1",
          kind: "TrafficPolicy",
          metadata: { name: "ratings-outliers", namespace: ns },
          spec: {
            destination: { service: "ratings", port: 9080 },
            outlierDetection: { consecutive5xxErrors: 5, baseEjectionTime: "30s", maxEjectionPercent: 100 },
          },
        },
      ]
        .map((x) => "---\n" + yaml.dump(x))
        .join("");
    const base = policies(a).replace("retries:\n    attempts: 3", "retries:\n    attempts: 3\n    retryOn: [5xx]");
    const d = scratch({ "base.yaml": base + patches(a), "fewer.yaml": policies(a, "fewer"), "team-b.yaml": patches(b) });
    const kc = { kubeconfig: c.kubeconfig };
    expect((await unimesh(["apply", `${d}/team-b.yaml`, "--mesh", "linkerd", "--policy-set", b], kc)).code).toBe(0);
    const first = await unimesh(["apply", `${d}/base.yaml`, "--mesh", "linkerd", "--policy-set", a], kc);
    expect(first.stderr).not.toMatch(/ failed|error/);
    expect(first.code).toBe(0);
    for (const ns of [a, b]) {
      const nsObj = await c.get("v1", "Namespace", undefined, ns);
      expect(nsObj?.metadata.annotations?.["config.linkerd.io/default-inbound-policy"], ns).toBe("all-unauthenticated");
      expect(nsObj.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)).toContain("unimesh/Apply");
      expect((await c.get("v1", "Service", ns, "ratings"))?.metadata.annotations?.["balancer.linkerd.io/failure-accrual"], ns).toBe("consecutive");
    }
    // Patches carry no ownership label (translate), only the annotations.
    expect((await c.get("v1", "Service", a, "ratings"))?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();

    const diff = await unimesh(["diff", `${d}/fewer.yaml`, "--mesh", "linkerd", "--policy-set", a, "--prune"], kc);
    expect(diff.stdout).toContain(`~ Namespace ${a} (no longer generated: unimesh's fields are removed)`);
    expect(diff.stdout).toContain('    - .metadata.annotations["config.linkerd.io/default-inbound-policy"]: "all-unauthenticated"');
    expect(diff.stdout).not.toContain(b);
    expect(diff.stdout).not.toContain(hand);

    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "linkerd", "--policy-set", a, "--prune"], kc);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`^kube-local: Service ${a}/ratings released$`, "m"));
    expect(pruned.stdout).toMatch(new RegExp(`^kube-local: Namespace ${a} released$`, "m"));
    expect(pruned.stdout).not.toContain(b);
    expect(pruned.stdout).not.toContain(hand);
    const nsObj = await c.get("v1", "Namespace", undefined, a);
    const svc = await c.get("v1", "Service", a, "ratings");
    expect(unimeshKeys(nsObj)).toEqual([]);
    expect(unimeshKeys(svc)).toEqual([]);
    expect(nsObj?.metadata.annotations?.["example.com/owner"]).toBe("team-a");
    expect(svc?.spec.ports).toEqual([expect.objectContaining({ port: 9080 })]);
    // Another policy set's patches are left alone.
    expect((await c.get("v1", "Namespace", undefined, b))?.metadata.annotations?.["config.linkerd.io/default-inbound-policy"]).toBe("all-unauthenticated");
    expect((await c.get("v1", "Service", b, "ratings"))?.metadata.annotations?.["balancer.linkerd.io/failure-accrual"]).toBe("consecutive");
    // So are the hand-made look-alikes: field manager unimesh never applied them.
    expect((await c.get("v1", "Namespace", undefined, hand))?.metadata.annotations).toMatchObject(lookalike);
    expect((await c.get("v1", "Service", hand, "ratings"))?.metadata.annotations).toMatchObject(lookalike);
    // Nothing is left to release.
    const again = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "linkerd", "--policy-set", a, "--prune"], kc);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/pruned|released/);
  });

  test("appmesh: the Services it generates are created, and pruned when no longer generated", async () => {
    const ns = fresh("appmesh");
    const c = await bookinfoCluster("istio", ns);
    // App Mesh describes every MeshService: "fewer" drops ratings' policy and its MeshService.
    const fewer = (yaml.loadAll(policies(ns, "fewer")) as any[]).filter((x) => !(x.kind === "MeshService" && x.metadata.name === "ratings"));
    const d = scratch({ "base.yaml": policies(ns), "fewer.yaml": fewer.map((x) => "---\n" + yaml.dump(x)).join("") });
    // The scenario's AccessPolicy admits only productpage and its services are not strict mTLS: App Mesh
    // would let sidecar-less pods through in plaintext, which it translates only when accepted.
    const args = ["--mesh", "appmesh", "--policy-set", ns, "--set", `meshName=${ns}`, "--allow", "caller-side-access"];
    const first = await unimesh(["apply", `${d}/base.yaml`, ...args], { kubeconfig: c.kubeconfig });
    expect(first.stderr).not.toMatch(/ failed|error:/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`kube-local: Service ${ns}/ratings-appmesh created`);
    expect(first.stdout).toContain(`kube-local: Mesh.appmesh.k8s.aws ${ns} created`);
    const lines = first.stdout.split("\n");
    expect(lines.findIndex((l) => / Mesh\.appmesh\.k8s\.aws /.test(l))).toBeLessThan(lines.findIndex((l) => /VirtualNode\.appmesh\.k8s\.aws/.test(l)));
    const pruned = await unimesh(["apply", `${d}/fewer.yaml`, ...args, "--prune"], { kubeconfig: c.kubeconfig });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`kube-local: VirtualNode.appmesh.k8s.aws ${ns}/ratings pruned`);
    expect(pruned.stdout).toContain(`kube-local: Service ${ns}/ratings-appmesh pruned`);
    expect(await c.get("v1", "Service", ns, "ratings-appmesh")).toBeUndefined();
    expect(await c.get("v1", "Service", ns, "ratings")).toBeDefined();
  });
});
