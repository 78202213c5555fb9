/**
 * discover, diff and apply without a real API server: usage and input errors (no cluster contacted: the
 * kubeconfig points at a closed port), and, against the fake API server (test/kube/support/fake-apiserver.ts),
 * what only a server that logs every request can show: the order of the writes (dependency order; DENY
 * before ALLOW). Everything else runs against a real kube-apiserver: test/cluster/.
 */
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { KubeClient } from "../../src/kube/client.js";
import { applyObjects } from "../../src/kube/apply.js";
import { istioCluster } from "../../src/adapters/istio/cluster.js";
import { formatApply } from "../../src/kube/format.js";
import { Kubeconfig } from "../../src/kube/kubeconfig.js";
import { ClusterError } from "../../src/kube/errors.js";
import { CRD_ROOT, fakeCluster, policies, removeScratch, scratch, unimesh, withUnreachable } from "./support/harness.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("./support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

type Cluster = Awaited<ReturnType<typeof fakeCluster>>;
let istio: Cluster;
let dir: string;
/** A kubeconfig whose only context, kind-istio, is a closed port: contacting it would be exit 3. */
let nowhere: string;
beforeAll(async () => {
  istio = await fakeCluster({ mesh: "istio" });
  await istio.setupNamespace("bookinfo");
  dir = scratch({
    "base.yaml": policies("bookinfo"),
    "fewer.yaml": policies("bookinfo", "fewer"),
    "invalid.yaml": policies("bookinfo").replace("weight: 10", "weight: 20"),
  });
  nowhere = (await withUnreachable(istio.kubeconfig, ["kind-istio"])).split(delimiter)[1];
});
afterAll(async () => {
  await istio.server.stop();
  removeScratch();
});

const kc = () => ({ kubeconfig: nowhere });

describe("errors before any cluster is contacted", () => {
  test("invalid policies: exit 1 with the diagnostics, no cluster contacted", async () => {
    for (const cmd of ["apply", "diff"]) {
      const r = await unimesh([cmd, `${dir}/invalid.yaml`, "--mesh", "istio"], kc());
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error rule/split-weights: weights must sum to 100 (got 110)");
      expect(r.stderr).not.toContain("cannot reach");
      expect(r.stdout).toBe("");
    }
  });

  test("usage errors: exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["apply", `${dir}/base.yaml`], /missing --mesh/],
      [["apply", `${dir}/base.yaml`, "--mesh", "nosuchmesh"], /unknown mesh "nosuchmesh"/],
      [["apply", `${dir}/base.yaml`, "--mesh", "istio", "--dry-run=maybe"], /argument 'maybe' is invalid/],
      [["apply", `${dir}/base.yaml`, "--mesh", "istio", "--context", "a", "--all-contexts"], /--context and --all-contexts exclude each other/],
      [["diff", `${dir}/base.yaml`, "--mesh", "istio", "--context", "nope"], /no context "nope" in the kubeconfig; contexts: kind-istio/],
      [["discover", "--request-timeout", "soon"], /--request-timeout soon: expected a duration/],
    ];
    for (const [argv, msg] of cases) {
      const r = await unimesh(argv, kc());
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });

  test("no kubeconfig at all: exit 3 with how to provide one", async () => {
    const r = await unimesh(["discover"], { env: { HOME: scratch() } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config");
  });
});

describe("the order of writes (fake API server: it logs every request)", () => {
  test("dependency order: the cluster-scoped Mesh, VirtualNodes, then Services", async () => {
    const c = await fakeCluster({ mesh: "istio" });
    try {
      c.server.installCrds(join(CRD_ROOT, "aws-app-mesh/v1.13.3"));
      await c.setupNamespace("bookinfo");
      const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "appmesh"], { kubeconfig: c.kubeconfig });
      expect(r.code).toBe(0);
      const patches = c.server.requests.filter((q) => q.method === "PATCH").map((q) => q.path.split("/").slice(-2).join("/"));
      expect(patches).toEqual(["meshes/unimesh", "virtualnodes/ratings", "virtualnodes/reviews", "services/ratings-appmesh", "services/reviews-appmesh"]);
      expect(c.server.get("appmesh.k8s.aws/v1beta2", "Mesh", undefined, "unimesh")).toBeDefined();
      // A Service with content is unimesh's own: created, and deleted by --prune (not just stripped of labels).
      expect(r.stdout).toContain("kind-istio: Service bookinfo/ratings-appmesh created");
      const pruned = await unimesh(["apply", `${dir}/fewer.yaml`, "--mesh", "appmesh", "--prune"], { kubeconfig: c.kubeconfig });
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toContain("kind-istio: Service bookinfo/ratings-appmesh pruned");
      expect(pruned.stdout).toContain("kind-istio: VirtualNode.appmesh.k8s.aws bookinfo/ratings pruned");
      expect(c.server.get("v1", "Service", "bookinfo", "ratings-appmesh")).toBeUndefined();
      expect(c.server.get("v1", "Service", "bookinfo", "ratings")).toBeDefined();
    } finally {
      await c.server.stop();
    }
  });

  test("authorization: DENY is applied before ALLOW, and an ALLOW is never applied after a DENY failed (library API)", async () => {
    const k = await Kubeconfig.load({ kubeconfig: istio.kubeconfig, env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({})[0]);
    const ap = (name: string, action: "ALLOW" | "DENY", sa: string) => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name, namespace: "bookinfo" },
      spec: { selector: { matchLabels: { app: "reviews" } }, action, rules: [{ from: [{ source: { principals: [`cluster.local/ns/bookinfo/sa/${sa}`] } }] }] },
    });
    const rule = (name: string) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name, namespace: "bookinfo" },
      spec: { host: "reviews" },
    });
    const apPath = (name: string) => `/apis/security.istio.io/v1/namespaces/bookinfo/authorizationpolicies/${name}`;

    // Order: the DENY (listed last) is written before the ALLOW.
    const before = istio.server.requests.length;
    const istioHooks = { meshes: [{ cluster: istioCluster }] };
    const ok = await applyObjects(client, [ap("order-allow", "ALLOW", "productpage"), ap("order-deny", "DENY", "intruder")], istioHooks);
    expect(ok.outcomes.map((o) => `${o.ref.name} ${o.action}`)).toEqual(["order-deny created", "order-allow created"]);
    expect(
      istio.server.requests
        .slice(before)
        .filter((r) => r.method === "PATCH")
        .map((r) => r.path),
    ).toEqual([apPath("order-deny"), apPath("order-allow")]);

    // A DENY that cannot be applied (another manager owns its rules): the ALLOW of the same apply is not applied.
    await istio.applyAs("other-tool", ap("stop-deny", "DENY", "someone-else"));
    const r = await applyObjects(client, [rule("stop-rule"), ap("stop-allow", "ALLOW", "productpage"), ap("stop-deny", "DENY", "intruder")], istioHooks);
    expect(r.outcomes.map((o) => `${o.ref.name} ${o.action}`)).toEqual(["stop-rule created", "stop-deny conflict", "stop-allow skipped"]);
    expect(istio.server.get("security.istio.io/v1", "AuthorizationPolicy", "bookinfo", "stop-allow")).toBeUndefined();
    expect(istio.server.requests.some((q) => q.method === "PATCH" && q.path === apPath("stop-allow"))).toBe(false);
    expect(istio.server.get("networking.istio.io/v1", "DestinationRule", "bookinfo", "stop-rule")).toBeDefined();
    const text = formatApply("kind-istio", r);
    expect(text).toContain(
      "kind-istio: AuthorizationPolicy.security.istio.io bookinfo/stop-allow skipped: not applied: AuthorizationPolicy.security.istio.io bookinfo/stop-deny did not apply",
    );
    expect(text).toContain("kind-istio: 1 created, 1 conflict, 1 skipped");
    // With --prune, nothing is pruned either.
    const pr = await applyObjects(client, [ap("stop-allow", "ALLOW", "productpage"), ap("stop-deny", "DENY", "intruder")], {
      ...istioHooks,
      prune: { policySet: "stop" },
    });
    expect(pr.pruneSkipped).toBe("prune skipped: 2 objects did not apply, so nothing is deleted until the apply succeeds");
  });
});

describe("credentials", () => {
  test("library errors carry no credential either", async () => {
    const k = await Kubeconfig.load({ kubeconfig: (await withUnreachable(istio.kubeconfig, ["gone"])).split(delimiter)[1], env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({ contexts: ["gone"] })[0], { timeoutMs: 2000 });
    const err = (await client.serverVersion().catch((e) => e)) as ClusterError;
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.code).toBe("unreachable");
    expect(err.message).not.toContain("unreachable-secret");
  });
});
