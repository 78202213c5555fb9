/**
 * What unimesh knows about the kinds it applies: which mesh installs a group's CRDs (for "install the
 * mesh" errors), the order objects are applied in (and which of them form the authorization stage),
 * and what a patch of a user-owned object is and how apply marks it with its policy set. (The API
 * groups `--prune` looks in for each mesh are declared by the adapters: `Adapter.apiGroups`.)
 *
 * Patches: ONE notion, the `unimesh.io/patch` annotation (`isPatch` of src/api/ownership.ts,
 * re-exported here). `translate()` gives patches no ownership labels, so apply records their policy set
 * in the annotation {@link PATCH_POLICY_SET_ANNOTATION} ({@link markPatches}) for `--prune` to find them
 * (see prune.ts). A patch carries only metadata: one with content is refused before anything is applied
 * ({@link hasContent}, checked in preflight.ts), never treated as an object of unimesh's own.
 */
import type { KubeObject } from "../api/adapter.js";
import { PATCH_ANNOTATION, POLICY_SET_LABEL, isPatch } from "../api/ownership.js";
import { splitApiVersion } from "./client.js";

export { PATCH_ANNOTATION, isPatch };

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
 * True when an object has more than `apiVersion`, `kind` and `metadata` (a `spec`, `data`, ...). A patch
 * (`isPatch`: annotated `unimesh.io/patch`) must not: it is a patch of an object that exists
 * independently of unimesh (Linkerd's annotations on a Service, a namespace-level setting), must already
 * exist, is never created, and `--prune` never deletes it but removes unimesh's fields from it (an
 * empty server-side apply). Objects without the annotation are unimesh's own, whatever their kind (App
 * Mesh's headless Services, for instance): created when missing, deleted by `--prune`.
 */
export function hasContent(o: Pick<KubeObject, "apiVersion" | "kind" | "metadata"> & Record<string, unknown>): boolean {
  return Object.keys(o).some((k) => k !== "apiVersion" && k !== "kind" && k !== "metadata");
}

/**
 * Annotation apply adds to every patch: the policy set it was applied for (patches carry no
 * `unimesh.io/policy-set` label, see src/api/ownership.ts). `--prune` releases a patch only
 * when this annotation names its policy set. The same key as the label, as an annotation: no label
 * selector (`kubectl delete -l`) ever matches a user's object through it.
 */
export const PATCH_POLICY_SET_ANNOTATION = POLICY_SET_LABEL;

/** Copies of `objects` in which every patch carries {@link PATCH_POLICY_SET_ANNOTATION}` = policySet` (other objects as they are). */
export function markPatches(objects: readonly KubeObject[], policySet: string | undefined): KubeObject[] {
  if (!policySet) return [...objects];
  return objects.map((o) => (isPatch(o)
    ? { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [PATCH_POLICY_SET_ANNOTATION]: policySet } } }
    : o));
}

/** The policy set of generated objects, from the `unimesh.io/policy-set` label of the first object that has one. */
export function policySetOf(objects: readonly KubeObject[]): string | undefined {
  return objects.map((o) => o.metadata.labels?.[POLICY_SET_LABEL]).find((s) => !!s);
}

/**
 * Whether `fieldManager` applied the `unimesh.io/patch` annotation of a live object (so unimesh patched
 * it), from `metadata.managedFields`.
 */
export function appliedPatch(live: { metadata: { managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] } }, fieldManager: string): boolean {
  return (live.metadata.managedFields ?? []).some((m) => {
    if (m.manager !== fieldManager || m.operation !== "Apply" || !m.fieldsV1 || typeof m.fieldsV1 !== "object") return false;
    const annotations = ((m.fieldsV1 as Record<string, Record<string, unknown> | undefined>)["f:metadata"] ?? {})["f:annotations"];
    return !!annotations && typeof annotations === "object" && `f:${PATCH_ANNOTATION}` in annotations;
  });
}

/**
 * Kinds whose objects usually exist independently of unimesh (the kinds adapters patch). `--prune`
 * lists them whole (patches carry no label to select them by) and releases the patches of its policy
 * set it finds there (prune.ts); a labelled object found there is released rather than deleted when
 * its managed fields cannot tell who created it (see {@link ownsContent}).
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
 * reference subsets and backends), then the authorization stage: authentications, then what only
 * restricts access (Istio AuthorizationPolicy DENY or CUSTOM: see {@link applyRank}), then what grants
 * it (Istio ALLOW, Linkerd's AuthorizationPolicy and ServerAuthorization; Linkerd authorization is
 * allow-only, and its restricting objects, Servers and the namespace default policy, come earlier).
 * So a new grant never goes live before the restrictions that come with it, and pruning removes grants
 * before restrictions. Kinds not listed go with the routes.
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

/** Rank of Istio AuthorizationPolicies that only restrict access (`action: DENY` or `CUSTOM`): before ALLOW (55). */
const RESTRICT_RANK = 53;
/** Ranks of the authorization stage (see {@link isAuthorizationStage}). */
const AUTHORIZATION_STAGE: readonly [from: number, to: number] = [50, 59];

/** What {@link applyRank} reads: the kind, and for Istio AuthorizationPolicies `spec.action`. */
export type RankedObject = Pick<KubeObject, "apiVersion" | "kind"> & { spec?: unknown };

/**
 * Apply rank of an object (see {@link RANKS}). Istio AuthorizationPolicy by `spec.action`
 * (`security/v1beta1/authorization.proto`; default ALLOW): DENY and CUSTOM only ever refuse requests,
 * so they go before ALLOW (which grants the requests it matches).
 */
export function applyRank(o: RankedObject): number {
  const [group] = splitApiVersion(o.apiVersion);
  if (group === "security.istio.io" && o.kind === "AuthorizationPolicy") {
    const action = (o.spec as { action?: unknown } | undefined)?.action;
    if (action === "DENY" || action === "CUSTOM") return RESTRICT_RANK;
  }
  return RANKS.find(([g, k]) => g === group && k === o.kind)?.[2] ?? DEFAULT_RANK;
}

/**
 * True for the objects of the authorization stage (authentications, restrictions, grants). When one
 * of them fails to apply, apply does not apply anything of a later rank to that cluster: a grant must
 * never go live without the restrictions and authentications it was generated with.
 */
export function isAuthorizationStage(o: RankedObject): boolean {
  const r = applyRank(o);
  return r >= AUTHORIZATION_STAGE[0] && r <= AUTHORIZATION_STAGE[1];
}

/** Items in apply order of their objects (stable: equal ranks keep their order). */
export function inApplyOrder<T>(items: readonly T[], objectOf: (t: T) => RankedObject = (t) => t as never): T[] {
  return items.map((o, i) => ({ o, i, r: applyRank(objectOf(o)) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.o);
}

/** A plausible plural for a kind (`AuthorizationPolicy` → `authorizationpolicies`), for CRD names in messages. */
export function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return k.slice(0, -1) + "ies";
  if (/(s|x|z|ch|sh)$/.test(k)) return k + "es";
  return k + "s";
}
