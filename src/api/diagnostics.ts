/**
 * Diagnostics: every problem unimesh finds in its input or in a translation is a {@link Diagnostic},
 * a plain data object with a stable `code`. Printers ({@link formatDiagnostic}) are kept apart from
 * the data so tools can consume the JSON form.
 */

/** Per-policy outcome, as Gloo Mesh reports it: accepted, or rejected with the reasons. */
export interface PolicyStatus {
  policy: string;
  state: "accepted" | "accepted-with-warnings" | "rejected";
  /** Codes of the diagnostics about this policy. */
  reasons: string[];
}

/** How bad a diagnostic is. `error` makes validation/translation fail; `--strict` promotes `warning`. */
export type Severity = "error" | "warning" | "info";

/**
 * One problem, with where it is.
 *
 * Codes are stable and namespaced:
 * - `input/*`  files that cannot be read, empty inputs, size limits;
 * - `yaml/*`   YAML syntax, duplicate keys, aliases, depth;
 * - `schema/*` JSON Schema violations (`schema/required`, `schema/unknown-field`, `schema/type`, ...);
 * - `rule/*`   semantic rules of the model (`rule/split-weights`, `rule/unknown-subset`, `rule/conflict`, ...);
 * - `adapter/<kind>/<feature>[.<what>]` what a mesh cannot express, or must say, per feature: kinds
 *   `unsupported-feature`, `unsupported-value`, `approximation`, `conflict`, `note`, `missing-fact`
 *   (see {@link adapterCode}), and `adapter/deprecated-mesh`. Match a family with {@link isCodeIn}.
 */
export interface Diagnostic {
  /** Stable machine-readable code, e.g. `rule/split-weights`. */
  code: string;
  severity: Severity;
  /** One sentence: what is wrong and what was expected (and, for adapters, what to do instead). */
  message: string;
  /** Input file path as given by the user (`-` for stdin, `<memory>` for in-memory documents). */
  file?: string;
  /** 0-based index of the YAML document within the file (`---` separated). */
  documentIndex?: number;
  /** JSON Pointer (RFC 6901) into that document, e.g. `/spec/retries/attempts`. */
  pointer?: string;
  /** 1-based line and column in the file, when known. */
  line?: number;
  column?: number;
  /** The policy concerned, as `Kind/namespace/name`. */
  policy?: string;
  /** Other policies involved (conflicts name both sides). */
  relatedPolicies?: string[];
  /** `mesh@version` for adapter diagnostics. */
  adapter?: string;
  /** Model feature concerned (a schema property name: `retries`, `faultInjection`, `access`...). */
  feature?: string;
}

/**
 * The kind of an adapter finding, the second segment of its code (CONTRIBUTING.md):
 * - `unsupported-feature`: the mesh (version) has no such feature;
 * - `unsupported-value`: the feature exists, this value (or combination) does not;
 * - `approximation`: a looser translation the user opted into (`allowApproximations`);
 * - `conflict`: two policies (or a policy and the mesh's own rules) cannot both hold as asked;
 * - `note`: info or warning about a mesh behaviour the user must know;
 * - `missing-fact`: a fact the translation needs (e.g. the service's ports) is not declared.
 */
export type FindingKind = "unsupported-feature" | "unsupported-value" | "approximation" | "conflict" | "note" | "missing-fact";

/**
 * The code of a finding: `adapter/<kind>` then `/<feature>`, `/<feature>.<what>` or `/<what>`, e.g.
 * `adapter/unsupported-value/retries.backoff`, `adapter/unsupported-feature/faultInjection`,
 * `adapter/conflict/selectors`. Its first two segments are the family: tests and tools that mean "any
 * unsupported value" match `adapter/unsupported-value` as a prefix ({@link isCodeIn}).
 */
export function adapterCode(kind: FindingKind, feature?: string, what?: string): string {
  const subject = feature ? (what ? `${feature}.${what}` : feature) : what;
  return subject ? `adapter/${kind}/${subject}` : `adapter/${kind}`;
}

/**
 * True when `code` is `family` or a specific code of it: `isCodeIn("adapter/unsupported-value/retries.backoff",
 * "adapter/unsupported-value")` and `isCodeIn(c, "adapter/unsupported-value/retries")` are true.
 */
export function isCodeIn(code: string, family: string): boolean {
  return code === family || (code.startsWith(family) && (code[family.length] === "/" || code[family.length] === "."));
}

/** The family of a code, its first two segments: `adapter/unsupported-value/retries.backoff` → `adapter/unsupported-value`. */
export function codeFamily(code: string): string {
  const i = code.indexOf("/");
  const j = i < 0 ? -1 : code.indexOf("/", i + 1);
  return j < 0 ? code : code.slice(0, j);
}

/** Base class of every error unimesh throws on purpose. */
export class UnimeshError extends Error {
  override name = "UnimeshError";
}

/**
 * Thrown by the "OrThrow" helpers when input is invalid or cannot be translated.
 * `diagnostics` holds every problem found, not just the first.
 */
export class InvalidInputError extends UnimeshError {
  override name = "InvalidInputError";
  constructor(readonly diagnostics: Diagnostic[]) {
    super(summarize(diagnostics));
  }
}

/** Bad usage of the library or CLI (unknown adapter, bad version, bad option). */
export class UsageError extends UnimeshError {
  override name = "UsageError";
}

/** A bug in unimesh itself, never caused by user input. */
export class InternalError extends UnimeshError {
  override name = "InternalError";
  constructor(message: string) {
    super(`${message} (this is a bug in unimesh: please report it with the input that caused it)`);
  }
}

function summarize(diags: Diagnostic[]): string {
  const errors = diags.filter((d) => d.severity === "error");
  const first = errors[0] ?? diags[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return first ? formatDiagnostic(first) + more : "invalid input";
}

/** True when any diagnostic is an error. */
export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Returns copies with every `warning` promoted to `error` (`--strict`). */
export function promoteWarnings(diags: readonly Diagnostic[]): Diagnostic[] {
  return diags.map((d) => (d.severity === "warning" ? { ...d, severity: "error" } : d));
}

/**
 * The diagnostics about each policy (its own, and those naming it in `relatedPolicies`), in their
 * order: one pass instead of filtering every diagnostic for every policy.
 */
export function diagnosticsByPolicy(diags: readonly Diagnostic[]): Map<string, Diagnostic[]> {
  const byPolicy = new Map<string, Diagnostic[]>();
  const add = (id: string, d: Diagnostic) => {
    const list = byPolicy.get(id);
    if (!list) byPolicy.set(id, [d]);
    else if (list[list.length - 1] !== d) list.push(d);
  };
  for (const d of diags) {
    if (d.policy !== undefined) add(d.policy, d);
    if (d.relatedPolicies) for (const id of d.relatedPolicies) add(id, d);
  }
  return byPolicy;
}

/** The status of one policy from the diagnostics about it: rejected with any error, accepted with warnings with any warning. */
export function statusOf(policy: string, mine: readonly Diagnostic[]): PolicyStatus {
  // One pass for the state; the reasons are `[...new Set(codes)].sort()`, without the Set and its
  // spread for the many policies with a few diagnostics.
  let errors = false;
  let warnings = false;
  for (const d of mine) {
    if (d.severity === "error") errors = true;
    else if (d.severity === "warning") warnings = true;
  }
  const state = errors ? "rejected" : warnings ? "accepted-with-warnings" : "accepted";
  let reasons: string[];
  if (mine.length <= 16) {
    // Unique in order of first occurrence (what the Set keeps), then sorted.
    reasons = [];
    for (const d of mine) if (!reasons.includes(d.code)) reasons.push(d.code);
    if (reasons.length > 1) reasons.sort();
  } else reasons = [...new Set(mine.map((d) => d.code))].sort();
  return { policy, state, reasons };
}

/**
 * `{ ...d }` for the plain data objects diagnostics are, several times faster: V8's object spread is
 * slow on objects of many shapes, and adapters report thousands of diagnostics. Anything unusual (a
 * prototype, symbol keys, an own `__proto__`) is copied by the spread itself.
 */
export function copyFields<T extends object>(d: T): T {
  if (Object.getPrototypeOf(d) === Object.prototype && Object.getOwnPropertySymbols(d).length === 0) {
    const out: Record<string, unknown> = {};
    let plain = true;
    for (const k in d) {
      if (k === "__proto__" || !Object.hasOwn(d, k)) {
        plain = false;
        break;
      }
      out[k] = d[k];
    }
    if (plain) return out as T;
  }
  return { ...d };
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order: file, document, line, pointer, severity, code, message. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      cmp(a.file ?? "\uffff", b.file ?? "\uffff") ||
      (a.documentIndex ?? -1) - (b.documentIndex ?? -1) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      cmp(a.pointer ?? "", b.pointer ?? "") ||
      severityRank[a.severity] - severityRank[b.severity] ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One grep-friendly line:
 * `policies.yaml:12:5 [1]#/spec/retries/attempts: error schema/maximum: must be <= 10 [TrafficPolicy/bookinfo/x] (istio@1.30)`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  let where = d.file ?? "";
  if (d.line !== undefined) where += `:${d.line}` + (d.column !== undefined ? `:${d.column}` : "");
  if (d.documentIndex !== undefined) where += `${where ? " " : ""}[${d.documentIndex}]`;
  if (d.pointer !== undefined) where += `#${d.pointer}`;
  let s = `${where ? where + ": " : ""}${d.severity} ${d.code}: ${d.message}`;
  if (d.policy) s += ` [${d.policy}${d.relatedPolicies?.length ? ", " + d.relatedPolicies.join(", ") : ""}]`;
  if (d.adapter) s += ` (${d.adapter})`;
  return s;
}

/** Escapes one JSON Pointer token (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  return String(token).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins tokens into a JSON Pointer: `pointer("spec", "routes", 0)` → `/spec/routes/0`. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => "/" + escapePointerToken(t)).join("");
}
