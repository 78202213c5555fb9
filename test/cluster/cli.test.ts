/**
 * discover, diff and apply against a real kube-apiserver (the `main` server: Istio, Linkerd and App Mesh
 * CRDs) for what the shared scenarios do not cover: preflight failures (a missing namespace, a missing
 * Service), objects the API server rejects, the library's progress lines, a patch with content, RBAC
 * (a user who may not list some kinds), --prune refusals, JSON reports, --mesh auto with a ClusterInfo
 * document, discover with -o DIR, several contexts and pagination, and credentials (a stale token, exec
 * plugins). Policies are translated by the test adapters (test/kube/support/fake-adapters.ts).
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test, vi } from "vitest";
import { loadModel } from "../../src/api/validate.js";
import { applyObjects } from "../../src/kube/apply.js";
import { istioCluster } from "../../src/adapters/istio/cluster.js";
import { KubeClient } from "../../src/kube/client.js";
import { ClusterError } from "../../src/kube/errors.js";
import { Kubeconfig } from "../../src/kube/kubeconfig.js";
import { MANAGED_BY_LABEL, POLICY_SET_LABEL } from "../../src/api/ownership.js";
import { type TestCluster, liveCluster, policies, removeScratch, scratch, unimesh, withUnreachable } from "../kube/support/harness.js";
import { type ServerInfo, adminToken, caPem, combinedKubeconfig, server, userCertificate } from "./support/servers.js";

vi.mock("../../src/adapters/index.js", async () => {
  const { FAKE_ADAPTERS } = await import("../kube/support/fake-adapters.js");
  return { BUILTIN_ADAPTERS: FAKE_ADAPTERS, findAdapter: (n: string) => FAKE_ADAPTERS.find((a) => a.name === n) };
});

const run = inject("unimeshCluster");
type Obj = any;

describe.skipIf(!!run.skip)("cluster commands on a real kube-apiserver", () => {
  let main: ServerInfo;
  let istio: TestCluster;
  let dir: string;
  let n = 0;
  /** A fresh namespace with the scenarios' Services and pods. */
  const fresh = async (what: string) => {
    const ns = `um-cli-${what}-${process.pid}-${n++}`;
    await istio.setupNamespace(ns);
    return ns;
  };
  const kc = () => ({ kubeconfig: main.kubeconfig });
  const client = async () => {
    const k = await Kubeconfig.load({ kubeconfig: main.kubeconfig, env: {}, cwd: "/" });
    return KubeClient.forContext(k, k.select({})[0]);
  };
  /** Every object of a policy set anywhere in the cluster (to show nothing was written). */
  const ofPolicySet = async (set: string, apiVersion = "networking.istio.io/v1", plural = "virtualservices") =>
    (await (await client()).list(`/apis/${apiVersion}/${plural}`, { labelSelector: `${MANAGED_BY_LABEL}=unimesh,${POLICY_SET_LABEL}=${set}` })).length;

  beforeAll(async () => {
    main = await server(run, "main");
    istio = await liveCluster(main.kubeconfig, main.context, "istio");
    dir = scratch();
  });
  afterAll(() => removeScratch());

  describe("preflight: nothing is applied to a cluster that is not ready", () => {
    test("a missing namespace names it and the objects that need it", async () => {
      const d = scratch({ "p.yaml": policies("um-nowhere") });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio", "--policy-set", "nowhere"], kc());
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        "unimesh apply: kube-local: error: namespace um-nowhere does not exist (needed by DestinationRule.networking.istio.io um-nowhere/reviews, VirtualService.networking.istio.io um-nowhere/ratings, VirtualService.networking.istio.io um-nowhere/reviews, and 1 more); unimesh does not create namespaces",
      );
      expect(r.stdout).toBe("");
      expect(await istio.get("v1", "Namespace", undefined, "um-nowhere")).toBeUndefined();
    });

    test("a Service unimesh would annotate must exist: it is never created, and nothing else is applied", async () => {
      const ns = `um-cli-nosvc-${process.pid}`;
      await istio.applyAs("unimesh-test", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      await istio.applyAs("unimesh-test", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "reviews", namespace: ns },
        spec: { selector: { app: "reviews" }, ports: [{ port: 9080 }] },
      });
      const d = scratch({ "p.yaml": policies(ns) });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "linkerd", "--policy-set", ns], kc());
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `error: Service ${ns}/ratings does not exist: unimesh only adds labels and annotations to it (the generated object has no content to create it from); deploy it first`,
      );
      expect(await istio.get("v1", "Service", ns, "ratings")).toBeUndefined();
      expect(await ofPolicySet(ns, "policy.linkerd.io/v1beta3", "httproutes")).toBe(0);
    });
  });

  describe("applying", () => {
    test("an object the API server rejects fails with its message; the others are applied; exit 3", async () => {
      const ns = await fresh("broken");
      const d = scratch({ "p.yaml": policies(ns) });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "broken", "--policy-set", "broken"], kc());
      expect(r.code).toBe(3);
      // A real API server refuses an apply patch with a field the CRD does not declare before validation (500, not 422).
      expect(r.stdout).toMatch(
        new RegExp(
          `^kube-local: VirtualService\\.networking\\.istio\\.io ${ns}/ratings failed: PATCH /apis/networking\\.istio\\.io/v1/namespaces/${ns}/virtualservices/ratings: 500: failed to create typed patch object .*\\.spec\\.retriez: field not declared in schema`,
          "m",
        ),
      );
      expect(r.stdout).toContain("kube-local: 2 failed");
    });

    test("progress lines: a start line, then periodic lines (library API)", async () => {
      const ns = await fresh("progress");
      const lines: string[] = [];
      const objects = [1, 2, 3].map((i) => ({
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: `p${i}`, namespace: ns },
        spec: { host: "x" },
      }));
      const r = await applyObjects(await client(), objects, { meshes: [{ cluster: istioCluster }], onProgress: (m) => lines.push(m), progressEveryMs: 0 });
      expect(r.outcomes.map((o) => o.action)).toEqual(["created", "created", "created"]);
      expect(lines[0]).toBe("applying 3 objects");
      expect(lines.slice(1)).toEqual(expect.arrayContaining(["1/3 applied", "2/3 applied"]));
    });

    test("a patch (unimesh.io/patch) with content is refused before anything is applied", async () => {
      const ns = await fresh("patch");
      const bad = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "ratings", namespace: ns, annotations: { "unimesh.io/patch": "server-side-apply" } },
        spec: { ports: [{ port: 1 }] },
      };
      const rule = { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "first", namespace: ns }, spec: { host: "x" } };
      const before = await istio.get("v1", "Service", ns, "ratings");
      const err = await applyObjects(await client(), [rule, bad], { meshes: [{ cluster: istioCluster }] }).catch((e) => e);
      expect(err).toBeInstanceOf(ClusterError);
      expect(err.code).toBe("refused");
      expect(err.message).toBe(
        `Service ${ns}/ratings is marked unimesh.io/patch (a patch of an object unimesh does not own) but has spec: a patch carries only metadata; this is a bug of the adapter that generated it`,
      );
      expect((await istio.get("v1", "Service", ns, "ratings")).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(await istio.get("networking.istio.io/v1", "DestinationRule", ns, "first")).toBeUndefined();
    });

    test("RBAC: a list the prune may not read is a warning, not a failure", async () => {
      const ns = await fresh("rbac");
      // A user who may do everything with the kinds applied here, but not list PeerAuthentications (or anything else).
      const kubeconfig = limitedUser(main, "um-limited-prune", [
        { apiGroups: [""], resources: ["namespaces", "services", "serviceaccounts"], verbs: ["get", "list", "patch"] },
        {
          apiGroups: ["networking.istio.io", "security.istio.io"],
          resources: ["virtualservices", "destinationrules", "authorizationpolicies"],
          verbs: ["get", "list", "create", "patch", "delete"],
        },
      ]);
      await bindRole(istio, "um-limited-prune");
      const d = scratch({ "p.yaml": policies(ns) });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio", "--policy-set", ns, "--prune"], { kubeconfig });
      expect(r.stderr).toContain(
        "unimesh apply: limited: warning: cannot list PeerAuthentication.security.istio.io (forbidden): its objects were not considered for pruning",
      );
      expect(r.code).toBe(0);
      expect(await istio.get("networking.istio.io/v1", "VirtualService", ns, "reviews")).toBeDefined();
    });

    test("--prune with no generated object is refused (it would delete the whole policy set)", async () => {
      const ns = await fresh("refuse");
      const d = scratch({
        "p.yaml": policies(ns),
        "facts.yaml": `apiVersion: unimesh.io/v1alpha1\nkind: MeshService\nmetadata: {name: reviews, namespace: ${ns}}\nspec: {}\n`,
      });
      expect((await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio", "--policy-set", ns], kc())).code).toBe(0);
      const r = await unimesh(["apply", `${d}/facts.yaml`, "--mesh", "istio", "--policy-set", ns, "--prune"], kc());
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `error: --prune refused: the policies generate no object, so every object of policy set ${ns} would be deleted; to remove them on purpose: kubectl delete <kinds> -A -l app.kubernetes.io/managed-by=unimesh,unimesh.io/policy-set=${ns}`,
      );
      expect(await istio.get("networking.istio.io/v1", "VirtualService", ns, "reviews")).toBeDefined();
    });

    test("prune is skipped when an object did not apply", async () => {
      const ns = await fresh("skip");
      const d = scratch({ "p.yaml": policies(ns), "fewer.yaml": policies(ns, "fewer") });
      expect((await unimesh(["apply", `${d}/p.yaml`, "--mesh", "istio", "--policy-set", ns], kc())).code).toBe(0);
      await istio.applyAs("other-tool", {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "reviews", namespace: ns },
        spec: { hosts: ["x"] },
      });
      const r = await unimesh(["apply", `${d}/fewer.yaml`, "--mesh", "istio", "--policy-set", ns, "--prune"], kc());
      expect(r.code).toBe(4);
      expect(r.stdout).toContain("kube-local: prune skipped: 1 object did not apply, so nothing is deleted until the apply succeeds");
      expect(await istio.get("networking.istio.io/v1", "VirtualService", ns, "ratings")).toBeDefined();
    });

    test("--output json: one report on stdout, diagnostics as one JSON object on stderr", async () => {
      const ns = await fresh("json");
      const d = scratch({ "p.yaml": policies(ns) });
      const kubeconfig = await withUnreachable(main.kubeconfig, ["down"]);
      const r = await unimesh(["diff", `${d}/p.yaml`, "--mesh", "linkerd", "--context", "kube-local,down", "--output", "json"], { kubeconfig });
      expect(r.code).toBe(3);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      expect(out.differences).toBe(true);
      expect(out.clusters[0]).toMatchObject({ context: "kube-local", ok: true, mesh: "linkerd@2.20" });
      expect(out.clusters[0].objects.map((o: Obj) => `${o.object} ${o.change}`)).toEqual([
        `Service ${ns}/ratings update`,
        `HTTPRoute.policy.linkerd.io ${ns}/ratings create`,
        `HTTPRoute.policy.linkerd.io ${ns}/reviews create`,
      ]);
      expect(out.clusters[1]).toMatchObject({ context: "down", ok: false, error: { code: "unreachable" } });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(JSON.parse(r.stderr)).toMatchObject({ ok: true, diagnostics: [] });
    });
  });

  describe("--mesh auto", () => {
    test("a cluster with several meshes: exit 3, listing them", async () => {
      const ns = await fresh("auto");
      const d = scratch({ "p.yaml": policies(ns) });
      const r = await unimesh(["apply", `${d}/p.yaml`, "--mesh", "auto", "--policy-set", ns], kc());
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        "unimesh apply: kube-local: error: --mesh auto: the inputs describe several meshes: istio 1.30.3 (detected in context kube-local), linkerd edge-26.8.3 (detected in context kube-local), appmesh 1.13.3 (detected in context kube-local); translate for one with --mesh NAME@VERSION",
      );
      expect(await istio.get("networking.istio.io/v1", "VirtualService", ns, "reviews")).toBeUndefined();
    });

    test("a ClusterInfo document for the context in the inputs wins over detection", async () => {
      const ns = await fresh("info");
      const info = `apiVersion: unimesh.io/v1alpha1\nkind: ClusterInfo\nmetadata: {name: kube-local}\nspec:\n  context: kube-local\n  meshes: [{name: linkerd, version: edge-26.8.3}]\n`;
      const d = scratch({ "base.yaml": policies(ns), "cluster.yaml": info });
      const r = await unimesh(["apply", d, "--mesh", "auto", "--dry-run=server", "--policy-set", ns], kc());
      expect(r.stderr).toContain(`linkerd@2.20 (--mesh auto: linkerd edge-26.8.3, ClusterInfo/default/kube-local in ${d}/cluster.yaml)`);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`kube-local: HTTPRoute.policy.linkerd.io ${ns}/reviews created (dry run: server)`);
    });
  });

  describe("discover", () => {
    let two: string;
    beforeAll(() => {
      two = combinedKubeconfig(run, "cli-two.kubeconfig", { east: main, "arn:aws:eks:eu-west-1:123:cluster/Prod": main });
    });

    test("--output-dir DIR: one file per cluster; an unreachable cluster is reported and the others written", async () => {
      const ns = await fresh("disco");
      const kubeconfig = await withUnreachable(two, ["down"]);
      const out = join(scratch(), "facts");
      const r = await unimesh(["discover", "--all-contexts", "-n", ns, "--output-dir", out], { kubeconfig });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/unimesh discover: down: error: cannot reach/);
      expect(r.stderr).toMatch(/unimesh discover: wrote east\.yaml, arn-aws-eks-eu-west-1-123-cluster-prod-[a-z0-9]+\.yaml to /);
      const files = readdirSync(out)
        .filter((f) => !f.startsWith("."))
        .sort();
      expect(files).toEqual([expect.stringMatching(/^arn-aws-eks-eu-west-1-123-cluster-prod-[a-z0-9]+\.yaml$/), "east.yaml"]);
      for (const f of files) {
        const loaded = loadModel([{ file: f, text: readFileSync(join(out, f), "utf8") }]);
        expect(loaded.ok, f).toBe(true);
        expect(loaded.model.clusters).toHaveLength(1);
        expect(loaded.model.services.map((s) => s.name).sort()).toEqual(["ratings", "reviews"]);
      }
      expect(readFileSync(join(out, files[0]), "utf8")).toContain("context: arn:aws:eks:eu-west-1:123:cluster/Prod");
      expect(readFileSync(join(out, ".unimesh-output"), "utf8")).toMatch(/^Written by `unimesh discover --output-dir`\./);
    });

    test("several clusters on stdout: one valid stream, a Service found in both is written once", async () => {
      const ns = await fresh("both");
      const r = await unimesh(["discover", "--all-contexts", "-n", ns], { kubeconfig: two });
      expect(r.code).toBe(0);
      const loaded = loadModel([{ file: "-", text: r.stdout }]);
      expect(loaded.ok).toBe(true);
      expect(loaded.model.clusters.map((c) => c.doc.spec.context).sort()).toEqual(["arn:aws:eks:eu-west-1:123:cluster/Prod", "east"]);
      expect(loaded.model.services.find((s) => s.name === "reviews")!.doc.metadata.annotations).toEqual({
        "unimesh.io/contexts": "east,arn:aws:eks:eu-west-1:123:cluster/Prod",
      });
    });

    test("lists are read page by page (limit 500); CRDs the user may not read are a warning", async () => {
      const ns = await fresh("pages");
      // 1001 pods: three pages. Only the last one has version v-last, so its subset shows every page was read.
      const c = await client();
      const pods = Array.from({ length: 1001 }, (_, i) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p${i}`, namespace: ns, labels: { app: "reviews", version: i === 1000 ? "v-last" : `v${i % 3}` } },
        spec: { serviceAccountName: "bookinfo-reviews", containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] },
      }));
      const { mapLimit } = await import("../../src/kube/preflight.js");
      await mapLimit(pods, 16, (p) =>
        c.request("PATCH", `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`, {
          query: { fieldManager: "unimesh-test" },
          body: p,
          contentType: "application/apply-patch+yaml",
        }),
      );
      const kubeconfig = limitedUser(main, "um-limited-discover", [
        { apiGroups: [""], resources: ["services", "pods", "namespaces"], verbs: ["get", "list"] },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list"] },
      ]);
      await bindRole(istio, "um-limited-discover");
      const r = await unimesh(["discover", "-n", ns], { kubeconfig });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("warning: cannot list CustomResourceDefinitions (forbidden): mesh detection uses what else it can read");
      const loaded = loadModel([{ file: "-", text: r.stdout }]);
      expect(
        loaded.model.services
          .find((s) => s.name === "reviews")!
          .doc.spec.subsets!.map((s) => s.name)
          .sort(),
      ).toEqual(["v-last", "v0", "v1", "v2"]);
    });
  });

  describe("credentials", () => {
    test("a rejected token: exit 3, the token is not printed", async () => {
      const path = join(scratch(), "kubeconfig");
      writeFileSync(path, kubeconfigWith(main, "stale", { token: "stale-token-0123456789abcdef" }));
      const r = await unimesh(["discover"], { kubeconfig: path });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `unimesh discover: stale: error: the API server of context "stale" (${main.server}) rejected its credentials (401 Unauthorized); renew them (e.g. log in again) and retry`,
      );
      expect(r.stdout + r.stderr).not.toContain("stale-token-0123456789abcdef");
    });

    test("exec plugins give the token; a failing plugin's output is scrubbed", async () => {
      const ns = await fresh("exec");
      const token = adminToken(main);
      const d = scratch({
        "ok.mjs": `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: process.env.FAKE_TOKEN } }));`,
        "bad.mjs": `process.stderr.write("login failed for token=" + process.env.FAKE_TOKEN + " (" + process.argv[2] + ")"); process.exit(1);`,
      });
      const user = (script: string) => ({
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: process.execPath,
          args: [join(d, script), "arg-secret-0123456789abcdef"],
          env: [{ name: "FAKE_TOKEN", value: token }],
          interactiveMode: "Never",
        },
      });
      const config = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "ok",
        clusters: [{ name: "c", cluster: { server: main.server, "certificate-authority-data": Buffer.from(caPem(main)).toString("base64") } }],
        users: [
          { name: "ok", user: user("ok.mjs") },
          { name: "bad", user: user("bad.mjs") },
        ],
        contexts: [
          { name: "ok", context: { cluster: "c", user: "ok" } },
          { name: "bad", context: { cluster: "c", user: "bad" } },
        ],
      };
      const path = join(d, "kubeconfig");
      writeFileSync(path, JSON.stringify(config));
      const ok = await unimesh(["discover", "--context", "ok", "-n", ns], { kubeconfig: path });
      expect(ok.code).toBe(0);
      expect(
        loadModel([{ file: "-", text: ok.stdout }])
          .model.services.map((s) => s.name)
          .sort(),
      ).toEqual(["ratings", "reviews"]);
      const bad = await unimesh(["discover", "--context", "bad"], { kubeconfig: path });
      expect(bad.code).toBe(3);
      expect(bad.stderr).toContain('unimesh discover: bad: error: cannot get credentials for context "bad": login failed for token=<redacted> (<redacted>)');
      for (const r of [ok, bad]) {
        expect(r.stdout + r.stderr).not.toContain(token);
        expect(r.stdout + r.stderr).not.toContain("arg-secret-0123456789abcdef");
      }
    });
  });

  /** A kubeconfig (context `limited`) for a user with a client certificate and only these RBAC rules. */
  function limitedUser(info: ServerInfo, user: string, rules: Obj[]): string {
    const { certPem, keyPem } = userCertificate(info, user);
    roles.set(user, rules);
    const path = join(dir, `${user}.kubeconfig`);
    writeFileSync(
      path,
      kubeconfigWith(info, "limited", {
        "client-certificate-data": Buffer.from(certPem).toString("base64"),
        "client-key-data": Buffer.from(keyPem).toString("base64"),
      }),
    );
    return path;
  }
  const roles = new Map<string, Obj[]>();
  async function bindRole(c: TestCluster, user: string): Promise<void> {
    await c.applyAs("unimesh-test", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: user }, rules: roles.get(user) });
    await c.applyAs("unimesh-test", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: user },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: user },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    });
  }
});

/** A kubeconfig with one context `name` for the server of `info` (its CA) and this user. */
function kubeconfigWith(info: ServerInfo, name: string, user: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": name,
    clusters: [{ name: "c", cluster: { server: info.server, "certificate-authority-data": Buffer.from(caPem(info)).toString("base64") } }],
    users: [{ name: "u", user }],
    contexts: [{ name, context: { cluster: "c", user: "u" } }],
  });
}
