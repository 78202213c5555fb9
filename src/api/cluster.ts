/**
 * What an adapter tells the cluster layer (`src/kube/`, the cluster commands) about the mesh it targets:
 * {@link ClusterHooks}, the optional `Adapter.cluster`. The cluster layer knows no mesh by name: it asks
 * the adapters it is given (the shipped ones, or one loaded with `--adapter`), so a new mesh brings this
 * knowledge in its own folder. Also the shapes of the API objects detection reads, and small helpers for
 * writing a detection hook.
 */
import type { ClusterInfo } from "./generated/model.js";

/** The fields of a `CustomResourceDefinition` that mesh detection reads. */
export interface CrdObject {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { group: string; names: { kind: string; plural?: string }; versions?: { name: string; served?: boolean; storage?: boolean }[] };
}

/** The fields of a `Deployment` that mesh detection reads. */
export interface DeploymentObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { containers?: { name: string; image?: string }[] };
    };
  };
}

/** One installed mesh (a `ClusterInfo.spec.meshes[]` entry): adapter name, installed version, evidence. */
export type MeshFinding = NonNullable<ClusterInfo["spec"]["meshes"]>[number];

/** What the apply order reads of an object: its kind, and `spec` (Istio AuthorizationPolicy `spec.action`). */
export interface RankedObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; labels?: Readonly<Record<string, string>> };
  spec?: unknown;
}

/**
 * Apply ranks (lower first; deletions run in reverse; equal ranks are applied together). An adapter ranks
 * its kinds with these, or a number between them to order kinds within a stage:
 * - `mesh`: mesh-wide objects (App Mesh `Mesh`); `namespace`: Namespace patches;
 * - `workloads`: what describes workloads and their identities (Istio DestinationRule, PeerAuthentication,
 *   Linkerd Server, App Mesh VirtualNode); `services`: Service patches and Services;
 * - `routes`: routes, which reference subsets and backends (the rank of kinds no adapter ranks);
 * - the authorization stage, {@link AUTHORIZATION_STAGE}: `authentications`, then `restrictions` (what only
 *   restricts access: Istio AuthorizationPolicy DENY or CUSTOM), then `grants` (Istio ALLOW, Linkerd's
 *   AuthorizationPolicy and ServerAuthorization). A new grant never goes live before the restrictions that
 *   come with it, and pruning removes grants before restrictions;
 * - `late`: what may only apply once access is settled (Linkerd's rate limits; Istio's Service label patches
 *   that send traffic to a waypoint).
 */
export const APPLY_RANK = {
  mesh: 10,
  namespace: 15,
  workloads: 20,
  services: 30,
  routes: 40,
  default: 45,
  authentications: 50,
  restrictions: 53,
  grants: 55,
  late: 60,
} as const;

/**
 * Ranks of the authorization stage (inclusive): when an object of it fails to apply, nothing of a later
 * rank is applied to that cluster (a grant must never go live without its restrictions and authentications).
 */
export const AUTHORIZATION_STAGE: readonly [from: number, to: number] = [50, 59];

/** A label selector of Deployments that discovery lists, and what they are (for a warning when it cannot). */
export interface ControlPlaneSelector {
  /** e.g. `app=istiod`, `linkerd.io/control-plane-component` (any value). */
  labelSelector: string;
  /** e.g. `istiod Deployments`. */
  what: string;
}

/**
 * What unimesh knows about clusters that run an adapter's mesh. Every hook is optional; without one the
 * cluster layer does what it does for an unknown mesh (generic install message, default apply rank, no
 * detection, `MAJOR.MINOR` of a semantic version).
 */
export interface ClusterHooks {
  /** The mesh as people write it, for messages: `Istio`, `App Mesh`. @default the adapter name */
  readonly title?: string;
  /**
   * Who installs the CRDs of each API group the adapter emits, as the "install ..." half of a missing-CRD
   * message: `{"networking.istio.io": "Istio (istioctl install, or the istio/base Helm chart)"}`.
   */
  readonly installHints?: Readonly<Record<string, string>>;
  /** The apply rank of one of the adapter's objects ({@link APPLY_RANK}); undefined: not one of its kinds. */
  applyRank?(o: RankedObject): number | undefined;
  /** Deployments of the mesh's control plane that discovery lists (every namespace) for {@link detect}. */
  readonly controlPlane?: readonly ControlPlaneSelector[];
  /**
   * The installed mesh, from the cluster's CRDs (all of them) and the Deployments of {@link controlPlane}:
   * one finding per installed version (e.g. per istiod revision, newest first), `name` being the adapter
   * name; none when the mesh is not there.
   */
  detect?(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[];
  /**
   * DaemonSets of the mesh's per-node data plane that discovery lists (every namespace), e.g. Istio's
   * ztunnel (ambient mode): evidence for {@link namespaceSettings}.
   */
  readonly nodeAgents?: readonly ControlPlaneSelector[];
  /**
   * The adapter settings a namespace of a cluster running this mesh needs, from its labels (e.g. Istio:
   * `istio.io/dataplane-mode=ambient` → `{dataplane: "ambient"}`), with what they were read from;
   * `agents` are the DaemonSets of {@link nodeAgents} found. Undefined: the adapter's defaults.
   */
  namespaceSettings?(
    namespace: { name: string; labels: Readonly<Record<string, string>> },
    agents: readonly DeploymentObject[],
  ): { settings: Record<string, string>; evidence: string[] } | undefined;
  /** True for the mesh's own namespaces (`istio-system`), which discovery skips unless asked. */
  isSystemNamespace?(namespace: string): boolean;
  /** Namespaces of the mesh's control plane that its CRDs name (Linkerd's `linkerd.io/control-plane-ns` label). */
  controlPlaneNamespaces?(crds: readonly CrdObject[]): string[];
  /**
   * The adapter version (one of `versions`, `MAJOR.MINOR`) an installed version belongs to, for
   * `--mesh auto`; undefined when it cannot be told. Default: {@link minorVersionOf}.
   */
  versionOf?(installed: string): string | undefined;
  /**
   * The objects that plug a VirtualMesh member's intermediate CA into the mesh (`unimesh apply
   * --trust-dir DIR`), e.g. Istio's `cacerts` Secret or Linkerd's `linkerd-identity-issuer` Secret and
   * trust roots. They carry private keys: they go to the API server only, never to stdout or a file.
   * Undefined: the mesh takes no plugged-in CA (apply refuses `--trust-dir` for it).
   */
  trustObjects?(t: MemberTrust): KubeObjectLike[];
}

/** One member's trust material (`unimesh trust`), PEM: its intermediate CA (certificate, key), the chain to the root, the root. */
export interface MemberTrust {
  member: string;
  trustDomain: string;
  caCertPem: string;
  /** PKCS#8 private key of the intermediate: only ever written into a Secret or a 0600 file. */
  caKeyPem: string;
  /** The intermediate, then the root. */
  certChainPem: string;
  rootCertPem: string;
}

/** A Kubernetes object as the hooks build it (`KubeObject` of adapter.ts, without importing it here). */
export interface KubeObjectLike {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

/**
 * `MAJOR.MINOR` of an installed version written as a semantic version, or undefined:
 * `1.30.3`, `v1.30.3`, `1.30.3-distroless`, `1.30` → `1.30`; a channel prefix is dropped
 * (`stable-2.14.10`, `enterprise-2.16.1`, `version-2.18` → `2.14`, `2.16`, `2.18`); a release named by its
 * date (`edge-26.8.3`: year and month) is no version (an adapter whose mesh has such releases maps them
 * in its `versionOf` hook).
 */
export function minorVersionOf(installed: string): string | undefined {
  const v = installed.trim();
  if (/^edge-\d+\.\d+(?:\.\d+)?$/.test(v)) return undefined;
  const semver = /^(?:[a-z]+-)?v?(\d+)\.(\d+)(?:[.+-].*)?$/i.exec(v);
  return semver ? `${Number(semver[1])}.${Number(semver[2])}` : undefined;
}

// ------------------------------------------------------------------------------ helpers for detection hooks

/** The tag of an image reference (`registry:5000/ns/img:1.2.3@sha256:...` → `1.2.3`), if any. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const noDigest = image.split("@")[0];
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

/** Orders versions newest first (numeric fields compared as numbers): see ./versions.ts. */
export { compareVersionsDesc } from "./versions.js";

/** The versions a CRD declares. */
export const crdVersions = (c: CrdObject) => c.spec.versions ?? [];
/** True when the CRD serves API version `v`. */
export const crdServes = (c: CrdObject | undefined, v: string) => !!c && crdVersions(c).some((x) => x.name === v && x.served !== false);
/** The storage version of a CRD. */
export const crdStorage = (c: CrdObject | undefined) => (c ? crdVersions(c).find((x) => x.storage)?.name : undefined);
/** `virtualservices.networking.istio.io (served v1, v1beta1; storage v1)`, for evidence. */
export const describeCrd = (c: CrdObject) =>
  `${c.metadata.name} (served ${crdVersions(c)
    .filter((v) => v.served !== false)
    .map((v) => v.name)
    .join(", ")}; storage ${crdStorage(c) ?? "?"})`;
/** `namespace/name` of a Deployment, for evidence. */
export const deploymentName = (d: DeploymentObject) => `${d.metadata.namespace ?? "default"}/${d.metadata.name}`;
/** The containers of a Deployment's pod template. */
export const containersOf = (d: DeploymentObject) => d.spec?.template?.spec?.containers ?? [];
/** Orders CRDs by name. */
export function byCrdName(a: CrdObject, b: CrdObject): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}
