/**
 * `discover`: what a cluster runs, as unimesh documents.
 *
 * - One `ClusterInfo` per cluster: the kubeconfig context, the API server URL (no credentials), the
 *   Kubernetes version, and the meshes installed with their version and the evidence it was read from:
 *   - Istio: the `*.istio.io` CRDs (which API versions are served and stored tells the oldest release
 *     they can come from) and the image tag of each istiod Deployment (`app=istiod`, container
 *     `discovery`, e.g. `docker.io/istio/pilot:1.30.3`): one entry per istiod revision, newest first;
 *   - Linkerd: the control-plane Deployments (`linkerd.io/control-plane-component`), whose controller
 *     image tag is the release (`cr.l5d.io/linkerd/controller:edge-26.8.3`), else the
 *     `linkerd.io/created-by` annotation of the CRDs (`linkerd/cli edge-26.8.3`);
 *   - App Mesh: the `appmesh.k8s.aws` CRDs and the controller Deployment
 *     (`app.kubernetes.io/name=appmesh-controller`, image `.../amazon/appmesh-controller:v1.13.3`).
 * - One `MeshService` per Service with a selector: its selector, ports (protocol from `appProtocol`
 *   or the port name prefix, Istio's protocol selection), the service account its pods run as, and
 *   subsets from the pods' `version` label.
 *
 * The pure functions ({@link detectMeshes}, {@link meshServiceOf}) take plain API objects, so they
 * are tested without a server; {@link discoverCluster} lists them from one.
 */
import type { ClusterInfo, MeshService, ServicePort } from "../api/generated/model.js";
import { dnsLabel } from "../api/names.js";
import { dumpYaml } from "../api/emit.js";
import type { KubeClient } from "./client.js";
import { KubeApiError } from "./errors.js";

// ------------------------------------------------------------------------------ API object shapes

/** The fields of a `CustomResourceDefinition` that discovery reads. */
export interface CrdObject {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { group: string; names: { kind: string; plural?: string }; versions?: { name: string; served?: boolean; storage?: boolean }[] };
}

/** The fields of a `Deployment` that discovery reads. */
export interface DeploymentObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: { containers?: { name: string; image?: string }[] } } };
}

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
  spec?: { serviceAccountName?: string; serviceAccount?: string; containers?: { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
  status?: { phase?: string };
}

// ------------------------------------------------------------------------------ meshes

/** One installed mesh (a `ClusterInfo.spec.meshes[]` entry). */
export type MeshFinding = NonNullable<ClusterInfo["spec"]["meshes"]>[number];

/** The tag of an image reference (`registry:5000/ns/img:1.2.3@sha256:...` → `1.2.3`), if any. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const noDigest = image.split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

/** Orders versions newest first (numeric fields compared as numbers). */
export function compareVersionsDesc(a: string, b: string): number {
  const na = a.match(/\d+/g)?.map(Number) ?? [];
  const nb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (nb[i] ?? -1) - (na[i] ?? -1);
    if (d) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const versionsOf = (c: CrdObject) => c.spec.versions ?? [];
const served = (c: CrdObject | undefined, v: string) => !!c && versionsOf(c).some((x) => x.name === v && x.served !== false);
const storage = (c: CrdObject | undefined) => (c ? versionsOf(c).find((x) => x.storage)?.name : undefined);
const describeCrd = (c: CrdObject) =>
  `${c.metadata.name} (served ${versionsOf(c).filter((v) => v.served !== false).map((v) => v.name).join(", ")}; storage ${storage(c) ?? "?"})`;

/**
 * The oldest Istio minor release whose CRDs look like these (MESHES.md §3.1): `trafficextensions`
 * appear in 1.30; `security.istio.io/v1` is the storage version from 1.28, `networking.istio.io/v1`
 * from 1.27; `networking.istio.io/v1` is served from 1.22.
 */
function istioFloor(crds: CrdObject[]): { version: string; why: string } {
  const byName = (n: string) => crds.find((c) => c.metadata.name === n);
  const vs = byName("virtualservices.networking.istio.io");
  const ap = byName("authorizationpolicies.security.istio.io");
  if (byName("trafficextensions.extensions.istio.io")) return { version: "1.30", why: "trafficextensions.extensions.istio.io exists (Istio 1.30+)" };
  if (storage(ap) === "v1") return { version: "1.28", why: "security.istio.io/v1 is the storage version (Istio 1.28+)" };
  if (storage(vs) === "v1") return { version: "1.27", why: "networking.istio.io/v1 is the storage version (Istio 1.27+)" };
  if (served(vs, "v1")) return { version: "1.22", why: "networking.istio.io/v1 is served (Istio 1.22+)" };
  return { version: "1.21", why: "networking.istio.io/v1 is not served (Istio 1.21 or older)" };
}

/** The Linkerd release a CRD set was installed by (`linkerd.io/created-by: linkerd/cli edge-26.8.3`). */
function createdBy(annotations: Record<string, string> | undefined): string | undefined {
  const v = annotations?.["linkerd.io/created-by"];
  return v ? v.trim().split(/\s+/).pop() : undefined;
}

/** The oldest Linkerd release with these CRDs, when no release is written on them. */
function linkerdFloor(crds: CrdObject[]): { version: string; why: string } {
  const routes = crds.find((c) => c.metadata.name === "httproutes.policy.linkerd.io");
  if (crds.some((c) => c.metadata.name === "egressnetworks.policy.linkerd.io")) return { version: "2.17", why: "egressnetworks.policy.linkerd.io exists (Linkerd 2.17+)" };
  if (served(routes, "v1beta3")) return { version: "2.14", why: "policy.linkerd.io/v1beta3 HTTPRoute is served (Linkerd 2.14+)" };
  if (served(routes, "v1beta2")) return { version: "2.13", why: "policy.linkerd.io/v1beta2 HTTPRoute is served (Linkerd 2.13+)" };
  return { version: "2.12", why: "no newer policy.linkerd.io API is served (Linkerd 2.12 or older)" };
}

const where = (d: DeploymentObject) => `${d.metadata.namespace ?? "default"}/${d.metadata.name}`;
const containersOf = (d: DeploymentObject) => d.spec?.template?.spec?.containers ?? [];

/**
 * Which meshes are installed, and at which version, from the cluster's CRDs and control-plane
 * Deployments. Several istiod revisions give several `istio` entries. Order: by mesh name, each
 * mesh's versions newest first.
 */
export function detectMeshes(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[] {
  const out: MeshFinding[] = [];

  // Istio.
  const istioCrds = crds.filter((c) => c.spec.group.endsWith(".istio.io") || c.spec.group === "istio.io").sort(byName);
  const istiods = deployments.filter((d) => d.metadata.labels?.app === "istiod" || d.metadata.labels?.istio === "pilot");
  if (istioCrds.length || istiods.length) {
    const crdEvidence = istioCrds.length
      ? [`CRDs: ${istioCrds.length} in *.istio.io, e.g. ${describeCrd(istioCrds.find((c) => c.metadata.name.startsWith("virtualservices.")) ?? istioCrds[0])}`]
      : ["no *.istio.io CRDs are installed"];
    const floor = istioCrds.length ? istioFloor(istioCrds) : undefined;
    if (floor) crdEvidence.push(`CRDs match Istio ${floor.version} or later: ${floor.why}`);
    const byVersion = new Map<string, string[]>();
    for (const d of istiods) {
      const c = containersOf(d).find((x) => x.name === "discovery") ?? containersOf(d)[0];
      const tag = imageTag(c?.image);
      const v = /^\d+\.\d+(\.\d+)?/.exec(tag ?? "")?.[0] ?? d.metadata.labels?.["app.kubernetes.io/version"] ?? d.metadata.labels?.["operator.istio.io/version"];
      if (!v) continue;
      const rev = d.metadata.labels?.["istio.io/rev"];
      byVersion.set(v, [...(byVersion.get(v) ?? []), `istiod ${where(d)}${rev && rev !== "default" ? ` (revision ${rev})` : ""} runs ${c?.image ?? `version ${v}`}`]);
    }
    if (byVersion.size) {
      for (const v of [...byVersion.keys()].sort(compareVersionsDesc)) out.push({ name: "istio", version: v, evidence: [...byVersion.get(v)!, ...crdEvidence] });
    } else if (floor) {
      out.push({ name: "istio", version: floor.version, evidence: [...crdEvidence, "no istiod Deployment found (label app=istiod): the version is the oldest release these CRDs match"] });
    }
  }

  // Linkerd.
  const linkerdCrds = crds.filter((c) => /(^|\.)linkerd\.io$/.test(c.spec.group)).sort(byName);
  const controlPlane = deployments.filter((d) => d.metadata.labels?.["linkerd.io/control-plane-component"] !== undefined).sort((a, b) => where(a).localeCompare(where(b)));
  if (linkerdCrds.length || controlPlane.length) {
    const evidence: string[] = [];
    let version: string | undefined;
    const dest = controlPlane.find((d) => d.metadata.labels?.["linkerd.io/control-plane-component"] === "destination") ?? controlPlane[0];
    if (dest) {
      const c = containersOf(dest).find((x) => x.name !== "linkerd-proxy" && /controller|destination|policy/.test(`${x.name} ${x.image}`)) ?? containersOf(dest).find((x) => x.name !== "linkerd-proxy");
      const tag = imageTag(c?.image) ?? createdBy(dest.metadata.annotations);
      if (tag) {
        version = tag;
        evidence.push(`control plane ${controlPlane.map(where).join(", ")}; ${dest.metadata.name} runs ${c?.image ?? `linkerd ${tag}`}`);
      }
    }
    const crdReleases = [...new Set(linkerdCrds.map((c) => createdBy(c.metadata.annotations)).filter((x): x is string => !!x))];
    if (linkerdCrds.length) evidence.push(`CRDs: ${linkerdCrds.length} in *.linkerd.io${crdReleases.length ? `, installed by ${crdReleases.join(", ")}` : ""}`);
    else evidence.push("no *.linkerd.io CRDs are installed");
    if (!version && crdReleases.length) version = crdReleases.sort(compareVersionsDesc)[0];
    if (!version) {
      const floor = linkerdFloor(linkerdCrds);
      version = floor.version;
      evidence.push(`no control plane or release annotation found: ${floor.why}; the version is the oldest release these CRDs match`);
    }
    out.push({ name: "linkerd", version, evidence });
  }

  // AWS App Mesh.
  const appmeshCrds = crds.filter((c) => c.spec.group === "appmesh.k8s.aws");
  const controllers = deployments.filter((d) => d.metadata.labels?.["app.kubernetes.io/name"] === "appmesh-controller" || d.metadata.name === "appmesh-controller");
  if (appmeshCrds.length || controllers.length) {
    const evidence: string[] = [];
    let version: string | undefined;
    for (const d of controllers) {
      const c = containersOf(d).find((x) => /appmesh-controller/.test(x.image ?? "")) ?? containersOf(d)[0];
      const tag = imageTag(c?.image);
      if (tag && !version) {
        version = tag.replace(/^v(?=\d)/, "");
        evidence.push(`controller ${where(d)} runs ${c?.image}`);
      }
    }
    evidence.push(appmeshCrds.length ? `CRDs: ${appmeshCrds.length} in appmesh.k8s.aws (${[...new Set(appmeshCrds.flatMap((c) => versionsOf(c).map((v) => v.name)))].join(", ")})` : "no appmesh.k8s.aws CRDs are installed");
    if (!version) evidence.push("no appmesh-controller Deployment found: the version cannot be told");
    out.push({ name: "appmesh", version: version ?? "unknown", evidence });
  }
  return out;
}

function byName(a: CrdObject, b: CrdObject): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
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
      case "http": case "http1": case "grpc-web": case "kubernetes.io/ws": case "kubernetes.io/wss": return "http";
      case "http2": case "h2c": case "kubernetes.io/h2c": return "http2";
      case "grpc": return "grpc";
      case "tcp": case "tls": case "https": case "mongo": case "mysql": case "redis": return "tcp";
      default: return undefined;
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
  const mine = pods.filter((p) => (p.metadata.namespace ?? "default") === ns && !p.metadata.deletionTimestamp &&
    p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed" && selects(selector, p.metadata.labels));

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
      const found = new Set(mine.flatMap((pod) => (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((cp) => cp.name === p.targetPort).map((cp) => cp.containerPort))));
      if (found.size === 1) target = [...found][0];
      else notes.push(`port ${p.port}: targetPort "${p.targetPort}" ${found.size ? `is ${[...found].sort().join(" or ")} depending on the pod` : "names no container port of a running pod"}: targetPort left out`);
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
      notes.push(`its pods run as ${ranked.length} service accounts (${ranked.map(([sa, n]) => `${sa}: ${n} pod${n === 1 ? "" : "s"}`).join(", ")}); serviceAccount is ${serviceAccount}, the most common (ties: the first by name). Policies about callers of this Service see only that identity`);
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
 * `local-path-storage`, `istio-system` and `istio-*`, `linkerd` and `linkerd-*`, `appmesh-system`,
 * plus the namespaces where a mesh control plane was found.
 */
export function isSystemNamespace(ns: string, extra: ReadonlySet<string> = new Set()): boolean {
  return extra.has(ns) || /^kube-/.test(ns) || ns === "local-path-storage" || /^istio-/.test(ns) || /^linkerd(-|$)/.test(ns) || ns === "appmesh-system";
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
  warnings: string[];
}

/**
 * Lists the CRDs and the mesh control-plane Deployments of a cluster and detects its meshes. A list
 * that is forbidden is a warning: detection then uses what it could read.
 */
export async function detectClusterMeshes(client: KubeClient): Promise<ClusterMeshes> {
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
  const [crds, ...deploymentLists] = await Promise.all([
    tolerate<CrdObject>("CustomResourceDefinitions", client.list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")),
    tolerate<DeploymentObject>("istiod Deployments", client.list(deploymentsPath, { labelSelector: "app=istiod" })),
    tolerate<DeploymentObject>("Linkerd control-plane Deployments", client.list(deploymentsPath, { labelSelector: "linkerd.io/control-plane-component" })),
    tolerate<DeploymentObject>("App Mesh controller Deployments", client.list(deploymentsPath, { labelSelector: "app.kubernetes.io/name=appmesh-controller" })),
  ]);
  const seen = new Set<string>();
  const deployments = deploymentLists.flat().filter((d) => !seen.has(where(d)) && !!seen.add(where(d)));
  return { meshes: detectMeshes(crds, deployments), crds, deployments, warnings };
}

/** Reads the meshes and Services of one cluster. @throws KubeApiError / ClusterError when the cluster cannot be read. */
export async function discoverCluster(client: KubeClient, opts: DiscoverOptions = {}): Promise<DiscoveredCluster> {
  const kubernetesVersion = await client.serverVersion();
  const { meshes, crds, deployments, warnings } = await detectClusterMeshes(client);

  // Control-plane namespaces count as system namespaces.
  const controlNs = new Set<string>(deployments.map((d) => d.metadata.namespace ?? "default"));
  for (const c of crds) {
    const ns = c.metadata.labels?.["linkerd.io/control-plane-ns"];
    if (ns) controlNs.add(ns);
  }

  let services: ServiceObject[];
  let pods: PodObject[];
  if (opts.namespaces?.length) {
    const per = await Promise.all(opts.namespaces.map(async (ns) => {
      const e = encodeURIComponent(ns);
      return [await client.list<ServiceObject>(`/api/v1/namespaces/${e}/services`), await client.list<PodObject>(`/api/v1/namespaces/${e}/pods`)] as const;
    }));
    services = per.flatMap((x) => x[0]);
    pods = per.flatMap((x) => x[1]);
  } else {
    [services, pods] = await Promise.all([client.list<ServiceObject>("/api/v1/services"), client.list<PodObject>("/api/v1/pods")]);
  }

  const out: DiscoveredService[] = [];
  let skipped = 0;
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? "default";
    if (!opts.namespaces?.length && !opts.includeSystemNamespaces && isSystemNamespace(ns, controlNs)) { skipped++; continue; }
    const d = meshServiceOf(svc, pods, client.context.name);
    if (!d) { skipped++; continue; }
    out.push(d);
  }
  out.sort((a, b) => naturalCmp(a.doc.metadata.namespace ?? "", b.doc.metadata.namespace ?? "") || naturalCmp(a.doc.metadata.name, b.doc.metadata.name));

  const info: ClusterInfo = {
    apiVersion: "unimesh.io/v1alpha1",
    kind: "ClusterInfo",
    metadata: { name: clusterInfoName(client.context.name) },
    spec: { context: client.context.name, server: client.context.server, kubernetesVersion, meshes },
  };
  return { info, services: out, warnings, skipped };
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
  return header([c]) + docText(c.info) + c.services.map((s) => docText(s.doc, s.notes.map((n) => `${s.doc.metadata.namespace}/${s.doc.metadata.name}: ${n}`))).join("");
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
      else warnings.push(`MeshService ${key} differs between contexts ${prev.contexts.join(", ")} and ${c.info.spec.context}: kept the facts of ${prev.contexts[0]}; use -o DIR for one file per cluster`);
    }
  }
  const services = [...merged.values()].sort((a, b) =>
    naturalCmp(a.svc.doc.metadata.namespace ?? "", b.svc.doc.metadata.namespace ?? "") || naturalCmp(a.svc.doc.metadata.name, b.svc.doc.metadata.name));
  const text = header(clusters) + clusters.map((c) => docText(c.info)).join("") + services.map(({ svc, contexts }) => {
    const doc = { ...svc.doc, metadata: { ...svc.doc.metadata, annotations: { ...svc.doc.metadata.annotations, [CONTEXTS_ANNOTATION]: contexts.join(",") } } };
    return docText(doc, svc.notes.map((n) => `${svc.doc.metadata.namespace}/${svc.doc.metadata.name} (${contexts[0]}): ${n}`));
  }).join("");
  return { text, warnings };
}
