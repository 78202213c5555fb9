/** What `inspect`, `explain` and `graph` share: reading the model, and `--mesh a,b` as adapters. */
import { InvalidInputError, UsageError, formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "../api/diagnostics.js";
import type { Model } from "../api/model.js";
import { resolveVersion } from "../api/translate.js";
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
  stderrLine(io, cmd, o.context.name, `facts of ${c.services.length} Service${c.services.length === 1 ? "" : "s"} read from the cluster (a MeshService in the files wins)`);
  return { file: `<context ${o.context.name}>`, text: docs.map((d) => "---\n" + dumpYaml(d)).join("") };
}

/**
 * `--mesh istio,linkerd@2.16` (or `all`: every shipped mesh but the built-in proxy, the reference) as
 * adapters and versions.
 * @throws UsageError for an unknown mesh or version, or `auto`.
 */
export async function meshTargets(value: string | undefined): Promise<MeshTarget[]> {
  if (value === undefined) return [];
  const names = value === "all" ? (await SHIPPED_ADAPTERS.all()).filter((a) => a.name !== "builtin").map((a) => a.name) : value.split(",").map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new UsageError(`--mesh "${value}": expected NAME[@VERSION][,NAME[@VERSION]...] or all`);
  const out: MeshTarget[] = [];
  for (const n of names) {
    const f = parseMeshFlag(n);
    if (f.auto || !f.name) throw new UsageError(`--mesh "${n}": expected NAME or NAME@VERSION (auto is for translate)`);
    const adapter = await findBuiltin(f.name, SHIPPED_ADAPTERS, `--mesh ${n}`);
    out.push({ adapter, version: resolveVersion(adapter, f.version) });
  }
  return out;
}
