/**
 * `unimesh translate <inputs...> --mesh istio,linkerd,appmesh` (or `--mesh all`): "which of my meshes can
 * run this model?", for CI portability checks. The inputs are read and validated once, translated for
 * each mesh, and instead of manifests stdout gets a verdict per mesh and per policy:
 *
 * ```
 * mesh          verdict  objects  errors  warnings  notes
 * istio@1.30    ok            11       0         0      2
 * linkerd@2.20  fails          -       5         1      3
 *
 * policy                                istio@1.30  linkerd@2.20
 * TrafficPolicy/bookinfo/reviews-canary ok          fails
 * ```
 * (`-o json`: the same as one JSON object.) Every mesh's diagnostics go to stderr as usual (each names its
 * mesh). Exit 0 when every mesh can run every policy, 1 when one cannot, 2 for a bad mesh list.
 */
import { type Adapter, CORE_SETTINGS } from "../api/adapter.js";
import { type Diagnostic, UsageError } from "../api/diagnostics.js";
import { type PolicyStatus, resolveVersion, translate } from "../api/translate.js";
import { SHIPPED_ADAPTERS, findBuiltin, parseMeshFlag } from "./adapters.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { loadInputs } from "./inputs.js";
import type { CliIO } from "./io.js";
import { countSummary, policyStatus, report } from "./report.js";

/** What {@link translateForEach} needs of the translate flags. */
export interface ManyFlags {
  mesh?: string;
  adapter?: string;
  outputDir?: string;
  format: "yaml" | "json";
  diagnostics: "text" | "json";
  settings: Record<string, string>;
  allowApproximations: string[];
  policySet?: string;
  strict?: boolean;
  quiet?: boolean;
}

/** The verdict of one mesh. */
export interface MeshVerdict {
  /** `istio@1.30`. */
  mesh: string;
  /** True when every policy translates (warnings allowed unless --strict). */
  ok: boolean;
  /** Objects generated (0 when it fails). */
  objects: number;
  errors: number;
  warnings: number;
  notes: number;
}

/** `ok` (accepted), `warnings` (accepted with warnings), `fails` (rejected). */
const WORD: Record<PolicyStatus["state"], string> = { accepted: "ok", "accepted-with-warnings": "warnings", rejected: "fails" };

/** The adapters (and versions) a `--mesh a,b@v,c` / `--mesh all` list names. @throws UsageError */
export async function meshList(value: string): Promise<{ adapter: Adapter; version: string }[]> {
  const all = await SHIPPED_ADAPTERS.all();
  const items =
    value === "all"
      ? all.map((a) => a.name)
      : value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
  if (!items.length) throw new UsageError(`--mesh "${value}": expected mesh names separated by commas, or all`);
  const out: { adapter: Adapter; version: string }[] = [];
  for (const item of items) {
    if (item === "all" || item === "auto") throw new UsageError(`--mesh ${value}: ${item} cannot be part of a list; use --mesh ${item} alone`);
    const flag = parseMeshFlag(item);
    if (flag.auto || !flag.name) throw new UsageError(`--mesh ${value}: "${item}" names no mesh (expected NAME or NAME@VERSION)`);
    const adapter = await findBuiltin(flag.name, SHIPPED_ADAPTERS, `--mesh ${value}`);
    const version = resolveVersion(adapter, flag.version);
    if (out.some((o) => o.adapter.name === adapter.name && o.version === version)) continue;
    out.push({ adapter, version });
  }
  return out;
}

/** Translates for every mesh of the list and prints the verdicts. */
export async function translateForEach(paths: string[], flags: ManyFlags, io: CliIO): Promise<ExitCode> {
  if (flags.adapter !== undefined) throw new UsageError("--adapter translates for one mesh: name it with --mesh NAME[@VERSION], not a list");
  if (flags.outputDir !== undefined) throw new UsageError("--output-dir writes the manifests of one mesh: with several meshes, translate prints verdicts only");
  const targets = await meshList(flags.mesh!);
  const quiet = { quiet: !!flags.quiet };
  const text = flags.diagnostics === "text";
  const loaded = loadInputs(paths, io, flags.strict);
  if (!loaded.ok) {
    report(io, flags.diagnostics, { ok: false, diagnostics: loaded.diagnostics, status: policyStatus(loaded.model, loaded.diagnostics) }, quiet);
    if (text) io.stderr.write(`unimesh translate: invalid input: nothing translated (${countSummary(loaded.diagnostics, quiet)})\n`);
    return EXIT.INVALID;
  }

  // A setting or approximation goes to the meshes that have it; one no mesh of the list has is a mistake.
  const knows = (a: Adapter, key: string) => [...CORE_SETTINGS, ...(a.settings ?? [])].some((s) => s.name === key);
  for (const key of Object.keys(flags.settings)) {
    if (!targets.some((t) => knows(t.adapter, key)))
      throw new UsageError(`--set ${key}: none of ${targets.map((t) => t.adapter.name).join(", ")} has this setting (see \`unimesh meshes\`)`);
  }
  for (const a of flags.allowApproximations) {
    if (!targets.some((t) => a in (t.adapter.approximations ?? {})))
      throw new UsageError(`--allow ${a}: none of ${targets.map((t) => t.adapter.name).join(", ")} has this approximation (see \`unimesh meshes\`)`);
  }
  const verdicts: MeshVerdict[] = [];
  const statuses = new Map<string, Map<string, PolicyStatus["state"]>>(); // policy → mesh → state
  const all: Diagnostic[] = [...loaded.diagnostics];
  if (text) report(io, "text", { ok: true, diagnostics: loaded.diagnostics, status: [] }, quiet);
  for (const { adapter, version } of targets) {
    const r = translate(loaded.model, {
      adapter,
      version,
      allowApproximations: flags.allowApproximations.filter((a) => a in (adapter.approximations ?? {})),
      settings: Object.fromEntries(Object.entries(flags.settings).filter(([k]) => knows(adapter, k))),
      strict: flags.strict,
      ...(flags.policySet !== undefined ? { policySet: flags.policySet } : {}),
    });
    all.push(...r.diagnostics);
    if (text) report(io, "text", { ok: r.ok, diagnostics: r.diagnostics, status: [] }, quiet);
    const count = (sev: Diagnostic["severity"]) => r.diagnostics.filter((d) => d.severity === sev).length;
    verdicts.push({ mesh: r.mesh, ok: r.ok, objects: r.ok ? r.resources.length : 0, errors: count("error"), warnings: count("warning"), notes: count("info") });
    for (const s of policyStatus(loaded.model, [...loaded.diagnostics, ...r.diagnostics])) {
      if (!statuses.has(s.policy)) statuses.set(s.policy, new Map());
      statuses.get(s.policy)!.set(r.mesh, s.state);
    }
  }
  const ok = verdicts.every((v) => v.ok);
  const policies = [...statuses.keys()].sort();
  if (!text) report(io, "json", { ok, diagnostics: all, status: [] });

  if (flags.format === "json") {
    io.stdout.write(
      JSON.stringify(
        {
          ok,
          meshes: verdicts,
          policies: policies.map((p) => ({
            policy: p,
            verdicts: Object.fromEntries(verdicts.map((v) => [v.mesh, statuses.get(p)!.get(v.mesh) ?? "accepted"])),
          })),
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    io.stdout.write(renderVerdicts(verdicts, policies, statuses));
  }
  if (text) {
    const good = verdicts.filter((v) => v.ok).map((v) => v.mesh);
    io.stderr.write(`unimesh translate: ${good.length}/${verdicts.length} meshes can run these policies${good.length ? ` (${good.join(", ")})` : ""}\n`);
  }
  return ok ? EXIT.OK : EXIT.INVALID;
}

/** The two tables of the text verdict. */
export function renderVerdicts(
  verdicts: readonly MeshVerdict[],
  policies: readonly string[],
  statuses: ReadonlyMap<string, ReadonlyMap<string, PolicyStatus["state"]>>,
): string {
  const table = (rows: string[][], right: Set<number> = new Set()) => {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return (
      rows
        .map((r) =>
          r
            .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
            .join("  ")
            .trimEnd(),
        )
        .join("\n") + "\n"
    );
  };
  const meshRows = [
    ["mesh", "verdict", "objects", "errors", "warnings", "notes"],
    ...verdicts.map((v) => [v.mesh, v.ok ? "ok" : "fails", v.ok ? String(v.objects) : "-", String(v.errors), String(v.warnings), String(v.notes)]),
  ];
  let out = table(meshRows, new Set([2, 3, 4, 5]));
  if (policies.length) {
    out +=
      "\n" +
      table([
        ["policy", ...verdicts.map((v) => v.mesh)],
        ...policies.map((p) => [p, ...verdicts.map((v) => WORD[statuses.get(p)?.get(v.mesh) ?? "accepted"])]),
      ]);
  }
  return out;
}
