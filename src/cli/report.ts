/**
 * How commands report diagnostics on stderr: grep-friendly text lines (`formatDiagnostic`), or with
 * `--diagnostics json` (`-o json` of `diff`/`apply`) exactly one JSON object on one line (`validate -o json`
 * prints it on stdout: it is what validate outputs):
 *
 * ```json
 * {"ok":false,"mesh":"istio@1.30","diagnostics":[{"code":"rule/split-weights","severity":"error",...}],
 *  "status":[{"policy":"TrafficPolicy/bookinfo/reviews","state":"rejected","reasons":["rule/split-weights"]}]}
 * ```
 * `mesh` is present for `translate` only. Usage errors (exit 2) and internal errors (exit 70) are
 * always one `unimesh: ...` text line, whatever `--output` says.
 */
import { type Diagnostic, diagnosticsByPolicy, formatDiagnostic, statusOf } from "../api/diagnostics.js";
import type { PolicyStatus } from "../api/translate.js";
import type { Model } from "../api/model.js";
import type { CliIO } from "./io.js";

/** Where diagnostics go and in which form. */
export type ReportFormat = "text" | "json";

/** The JSON object printed on stderr with `--output json`. */
export interface JsonReport {
  /** True when nothing is an error (the exit code is then 0). */
  ok: boolean;
  /** `name@version` used by `translate`. */
  mesh?: string;
  diagnostics: Diagnostic[];
  status: PolicyStatus[];
}

/**
 * Prints the diagnostics (text) or the whole report (json) on stderr. `quiet` (`--quiet`) leaves out
 * the info notes of the text form (the JSON report always has everything). `jsonTo: "stdout"`: the JSON
 * report is the command's output (`validate -o json`, as kubectl's `-o json` prints on stdout).
 */
export function report(io: CliIO, format: ReportFormat, r: JsonReport, opts: { quiet?: boolean; jsonTo?: "stdout" | "stderr" } = {}): void {
  if (format === "json") {
    const out: JsonReport = { ok: r.ok, ...(r.mesh ? { mesh: r.mesh } : {}), diagnostics: r.diagnostics, status: r.status };
    (opts.jsonTo === "stdout" ? io.stdout : io.stderr).write(JSON.stringify(out) + "\n");
    return;
  }
  for (const d of r.diagnostics) if (!(opts.quiet && d.severity === "info")) io.stderr.write(formatDiagnostic(d) + "\n");
}

/**
 * Status of every policy of the model and of every document a diagnostic names (rejected documents
 * are not in the model): `rejected` with any error, `accepted-with-warnings` with any warning.
 * Same rule as `translate()`'s status, applied to validation and translation diagnostics together.
 */
export function policyStatus(model: Model, diags: readonly Diagnostic[]): PolicyStatus[] {
  const ids = new Set(model.policies.map((p) => p.id));
  for (const d of diags) if (d.policy) ids.add(d.policy);
  const byPolicy = diagnosticsByPolicy(diags); // one pass, not one filter per policy
  return [...ids].sort().map((policy) => statusOf(policy, byPolicy.get(policy) ?? []));
}

/**
 * `3 errors, 1 warning, 20 notes` (empty string when there are none); with `quiet`, the notes are
 * said to be hidden: `20 notes hidden by --quiet`.
 */
export function countSummary(diags: readonly Diagnostic[], opts: { quiet?: boolean } = {}): string {
  let e = 0,
    w = 0,
    i = 0;
  for (const d of diags) {
    if (d.severity === "error") e++;
    else if (d.severity === "warning") w++;
    else i++;
  }
  const parts: string[] = [];
  if (e) parts.push(`${e} error${e === 1 ? "" : "s"}`);
  if (w) parts.push(`${w} warning${w === 1 ? "" : "s"}`);
  if (i) parts.push(`${i} note${i === 1 ? "" : "s"}${opts.quiet ? " hidden by --quiet" : ""}`);
  return parts.join(", ");
}
