/**
 * `translate(model, {adapter, version})`: runs an adapter and makes its output safe to use: ownership
 * labels, valid and unique names, stable order, and no output at all when anything is an error.
 */
import type { Adapter, KubeObject, TranslateContext, TranslateOptions } from "./adapter.js";
import {
  type Diagnostic, InternalError, InvalidInputError, UsageError, copyFields, diagnosticsByPolicy, hasErrors, promoteWarnings, sortDiagnostics, statusOf,
} from "./diagnostics.js";
import { type Entry, type Model, cmp } from "./model.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_SET_LABEL, isPatch } from "../adapters/shared/ownership.js";
import { isDnsLabel, isDnsSubdomain } from "../adapters/shared/names.js";

/** Options of {@link translate}. */
export interface TranslateRequest extends TranslateOptions {
  adapter: Adapter;
  /** Mesh version (`1.22`, or a patch version like `1.22.8`). @default adapter.defaultVersion */
  version?: string;
  /** Treat warnings as errors. @default false */
  strict?: boolean;
}

/** Per-policy outcome, as Gloo Mesh reports it: accepted, or rejected with the reasons. */
export interface PolicyStatus {
  policy: string;
  state: "accepted" | "accepted-with-warnings" | "rejected";
  /** Codes of the diagnostics about this policy. */
  reasons: string[];
}

/** Result of a translation. */
export interface TranslateResult {
  /** `name@version` actually used. */
  mesh: string;
  /** The generated objects, sorted; EMPTY when `ok` is false (nothing half-translated is returned). */
  resources: KubeObject[];
  diagnostics: Diagnostic[];
  status: PolicyStatus[];
  ok: boolean;
}

/**
 * Resolves a requested version against an adapter: exact (`1.22`), or a patch version of a supported
 * minor (`1.22.8` → `1.22`), or `latest`.
 * @throws UsageError when the version is not supported (the message lists the supported ones).
 */
export function resolveVersion(adapter: Adapter, requested?: string): string {
  if (!requested || requested === "latest") return adapter.defaultVersion;
  const v = requested.replace(/^v/, "");
  if (adapter.versions.includes(v)) return v;
  const minor = v.split(".").slice(0, 2).join(".");
  if (adapter.versions.includes(minor)) return minor;
  throw new UsageError(`${adapter.name} ${requested} is not supported; supported versions: ${adapter.versions.join(", ")}`);
}

/**
 * Translates a validated model with an adapter.
 * @throws UsageError for an unsupported version; InternalError when the adapter throws (a bug).
 *   Untranslatable input is never thrown: it is reported in `diagnostics` with `ok: false`.
 */
export function translate(model: Model, req: TranslateRequest): TranslateResult {
  const { adapter } = req;
  const version = resolveVersion(adapter, req.version);
  const mesh = `${adapter.name}@${version}`;
  const diagnostics: Diagnostic[] = [];
  const allow = new Set(req.allowApproximations ?? []);
  for (const a of allow) {
    if (!adapter.approximations || !(a in adapter.approximations)) {
      throw new UsageError(`${adapter.name} has no approximation "${a}"${adapter.approximations ? `; it has: ${Object.keys(adapter.approximations).join(", ")}` : ""}`);
    }
  }
  const policySet = req.policySet ?? "default";
  if (!isDnsLabel(policySet)) throw new UsageError(`policy set "${policySet}" must be a DNS-1123 label`);
  const ctx: TranslateContext = {
    version,
    options: { ...req, allowApproximations: [...allow], policySet },
    // `{ ...diagnostic, adapter: mesh }` (copyFields: the same, faster for thousands of reports).
    report(entry: Entry<any>, pointer, d) {
      const diagnostic = copyFields(model.diagnostic(entry, pointer, d));
      diagnostic.adapter = mesh;
      diagnostics.push(diagnostic);
    },
    reportGlobal(d) {
      const diagnostic: Diagnostic = copyFields(d);
      diagnostic.adapter = mesh;
      diagnostics.push(diagnostic);
    },
    allows: (a) => allow.has(a),
  };
  let objects: KubeObject[];
  try {
    objects = adapter.translate(model, ctx);
  } catch (e) {
    if (e instanceof InternalError || e instanceof UsageError) throw e;
    throw new InternalError(`adapter ${mesh} failed: ${(e as Error)?.stack ?? String(e)}`);
  }
  const seen = new Set<string>();
  const resources = objects.map((o) => finish(o, policySet));
  for (const o of resources) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
    if (seen.has(key)) throw new InternalError(`adapter ${mesh} emitted ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name} twice`);
    seen.add(key);
    if (!isDnsSubdomain(o.metadata.name)) throw new InternalError(`adapter ${mesh} emitted an invalid name "${o.metadata.name}"`);
    if (o.metadata.namespace !== undefined && !isDnsLabel(o.metadata.namespace)) throw new InternalError(`adapter ${mesh} emitted an invalid namespace "${o.metadata.namespace}"`);
  }
  resources.sort(compareObjects);
  let diags = sortDiagnostics(diagnostics);
  if (req.strict) diags = promoteWarnings(diags);
  const ok = !hasErrors(diags);
  return { mesh, resources: ok ? resources : [], diagnostics: diags, status: policyStatus(model, diags), ok };
}

/** Like {@link translate}, but throws InvalidInputError when the result is not ok. */
export function translateOrThrow(model: Model, req: TranslateRequest): TranslateResult {
  const r = translate(model, req);
  if (!r.ok) throw new InvalidInputError(r.diagnostics);
  return r;
}

function policyStatus(model: Model, diags: Diagnostic[]): PolicyStatus[] {
  const byPolicy = diagnosticsByPolicy(diags);
  return model.policies.map((p) => statusOf(p.id, byPolicy.get(p.id) ?? []));
}

/** Object order: apiVersion, kind, namespace, name. */
export function compareObjects(a: KubeObject, b: KubeObject): number {
  return cmp(a.apiVersion, b.apiVersion) || cmp(a.kind, b.kind) || cmp(a.metadata.namespace ?? "", b.metadata.namespace ?? "") || cmp(a.metadata.name, b.metadata.name);
}

const TOP = ["apiVersion", "kind", "metadata", "spec"];
const META = ["name", "namespace", "labels", "annotations"];

/**
 * Ownership labels (not on patches of user-owned objects), canonical key order (top level and metadata
 * fixed, everything else sorted), no undefined.
 */
function finish(o: KubeObject, policySet: string): KubeObject {
  // `{ ...labels, [MANAGED_BY_LABEL]: ..., [POLICY_SET_LABEL]: ... }` and `{ ...o.metadata, labels }`,
  // with copyFields (the same copies, faster).
  let labels = o.metadata.labels;
  if (!isPatch(o)) {
    labels = copyFields(labels ?? {});
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
    labels[POLICY_SET_LABEL] = policySet;
  }
  const meta: Record<string, unknown> = copyFields(o.metadata);
  meta.labels = labels;
  if (meta.annotations && Object.keys(meta.annotations as object).length === 0) delete meta.annotations;
  const out: Record<string, unknown> = {};
  for (const k of orderKeys(Object.keys(o), TOP)) {
    if (o[k] === undefined) continue;
    out[k] = k === "metadata" ? orderObject(meta, META) : sortDeep(o[k]);
  }
  return out as KubeObject;
}

function orderKeys(keys: string[], first: string[]): string[] {
  return [...first.filter((k) => keys.includes(k)), ...keys.filter((k) => !first.includes(k)).sort(cmp)];
}

function orderObject(o: Record<string, unknown>, first: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of orderKeys(Object.keys(o), first)) if (o[k] !== undefined) out[k] = sortDeep(o[k]);
  return out;
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    // Already canonical (plain, keys sorted, no undefined, all the way down): shared as it is, since a
    // copy would be equal key for key, in the same order; no need to allocate it again.
    const same = canonicalOrCopy(v as Record<string, unknown>);
    if (same !== undefined) return same;
    const out: Record<string, unknown> = {};
    // Object keys are strings: the default sort compares them by code units, like cmp, only faster.
    const keys = Object.keys(v);
    if (!sorted(keys)) keys.sort();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = x !== null && typeof x === "object" ? sortDeep(x) : x;
    }
    return out;
  }
  return v;
}

/** `v` itself when it is already what {@link sortDeep} would build from it, else undefined. */
function canonicalOrCopy(v: Record<string, unknown>): Record<string, unknown> | undefined {
  return isCanonical(v, 0) ? v : undefined;
}

/** Plain data with sorted keys and no undefined (objects), plain arrays without holes or undefined. */
function isCanonical(v: object, depth: number): boolean {
  if (depth > 64) return false;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return false;
      const x = v[i];
      if (x === undefined) return false;
      if (x !== null && typeof x === "object" && !isCanonical(x, depth + 1)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(v).length) return false;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i - 1] > keys[i]) return false;
    const x = (v as Record<string, unknown>)[keys[i]];
    if (x === undefined) return false;
    if (x !== null && typeof x === "object" && !isCanonical(x, depth + 1)) return false;
  }
  return true;
}

function sorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}
