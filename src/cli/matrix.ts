/**
 * The feature × mesh matrix, from the adapters' declared capabilities: what `unimesh meshes` prints
 * and what the README carries (between `<!-- matrix:start -->` and `<!-- matrix:end -->`, rewritten by
 * `scripts/update-readme-matrix.mjs`). Pure.
 */
import type { Adapter, Capability } from "../api/adapter.js";
import { FEATURES, FEATURE_TITLES, type Feature } from "../api/features.js";

/** One column: an adapter's version profile, or its default version when it declares none. */
export interface MatrixColumn {
  adapter: string;
  /** Header text, e.g. `istio 1.22-1.30`. */
  label: string;
  /** The version whose capabilities fill the column (the newest of the profile). */
  version: string;
  /** The settings the profile assumes (`VersionProfile.settings`), if any. */
  settings?: Readonly<Record<string, string>>;
}

/** One row: a feature and its capability in each column. */
export interface MatrixRow {
  feature: Feature;
  title: string;
  cells: Capability[];
}

/** Columns of the matrix, in adapter order, then profile order. */
export function matrixColumns(adapters: readonly Adapter[]): MatrixColumn[] {
  return adapters.flatMap((a) =>
    a.profiles?.length
      ? a.profiles.map((p) => ({
          adapter: a.name,
          label: `${a.name} ${p.label}`,
          version: p.versions[p.versions.length - 1] ?? a.defaultVersion,
          ...(p.settings ? { settings: p.settings } : {}),
        }))
      : [{ adapter: a.name, label: `${a.name} ${a.defaultVersion}`, version: a.defaultVersion }],
  );
}

/** The matrix as data (for `unimesh meshes --output json`): one row per feature of {@link FEATURES}. */
export function matrixRows(adapters: readonly Adapter[]): { columns: MatrixColumn[]; rows: MatrixRow[] } {
  const columns = matrixColumns(adapters);
  const caps = columns.map((c) => adapters.find((a) => a.name === c.adapter)!.capabilities(c.version, c.settings));
  const rows = FEATURES.map((feature) => ({
    feature,
    title: FEATURE_TITLES[feature],
    cells: caps.map((cap) => cap?.[feature] ?? { support: "none" as const, note: "not declared by the adapter" }),
  }));
  return { columns, rows };
}

const SYMBOL: Record<Capability["support"], string> = { full: "✅", partial: "◐", none: "❌" };

/**
 * The matrix as a Markdown table: one row per feature (its schema name and title), one column per
 * {@link matrixColumns}; cells ✅ full, ◐ partial, ❌ none, with `[n]` pointing to a numbered note
 * below the table (identical notes share a number). Deterministic; ends with a newline.
 */
export function renderMatrix(adapters: readonly Adapter[]): string {
  const { columns, rows } = matrixRows(adapters);
  const notes: string[] = [];
  const noteRef = (note: string | undefined) => {
    if (!note) return "";
    const text = oneLine(note);
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return ` [${i + 1}]`;
  };
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const lines = [
    row(["Feature", ...columns.map((c) => cell(c.label))]),
    `|${["---", ...columns.map(() => ":-:")].join("|")}|`,
    ...rows.map((r) => row([`\`${r.feature}\` ${cell(r.title)}`, ...r.cells.map((c) => SYMBOL[c.support] + noteRef(c.note))])),
  ];
  let out = lines.join("\n") + "\n\n✅ full · ◐ partial · ❌ none\n";
  if (notes.length) out += "\n" + notes.map((n, i) => `- [${i + 1}] ${n}`).join("\n") + "\n";
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

function cell(s: string): string {
  return oneLine(s).replace(/\|/g, "\\|");
}

/** Markers of the generated matrix in README.md. */
export const MATRIX_START = "<!-- matrix:start -->";
export const MATRIX_END = "<!-- matrix:end -->";

/**
 * `readme` with the text between {@link MATRIX_START} and {@link MATRIX_END} replaced by
 * {@link renderMatrix}, or undefined when the markers are missing or out of order.
 */
export function readmeWithMatrix(readme: string, adapters: readonly Adapter[]): string | undefined {
  const start = readme.indexOf(MATRIX_START);
  const end = readme.indexOf(MATRIX_END);
  if (start < 0 || end < start) return undefined;
  const note = "<!-- generated from the adapters' capabilities by scripts/update-readme-matrix.mjs: do not edit by hand -->";
  return readme.slice(0, start) + `${MATRIX_START}\n${note}\n\n${renderMatrix(adapters)}\n` + readme.slice(end);
}
