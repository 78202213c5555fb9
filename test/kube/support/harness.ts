/**
 * What the cluster tests run against: a {@link TestCluster} is a real API server ({@link liveCluster}: the
 * kube-apiservers of test/cluster/, or a cluster of your own) or the fake one ({@link fakeCluster}, kept
 * for request-order tests). Both are driven the same way: the test sets up a namespace with Services
 * and workloads, runs the CLI in-process against a kubeconfig, and reads objects back.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import yaml from "js-yaml";
import { run } from "../../../src/cli/main.js";
import type { CliIO } from "../../../src/cli/io.js";
import { KubeClient } from "../../../src/kube/client.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import { Kubeconfig } from "../../../src/kube/kubeconfig.js";
import { FakeApiServer, closedPort, kubeconfigYaml } from "./fake-apiserver.js";

export const CRD_ROOT = join(import.meta.dirname, "../../crds");

// Test data: plain Kubernetes objects of any shape.
type Obj = any;

/** A cluster the scenarios can use. */
export interface TestCluster {
  /** Mesh the cluster runs (the scenarios' policies are translated for it). */
  mesh: "istio" | "linkerd";
  /** kubeconfig file and the context of this cluster. */
  kubeconfig: string;
  context: string;
  /** Strings that must never appear in any output (tokens). */
  secrets: string[];
  /** Creates `ns` with Services reviews and ratings (port 9080 `http`), and pods: reviews v1/v2 (sa bookinfo-reviews), ratings v1. */
  setupNamespace(ns: string): Promise<void>;
  get(apiVersion: string, kind: string, ns: string | undefined, name: string): Promise<Obj | undefined>;
  /** Server-side apply as another field manager (creates or takes fields). */
  applyAs(manager: string, obj: Obj): Promise<void>;
  /** Deletes what setupNamespace made. */
  cleanup(ns: string): Promise<void>;
  /** Writes seen by the server (fake only; undefined for real clusters). */
  writes?(): { method: string; path: string }[];
}

/** Result of one CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `unimesh ...argv` in-process with this kubeconfig (and nothing else from the environment). */
export async function unimesh(argv: string[], opts: { kubeconfig?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readStdin: () => {
      throw new Error("unexpected stdin read");
    },
    env: { ...(opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : {}), HOME: tmpdir(), ...opts.env },
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

const scratchDirs: string[] = [];

/** A fresh temporary directory with these files. */
export function scratch(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-kube-"));
  scratchDirs.push(dir);
  for (const [p, text] of Object.entries(files)) writeFileSync(join(dir, p), text);
  return dir;
}

/** Removes the scratch directories (call in afterAll). */
export function removeScratch(): void {
  for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * The scenarios' policies in namespace `ns`. `variant`: `base` (reviews 90/10, ratings retries, access
 * to reviews), `shifted` (reviews 50/50), `fewer` (ratings' policy removed).
 */
export function policies(ns: string, variant: "base" | "shifted" | "fewer" = "base"): string {
  const [w1, w2] = variant === "shifted" ? [50, 50] : [90, 10];
  const docs: Obj[] = [
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "MeshService",
      metadata: { name: "reviews", namespace: ns },
      spec: {
        selector: { app: "reviews" },
        serviceAccount: "bookinfo-reviews",
        ports: [{ port: 9080, name: "http", protocol: "http" }],
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      },
    },
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "MeshService",
      metadata: { name: "ratings", namespace: ns },
      spec: { serviceAccount: "bookinfo-ratings", ports: [{ port: 9080, name: "http", protocol: "http" }] },
    },
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "TrafficPolicy",
      metadata: { name: "reviews-canary", namespace: ns },
      spec: {
        destination: { service: "reviews", port: 9080 },
        routes: [
          {
            split: [
              { subset: { version: "v1" }, weight: w1 },
              { subset: { version: "v2" }, weight: w2 },
            ],
          },
        ],
        timeout: "3s",
      },
    },
    {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name: "reviews-callers", namespace: ns },
      spec: { destination: { service: "reviews" }, allow: [{ source: { serviceAccounts: ["bookinfo-productpage"] } }] },
    },
  ];
  if (variant !== "fewer")
    docs.push({
      apiVersion: "unimesh.io/v1alpha1",
      kind: "TrafficPolicy",
      metadata: { name: "ratings-retries", namespace: ns },
      spec: { destination: { service: "ratings", port: 9080 }, timeout: "2s", retries: { attempts: 3 } },
    });
  return docs.map((d) => "---\n" + yaml.dump(d)).join("");
}

/** Services and pods of the scenarios, as plain objects. */
export function workloads(ns: string): { services: Obj[]; pods: Obj[]; serviceAccounts: Obj[] } {
  const svc = (name: string, extra: Obj = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: "http", port: 9080, targetPort: 9080, protocol: "TCP" }], ...extra },
  });
  const pod = (app: string, version: string, sa: string, i = 0) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${app}-${version}-${i}`, namespace: ns, labels: { app, version } },
    spec: { serviceAccountName: sa, containers: [{ name: app, image: "registry.k8s.io/pause:3.10", ports: [{ name: "http", containerPort: 9080 }] }] },
    status: { phase: "Running" },
  });
  return {
    services: [
      svc("reviews"),
      svc("ratings"),
      { apiVersion: "v1", kind: "Service", metadata: { name: "external-db", namespace: ns }, spec: { type: "ExternalName", externalName: "db.example.com" } },
    ],
    pods: [pod("reviews", "v1", "bookinfo-reviews"), pod("reviews", "v2", "bookinfo-reviews"), pod("ratings", "v1", "bookinfo-ratings")],
    serviceAccounts: ["bookinfo-reviews", "bookinfo-ratings"].map((name) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } })),
  };
}

// ------------------------------------------------------------------------------ the fake cluster

/** Options of {@link fakeCluster}. */
export interface FakeClusterOptions {
  mesh?: "istio" | "linkerd";
  /** Install no CRD at all (missing-CRD scenarios). */
  noCrds?: boolean;
  context?: string;
}

/**
 * Control-plane Deployments as the meshes' installers create them: istiod (istioctl / the istiod Helm
 * chart: labels `app=istiod`, `istio.io/rev`, container `discovery` running `pilot:<version>`), Linkerd's
 * destination, identity and proxy-injector (label `linkerd.io/control-plane-component`, a `linkerd-proxy`
 * sidecar and the controller image tagged with the release), and the App Mesh controller (the
 * eks/appmesh-controller Helm chart: `app.kubernetes.io/name=appmesh-controller`, image tag `v<version>`).
 */
export function controlPlane(mesh: "istio" | "linkerd" | "appmesh" | "kuma", version: string): Obj[] {
  if (mesh === "kuma") {
    // As the kuma Helm chart installs it (deployments/charts/kuma/templates/cp-deployment.yaml).
    const labels = { app: "kuma-control-plane", "app.kubernetes.io/name": "kuma", "app.kubernetes.io/instance": "kuma" };
    return [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "kuma-control-plane", namespace: "kuma-system", labels },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: "kuma-control-plane",
              containers: [{ name: "control-plane", image: `docker.io/kumahq/kuma-cp:${version}`, ports: [{ containerPort: 5681 }, { containerPort: 5678 }] }],
            },
          },
        },
      },
    ];
  }
  if (mesh === "istio") {
    return [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "istiod",
          namespace: "istio-system",
          labels: { app: "istiod", "istio.io/rev": "default", istio: "pilot", "app.kubernetes.io/version": version },
        },
        spec: {
          selector: { matchLabels: { app: "istiod" } },
          template: {
            metadata: { labels: { app: "istiod" } },
            spec: {
              serviceAccountName: "istiod",
              containers: [{ name: "discovery", image: `docker.io/istio/pilot:${version}`, ports: [{ containerPort: 15010 }, { containerPort: 15017 }] }],
            },
          },
        },
      },
    ];
  }
  if (mesh === "appmesh") {
    return [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: "appmesh-controller",
          namespace: "appmesh-system",
          labels: { "app.kubernetes.io/name": "appmesh-controller", "app.kubernetes.io/instance": "appmesh-controller" },
        },
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": "appmesh-controller", "app.kubernetes.io/instance": "appmesh-controller" } },
          template: {
            metadata: { labels: { "app.kubernetes.io/name": "appmesh-controller", "app.kubernetes.io/instance": "appmesh-controller" } },
            spec: {
              serviceAccountName: "appmesh-controller",
              containers: [{ name: "controller", image: `602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/appmesh-controller:v${version}` }],
            },
          },
        },
      },
    ];
  }
  return ["destination", "identity", "proxy-injector"].map((c) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: `linkerd-${c}`,
      namespace: "linkerd",
      labels: { "linkerd.io/control-plane-component": c, "linkerd.io/control-plane-ns": "linkerd" },
      annotations: { "linkerd.io/created-by": `linkerd/cli ${version}` },
    },
    spec: {
      selector: { matchLabels: { "linkerd.io/control-plane-component": c } },
      template: {
        metadata: { labels: { "linkerd.io/control-plane-component": c }, annotations: { "linkerd.io/proxy-version": version } },
        spec: {
          containers: [
            { name: "linkerd-proxy", image: `cr.l5d.io/linkerd/proxy:${version}` },
            { name: c === "proxy-injector" ? "proxy-injector" : c, image: `cr.l5d.io/linkerd/controller:${version}` },
          ],
        },
      },
    },
  }));
}

/** A fake cluster running Istio 1.30.3 (CRDs and istiod) or Linkerd edge-26.8.3 (CRDs and control plane). */
export async function fakeCluster(opts: FakeClusterOptions = {}): Promise<TestCluster & { server: FakeApiServer; dir: string }> {
  const mesh = opts.mesh ?? "istio";
  const crds = opts.noCrds ? [] : mesh === "istio" ? [join(CRD_ROOT, "istio/1.30.3")] : [join(CRD_ROOT, "linkerd/edge-26.8.3")];
  const server = await FakeApiServer.start({ crds, namespaces: ["default", mesh === "istio" ? "istio-system" : "linkerd", "kube-system"] });
  if (!opts.noCrds) for (const d of controlPlane(mesh, mesh === "istio" ? "1.30.3" : "edge-26.8.3")) server.seed(d);
  server.seed({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: { selector: { "k8s-app": "kube-dns" }, ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
  });
  const context = opts.context ?? `kind-${mesh}`;
  const dir = scratch();
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kubeconfigYaml([{ name: context, server: server.url, caPem: server.certPem, token: server.token }]));
  return {
    server,
    dir,
    mesh,
    kubeconfig,
    context,
    secrets: [server.token],
    async setupNamespace(ns) {
      server.seed({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      const w = workloads(ns);
      for (const o of [...w.serviceAccounts, ...w.services, ...w.pods]) server.seed(o);
    },
    async get(apiVersion, kind, ns, name) {
      return server.get(apiVersion, kind, ns, name);
    },
    async applyAs(manager, obj) {
      server.applyAs(manager, obj, { force: true });
    },
    async cleanup() {},
    writes: () => server.writes(),
  };
}

/**
 * A KUBECONFIG path list: the cluster's kubeconfig, then a file with contexts whose API server is a
 * closed 127.0.0.1 port (their tokens are `unreachable-secret-<name>`).
 */
export async function withUnreachable(kubeconfig: string, names: string[]): Promise<string> {
  const contexts = [];
  for (const n of names) contexts.push({ name: n, server: `https://127.0.0.1:${await closedPort()}`, token: `unreachable-secret-${n}-0123456789` });
  const path = join(scratch(), "unreachable-kubeconfig");
  writeFileSync(path, kubeconfigYaml(contexts, names[0]));
  return `${kubeconfig}${delimiter}${path}`;
}

// ------------------------------------------------------------------------------ a real cluster

/**
 * A {@link TestCluster} for a real API server: context `context` of the kubeconfig file `kubeconfig`,
 * running (the CRDs of) `mesh`. The scenarios' namespaces are created with server-side apply (field
 * manager `unimesh-test`), pods included: a real cluster without kubelet (test/cluster/support/servers.ts)
 * never runs them, which discovery does not need.
 */
export async function liveCluster(kubeconfig: string, context: string, mesh: "istio" | "linkerd"): Promise<TestCluster> {
  const kc = await Kubeconfig.load({ kubeconfig, env: {}, cwd: "/" });
  const [ref] = kc.select({ contexts: [context] });
  const client = KubeClient.forContext(kc, ref, { timeoutMs: 30_000 });
  const pathOf = async (apiVersion: string, kind: string, ns: string | undefined, name?: string) => {
    const res = await client.resourceFor(apiVersion, kind);
    if (!res) throw new Error(`${apiVersion} ${kind} is not served`);
    return KubeClient.path(res, ns, name);
  };
  const ssa = async (manager: string, obj: Obj) => {
    await client.request("PATCH", await pathOf(obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name), {
      query: { fieldManager: manager, force: true },
      body: obj,
      contentType: "application/apply-patch+yaml",
    });
  };
  return {
    mesh,
    kubeconfig,
    context,
    secrets: kc.secrets(),
    async setupNamespace(ns) {
      await ssa("unimesh-test", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      const w = workloads(ns);
      for (const o of [...w.serviceAccounts, ...w.services]) await ssa("unimesh-test", o);
      for (const p of w.pods) {
        const { status: _s, ...pod } = p;
        await ssa("unimesh-test", pod);
      }
    },
    async get(apiVersion, kind, ns, name) {
      try {
        return await client.get(await pathOf(apiVersion, kind, ns, name));
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    applyAs: ssa,
    async cleanup(ns) {
      // Without a controller-manager the namespace stays Terminating, its objects with it: names are random.
      await client.request("DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined);
    },
  };
}
