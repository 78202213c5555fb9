/**
 * `inspect`/`explain --applied` end to end on a real kube-apiserver (the `main` server, with the meshes'
 * CRDs): the scenarios' policies applied with `unimesh apply --mesh istio --policy-set <ns>` (real CRD
 * validation, real server-side apply), then read back from the cluster (that policy set only: other test
 * files apply to the same server) and inspected, with no drift against the files they came from.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { type TestCluster, liveCluster, policies, removeScratch, scratch, unimesh } from "../kube/support/harness.js";
import { type ServerInfo, server } from "./support/servers.js";

const run = inject("unimeshCluster");
const NS = `um-applied-${process.pid}`;

describe.skipIf(!!run.skip)("inspect --applied on a real kube-apiserver", () => {
  let main: ServerInfo;
  let istio: TestCluster;
  let dir: string;
  beforeAll(async () => {
    main = await server(run, "main");
    istio = await liveCluster(main.kubeconfig, "kube-local", "istio");
    await istio.setupNamespace(NS);
    dir = scratch({ "p.yaml": policies(NS) });
    const a = await unimesh(["apply", `${dir}/p.yaml`, "--mesh", "istio", "--policy-set", NS, "--context", "kube-local"], { kubeconfig: main.kubeconfig });
    expect(a.code, a.stderr).toBe(0);
  });
  afterAll(async () => {
    await istio?.cleanup(NS);
    removeScratch();
  });

  test("reviews as applied: the canary and the callers, from the cluster objects; no drift against the files", async () => {
    const kc = { kubeconfig: main.kubeconfig };
    const r = await unimesh(["inspect", `${NS}/reviews`, "--context", "kube-local", "--policy-set", NS, "-o", "json"], kc);
    expect(r.code, r.stderr).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.applied).toMatchObject({ context: "kube-local", mesh: "istio" });
    expect(x.destination.routes[0].backends.map((b: { subset: string; weight: number }) => [b.subset, b.weight])).toEqual([
      ["v1", 90],
      ["v2", 10],
    ]);
    expect(x.destination.routes[0].timeout.value).toBe("3s");
    expect(x.destination.routes[0].origin.objects).toContain(`VirtualService/${NS}/reviews`);
    expect(x.destination.access.callers).toContainEqual(expect.objectContaining({ caller: `${NS}/bookinfo-reviews (reviews)`, allowed: false }));
    expect(x.destination.access.rules[0].origin.objects).toEqual([expect.stringMatching(new RegExp(`^AuthorizationPolicy/${NS}/`))]);
    const d = await unimesh(["inspect", `${NS}/reviews`, `${dir}/p.yaml`, "--applied", "--context", "kube-local", "--policy-set", NS, "-o", "json"], kc);
    expect(d.code, d.stdout).toBe(0);
    expect(JSON.parse(d.stdout).drift).toEqual([]);
    const e = await unimesh(
      ["explain", "--from", `${NS}/bookinfo-reviews`, "--to", `${NS}/reviews:9080`, "GET", "/", "--context", "kube-local", "--policy-set", NS],
      kc,
    );
    expect(e.code, e.stdout).toBe(6);
    expect(e.stdout).toContain("denied by default");
  });
});
