/**
 * `--prune`: which objects in a cluster unimesh generated earlier for the same policy set and no
 * longer generates. Only objects that carry BOTH `app.kubernetes.io/managed-by=unimesh` and
 * `unimesh.io/policy-set=<set>` are candidates (the label selector asks the server, and every item is
 * checked again here); anything else is never touched.
 *
 * Kinds searched: every listable, deletable resource of the API groups of the objects generated now
 * and of the mesh's groups (`MESH_API_GROUPS`), so an object of a kind no longer generated at all is
 * found too; and Services, Namespaces and ServiceAccounts. An object unimesh only labelled and
 * annotated (its `unimesh` managed fields are all under `metadata`) is not deleted: unimesh's labels
 * and annotations are removed from it instead.
 */
import type { KubeObject } from "../api/adapter.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_SET_LABEL } from "../adapters/shared/ownership.js";
import { type ApiResource, KubeClient, splitApiVersion } from "./client.js";
import { ClusterError, KubeApiError } from "./errors.js";
import { isPatchOnly, objectKey, ownsContent } from "./kinds.js";
import type { LiveObject } from "./preflight.js";

/** An object to prune: deleted, or (for kinds unimesh only annotates) stripped of unimesh's fields. */
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
  /** Extra API groups to search (the mesh's, see `MESH_API_GROUPS`). */
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
    throw new ClusterError("refused", `--prune refused: the policies generate no object, so every object of policy set ${scope.policySet} would be deleted; to remove them on purpose: kubectl delete <kinds> -A -l ${pruneSelector(scope.policySet)}`);
  }
}

/**
 * Lists the objects of the policy set that are not among `generated`.
 * @returns candidates (in no particular order) and warnings for resources that could not be listed.
 */
export async function findPrunable(client: KubeClient, generated: readonly KubeObject[], scope: PruneScope, fieldManager = "unimesh"): Promise<{ candidates: PruneCandidate[]; warnings: string[] }> {
  const warnings: string[] = [];
  const keep = new Set(generated.map(objectKey));
  const resources = await resourcesToSearch(client, generated, scope.groups ?? []);
  const selector = pruneSelector(scope.policySet);
  const candidates: PruneCandidate[] = [];
  for (const res of resources) {
    let items: LiveObject[];
    try {
      items = await client.list<LiveObject>(KubeClient.path(res, undefined), { labelSelector: selector });
    } catch (e) {
      if (e instanceof KubeApiError && [403, 404, 405].includes(e.status)) {
        warnings.push(`cannot list ${res.kind}.${res.group || "core"} (${e.status === 403 ? "forbidden" : "not listable"}): its objects were not considered for pruning`);
        continue;
      }
      throw e;
    }
    for (const item of items) {
      // List items of built-in kinds carry no apiVersion/kind.
      const obj = { ...item, apiVersion: res.groupVersion, kind: res.kind } as LiveObject;
      const labels = obj.metadata.labels ?? {};
      if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || labels[POLICY_SET_LABEL] !== scope.policySet) continue;
      if ((obj.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
      if (keep.has(objectKey(obj))) continue;
      const namespace = res.namespaced ? obj.metadata.namespace : undefined;
      // Unimesh's own objects are deleted; objects it only labelled and annotated are given back.
      const own = ownsContent(obj, fieldManager) ?? !isPatchOnly(res.groupVersion, res.kind);
      candidates.push({ obj, res, path: KubeClient.path(res, namespace, obj.metadata.name), mode: own ? "delete" : "release" });
    }
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
  // Kinds unimesh only annotates: always searched (they are cheap to list and never deleted).
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
        if ((group === "" || group === "apps") && !patchOnly && !generated.some((o) => o.kind === r.kind && splitApiVersion(o.apiVersion)[0] === group)) continue;
        if (!patchOnly && !r.verbs.includes("delete")) continue;
        if (patchOnly && !r.verbs.includes("patch")) continue;
        const key = `${group}|${r.name}`;
        if (!out.has(key)) out.set(key, r);
      }
    }
  }
  return [...out.values()];
}
