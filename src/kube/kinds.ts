/**
 * What unimesh knows about the kinds it applies: which mesh installs a group's CRDs (for "install the
 * mesh" errors), the order objects are applied in, which kinds it only annotates (never creates or
 * deletes), and the API groups `--prune` looks in for each mesh.
 */
import type { KubeObject } from "../api/adapter.js";
import { splitApiVersion } from "./client.js";

/** `group|kind|namespace|name`: identity of an object across API versions. */
export function objectKey(o: { apiVersion: string; kind: string; metadata: { namespace?: string; name: string } }): string {
  return `${splitApiVersion(o.apiVersion)[0]}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
}

/** `VirtualService.networking.istio.io bookinfo/reviews`, `Service bookinfo/reviews`, `Mesh.appmesh.k8s.aws global`. */
export function describe(o: { apiVersion: string; kind: string; metadata: { namespace?: string; name: string } }): string {
  const [group] = splitApiVersion(o.apiVersion);
  return `${o.kind}${group ? `.${group}` : ""} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
}

/**
 * Who installs the CRDs of an API group, as the "install ..." half of a missing-CRD message.
 * Groups not listed get a generic message naming the group.
 */
export const GROUP_INSTALLERS: Readonly<Record<string, string>> = {
  "networking.istio.io": "Istio (istioctl install, or the istio/base Helm chart)",
  "security.istio.io": "Istio (istioctl install, or the istio/base Helm chart)",
  "telemetry.istio.io": "Istio (istioctl install, or the istio/base Helm chart)",
  "extensions.istio.io": "Istio (istioctl install, or the istio/base Helm chart)",
  "policy.linkerd.io": "Linkerd (linkerd install --crds | kubectl apply -f -, or the linkerd-crds Helm chart)",
  "linkerd.io": "Linkerd (linkerd install --crds | kubectl apply -f -, or the linkerd-crds Helm chart)",
  "workload.linkerd.io": "Linkerd (linkerd install --crds | kubectl apply -f -, or the linkerd-crds Helm chart)",
  "split.smi-spec.io": "the Linkerd SMI extension (linkerd smi install)",
  "gateway.networking.k8s.io": "the Gateway API CRDs (kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/...; Linkerd 2.18+ no longer installs them by default: linkerd install --crds --set installGatewayAPI=true)",
  "appmesh.k8s.aws": "the AWS App Mesh controller (the eks/appmesh-controller Helm chart)",
};

/** The mesh to install for a group's CRDs (see {@link GROUP_INSTALLERS}). */
export function installerOf(group: string): string {
  return GROUP_INSTALLERS[group] ?? `the CRDs of the API group ${group}`;
}

/**
 * API groups a mesh's adapter emits into: `--prune` lists every resource of these groups (as well as
 * the groups of the objects generated now), so an object of a kind that is no longer generated at
 * all is still found. Third-party adapters get the groups of what they generate now.
 */
export const MESH_API_GROUPS: Readonly<Record<string, readonly string[]>> = {
  istio: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io"],
  linkerd: ["policy.linkerd.io", "linkerd.io", "gateway.networking.k8s.io", "split.smi-spec.io"],
  appmesh: ["appmesh.k8s.aws"],
};

/**
 * An object that carries nothing but `metadata` (labels, annotations) is a patch of an object that
 * exists independently of unimesh (Linkerd's retry annotations on a Service, a namespace-level
 * setting): it must already exist, is never created, and `--prune` never deletes it; it removes
 * unimesh's fields instead (an empty server-side apply). Objects with content (a `spec`, `data`, ...)
 * are unimesh's own, whatever their kind (App Mesh's headless Services, for instance): created when
 * missing, deleted by `--prune`.
 */
export function isPatch(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata"> & Record<string, unknown>): boolean {
  return Object.keys(o).every((k) => k === "apiVersion" || k === "kind" || k === "metadata");
}

/**
 * Kinds whose objects usually exist independently of unimesh. `--prune` also searches them (they are
 * cheap to list); a live object found there is released rather than deleted when its managed fields
 * cannot tell who created it (see {@link ownsContent}).
 */
export const PATCH_ONLY_KINDS: ReadonlySet<string> = new Set([
  "|Service", "|Namespace", "|ServiceAccount",
  "apps|Deployment", "apps|StatefulSet", "apps|DaemonSet",
]);

/** True for the kinds of {@link PATCH_ONLY_KINDS}. */
export function isPatchOnly(apiVersion: string, kind: string): boolean {
  return PATCH_ONLY_KINDS.has(`${splitApiVersion(apiVersion)[0]}|${kind}`);
}

/**
 * Whether `fieldManager` applied more than metadata to a live object (so the object is its own, and
 * pruning deletes it), from `metadata.managedFields`; undefined when the object has no managed fields.
 */
export function ownsContent(live: { metadata: { managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] } }, fieldManager: string): boolean | undefined {
  const entries = live.metadata.managedFields;
  if (!entries?.length) return undefined;
  return entries.some((m) => m.manager === fieldManager && m.operation === "Apply" && !!m.fieldsV1 && typeof m.fieldsV1 === "object" &&
    Object.keys(m.fieldsV1 as object).some((k) => k !== "f:metadata" && k !== "."));
}

/**
 * Apply order (lower first; deletions run in reverse): mesh-wide objects, then what describes
 * workloads and their identities, then annotations on existing Services, then routes (which
 * reference subsets and backends), then authorization (which may reference routes and
 * authentications). Kinds not listed go with the routes.
 */
const RANKS: [group: string, kind: string, rank: number][] = [
  ["appmesh.k8s.aws", "Mesh", 10],
  ["", "Namespace", 15],
  ["appmesh.k8s.aws", "VirtualNode", 20],
  ["appmesh.k8s.aws", "BackendGroup", 21],
  ["appmesh.k8s.aws", "VirtualGateway", 22],
  ["networking.istio.io", "DestinationRule", 20],
  ["networking.istio.io", "ServiceEntry", 20],
  ["networking.istio.io", "Sidecar", 25],
  ["security.istio.io", "PeerAuthentication", 20],
  ["policy.linkerd.io", "Server", 20],
  ["policy.linkerd.io", "EgressNetwork", 20],
  ["", "Service", 30],
  ["appmesh.k8s.aws", "VirtualRouter", 40],
  ["appmesh.k8s.aws", "VirtualService", 45],
  ["appmesh.k8s.aws", "GatewayRoute", 46],
  ["networking.istio.io", "VirtualService", 40],
  ["networking.istio.io", "EnvoyFilter", 45],
  ["gateway.networking.k8s.io", "HTTPRoute", 40],
  ["gateway.networking.k8s.io", "GRPCRoute", 40],
  ["gateway.networking.k8s.io", "TCPRoute", 40],
  ["gateway.networking.k8s.io", "TLSRoute", 40],
  ["policy.linkerd.io", "HTTPRoute", 40],
  ["linkerd.io", "ServiceProfile", 40],
  ["split.smi-spec.io", "TrafficSplit", 40],
  ["policy.linkerd.io", "MeshTLSAuthentication", 50],
  ["policy.linkerd.io", "NetworkAuthentication", 50],
  ["security.istio.io", "RequestAuthentication", 50],
  ["policy.linkerd.io", "AuthorizationPolicy", 55],
  ["policy.linkerd.io", "ServerAuthorization", 55],
  ["security.istio.io", "AuthorizationPolicy", 55],
  ["policy.linkerd.io", "HTTPLocalRateLimitPolicy", 60],
];
const DEFAULT_RANK = 45;

/** Apply rank of an object's kind (see {@link RANKS}). */
export function applyRank(o: Pick<KubeObject, "apiVersion" | "kind">): number {
  const [group] = splitApiVersion(o.apiVersion);
  return RANKS.find(([g, k]) => g === group && k === o.kind)?.[2] ?? DEFAULT_RANK;
}

/** Items in apply order of their objects (stable: equal ranks keep their order). */
export function inApplyOrder<T>(items: readonly T[], objectOf: (t: T) => Pick<KubeObject, "apiVersion" | "kind"> = (t) => t as never): T[] {
  return items.map((o, i) => ({ o, i, r: applyRank(objectOf(o)) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.o);
}

/** A plausible plural for a kind (`AuthorizationPolicy` → `authorizationpolicies`), for CRD names in messages. */
export function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return k.slice(0, -1) + "ies";
  if (/(s|x|z|ch|sh)$/.test(k)) return k + "es";
  return k + "s";
}
