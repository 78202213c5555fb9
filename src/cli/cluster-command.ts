/**
 * What `discover`, `diff` and `apply` share: the cluster flags (`--kubeconfig`, `--context`,
 * `--all-contexts`, `--request-timeout`), the policy flags of `diff`/`apply` (same names as
 * `translate`), translating for each cluster (`--mesh auto` reads ClusterInfo documents for that
 * context, else detects the mesh the cluster runs), and the exit code from every cluster's outcome.
 *
 * Imported at start-up by the command files: only commander and types at the top; the cluster
 * layer (and with it `@kubernetes/client-node`) is imported when a command runs.
 */
import type { Command, Option } from "commander";
import type { KubeObject } from "../api/adapter.js";
import type { Diagnostic } from "../api/diagnostics.js";
import type { KubeClient } from "../kube/client.js";
import type { ContextRef, Kubeconfig } from "../kube/kubeconfig.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { collect, outputOption, quietOption } from "./options.js";

/** Flags of every cluster command. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string[];
  allContexts?: boolean;
  requestTimeout: string;
}

/** Adds the cluster flags. */
export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option("--kubeconfig <path>", "kubeconfig file (default: the files in $KUBECONFIG, else ~/.kube/config)")
    .option("--context <names>", "kubeconfig context(s) to work on, comma-separated or repeated (default: the current context)", collect)
    .option("--all-contexts", "every context of the kubeconfig")
    .option("--request-timeout <duration>", "timeout of each API request (e.g. 10s, 1m)", "30s");
}

/** Flags of `diff` and `apply` (the same names as `translate`). */
export interface PolicyFlags {
  mesh?: string;
  adapter?: string;
  allow: string[];
  policySet?: string;
  set: string[];
  strict?: boolean;
  forceConflicts?: boolean;
  prune?: boolean;
  /** `-q, --quiet`: no info notes in the text output. */
  quiet?: boolean;
  output: "text" | "json";
}

/** Adds the translation flags of `diff` and `apply`. */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .argument("<inputs...>", "policy files, directories (read recursively for *.yaml, *.yml, *.json) or - for stdin")
    .option(
      "-m, --mesh <name[@version]|auto>",
      "target mesh and version, e.g. istio@1.30; auto: for each cluster, the mesh of its ClusterInfo document in the inputs (spec.context), else the mesh detected in the cluster",
    )
    .option("--adapter <package|path>", "use a third-party adapter (see `unimesh translate --help`)")
    .option("--allow <approximation>", "accept a looser translation the adapter offers (repeatable)", collect, [])
    .option("--policy-set <name>", "identity of this set of policies: the unimesh.io/policy-set label, and what --prune may delete (default: default)")
    .option("--set <key=value>", "adapter setting (repeatable)", collect, [])
    .option("--strict", "treat warnings as errors")
    .option("--force-conflicts", "take ownership of fields another field manager owns (server-side apply force)")
    .option(
      "--prune",
      "also delete the objects of this policy set (labels app.kubernetes.io/managed-by=unimesh, unimesh.io/policy-set=<set>) that are no longer generated",
    )
    .addOption(quietOption());
}

/** `--output text|json` of `diff` and `apply`. */
export function clusterOutputOption(): Option {
  return outputOption(
    "text: readable lines on stdout, progress and diagnostics on stderr; json: one JSON report on stdout, diagnostics as one JSON object on stderr",
  );
}

/**
 * Loads the kubeconfig and picks the contexts. A kubeconfig that cannot be read is reported on stderr
 * and returned as exit code 3.
 * @throws UsageError for bad flags or an unknown context (exit 2).
 */
export async function openClusters(
  flags: ClusterFlags,
  io: CliIO,
  cmd: string,
): Promise<{ kubeconfig: Kubeconfig; contexts: ContextRef[]; timeoutMs: number } | ExitCode> {
  const { ClusterError } = await import("../kube/errors.js");
  try {
    return await loadClusters(flags, io);
  } catch (e) {
    if (!(e instanceof ClusterError)) throw e;
    stderrLine(io, cmd, undefined, `error: ${e.message}`);
    return EXIT.CLUSTER;
  }
}

async function loadClusters(flags: ClusterFlags, io: CliIO): Promise<{ kubeconfig: Kubeconfig; contexts: ContextRef[]; timeoutMs: number }> {
  const { UsageError } = await import("../api/diagnostics.js");
  const { parseDuration } = await import("../api/duration.js");
  const names = (flags.context ?? [])
    .flatMap((c) => c.split(","))
    .map((c) => c.trim())
    .filter(Boolean);
  if (flags.allContexts && names.length) throw new UsageError("--context and --all-contexts exclude each other");
  const timeoutMs = parseDuration(flags.requestTimeout);
  if (timeoutMs === undefined || timeoutMs < 1) throw new UsageError(`--request-timeout ${flags.requestTimeout}: expected a duration such as 30s or 1m`);
  const { Kubeconfig } = await import("../kube/kubeconfig.js");
  const kubeconfig = await Kubeconfig.load({ kubeconfig: flags.kubeconfig, env: io.env, cwd: io.cwd });
  return { kubeconfig, contexts: kubeconfig.select({ contexts: names, all: flags.allContexts }), timeoutMs };
}

/** What one cluster gets: the objects translated for the mesh it runs. */
export interface ClusterTranslation {
  /** `istio@1.30`. */
  mesh: string;
  adapterName: string;
  /** The adapter's declared API groups (`Adapter.apiGroups`), searched by `--prune`. */
  apiGroups: readonly string[];
  /** The adapter, for its cluster hooks (apply order, who installs missing CRDs). */
  hooks: Pick<import("../api/adapter.js").Adapter, "cluster">;
  policySet: string;
  objects: KubeObject[];
  /** Diagnostics of the translation (warnings; errors make it `invalid`). */
  diagnostics: Diagnostic[];
  ok: boolean;
  /** How `--mesh auto` chose, for the progress line. */
  chosenBy?: string;
  /** The VirtualMesh member this cluster is (virtual-mesh runs only). */
  member?: import("../api/generated/model.js").VirtualMeshMember;
}

/** Reads the inputs and prepares translations: once for `--mesh NAME`, per cluster for `--mesh auto`. */
export interface Translations {
  /** Validation diagnostics of the inputs. */
  diagnostics: Diagnostic[];
  /** Set when the inputs are invalid (nothing may be applied). */
  invalid: boolean;
  /** Set for a named mesh: the one translation (may be invalid). */
  fixed?: ClusterTranslation;
  /** The translation for one cluster (`--mesh auto` detects its mesh). @throws ClusterError(`mesh`) */
  forCluster(client: KubeClient): Promise<ClusterTranslation>;
  /** Policy statuses for the JSON report. */
  status(diags: readonly Diagnostic[]): unknown[];
  /** With a VirtualMesh among the inputs: its members' kubeconfig contexts (the default `--context`). */
  memberContexts?: string[];
  /**
   * Called once the kubeconfig is open (virtual mesh: to reach the other members' clusters, whose meshes
   * a member's translation needs when they say `mesh: auto`).
   */
  attach?(kubeconfig: Kubeconfig, timeoutMs: number): void;
}

/**
 * Checks the mesh flags (usage errors before anything else), reads and validates the inputs, and
 * translates when the mesh is named.
 * @throws UsageError for bad flags, an unknown mesh or version.
 */
export async function prepareTranslations(paths: string[], flags: PolicyFlags, io: CliIO): Promise<Translations> {
  const { UsageError } = await import("../api/diagnostics.js");
  const { BUILTIN_ADAPTERS } = await import("../adapters/index.js");
  const { requestMesh, chooseMesh, builtinAdapter } = await import("./adapters.js");
  const { loadInputs } = await import("./inputs.js");
  const { policyStatus } = await import("./report.js");
  const { translate, resolveVersion } = await import("../api/translate.js");
  const { pickMesh } = await import("./mesh-auto.js");

  const settings: Record<string, string> = {};
  for (const kv of flags.set) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--set ${kv}: expected key=value`);
    settings[kv.slice(0, i).trim()] = kv.slice(i + 1);
  }
  const allowApproximations = flags.allow
    .flatMap((a) => a.split(","))
    .map((a) => a.trim())
    .filter(Boolean);
  // Without --mesh/--adapter the inputs may hold a VirtualMesh, whose members name their meshes.
  const early = flags.mesh === undefined && flags.adapter === undefined ? loadInputs(paths, io, flags.strict) : undefined;
  if (early?.ok && early.model.virtualMesh) {
    const { virtualTranslations } = await import("./virtual-mesh.js");
    return virtualTranslations(early, flags, settings, allowApproximations, BUILTIN_ADAPTERS);
  }
  // An invalid VirtualMesh: its diagnostics (without one, a missing --mesh is the usage error it always was).
  if (early && !early.ok && early.inputs.some((i) => /^kind:\s*VirtualMesh\s*$/m.test(i.text)))
    return {
      diagnostics: early.diagnostics,
      invalid: true,
      status: (d) => policyStatus(early.model, d),
      forCluster: () => Promise.reject(new Error("invalid inputs")),
    };
  const request = await requestMesh(flags.mesh, flags.adapter, BUILTIN_ADAPTERS, io.cwd);
  const loaded = early ?? loadInputs(paths, io, flags.strict);
  const status = (d: readonly Diagnostic[]) => policyStatus(loaded.model, d);
  if (loaded.ok && loaded.model.virtualMesh) {
    const { virtualTranslations } = await import("./virtual-mesh.js");
    return virtualTranslations(loaded, flags, settings, allowApproximations, BUILTIN_ADAPTERS);
  }

  const cache = new Map<string, ClusterTranslation>();
  const run = (adapter: import("../api/adapter.js").Adapter, version: string, chosenBy?: string, auto: Record<string, string> = {}): ClusterTranslation => {
    const key = `${adapter.name}@${version} ${JSON.stringify(auto)}`;
    let t = cache.get(key);
    if (!t) {
      const r = translate(loaded.model, {
        adapter,
        version,
        allowApproximations,
        settings: { ...auto, ...settings },
        strict: flags.strict,
        ...(flags.policySet !== undefined ? { policySet: flags.policySet } : {}),
      });
      t = {
        mesh: r.mesh,
        adapterName: adapter.name,
        apiGroups: adapter.apiGroups ?? [],
        hooks: adapter,
        policySet: flags.policySet ?? "default",
        objects: r.resources,
        diagnostics: r.diagnostics,
        ok: r.ok,
      };
      cache.set(key, t);
    }
    return chosenBy ? { ...t, chosenBy } : t;
  };

  if (!loaded.ok) return { diagnostics: loaded.diagnostics, invalid: true, status, forCluster: () => Promise.reject(new Error("invalid inputs")) };
  // The adapters --mesh auto may pick, whose cluster hooks detect meshes and map versions: --adapter's first.
  const candidates = [...(request.adapter ? [request.adapter] : []), ...BUILTIN_ADAPTERS.filter((a) => a.name !== request.adapter?.name)];

  if (!request.flag?.auto) {
    const choice = await chooseMesh(request, loaded.model, BUILTIN_ADAPTERS);
    const fixed = run(choice.adapter, choice.version);
    return { diagnostics: loaded.diagnostics, invalid: false, fixed, status, forCluster: async () => fixed };
  }

  return {
    diagnostics: loaded.diagnostics,
    invalid: false,
    status,
    async forCluster(client: KubeClient): Promise<ClusterTranslation> {
      const { ClusterError } = await import("../kube/errors.js");
      const ctx = client.context.name;
      const infos = loaded.model.clusters.filter((e) => e.doc.spec.context === ctx);
      let meshes: { name: string; version: string; source: string }[];
      if (infos.length) {
        meshes = infos.flatMap((e) => (e.doc.spec.meshes ?? []).map((m) => ({ name: m.name, version: m.version, source: `${e.id} in ${e.origin.file}` })));
      } else {
        const { detectClusterMeshes } = await import("../kube/discover.js");
        meshes = (await detectClusterMeshes(client, candidates)).meshes.map((m) => ({
          name: m.name,
          version: m.version,
          source: `detected in context ${ctx}`,
        }));
        if (!meshes.length) {
          const titles = candidates.filter((a) => a.cluster?.detect).map((a) => a.cluster?.title ?? a.name);
          const what = titles.length > 1 ? `${titles.slice(0, -1).join(", ")} or ${titles[titles.length - 1]}` : (titles[0] ?? "known mesh");
          throw new ClusterError(
            "mesh",
            `--mesh auto: no service mesh found in context ${ctx} (no ${what} CRDs or control plane); install one, or name the mesh with --mesh NAME@VERSION`,
          );
        }
      }
      const pick = pickMesh(meshes, 1, candidates);
      if (!pick.ok) throw new ClusterError("mesh", pick.message);
      let adapter = request.adapter;
      if (adapter && adapter.name !== pick.name)
        throw new ClusterError(
          "mesh",
          `--mesh auto: context ${ctx} runs ${pick.name} ${pick.installed} (${pick.source}) but --adapter ${request.external} translates for "${adapter.name}"`,
        );
      try {
        adapter ??= builtinAdapter(pick.name, BUILTIN_ADAPTERS, `--mesh auto (${pick.source})`);
        const version = resolveVersion(adapter, pick.version);
        // The namespace settings the ClusterInfo of this context lists (e.g. Istio ambient namespaces).
        const { pickSettings } = await import("./mesh-auto.js");
        const nsSettings = infos.flatMap((e) => (e.doc.spec.namespaces ?? []).map((n) => ({ ...n, source: `${e.id} in ${e.origin.file}` })));
        const auto = pickSettings(
          nsSettings,
          pick.name,
          loaded.model.policies.map((p) => p.namespace),
          new Set(Object.keys(settings)),
        );
        if (!auto.ok) throw new ClusterError("mesh", auto.message);
        const why = auto.reason
          ? `; --set ${Object.entries(auto.settings)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")} for ${auto.reason}`
          : "";
        return run(adapter, version, `${pick.name} ${pick.installed}, ${pick.source}${why}`, auto.settings);
      } catch (e) {
        if (e instanceof UsageError)
          throw new ClusterError(
            "mesh",
            `--mesh auto: context ${ctx} runs ${pick.name} ${pick.installed} (${pick.source}), which unimesh cannot target: ${e.message}`,
          );
        throw e;
      }
    },
  };
}

/** What `diff` and `apply` say they did not do when the policies cannot be translated. */
const NOTHING: Record<string, string> = { apply: "nothing applied", diff: "nothing compared" };

/**
 * The common start of `diff` and `apply`: translate the inputs (invalid input → diagnostics and a
 * closing summary line with the counts, as `translate` ends, exit 1), print the warnings, then open the
 * clusters (usage or kubeconfig problems → their exit code).
 */
export async function prepareAndOpen(
  paths: string[],
  flags: PolicyFlags & ClusterFlags & { output: "text" | "json" },
  io: CliIO,
  cmd: string,
): Promise<{ t: Translations; opened: { kubeconfig: Kubeconfig; contexts: ContextRef[]; timeoutMs: number } } | ExitCode> {
  const { EXIT } = await import("./exit-codes.js");
  const { countSummary, report } = await import("./report.js");
  const t = await prepareTranslations(paths, flags, io);
  const diagnostics = [...t.diagnostics, ...(t.fixed?.diagnostics ?? [])];
  const quiet = { quiet: flags.quiet };
  if (t.invalid || (t.fixed && !t.fixed.ok)) {
    report(io, flags.output, { ok: false, diagnostics, status: t.status(diagnostics) as never }, quiet);
    if (flags.output === "text") {
      const what = t.invalid ? "invalid input" : `${t.fixed!.mesh}: cannot translate`;
      stderrLine(io, cmd, undefined, `${what}: ${NOTHING[cmd] ?? "nothing done"} (${countSummary(diagnostics, quiet)})`);
    }
    return EXIT.INVALID;
  }
  if (flags.output === "text") report(io, "text", { ok: true, diagnostics, status: [] }, quiet);
  // A virtual mesh: each member through its own context, unless --context/--all-contexts say otherwise.
  const targets = t.memberContexts && !flags.context?.length && !flags.allContexts ? { ...flags, context: t.memberContexts } : flags;
  const opened = await openClusters(targets, io, cmd);
  if (typeof opened === "number") return opened;
  t.attach?.(opened.kubeconfig, opened.timeoutMs);
  return { t, opened };
}

/** What {@link runOnClusters} gives back for one cluster that was reached. */
export type ClusterResult<R> = { invalid: true; tr: ClusterTranslation } | { invalid: false; tr: ClusterTranslation; r: R };

/** What {@link runOnClusters} found over every cluster. */
export interface ClustersRun<R> {
  outcomes: import("../kube/clusters.js").ClusterOutcome<ClusterResult<R>>[];
  /** Validation diagnostics, then each mesh's translation diagnostics once (for the JSON report). */
  diagnostics: Diagnostic[];
  /** A cluster's policies could not be translated for the mesh it runs (`--mesh auto`). */
  invalid: boolean;
  /** A cluster could not be reached or failed. */
  clusterFailed: boolean;
}

/**
 * The per-cluster part `diff` and `apply` share: for every context (concurrently), read the server
 * version, translate for the cluster's mesh, and run `work` when the translation is valid. Then, in
 * context order, with text output: a failed cluster's error and details on stderr, each mesh's
 * diagnostics once (with `--mesh auto`; a named mesh's were printed by {@link prepareAndOpen}), a
 * line when a cluster gets nothing (`skipped`, e.g. "nothing applied"), and `show` for the others.
 */
export async function runOnClusters<R>(
  started: { t: Translations; opened: { kubeconfig: Kubeconfig; contexts: ContextRef[]; timeoutMs: number } },
  io: CliIO,
  cmd: string,
  text: boolean,
  skipped: string,
  quiet: boolean | undefined,
  work: (client: KubeClient, tr: ClusterTranslation, kubernetesVersion: string) => Promise<R>,
  show: (context: ContextRef, r: R) => void,
): Promise<ClustersRun<R>> {
  const { countSummary, report } = await import("./report.js");
  const { forEachCluster } = await import("../kube/clusters.js");
  const { t, opened } = started;
  const outcomes = await forEachCluster(
    opened.kubeconfig,
    opened.contexts,
    async (client): Promise<ClusterResult<R>> => {
      const k8s = await client.serverVersion();
      const tr = await t.forCluster(client);
      if (!tr.ok) return { invalid: true, tr };
      return { invalid: false, tr, r: await work(client, tr, k8s) };
    },
    { timeoutMs: opened.timeoutMs },
  );

  const run: ClustersRun<R> = { outcomes, diagnostics: [...t.diagnostics, ...(t.fixed?.diagnostics ?? [])], invalid: false, clusterFailed: false };
  const shown = new Set<string>();
  for (const o of outcomes) {
    const ctx = o.context.name;
    if (!o.ok) {
      run.clusterFailed = true;
      if (text) {
        stderrLine(io, cmd, ctx, `error: ${o.error.message}`);
        for (const d of o.error.details) io.stderr.write(`  - ${d}\n`);
      }
      continue;
    }
    const v = o.value;
    if (!t.fixed && !shown.has(v.tr.mesh)) {
      shown.add(v.tr.mesh);
      run.diagnostics.push(...v.tr.diagnostics);
      if (text) report(io, "text", { ok: v.tr.ok, diagnostics: v.tr.diagnostics, status: [] }, { quiet });
    }
    if (v.invalid) {
      run.invalid = true;
      if (text) stderrLine(io, cmd, ctx, `${skipped}: the policies cannot be translated for ${v.tr.mesh} (${countSummary(v.tr.diagnostics, { quiet })})`);
      continue;
    }
    show(o.context, v.r);
  }
  return run;
}

/**
 * One cluster's entry in the JSON output of `diff` and `apply`: `{context, server, ok, mesh, ...more}`
 * for a cluster that was reached (`more` only when its translation was valid), `{context, server, ok:
 * false, error: {code, message, details}}` for one that failed.
 */
export function clusterJson<R>(
  o: import("../kube/clusters.js").ClusterOutcome<ClusterResult<R>>,
  ok: (r: R) => boolean,
  more: (r: R) => Record<string, unknown>,
): Record<string, unknown> {
  const head = { context: o.context.name, server: o.context.server };
  if (!o.ok) return { ...head, ok: false, error: { code: o.error.code, message: o.error.message, details: o.error.details } };
  const v = o.value;
  return v.invalid ? { ...head, ok: false, mesh: v.tr.mesh } : { ...head, ok: ok(v.r), mesh: v.tr.mesh, ...more(v.r) };
}

/**
 * The exit code of a multi-cluster run, the first that applies: invalid input (1), a cluster that
 * failed or an object that could not be applied (3), a conflict (4), differences (5, `diff`), else 0.
 */
export function combineExit(flags: { invalid?: boolean; clusterFailed?: boolean; conflict?: boolean; differences?: boolean }): ExitCode {
  if (flags.invalid) return EXIT.INVALID;
  if (flags.clusterFailed) return EXIT.CLUSTER;
  if (flags.conflict) return EXIT.CONFLICT;
  if (flags.differences) return EXIT.DIFFERENCES;
  return EXIT.OK;
}

/** `unimesh <cmd>: <context>: ` prefix of stderr lines. */
export function stderrLine(io: CliIO, cmd: string, context: string | undefined, message: string): void {
  io.stderr.write(`unimesh ${cmd}: ${context ? `${context}: ` : ""}${message}\n`);
}
