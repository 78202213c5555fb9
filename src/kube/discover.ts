/**
 * `discover`: what a cluster runs, as unimesh documents.
 *
 * - One `ClusterInfo` per cluster: the kubeconfig context, the API server URL (no credentials), the
 *   Kubernetes version, and the meshes installed with their version and the evidence it was read from,
 *   as the adapters' cluster hooks detect them (`Adapter.cluster.detect`, from the cluster's CRDs and the
 *   Deployments their `controlPlane` selectors name; e.g. src/adapters/istio/cluster.ts).
 * - One `MeshService` per Service with a selector: its selector, ports (protocol from `appProtocol`
 *   or the port name prefix, Istio's protocol selection), the service account its pods run as, and
 *   subsets from the pods' `version` label.
 *
 * The pure functions ({@link detectMeshes}, {@link meshServiceOf}) take plain API objects, so they
 * are tested without a server; {@link discoverCluster} lists them from one. Which meshes exist is the
 * adapters' knowledge: every function that needs it takes them (`meshes`).
 */
import type { Adapter } from "../api/adapter.js";
import { type CrdObject, type DeploymentObject, type MeshFinding, compareVersionsDesc, deploymentName, imageTag } from "../api/cluster.js";
import type { ClusterInfo, MeshService, ServicePort } from "../api/generated/model.js";
import { dnsLabel } from "../api/names.js";
import { dumpYaml } from "../api/emit.js";
import type { KubeClient } from "./client.js";
import { KubeApiError } from "./errors.js";

// ------------------------------------------------------------------------------ API object shapes

export type { CrdObject, DeploymentObject, MeshFinding };
export { compareVersionsDesc, imageTag };

/** What discovery reads of an adapter: its name and cluster hooks. */
export type DiscoveryMesh = Pick<Adapter, "name" | "cluster">;

/** The fields of a `Service` that discovery reads. */
export interface ServiceObject {
  metadata: { name: string; namespace?: string };
  spec?: {
    type?: string;
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }[];
  };
}

/** The fields of a `Pod` that discovery reads. */
export interface PodObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: {
    serviceAccountName?: string;
    serviceAccount?: string;
    containers?: { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[];
  };
  status?: { phase?: string };
}

// ------------------------------------------------------------------------------ meshes

/**
 * Which meshes are installed, and at which version, from the cluster's CRDs and control-plane
 * Deployments: what each adapter's `cluster.detect` finds, in the order of `meshes` (several istiod
 * revisions give several `istio` entries, newest first).
 */
export function detectMeshes(crds: readonly CrdObject[], deployments: readonly DeploymentObject[], meshes: readonly DiscoveryMesh[]): MeshFinding[] {
  return meshes.flatMap((m) => m.cluster?.detect?.(crds, deployments) ?? []);
}

// ------------------------------------------------------------------------------ services

/** A MeshService document and what the reader should know about how it was derived. */
export interface DiscoveredService {
  doc: MeshService;
  /** Remarks written as YAML comments above the document (and as warnings). */
  notes: string[];
}

/**
 * Protocol of a Service port, following Istio's protocol selection: `appProtocol` first, else the
 * port name `<protocol>[-<suffix>]`. Mapped to the model's protocols: `http`, `http2` (also
 * `kubernetes.io/h2c`), `grpc`, and `tcp` for everything the mesh treats as opaque bytes (`tcp`,
 * `tls`, `https`, `mongo`, `mysql`, `redis`). `grpc-web` and WebSocket are HTTP/1.1. Undefined when
 * neither says (meshes detect the protocol; the model's default, http, applies).
 * @see https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
 */
export function protocolOf(appProtocol: string | undefined, name: string | undefined): ServicePort["protocol"] | undefined {
  const map = (p: string): ServicePort["protocol"] | undefined => {
    switch (p.toLowerCase()) {
      case "http":
      case "http1":
      case "grpc-web":
      case "kubernetes.io/ws":
      case "kubernetes.io/wss":
        return "http";
      case "http2":
      case "h2c":
      case "kubernetes.io/h2c":
        return "http2";
      case "grpc":
        return "grpc";
      case "tcp":
      case "tls":
      case "https":
      case "mongo":
      case "mysql":
      case "redis":
        return "tcp";
      default:
        return undefined;
    }
  };
  if (appProtocol) {
    const p = map(appProtocol);
    if (p) return p;
  }
  if (name) {
    const lower = name.toLowerCase();
    for (const prefix of ["grpc-web", "http2", "http", "grpc", "tcp", "tls", "https", "mongo", "mysql", "redis"]) {
      if (lower === prefix || lower.startsWith(prefix + "-")) return map(prefix);
    }
  }
  return undefined;
}

/** True when every label of `selector` is on `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const naturalCmp = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

/**
 * The MeshService of one Service, from the Service and the pods of its namespace. Undefined for a
 * Service without selector (ExternalName, or endpoints managed by hand): its pods cannot be known.
 * @param context the kubeconfig context, written in the `unimesh.io/contexts` annotation.
 */
export function meshServiceOf(svc: ServiceObject, pods: readonly PodObject[], context: string): DiscoveredService | undefined {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0 || svc.spec?.type === "ExternalName") return undefined;
  const ns = svc.metadata.namespace ?? "default";
  const notes: string[] = [];
  const mine = pods.filter(
    (p) =>
      (p.metadata.namespace ?? "default") === ns &&
      !p.metadata.deletionTimestamp &&
      p.status?.phase !== "Succeeded" &&
      p.status?.phase !== "Failed" &&
      selects(selector, p.metadata.labels),
  );

  const ports: ServicePort[] = [];
  for (const p of svc.spec?.ports ?? []) {
    if (p.protocol && p.protocol !== "TCP") {
      notes.push(`port ${p.port}${p.name ? ` (${p.name})` : ""} is ${p.protocol}, which meshes do not route: left out`);
      continue;
    }
    const port: ServicePort = { port: p.port };
    if (p.name) port.name = p.name.slice(0, 15);
    let target: number | undefined;
    if (typeof p.targetPort === "number") target = p.targetPort;
    else if (typeof p.targetPort === "string" && /^\d+$/.test(p.targetPort)) target = Number(p.targetPort);
    else if (typeof p.targetPort === "string") {
      const found = new Set(
        mine.flatMap((pod) =>
          (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((cp) => cp.name === p.targetPort).map((cp) => cp.containerPort)),
        ),
      );
      if (found.size === 1) target = [...found][0];
      else
        notes.push(
          `port ${p.port}: targetPort "${p.targetPort}" ${found.size ? `is ${[...found].sort().join(" or ")} depending on the pod` : "names no container port of a running pod"}: targetPort left out`,
        );
    }
    if (target !== undefined && target !== p.port && target >= 1 && target <= 65535) port.targetPort = target;
    const protocol = protocolOf(p.appProtocol, p.name);
    if (protocol) port.protocol = protocol;
    ports.push(port);
  }

  let serviceAccount: string | undefined;
  const counts = new Map<string, number>();
  for (const p of mine) {
    const sa = p.spec?.serviceAccountName ?? p.spec?.serviceAccount ?? "default";
    counts.set(sa, (counts.get(sa) ?? 0) + 1);
  }
  if (counts.size) {
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || naturalCmp(a[0], b[0]));
    serviceAccount = ranked[0][0];
    if (ranked.length > 1) {
      notes.push(
        `its pods run as ${ranked.length} service accounts (${ranked.map(([sa, n]) => `${sa}: ${n} pod${n === 1 ? "" : "s"}`).join(", ")}); serviceAccount is ${serviceAccount}, the most common (ties: the first by name). Policies about callers of this Service see only that identity`,
      );
    }
  } else {
    notes.push("no running pod matches its selector: serviceAccount is left out (the convention, the Service's name, applies) and no subsets are listed");
  }

  const versions = [...new Set(mine.map((p) => p.metadata.labels?.version).filter((v): v is string => !!v))].sort(naturalCmp);
  const subsets = versions.map((v) => ({ name: dnsLabel(v), labels: { version: v } }));

  const spec: MeshService["spec"] = { selector: { ...selector } };
  if (serviceAccount) spec.serviceAccount = serviceAccount;
  if (ports.length) spec.ports = ports as [ServicePort, ...ServicePort[]];
  if (subsets.length) spec.subsets = subsets as unknown as NonNullable<MeshService["spec"]["subsets"]>;
  return {
    doc: {
      apiVersion: "unimesh.io/v1alpha1",
      kind: "MeshService",
      metadata: { name: svc.metadata.name, namespace: ns, annotations: { [CONTEXTS_ANNOTATION]: context } },
      spec,
    },
    notes,
  };
}

/** Annotation on discovered MeshServices: the kubeconfig context(s) the facts were read from (comma-separated). */
export const CONTEXTS_ANNOTATION = "unimesh.io/contexts";

// ------------------------------------------------------------------------------ a cluster

/** Options of {@link discoverCluster}. */
export interface DiscoverOptions {
  /** Only these namespaces (system namespaces given here are included). Default: every namespace. */
  namespaces?: readonly string[];
  /** Also describe Services of system namespaces (see {@link isSystemNamespace}). @default false */
  includeSystemNamespaces?: boolean;
  /** The adapters whose cluster hooks detect the meshes and name their system namespaces. */
  meshes: readonly DiscoveryMesh[];
}

/** What {@link discoverCluster} found in one cluster. */
export interface DiscoveredCluster {
  info: ClusterInfo;
  services: DiscoveredService[];
  /** Things the user should know (e.g. CRDs not readable), one sentence each. */
  warnings: string[];
  /** Services left out (no selector, system namespace), for the summary. */
  skipped: number;
}

/**
 * Namespaces of Kubernetes and of the meshes themselves, skipped unless asked for: `kube-*`,
 * `local-path-storage`, those of the adapters' `cluster.isSystemNamespace` (`istio-*`, `linkerd` and
 * `linkerd-*`, `appmesh-system`), plus `extra` (the namespaces where a mesh control plane was found).
 */
export function isSystemNamespace(ns: string, extra: ReadonlySet<string> = new Set(), meshes: readonly DiscoveryMesh[] = []): boolean {
  return extra.has(ns) || /^kube-/.test(ns) || ns === "local-path-storage" || meshes.some((m) => m.cluster?.isSystemNamespace?.(ns));
}

/** The ClusterInfo name of a context: a DNS-1123 form of its name (`kind-prod` → `kind-prod`, `arn:aws:...` → `arn-aws-...-<hash>`). */
export function clusterInfoName(context: string): string {
  return dnsLabel(context);
}

/** What the mesh detection read from a cluster (see {@link detectClusterMeshes}). */
export interface ClusterMeshes {
  meshes: MeshFinding[];
  crds: CrdObject[];
  deployments: DeploymentObject[];
  /** The DaemonSets of each adapter's `cluster.nodeAgents` selectors, by adapter name. */
  agents: Map<string, DeploymentObject[]>;
  warnings: string[];
}

/**
 * Lists the CRDs and the mesh control-plane Deployments of a cluster (the `cluster.controlPlane`
 * selectors of `meshes`) and detects its meshes. A list that is forbidden is a warning: detection then
 * uses what it could read.
 */
export async function detectClusterMeshes(client: KubeClient, meshes: readonly DiscoveryMesh[]): Promise<ClusterMeshes> {
  const warnings: string[] = [];
  const tolerate = async <T>(what: string, p: Promise<T[]>): Promise<T[]> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof KubeApiError && (e.status === 403 || e.status === 404)) {
        warnings.push(`cannot list ${what} (${e.status === 403 ? "forbidden" : "not served"}): mesh detection uses what else it can read`);
        return [];
      }
      throw e;
    }
  };
  const deploymentsPath = "/apis/apps/v1/deployments";
  const selectors = meshes.flatMap((m) => m.cluster?.controlPlane ?? []);
  const agentSelectors = meshes.flatMap((m) => (m.cluster?.nodeAgents ?? []).map((s) => ({ mesh: m.name, ...s })));
  const [crds, ...lists] = await Promise.all([
    tolerate<CrdObject>("CustomResourceDefinitions", client.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")),
    ...selectors.map((s) => tolerate<DeploymentObject>(s.what, client.list(deploymentsPath, { labelSelector: s.labelSelector }))),
    ...agentSelectors.map((s) => tolerate<DeploymentObject>(s.what, client.list("/apis/apps/v1/daemonsets", { labelSelector: s.labelSelector }))),
  ]);
  const deploymentLists = lists.slice(0, selectors.length) as DeploymentObject[][];
  const seen = new Set<string>();
  const deployments = deploymentLists.flat().filter((d) => !seen.has(deploymentName(d)) && !!seen.add(deploymentName(d)));
  const agents = new Map<string, DeploymentObject[]>();
  agentSelectors.forEach((s, i) => agents.set(s.mesh, [...(agents.get(s.mesh) ?? []), ...(lists[selectors.length + i] as DeploymentObject[])]));
  return { meshes: detectMeshes(crds as CrdObject[], deployments, meshes), crds: crds as CrdObject[], deployments, agents, warnings };
}

/** Reads the meshes and Services of one cluster. @throws KubeApiError / ClusterError when the cluster cannot be read. */
export async function discoverCluster(client: KubeClient, opts: DiscoverOptions): Promise<DiscoveredCluster> {
  const kubernetesVersion = await client.serverVersion();
  const { meshes, crds, deployments, agents, warnings } = await detectClusterMeshes(client, opts.meshes);

  // Control-plane namespaces count as system namespaces.
  const controlNs = new Set<string>(deployments.map((d) => d.metadata.namespace ?? "default"));
  for (const m of opts.meshes) for (const ns of m.cluster?.controlPlaneNamespaces?.(crds) ?? []) controlNs.add(ns);

  let services: ServiceObject[];
  let pods: PodObject[];
  if (opts.namespaces?.length) {
    const per = await Promise.all(
      opts.namespaces.map(async (ns) => {
        const e = encodeURIComponent(ns);
        return [await client.list<ServiceObject>(`/api/v1/namespaces/${e}/services`), await client.list<PodObject>(`/api/v1/namespaces/${e}/pods`)] as const;
      }),
    );
    services = per.flatMap((x) => x[0]);
    pods = per.flatMap((x) => x[1]);
  } else {
    [services, pods] = await Promise.all([client.list<ServiceObject>("/api/v1/services"), client.list<PodObject>("/api/v1/pods")]);
  }

  const out: DiscoveredService[] = [];
  let skipped = 0;
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? "default";
    if (!opts.namespaces?.length && !opts.includeSystemNamespaces && isSystemNamespace(ns, controlNs, opts.meshes)) {
      skipped++;
      continue;
    }
    const d = meshServiceOf(svc, pods, client.context.name);
    if (!d) {
      skipped++;
      continue;
    }
    out.push(d);
  }
  out.sort((a, b) => naturalCmp(a.doc.metadata.namespace ?? "", b.doc.metadata.namespace ?? "") || naturalCmp(a.doc.metadata.name, b.doc.metadata.name));

  const namespaces = await namespaceSettings(client, opts, meshes, agents, controlNs, warnings);
  const info: ClusterInfo = {
    apiVersion: "unimesh.io/v1alpha1",
    kind: "ClusterInfo",
    metadata: { name: clusterInfoName(client.context.name) },
    spec: { context: client.context.name, server: client.context.server, kubernetesVersion, meshes, ...(namespaces.length ? { namespaces } : {}) },
  };
  return { info, services: out, warnings, skipped };
}

/**
 * The namespaces (the asked ones, or every non-system one) whose installed mesh needs settings of its
 * own (the adapters' `cluster.namespaceSettings` hook, e.g. Istio ambient), sorted by name. Namespaces
 * that cannot be listed are a warning (no settings are read then).
 */
async function namespaceSettings(
  client: KubeClient,
  opts: DiscoverOptions,
  found: readonly MeshFinding[],
  agents: ReadonlyMap<string, DeploymentObject[]>,
  controlNs: ReadonlySet<string>,
  warnings: string[],
): Promise<NonNullable<ClusterInfo["spec"]["namespaces"]>> {
  const hooks = opts.meshes.filter((m) => m.cluster?.namespaceSettings && found.some((f) => f.name === m.name));
  if (!hooks.length) return [];
  let all: { metadata: { name: string; labels?: Record<string, string> } }[];
  try {
    all = await client.list("/api/v1/namespaces");
  } catch (e) {
    if (e instanceof KubeApiError && (e.status === 403 || e.status === 404)) {
      warnings.push(
        `cannot list Namespaces (${e.status === 403 ? "forbidden" : "not served"}): their mesh settings (e.g. Istio ambient mode) are not read; give --set yourself`,
      );
      return [];
    }
    throw e;
  }
  const wanted = (ns: string) =>
    opts.namespaces?.length ? opts.namespaces.includes(ns) : opts.includeSystemNamespaces || !isSystemNamespace(ns, controlNs, opts.meshes);
  const out: NonNullable<ClusterInfo["spec"]["namespaces"]> = [];
  for (const ns of all.filter((n) => wanted(n.metadata.name)).sort((a, b) => naturalCmp(a.metadata.name, b.metadata.name))) {
    for (const m of hooks) {
      const s = m.cluster!.namespaceSettings!({ name: ns.metadata.name, labels: ns.metadata.labels ?? {} }, agents.get(m.name) ?? []);
      if (s) out.push({ name: ns.metadata.name, mesh: m.name, settings: s.settings, evidence: s.evidence });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ output

/** One YAML document with comment lines above it. */
function docText(doc: unknown, comments: readonly string[] = []): string {
  return "---\n" + comments.map((c) => `# ${c}\n`).join("") + dumpYaml(doc);
}

function header(clusters: readonly DiscoveredCluster[]): string {
  const lines = clusters.map((c) => `# unimesh discover: context ${c.info.spec.context} (${c.info.spec.server}), Kubernetes ${c.info.spec.kubernetesVersion}`);
  lines.push("# Facts for `unimesh translate` / `apply` (with --mesh auto): give this file with your policies.");
  return lines.join("\n") + "\n";
}

/** The YAML stream of one cluster: its ClusterInfo, then its MeshServices (notes as comments). */
export function renderCluster(c: DiscoveredCluster): string {
  return (
    header([c]) +
    docText(c.info) +
    c.services
      .map((s) =>
        docText(
          s.doc,
          s.notes.map((n) => `${s.doc.metadata.namespace}/${s.doc.metadata.name}: ${n}`),
        ),
      )
      .join("")
  );
}

/**
 * One YAML stream for several clusters: every ClusterInfo, then the MeshServices. A Service found in
 * several clusters with the same facts is written once, its `unimesh.io/contexts` annotation listing
 * every context; when the facts differ, the first cluster's (in the order given) is kept and a
 * warning says so (write one file per cluster with `-o DIR` to keep them all). So the stream always
 * loads as one valid model (MeshService names are unique per namespace).
 */
export function renderClusters(clusters: readonly DiscoveredCluster[]): { text: string; warnings: string[] } {
  if (clusters.length === 1) return { text: renderCluster(clusters[0]), warnings: [] };
  const warnings: string[] = [];
  const merged = new Map<string, { svc: DiscoveredService; contexts: string[]; spec: string }>();
  for (const c of clusters) {
    for (const s of c.services) {
      const key = `${s.doc.metadata.namespace}/${s.doc.metadata.name}`;
      const spec = JSON.stringify(s.doc.spec);
      const prev = merged.get(key);
      if (!prev) merged.set(key, { svc: s, contexts: [c.info.spec.context!], spec });
      else if (prev.spec === spec) prev.contexts.push(c.info.spec.context!);
      else
        warnings.push(
          `MeshService ${key} differs between contexts ${prev.contexts.join(", ")} and ${c.info.spec.context}: kept the facts of ${prev.contexts[0]}; use -o DIR for one file per cluster`,
        );
    }
  }
  const services = [...merged.values()].sort(
    (a, b) =>
      naturalCmp(a.svc.doc.metadata.namespace ?? "", b.svc.doc.metadata.namespace ?? "") || naturalCmp(a.svc.doc.metadata.name, b.svc.doc.metadata.name),
  );
  const text =
    header(clusters) +
    clusters.map((c) => docText(c.info)).join("") +
    services
      .map(({ svc, contexts }) => {
        const doc = {
          ...svc.doc,
          metadata: { ...svc.doc.metadata, annotations: { ...svc.doc.metadata.annotations, [CONTEXTS_ANNOTATION]: contexts.join(",") } },
        };
        return docText(
          doc,
          svc.notes.map((n) => `${svc.doc.metadata.namespace}/${svc.doc.metadata.name} (${contexts[0]}): ${n}`),
        );
      })
      .join("");
  return { text, warnings };
}
