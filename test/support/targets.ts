/**
 * Every (adapter, version) the golden cases and examples are translated for, with the upstream CRD
 * sets its output is validated against. Each shipped adapter declares its rows in its own folder,
 * `src/adapters/<name>/testdata/golden-targets.json` (an array of {@link GoldenTargetRow}), read here in
 * registry order (`ADAPTER_NAMES`, then the file's order): a new mesh adds its file, not a line here.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Adapter, TranslateOptions } from "../../src/index.js";
import { BUILTIN_ADAPTERS } from "../../src/index.js";
import { ADAPTER_NAMES } from "../../src/adapters/registry.js";
import { CRD_SETS, type CrdSet } from "./crd-validator.js";

/** One row of an adapter's `testdata/golden-targets.json`. */
export interface GoldenTargetRow {
  /** The version translated for, as `--mesh <name>@<version>` takes it, e.g. `1.30`. */
  version: string;
  /** Golden file name inside each case directory, e.g. `istio.golden.yaml`, `istio@1.22.golden.yaml`. */
  file: string;
  /** CRD sets (first wins on overlap) that every emitted object must validate against (`CRD_SETS` members). */
  crdSets: CrdSet[];
  /** Objects with these apiVersions are not CRD-backed (e.g. `v1` Service patches); the adapter's own tests check them. */
  nonCrdApiVersions?: string[];
  /** Options passed to translate() for every case (a case can add more in its options.json). */
  options?: TranslateOptions;
  /** Why the row is as it is, when that is not obvious (JSON has no comments). */
  note?: string;
}

export interface GoldenTarget extends Omit<GoldenTargetRow, "note"> {
  adapter: Adapter;
}

/** The rows of one adapter's `testdata/golden-targets.json`, checked. @throws Error when missing or malformed. */
export function goldenTargetsOf(adapter: Adapter): GoldenTarget[] {
  const path = fileURLToPath(new URL(`../../src/adapters/${adapter.name}/testdata/golden-targets.json`, import.meta.url));
  let rows: unknown;
  try {
    rows = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: every shipped adapter declares its golden targets there (${(e as Error).message})`, { cause: e });
  }
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`${path}: expected a non-empty array of golden targets`);
  return rows.map((row: GoldenTargetRow, i) => {
    if (typeof row?.version !== "string" || typeof row.file !== "string" || !Array.isArray(row.crdSets)) {
      throw new Error(`${path}: /${i} needs version (string), file (string) and crdSets (array)`);
    }
    for (const set of row.crdSets)
      if (!CRD_SETS.includes(set)) throw new Error(`${path}: /${i}/crdSets: no CRD set "${set}" under test/crds (known: ${CRD_SETS.join(", ")})`);
    const { note: _note, ...target } = row;
    return { adapter, ...target };
  });
}

export const GOLDEN_TARGETS: GoldenTarget[] = ADAPTER_NAMES.flatMap((name) => {
  const adapter = BUILTIN_ADAPTERS.find((a) => a.name === name);
  if (!adapter) throw new Error(`registry lists ${name} but BUILTIN_ADAPTERS has no such adapter`);
  return goldenTargetsOf(adapter);
});
