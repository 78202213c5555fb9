/**
 * Labels and annotations that mark what unimesh generated, and from which policies.
 * - label `app.kubernetes.io/managed-by: unimesh` on every object;
 * - label `unimesh.io/policy-set: <set>` (the `policySet` option): what `apply --prune` may delete;
 * - annotation `unimesh.io/policies`: the ids (`Kind/namespace/name`) of the policies an object came from;
 * - annotation `unimesh.io/patch: server-side-apply` on PATCHES of objects the user owns (e.g. Linkerd's
 *   Service annotations): they carry only the fields unimesh sets, must be applied with server-side apply
 *   (`unimesh apply`, `kubectl apply --server-side`), and get NO ownership labels, so that nothing that
 *   selects unimesh's objects by label (prune, `kubectl delete -l`) can ever delete the user's object.
 */
import type { Entry } from "./model.js";
import type { KubeObject } from "./adapter.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY_VALUE = "unimesh";
export const POLICY_SET_LABEL = "unimesh.io/policy-set";
export const POLICIES_ANNOTATION = "unimesh.io/policies";

/**
 * `metadata` for a generated object, annotated with the policies it came from (sorted, unique): keys
 * `name`, `namespace` (when given), `labels` (a copy of `extra.labels`), `annotations` (a copy of
 * `extra.annotations`, then `unimesh.io/policies` when there is any policy).
 */
export function objectMeta(
  name: string,
  namespace: string | undefined,
  from: Iterable<Entry<any> | string>,
  extra?: { labels?: Record<string, string>; annotations?: Record<string, string> },
): KubeObject["metadata"] {
  // Built key by key (every adapter calls this for every object: no spreads of temporaries).
  const meta = { name } as KubeObject["metadata"];
  if (namespace) meta.namespace = namespace;
  if (extra?.labels) meta.labels = { ...extra.labels };
  const annotations: Record<string, string> = extra?.annotations ? { ...extra.annotations } : {};
  const ids = policyIds(from);
  if (ids !== undefined) annotations[POLICIES_ANNOTATION] = ids;
  meta.annotations = annotations;
  return meta;
}

/** The policy ids of `from`, unique, sorted and joined by `,`; undefined when there are none. */
function policyIds(from: Iterable<Entry<any> | string>): string | undefined {
  if (Array.isArray(from) && from.length <= 1) {
    // Most objects come from one policy: no Set, no sort.
    if (from.length === 0) return undefined;
    const e = from[0] as Entry<any> | string;
    return typeof e === "string" ? e : e.id;
  }
  const ids = [...new Set([...from].map((e) => (typeof e === "string" ? e : e.id)))].sort();
  return ids.length ? ids.join(",") : undefined;
}

/** Adds ids to an object's `unimesh.io/policies` annotation (keeps it sorted and unique). */
export function addPolicies(obj: KubeObject, from: Iterable<Entry<any> | string>): void {
  const ann = (obj.metadata.annotations ??= {});
  const cur = ann[POLICIES_ANNOTATION] ? ann[POLICIES_ANNOTATION].split(",") : [];
  const ids = new Set([...cur, ...[...from].map((e) => (typeof e === "string" ? e : e.id))]);
  ann[POLICIES_ANNOTATION] = [...ids].sort().join(",");
}

/** Marks an object as a server-side-apply patch of a user-owned object (see above). */
export const PATCH_ANNOTATION = "unimesh.io/patch";

/** True for a patch of a user-owned object. */
export function isPatch(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[PATCH_ANNOTATION] !== undefined;
}

/** A policy an object says it came from (`unimesh.io/policies`). */
export interface PolicyRef {
  kind: string;
  namespace: string;
  name: string;
  /** `Kind/namespace/name`. */
  id: string;
}

/**
 * For an object unimesh generated (label `app.kubernetes.io/managed-by: unimesh`): the policies it
 * came from, read from its `unimesh.io/policies` annotation (ids that are not `Kind/namespace/name` are
 * skipped); undefined for any other object. Importers use it to map generated objects back to their
 * source policies.
 */
export function generatedFrom(obj: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }): PolicyRef[] | undefined {
  if (obj.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return undefined;
  const ids = obj.metadata.annotations?.[POLICIES_ANNOTATION] ?? "";
  const out: PolicyRef[] = [];
  for (const id of ids.split(",")) {
    const m = /^(TrafficPolicy|AccessPolicy|MTLSPolicy|RequestAuthentication)\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(id.trim());
    if (m) out.push({ kind: m[1], namespace: m[2], name: m[3], id: m[0] });
  }
  return out;
}
