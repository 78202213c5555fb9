/**
 * `diff`: what `apply` would change, object by object and field by field. Each object is applied with
 * `dryRun=All` (so the API server fills in defaults, runs admission and reports conflicts, exactly as
 * a real apply would) and the answer is compared with the live object. Fields that always differ
 * (`metadata.managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`,
 * `selfLink`, `status`) are ignored. With `prune`, objects the policy set no longer generates are
 * listed as deletions (or, for patches of Services, Namespaces and other annotated objects, as the
 * removal of unimesh's fields). Patches get their `unimesh.io/policy-set` annotation as apply gives it.
 */
import type { KubeObject } from "../api/adapter.js";
import type { KubeClient } from "./client.js";
import { KubeApiError, redact, secretValues } from "./errors.js";
import { FIELD_MANAGER, type FieldConflict, conflictsOf, isApplyConflict, serverSideApply } from "./apply.js";
import { type MeshHooks, describe, inApplyOrder, markPatches, policySetOf } from "./kinds.js";
import { type LiveObject, mapLimit, preflight } from "./preflight.js";
import { type PruneScope, checkPruneScope, findPrunable } from "./prune.js";
import { type FieldChange, fieldDiff, normalize } from "./fields.js";

export { type FieldChange, fieldDiff, normalize };

/** What would happen to one object. */
export type DiffChange = "create" | "update" | "unchanged" | "delete" | "conflict" | "failed";

/** The diff of one object. */
export interface ObjectDiff {
  /** `Kind.group namespace/name`. */
  object: string;
  ref: { apiVersion: string; kind: string; namespace?: string; name: string };
  change: DiffChange;
  /** For `update` (and for annotated kinds pruned: the fields unimesh would remove). */
  fields?: FieldChange[];
  /** For `create`: the object as the server would store it (normalized). */
  created?: unknown;
  message?: string;
  conflicts?: FieldConflict[];
}

/** Options of {@link diffObjects}. */
export interface DiffOptions {
  /** @default "unimesh" */
  fieldManager?: string;
  /** Dry-run with `force=true`: show what taking ownership would change instead of the conflict. */
  forceConflicts?: boolean;
  /** Also list what `apply --prune` would delete. */
  prune?: PruneScope;
  /** The policy set, recorded on patches as apply does (see `ApplyOptions.policySet`). */
  policySet?: string;
  /**
   * The adapters whose cluster hooks rank the objects and name who installs missing CRDs: the one that
   * generated them (`[adapter]`). Required: without its ranks, an adapter's grants would not wait for
   * its restrictions (`[]`: core ranks only).
   */
  meshes: readonly MeshHooks[];
}

const refOf = (o: KubeObject): ObjectDiff["ref"] => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name,
});

/**
 * Diffs `objects` against the cluster of `client`, in apply order, then the prune candidates.
 * @throws ClusterError when the preflight fails (missing CRDs, namespaces, Services).
 */
export async function diffObjects(client: KubeClient, objects: readonly KubeObject[], opts: DiffOptions): Promise<{ diffs: ObjectDiff[]; warnings: string[] }> {
  const fieldManager = opts.fieldManager ?? FIELD_MANAGER;
  if (opts.prune) checkPruneScope(objects, opts.prune);
  // A server's error may quote what it was sent: Secret values (CA keys) never reach a message.
  const hidden = secretValues(objects);
  const marked = markPatches(objects, opts.policySet ?? opts.prune?.policySet ?? policySetOf(objects));
  const meshes = opts.meshes;
  const planned = inApplyOrder(await preflight(client, marked, meshes), (p) => p.obj, meshes);
  const diffs = await mapLimit(planned, 4, async (p): Promise<ObjectDiff> => {
    const base = { object: describe(p.obj), ref: refOf(p.obj) };
    let result: LiveObject;
    try {
      result = (await serverSideApply(client, p.path, p.obj, { fieldManager, force: opts.forceConflicts, dryRun: true })).body;
    } catch (e) {
      if (isApplyConflict(e)) return { ...base, change: "conflict", conflicts: conflictsOf(e), message: e.body?.message && redact(e.body.message, hidden) };
      if (e instanceof KubeApiError) return { ...base, change: "failed", message: redact(e.message, hidden) };
      throw e;
    }
    if (!p.live) return maskSecret({ ...base, change: "create", created: normalize(result) });
    const fields = fieldDiff(normalize(p.live), normalize(result));
    return fields.length ? maskSecret({ ...base, change: "update", fields }) : { ...base, change: "unchanged" };
  });
  const warnings: string[] = [];
  if (opts.prune) {
    const found = await findPrunable(client, marked, opts.prune, fieldManager);
    warnings.push(...found.warnings);
    for (const c of inApplyOrder(found.candidates, (x) => x.obj, meshes).reverse()) {
      const base = { object: describe(c.obj), ref: refOf(c.obj) };
      if (c.mode === "delete") {
        diffs.push({ ...base, change: "delete" });
        continue;
      }
      try {
        const empty = {
          apiVersion: c.obj.apiVersion,
          kind: c.obj.kind,
          metadata: { name: c.obj.metadata.name, ...(c.res.namespaced ? { namespace: c.obj.metadata.namespace } : {}) },
        };
        const r = await serverSideApply(client, c.path, empty, { fieldManager, dryRun: true });
        const fields = fieldDiff(normalize(c.obj), normalize(r.body));
        diffs.push(
          fields.length
            ? maskSecret({ ...base, change: "update", fields, message: "no longer generated: unimesh's fields are removed" })
            : { ...base, change: "unchanged" },
        );
      } catch (e) {
        if (e instanceof KubeApiError) diffs.push({ ...base, change: "failed", message: redact(e.message, hidden) });
        else throw e;
      }
    }
  }
  return { diffs, warnings };
}

/** What a masked Secret value shows instead (as `kubectl diff` masks Secret data). */
export const SECRET_MASK = "***";

/** `.data...`, `.stringData...`, and kubectl's last-applied annotation (a copy of the data): a Secret's values. */
const SECRET_PATH = /^\.(data|stringData)($|\.|\[)|^\.metadata\.annotations\["kubectl\.kubernetes\.io\/last-applied-configuration"\]$/;

const maskAll = (v: unknown): unknown =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, SECRET_MASK])) : SECRET_MASK;

/**
 * The diff of a Secret with its values masked, as `kubectl diff` does: a created Secret's `data` and
 * `stringData` values and a changed value as {@link SECRET_MASK} (`*** (before)` / `*** (after)` for a
 * change), kubectl's last-applied annotation too; so a diff of a CA Secret (`apply --trust-dir`) never
 * prints a key. Other objects as they are.
 */
export function maskSecret(d: ObjectDiff): ObjectDiff {
  if (d.ref.apiVersion !== "v1" || d.ref.kind !== "Secret") return d;
  const out: ObjectDiff = { ...d };
  if (d.created && typeof d.created === "object") {
    const c = JSON.parse(JSON.stringify(d.created)) as { data?: object; stringData?: object; metadata?: { annotations?: Record<string, string> } };
    if (c.data) c.data = maskAll(c.data) as object;
    if (c.stringData) c.stringData = maskAll(c.stringData) as object;
    const ann = c.metadata?.annotations;
    if (ann?.["kubectl.kubernetes.io/last-applied-configuration"] !== undefined) ann["kubectl.kubernetes.io/last-applied-configuration"] = SECRET_MASK;
    out.created = c;
  }
  if (d.fields)
    out.fields = d.fields.map((f) => {
      if (!SECRET_PATH.test(f.path)) return f;
      const m: FieldChange = { path: f.path, op: f.op };
      if (f.op === "change") return { ...m, before: `${SECRET_MASK} (before)`, after: `${SECRET_MASK} (after)` };
      if (f.before !== undefined) m.before = maskAll(f.before);
      if (f.after !== undefined) m.after = maskAll(f.after);
      return m;
    });
  return out;
}
