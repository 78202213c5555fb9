/**
 * `translate(model, {adapter, version})`: runs an adapter and makes its output safe to use: ownership
 * labels, valid and unique names, stable order, and no output at all when anything is an error.
 */
import { type Adapter, CORE_SETTINGS, type KubeObject, type TranslateContext, type TranslateOptions } from "./adapter.js";
import {
  type Diagnostic,
  type PolicyStatus,
  InternalError,
  InvalidInputError,
  UsageError,
  copyFields,
  diagnosticsByPolicy,
  hasErrors,
  promoteWarnings,
  sortDiagnostics,
  statusOf,
} from "./diagnostics.js";
import { type Entry, type Model, cmp } from "./model.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_SET_LABEL, isPatch } from "./ownership.js";
import { isDnsLabel, isDnsSubdomain } from "./names.js";
import { undeclaredUses } from "./feature-use.js";

/** Options of {@link translate}. */
export interface TranslateRequest extends TranslateOptions {
  adapter: Adapter;
  /** Mesh version (`1.22`, or a patch version like `1.22.8`). @default adapter.defaultVersion */
  version?: string;
  /** Treat warnings as errors. @default false */
  strict?: boolean;
  /**
   * The VirtualMesh member to translate for (`spec.members[].name`), required when the model holds a
   * VirtualMesh: its trust domain becomes the model's, its services and identities are the unqualified
   * ones, and `split[].cluster` / `source.clusters` naming other members are cross-cluster references.
   */
  member?: string;
}

export type { PolicyStatus } from "./diagnostics.js";

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
      throw new UsageError(
        `${adapter.name} has no approximation "${a}"${adapter.approximations ? `; it has: ${Object.keys(adapter.approximations).join(", ")}` : ""}`,
      );
    }
  }
  const policySet = req.policySet ?? "default";
  if (!isDnsLabel(policySet)) throw new UsageError(`policy set "${policySet}" must be a DNS-1123 label`);
  model = applyCoreSettings(forMember(model, req.member, req.settings?.trustDomain), checkSettings(adapter, req.settings));
  const ctx: TranslateContext = {
    version,
    options: { ...req, allowApproximations: [...allow], policySet },
    // `{ ...model.diagnostic(entry, pointer, d), adapter: mesh }`: the diagnostic is a new object no one
    // else holds, so `adapter` is set on it instead of on a copy (same keys, same order).
    report(entry: Entry<any>, pointer, d) {
      const diagnostic = model.diagnostic(entry, pointer, d);
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
  // The feature contract, for every adapter: a use of a feature it declares `none` for, about which it
  // said nothing, is an error (never a silent drop).
  for (const d of undeclaredUses(model, adapter.capabilities(version, req.settings), diagnostics, mesh)) diagnostics.push(d);
  const resources = objects.map((o) => finish(o, policySet));
  // The sorted copy puts equal identities side by side: checking neighbours finds a duplicate without a
  // key string per object. Anything wrong is reported by the reference loop, in emission order, so the
  // error thrown is the one that loop throws.
  const sorted = resources.slice().sort(compareObjects);
  if (!wellFormed(sorted)) checkIdentities(resources, mesh);
  let diags = sortDiagnostics(diagnostics);
  if (req.strict) diags = promoteWarnings(diags);
  const ok = !hasErrors(diags);
  return { mesh, resources: ok ? sorted : [], diagnostics: diags, status: policyStatus(model, diags), ok };
}

/**
 * The settings an adapter accepts: its own ({@link Adapter.settings}) and the {@link CORE_SETTINGS}.
 * @throws UsageError for any other key (naming the known ones).
 */
export function checkSettings(adapter: Adapter, settings: Record<string, string> | undefined): Record<string, string> {
  if (!settings) return {};
  const known = [...CORE_SETTINGS, ...(adapter.settings ?? [])].map((s) => s.name);
  for (const k of Object.keys(settings)) {
    if (!known.includes(k)) {
      throw new UsageError(`${adapter.name} has no setting "${k}"; its settings are: ${known.join(", ")} (see \`unimesh meshes\`)`);
    }
  }
  return settings;
}

/**
 * SPIFFE trust domain syntax (SPIFFE ID spec §2.1: lower-case letters, digits, `.`, `-`, `_`), at most
 * 255 characters.
 */
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

/**
 * The model the adapter sees: with `trustDomain` set, a copy of the model with that trust domain.
 * @throws UsageError when the trust domain is not a SPIFFE trust domain.
 */
function applyCoreSettings(model: Model, settings: Record<string, string>): Model {
  const td = settings.trustDomain;
  if (td === undefined || td === model.trustDomain) return model;
  if (!TRUST_DOMAIN.test(td) || td.startsWith(".") || td.endsWith(".") || td.includes("..")) {
    throw new UsageError(
      `trustDomain "${td}" is not a SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_' (e.g. cluster.local or prod.example.com)`,
    );
  }
  return model.withOptions({ trustDomain: td });
}

/**
 * The model as seen by one member of its VirtualMesh: that member's trust domain and name.
 * @throws UsageError when the model has a VirtualMesh and no (or an unknown) member is given, when a
 *   member is given without VirtualMesh, or when `trustDomain` is set to another trust domain than the member's.
 */
export function forMember(model: Model, member: string | undefined, trustDomain: string | undefined): Model {
  const vm = model.virtualMesh;
  if (!vm) {
    if (member !== undefined) throw new UsageError(`member "${member}": the inputs hold no VirtualMesh`);
    return model;
  }
  const names = vm.doc.spec.members.map((m) => m.name);
  if (member === undefined) throw new UsageError(`the inputs hold VirtualMesh ${vm.id}: translate for one of its members (${names.join(", ")})`);
  const m = model.memberNamed(member);
  if (!m) throw new UsageError(`"${member}" is not a member of VirtualMesh ${vm.id} (members: ${names.join(", ")})`);
  if (trustDomain !== undefined && trustDomain !== m.trustDomain)
    throw new UsageError(`trustDomain ${trustDomain}: member ${member} of VirtualMesh ${vm.id} has trust domain ${m.trustDomain}; do not set another`);
  return model.withOptions({ trustDomain: m.trustDomain, member });
}

/** Like {@link translate}, but throws InvalidInputError when the result is not ok. */
export function translateOrThrow(model: Model, req: TranslateRequest): TranslateResult {
  const r = translate(model, req);
  if (!r.ok) throw new InvalidInputError(r.diagnostics);
  return r;
}

/**
 * True when every object has a valid name (and namespace) and no identity (apiVersion, kind, namespace,
 * name) is used twice, checked on objects sorted by {@link compareObjects}. False (and then
 * {@link checkIdentities} decides) also when an apiVersion or kind holds a `|`, which that loop's keys use
 * as separator.
 */
function wellFormed(sorted: readonly KubeObject[]): boolean {
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i];
    const { name, namespace } = o.metadata;
    if (typeof name !== "string" || !isDnsSubdomain(name)) return false;
    if (namespace !== undefined && (typeof namespace !== "string" || !isDnsLabel(namespace))) return false;
    if (typeof o.apiVersion !== "string" || typeof o.kind !== "string" || o.apiVersion.includes("|") || o.kind.includes("|")) return false;
    const p = sorted[i - 1];
    if (p && compareObjects(p, o) === 0) return false;
  }
  return true;
}

/** The reference checks, in emission order: throws InternalError for the first duplicate or invalid name. */
function checkIdentities(resources: readonly KubeObject[], mesh: string): void {
  const seen = new Set<string>();
  for (const o of resources) {
    const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ""}|${o.metadata.name}`;
    if (seen.has(key)) throw new InternalError(`adapter ${mesh} emitted ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name} twice`);
    seen.add(key);
    if (!isDnsSubdomain(o.metadata.name)) throw new InternalError(`adapter ${mesh} emitted an invalid name "${o.metadata.name}"`);
    if (o.metadata.namespace !== undefined && !isDnsLabel(o.metadata.namespace))
      throw new InternalError(`adapter ${mesh} emitted an invalid namespace "${o.metadata.namespace}"`);
  }
}

function policyStatus(model: Model, diags: Diagnostic[]): PolicyStatus[] {
  const byPolicy = diagnosticsByPolicy(diags);
  return model.policies.map((p) => statusOf(p.id, byPolicy.get(p.id) ?? []));
}

/** Object order: apiVersion, kind, namespace, name. */
export function compareObjects(a: KubeObject, b: KubeObject): number {
  return (
    cmp(a.apiVersion, b.apiVersion) ||
    cmp(a.kind, b.kind) ||
    cmp(a.metadata.namespace ?? "", b.metadata.namespace ?? "") ||
    cmp(a.metadata.name, b.metadata.name)
  );
}

const TOP = ["apiVersion", "kind", "metadata", "spec"];
const META = ["name", "namespace", "labels", "annotations"];

/**
 * Ownership labels (not on patches of user-owned objects), canonical key order (top level and metadata
 * fixed, everything else sorted), no undefined.
 *
 * The definition: `labels = { ...metadata.labels, [MANAGED_BY_LABEL]: ..., [POLICY_SET_LABEL]: ... }`,
 * `meta = { ...o.metadata, labels }` without empty annotations, then the keys of `o` (own enumerable)
 * ordered `TOP` first and the others sorted, each value {@link sortDeep}ed (metadata: `META` first).
 * Written without those intermediate copies and key lists; the objects built are the same.
 */
function finish(o: KubeObject, policySet: string): KubeObject {
  const meta = finishMetadata(o, policySet);
  const keys = Object.keys(o);
  const out: Record<string, unknown> = {};
  for (const k of TOP) {
    if (keys.includes(k) && o[k] !== undefined) out[k] = k === "metadata" ? meta : sortDeep(o[k]);
  }
  const rest = otherKeys(keys, TOP);
  if (rest) for (const k of rest) if (o[k] !== undefined) out[k] = sortDeep(o[k]);
  return out as KubeObject;
}

/** The finished `metadata` of {@link finish}. */
function finishMetadata(o: KubeObject, policySet: string): Record<string, unknown> {
  const m = o.metadata;
  const labels = isPatch(o) ? m.labels : ownershipLabels(m.labels, policySet);
  const keys = Object.keys(m);
  const out: Record<string, unknown> = {};
  for (const k of META) {
    // `labels` is always a key of the copy (it is assigned), the others when they are keys of metadata.
    if (k === "labels") {
      if (labels !== undefined) out.labels = sortDeep(labels);
      continue;
    }
    if (!keys.includes(k)) continue;
    const x = m[k];
    if (x === undefined) continue;
    if (k === "annotations" && x && Object.keys(x).length === 0) continue; // empty annotations are left out
    out[k] = sortDeep(x);
  }
  const rest = otherKeys(keys, META);
  if (rest) for (const k of rest) if (m[k] !== undefined) out[k] = sortDeep(m[k]);
  return out;
}

/**
 * `{ ...labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [POLICY_SET_LABEL]: policySet }`, which
 * {@link sortDeep} then orders. Without labels (most objects: adapters rarely set any), the two labels
 * are written in sorted order directly, so that sortDeep keeps the object as it is.
 */
function ownershipLabels(labels: Record<string, string> | undefined, policySet: string): Record<string, string> {
  if (labels === undefined || labels === null) {
    const out: Record<string, string> = {};
    if (OWNERSHIP_SORTED) {
      out[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
      out[POLICY_SET_LABEL] = policySet;
    } else {
      out[POLICY_SET_LABEL] = policySet;
      out[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
    }
    return out;
  }
  const copy = copyFields(labels);
  copy[MANAGED_BY_LABEL] = MANAGED_BY_VALUE;
  copy[POLICY_SET_LABEL] = policySet;
  return copy;
}
const OWNERSHIP_SORTED = cmp(MANAGED_BY_LABEL, POLICY_SET_LABEL) < 0;

/** The keys not in `first`, sorted (code units); undefined when there is none (most objects: nothing to allocate). */
function otherKeys(keys: readonly string[], first: readonly string[]): string[] | undefined {
  let rest: string[] | undefined;
  for (const k of keys) if (!first.includes(k)) (rest ??= []).push(k);
  return rest?.sort(cmp);
}

/**
 * A copy of `v` with object keys sorted (code units) and undefined values left out, all the way down;
 * plain arrays and objects that are already so (plain, keys sorted, no undefined, no holes) are returned
 * themselves instead of a copy equal key for key, in the same order.
 *
 * One pass decides and copies: a container is kept when it is plain, its keys are sorted and every child
 * came back unchanged; otherwise it is rebuilt from the children as they came back. (Checking a whole
 * subtree first, then every child's subtree again while copying, walked deep objects many times.) Holes
 * and arrays that are not plain are mapped (holes stay holes), as `Array.prototype.map` does. Whether a
 * container is shared or copied never shows in the output: a copy is equal key for key, in order.
 */
function sortDeep(v: unknown): unknown {
  return v !== null && typeof v === "object" ? canonical(v) : v;
}

function canonical(v: object): object {
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return v.map(sortDeep);
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return v.map(sortDeep);
      const x = v[i];
      const y = x !== null && typeof x === "object" ? canonical(x) : x;
      if (out !== undefined) out.push(y);
      else if (y !== x || x === undefined) {
        out = v.slice(0, i);
        out.push(y);
      }
    }
    return out ?? v;
  }
  const keys = Object.keys(v);
  const keep = Object.getPrototypeOf(v) === Object.prototype && sorted(keys) && Object.getOwnPropertySymbols(v).length === 0;
  if (!keep) keys.sort(); // object keys are strings: the default sort compares code units, like cmp
  let out: Record<string, unknown> | undefined = keep ? undefined : {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const x = (v as Record<string, unknown>)[k];
    const y = x !== null && typeof x === "object" ? canonical(x) : x;
    if (out === undefined) {
      if (y === x && x !== undefined) continue;
      // The first change: a copy of the keys before it (unchanged), then go on copying.
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = (v as Record<string, unknown>)[keys[j]];
    }
    if (y !== undefined) out[k] = y;
  }
  return out ?? v;
}

function sorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}
