/**
 * `--prune`: which objects in a cluster unimesh applied earlier for the same policy set and no longer
 * generates. Nothing else is ever touched. Two kinds of candidates:
 *
 * 1. Unimesh's own objects: only objects that carry BOTH `app.kubernetes.io/managed-by=unimesh` and
 *    `unimesh.io/policy-set=<set>` (the label selector asks the server, and every item is checked again
 *    here). Deleted; except that an object unimesh only labelled and annotated (its `unimesh` managed
 *    fields are all under `metadata`, or it is a patch) is released instead (see below).
 * 2. Patches of user-owned objects (annotation `unimesh.io/patch`: Linkerd's annotations on a Service,
 *    the default inbound policy of a Namespace). `translate()` gives them NO ownership labels, so no
 *    label selector can find them. For the kinds adapters patch (`PATCH_ONLY_KINDS`: Services,
 *    Namespaces, ...) every object is listed, and one is a candidate only when ALL of these hold:
 *    - it carries the `unimesh.io/patch` annotation, and `metadata.managedFields` shows that the field
 *      manager `unimesh` applied that annotation (so unimesh patched it, not a copy-paste by hand);
 *    - its annotation `unimesh.io/policy-set` names this policy set. Apply writes that annotation on
 *      every patch (`markPatches` in kinds.ts), because the policy set is in no label of a patch, and
 *      without it `apply --prune` of one policy set would strip another set's patches;
 *    - it is not generated now.
 *    Patches are never deleted: they are released, i.e. server-side applied EMPTY (apiVersion, kind,
 *    name, namespace) with field manager `unimesh`, which removes exactly the fields unimesh owns there
 *    (its annotations, the policy-set annotation included) and nothing another manager owns. A patch
 *    with the `unimesh.io/patch` annotation but no policy-set annotation (applied by an older unimesh,
 *    or with `kubectl apply --server-side --field-manager=unimesh`) is left alone with a warning.
 *    One field manager per object: when two policy sets patch the same object, the later apply takes
 *    over (server-side apply removes what the same manager no longer applies), and so does its set.
 *
 * Kinds searched: every listable, deletable resource of the API groups of the objects generated now
 * and of the mesh's groups (`Adapter.apiGroups`), so an object of a kind no longer generated at all is
 * found too; and the patchable kinds (Services, Namespaces and ServiceAccounts always).
 */
import type { KubeObject } from "../api/adapter.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_SET_LABEL } from "../api/ownership.js";
import { type ApiResource, KubeClient, splitApiVersion } from "./client.js";
import { ClusterError, KubeApiError } from "./errors.js";
import { PATCH_POLICY_SET_ANNOTATION, appliedPatch, describe, isPatch, isPatchOnly, objectKey, ownsContent } from "./kinds.js";
import type { LiveObject } from "./preflight.js";

/** An object to prune: deleted, or (patches, and objects unimesh only annotated) stripped of unimesh's fields. */
export interface PruneCandidate {
  obj: LiveObject;
  res: ApiResource;
  path: string;
  mode: "delete" | "release";
}

/** Options of {@link findPrunable}. */
export interface PruneScope {
  /** The `unimesh.io/policy-set` of this run. */
  policySet: string;
  /** Extra API groups to search (the adapter's `apiGroups`). */
  groups?: readonly string[];
}

/** The label selector of one policy set. */
export function pruneSelector(policySet: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${POLICY_SET_LABEL}=${policySet}`;
}

/**
 * Refuses to prune when nothing is generated: that would delete every object of the policy set, which
 * is more likely a wrong input (a file with only MeshServices, a wrong directory) than the intent.
 * @throws ClusterError(`refused`) saying how to delete them on purpose.
 */
export function checkPruneScope(generated: readonly KubeObject[], scope: PruneScope): void {
  if (generated.length === 0) {
    throw new ClusterError(
      "refused",
      `--prune refused: the policies generate no object, so every object of policy set ${scope.policySet} would be deleted; to remove them on purpose: kubectl delete <kinds> -A -l ${pruneSelector(scope.policySet)}`,
    );
  }
}

/**
 * Lists the objects of the policy set that are not among `generated`.
 * @returns candidates (in no particular order) and warnings for resources that could not be listed.
 */
export async function findPrunable(
  client: KubeClient,
  generated: readonly KubeObject[],
  scope: PruneScope,
  fieldManager = "unimesh",
): Promise<{ candidates: PruneCandidate[]; warnings: string[] }> {
  const warnings: string[] = [];
  const keep = new Set(generated.map(objectKey));
  const resources = await resourcesToSearch(client, generated, scope.groups ?? []);
  const selector = pruneSelector(scope.policySet);
  const candidates: PruneCandidate[] = [];
  const unmarked: string[] = [];
  for (const res of resources) {
    // Patchable kinds are listed whole: their patches carry no label to select them by.
    const patchable = isPatchOnly(res.groupVersion, res.kind);
    let items: LiveObject[];
    try {
      items = await client.list<LiveObject>(KubeClient.path(res, undefined), patchable ? {} : { labelSelector: selector });
    } catch (e) {
      if (e instanceof KubeApiError && [403, 404, 405].includes(e.status)) {
        warnings.push(
          `cannot list ${res.kind}.${res.group || "core"} (${e.status === 403 ? "forbidden" : "not listable"}): its objects were not considered for pruning`,
        );
        continue;
      }
      throw e;
    }
    for (const item of items) {
      // List items of built-in kinds carry no apiVersion/kind.
      const obj = { ...item, apiVersion: res.groupVersion, kind: res.kind } as LiveObject;
      if ((obj.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
      if (keep.has(objectKey(obj))) continue;
      const namespace = res.namespaced ? obj.metadata.namespace : undefined;
      const path = KubeClient.path(res, namespace, obj.metadata.name);
      const labels = obj.metadata.labels ?? {};
      if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && labels[POLICY_SET_LABEL] === scope.policySet) {
        // Unimesh's own objects are deleted; objects it only labelled and annotated, and patches, are given back.
        const own = !isPatch(obj) && (ownsContent(obj, fieldManager) ?? !patchable);
        candidates.push({ obj, res, path, mode: own ? "delete" : "release" });
        continue;
      }
      if (!patchable || !isPatch(obj) || !appliedPatch(obj, fieldManager)) continue;
      const set = obj.metadata.annotations?.[PATCH_POLICY_SET_ANNOTATION];
      if (set === undefined) unmarked.push(describe(obj));
      else if (set === scope.policySet) candidates.push({ obj, res, path, mode: "release" });
    }
  }
  if (unmarked.length) {
    warnings.push(
      `${unmarked.length} object${unmarked.length === 1 ? "" : "s"} patched by unimesh name${unmarked.length === 1 ? "s" : ""} no policy set (annotation ${PATCH_POLICY_SET_ANNOTATION}; applied by an older unimesh), so ${unmarked.length === 1 ? "it was" : "they were"} left alone: ${unmarked.join(", ")}; to remove unimesh's fields from one: kubectl apply --server-side --field-manager=unimesh -f <a file with only its apiVersion, kind, metadata.name and metadata.namespace>`,
    );
  }
  return { candidates, warnings };
}

/** One resource per (group, resource name): the generated objects' versions first, else the preferred one. */
async function resourcesToSearch(client: KubeClient, generated: readonly KubeObject[], extraGroups: readonly string[]): Promise<ApiResource[]> {
  const groups = await client.apiGroups();
  const wantedVersions = new Map<string, Set<string>>();
  for (const o of generated) {
    const [g, v] = splitApiVersion(o.apiVersion);
    if (!wantedVersions.has(g)) wantedVersions.set(g, new Set());
    wantedVersions.get(g)!.add(v);
  }
  for (const g of extraGroups) if (!wantedVersions.has(g)) wantedVersions.set(g, new Set());
  // Kinds unimesh patches: always searched (they are cheap to list and never deleted).
  if (!wantedVersions.has("")) wantedVersions.set("", new Set());
  wantedVersions.get("")!.add("v1");

  const out = new Map<string, ApiResource>();
  for (const [group, versions] of wantedVersions) {
    const g = groups.find((x) => x.name === group);
    if (!g) continue;
    const order = [...[...versions].filter((v) => g.versions.includes(v)), g.preferredVersion, ...g.versions];
    for (const v of [...new Set(order)]) {
      const list = await client.resources(group ? `${group}/${v}` : v);
      for (const r of list ?? []) {
        if (!r.verbs.includes("list")) continue;
        const patchOnly = isPatchOnly(r.groupVersion, r.kind);
        // Built-in groups: only the kinds unimesh annotates, or generated now.
        if ((group === "" || group === "apps") && !patchOnly && !generated.some((o) => o.kind === r.kind && splitApiVersion(o.apiVersion)[0] === group))
          continue;
        if (!patchOnly && !r.verbs.includes("delete")) continue;
        if (patchOnly && !r.verbs.includes("patch")) continue;
        const key = `${group}|${r.name}`;
        if (!out.has(key)) out.set(key, r);
      }
    }
  }
  return [...out.values()];
}
