/**
 * The cluster scenarios, written once for any {@link TestCluster}: run against a real kube-apiserver by
 * test/cluster/scenarios.test.ts (and against a cluster of your own with `UNIMESH_TEST_KUBECONFIG`).
 * Each scenario works in its own namespace with its own `--policy-set`, so `--prune` never reaches
 * anything else.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadModel } from "../../../src/api/validate.js";
import { MANAGED_BY_LABEL, POLICY_SET_LABEL } from "../../../src/api/ownership.js";
import { type TestCluster, policies, removeScratch, scratch, unimesh, withUnreachable } from "./harness.js";

type Obj = Record<string, any>;

/** The object that carries reviews' weights, per mesh. */
export function routeOf(mesh: "istio" | "linkerd"): { apiVersion: string; kind: string; field: string } {
  return mesh === "istio"
    ? { apiVersion: "networking.istio.io/v1", kind: "VirtualService", field: ".spec.http" }
    : { apiVersion: "policy.linkerd.io/v1beta3", kind: "HTTPRoute", field: ".spec.rules" };
}

/** Weights of reviews' route as stored. */
export function weightsOf(mesh: "istio" | "linkerd", o: Obj | undefined): number[] {
  if (!o) return [];
  return mesh === "istio" ? o.spec.http[0].route.map((r: Obj) => r.weight) : o.spec.rules[0].backendRefs.map((b: Obj) => b.weight);
}

/** The same route with other weights, as another tool would write it. */
export function foreignRoute(mesh: "istio" | "linkerd", ns: string, weights: [number, number]): Obj {
  const host = `reviews.${ns}.svc.cluster.local`;
  return mesh === "istio"
    ? {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "reviews", namespace: ns },
        spec: {
          hosts: [host],
          http: [
            {
              route: [
                { destination: { host, subset: "v1" }, weight: weights[0] },
                { destination: { host, subset: "v2" }, weight: weights[1] },
              ],
              retries: { attempts: 0 },
              timeout: "3s",
            },
          ],
        },
      }
    : {
        apiVersion: "policy.linkerd.io/v1beta3",
        kind: "HTTPRoute",
        metadata: { name: "reviews", namespace: ns },
        spec: {
          parentRefs: [{ group: "core", kind: "Service", name: "reviews", port: 9080 }],
          rules: [
            {
              backendRefs: [
                { name: "reviews-v1", port: 9080, weight: weights[0] },
                { name: "reviews-v2", port: 9080, weight: weights[1] },
              ],
            },
          ],
        },
      };
}

/** Registers the scenarios; `cluster()` gives the cluster once `setup` (run in `beforeAll`) has run. */
export function clusterScenarios(cluster: () => TestCluster, setup?: () => Promise<void>): void {
  if (setup) beforeAll(setup);
  const namespaces: string[] = [];
  const fresh = async (name: string) => {
    const ns = `um-${name}-${randomBytes(3).toString("hex")}`;
    namespaces.push(ns);
    await cluster().setupNamespace(ns);
    const dir = scratch({ "base.yaml": policies(ns), "shifted.yaml": policies(ns, "shifted"), "fewer.yaml": policies(ns, "fewer") });
    return { ns, dir, set: ns };
  };
  const run = (args: string[], kubeconfig = cluster().kubeconfig) => unimesh(args, { kubeconfig });
  const common = () => ["--mesh", cluster().mesh, "--context", cluster().context];
  const outputs: string[] = [];
  const record = <T extends { stdout: string; stderr: string }>(r: T): T => {
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  afterAll(async () => {
    for (const ns of namespaces) await cluster().cleanup(ns);
    removeScratch();
  });

  test("discover finds the mesh and describes the Services (output loads as a valid model)", async () => {
    const c = cluster();
    const { ns } = await fresh("discover");
    const r = record(await run(["discover", "--context", c.context, "-n", ns]));
    expect(r.stderr).toContain(`unimesh discover: ${c.context}: Kubernetes v`);
    expect(r.code).toBe(0);
    const loaded = loadModel([{ file: "discovered.yaml", text: r.stdout }]);
    expect(loaded.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(loaded.ok).toBe(true);
    const info = loaded.model.clusters[0].doc;
    expect(info.spec.context).toBe(c.context);
    expect(info.spec.meshes.map((m) => m.name)).toContain(c.mesh);
    const reviews = loaded.model.services.find((s) => s.name === "reviews" && s.namespace === ns)!.doc;
    expect(reviews.spec).toEqual({
      selector: { app: "reviews" },
      serviceAccount: "bookinfo-reviews",
      ports: [{ port: 9080, name: "http", protocol: "http" }],
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    });
    expect(loaded.model.services.map((s) => s.name).sort()).toEqual(["ratings", "reviews"]); // ExternalName left out
  });

  test("apply creates every object with the ownership labels; a second apply changes nothing", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("apply");
    const route = routeOf(c.mesh);
    const first = record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set]));
    expect(first.stderr).toMatch(new RegExp(`unimesh apply: ${c.context}: applying \\d+ objects`));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${c.context}: ${route.kind}.${route.apiVersion.split("/")[0]} ${ns}/reviews created`);
    const live = (await c.get(route.apiVersion, route.kind, ns, "reviews"))!;
    expect(live.metadata.labels[MANAGED_BY_LABEL]).toBe("unimesh");
    expect(live.metadata.labels[POLICY_SET_LABEL]).toBe(set);
    expect(live.metadata.managedFields.map((m: Obj) => `${m.manager}/${m.operation}`)).toContain("unimesh/Apply");
    expect(weightsOf(c.mesh, live)).toEqual([90, 10]);

    const second = record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set]));
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/ (created|configured)$/m);
    expect(second.stdout).toMatch(/unchanged\n/);
    expect((await c.get(route.apiVersion, route.kind, ns, "reviews"))!.metadata.resourceVersion).toBe(live.metadata.resourceVersion);

    const third = record(await run(["apply", `${dir}/shifted.yaml`, ...common(), "--policy-set", set]));
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(`${ns}/reviews configured`);
    expect(weightsOf(c.mesh, await c.get(route.apiVersion, route.kind, ns, "reviews"))).toEqual([50, 50]);
  });

  test("diff: created objects, field changes, prune deletions, and the exit codes", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("diff");
    const before = record(await run(["diff", `${dir}/base.yaml`, ...common(), "--policy-set", set]));
    expect(before.code).toBe(5);
    expect(before.stdout).toMatch(new RegExp(`^\\+ ${routeOf(c.mesh).kind}\\.\\S+ ${ns}/reviews \\(created\\)$`, "m"));
    expect(await c.get(routeOf(c.mesh).apiVersion, routeOf(c.mesh).kind, ns, "reviews")).toBeUndefined();

    expect(record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set])).code).toBe(0);
    const same = record(await run(["diff", `${dir}/base.yaml`, ...common(), "--policy-set", set, "--prune"]));
    expect(same.stdout).toContain(": 0 to create, 0 to update, 0 to delete,");
    expect(same.code).toBe(0);

    const shifted = record(await run(["diff", `${dir}/shifted.yaml`, ...common(), "--policy-set", set]));
    expect(shifted.code).toBe(5);
    expect(shifted.stdout).toMatch(new RegExp(`^~ ${routeOf(c.mesh).kind}\\.\\S+ ${ns}/reviews$`, "m"));
    expect(shifted.stdout).toMatch(/^ {4}~ \S+weight: 90 -> 50$/m);
    expect(shifted.stdout).toMatch(/^ {4}~ \S+weight: 10 -> 50$/m);
    expect(shifted.stdout).not.toMatch(/managedFields|resourceVersion|creationTimestamp|uid/);

    const fewer = record(await run(["diff", `${dir}/fewer.yaml`, ...common(), "--policy-set", set, "--prune"]));
    expect(fewer.code).toBe(5);
    expect(fewer.stdout).toMatch(new RegExp(`^- ${routeOf(c.mesh).kind}\\.\\S+ ${ns}/ratings \\(deleted: no longer generated\\)$`, "m"));
    expect(await c.get(routeOf(c.mesh).apiVersion, routeOf(c.mesh).kind, ns, "ratings")).toBeDefined();
  });

  test("a conflict with another field manager is exit 4 and names it; --force-conflicts takes ownership", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("conflict");
    const route = routeOf(c.mesh);
    expect(record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set])).code).toBe(0);
    await c.applyAs("other-tool", foreignRoute(c.mesh, ns, [70, 30]));
    expect(weightsOf(c.mesh, await c.get(route.apiVersion, route.kind, ns, "reviews"))).toEqual([70, 30]);

    const conflict = record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set]));
    expect(conflict.code).toBe(4);
    expect(conflict.stdout).toContain(`${ns}/reviews conflict: ${route.field} owned by "other-tool"; rerun with --force-conflicts to take ownership`);
    expect(weightsOf(c.mesh, await c.get(route.apiVersion, route.kind, ns, "reviews"))).toEqual([70, 30]);

    const diff = record(await run(["diff", `${dir}/base.yaml`, ...common(), "--policy-set", set]));
    expect(diff.code).toBe(4);
    expect(diff.stdout).toContain(`! ${route.kind}.${route.apiVersion.split("/")[0]} ${ns}/reviews conflict: ${route.field} owned by "other-tool"`);

    const forced = record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set, "--force-conflicts"]));
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`${ns}/reviews configured`);
    const live = (await c.get(route.apiVersion, route.kind, ns, "reviews"))!;
    expect(weightsOf(c.mesh, live)).toEqual([90, 10]);
    const other = live.metadata.managedFields.find((m: Obj) => m.manager === "other-tool");
    expect(JSON.stringify(other?.fieldsV1 ?? {})).not.toContain(`"f:${route.field.split(".").pop()}"`);
  });

  test("--dry-run=server and --dry-run=client persist nothing", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("dryrun");
    const route = routeOf(c.mesh);
    const server = record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set, "--dry-run=server"]));
    expect(server.code).toBe(0);
    expect(server.stdout).toContain(`${ns}/reviews created (dry run: server)`);
    expect(await c.get(route.apiVersion, route.kind, ns, "reviews")).toBeUndefined();

    expect(record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set])).code).toBe(0);
    const applied = (await c.get(route.apiVersion, route.kind, ns, "reviews"))!;
    const shifted = record(await run(["apply", `${dir}/shifted.yaml`, ...common(), "--policy-set", set, "--dry-run=server"]));
    expect(shifted.code).toBe(0);
    expect(shifted.stdout).toContain(`${ns}/reviews configured (dry run: server)`);
    expect(shifted.stdout).toMatch(/ratings unchanged \(dry run: server\)/);
    const after = (await c.get(route.apiVersion, route.kind, ns, "reviews"))!;
    expect(after.metadata.resourceVersion).toBe(applied.metadata.resourceVersion);
    expect(weightsOf(c.mesh, after)).toEqual([90, 10]);

    const writesBefore = c.writes?.().length;
    const client = record(await run(["apply", `${dir}/fewer.yaml`, ...common(), "--policy-set", set, "--dry-run", "client", "--prune"]));
    expect(client.code).toBe(0);
    expect(client.stdout).toContain(`${ns}/reviews unchanged (dry run: client)`);
    expect(client.stdout).toMatch(/ratings pruned \(dry run: client\)/);
    expect(await c.get(route.apiVersion, route.kind, ns, "ratings")).toBeDefined();
    if (c.writes) expect(c.writes().length).toBe(writesBefore);
  });

  test("--prune deletes only objects with both unimesh labels and this policy set", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("prune");
    const route = routeOf(c.mesh);
    expect(record(await run(["apply", `${dir}/base.yaml`, ...common(), "--policy-set", set])).code).toBe(0);
    expect(await c.get(route.apiVersion, route.kind, ns, "ratings")).toBeDefined();
    // Objects prune must leave alone: no labels; another policy set; only one of the two labels.
    const other = (name: string, labels: Record<string, string>) => {
      const o = foreignRoute(c.mesh, ns, [100, 0]);
      o.metadata = { name, namespace: ns, labels };
      return o;
    };
    await c.applyAs("kubectl", other("hand-made", {}));
    await c.applyAs("kubectl", other("other-set", { [MANAGED_BY_LABEL]: "unimesh", [POLICY_SET_LABEL]: `${set}-other` }));
    await c.applyAs("kubectl", other("only-managed-by", { [MANAGED_BY_LABEL]: "unimesh" }));
    await c.applyAs("kubectl", other("only-set", { [POLICY_SET_LABEL]: set }));

    const r = record(await run(["apply", `${dir}/fewer.yaml`, ...common(), "--policy-set", set, "--prune"]));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${route.kind}.${route.apiVersion.split("/")[0]} ${ns}/ratings pruned`);
    expect(await c.get(route.apiVersion, route.kind, ns, "ratings")).toBeUndefined();
    for (const name of ["reviews", "hand-made", "other-set", "only-managed-by", "only-set"]) {
      expect(await c.get(route.apiVersion, route.kind, ns, name), name).toBeDefined();
    }
    // The Service unimesh annotated (Linkerd) is never deleted: unimesh's fields are removed from it.
    const ratings = await c.get("v1", "Service", ns, "ratings");
    expect(ratings).toBeDefined();
    expect(ratings!.metadata.labels?.[MANAGED_BY_LABEL]).toBeUndefined();
    expect(ratings!.metadata.annotations?.["retry.linkerd.io/limit"]).toBeUndefined();
    if (c.mesh === "linkerd") expect(r.stdout).toContain(`Service ${ns}/ratings released`);
    // And a second prune has nothing left to do.
    const again = record(await run(["apply", `${dir}/fewer.yaml`, ...common(), "--policy-set", set, "--prune"]));
    expect(again.stdout).not.toMatch(/pruned|released/);
  });

  test("several clusters: an unreachable one is reported (exit 3) and the others are applied", async () => {
    const c = cluster();
    const { ns, dir, set } = await fresh("multi");
    const kubeconfig = await withUnreachable(c.kubeconfig, ["down"]);
    const r = record(await run(["apply", `${dir}/base.yaml`, "--mesh", c.mesh, "--context", `down,${c.context}`, "--policy-set", set], kubeconfig));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unimesh apply: down: error: cannot reach https:\/\/127\.0\.0\.1:\d+\/version \(context "down"\): .*ECONNREFUSED/);
    expect(r.stdout).toContain(`${c.context}: ${routeOf(c.mesh).kind}.${routeOf(c.mesh).apiVersion.split("/")[0]} ${ns}/reviews created`);
    expect(r.stdout).not.toContain("down:");
    expect(await c.get(routeOf(c.mesh).apiVersion, routeOf(c.mesh).kind, ns, "reviews")).toBeDefined();

    const d = record(await run(["discover", "--context", `${c.context},down`, "-n", ns], kubeconfig));
    expect(d.code).toBe(3);
    expect(loadModel([{ file: "-", text: d.stdout }]).ok).toBe(true);
  });

  test("no credential ever appears in any output", () => {
    const secrets = [...cluster().secrets, "unreachable-secret-down-0123456789"];
    const all = outputs.join("\n");
    for (const s of secrets) expect(all.includes(s), "a secret was printed").toBe(false);
    expect(all).not.toMatch(/Bearer\s+\S{8,}/);
  });
}

export { describe };
