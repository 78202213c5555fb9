/** What `inspect`, `explain` and `graph` share: reading the model, and `--mesh a,b` as adapters. */
import { InvalidInputError, UsageError, formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "../api/diagnostics.js";
import type { Model } from "../api/model.js";
import { checkSettings, resolveVersion } from "../api/translate.js";
import { loadModel, type TextInput } from "../api/validate.js";
import type { MeshTarget } from "../inspect/meshes.js";
import { SHIPPED_ADAPTERS, findBuiltin, parseMeshFlag } from "./adapters.js";
import type { ClusterFlags } from "./cluster-command.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { loadInputs } from "./inputs.js";

/**
 * The validated model of `paths`; warnings are printed on stderr (`quiet`: not the info notes).
 * @throws InvalidInputError (exit 1) with every error when the inputs are not valid.
 */
export function modelOf(paths: readonly string[], io: CliIO, quiet = true): Model {
  const r = loadInputs(paths, io);
  if (!r.ok) throw new InvalidInputError(r.diagnostics.filter((d: Diagnostic) => d.severity === "error"));
  for (const d of r.diagnostics) if (d.severity === "warning" || (!quiet && d.severity === "info")) io.stderr.write(formatDiagnostic(d) + "\n");
  return r.model;
}

/**
 * {@link modelOf}, in live mode (`--context NAME`) with the cluster's discovered facts as one more input
 * (see {@link liveInput}); an exit code when the cluster cannot be read.
 */
export async function liveModelOf(paths: readonly string[], io: CliIO, flags: ClusterFlags, cmd: string): Promise<Model | ExitCode> {
  const files = modelOf(paths, io);
  const declared = new Set(files.services.map((e) => `${e.namespace}/${e.name}`));
  const live = await liveInput(flags, io, cmd, declared);
  if (live === undefined) return files;
  if (typeof live === "number") return live;
  const r = loadInputs(paths, io);
  const v = loadModel([...r.inputs, live]);
  const diagnostics = sortDiagnostics(v.diagnostics);
  if (hasErrors(diagnostics)) throw new InvalidInputError(diagnostics.filter((d) => d.severity === "error"));
  return v.model;
}

/**
 * Live mode (`--context NAME`): the facts `unimesh discover` reads from that cluster (a ClusterInfo, and a
 * MeshService per Service: selectors, ports, service accounts, version subsets) as one more input, so
 * services the policy files do not describe get the cluster's facts instead of the conventions. A
 * MeshService the files declare wins over the discovered one (the files are what is reviewed).
 * Undefined without --context / --all-contexts; an exit code when the cluster cannot be read (reported
 * on stderr).
 * @throws UsageError for several contexts or bad cluster flags.
 */
export async function liveInput(flags: ClusterFlags, io: CliIO, cmd: string, declared: ReadonlySet<string>): Promise<TextInput | ExitCode | undefined> {
  if (!flags.context?.length && !flags.allContexts) return undefined;
  const { openClusters, stderrLine } = await import("./cluster-command.js");
  const opened = await openClusters(flags, io, cmd);
  if (typeof opened === "number") return opened;
  if (opened.contexts.length !== 1) throw new UsageError(`${cmd} reads one cluster: name one context with --context (got ${opened.contexts.length})`);
  const { forEachCluster } = await import("../kube/clusters.js");
  const { discoverCluster } = await import("../kube/discover.js");
  const { BUILTIN_ADAPTERS: meshes } = await import("../adapters/index.js");
  const [o] = await forEachCluster(opened.kubeconfig, opened.contexts, (client) => discoverCluster(client, { meshes }), { timeoutMs: opened.timeoutMs });
  if (!o.ok) {
    stderrLine(io, cmd, o.context.name, `error: ${o.error.message}`);
    for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
    return EXIT.CLUSTER;
  }
  const c = o.value;
  const { dumpYaml } = await import("../api/emit.js");
  const docs = [c.info, ...c.services.map((s) => s.doc).filter((d) => !declared.has(`${d.metadata.namespace ?? "default"}/${d.metadata.name}`))];
  stderrLine(
    io,
    cmd,
    o.context.name,
    `facts of ${c.services.length} Service${c.services.length === 1 ? "" : "s"} read from the cluster (a MeshService in the files wins)`,
  );
  return { file: `<context ${o.context.name}>`, text: docs.map((d) => "---\n" + dumpYaml(d)).join("") };
}

/**
 * `--mesh istio,linkerd@2.16` (or `all`: every shipped mesh but the built-in proxy, the reference) as
 * adapters and versions.
 * @throws UsageError for an unknown mesh or version, or `auto`.
 */
export async function meshTargets(value: string | undefined, settings?: Readonly<Record<string, string>>): Promise<MeshTarget[]> {
  if (value === undefined) {
    if (settings && Object.keys(settings).length) throw new UsageError("--set: the settings are for the --mesh translations; add --mesh NAME[@VERSION]");
    return [];
  }
  const names =
    value === "all"
      ? (await SHIPPED_ADAPTERS.all()).filter((a) => a.name !== "builtin").map((a) => a.name)
      : value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
  if (!names.length) throw new UsageError(`--mesh "${value}": expected NAME[@VERSION][,NAME[@VERSION]...] or all`);
  const out: MeshTarget[] = [];
  for (const n of names) {
    const f = parseMeshFlag(n);
    if (f.auto || !f.name) throw new UsageError(`--mesh "${n}": expected NAME or NAME@VERSION (auto is for translate)`);
    const adapter = await findBuiltin(f.name, SHIPPED_ADAPTERS, `--mesh ${n}`);
    out.push({
      adapter,
      version: resolveVersion(adapter, f.version),
      ...(settings && Object.keys(settings).length ? { settings: checkSettings(adapter, { ...settings }) } : {}),
    });
  }
  return out;
}

/** Flags of live mode: the cluster flags and `--applied [MESH]`. */
export interface LiveFlags extends ClusterFlags {
  /** `--applied` (true) or `--applied MESH`. */
  applied?: boolean | string;
  /** `--policy-set NAME`: with --applied, only that policy set's objects. */
  policySet?: string;
}

/** The model `inspect`/`explain` work on, and in live mode what it was read from. */
export interface LiveModels {
  /** The model inspected: the files' (with the cluster's facts with --context), or the applied policies' (--applied). */
  model: Model;
  /** With --applied: what was read back from the cluster. */
  applied?: import("./applied.js").AppliedState;
  /** With --applied and input files: the files' model, to compare with (drift). */
  files?: Model;
}

/**
 * The model of `inspect`/`explain`:
 * - no `--context`: the files (default: the current directory);
 * - `--context NAME` with files: the files, with the cluster's discovered facts ({@link liveModelOf});
 * - `--applied [MESH]`, or `--context NAME` without files: the policies unimesh applied to that cluster,
 *   read back (src/cli/applied.ts); with files too, their model is returned as `files` for the drift.
 * An exit code once a cluster problem is reported.
 * @throws InvalidInputError for invalid files; UsageError for bad flags.
 */
export async function modelsFor(paths: readonly string[], io: CliIO, flags: LiveFlags, cmd: string): Promise<LiveModels | ExitCode> {
  const hasContext = !!(flags.context?.length || flags.allContexts);
  const applied = flags.applied !== undefined && flags.applied !== false ? flags.applied : hasContext && !paths.length ? true : undefined;
  if (applied === undefined) {
    if (flags.policySet !== undefined)
      throw new UsageError("--policy-set selects what --applied reads from the cluster: give --applied (or --context without input files)");
    const model = await liveModelOf(paths.length ? paths : ["."], io, flags, cmd);
    return typeof model === "number" ? model : { model };
  }
  const files = paths.length ? modelOf(paths, io) : undefined;
  const { readApplied } = await import("./applied.js");
  const state = await readApplied(flags, io, cmd, typeof applied === "string" ? applied : undefined, flags.policySet);
  if (typeof state === "number") return state;
  const v = loadModel(state.inputs);
  if (hasErrors(v.diagnostics)) throw new InvalidInputError(v.diagnostics.filter((d) => d.severity === "error"));
  const { markReadBack } = await import("../inspect/describe.js");
  markReadBack(v.model, state.context, state.sources);
  return { model: v.model, applied: state, ...(files ? { files } : {}) };
}

/** The part of {@link LiveModels.applied} that `-o json` prints (the `applied` key). */
export function appliedJson(a: import("./applied.js").AppliedState): Record<string, unknown> {
  return { context: a.context, ...(a.mesh ? { mesh: a.mesh } : {}), objects: a.objects, notApplied: a.notApplied, diagnostics: a.diagnostics };
}

/** One line about what was read back (text output), and the fields the model could not carry. */
export function formatApplied(a: import("./applied.js").AppliedState): string {
  const lines = [
    "",
    `read back from cluster ${a.context}: ${a.mesh ? `${a.objects.length} ${a.mesh} object${a.objects.length === 1 ? "" : "s"} applied by unimesh` : "no object applied by unimesh (facts only)"}${a.notApplied ? `; ${a.notApplied} not applied by unimesh left out` : ""}`,
  ];
  if (a.diagnostics.length) {
    lines.push("  not read back (native fields the model cannot carry):");
    for (const d of a.diagnostics) lines.push(`    ${formatDiagnostic(d)}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * With `--applied` and files: how the cluster's view of `namespace/service` (`cluster`, already
 * inspected) differs from the files' (see src/inspect/drift.ts), the files read back as the cluster is
 * (`filesAsApplied`); undefined without files. A service the
 * files do not know has every applied policy as `not-in-files`.
 */
export async function driftFor(
  live: LiveModels,
  ref: { namespace: string; service: string },
  cluster: import("../inspect/inspect.js").Inspection,
): Promise<import("../inspect/drift.js").Drift[] | undefined> {
  if (!live.files) return undefined;
  const { inspect } = await import("../inspect/inspect.js");
  const { driftOf } = await import("../inspect/drift.js");
  const { filesAsApplied } = await import("./applied.js");
  // The files as the cluster would hold them (translated, read back the same way), else as written.
  const expected = (live.applied && (await filesAsApplied(live.files, live.applied))) ?? live.files;
  let files: import("../inspect/inspect.js").Inspection;
  try {
    files = inspect(expected, ref);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    files = {
      ...cluster,
      destination: { routes: [], defaultRoute: true, settings: [], access: { mode: "open", policies: [], rules: [], callers: [] }, mtls: [], jwt: [] },
    };
  }
  const ids = (m: Model) => new Set(m.policies.map((e) => e.id));
  return driftOf(files, cluster, { files: ids(expected), cluster: ids(live.model) });
}
