/** What `inspect`, `explain` and `graph` share: reading the model, and `--mesh a,b` as adapters. */
import { InvalidInputError, UsageError, formatDiagnostic, type Diagnostic } from "../api/diagnostics.js";
import type { Model } from "../api/model.js";
import { resolveVersion } from "../api/translate.js";
import type { MeshTarget } from "../inspect/meshes.js";
import { SHIPPED_ADAPTERS, findBuiltin, parseMeshFlag } from "./adapters.js";
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
