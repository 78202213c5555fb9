/**
 * Real Kubernetes API servers for the cluster tests (the `cluster` project of vitest.config.ts; `npm test`
 * and `npm run test:cluster` run it). Each server is an unmodified kube-apiserver v1.32 with etcd on
 * loopback, started by `../shared/kube/kube-up.sh` (see its README): real discovery, OpenAPI/CRD structural
 * schemas, CEL rules, server-side apply with managedFields and conflicts, dry runs, RBAC. No
 * controller-manager, scheduler or kubelet: Deployments create no Pods (tests create Pods themselves) and a
 * deleted namespace stays `Terminating`, so every test works in namespaces of its own.
 *
 * The global setup (test/cluster/global-setup.ts) starts {@link SERVERS} in the background while the other
 * tests run; a test file waits for the one it needs with {@link server}. Ports: each server gets three free
 * loopback ports below Linux's ephemeral range (32768+, where `listen(0)` of other tests lands), chosen by
 * the one process that starts them all, so parallel test files never race for them; a start that still
 * fails on a taken port is retried on new ports. They run at a lower CPU priority (`nice -n 10`), so the
 * unit tests that run meanwhile (some measure time) are not slowed down by them.
 *
 * Where the machine cannot run them (not Linux/x86-64, no `../shared/kube`, neither etcd/openssl/curl nor
 * root with apt-get to install them), the cluster tests are skipped with one line saying why; with `CI`
 * set (`.ci/run`) or `UNIMESH_CLUSTER_TESTS=1` they are required and the run fails instead.
 * `UNIMESH_CLUSTER_TESTS=0` skips them (outside CI). `UNIMESH_KUBE_DIR` points at another copy of the
 * scripts.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { KubeClient } from "../../../src/kube/client.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import { Kubeconfig } from "../../../src/kube/kubeconfig.js";

// Test data: plain Kubernetes objects of any shape.
type Obj = any;

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** `test/crds/`: the vendored upstream CRDs. */
export const CRD_ROOT = join(ROOT, "test/crds");

/**
 * The servers every cluster run starts, and the CRD sets (folders of `test/crds/`) installed on each
 * before tests get it:
 * - `main`: Istio 1.30, Linkerd edge-26.8.3 (with the Gateway API CRDs it bundles), App Mesh 1.13 and Kuma 2.14, the
 *   versions the adapters target by default, and their control planes ({@link MAIN_CONTROL_PLANES}):
 *   cluster scenarios, discover, patches;
 * - `goldens`: none; the golden dry-run test installs each target's CRD sets in turn;
 * - `spare`: none (missing CRDs, a mesh of another release), then stopped: the unreachable context of a
 *   kubeconfig with two;
 * - `west` and `east`: the two member clusters of examples/multicluster's virtual mesh, each with ONLY its
 *   member's mesh (west: Istio 1.30 and istiod; east: Linkerd edge-26.8.3, its bundled Gateway API CRDs
 *   and its control plane), so an object of the other mesh could not even be created there.
 */
export const SERVERS = {
  main: ["istio/1.30.3", "linkerd/edge-26.8.3", "aws-app-mesh/v1.13.3", "kuma/v2.14.3"],
  goldens: [],
  spare: [],
  west: ["istio/1.30.3"],
  east: ["linkerd/edge-26.8.3"],
} as const satisfies Record<string, readonly string[]>;

export type ServerName = keyof typeof SERVERS;

/** The control planes the `main` server runs (Deployments only: no kubelet runs them), as `[mesh, version]`. */
export const MAIN_CONTROL_PLANES = [
  ["istio", "1.30.3"],
  ["linkerd", "edge-26.8.3"],
  ["appmesh", "1.13.3"],
  ["kuma", "2.14.3"],
] as const;

/** The control planes each server runs once it is up (Deployments only), as `[mesh, version]`. */
export const CONTROL_PLANES: Record<ServerName, readonly (readonly ["istio" | "linkerd" | "appmesh" | "kuma", string])[]> = {
  main: MAIN_CONTROL_PLANES,
  goldens: [],
  spare: [],
  west: [["istio", "1.30.3"]],
  east: [["linkerd", "edge-26.8.3"]],
};

/** What the global setup hands to the test files (`inject("unimeshCluster")`). */
export interface ClusterRun {
  /** Where each server's kubeconfig and status file are. */
  runDir: string;
  /** Set when the cluster tests are skipped: why. */
  skip?: string;
}

declare module "vitest" {
  interface ProvidedContext {
    unimeshCluster: ClusterRun;
  }
}

/** A started server. */
export interface ServerInfo {
  name: ServerName;
  /** Admin kubeconfig (context `kube-local`: client certificate in system:masters; `kube-local-token`: bearer token). */
  kubeconfig: string;
  context: "kube-local";
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** kube-up's state directory (certificates, logs, pid files). */
  stateDir: string;
}

/** True when the cluster tests must run (CI): a machine that cannot run them fails instead of skipping. */
export function clusterTestsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI ?? "";
  return (ci !== "" && ci !== "0" && ci !== "false") || env.UNIMESH_CLUSTER_TESTS === "1";
}

/** Directory of kube-up.sh / kube-down.sh: `UNIMESH_KUBE_DIR`, else `../shared/kube` beside the project. */
export function kubeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UNIMESH_KUBE_DIR || join(ROOT, "../shared/kube");
}

const onPath = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

/** What {@link unavailable} looks at on this machine (a test gives another machine's). */
export interface Machine {
  platform: string;
  arch: string;
  /** Whether a command is on the PATH. */
  onPath(cmd: string): boolean;
  /** The user id (0: root, who may apt-get install). */
  uid: number | undefined;
}

const THIS_MACHINE: Machine = { platform: process.platform, arch: process.arch, onPath, uid: process.getuid?.() };

/** Why this machine cannot start the servers, or undefined when it can. */
export function unavailable(env: NodeJS.ProcessEnv = process.env, machine: Machine = THIS_MACHINE): string | undefined {
  if (env.UNIMESH_CLUSTER_TESTS === "0" && !clusterTestsRequired(env)) return "UNIMESH_CLUSTER_TESTS=0";
  if (machine.platform !== "linux" || machine.arch !== "x64") return `the kube-apiserver binary is linux/amd64 and this is ${machine.platform}/${machine.arch}`;
  const dir = kubeDir(env);
  if (!existsSync(join(dir, "kube-up.sh")))
    return `no ${join(dir, "kube-up.sh")} (the real kube-apiserver and its scripts: ../shared/kube beside the project, or UNIMESH_KUBE_DIR)`;
  const missing = ["etcd", "openssl", "curl"].filter((c) => !machine.onPath(c));
  if (missing.length && machine.uid !== 0) return `${missing.join(", ")} not installed, and installing them (kube-up.sh uses apt-get) needs root`;
  if (missing.length && !machine.onPath("apt-get")) return `${missing.join(", ")} not installed, and there is no apt-get to install them`;
  return undefined;
}

/** True when kube-up.sh will have to apt-get install its tools first (then servers start one after the other). */
export function toolsMissing(): boolean {
  return ["etcd", "openssl", "curl"].some((c) => !onPath(c));
}

// ------------------------------------------------------------------------------ starting and stopping

/** `n` distinct free loopback ports in [20000, 32000) (below the ephemeral range), none of them in `avoid`. */
export async function freePorts(n: number, avoid: ReadonlySet<number> = new Set()): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 2000; tries++) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if (avoid.has(p) || out.includes(p)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) out.push(p);
  }
  if (out.length < n) throw new Error("no free loopback ports in 20000-31999");
  return out;
}

/**
 * Runs a script, its stdout and stderr appended to `log`; rejects with the log's tail when it fails.
 * `nice`: at a lower CPU priority, inherited by what it starts (etcd and kube-apiserver start while the
 * unit tests run, some of which measure time: they get the CPU first).
 */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, log: string, nice = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(log, "a");
    const [cmd, ...rest] = nice && onPath("nice") ? ["nice", "-n", "10", "bash", script, ...args] : ["bash", script, ...args];
    const child = spawn(cmd, rest, { env, stdio: ["ignore", fd, fd] });
    child.on("error", (e) => {
      closeSync(fd);
      reject(e);
    });
    child.on("exit", (code) => {
      closeSync(fd);
      if (code === 0) return resolve();
      const tail = readFileSync(log, "utf8").trim().split("\n").slice(-15).join("\n");
      reject(new Error(`${script} ${args.join(" ")} exited with ${code}:\n${tail}`));
    });
  });
}

/**
 * Starts one server with kube-up.sh (retried up to 3 times on new ports) and a watchdog that stops it
 * if this process dies without tearing down. Returns the server and the watchdog's pid.
 */
export async function startServer(
  name: ServerName,
  runDir: string,
  ports: number[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerInfo & { watchdog?: number }> {
  const dir = join(runDir, name);
  mkdirSync(dir, { recursive: true });
  const kubeconfig = join(dir, "kubeconfig");
  const log = join(dir, "kube-up.log");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [api, etcdClient, etcdPeer] = attempt === 0 ? ports : await freePorts(3);
    try {
      await runScript(
        join(kubeDir(env), "kube-up.sh"),
        [kubeconfig],
        {
          ...env,
          API_PORT: String(api),
          ETCD_CLIENT_PORT: String(etcdClient),
          ETCD_PEER_PORT: String(etcdPeer),
          KUBE_STATE_DIR: "",
        },
        log,
        true,
      );
      const stateDir = readFileSync(`${kubeconfig}.state-dir`, "utf8").trim();
      // Stops the server when the test run dies without its teardown (killed, crashed), and removes the
      // run's directory (kubeconfigs, logs) that the teardown would have removed.
      const watchdog = spawn(
        "bash",
        [
          "-c",
          'while kill -0 "$1" 2>/dev/null; do sleep 3; done; bash "$2" "$3"; rm -rf "$4"',
          "watchdog",
          String(process.pid),
          join(kubeDir(env), "kube-down.sh"),
          stateDir,
          runDir,
        ],
        {
          detached: true,
          stdio: "ignore",
        },
      );
      watchdog.unref();
      return { name, kubeconfig, context: "kube-local", server: `https://127.0.0.1:${api}`, stateDir, watchdog: watchdog.pid };
    } catch (e) {
      lastError = e;
      // A state dir of a failed start is stopped and removed before the next attempt.
      if (existsSync(`${kubeconfig}.state-dir`)) await stopServer(kubeconfig, env).catch(() => undefined);
      if (!/already in use|exited|not ready/.test(String((e as Error).message))) break;
    }
  }
  throw lastError;
}

/** Stops a server started by {@link startServer} (kube-down.sh: only its own pids; removes its state dir). */
export async function stopServer(kubeconfig: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!existsSync(`${kubeconfig}.state-dir`)) return;
  await runScript(join(kubeDir(env), "kube-down.sh"), [kubeconfig], env, `${kubeconfig}.down.log`);
}

// ------------------------------------------------------------------------------ status files

/** Written by the global setup when a server is ready (or failed to start). */
type Status = { ok: true; info: ServerInfo } | { ok: false; error: string };

export function writeStatus(runDir: string, name: ServerName, status: Status): void {
  writeFileSync(join(runDir, `${name}.status.json`), JSON.stringify(status));
}

/**
 * The server `name` once it is ready (with its CRD sets installed). Waits for the global setup.
 * @throws when it could not be started.
 */
export async function server(run: ClusterRun, name: ServerName, timeoutMs = 240_000): Promise<ServerInfo> {
  const file = join(run.runDir, `${name}.status.json`);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`API server ${name} not ready after ${timeoutMs / 1000}s (see ${join(run.runDir, name, "kube-up.log")})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const status = JSON.parse(readFileSync(file, "utf8")) as Status;
  if (!status.ok) throw new Error(`API server ${name} could not be started: ${status.error}`);
  return status.info;
}

// ------------------------------------------------------------------------------ talking to a server

/** A client for the admin context of a kubeconfig (the test's own requests: setup and checks). */
export async function adminClient(kubeconfig: string): Promise<KubeClient> {
  const kc = await Kubeconfig.load({ kubeconfig, env: {}, cwd: "/" });
  return KubeClient.forContext(kc, kc.select({})[0], { timeoutMs: 30_000 });
}

/** API path of an object (its kind must be served). */
export async function pathOf(client: KubeClient, apiVersion: string, kind: string, ns: string | undefined, name?: string): Promise<string> {
  const res = await client.resourceFor(apiVersion, kind);
  if (!res) throw new Error(`${apiVersion} ${kind} is not served`);
  return KubeClient.path(res, ns, name);
}

/** Server-side apply as `manager`, forcing (test setup: creates or takes the fields). */
export async function applyAs(client: KubeClient, manager: string, obj: Obj): Promise<Obj> {
  const path = await pathOf(client, obj.apiVersion, obj.kind, obj.metadata.namespace, obj.metadata.name);
  return (await client.request("PATCH", path, { query: { fieldManager: manager, force: true }, body: obj, contentType: "application/apply-patch+yaml" })).body;
}

/** The live object, or undefined. */
export async function getObject(client: KubeClient, apiVersion: string, kind: string, ns: string | undefined, name: string): Promise<Obj | undefined> {
  try {
    return await client.get(await pathOf(client, apiVersion, kind, ns, name));
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** Every `*.yaml` file under `dir`, sorted. */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });
}

/** The CustomResourceDefinitions of CRD sets (folders of test/crds/). */
export function crdsOf(sets: readonly string[]): Obj[] {
  return sets.flatMap((set) =>
    yamlFiles(join(CRD_ROOT, set)).flatMap((f) => (yaml.loadAll(readFileSync(f, "utf8")) as Obj[]).filter((d) => d?.kind === "CustomResourceDefinition")),
  );
}

/** Polls `check` every 200 ms until it returns true. @throws after `timeoutMs` with `what`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Installs CRDs by server-side apply (field manager `unimesh-test`) and waits until every one is
 * `Established` and its kinds are in API discovery.
 */
export async function installCrds(client: KubeClient, crds: readonly Obj[]): Promise<void> {
  const path = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  for (const crd of crds) {
    await client.request("PATCH", path(crd.metadata.name), {
      query: { fieldManager: "unimesh-test", force: true },
      body: crd,
      contentType: "application/apply-patch+yaml",
    });
  }
  await until(`${crds.length} CRDs to be Established`, async () => {
    const live = await Promise.all(crds.map((c) => client.get(path(c.metadata.name))));
    return live.every((c: Obj) => (c.status?.conditions ?? []).some((x: Obj) => x.type === "Established" && x.status === "True"));
  });
  // Discovery (what preflight and prune read) follows a moment later.
  await until("the new kinds in API discovery", async () => {
    for (const crd of crds) {
      const v = crd.spec.versions.find((x: Obj) => x.served)?.name;
      const list = await client.getOptional(`/apis/${crd.spec.group}/${v}`);
      if (!list?.resources?.some((r: Obj) => r.kind === crd.spec.names.kind)) return false;
    }
    return true;
  });
}

/** Deletes CRDs and waits until they are gone (their objects with them). */
export async function deleteCrds(client: KubeClient, names: readonly string[]): Promise<void> {
  for (const n of names)
    await client.request("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`).catch((e) => {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    });
  await until(
    `${names.length} CRDs to be deleted`,
    async () => (await Promise.all(names.map((n) => client.getOptional(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`)))).every((x) => !x),
    120_000,
  );
}

/** Creates a namespace (server-side apply) unless it exists. */
export async function ensureNamespace(client: KubeClient, ns: string, manager = "unimesh-test"): Promise<void> {
  if (!(await client.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`))) {
    await applyAs(client, manager, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
}

/**
 * A kubeconfig with one context per server, named as given (`{east: main, west: spare}`), each with the
 * server's admin client certificate. Written next to the servers' own.
 */
export function combinedKubeconfig(run: ClusterRun, file: string, contexts: Record<string, ServerInfo>, current = Object.keys(contexts)[0]): string {
  const out: Obj = { apiVersion: "v1", kind: "Config", "current-context": current, clusters: [], users: [], contexts: [] };
  for (const [name, info] of Object.entries(contexts)) {
    const kc = yaml.load(readFileSync(info.kubeconfig, "utf8")) as Obj;
    out.clusters.push({ name: `${name}-cluster`, cluster: kc.clusters.find((c: Obj) => c.name === "kube-local").cluster });
    out.users.push({ name: `${name}-user`, user: kc.users.find((u: Obj) => u.name === "admin").user });
    out.contexts.push({ name, context: { cluster: `${name}-cluster`, user: `${name}-user` } });
  }
  const path = join(run.runDir, file);
  writeFileSync(path, yaml.dump(out), { mode: 0o600 });
  return path;
}

/** The admin bearer token of a server (for kubeconfigs the tests write: exec plugins, tokens). */
export function adminToken(info: ServerInfo): string {
  return readFileSync(join(info.stateDir, "pki/admin.token"), "utf8").trim();
}

/** The server's CA certificate (PEM). */
export function caPem(info: ServerInfo): string {
  return readFileSync(join(info.stateDir, "pki/ca.crt"), "utf8");
}

/**
 * A client certificate for `user` (groups: `O=`), signed by the server's CA with openssl (kube-up.sh
 * installed it): a user RBAC knows nothing about until a test binds it a role.
 */
export function userCertificate(info: ServerInfo, user: string): { certPem: string; keyPem: string } {
  const dir = join(info.stateDir, "pki", `user-${user}`);
  mkdirSync(dir, { recursive: true });
  const pki = join(info.stateDir, "pki");
  const sh = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  writeFileSync(
    join(dir, "ext.cnf"),
    "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = clientAuth\n",
  );
  sh(["genrsa", "-out", "user.key", "2048"]);
  sh(["req", "-new", "-key", "user.key", "-subj", `/CN=${user}`, "-out", "user.csr"]);
  sh([
    "x509",
    "-req",
    "-in",
    "user.csr",
    "-CA",
    join(pki, "ca.crt"),
    "-CAkey",
    join(pki, "ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-sha256",
    "-extfile",
    "ext.cnf",
    "-out",
    "user.crt",
  ]);
  return { certPem: readFileSync(join(dir, "user.crt"), "utf8"), keyPem: readFileSync(join(dir, "user.key"), "utf8") };
}
