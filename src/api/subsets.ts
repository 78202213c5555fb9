/** Subset names: what a destination's subsets are called in every mesh's resources. */
import type { Labels } from "./generated/model.js";
import { canonicalJson } from "./canonical-json.js";
import { cmp, shortHash } from "./strings.js";

/** A subset of a destination: a name unique within the destination and its pod labels. */
export interface Subset {
  name: string;
  labels: Labels;
}

/** The declared subsets of a service (`ServiceFacts.subsets`). */
type DeclaredSubsets = { subsets?: readonly Subset[] };

/**
 * Names subsets of one destination: a declared MeshService subset keeps its name; otherwise the label
 * values joined by `-` in key order (`{version: v2}` → `v2`), made DNS-1123 safe, with a short hash
 * when two label sets would get the same name.
 */
export class SubsetNamer {
  private byKey = new Map<string, Subset>();
  private used = new Set<string>();
  constructor(private readonly facts: DeclaredSubsets) {}

  /** The subset of these labels, or of this declared name (`stable`: see {@link subsetLabels}). */
  name(ref: Labels | string): Subset {
    const labels = subsetLabels(this.facts, ref);
    const key = canonicalJson(labels);
    const known = this.byKey.get(key);
    if (known) return known;
    const declared = this.facts.subsets?.find((s) => canonicalJson(s.labels) === key);
    let name = declared?.name ?? derive(labels);
    if (!declared && this.used.has(name)) name = `${name.slice(0, 54).replace(/-+$/, "")}-${shortHash(key)}`;
    const s = { name, labels };
    this.byKey.set(key, s);
    this.used.add(name);
    return s;
  }

  all(): Subset[] {
    return [...this.byKey.values()].sort((a, b) => cmp(a.name, b.name));
  }
}

/**
 * The pod labels of a subset reference: labels as written, or for a name (`subset: stable`) the labels
 * of the subset of that name the MeshService declares. A name no MeshService declares is a validation
 * error (`rule/unknown-subset`); should a model with that error be translated anyway, the name is read as
 * `{version: <name>}`, the convention of the subsets discover finds.
 */
export function subsetLabels(facts: DeclaredSubsets, ref: Labels | string): Labels {
  if (typeof ref !== "string") return ref;
  return facts.subsets?.find((s) => s.name === ref)?.labels ?? { version: ref };
}

function derive(labels: Labels): string {
  const raw = Object.keys(labels)
    .sort()
    .map((k) => labels[k])
    .join("-")
    .toLowerCase();
  const clean = raw
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/-{2,}/g, "-");
  if (!clean) return `subset-${shortHash(canonicalJson(labels))}`;
  return clean.length > 63 ? `${clean.slice(0, 54).replace(/-+$/, "")}-${shortHash(raw)}` : clean;
}
