/**
 * What unimesh knows about the kinds it applies: which mesh installs a group's CRDs (for "install the
 * mesh" errors), the order objects are applied in (and which of them form the authorization stage),
 * and what a patch of a user-owned object is and how apply marks it with its policy set. What is one
 * mesh's own (its groups' installers, its kinds' ranks) comes from the adapters' cluster hooks
 * (`Adapter.cluster`, src/api/cluster.ts), passed in as `meshes`; the API groups `--prune` looks in are
 * declared by the adapters too (`Adapter.apiGroups`).
 *
 * Patches: ONE notion, the `unimesh.io/patch` annotation (`isPatch` of src/api/ownership.ts,
 * re-exported here). `translate()` gives patches no ownership labels, so apply records their policy set
 * in the annotation {@link PATCH_POLICY_SET_ANNOTATION} ({@link markPatches}) for `--prune` to find them
 * (see prune.ts). A patch carries only metadata: one with content is refused before anything is applied
 * ({@link hasContent}, checked in preflight.ts), never treated as an object of unimesh's own.
 */
import type { Adapter, KubeObject } from "../api/adapter.js";
import { APPLY_RANK, AUTHORIZATION_STAGE, type RankedObject } from "../api/cluster.js";
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

/** What the cluster layer reads of an adapter: its cluster hooks (`Adapter.cluster`). */
export type MeshHooks = Pick<Adapter, "cluster">;

/**
 * Who installs the CRDs of API groups that are no one mesh's own (the Gateway API serves several), after
 * the adapters' own `installHints`.
 */
const CORE_INSTALL_HINTS: Readonly<Record<string, string>> = {
  "gateway.networking.k8s.io": "the Gateway API CRDs (kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/...)",
};

/**
 * The mesh to install for a group's CRDs, as the "install ..." half of a missing-CRD message: the first
 * adapter of `meshes` whose `cluster.installHints` names the group, else a generic message naming it.
 */
export function installerOf(group: string, meshes: readonly MeshHooks[] = []): string {
  for (const m of meshes) {
    const hint = m.cluster?.installHints?.[group];
    if (hint) return hint;
  }
  return CORE_INSTALL_HINTS[group] ?? `the CRDs of the API group ${group}`;
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
  return objects.map((o) =>
    isPatch(o) ? { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [PATCH_POLICY_SET_ANNOTATION]: policySet } } } : o,
  );
}

/** The policy set of generated objects, from the `unimesh.io/policy-set` label of the first object that has one. */
export function policySetOf(objects: readonly KubeObject[]): string | undefined {
  return objects.map((o) => o.metadata.labels?.[POLICY_SET_LABEL]).find((s) => !!s);
}

/**
 * Whether `fieldManager` applied the `unimesh.io/patch` annotation of a live object (so unimesh patched
 * it), from `metadata.managedFields`.
 */
export function appliedPatch(
  live: { metadata: { managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] } },
  fieldManager: string,
): boolean {
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
  "|Service",
  "|Namespace",
  "|ServiceAccount",
  "apps|Deployment",
  "apps|StatefulSet",
  "apps|DaemonSet",
]);

/** True for the kinds of {@link PATCH_ONLY_KINDS}. */
export function isPatchOnly(apiVersion: string, kind: string): boolean {
  return PATCH_ONLY_KINDS.has(`${splitApiVersion(apiVersion)[0]}|${kind}`);
}

/**
 * Whether `fieldManager` applied more than metadata to a live object (so the object is its own, and
 * pruning deletes it), from `metadata.managedFields`; undefined when the object has no managed fields.
 */
export function ownsContent(
  live: { metadata: { managedFields?: { manager?: string; operation?: string; fieldsV1?: unknown }[] } },
  fieldManager: string,
): boolean | undefined {
  const entries = live.metadata.managedFields;
  if (!entries?.length) return undefined;
  return entries.some(
    (m) =>
      m.manager === fieldManager &&
      m.operation === "Apply" &&
      !!m.fieldsV1 &&
      typeof m.fieldsV1 === "object" &&
      Object.keys(m.fieldsV1 as object).some((k) => k !== "f:metadata" && k !== "."),
  );
}

/**
 * Apply ranks of the kinds that are no one mesh's own ({@link APPLY_RANK}): Namespace and Service patches,
 * the Gateway API routes, unless the adapter ranks them (`cluster.applyRank`). Every other kind is
 * ranked by its adapter, else `APPLY_RANK.default` (with the routes).
 */
const CORE_RANKS: Readonly<Record<string, number>> = {
  "|Namespace": APPLY_RANK.namespace,
  "|Service": APPLY_RANK.services,
  "gateway.networking.k8s.io|HTTPRoute": APPLY_RANK.routes,
  "gateway.networking.k8s.io|GRPCRoute": APPLY_RANK.routes,
  "gateway.networking.k8s.io|TCPRoute": APPLY_RANK.routes,
  "gateway.networking.k8s.io|TLSRoute": APPLY_RANK.routes,
};

export type { RankedObject };

/**
 * Apply rank of an object (lower first; deletions run in reverse): the first rank an adapter of
 * `meshes` gives it (`cluster.applyRank`: for Istio, AuthorizationPolicy DENY and CUSTOM before ALLOW,
 * and its Service label patches, which send traffic to a waypoint, after every grant), else the core's
 * for the kinds of {@link CORE_RANKS}, else `APPLY_RANK.default`. So a new grant never goes live before
 * the restrictions that come with it (see `APPLY_RANK`).
 */
export function applyRank(o: RankedObject, meshes: readonly MeshHooks[] = []): number {
  for (const m of meshes) {
    const r = m.cluster?.applyRank?.(o);
    if (r !== undefined) return r;
  }
  return CORE_RANKS[`${splitApiVersion(o.apiVersion)[0]}|${o.kind}`] ?? APPLY_RANK.default;
}

/**
 * True for the objects of the authorization stage (authentications, restrictions, grants). When one
 * of them fails to apply, apply does not apply anything of a later rank to that cluster: a grant must
 * never go live without the restrictions and authentications it was generated with.
 */
export function isAuthorizationStage(o: RankedObject, meshes: readonly MeshHooks[] = []): boolean {
  const r = applyRank(o, meshes);
  return r >= AUTHORIZATION_STAGE[0] && r <= AUTHORIZATION_STAGE[1];
}

/** Items in apply order of their objects (stable: equal ranks keep their order). */
export function inApplyOrder<T>(items: readonly T[], objectOf: (t: T) => RankedObject = (t) => t as never, meshes: readonly MeshHooks[] = []): T[] {
  return items
    .map((o, i) => ({ o, i, r: applyRank(objectOf(o), meshes) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.o);
}

/** A plausible plural for a kind (`AuthorizationPolicy` → `authorizationpolicies`), for CRD names in messages. */
export function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/[^aeiou]y$/.test(k)) return k.slice(0, -1) + "ies";
  if (/(s|x|z|ch|sh)$/.test(k)) return k + "es";
  return k + "s";
}
