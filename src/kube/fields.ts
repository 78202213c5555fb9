/**
 * Comparing a live object with what an apply would make of it: normalization (the fields that always
 * differ between two reads are dropped) and a field-by-field diff.
 */

/** One changed field. `path` is like `.spec.http[0].route[1].weight` or `.metadata.annotations["unimesh.io/policies"]`. */
export interface FieldChange {
  path: string;
  op: "add" | "remove" | "change";
  before?: unknown;
  after?: unknown;
}

const IGNORED_METADATA = ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"];

/**
 * A copy without the fields that always differ between two reads: `status`, and `metadata.`
 * `managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`, `selfLink`.
 */
export function normalize(obj: unknown): Record<string, unknown> {
  const o = JSON.parse(JSON.stringify(obj ?? {})) as Record<string, any>;
  delete o.status;
  if (o.metadata && typeof o.metadata === "object") for (const k of IGNORED_METADATA) delete o.metadata[k];
  return o;
}

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const ka = Object.keys(a),
      kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

/** Lists of objects that each have a unique string `name` are matched by name (`[name=x]`), others by index. */
function byName(list: unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const x of list) {
    if (!isPlain(x) || typeof x.name !== "string" || m.has(x.name)) return undefined;
    m.set(x.name, x);
  }
  return m;
}

/** Field-by-field differences from `before` to `after` (sorted by path order of appearance). */
export function fieldDiff(before: unknown, after: unknown, path = ""): FieldChange[] {
  if (equal(before, after)) return [];
  if (isPlain(before) && isPlain(after)) {
    const out: FieldChange[] = [];
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) {
      const p = keyPath(path, k);
      if (!(k in before)) out.push({ path: p, op: "add", after: after[k] });
      else if (!(k in after)) out.push({ path: p, op: "remove", before: before[k] });
      else out.push(...fieldDiff(before[k], after[k], p));
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const nb = byName(before),
      na = byName(after);
    if (nb && na && before.length && after.length) {
      const out: FieldChange[] = [];
      for (const [name, b] of nb) {
        const p = `${path}[name=${name}]`;
        if (!na.has(name)) out.push({ path: p, op: "remove", before: b });
        else out.push(...fieldDiff(b, na.get(name), p));
      }
      for (const [name, a] of na) if (!nb.has(name)) out.push({ path: `${path}[name=${name}]`, op: "add", after: a });
      return out;
    }
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= before.length) out.push({ path: p, op: "add", after: after[i] });
      else if (i >= after.length) out.push({ path: p, op: "remove", before: before[i] });
      else out.push(...fieldDiff(before[i], after[i], p));
    }
    return out;
  }
  return [{ path: path || ".", op: "change", before, after }];
}
