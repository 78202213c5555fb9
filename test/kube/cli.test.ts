/**
 * discover, diff and apply against the fake API server, for what the shared scenarios do not cover:
 * usage and input errors (no cluster contacted), preflight failures (missing namespace, missing
 * Service), apply order, API errors, credentials (401, exec plugins) never printed, RBAC-forbidden
 * lists, --mesh auto, discover's -o DIR and pagination, JSON reports, progress lines.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import { KubeClient } from "../../src/kube/client.js";
import { applyObjects } from "../../src/kube/apply.js";
import { formatApply } from "../../src/kube/format.js";
import { Kubeconfig } from "../../src/kube/kubeconfig.js";
import { ClusterError } from "../../src/kube/errors.js";
import { FakeApiServer, kubeconfigYaml } from "./support/fake-apiserver.js";
import { CRD_ROOT, fakeCluster, policies, removeScratch, scratch, unimesh, withUnreachable } from "./support/harness.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("./support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

type Cluster = Awaited<ReturnType<typeof fakeCluster>>;
let istio: Cluster;
let linkerd: Cluster;
let dir: string;
beforeAll(async () => {
  istio = await fakeCluster({ mesh: "istio" });
  linkerd = await fakeCluster({ mesh: "linkerd" });
  await istio.setupNamespace("bookinfo");
  await linkerd.setupNamespace("bookinfo");
  dir = scratch({ "base.yaml": policies("bookinfo"), "fewer.yaml": policies("bookinfo", "fewer"), "invalid.yaml": policies("bookinfo").replace("weight: 10", "weight: 20") });
});
afterAll(async () => {
  await istio.server.stop();
  await linkerd.server.stop();
  removeScratch();
});

const kc = (c: Cluster) => ({ kubeconfig: c.kubeconfig });

describe("errors before any cluster is contacted", () => {
  test("invalid policies: exit 1 with the diagnostics, no request sent", async () => {
    const before = istio.server.requests.length;
    for (const cmd of ["apply", "diff"]) {
      const r = await unimesh([cmd, `${dir}/invalid.yaml`, "--mesh", "istio"], kc(istio));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error rule/split-weights: weights must sum to 100 (got 110)");
      expect(r.stdout).toBe("");
    }
    expect(istio.server.requests.length).toBe(before);
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
      const r = await unimesh(argv, kc(istio));
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

describe("preflight: nothing is applied to a cluster that is not ready", () => {
  test("a missing namespace names it and the objects that need it", async () => {
    const d = scratch({ "p.yaml": policies("nowhere") });
    const before = istio.server.writes().length;
    const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio"], kc(istio));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("unimesh apply: kind-istio: error: namespace nowhere does not exist (needed by DestinationRule.networking.istio.io nowhere/reviews, VirtualService.networking.istio.io nowhere/ratings, VirtualService.networking.istio.io nowhere/reviews, and 1 more); unimesh does not create namespaces");
    expect(istio.server.writes().length).toBe(before);
  });

  test("a Service unimesh would annotate must exist: it is never created", async () => {
    const c = await fakeCluster({ mesh: "linkerd" });
    try {
      c.server.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: "bookinfo" } });
      c.server.seed({ apiVersion: "v1", kind: "Service", metadata: { name: "reviews", namespace: "bookinfo" }, spec: { selector: { app: "reviews" }, ports: [{ port: 9080 }] } });
      const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "linkerd"], kc(c));
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("error: Service bookinfo/ratings does not exist: unimesh only adds labels and annotations to it (the generated object has no content to create it from); deploy it first");
      expect(c.server.writes()).toEqual([]);
    } finally {
      await c.server.stop();
    }
  });

  test("several problems are listed together", async () => {
    const c = await fakeCluster({ mesh: "istio", noCrds: true });
    try {
      const d = scratch({ "p.yaml": policies("nowhere") });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio"], kc(c));
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("error: 3 problems (nothing was changed in the cluster):\n  - networking.istio.io/v1 DestinationRule, VirtualService are not served by this cluster (CRDs destinationrules.networking.istio.io, virtualservices.networking.istio.io): install Istio (istioctl install, or the istio/base Helm chart) first\n");
      expect(r.stderr).toContain("  - security.istio.io/v1 AuthorizationPolicy is not served by this cluster");
      expect(r.stderr).toContain("  - namespace nowhere does not exist");
    } finally {
      await c.server.stop();
    }
  });

  test("CRDs of another release: 1.22's serve v1 (fine); without v1 the message says which versions the cluster serves", async () => {
    const c = await fakeCluster({ mesh: "istio", noCrds: true });
    try {
      c.server.installCrds(join(CRD_ROOT, "istio/1.22.8"));
      await c.setupNamespace("bookinfo");
      const r = await unimesh(["diff", `${dir}/base.yaml`, "--mesh", "istio@1.22"], kc(c));
      expect(r.code).toBe(5); // 1.22 serves v1: fine
      const c2 = await FakeApiServer.start({ namespaces: ["default", "bookinfo"] });
      try {
        // Istio 1.22's CRDs without v1: what a cluster older than 1.22 serves.
        const crds = yaml.loadAll(readFileSync(join(CRD_ROOT, "istio/1.22.8/crd-all.gen.yaml"), "utf8")) as any[];
        for (const crd of crds.filter(Boolean)) {
          crd.spec.versions = crd.spec.versions.filter((v: any) => v.name !== "v1");
          if (!crd.spec.versions.some((v: any) => v.storage)) crd.spec.versions[0].storage = true;
          c2.installCrd(crd);
        }
        const path = join(scratch(), "kubeconfig");
        writeFileSync(path, kubeconfigYaml([{ name: "old", server: c2.url, caPem: c2.certPem, token: c2.token }]));
        const r2 = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "istio"], { kubeconfig: path });
        expect(r2.code).toBe(3);
        expect(r2.stderr).toContain("networking.istio.io/v1 DestinationRule, VirtualService are not served by this cluster (CRDs destinationrules.networking.istio.io, virtualservices.networking.istio.io): it serves networking.istio.io v1beta1, v1alpha3 but not v1, so the installed mesh is another version than the one translated for; translate for the installed version (--mesh auto, or --mesh NAME@VERSION), or upgrade Istio");
      } finally {
        await c2.stop();
      }
    } finally {
      await c.server.stop();
    }
  });
});

describe("applying", () => {
  test("dependency order: the cluster-scoped Mesh, VirtualNodes, then Services", async () => {
    const c = await fakeCluster({ mesh: "istio" });
    try {
      c.server.installCrds(join(CRD_ROOT, "aws-app-mesh/v1.13.3"));
      await c.setupNamespace("bookinfo");
      const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "appmesh"], kc(c));
      expect(r.code).toBe(0);
      const patches = c.server.requests.filter((q) => q.method === "PATCH").map((q) => q.path.split("/").slice(-2).join("/"));
      expect(patches).toEqual(["meshes/unimesh", "virtualnodes/ratings", "virtualnodes/reviews", "services/ratings-appmesh", "services/reviews-appmesh"]);
      expect(c.server.get("appmesh.k8s.aws/v1beta2", "Mesh", undefined, "unimesh")).toBeDefined();
      // A Service with content is unimesh's own: created, and deleted by --prune (not just stripped of labels).
      expect(r.stdout).toContain("kind-istio: Service bookinfo/ratings-appmesh created");
      const pruned = await unimesh(["apply", `${dir}/fewer.yaml`, "--mesh", "appmesh", "--prune"], kc(c));
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toContain("kind-istio: Service bookinfo/ratings-appmesh pruned");
      expect(pruned.stdout).toContain("kind-istio: VirtualNode.appmesh.k8s.aws bookinfo/ratings pruned");
      expect(c.server.get("v1", "Service", "bookinfo", "ratings-appmesh")).toBeUndefined();
      expect(c.server.get("v1", "Service", "bookinfo", "ratings")).toBeDefined();
    } finally {
      await c.server.stop();
    }
  });

  test("an object the API server rejects (422) fails with its message; the others are applied; exit 3", async () => {
    const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "broken", "--policy-set", "broken"], kc(istio));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^kind-istio: VirtualService\.networking\.istio\.io bookinfo\/ratings failed: PATCH \/apis\/networking\.istio\.io\/v1\/namespaces\/bookinfo\/virtualservices\/ratings: 422 Invalid: VirtualService\.networking\.istio\.io "ratings" is invalid: .*unknown field "retriez"/m);
    expect(r.stdout).toContain("kind-istio: 2 failed");
  });

  test("progress lines: a start line, then periodic lines (library API)", async () => {
    const k = await Kubeconfig.load({ kubeconfig: istio.kubeconfig, env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({})[0]);
    const lines: string[] = [];
    const objects = [1, 2, 3].map((i) => ({ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: `p${i}`, namespace: "bookinfo" }, spec: { host: "x" } }));
    const r = await applyObjects(client, objects, { onProgress: (m) => lines.push(m), progressEveryMs: 0 });
    expect(r.outcomes.map((o) => o.action)).toEqual(["created", "created", "created"]);
    expect(lines[0]).toBe("applying 3 objects");
    expect(lines.slice(1)).toEqual(expect.arrayContaining(["1/3 applied", "2/3 applied"]));
  });

  test("authorization: DENY is applied before ALLOW, and an ALLOW is never applied after a DENY failed (library API)", async () => {
    const k = await Kubeconfig.load({ kubeconfig: istio.kubeconfig, env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({})[0]);
    const ap = (name: string, action: "ALLOW" | "DENY", sa: string) => ({
      apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace: "bookinfo" },
      spec: { selector: { matchLabels: { app: "reviews" } }, action, rules: [{ from: [{ source: { principals: [`cluster.local/ns/bookinfo/sa/${sa}`] } }] }] },
    });
    const rule = (name: string) => ({ apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name, namespace: "bookinfo" }, spec: { host: "reviews" } });
    const apPath = (name: string) => `/apis/security.istio.io/v1/namespaces/bookinfo/authorizationpolicies/${name}`;

    // Order: the DENY (listed last) is written before the ALLOW.
    const before = istio.server.requests.length;
    const ok = await applyObjects(client, [ap("order-allow", "ALLOW", "productpage"), ap("order-deny", "DENY", "intruder")]);
    expect(ok.outcomes.map((o) => `${o.ref.name} ${o.action}`)).toEqual(["order-deny created", "order-allow created"]);
    expect(istio.server.requests.slice(before).filter((r) => r.method === "PATCH").map((r) => r.path)).toEqual([apPath("order-deny"), apPath("order-allow")]);

    // A DENY that cannot be applied (another manager owns its rules): the ALLOW of the same apply is not applied.
    await istio.applyAs("other-tool", ap("stop-deny", "DENY", "someone-else"));
    const r = await applyObjects(client, [rule("stop-rule"), ap("stop-allow", "ALLOW", "productpage"), ap("stop-deny", "DENY", "intruder")]);
    expect(r.outcomes.map((o) => `${o.ref.name} ${o.action}`)).toEqual(["stop-rule created", "stop-deny conflict", "stop-allow skipped"]);
    expect(istio.server.get("security.istio.io/v1", "AuthorizationPolicy", "bookinfo", "stop-allow")).toBeUndefined();
    expect(istio.server.requests.some((q) => q.method === "PATCH" && q.path === apPath("stop-allow"))).toBe(false);
    expect(istio.server.get("networking.istio.io/v1", "DestinationRule", "bookinfo", "stop-rule")).toBeDefined();
    const text = formatApply("kind-istio", r);
    expect(text).toContain("kind-istio: AuthorizationPolicy.security.istio.io bookinfo/stop-allow skipped: not applied: AuthorizationPolicy.security.istio.io bookinfo/stop-deny did not apply");
    expect(text).toContain("kind-istio: 1 created, 1 conflict, 1 skipped");
    // With --prune, nothing is pruned either.
    const pr = await applyObjects(client, [ap("stop-allow", "ALLOW", "productpage"), ap("stop-deny", "DENY", "intruder")], { prune: { policySet: "stop" } });
    expect(pr.pruneSkipped).toBe("prune skipped: 2 objects did not apply, so nothing is deleted until the apply succeeds");
  });

  test("a patch (unimesh.io/patch) with content is refused before anything is applied", async () => {
    const k = await Kubeconfig.load({ kubeconfig: istio.kubeconfig, env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({})[0]);
    const writes = istio.server.writes().length;
    const bad = { apiVersion: "v1", kind: "Service", metadata: { name: "ratings", namespace: "bookinfo", annotations: { "unimesh.io/patch": "server-side-apply" } }, spec: { ports: [{ port: 1 }] } };
    const err = await applyObjects(client, [bad]).catch((e) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.code).toBe("refused");
    expect(err.message).toBe("Service bookinfo/ratings is marked unimesh.io/patch (a patch of an object unimesh does not own) but has spec: a patch carries only metadata; this is a bug of the adapter that generated it");
    expect(istio.server.writes().length).toBe(writes);
  });

  test("a list the prune may not read (RBAC) is a warning, not a failure", async () => {
    istio.server.forbidden.add("security.istio.io/peerauthentications");
    try {
      const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "istio", "--policy-set", "rbac", "--prune"], kc(istio));
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("unimesh apply: kind-istio: warning: cannot list PeerAuthentication.security.istio.io (forbidden): its objects were not considered for pruning");
    } finally {
      istio.server.forbidden.clear();
    }
  });

  test("--prune with no generated object is refused (it would delete the whole policy set)", async () => {
    const d = scratch({ "facts.yaml": "apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: reviews, namespace: bookinfo}\nspec: {}\n" });
    const r = await unimesh(["apply", `${d}/facts.yaml`, "--mesh", "istio", "--policy-set", "rbac", "--prune"], kc(istio));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("error: --prune refused: the policies generate no object, so every object of policy set rbac would be deleted; to remove them on purpose: kubectl delete <kinds> -A -l app.kubernetes.io/managed-by=unimesh,unimesh.io/policy-set=rbac");
    expect(istio.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "reviews")).toBeDefined();
  });

  test("prune is skipped when an object did not apply", async () => {
    await istio.applyAs("other-tool", { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "reviews", namespace: "bookinfo" }, spec: { hosts: ["x"] } });
    const r = await unimesh(["apply", `${dir}/fewer.yaml`, "--mesh", "istio", "--policy-set", "rbac", "--prune"], kc(istio));
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("kind-istio: prune skipped: 1 object did not apply, so nothing is deleted until the apply succeeds");
    expect(istio.server.get("networking.istio.io/v1", "VirtualService", "bookinfo", "ratings")).toBeDefined();
  });

  test("--output json: one report on stdout, diagnostics as one JSON object on stderr", async () => {
    const kubeconfig = await withUnreachable(linkerd.kubeconfig, ["down"]);
    const r = await unimesh(["diff", `${dir}/base.yaml`, "--mesh", "linkerd", "--context", "kind-linkerd,down", "--output", "json"], { kubeconfig });
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.differences).toBe(true);
    expect(out.clusters[0]).toMatchObject({ context: "kind-linkerd", ok: true, mesh: "linkerd@2.20" });
    expect(out.clusters[0].objects.map((o: any) => `${o.object} ${o.change}`)).toEqual([
      "Service bookinfo/ratings update", "HTTPRoute.policy.linkerd.io bookinfo/ratings create", "HTTPRoute.policy.linkerd.io bookinfo/reviews create",
    ]);
    expect(out.clusters[1]).toMatchObject({ context: "down", ok: false, error: { code: "unreachable" } });
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ ok: true, diagnostics: [] });
  });

  test.each(["apply", "diff"])("%s --output json with a named mesh: the translation's diagnostics are in the JSON report", async (cmd) => {
    const r = await unimesh([cmd, `${dir}/base.yaml`, "--mesh", "appmesh", "--output", "json"], kc(istio));
    expect(r.code).toBe(3); // the Istio cluster has no App Mesh CRDs
    expect(JSON.parse(r.stdout).clusters[0]).toMatchObject({ context: "kind-istio", ok: false, error: { code: "missing-crd" } });
    const report = JSON.parse(r.stderr);
    expect(report.diagnostics.map((d: any) => `${d.severity} ${d.code} ${d.adapter}`)).toContain("info adapter/deprecated-mesh appmesh@1.13");
  });
});

describe("--mesh auto", () => {
  test("detects the mesh each cluster runs", async () => {
    const r = await unimesh(["diff", `${dir}/base.yaml`, "--mesh", "auto"], kc(istio));
    expect(r.stderr).toContain("unimesh diff: kind-istio: istio@1.30 (--mesh auto: istio 1.30.3, detected in context kind-istio)");
  });

  test("a ClusterInfo document for the context in the inputs wins over detection", async () => {
    const info = `apiVersion: unimesh.io/v1alpha1\nkind: ClusterInfo\nmetadata: {name: kind-istio}\nspec:\n  context: kind-istio\n  meshes: [{name: linkerd, version: edge-26.8.3}]\n`;
    const d = scratch({ "base.yaml": policies("bookinfo"), "cluster.yaml": info });
    const r = await unimesh(["apply", d, "--mesh", "auto", "--dry-run=server"], kc(istio));
    expect(r.stderr).toContain(`linkerd@2.20 (--mesh auto: linkerd edge-26.8.3, ClusterInfo/default/kind-istio in ${d}/cluster.yaml)`);
    expect(r.code).toBe(3); // the Istio cluster has no Linkerd CRDs
    expect(r.stderr).toContain("policy.linkerd.io/v1beta3 HTTPRoute is not served by this cluster");
  });

  test("a cluster without a mesh: exit 3, saying so", async () => {
    const c = await fakeCluster({ noCrds: true });
    try {
      await c.setupNamespace("bookinfo");
      const r = await unimesh(["apply", `${dir}/base.yaml`, "--mesh", "auto"], kc(c));
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("unimesh apply: kind-istio: error: --mesh auto: no service mesh found in context kind-istio (no Istio, Linkerd or App Mesh CRDs or control plane); install one, or name the mesh with --mesh NAME@VERSION");
    } finally {
      await c.server.stop();
    }
  });
});

describe("discover", () => {
  test("-o DIR: one file per cluster; an unreachable cluster is reported and the others written", async () => {
    const path = join(scratch(), "kubeconfig");
    writeFileSync(path, kubeconfigYaml([
      { name: "kind-istio", server: istio.server.url, caPem: istio.server.certPem, token: istio.server.token },
      { name: "arn:aws:eks:eu-west-1:123:cluster/Prod", server: linkerd.server.url, caPem: linkerd.server.certPem, token: linkerd.server.token },
    ]));
    const kubeconfig = await withUnreachable(path, ["down"]);
    const out = join(scratch(), "facts");
    const r = await unimesh(["discover", "--all-contexts", "-o", out], { kubeconfig });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/unimesh discover: down: error: cannot reach/);
    expect(r.stderr).toContain("unimesh discover: wrote kind-istio.yaml, arn-aws-eks-eu-west-1-123-cluster-prod-");
    const prodFile = readdirSync(out).find((f) => f.startsWith("arn-"))!;
    for (const f of ["kind-istio.yaml", prodFile]) {
      const loaded = loadModel([{ file: f, text: readFileSync(join(out, f), "utf8") }]);
      expect(loaded.ok, f).toBe(true);
      expect(loaded.model.clusters).toHaveLength(1);
    }
    expect(readFileSync(join(out, prodFile), "utf8")).toContain("context: arn:aws:eks:eu-west-1:123:cluster/Prod");
    expect(readFileSync(join(out, ".unimesh-output"), "utf8")).toMatch(/^Written by `unimesh discover -o`\./);
  });

  test("several clusters on stdout: one valid stream, a Service found in both is written once", async () => {
    const path = join(scratch(), "kubeconfig");
    writeFileSync(path, kubeconfigYaml([
      { name: "east", server: istio.server.url, caPem: istio.server.certPem, token: istio.server.token },
      { name: "west", server: linkerd.server.url, caPem: linkerd.server.certPem, token: linkerd.server.token },
    ]));
    const r = await unimesh(["discover", "--all-contexts"], { kubeconfig: path });
    expect(r.code).toBe(0);
    const loaded = loadModel([{ file: "-", text: r.stdout }]);
    expect(loaded.ok).toBe(true);
    expect(loaded.model.clusters.map((c) => `${c.name}: ${c.doc.spec.meshes.map((m) => `${m.name} ${m.version}`)}`)).toEqual(["east: istio 1.30.3", "west: linkerd edge-26.8.3"]);
    expect(loaded.model.services.find((s) => s.name === "reviews")!.doc.metadata.annotations).toEqual({ "unimesh.io/contexts": "east,west" });
  });

  test("lists are read page by page; CRDs that may not be read are a warning", async () => {
    const c = await fakeCluster({ mesh: "istio" });
    try {
      await c.setupNamespace("big");
      for (let i = 0; i < 1100; i++) c.server.seed({ apiVersion: "v1", kind: "Pod", metadata: { name: `p${i}`, namespace: "big", labels: { app: "reviews", version: `v${i % 3}` } }, spec: { serviceAccountName: "bookinfo-reviews", containers: [] } });
      c.server.forbidden.add("apiextensions.k8s.io/customresourcedefinitions");
      const r = await unimesh(["discover", "-n", "big"], kc(c));
      expect(r.code).toBe(0);
      expect(c.server.requests.filter((q) => q.path === "/api/v1/namespaces/big/pods").map((q) => q.query.continue ?? "")).toHaveLength(3);
      expect(r.stderr).toContain("warning: cannot list CustomResourceDefinitions (forbidden): mesh detection uses what else it can read");
      const loaded = loadModel([{ file: "-", text: r.stdout }]);
      expect(loaded.model.clusters[0].doc.spec.meshes[0]).toMatchObject({ name: "istio", version: "1.30.3" });
      expect(loaded.model.services.find((s) => s.name === "reviews")!.doc.spec.subsets!.map((s) => s.name)).toEqual(["v0", "v1", "v2"]);
    } finally {
      await c.server.stop();
    }
  });
});

describe("credentials", () => {
  test("a rejected token: exit 3, the token is not printed", async () => {
    const path = join(scratch(), "kubeconfig");
    writeFileSync(path, kubeconfigYaml([{ name: "stale", server: istio.server.url, caPem: istio.server.certPem, token: "stale-token-0123456789abcdef" }]));
    const r = await unimesh(["discover"], { kubeconfig: path });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`unimesh discover: stale: error: the API server of context "stale" (${istio.server.url}) rejected its credentials (401 Unauthorized); renew them (e.g. log in again) and retry`);
    expect(r.stdout + r.stderr).not.toContain("stale-token-0123456789abcdef");
  });

  test("exec plugins give the token; a failing plugin's output is scrubbed", async () => {
    const d = scratch({
      "ok.mjs": `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: process.env.FAKE_TOKEN } }));`,
      "bad.mjs": `process.stderr.write("login failed for token=" + process.env.FAKE_TOKEN + " (" + process.argv[2] + ")"); process.exit(1);`,
    });
    const user = (script: string) => ({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [join(d, script), "arg-secret-0123456789abcdef"], env: [{ name: "FAKE_TOKEN", value: istio.server.token }], interactiveMode: "Never" } });
    const config = {
      apiVersion: "v1", kind: "Config", "current-context": "ok",
      clusters: [{ name: "c", cluster: { server: istio.server.url, "certificate-authority-data": Buffer.from(istio.server.certPem).toString("base64") } }],
      users: [{ name: "ok", user: user("ok.mjs") }, { name: "bad", user: user("bad.mjs") }],
      contexts: [{ name: "ok", context: { cluster: "c", user: "ok" } }, { name: "bad", context: { cluster: "c", user: "bad" } }],
    };
    const path = join(d, "kubeconfig");
    writeFileSync(path, JSON.stringify(config));
    const ok = await unimesh(["discover", "--context", "ok", "-n", "bookinfo"], { kubeconfig: path });
    expect(ok.code).toBe(0);
    expect(loadModel([{ file: "-", text: ok.stdout }]).model.services.map((s) => s.name).sort()).toEqual(["ratings", "reviews"]);
    const bad = await unimesh(["discover", "--context", "bad"], { kubeconfig: path });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('unimesh discover: bad: error: cannot get credentials for context "bad": login failed for token=<redacted> (<redacted>)');
    for (const r of [ok, bad]) {
      expect(r.stdout + r.stderr).not.toContain(istio.server.token);
      expect(r.stdout + r.stderr).not.toContain("arg-secret-0123456789abcdef");
    }
  });

  test("library errors carry no credential either", async () => {
    const k = await Kubeconfig.load({ kubeconfig: (await withUnreachable(istio.kubeconfig, ["gone"])).split(delimiter)[1], env: {}, cwd: "/" });
    const client = KubeClient.forContext(k, k.select({ contexts: ["gone"] })[0], { timeoutMs: 2000 });
    const err = (await client.serverVersion().catch((e) => e)) as ClusterError;
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.code).toBe("unreachable");
    expect(err.message).not.toContain("unreachable-secret");
  });
});
