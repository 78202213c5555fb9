/**
 * Live mode of `inspect` and `explain` with `--applied` (or `--context` without input files): what
 * unimesh applied to one cluster, read back into the model, so that they show what is in force there.
 *
 * 1. The objects of every shipped importer's kinds (`MeshImporter.kinds`), with the Services and Pods,
 *    are listed as `unimesh import --context` lists them (`listNative`).
 * 2. Kept: what `unimesh apply` marks as its own — objects labelled `app.kubernetes.io/managed-by:
 *    unimesh`, and patches of user-owned objects (annotation `unimesh.io/patch`, e.g. Linkerd's Service
 *    annotations; see src/api/ownership.ts). Other mesh objects are counted and named on stderr, not read.
 * 3. The mesh is the one importer whose kinds those objects are (`--applied MESH` names it when a
 *    cluster holds several meshes' objects).
 * 4. Its importer maps them back to the policies they came from (the `unimesh.io/policies`
 *    annotation), with the cluster's Services and Pods as facts (as `discover` reads them). Every native
 *    field the model cannot carry stays a diagnostic (never dropped); an error (a malformed object, a
 *    rule the model could only state more loosely) means no model: a partial read-back could show wider
 *    access than the cluster enforces.
 * Each read-back document is one input of its own (`sources` maps it to the cluster objects it was read
 * from); `markReadBack` (src/inspect/describe.ts) then makes every item's origin name those objects
 * instead of a file:line.
 */
import type { Diagnostic } from "../api/diagnostics.js";
import type { TextInput } from "../api/validate.js";
import type { ClusterFlags } from "./cluster-command.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PATCH_ANNOTATION, POLICY_SET_LABEL } from "../api/ownership.js";

/** What was read back from the cluster. */
export interface AppliedState {
  context: string;
  /** The mesh whose objects unimesh applied (undefined: nothing applied there, only the facts). */
  mesh?: string;
  /** How many objects unimesh applied were read back (`Kind/namespace/name`, sorted). */
  objects: string[];
  /** Mesh objects in the cluster that unimesh did not apply: not part of this view (`unimesh import --context` reads them). */
  notApplied: number;
  /** The importer's diagnostics that are not info: native fields the model cannot carry, and so on. */
  diagnostics: Diagnostic[];
  /** The read-back documents, one input each (`file`: a key of {@link sources}). */
  inputs: TextInput[];
  /** Input file → the cluster objects its document was read from. */
  sources: Map<string, string[]>;
  /** The mesh's adapter and importer (with `mesh`), and the facts of the cluster's Services: to read the files back the same way ({@link filesAsApplied}). */
  readBack?: {
    adapter: import("../api/adapter.js").Adapter;
    importer: import("../api/import-contract.js").MeshImporter;
    services: import("../api/generated/model.js").MeshService[];
  };
}

/**
 * True for an object `unimesh apply` marks as its own (see src/api/ownership.ts): labelled
 * `app.kubernetes.io/managed-by: unimesh`, or a patch (annotation `unimesh.io/patch`); with `policySet`,
 * only those of that policy set (label `unimesh.io/policy-set`, or for a patch the annotation of that name).
 */
export function appliedByUnimesh(o: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }, policySet?: string): boolean {
  const labels = o.metadata?.labels ?? {};
  const annotations = o.metadata?.annotations ?? {};
  if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return policySet === undefined || labels[POLICY_SET_LABEL] === policySet;
  if (annotations[PATCH_ANNOTATION] !== undefined) return policySet === undefined || annotations[POLICY_SET_LABEL] === policySet;
  return false;
}

/**
 * Reads what unimesh applied to the cluster of `--context` (one context).
 * @param meshName `--applied MESH`, or undefined to find the mesh from the objects.
 * @param policySet `--policy-set NAME`: only the objects `apply` wrote for that policy set.
 * @returns the state, or an exit code once the problem is reported on stderr: 3 when the cluster
 *   cannot be read (unreachable, RBAC forbids listing a kind), 1 when what it holds cannot be read back.
 * @throws UsageError for several contexts, an unknown mesh or one without importer, or objects of
 *   several meshes without `--applied MESH`.
 */
export async function readApplied(
  flags: ClusterFlags,
  io: CliIO,
  cmd: string,
  meshName: string | undefined,
  policySet?: string,
): Promise<AppliedState | ExitCode> {
  const { UsageError, formatDiagnostic, hasErrors } = await import("../api/diagnostics.js");
  const { openClusters, stderrLine } = await import("./cluster-command.js");
  const { SHIPPED_ADAPTERS, findBuiltin } = await import("./adapters.js");
  const opened = await openClusters(flags, io, cmd);
  if (typeof opened === "number") return opened;
  if (opened.contexts.length !== 1) throw new UsageError(`${cmd} reads one cluster: name one context with --context (got ${opened.contexts.length})`);
  const all = (await SHIPPED_ADAPTERS.all()).filter((a) => a.importer);
  const candidates = meshName === undefined ? all : [await findBuiltin(meshName.toLowerCase(), SHIPPED_ADAPTERS, `--applied ${meshName}`)];
  if (!candidates[0].importer)
    throw new UsageError(
      `--applied ${meshName}: unimesh cannot read ${candidates[0].name} objects back (it imports from ${all.map((a) => a.name).join(", ")})`,
    );
  const importers = await Promise.all(candidates.map(async (a) => ({ adapter: a, importer: await a.importer!() })));
  const kinds = [...new Map(importers.flatMap((i) => i.importer.kinds).map((k) => [`${k.group}/${k.kind}`, k])).values()];

  const { forEachCluster } = await import("../kube/clusters.js");
  const { listNative } = await import("../kube/native.js");
  const { ClusterError, KubeApiError } = await import("../kube/errors.js");
  const [o] = await forEachCluster(
    opened.kubeconfig,
    opened.contexts,
    async (client) => {
      try {
        return await listNative(client, kinds);
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 403) {
          throw new ClusterError("forbidden", `RBAC forbids reading what unimesh applied: ${e.body?.message ?? e.message}`, [
            `${cmd} --applied lists the mesh's kinds (${kinds
              .filter((k) => k.group)
              .map((k) => `${k.kind}.${k.group}`)
              .join(
                ", ",
              )}), Services and Pods in every namespace: grant get/list on them (e.g. the view ClusterRole plus the mesh's CRDs), or inspect the files without --context`,
          ]);
        }
        throw e;
      }
    },
    { timeoutMs: opened.timeoutMs },
  );
  const context = o.context.name;
  if (!o.ok) {
    stderrLine(io, cmd, context, `error: ${o.error.message}`);
    for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
    return EXIT.CLUSTER;
  }
  const { nativeObject, importObjects } = await import("../api/import.js");
  const { mergeClusters } = await import("./commands/import.js");
  const { podsOf, servicesOf } = await import("./import-facts.js");
  const listed = o.value;
  const merged = mergeClusters([{ context, listed }], "default", nativeObject);
  const reads = (imp: (typeof importers)[number], x: { group: string; kind: string }) =>
    imp.importer.kinds.some((k) => k.group === x.group && k.kind === x.kind);
  const mine = merged.objects.filter((x) => appliedByUnimesh(x.object, policySet) && importers.some((i) => reads(i, x)));
  // The mesh: the importer whose (non-core) kinds hold objects unimesh applied.
  const holding = importers.filter((i) => mine.some((x) => x.group !== "" && reads(i, x)));
  if (meshName === undefined && holding.length > 1) {
    throw new UsageError(
      `the cluster of context ${context} holds objects unimesh applied for several meshes (${holding.map((i) => i.adapter.name).join(", ")}): name one with --applied MESH`,
    );
  }
  const chosen = meshName !== undefined ? importers[0] : holding[0];
  const objects = chosen ? mine.filter((x) => reads(chosen, x)) : [];
  const notApplied = chosen ? merged.objects.filter((x) => x.group !== "" && reads(chosen, x) && !appliedByUnimesh(x.object, policySet)).length : 0;
  const facts = servicesOf(merged.objects, [], [...podsOf(merged.objects), ...merged.pods], context);
  stderrLine(
    io,
    cmd,
    context,
    chosen
      ? `${objects.length} ${chosen.adapter.name} object${objects.length === 1 ? "" : "s"} applied by unimesh${policySet !== undefined ? ` (policy set ${policySet})` : ""} read back${notApplied ? `; ${notApplied} ${chosen.adapter.name} object${notApplied === 1 ? "" : "s"} not applied by unimesh${policySet !== undefined ? ` (or of another policy set)` : ""} left out (unimesh import --from ${chosen.adapter.name} --context ${context} reads them)` : ""}`
      : `no object applied by unimesh (label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}${policySet !== undefined ? `, ${POLICY_SET_LABEL}=${policySet}` : ""}): only the facts of ${facts.services.length} Service${facts.services.length === 1 ? "" : "s"}`,
  );

  let documents = facts.services as import("../api/generated/model.js").UnimeshDocument[];
  let from: string[][] = documents.map(() => []);
  let diagnostics: Diagnostic[] = [...merged.diagnostics];
  if (chosen) {
    const r = importObjects(objects, { importer: chosen.importer, mesh: chosen.adapter.name, services: facts.services, meshDefaults: "explicit" });
    diagnostics = [...diagnostics, ...r.diagnostics];
    documents = r.documents;
    from = r.from;
  }
  const shown = diagnostics.filter((d) => d.severity !== "info");
  for (const d of shown) io.stderr.write(formatDiagnostic(d) + "\n");
  if (hasErrors(diagnostics)) {
    const n = diagnostics.filter((d) => d.severity === "error").length;
    stderrLine(
      io,
      cmd,
      context,
      `error: what unimesh applied cannot be read back into the model (${n} error${n === 1 ? "" : "s"} above): nothing shown, since a partial view could show wider access than the cluster enforces`,
    );
    return EXIT.INVALID;
  }
  const { dumpYaml } = await import("../api/emit.js");
  const inputs: TextInput[] = [];
  const sources = new Map<string, string[]>();
  documents.forEach((doc, i) => {
    const file = `context/${context}/${doc.kind}/${doc.metadata.namespace ?? "default"}/${doc.metadata.name}`;
    const service = `Service/${doc.metadata.namespace ?? "default"}/${doc.metadata.name}`;
    const objs = doc.kind === "MeshService" ? [service, ...(from[i] ?? []).filter((x) => x !== service)] : [...(from[i] ?? [])];
    inputs.push({ file, text: dumpYaml(doc) });
    sources.set(file, objs);
  });
  return {
    context,
    ...(chosen ? { mesh: chosen.adapter.name, readBack: { adapter: chosen.adapter, importer: chosen.importer, services: facts.services } } : {}),
    objects: objects.map((x) => x.id).sort(),
    notApplied,
    diagnostics: shown,
    inputs,
    sources,
  };
}

/**
 * The files as the cluster would hold them once applied, read back: the files' model translated with the
 * mesh's adapter (its default version) and imported with its importer and the cluster's facts, as
 * {@link readApplied} reads the cluster. Comparing THIS with the cluster's read-back leaves out what is
 * only spelt differently (a default written out, e.g. a fault's `percent: 100`; a policy-level timeout
 * the importer puts on each route). Undefined when nothing was applied, or when the files cannot be
 * translated or read back without errors (the drift then compares the files' model itself).
 */
export async function filesAsApplied(files: import("../api/model.js").Model, state: AppliedState): Promise<import("../api/model.js").Model | undefined> {
  const rb = state.readBack;
  if (!rb) return undefined;
  const { translate } = await import("../api/translate.js");
  const { nativeObject, importObjects } = await import("../api/import.js");
  const { loadModel } = await import("../api/validate.js");
  const { hasErrors } = await import("../api/diagnostics.js");
  const { dumpYaml } = await import("../api/emit.js");
  const t = translate(files, { adapter: rb.adapter });
  if (!t.ok) return undefined;
  const natives = t.resources.flatMap((o, i) => nativeObject(o, { file: "<files>", documentIndex: i, pointer: "" }) ?? []);
  const r = importObjects(natives, { importer: rb.importer, mesh: rb.adapter.name, services: rb.services, meshDefaults: "explicit" });
  if (!r.ok) return undefined;
  const v = loadModel(r.documents.map((d, i) => ({ file: `<files read back>/${i}`, text: dumpYaml(d) })));
  return hasErrors(v.diagnostics) ? undefined : v.model;
}
