/**
 * `apply`: server-side apply of generated objects to one cluster.
 *
 * 1. {@link preflight}: every kind served (CRDs installed), every namespace and every annotated
 *    object present; otherwise nothing is applied.
 * 2. Objects are applied in dependency order (`inApplyOrder`: ranks strictly one after the other, up to
 *    4 objects of one rank at a time), each with
 *    `PATCH <object> Content-Type: application/apply-patch+yaml ?fieldManager=unimesh`, plus
 *    `force=true` only with `forceConflicts`, and `dryRun=All` for a server-side dry run.
 *    Patches (annotation `unimesh.io/patch`) get the annotation `unimesh.io/policy-set: <set>` first
 *    (`markPatches`), which is how `--prune` finds them later (they carry no ownership labels).
 *    A `409 Conflict` (another field manager owns a field with a different value) is reported with
 *    the managers and fields, and the other objects are still applied, with one exception: when an
 *    object of the authorization stage (`isAuthorizationStage`: authentications, DENY, then ALLOW
 *    policies) fails, the objects of the later ranks are not applied (reported `skipped`), so that a
 *    grant never goes live without the restrictions generated with it.
 * 3. With `prune`, once everything applied cleanly, objects of the same policy set that are no
 *    longer generated are deleted (with uid and resourceVersion preconditions), or, for patches and
 *    objects unimesh only annotated, stripped of unimesh's fields by an empty apply (see prune.ts).
 *
 * `dryRun: "client"` sends no write at all: it reads (discovery, existing objects, prune candidates)
 * and reports what would happen.
 */
import type { KubeObject } from "../api/adapter.js";
import type { KubeClient } from "./client.js";
import { ClusterError, KubeApiError, redact, secretValues } from "./errors.js";
import { fieldDiff, normalize } from "./fields.js";
import { type MeshHooks, applyRank, describe, inApplyOrder, isAuthorizationStage, markPatches, policySetOf } from "./kinds.js";
import { type LiveObject, type Planned, mapLimit, preflight } from "./preflight.js";
import { type PruneCandidate, type PruneScope, checkPruneScope, findPrunable } from "./prune.js";

/** The field manager unimesh applies with. */
export const FIELD_MANAGER = "unimesh";

/** Options of {@link applyObjects}. */
export interface ApplyOptions {
  /** @default "unimesh" */
  fieldManager?: string;
  /** Take ownership of fields other managers own (`force=true`). @default false */
  forceConflicts?: boolean;
  /** `server`: `dryRun=All` (validated and admitted, not persisted); `client`: no writes at all. */
  dryRun?: "server" | "client";
  /** Delete what the policy set no longer generates. */
  prune?: PruneScope;
  /**
   * The policy set the objects were translated for, recorded on patches (see `markPatches`).
   * @default `prune.policySet`, else the `unimesh.io/policy-set` label of the objects
   */
  policySet?: string;
  /** Progress lines for long applies (a line at the start, then at most one per `progressEveryMs`). */
  onProgress?: (message: string) => void;
  /** @default 2000 */
  progressEveryMs?: number;
  /**
   * The adapters whose cluster hooks rank the objects and name who installs missing CRDs: the one that
   * generated them (`[adapter]`). Required: without its ranks, an adapter's grants would not wait for
   * its restrictions (`[]`: core ranks only).
   */
  meshes: readonly MeshHooks[];
}

/** A field another manager owns. */
export interface FieldConflict {
  /** The other field manager, e.g. `kubectl-client-side-apply`. */
  manager: string;
  /** The field path as the API server prints it, e.g. `.spec.http`. */
  field: string;
}

/** What happened to one object. */
export type ApplyAction = "created" | "configured" | "unchanged" | "pruned" | "released" | "conflict" | "failed" | "skipped";

/** One line of the apply report. */
export interface ObjectOutcome {
  /** `Kind.group namespace/name`. */
  object: string;
  ref: { apiVersion: string; kind: string; namespace?: string; name: string };
  action: ApplyAction;
  /** Why it failed, or a remark. */
  message?: string;
  conflicts?: FieldConflict[];
}

/** The report of one cluster. */
export interface ApplyResult {
  outcomes: ObjectOutcome[];
  warnings: string[];
  /** Set when `prune` was asked for but skipped (because something failed). */
  pruneSkipped?: string;
}

const refOf = (o: KubeObject): ObjectOutcome["ref"] => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  name: o.metadata.name,
});

/** Reads the conflicting managers and fields out of a 409 Status of server-side apply. */
export function conflictsOf(e: KubeApiError): FieldConflict[] {
  const causes = e.body?.details?.causes ?? [];
  const out = causes
    .filter((c) => c.reason === "FieldManagerConflict" || c.field)
    .map((c) => ({ manager: /conflict with "([^"]*)"/.exec(c.message ?? "")?.[1] ?? "another manager", field: c.field ?? "?" }));
  if (out.length) return out;
  const m = /conflicts? with "([^"]*)"/.exec(e.body?.message ?? "");
  return [{ manager: m?.[1] ?? "another manager", field: "?" }];
}

/** True for a server-side apply conflict (not an optimistic-concurrency or precondition conflict). */
export function isApplyConflict(e: unknown): e is KubeApiError {
  if (!(e instanceof KubeApiError) || e.status !== 409) return false;
  return (e.body?.details?.causes ?? []).some((c) => c.reason === "FieldManagerConflict") || /^Apply failed/.test(e.body?.message ?? "");
}

/**
 * The server-side apply request of one object (or of an empty object: releases unimesh's fields), with
 * `fieldValidation=Strict` as `kubectl apply --server-side` sends it (an apply patch with a field the
 * schema does not declare is refused either way: a real API server answers 500 "failed to create typed
 * patch object ... field not declared in schema").
 */
export async function serverSideApply(
  client: KubeClient,
  path: string,
  body: unknown,
  opts: { fieldManager: string; force?: boolean; dryRun?: boolean },
): Promise<{ status: number; body: LiveObject }> {
  return client.request<LiveObject>("PATCH", path, {
    query: { fieldManager: opts.fieldManager, fieldValidation: "Strict", ...(opts.force ? { force: true } : {}), ...(opts.dryRun ? { dryRun: "All" } : {}) },
    body,
    contentType: "application/apply-patch+yaml",
  });
}

/** True when every field of `want` has the same value in `have` (client dry run: would applying change anything?). */
export function contains(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== "object") return have === want;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  if (!have || typeof have !== "object" || Array.isArray(have)) return false;
  return Object.entries(want).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
}

/**
 * Applies `objects` to the cluster of `client`.
 * @throws ClusterError when the preflight fails (nothing applied) or the cluster stops answering
 *   (the message lists what was applied before).
 */
export async function applyObjects(client: KubeClient, objects: readonly KubeObject[], opts: ApplyOptions): Promise<ApplyResult> {
  const fieldManager = opts.fieldManager ?? FIELD_MANAGER;
  if (opts.prune) checkPruneScope(objects, opts.prune);
  // A server's error may quote what it was sent: Secret values (CA keys) never reach a message.
  const hidden = secretValues(objects);
  const marked = markPatches(objects, opts.policySet ?? opts.prune?.policySet ?? policySetOf(objects));
  const meshes = opts.meshes;
  const ordered = inApplyOrder(await preflight(client, marked, meshes), (p) => p.obj, meshes);
  const outcomes: ObjectOutcome[] = new Array(ordered.length);
  const every = opts.progressEveryMs ?? 2000;
  const dryLabel = opts.dryRun ? ` (dry run: ${opts.dryRun})` : "";
  opts.onProgress?.(`applying ${ordered.length} object${ordered.length === 1 ? "" : "s"}${dryLabel}`);
  let done = 0;
  let last = Date.now();
  const tick = () => {
    done++;
    if (opts.onProgress && Date.now() - last >= every && done < ordered.length) {
      last = Date.now();
      opts.onProgress(`${done}/${ordered.length} applied`);
    }
  };

  const applyOne = async (p: Planned): Promise<ObjectOutcome> => {
    const base = { object: describe(p.obj), ref: refOf(p.obj) };
    if (opts.dryRun === "client") {
      return { ...base, action: !p.live ? "created" : contains(p.live, p.obj) ? "unchanged" : "configured" };
    }
    try {
      const r = await serverSideApply(client, p.path, p.obj, { fieldManager, force: opts.forceConflicts, dryRun: opts.dryRun === "server" });
      if (r.status === 201 || !p.live) return { ...base, action: "created" };
      // A dry run persists nothing, so its resourceVersion never moves: compare the content instead.
      const same =
        opts.dryRun === "server"
          ? fieldDiff(normalize(p.live), normalize(r.body)).length === 0
          : r.body?.metadata?.resourceVersion === p.live.metadata.resourceVersion && !!p.live.metadata.resourceVersion;
      return { ...base, action: same ? "unchanged" : "configured" };
    } catch (e) {
      if (isApplyConflict(e)) return { ...base, action: "conflict", conflicts: conflictsOf(e), message: e.body?.message && redact(e.body.message, hidden) };
      if (e instanceof KubeApiError) return { ...base, action: "failed", message: redact(e.message, hidden) };
      throw e;
    }
  };

  // Objects of one rank do not depend on each other: a few at a time; ranks strictly in order.
  // After a failure in the authorization stage, nothing of a later rank is applied.
  const ranks = [...new Set(ordered.map((p) => applyRank(p.obj, meshes)))];
  const bad = (o: ObjectOutcome | undefined) => o?.action === "conflict" || o?.action === "failed";
  try {
    let stoppedBy: ObjectOutcome | undefined;
    for (const rank of ranks) {
      const idx = ordered.map((p, i) => [p, i] as const).filter(([p]) => applyRank(p.obj, meshes) === rank);
      if (stoppedBy) {
        const why = `not applied: ${stoppedBy.object} did not apply, and nothing after an authorization object goes live without it (it could grant access the failed object restricts); fix it and apply again`;
        for (const [p, i] of idx) outcomes[i] = { object: describe(p.obj), ref: refOf(p.obj), action: "skipped", message: why };
        continue;
      }
      await mapLimit(idx, 4, async ([p, i]) => {
        outcomes[i] = await applyOne(p);
        tick();
      });
      stoppedBy = idx.map(([, i]) => outcomes[i]).find((o, k) => bad(o) && isAuthorizationStage(idx[k][0].obj, meshes));
    }
  } catch (e) {
    if (e instanceof ClusterError) {
      const applied = outcomes.filter(Boolean).map((o) => `${o.object} ${o.action}`);
      throw new ClusterError(
        e.code,
        redact(`${e.message}${applied.length ? `; before that: ${applied.join(", ")}` : "; nothing was applied"}`, hidden),
        e.details.map((d) => redact(d, hidden)),
      );
    }
    throw e;
  }

  const result: ApplyResult = { outcomes, warnings: [] };
  if (opts.prune) {
    const notApplied = outcomes.filter((o) => bad(o) || o.action === "skipped").length;
    if (notApplied) {
      result.pruneSkipped = `prune skipped: ${notApplied} object${notApplied === 1 ? "" : "s"} did not apply, so nothing is deleted until the apply succeeds`;
    } else {
      const { candidates, warnings } = await findPrunable(client, marked, opts.prune, fieldManager);
      result.warnings.push(...warnings);
      // Reverse dependency order: authorization first, mesh-wide objects last.
      for (const c of inApplyOrder(candidates, (x) => x.obj, meshes).reverse()) result.outcomes.push(await pruneOne(client, c, fieldManager, opts.dryRun));
    }
  }
  return result;
}

/** Deletes (or releases) one prune candidate. */
export async function pruneOne(client: KubeClient, c: PruneCandidate, fieldManager: string, dryRun?: "server" | "client"): Promise<ObjectOutcome> {
  const base = { object: describe(c.obj), ref: refOf(c.obj) };
  const action = c.mode === "delete" ? "pruned" : "released";
  if (dryRun === "client") return { ...base, action };
  try {
    if (c.mode === "release") {
      const empty = {
        apiVersion: c.obj.apiVersion,
        kind: c.obj.kind,
        metadata: { name: c.obj.metadata.name, ...(c.res.namespaced ? { namespace: c.obj.metadata.namespace } : {}) },
      };
      await serverSideApply(client, c.path, empty, { fieldManager, dryRun: dryRun === "server" });
    } else {
      await client.request("DELETE", c.path, {
        query: dryRun === "server" ? { dryRun: "All" } : {},
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: "Background",
          preconditions: { uid: c.obj.metadata.uid, resourceVersion: c.obj.metadata.resourceVersion },
        },
      });
    }
    return { ...base, action };
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return { ...base, action, message: "already gone" };
    if (e instanceof KubeApiError && e.status === 409)
      return { ...base, action: "failed", message: "changed since it was listed, so it was left alone; run apply --prune again" };
    if (e instanceof KubeApiError) return { ...base, action: "failed", message: e.message };
    throw e;
  }
}
