/**
 * Live mode of `inspect` and `explain` (`--context`): against the fake API server, the services' facts
 * (service accounts, ports, version subsets) come from the cluster, as `unimesh discover` reads them,
 * instead of the conventions; a MeshService in the files still wins; an unreachable cluster is exit 3.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { delimiter } from "node:path";
import { fakeCluster, removeScratch, scratch, unimesh, withUnreachable } from "./support/harness.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: ratings-readers, namespace: bookinfo}
spec:
  destination: {service: ratings}
  allow:
    - source: {serviceAccounts: [bookinfo-reviews]}
      methods: [GET]
---
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-canary, namespace: bookinfo}
spec:
  destination: {service: reviews}
  routes:
    - split: [{subset: {version: v1}, weight: 80}, {subset: {version: v2}, weight: 20}]
`;

let cluster: Awaited<ReturnType<typeof fakeCluster>>;
let dir: string;
beforeAll(async () => {
  cluster = await fakeCluster({ mesh: "istio" });
  await cluster.setupNamespace("bookinfo");
  dir = scratch({ "policies.yaml": POLICIES });
});
afterAll(async () => {
  await cluster.server.stop();
  removeScratch();
});

describe("inspect and explain --context", () => {
  test("offline, the conventions: reviews runs as 'reviews', so nobody known may call ratings", async () => {
    const r = await unimesh(["inspect", "bookinfo/ratings", `${dir}/policies.yaml`], { kubeconfig: cluster.kubeconfig });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("service account ratings (spiffe://cluster.local/ns/bookinfo/sa/ratings); no MeshService: conventions");
    expect(r.stdout).toContain("bookinfo/reviews (reviews): denied by default");
    const e = await unimesh(["explain", "--from", "bookinfo/bookinfo-reviews", "--to", "bookinfo/ratings", "GET", "/ratings/1", `${dir}/policies.yaml`]);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain("(no service the policies know runs as this identity)");
  });

  test("live: the cluster's service accounts and ports; reviews (bookinfo-reviews) may call ratings", async () => {
    const r = await unimesh(["inspect", "bookinfo/ratings", `${dir}/policies.yaml`, "--context", cluster.context], { kubeconfig: cluster.kubeconfig });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`unimesh inspect: ${cluster.context}: facts of 2 Services read from the cluster`);
    expect(r.stdout).toMatch(
      /service account bookinfo-ratings \(spiffe:\/\/cluster\.local\/ns\/bookinfo\/sa\/bookinfo-ratings\); declared by MeshService\/bookinfo\/ratings \(<context kind-istio>:\d+\)/,
    );
    expect(r.stdout).toContain("ports: 9080/http");
    expect(r.stdout).toContain("bookinfo/bookinfo-reviews (reviews): allowed (GET: AccessPolicy/bookinfo/ratings-readers /spec/allow/0)");
    const e = await unimesh(
      [
        "explain",
        "--from",
        "bookinfo/bookinfo-reviews",
        "--to",
        "bookinfo/ratings:9080",
        "GET",
        "/ratings/1",
        `${dir}/policies.yaml`,
        "--context",
        cluster.context,
        "-o",
        "json",
      ],
      { kubeconfig: cluster.kubeconfig },
    );
    expect(e.code, e.stderr).toBe(0);
    const x = JSON.parse(e.stdout);
    expect(x.caller).toMatchObject({ known: true, labels: { app: "reviews" } });
    expect(x.request.port).toBe(9080);
    expect(x.decision).toBe("allowed");
  });

  test("a MeshService in the files wins over the discovered one", async () => {
    const d = scratch({
      "policies.yaml": POLICIES,
      "ratings.yaml":
        "apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: ratings, namespace: bookinfo}\nspec: {serviceAccount: ratings-sa, ports: [{port: 8080}]}\n",
    });
    const r = await unimesh(["inspect", "bookinfo/ratings", d, "--context", cluster.context, "-o", "json"], { kubeconfig: cluster.kubeconfig });
    expect(r.code, r.stderr).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.facts.serviceAccount).toBe("ratings-sa");
    expect(x.facts.declaredBy.file).toContain("ratings.yaml");
  });

  test("an unreachable cluster is exit 3; several contexts are a usage error", async () => {
    const kc = await withUnreachable(cluster.kubeconfig, ["gone"]);
    const r = await unimesh(["inspect", "bookinfo/ratings", `${dir}/policies.yaml`, "--context", "gone", "--request-timeout", "2s"], {
      kubeconfig: kc.split(delimiter)[1],
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unimesh inspect: gone: error:");
    expect(r.stdout).toBe("");
    const s = await unimesh(
      ["explain", "--from", "bookinfo/a", "--to", "bookinfo/ratings", "GET", "/", `${dir}/policies.yaml`, "--context", `${cluster.context},gone`],
      { kubeconfig: kc },
    );
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("explain reads one cluster");
  });
});
