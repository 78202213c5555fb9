/**
 * Validates generated Kubernetes objects against the real upstream CRDs in `test/crds/`, the way a
 * Kubernetes API server would on `kubectl apply --validate=strict` (server-side field validation
 * `Strict`) of a new object.
 *
 * What is checked, in the order the API server does it:
 *
 * 1. The object is plain JSON data (no `undefined` array elements, `NaN`, `Date`, class instances...).
 * 2. `apiVersion` names a group/version that a loaded CRD defines and serves (`served: true`), and
 *    `kind` is a kind of that group. CRDs are looked up by group + kind + version, never by kind alone.
 * 3. `metadata`: `name` (DNS-1123 subdomain) or `generateName`; `namespace` (DNS-1123 label, and not set
 *    at all on cluster-scoped kinds); label keys and values; annotation keys and total size;
 *    `finalizers`, `ownerReferences`; unknown metadata fields.
 * 4. Structural pruning: any field the schema does not declare is an `unknown field` error (as with
 *    strict field validation), except under `x-kubernetes-preserve-unknown-fields: true` or
 *    `additionalProperties`. A `type: object` with neither `properties` nor `additionalProperties` nor
 *    `x-kubernetes-preserve-unknown-fields` holds no fields at all. Then, like the API server,
 *    `null` in a non-nullable field is dropped (or defaulted), and schema `default`s are applied.
 * 5. OpenAPI v3 value validation of the whole object (including `spec` and `status`): `type`,
 *    `nullable`, `x-kubernetes-int-or-string`, `enum`, `format` (the formats Kubernetes validates:
 *    `date`, `date-time`, `duration`, `byte`, `ipv4`, `ipv6`, `cidr`, `uuid`, `hostname`, `uri`;
 *    plus int32/int64 ranges for integers, which the API server itself does not check), `minimum`,
 *    `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `minLength`, `maxLength`
 *    (in Unicode code points), `pattern`, `minItems`, `maxItems`, `uniqueItems`, `minProperties`,
 *    `maxProperties`, `required`, `allOf`/`anyOf`/`oneOf`/`not`, `x-kubernetes-list-type: set|map`
 *    (unique items / unique `x-kubernetes-list-map-keys`).
 * 6. CEL `x-kubernetes-validations` rules, evaluated with `@bufbuild/cel` at their schema node with
 *    `self` bound to the (defaulted) value there, converted the way Kubernetes does it: `integer` is a
 *    CEL `int`, `number` a `double`, int-or-string an `int` or a `string`, `format: duration` a
 *    `duration`, `date`/`date-time` a `timestamp`, `byte` `bytes`; only declared properties are
 *    visible, with Kubernetes' property-name escaping (`namespace` is `__namespace__`). Rules are
 *    skipped for absent and `null` values, and (as in the API server) all of them are skipped when the
 *    schema checks found a type/required/enum/too-long/too-many error. `message` and
 *    `messageExpression` give the error text, `fieldPath` refines its location.
 *    The Kubernetes CEL libraries that `@bufbuild/cel` lacks are implemented here: URLs (`url`,
 *    `isURL`, `getScheme`, ...), IPs and CIDRs (`ip`, `isIP`, `cidr`, `isCIDR`, `ip.isCanonical`,
 *    `family`, `containsIP`, ...), `format.<name>()` / `format.named()` with `validate()`, the
 *    optional-value functions (`optional.of`, `.hasValue()`, `.value()`, `.orValue()`, ...), lists
 *    (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`) and sets (`sets.contains`,
 *    `sets.equivalent`, `sets.intersects`). The strings extension comes from `@bufbuild/cel/ext`.
 *
 * All problems are reported together, whereas the API server stops at the first stage that fails (a
 * strict request with an unknown field is refused before validation runs). Like the API server, the
 * validator accepts `field: null` on a non-nullable field (it is dropped, or defaulted).
 *
 * What is NOT checked:
 *
 * - Transition rules (rules that use `oldSelf`): there is no old object when a manifest is created.
 * - CEL cost budgets, and CEL type checking (a rule that would not compile in the API server is not
 *   reported, but a rule that calls an unknown function or a function with the wrong number of
 *   arguments is: see {@link CrdValidator.unsupportedRules}).
 * - `x-kubernetes-list-type: set|map` equality semantics inside CEL (lists compare in order here).
 * - CEL functions not implemented here (e.g. `quantity`, regex `find`/`findAll`, `semver`, two-variable
 *   comprehensions, `?.` optional syntax). A rule that uses one is never silently passed: it shows up
 *   in {@link CrdValidator.unsupportedRules} and the tests require that list to be empty.
 * - Admission webhooks (Istio's validating webhook, for instance, checks more than its CRD schema does),
 *   name uniqueness, references between objects, and built-in kinds (`v1` Service, ...): pass only
 *   custom resources to {@link CrdValidator.validate}.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import {
  CelScalar,
  celEnv,
  celFunc,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  listType,
  mapType,
  parse as parseCel,
  plan as planCel,
  type CelEnv,
  type CelError,
  type CelFunc,
  type CelInput,
  type CelList,
  type CelMap,
  type CelValue,
} from "@bufbuild/cel";
import { strings as celStringsExtension } from "@bufbuild/cel/ext";

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Absolute path of `test/crds/`. */
export const CRD_ROOT: string = fileURLToPath(new URL("../crds/", import.meta.url));

/**
 * The CRD folders under `test/crds/` that {@link loadCrds} can load, found by convention: a set is the
 * first folder on each path below `test/crds/` that holds YAML files itself (with its subfolders), e.g.
 * `istio/1.30.3`, `linkerd/edge-26.8.3` (with `policy/`, `workload/`), `gateway-api/v1.6.1/standard`
 * (Gateway API's release folders hold one folder per channel). Vendoring a mesh release's CRDs there
 * (test/crds/README.md) is all it takes; sorted, so the order is stable.
 */
export const CRD_SETS: readonly string[] = findCrdSets(CRD_ROOT, "");

/**
 * One folder of upstream CRDs under `test/crds/`, relative with `/`, e.g. `istio/1.30.3`,
 * `gateway-api/v1.6.1/experimental`: a member of {@link CRD_SETS} (test/crds/README.md says where
 * each comes from).
 */
export type CrdSet = string;

function findCrdSets(root: string, rel: string): string[] {
  const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (rel && entries.some((e) => e.isFile() && /\.ya?ml$/.test(e.name))) return [rel];
  return entries.filter((e) => e.isDirectory()).flatMap((e) => findCrdSets(root, rel ? `${rel}/${e.name}` : e.name));
}

/** A CEL rule that the validator cannot evaluate, so it would otherwise be skipped silently. */
export interface UnsupportedRule {
  /** The CRD set (or the label given to {@link validatorFromCrdDocuments}) the rule comes from. */
  readonly source: string;
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  /** Where in the object the rule applies, e.g. `.spec.http[*].timeout` (`{*}` is a map value). */
  readonly field: string;
  /** The rule (or `messageExpression`, or `pattern`) text. */
  readonly rule: string;
  readonly reason: string;
}

/** How many rules the loaded CRDs have, by outcome of compiling them. */
export interface RuleStats {
  /** Rules compiled and evaluated by {@link CrdValidator.validate}. */
  readonly compiled: number;
  /** Transition rules (they use `oldSelf`), which never apply to a new object. */
  readonly transition: number;
  /** Rules listed by {@link CrdValidator.unsupportedRules}. */
  readonly unsupported: number;
}

/** Validates Kubernetes objects against a fixed collection of CRDs. */
export interface CrdValidator {
  /** The CRD sets (or labels) this validator was built from, in priority order. */
  readonly sources: readonly string[];
  /**
   * Validates one object. Returns human-readable problems, empty when the object is valid. Each
   * problem reads `<kind>/<name> <json-pointer>: <message>`, e.g.
   * `VirtualService/reviews /spec/http/0/retriez: unknown field "retriez"`.
   */
  validate(obj: unknown): string[];
  /**
   * Every CEL rule, `messageExpression` or `pattern` of the loaded CRDs (all versions, all kinds, even
   * those shadowed by an earlier set) that cannot be evaluated: an unknown function, a function called
   * with an unsupported number of arguments, a parse error, or a runtime "unbound function"/"no such
   * overload" error seen by {@link CrdValidator.validate}. Compiles all schemas on first call.
   */
  unsupportedRules(): UnsupportedRule[];
  /** Counts of compiled, transition and unsupported rules (compiles all schemas, like `unsupportedRules`). */
  ruleStats(): RuleStats;
  /** The served `group/version Kind` triples the validator accepts, sorted. */
  servedKinds(): string[];
}

/**
 * Loads the CRDs of the given sets (each set is read and parsed once per process, then cached) and
 * returns a validator for them. CRDs are indexed by group + kind; when several sets define the same
 * group/kind, the first set given wins (e.g. `loadCrds("linkerd/edge-26.8.3",
 * "gateway-api/v1.6.1/standard")` validates `gateway.networking.k8s.io` HTTPRoutes against the copy
 * Linkerd bundles, and Gateways, which Linkerd does not bundle, against Gateway API v1.6.1).
 * Schemas and CEL programs are compiled lazily, once per (set, group, kind, version).
 */
export function loadCrds(...sets: CrdSet[]): CrdValidator {
  if (sets.length === 0) throw new Error("loadCrds: give at least one CRD set");
  const key = sets.join("|");
  let validator = validatorCache.get(key);
  if (!validator) {
    validator = new Validator(sets.map(loadSet));
    validatorCache.set(key, validator);
  }
  return validator;
}

/**
 * Builds a validator from in-memory `CustomResourceDefinition` documents (for tests of the validator
 * itself). Nothing is cached.
 */
export function validatorFromCrdDocuments(documents: readonly unknown[], label = "inline"): CrdValidator {
  return new Validator([
    sourceFromDocuments(
      label,
      documents.map((doc) => ({ file: label, doc })),
    ),
  ]);
}

/** Validates every object with {@link loadCrds}`(...sets)` and returns all problems, in object order. */
export function validateAll(objects: readonly unknown[], sets: readonly CrdSet[]): string[] {
  const validator = loadCrds(...sets);
  return objects.flatMap((obj) => validator.validate(obj));
}

/**
 * Throws an Error that lists every problem of every object (see {@link validateAll}); returns normally
 * when all objects are valid. Meant for use inside tests: `assertValid(manifests, "istio/1.30.3")`.
 */
export function assertValid(objects: readonly unknown[], ...sets: CrdSet[]): void {
  const problems = validateAll(objects, sets);
  if (problems.length > 0) {
    throw new Error(
      `${problems.length} problem(s) in ${objects.length} object(s) checked against CRDs [${sets.join(", ")}]:\n` + problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/**
 * Evaluates one CEL expression in the environment used for `x-kubernetes-validations` rules (with the
 * Kubernetes libraries), `self` bound to `self` converted without a schema (integral numbers are ints).
 * For tests of that environment. Throws when the expression is unsupported or fails.
 */
export function evaluateKubernetesCel(expression: string, self: unknown = null): unknown {
  const compiled = compileExpr(expression);
  if (compiled.kind === "unsupported") throw new Error(`unsupported: ${compiled.reason}`);
  const problems: Problem[] = [];
  const json = toJson(self, "", problems);
  if (problems.length > 0) throw new Error(problems.map((p) => p.msg).join("; "));
  const result = compiled.program({ self: genericToCel(json ?? null) });
  if (isCelError(result)) throw new Error(result.message);
  return result;
}

// ---------------------------------------------------------------------------------------------
// JSON helpers
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonType(v: Json): "null" | "boolean" | "integer" | "number" | "string" | "array" | "object" {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v as "boolean" | "string" | "object";
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/** JSON text with object keys sorted: equal values give equal keys. */
function canonicalJson(v: Json | undefined): string {
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
    .join(",")}}`;
}

function cloneJson<T extends Json>(v: T): T {
  return v === null || typeof v !== "object" ? v : (structuredClone(v) as T);
}

function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, "~0").replace(/\//g, "~1");
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function shortJson(v: Json, max = 80): string {
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// CRD documents, sets and lookup
// ---------------------------------------------------------------------------------------------

interface RawRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

interface RawSchema {
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: Json[];
  default?: Json;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, RawSchema>;
  additionalProperties?: RawSchema | boolean;
  items?: RawSchema;
  allOf?: RawSchema[];
  anyOf?: RawSchema[];
  oneOf?: RawSchema[];
  not?: RawSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: RawRule[];
}

interface RawCrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: RawSchema };
}

interface RawCrd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    names: { kind: string };
    scope: "Namespaced" | "Cluster";
    versions: RawCrdVersion[];
  };
}

interface CrdVersionEntry {
  readonly crd: CrdEntry;
  readonly raw: RawCrdVersion;
  compiled?: CompiledVersion;
}

interface CrdEntry {
  readonly source: string;
  readonly file: string;
  readonly group: string;
  readonly kind: string;
  readonly clusterScoped: boolean;
  readonly versions: ReadonlyMap<string, CrdVersionEntry>;
}

interface LoadedSource {
  readonly label: string;
  readonly crds: readonly CrdEntry[];
}

const setCache = new Map<string, LoadedSource>();
const validatorCache = new Map<string, Validator>();

function loadSet(set: CrdSet): LoadedSource {
  if (!CRD_SETS.includes(set)) {
    throw new Error(`unknown CRD set "${String(set)}"; known: ${CRD_SETS.join(", ")}`);
  }
  let loaded = setCache.get(set);
  if (!loaded) {
    const documents = yamlFilesUnder(join(CRD_ROOT, set)).flatMap((file) =>
      yaml
        .loadAll(readFileSync(file, "utf8"), undefined, { filename: file, schema: yaml.CORE_SCHEMA })
        .filter((doc) => doc !== null && doc !== undefined)
        .map((doc) => ({ file: relative(CRD_ROOT, file), doc })),
    );
    loaded = sourceFromDocuments(set, documents);
    if (loaded.crds.length === 0) throw new Error(`no CRDs found in ${join(CRD_ROOT, set)}`);
    setCache.set(set, loaded);
  }
  return loaded;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

function sourceFromDocuments(label: string, documents: readonly { file: string; doc: unknown }[]): LoadedSource {
  const crds: CrdEntry[] = documents.map(({ file, doc }) => {
    const crd = doc as RawCrd;
    if (!isJsonObject(doc) || crd.apiVersion !== "apiextensions.k8s.io/v1" || crd.kind !== "CustomResourceDefinition" || !Array.isArray(crd.spec?.versions)) {
      throw new Error(`${file}: not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
    }
    const versions = new Map<string, CrdVersionEntry>();
    const entry: CrdEntry = {
      source: label,
      file,
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      clusterScoped: crd.spec.scope === "Cluster",
      versions,
    };
    for (const raw of crd.spec.versions) {
      if (!raw.schema?.openAPIV3Schema) {
        throw new Error(`${file}: ${entry.kind} ${raw.name} has no openAPIV3Schema`);
      }
      versions.set(raw.name, { crd: entry, raw });
    }
    return entry;
  });
  return { label, crds };
}

// ---------------------------------------------------------------------------------------------
// Schema compilation
// ---------------------------------------------------------------------------------------------

type SchemaType = "object" | "array" | "string" | "integer" | "number" | "boolean";

interface CompiledRule {
  readonly rule: string;
  readonly program: CelProgram;
  readonly message: string | undefined;
  readonly messageProgram: CelProgram | undefined;
  readonly fieldPath: string | undefined;
  /** Set when evaluation hit an unbound function / missing overload: reported as unsupported. */
  readonly runtimeProblems: Set<string>;
}

interface SchemaNode {
  readonly raw: RawSchema;
  readonly type: SchemaType | undefined;
  readonly nullable: boolean;
  readonly intOrString: boolean;
  readonly preserveUnknown: boolean;
  readonly embedded: boolean;
  readonly format: string | undefined;
  readonly enumValues: readonly Json[] | undefined;
  readonly hasDefault: boolean;
  readonly defaultValue: Json | undefined;
  readonly pattern: RegExp | undefined;
  readonly required: readonly string[];
  readonly properties: ReadonlyMap<string, SchemaNode> | undefined;
  /** A schema for map values, `true` (anything goes), or undefined/false (no extra keys). */
  readonly additionalProperties: SchemaNode | boolean | undefined;
  readonly items: SchemaNode | undefined;
  readonly allOf: readonly SchemaNode[];
  readonly anyOf: readonly SchemaNode[];
  readonly oneOf: readonly SchemaNode[];
  readonly not: SchemaNode | undefined;
  readonly listType: string | undefined;
  readonly listMapKeys: readonly string[];
  readonly rules: readonly CompiledRule[];
  /** This node or a node below it has CEL rules (so the CEL pass must visit it). */
  readonly hasRulesBelow: boolean;
}

interface CompiledVersion {
  readonly root: SchemaNode;
  readonly rules: readonly { field: string; rule: CompiledRule }[];
  readonly unsupported: readonly UnsupportedRule[];
  readonly transitionRules: number;
}

interface CompileContext {
  readonly entry: CrdVersionEntry;
  readonly rules: { field: string; rule: CompiledRule }[];
  readonly unsupported: UnsupportedRule[];
  transitionRules: number;
}

const SCHEMA_TYPES: ReadonlySet<string> = new Set(["object", "array", "string", "integer", "number", "boolean"]);

function compiledVersion(entry: CrdVersionEntry): CompiledVersion {
  if (!entry.compiled) {
    const ctx: CompileContext = { entry, rules: [], unsupported: [], transitionRules: 0 };
    const root = compileSchema(entry.raw.schema!.openAPIV3Schema!, "", true, ctx);
    entry.compiled = { root, rules: ctx.rules, unsupported: ctx.unsupported, transitionRules: ctx.transitionRules };
  }
  return entry.compiled;
}

function unsupported(ctx: CompileContext, field: string, rule: string, reason: string): UnsupportedRule {
  const { crd, raw } = ctx.entry;
  return { source: crd.source, group: crd.group, kind: crd.kind, version: raw.name, field: field || ".", rule, reason };
}

/**
 * A `pattern` as the API server reads it: Go's RE2 syntax, which JavaScript shares but for RE2's leading
 * flag group `(?i)`/`(?s)`/`(?m)` (e.g. prometheus-operator's `^(?i)(abort|warn)?$` after the `^`), turned
 * here into JavaScript flags. @throws SyntaxError for anything else JavaScript cannot compile.
 */
function goRegExp(source: string): RegExp {
  const m = /^(\^?)\(\?([ism]+)\)/.exec(source);
  if (!m) return new RegExp(source, "u");
  return new RegExp(m[1] + source.slice(m[0].length), `u${[...new Set(m[2])].join("")}`);
}

/**
 * Compiles one OpenAPI schema node. `structural` is false inside allOf/anyOf/oneOf/not, which in a
 * Kubernetes structural schema only add value constraints (they declare no fields and carry no rules).
 */
function compileSchema(raw: RawSchema, field: string, structural: boolean, ctx: CompileContext): SchemaNode {
  const sub = (schema: RawSchema, subField: string, subStructural = structural): SchemaNode => compileSchema(schema, subField, subStructural, ctx);

  let pattern: RegExp | undefined;
  if (raw.pattern !== undefined) {
    try {
      pattern = goRegExp(raw.pattern);
    } catch (e) {
      ctx.unsupported.push(unsupported(ctx, field, raw.pattern, `pattern is not a valid JavaScript regular expression: ${(e as Error).message}`));
    }
  }

  const properties = raw.properties ? new Map(Object.entries(raw.properties).map(([k, s]) => [k, sub(s, `${field}.${k}`)] as const)) : undefined;
  const additionalProperties = typeof raw.additionalProperties === "object" ? sub(raw.additionalProperties, `${field}{*}`) : raw.additionalProperties;
  const items = raw.items ? sub(raw.items, `${field}[*]`) : undefined;
  const allOf = (raw.allOf ?? []).map((s) => sub(s, field, false));
  const anyOf = (raw.anyOf ?? []).map((s) => sub(s, field, false));
  const oneOf = (raw.oneOf ?? []).map((s) => sub(s, field, false));
  const not = raw.not ? sub(raw.not, field, false) : undefined;

  const rules: CompiledRule[] = [];
  for (const r of raw["x-kubernetes-validations"] ?? []) {
    if (!structural) {
      ctx.unsupported.push(unsupported(ctx, field, r.rule, "x-kubernetes-validations inside allOf/anyOf/oneOf/not"));
      continue;
    }
    const compiled = compileRule(r);
    if (compiled.kind === "transition") {
      ctx.transitionRules++;
    } else if (compiled.kind === "unsupported") {
      ctx.unsupported.push(unsupported(ctx, field, compiled.source, compiled.reason));
    } else {
      rules.push(compiled.rule);
      ctx.rules.push({ field, rule: compiled.rule });
    }
  }

  const type = raw.type !== undefined && SCHEMA_TYPES.has(raw.type) ? (raw.type as SchemaType) : undefined;
  const children = [...(properties?.values() ?? []), ...(typeof additionalProperties === "object" ? [additionalProperties] : [])];
  if (items) children.push(items);
  return {
    raw,
    type,
    nullable: raw.nullable === true,
    intOrString: raw["x-kubernetes-int-or-string"] === true,
    preserveUnknown: raw["x-kubernetes-preserve-unknown-fields"] === true,
    embedded: raw["x-kubernetes-embedded-resource"] === true,
    format: raw.format,
    enumValues: raw.enum,
    hasDefault: raw.default !== undefined,
    defaultValue: raw.default,
    pattern,
    required: raw.required ?? [],
    properties,
    additionalProperties,
    items,
    allOf,
    anyOf,
    oneOf,
    not,
    listType: raw["x-kubernetes-list-type"],
    listMapKeys: raw["x-kubernetes-list-map-keys"] ?? [],
    rules,
    hasRulesBelow: rules.length > 0 || children.some((c) => c.hasRulesBelow),
  };
}

// ---------------------------------------------------------------------------------------------
// Validation problems
// ---------------------------------------------------------------------------------------------

interface Problem {
  readonly ptr: string;
  readonly msg: string;
  /**
   * A type, required, enum, too-long or too-many error: the API server does not evaluate CEL rules
   * when one of these exists (`hasBlockingErr` in apiextensions-apiserver).
   */
  readonly blocking?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Step 1: plain JSON
// ---------------------------------------------------------------------------------------------

function toJson(v: unknown, ptr: string, out: Problem[]): Json | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isFinite(v)) return v;
      out.push({ ptr, msg: `${v} is not a JSON number`, blocking: true });
      return undefined;
    case "undefined":
      return undefined;
    case "object": {
      if (v === null) return null;
      if (Array.isArray(v)) {
        return Array.from(v, (x: unknown, i) => {
          const j = toJson(x, `${ptr}/${i}`, out);
          if (x === undefined) out.push({ ptr: `${ptr}/${i}`, msg: "undefined array element", blocking: true });
          return j === undefined ? null : j;
        });
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
        out.push({ ptr, msg: `a ${name} object is not plain JSON data`, blocking: true });
        return undefined;
      }
      const o: JsonObject = {};
      for (const [k, x] of Object.entries(v)) {
        const j = toJson(x, `${ptr}/${pointerToken(k)}`, out);
        if (j !== undefined) o[k] = j;
      }
      return o;
    }
    default:
      out.push({ ptr, msg: `a ${typeof v} is not JSON data`, blocking: true });
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Step 4: pruning of unknown fields and non-nullable nulls, defaulting
// ---------------------------------------------------------------------------------------------

const EMBEDDED_RESOURCE_FIELDS: ReadonlySet<string> = new Set(["apiVersion", "kind", "metadata"]);

function fieldSchema(node: SchemaNode, key: string): SchemaNode | undefined {
  const prop = node.properties?.get(key);
  if (prop) return prop;
  return typeof node.additionalProperties === "object" ? node.additionalProperties : undefined;
}

/** Mutates `value` (a private copy) like the API server's pruning + null pruning + defaulting. */
function pruneAndDefault(node: SchemaNode, value: Json, ptr: string, out: Problem[], skip?: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    if (node.items) value.forEach((item, i) => pruneAndDefault(node.items!, item, `${ptr}/${i}`, out));
    return;
  }
  if (!isJsonObject(value) || node.intOrString || (node.type !== undefined && node.type !== "object")) return;
  const keepUnknown = node.additionalProperties === true || node.preserveUnknown;
  for (const key of Object.keys(value)) {
    if (skip?.has(key)) continue;
    const child = fieldSchema(node, key);
    if (!child) {
      if (keepUnknown || (node.embedded && EMBEDDED_RESOURCE_FIELDS.has(key))) continue;
      out.push({ ptr: `${ptr}/${pointerToken(key)}`, msg: `unknown field "${key}"` });
      delete value[key];
    } else if (value[key] === null && !child.nullable) {
      if (child.hasDefault) value[key] = cloneJson(child.defaultValue!);
      else delete value[key];
    }
  }
  if (node.properties) {
    for (const [key, child] of node.properties) {
      if (child.hasDefault && !Object.hasOwn(value, key) && !skip?.has(key)) value[key] = cloneJson(child.defaultValue!);
    }
  }
  for (const key of Object.keys(value)) {
    if (skip?.has(key)) continue;
    const child = fieldSchema(node, key);
    if (child) pruneAndDefault(child, value[key], `${ptr}/${pointerToken(key)}`, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Step 5: OpenAPI value validation
// ---------------------------------------------------------------------------------------------

function typeDescription(node: SchemaNode): string {
  return node.intOrString ? "integer or string" : (node.type ?? "any");
}

function validateValue(node: SchemaNode, value: Json, ptr: string, out: Problem[]): void {
  if (value === null) {
    if (!node.nullable && (node.type !== undefined || node.intOrString)) {
      out.push({ ptr, msg: `must be of type ${typeDescription(node)}, got null`, blocking: true });
    }
    return;
  }
  const actual = jsonType(value);
  if (node.intOrString) {
    if (actual !== "integer" && actual !== "string") {
      out.push({ ptr, msg: `must be an integer or a string, got ${actual} ${shortJson(value)}`, blocking: true });
      return;
    }
  } else if (node.type !== undefined && node.type !== actual && !(node.type === "number" && actual === "integer")) {
    out.push({ ptr, msg: `must be of type ${node.type}, got ${actual} ${shortJson(value)}`, blocking: true });
    return;
  }

  if (node.enumValues && !node.enumValues.some((e) => deepEqual(e, value))) {
    const supported = node.enumValues.map((e) => JSON.stringify(e)).join(", ");
    out.push({ ptr, msg: `Unsupported value: ${shortJson(value)}: supported values: ${supported}`, blocking: true });
  }

  if (typeof value === "string") validateString(node, value, ptr, out);
  else if (typeof value === "number") validateNumber(node, value, ptr, out);
  else if (Array.isArray(value)) validateArray(node, value, ptr, out);
  else if (isJsonObject(value)) validateObject(node, value, ptr, out);

  for (const s of node.allOf) validateValue(s, value, ptr, out);
  if (node.anyOf.length > 0 && !node.anyOf.some((s) => passes(s, value, ptr))) {
    out.push({ ptr, msg: `must validate at least one schema (anyOf): ${describeBranches(node.anyOf)}` });
  }
  if (node.oneOf.length > 0) {
    const matched = node.oneOf.filter((s) => passes(s, value, ptr)).length;
    if (matched !== 1) {
      out.push({
        ptr,
        msg: `must validate one and only one schema (oneOf), matched ${matched} of ${describeBranches(node.oneOf)}`,
      });
    }
  }
  if (node.not && passes(node.not, value, ptr)) {
    out.push({ ptr, msg: `must not validate the schema (not): ${describeBranch(node.not)}` });
  }
}

function passes(node: SchemaNode, value: Json, ptr: string): boolean {
  const tmp: Problem[] = [];
  validateValue(node, value, ptr, tmp);
  return tmp.length === 0;
}

function describeBranch(node: SchemaNode): string {
  const raw = node.raw;
  const keys = Object.keys(raw).filter((k) => k !== "description");
  if (keys.length === 1 && raw.required) return `{required: [${raw.required.join(", ")}]}`;
  if (keys.length === 1 && raw.anyOf) return `{anyOf: ${describeBranches(node.anyOf)}}`;
  if (keys.length === 1 && raw.not) return `{not: ${describeBranch(node.not!)}}`;
  return shortJson(raw as Json, 100);
}

function describeBranches(nodes: readonly SchemaNode[]): string {
  return `[${nodes.map(describeBranch).join(", ")}]`;
}

function validateString(node: SchemaNode, s: string, ptr: string, out: Problem[]): void {
  const raw = node.raw;
  if (raw.maxLength !== undefined && s.length > raw.maxLength && codePointLength(s) > raw.maxLength) {
    out.push({ ptr, msg: `Too long: may not be more than ${raw.maxLength} characters`, blocking: true });
  }
  if (raw.minLength !== undefined && codePointLength(s) < raw.minLength) {
    out.push({ ptr, msg: `Invalid value: ${shortJson(s)}: should be at least ${raw.minLength} chars long` });
  }
  if (node.pattern && !node.pattern.test(s)) {
    out.push({ ptr, msg: `Invalid value: ${shortJson(s)}: should match '${raw.pattern}'` });
  }
  if (node.format !== undefined) {
    const problem = checkStringFormat(node.format, s);
    if (problem) out.push({ ptr, msg: `Invalid value: ${shortJson(s)}: ${problem}` });
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;

function validateNumber(node: SchemaNode, n: number, ptr: string, out: Problem[]): void {
  const raw = node.raw;
  if (raw.minimum !== undefined && (raw.exclusiveMinimum ? n <= raw.minimum : n < raw.minimum)) {
    out.push({ ptr, msg: `Invalid value: ${n}: should be greater than ${raw.exclusiveMinimum ? "" : "or equal to "}${raw.minimum}` });
  }
  if (raw.maximum !== undefined && (raw.exclusiveMaximum ? n >= raw.maximum : n > raw.maximum)) {
    out.push({ ptr, msg: `Invalid value: ${n}: should be less than ${raw.exclusiveMaximum ? "" : "or equal to "}${raw.maximum}` });
  }
  if (raw.multipleOf !== undefined && raw.multipleOf > 0) {
    const q = n / raw.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) out.push({ ptr, msg: `Invalid value: ${n}: should be a multiple of ${raw.multipleOf}` });
  }
  if (node.type === "integer" || (node.intOrString && Number.isInteger(n))) {
    if (node.format === "int32" && (n < INT32_MIN || n > INT32_MAX)) {
      out.push({ ptr, msg: `Invalid value: ${n}: out of int32 range (format: int32)` });
    } else if (n < -INT64_LIMIT || n > INT64_LIMIT) {
      // (2^63 itself passes: it is what JavaScript makes of 9223372036854775807)
      out.push({ ptr, msg: `Invalid value: ${n}: out of int64 range` });
    }
  }
}

function validateArray(node: SchemaNode, arr: Json[], ptr: string, out: Problem[]): void {
  const raw = node.raw;
  if (raw.maxItems !== undefined && arr.length > raw.maxItems) {
    out.push({ ptr, msg: `Too many: ${arr.length}: must have at most ${raw.maxItems} items`, blocking: true });
  }
  if (raw.minItems !== undefined && arr.length < raw.minItems) {
    out.push({ ptr, msg: `Invalid value: ${arr.length} items: should have at least ${raw.minItems} items` });
  }
  if (node.items) arr.forEach((item, i) => validateValue(node.items!, item, `${ptr}/${i}`, out));

  const seen = new Map<string, number>();
  const uniqueBy = (keyOf: (item: Json) => string, what: (item: Json) => string): void => {
    arr.forEach((item, i) => {
      const key = keyOf(item);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else out.push({ ptr: `${ptr}/${i}`, msg: `Duplicate value: ${what(item)} (same as item ${first})` });
    });
  };
  if (node.listType === "set" || raw.uniqueItems === true) {
    uniqueBy(canonicalJson, (item) => shortJson(item));
  } else if (node.listType === "map" && node.listMapKeys.length > 0) {
    const keyObject = (item: Json): Record<string, Json | undefined> =>
      Object.fromEntries(node.listMapKeys.map((k) => [k, isJsonObject(item) ? item[k] : undefined]));
    uniqueBy(
      (item) => node.listMapKeys.map((k) => canonicalJson(isJsonObject(item) ? item[k] : undefined)).join("\u0000"),
      (item) => JSON.stringify(keyObject(item)),
    );
  }
}

function validateObject(node: SchemaNode, obj: JsonObject, ptr: string, out: Problem[]): void {
  const raw = node.raw;
  for (const key of node.required) {
    if (!Object.hasOwn(obj, key)) {
      out.push({ ptr: `${ptr}/${pointerToken(key)}`, msg: `Required value: "${key}" is required`, blocking: true });
    }
  }
  const count = Object.keys(obj).length;
  if (raw.maxProperties !== undefined && count > raw.maxProperties) {
    out.push({ ptr, msg: `Too many: ${count}: must have at most ${raw.maxProperties} properties`, blocking: true });
  }
  if (raw.minProperties !== undefined && count < raw.minProperties) {
    out.push({ ptr, msg: `Invalid value: ${count} properties: should have at least ${raw.minProperties} properties` });
  }
  for (const key of Object.keys(obj)) {
    const child = fieldSchema(node, key);
    if (child) validateValue(child, obj[key], `${ptr}/${pointerToken(key)}`, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Formats (kube-openapi strfmt) and Kubernetes name validation
// ---------------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HOSTNAME =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const TIME_OF_DAY = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

/** Returns k8s `IsDNS1123Label` errors. */
function dns1123LabelErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(s)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')",
    );
  }
  return errs;
}

/** Returns k8s `IsDNS1123Subdomain` errors. */
function dns1123SubdomainErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 253) errs.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN.test(s)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  }
  return errs;
}

function dns1035LabelErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1035_LABEL.test(s)) {
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')",
    );
  }
  return errs;
}

/** `NameIs*(s, prefix=true)` masks one trailing dash, since a random suffix follows a prefix. */
function maskTrailingDash(s: string): string {
  return s.length > 1 && s.endsWith("-") ? `${s.slice(0, -1)}a` : s;
}

/** Returns k8s `IsQualifiedName` errors (label keys, annotation keys, finalizers). */
function qualifiedNameErrors(s: string): string[] {
  const parts = s.split("/");
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix, n] = parts;
    name = n;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (name.length > 0 && !QUALIFIED_NAME_PART.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')",
    );
  }
  return errs;
}

function labelValueErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(s)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345')",
    );
  }
  return errs;
}

function portNameErrors(s: string): string[] {
  const errs: string[] = [];
  if (s.length > 15) errs.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(s)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(s)) errs.push("must contain at least one letter (a-z)");
  if (s.includes("--")) errs.push("must not contain consecutive hyphens");
  if (s.startsWith("-") || s.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

function isValidDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

/** strfmt `IsDateTime`: a date, a `t`, and `hh:mm:ss[.frac](z|±hh:mm)` (case-insensitive). */
function isValidDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split("t");
  if (parts.length < 2 || !isValidDate(parts[0])) return false;
  const m = TIME_OF_DAY.exec(parts[1]);
  return m !== null && m[1] <= "23" && m[2] <= "59" && m[3] <= "59";
}

function isValidBase64(s: string): boolean {
  return BASE64.test(s.replace(/[\r\n]/g, ""));
}

const NANOS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1000n,
  "\u00b5s": 1000n,
  "\u03bcs": 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go `time.ParseDuration`, in nanoseconds (no overflow check). */
function parseGoDuration(s: string): bigint | undefined {
  const m = /^([-+]?)(.*)$/su.exec(s)!;
  const sign = m[1] === "-" ? -1n : 1n;
  let rest = m[2];
  if (rest === "0") return 0n;
  if (rest === "") return undefined;
  let total = 0n;
  while (rest !== "") {
    const part = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/u.exec(rest);
    if (!part || (part[1] === "" && (part[2] ?? "") === "")) return undefined;
    const unit = NANOS_PER_UNIT[part[3]];
    const whole = BigInt(part[1] || "0");
    const frac = part[2] ?? "";
    const scale = 10n ** BigInt(frac.length);
    total += whole * unit + (frac === "" ? 0n : (BigInt(frac) * unit) / scale);
    rest = rest.slice(part[0].length);
  }
  return sign * total;
}

const OPENAPI_DURATION_UNITS: readonly (readonly [readonly string[], bigint])[] = [
  [["ns", "nano"], 1n],
  [["us", "\u00b5s", "micro"], 1000n],
  [["ms", "milli"], 1_000_000n],
  [["s", "sec"], 1_000_000_000n],
  [["m", "min"], 60_000_000_000n],
  [["h", "hr", "hour"], 3_600_000_000_000n],
  [["d", "day"], 86_400_000_000_000n],
  [["w", "wk", "week"], 604_800_000_000_000n],
];

/** go-openapi strfmt `ParseDuration` (Go syntax, or e.g. "3 days 4h"), in nanoseconds. */
function parseOpenApiDuration(s: string): bigint | undefined {
  const go = parseGoDuration(s);
  if (go !== undefined) return go;
  let total = 0n;
  let ok = false;
  for (const m of s.matchAll(/(\d+)\s*([A-Za-z\u00b5]+)/gu)) {
    const unit = m[2].toLowerCase().trim();
    for (const [variants, multiplier] of OPENAPI_DURATION_UNITS) {
      variants.forEach((variant, i) => {
        if ((i === variants.length - 1 && unit.startsWith(variant)) || variant === unit) {
          ok = true;
          total += BigInt(m[1]) * multiplier;
        }
      });
    }
  }
  return ok ? total : undefined;
}

/** The OpenAPI formats the API server validates (kube-openapi strfmt); other formats are ignored. */
function checkStringFormat(format: string, s: string): string | undefined {
  switch (format) {
    case "date":
      return isValidDate(s) ? undefined : "must be a date (format: date, e.g. 2006-01-02)";
    case "date-time":
    case "datetime":
      return isValidDateTime(s) ? undefined : "must be a date-time (format: date-time, e.g. 2006-01-02T15:04:05Z)";
    case "duration":
      return parseOpenApiDuration(s) !== undefined ? undefined : "must be a duration (format: duration, e.g. 1h30m)";
    case "byte":
      return isValidBase64(s) ? undefined : "must be base64-encoded data (format: byte)";
    case "ipv4":
      return parseIP(s)?.zone === "" && s.includes(".") ? undefined : "must be an IPv4 address (format: ipv4)";
    case "ipv6":
      return parseIP(s)?.zone === "" && s.includes(":") ? undefined : "must be an IPv6 address (format: ipv6)";
    case "cidr":
      return parseCIDR(s, false) ? undefined : "must be a CIDR (format: cidr)";
    case "uuid":
      return UUID.test(s) ? undefined : "must be a UUID (format: uuid)";
    case "hostname":
      return s.length <= 255 && HOSTNAME.test(s) ? undefined : "must be a hostname (format: hostname)";
    case "uri":
      try {
        goParseURL(s, true);
        return undefined;
      } catch (e) {
        return `must be a URI (format: uri): ${(e as Error).message}`;
      }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Step 3: metadata
// ---------------------------------------------------------------------------------------------

const METADATA_FIELDS: ReadonlySet<string> = new Set([
  "name",
  "generateName",
  "namespace",
  "labels",
  "annotations",
  "finalizers",
  "ownerReferences",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
]);

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function validateMetadata(meta: Json | undefined, clusterScoped: boolean, out: Problem[]): void {
  const ptr = "/metadata";
  if (meta === undefined) {
    out.push({ ptr, msg: "Required value: metadata is required", blocking: true });
    return;
  }
  if (!isJsonObject(meta)) {
    out.push({ ptr, msg: `must be of type object, got ${jsonType(meta)}`, blocking: true });
    return;
  }
  const bad = (field: string, errs: string[], value: Json): void => {
    for (const e of errs) out.push({ ptr: `${ptr}/${field}`, msg: `Invalid value: ${shortJson(value)}: ${e}` });
  };
  const stringField = (field: string): string | undefined => {
    const v = meta[field];
    if (v === undefined) return undefined;
    if (typeof v !== "string") {
      out.push({ ptr: `${ptr}/${field}`, msg: `must be of type string, got ${jsonType(v)}`, blocking: true });
      return undefined;
    }
    return v;
  };

  for (const key of Object.keys(meta)) {
    if (!METADATA_FIELDS.has(key)) out.push({ ptr: `${ptr}/${pointerToken(key)}`, msg: `unknown field "${key}"` });
  }

  const name = stringField("name");
  const generateName = stringField("generateName");
  if (!name && !generateName) {
    out.push({ ptr: `${ptr}/name`, msg: "Required value: name or generateName is required", blocking: true });
  }
  if (name) bad("name", dns1123SubdomainErrors(name), name);
  if (generateName) bad("generateName", dns1123SubdomainErrors(maskTrailingDash(generateName)), generateName);

  const namespace = stringField("namespace");
  if (clusterScoped && namespace) {
    out.push({ ptr: `${ptr}/namespace`, msg: `Forbidden: not allowed on this cluster-scoped kind (got ${JSON.stringify(namespace)})` });
  } else if (namespace) {
    bad("namespace", dns1123LabelErrors(namespace), namespace);
  }

  const stringMap = (field: "labels" | "annotations", check: (key: string, value: string, ptr: string) => void): void => {
    const m = meta[field];
    if (m === undefined || m === null) return;
    if (!isJsonObject(m)) {
      out.push({ ptr: `${ptr}/${field}`, msg: `must be of type object, got ${jsonType(m)}`, blocking: true });
      return;
    }
    for (const [k, v] of Object.entries(m)) {
      const p = `${ptr}/${field}/${pointerToken(k)}`;
      if (typeof v !== "string") out.push({ ptr: p, msg: `must be of type string, got ${jsonType(v)}`, blocking: true });
      else check(k, v, p);
    }
  };
  stringMap("labels", (k, v, p) => {
    for (const e of qualifiedNameErrors(k)) out.push({ ptr: p, msg: `Invalid value: ${JSON.stringify(k)}: label key ${e}` });
    for (const e of labelValueErrors(v)) out.push({ ptr: p, msg: `Invalid value: ${shortJson(v)}: label value ${e}` });
  });
  let annotationBytes = 0;
  stringMap("annotations", (k, v, p) => {
    annotationBytes += k.length + v.length;
    for (const e of qualifiedNameErrors(k.toLowerCase())) {
      out.push({ ptr: p, msg: `Invalid value: ${JSON.stringify(k)}: annotation key ${e}` });
    }
  });
  if (annotationBytes > TOTAL_ANNOTATION_SIZE_LIMIT) {
    out.push({ ptr: `${ptr}/annotations`, msg: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`, blocking: true });
  }

  const finalizers = meta.finalizers;
  if (finalizers !== undefined && finalizers !== null) {
    if (!Array.isArray(finalizers)) {
      out.push({ ptr: `${ptr}/finalizers`, msg: `must be of type array, got ${jsonType(finalizers)}`, blocking: true });
    } else {
      finalizers.forEach((f, i) => {
        if (typeof f !== "string") out.push({ ptr: `${ptr}/finalizers/${i}`, msg: "must be of type string", blocking: true });
        else for (const e of qualifiedNameErrors(f)) out.push({ ptr: `${ptr}/finalizers/${i}`, msg: `Invalid value: ${JSON.stringify(f)}: ${e}` });
      });
    }
  }

  const owners = meta.ownerReferences;
  if (owners !== undefined && owners !== null) {
    if (!Array.isArray(owners)) {
      out.push({ ptr: `${ptr}/ownerReferences`, msg: `must be of type array, got ${jsonType(owners)}`, blocking: true });
    } else {
      owners.forEach((o, i) => {
        for (const f of ["apiVersion", "kind", "name", "uid"]) {
          if (!isJsonObject(o) || typeof o[f] !== "string" || o[f] === "") {
            out.push({ ptr: `${ptr}/ownerReferences/${i}/${f}`, msg: "Required value: must be a non-empty string", blocking: true });
          }
        }
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CEL: environment and the Kubernetes libraries that @bufbuild/cel lacks
// ---------------------------------------------------------------------------------------------

type CelProgram = (bindings: Record<string, CelInput>) => CelValue | CelError;

const DYN = CelScalar.DYN;
const STRING = CelScalar.STRING;
const BOOL = CelScalar.BOOL;
const INT = CelScalar.INT;
const LIST = listType(DYN);
const MAP = mapType(DYN, DYN);

/** Helpers evaluated with the standard CEL semantics of @bufbuild/cel (equality, ordering, +). */
const stdEnv = celEnv();
const stdProgram = (expr: string): CelProgram => planCel(stdEnv, parseCel(expr)) as CelProgram;
const celEqualsProgram = stdProgram("a == b");
const celLessProgram = stdProgram("a < b");
const celAddProgram = stdProgram("a + b");
const celDurationProgram = stdProgram("duration(s)");
const celTimestampProgram = stdProgram("timestamp(s)");

function runHelper(program: CelProgram, bindings: Record<string, CelInput>): CelValue {
  const result = program(bindings);
  if (isCelError(result)) throw new Error(result.message);
  return result;
}

const celEquals = (a: CelValue, b: CelValue): boolean => runHelper(celEqualsProgram, { a, b }) === true;
const celLess = (a: CelValue, b: CelValue): boolean => runHelper(celLessProgram, { a, b }) === true;

/**
 * Kubernetes' opaque CEL types (URL, IP, CIDR, Format, optional) are represented as CEL maps tagged
 * with this key, so that @bufbuild/cel can carry them around; their methods check the tag.
 */
const OPAQUE_TAG = "@k8s.opaque";
type OpaqueKind = "url" | "ip" | "cidr" | "format" | "optional";

function opaque(kind: OpaqueKind, fields: Record<string, CelInput>): Map<string, CelInput> {
  return new Map<string, CelInput>([[OPAQUE_TAG, kind], ...Object.entries(fields)]);
}

function asOpaque(v: CelValue | undefined, kind: OpaqueKind): CelMap | undefined {
  return isCelMap(v) && v.get(OPAQUE_TAG) === kind ? v : undefined;
}

function expectOpaque(v: CelValue, kind: OpaqueKind, fn: string): CelMap {
  const m = asOpaque(v, kind);
  if (!m) throw new Error(`no such overload: ${fn} needs a ${kind} receiver`);
  return m;
}

function opaqueString(m: CelMap, field: string): string {
  const v = m.get(field);
  if (typeof v !== "string") throw new Error(`corrupt opaque value: missing ${field}`);
  return v;
}

const OPTIONAL_NONE = opaque("optional", { present: false });
const optionalOf = (value: CelInput): Map<string, CelInput> => opaque("optional", { present: true, value });

// ----- net/netip ---------------------------------------------------------------------------------

interface ParsedIP {
  /** 4 or 16 bytes. */
  readonly bytes: readonly number[];
  readonly zone: string;
}

function parseIPv4Bytes(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/** Go `netip.ParseAddr`. */
function parseIP(s: string): ParsedIP | undefined {
  if (!s.includes(":")) {
    const v4 = parseIPv4Bytes(s);
    return v4 ? { bytes: v4, zone: "" } : undefined;
  }
  let addr = s;
  let zone = "";
  const pct = s.indexOf("%");
  if (pct >= 0) {
    zone = s.slice(pct + 1);
    addr = s.slice(0, pct);
    if (zone === "") return undefined;
  }
  const halves = addr.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === "") return [];
    const groups = part.split(":");
    const bytes: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (allowV4Tail && i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIPv4Bytes(g);
        if (!v4) return undefined;
        bytes.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        const n = parseInt(g, 16);
        bytes.push(n >> 8, n & 0xff);
      }
    }
    return bytes;
  };
  if (halves.length === 1) {
    const bytes = parseGroups(halves[0], true);
    return bytes && bytes.length === 16 ? { bytes, zone } : undefined;
  }
  const head = parseGroups(halves[0], false);
  const tail = parseGroups(halves[1], true);
  if (!head || !tail || head.length + tail.length > 14) return undefined;
  return { bytes: [...head, ...new Array<number>(16 - head.length - tail.length).fill(0), ...tail], zone };
}

function isIPv4InIPv6(ip: ParsedIP): boolean {
  return ip.bytes.length === 16 && ip.bytes.slice(0, 10).every((b) => b === 0) && ip.bytes[10] === 0xff && ip.bytes[11] === 0xff;
}

/** Go `netip.Addr.String()` (RFC 5952 for IPv6). */
function ipToString(ip: ParsedIP): string {
  const b = ip.bytes;
  if (b.length === 4) return b.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  if (isIPv4InIPv6(ip)) return `::ffff:${b.slice(12).join(".")}${ip.zone ? `%${ip.zone}` : ""}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  const text = bestStart < 0 ? hex(groups) : `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
  return `${text}${ip.zone ? `%${ip.zone}` : ""}`;
}

/** k8s `parseIPAddr`: netip, without zones or IPv4-mapped IPv6 addresses. */
function parseK8sIP(s: string): ParsedIP {
  const ip = parseIP(s);
  if (!ip) throw new Error(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
  if (ip.zone !== "") throw new Error(`IP address ${JSON.stringify(s)} with zone value is not allowed`);
  if (isIPv4InIPv6(ip)) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return ip;
}

interface ParsedCIDR {
  readonly ip: ParsedIP;
  readonly bits: number;
}

/** Go `netip.ParsePrefix` (`k8s` also rejects IPv4-mapped IPv6 addresses). */
function parseCIDR(s: string, k8s: boolean): ParsedCIDR | undefined {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || ip.zone !== "" || !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > ip.bytes.length * 8) return undefined;
  if (k8s && isIPv4InIPv6(ip)) return undefined;
  return { ip, bits };
}

function maskIP(ip: ParsedIP, bits: number): ParsedIP {
  const bytes = ip.bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
  return { bytes, zone: "" };
}

const ipValue = (ip: ParsedIP): Map<string, CelInput> => opaque("ip", { addr: ipToString(ip) });
const cidrValue = (c: ParsedCIDR): Map<string, CelInput> => opaque("cidr", { prefix: `${ipToString(c.ip)}/${c.bits}` });

function ipOf(v: CelValue, fn: string): ParsedIP {
  return typeof v === "string" ? parseK8sIP(v) : parseK8sIP(opaqueString(expectOpaque(v, "ip", fn), "addr"));
}

function cidrOf(v: CelValue, fn: string): ParsedCIDR {
  const text = typeof v === "string" ? v : opaqueString(expectOpaque(v, "cidr", fn), "prefix");
  const c = parseCIDR(text, true);
  if (!c) throw new Error(`network address parse error during conversion from string: ${JSON.stringify(text)}`);
  return c;
}

function sameBytes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function ipIsMulticast(ip: ParsedIP): boolean {
  return ip.bytes.length === 4 ? (ip.bytes[0] & 0xf0) === 0xe0 : ip.bytes[0] === 0xff;
}

function ipIsLoopback(ip: ParsedIP): boolean {
  return ip.bytes.length === 4 ? ip.bytes[0] === 127 : sameBytes(ip.bytes, [...new Array<number>(15).fill(0), 1]);
}

function ipIsLinkLocalUnicast(ip: ParsedIP): boolean {
  return ip.bytes.length === 4 ? ip.bytes[0] === 169 && ip.bytes[1] === 254 : ip.bytes[0] === 0xfe && (ip.bytes[1] & 0xc0) === 0x80;
}

function ipIsUnspecified(ip: ParsedIP): boolean {
  return ip.bytes.every((b) => b === 0);
}

// ----- net/url (Go), used by url() / isURL() / format uri -------------------------------------------

type UrlEncoding = "path" | "host" | "zone" | "userPassword" | "queryComponent" | "fragment";

interface GoURL {
  scheme: string;
  opaque: string;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  forceQuery: boolean;
  fragment: string;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function isAlnum(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** Go `net/url.shouldEscape`. */
function shouldEscape(c: number, mode: UrlEncoding): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === "host" || mode === "zone") && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path":
        return ch === "?";
      case "userPassword":
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case "queryComponent":
        return true;
      case "fragment":
        return false;
      default:
        break;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

/** Go `net/url.unescape`; throws on a bad escape or a bad host character. */
function goUnescape(s: string, mode: UrlEncoding): string {
  const b = utf8Encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < b.length;) {
    const c = b[i];
    if (c === 0x25) {
      if (!isHex(b[i + 1]) || !isHex(b[i + 2])) {
        throw new Error(`invalid URL escape ${JSON.stringify(utf8Decoder.decode(b.slice(i, i + 3)))}`);
      }
      const v = parseInt(String.fromCharCode(b[i + 1], b[i + 2]), 16);
      const esc = utf8Decoder.decode(b.slice(i, i + 3));
      if (mode === "host" && v < 0x80 && esc !== "%25") throw new Error(`invalid URL escape ${JSON.stringify(esc)}`);
      if (mode === "zone" && esc !== "%25" && v !== 0x20 && shouldEscape(v, "host")) {
        throw new Error(`invalid URL escape ${JSON.stringify(esc)}`);
      }
      out.push(v);
      i += 3;
    } else if (c === 0x2b) {
      out.push(mode === "queryComponent" ? 0x20 : 0x2b);
      i++;
    } else {
      if ((mode === "host" || mode === "zone") && c < 0x80 && shouldEscape(c, mode)) {
        throw new Error(`invalid character ${JSON.stringify(String.fromCharCode(c))} in host name`);
      }
      out.push(c);
      i++;
    }
  }
  return utf8Decoder.decode(Uint8Array.from(out));
}

/** Go `net/url.escape`. */
function goEscape(s: string, mode: UrlEncoding): string {
  let out = "";
  for (const c of utf8Encoder.encode(s)) {
    if (c === 0x20 && mode === "queryComponent") out += "+";
    else if (shouldEscape(c, mode)) out += `%${c.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:\d*$/.test(port);
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf("%25");
    if (zone >= 0) {
      return goUnescape(host.slice(0, zone), "host") + goUnescape(host.slice(zone, i), "zone") + goUnescape(host.slice(i), "host");
    }
  } else {
    const i = host.lastIndexOf(":");
    if (i >= 0 && !validOptionalPort(host.slice(i))) throw new Error(`invalid port ${JSON.stringify(host.slice(i))} after host`);
  }
  return goUnescape(host, "host");
}

/** Go `net/url.parse` (`viaRequest` = `ParseRequestURI`). The fragment must already be cut off. */
function goParseURL(raw: string, viaRequest: boolean): GoURL {
  // eslint-disable-next-line no-control-regex -- exactly the control characters Go's net/url rejects
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new Error("net/url: invalid control character in URL");
  if (raw === "" && viaRequest) throw new Error("empty url");
  const url: GoURL = { scheme: "", opaque: "", host: "", path: "", rawPath: "", rawQuery: "", forceQuery: false, fragment: "" };
  if (raw === "*") {
    url.path = "*";
    return url;
  }
  let rest = raw;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(raw);
  if (raw.startsWith(":")) throw new Error("missing protocol scheme");
  if (scheme) {
    url.scheme = scheme[0].slice(0, -1).toLowerCase();
    rest = raw.slice(scheme[0].length);
  }
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") {
      url.opaque = rest;
      return url;
    }
    if (viaRequest) throw new Error("invalid URI for request");
    const segment = rest.split("/")[0];
    if (segment.includes(":")) throw new Error("first path segment in URL cannot contain colon");
  }
  if ((url.scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf("@");
    url.host = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!validUserinfo(userinfo)) throw new Error("net/url: invalid userinfo");
      const colon = userinfo.indexOf(":");
      goUnescape(colon < 0 ? userinfo : userinfo.slice(0, colon), "userPassword");
      if (colon >= 0) goUnescape(userinfo.slice(colon + 1), "userPassword");
    }
  }
  url.path = goUnescape(rest, "path");
  url.rawPath = rest;
  return url;
}

/** Go `url.Parse`: cuts the fragment, then parses. */
function goParseURLWithFragment(raw: string): GoURL {
  const hash = raw.indexOf("#");
  const url = goParseURL(hash < 0 ? raw : raw.slice(0, hash), false);
  if (hash >= 0) url.fragment = goUnescape(raw.slice(hash + 1), "fragment");
  return url;
}

function validEncodedPath(s: string): boolean {
  for (const c of utf8Encoder.encode(s)) {
    if ("!$&'()*+,;=:@[]%".includes(String.fromCharCode(c))) continue;
    if (shouldEscape(c, "path")) return false;
  }
  return true;
}

function escapedPath(u: GoURL): string {
  if (u.rawPath !== "" && validEncodedPath(u.rawPath)) {
    try {
      if (goUnescape(u.rawPath, "path") === u.path) return u.rawPath;
    } catch {
      // fall through
    }
  }
  return u.path === "*" ? "*" : goEscape(u.path, "path");
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = "";
  const colon = host.lastIndexOf(":");
  if (colon >= 0 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return [host, port];
}

/** Go `url.ParseQuery`, skipping bad pairs like `URL.Query()` does. */
function parseQuery(rawQuery: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const pair of rawQuery.split("&")) {
    if (pair === "" || pair.includes(";")) continue;
    const eq = pair.indexOf("=");
    try {
      const key = goUnescape(eq < 0 ? pair : pair.slice(0, eq), "queryComponent");
      const value = goUnescape(eq < 0 ? "" : pair.slice(eq + 1), "queryComponent");
      result.set(key, [...(result.get(key) ?? []), value]);
    } catch {
      // skipped, like Go
    }
  }
  return result;
}

/** k8s `url()`: `ParseRequestURI` must accept the string, the value is then parsed with `Parse`. */
function k8sURL(s: string): Map<string, CelInput> {
  let u: GoURL;
  try {
    goParseURL(s, true);
    u = goParseURLWithFragment(s);
  } catch (e) {
    throw new Error(`URL parse error during conversion from string: ${(e as Error).message}`, { cause: e });
  }
  const [hostname, port] = splitHostPort(u.host);
  return opaque("url", {
    scheme: u.scheme,
    host: u.host,
    hostname,
    port,
    escapedPath: escapedPath(u),
    rawQuery: u.rawQuery,
  });
}

function isURL(s: string): boolean {
  try {
    goParseURL(s, true);
    return true;
  } catch {
    return false;
  }
}

// ----- format library -------------------------------------------------------------------------------

const K8S_FORMATS: Readonly<Record<string, (s: string) => string[]>> = {
  dns1123Label: dns1123LabelErrors,
  dns1123Subdomain: dns1123SubdomainErrors,
  dns1035Label: dns1035LabelErrors,
  qualifiedName: qualifiedNameErrors,
  portName: portNameErrors,
  dns1123LabelPrefix: (s) => dns1123LabelErrors(maskTrailingDash(s)),
  dns1123SubdomainPrefix: (s) => dns1123SubdomainErrors(maskTrailingDash(s)),
  dns1035LabelPrefix: (s) => dns1035LabelErrors(maskTrailingDash(s)),
  labelValue: labelValueErrors,
  uri: (s) => {
    try {
      goParseURL(s, true);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  },
  uuid: (s) => (UUID.test(s) ? [] : ["does not match the UUID format"]),
  byte: (s) => (isValidBase64(s) ? [] : ["invalid base64"]),
  date: (s) => (isValidDate(s) ? [] : ["invalid date"]),
  datetime: (s) => (isValidDateTime(s) ? [] : ["invalid datetime"]),
};

// ----- lists and sets -------------------------------------------------------------------------------

function listItems(list: CelList): CelValue[] {
  return [...list];
}

function listExtreme(list: CelList, pickLess: boolean, fn: string): CelValue {
  const items = listItems(list);
  if (items.length === 0) throw new Error(`${fn}(): list is empty`);
  return items.reduce((best, x) => (pickLess ? (celLess(x, best) ? x : best) : celLess(best, x) ? x : best));
}

function listContainsAll(a: CelList, b: CelList): boolean {
  const items = listItems(a);
  return listItems(b).every((y) => items.some((x) => celEquals(x, y)));
}

/** The Kubernetes CEL functions (k8s.io/apiserver/pkg/cel/library) and cel-go extensions not in @bufbuild/cel. */
const kubernetesCelFunctions: readonly CelFunc[] = [
  // cel-go's duration() is Go's time.ParseDuration, which also takes U+03BC (Greek mu) for "us".
  celFunc("duration", [STRING], DYN, (s) => runHelper(celDurationProgram, { s: s.replace(/\u03bcs/gu, "\u00b5s") })),

  // URLs
  celFunc("url", [STRING], MAP, (s) => k8sURL(s)),
  celFunc("isURL", [STRING], BOOL, (s) => isURL(s)),
  celMethod("getScheme", MAP, [], STRING, function () {
    return opaqueString(expectOpaque(this, "url", "getScheme"), "scheme");
  }),
  celMethod("getHost", MAP, [], STRING, function () {
    return opaqueString(expectOpaque(this, "url", "getHost"), "host");
  }),
  celMethod("getHostname", MAP, [], STRING, function () {
    return opaqueString(expectOpaque(this, "url", "getHostname"), "hostname");
  }),
  celMethod("getPort", MAP, [], STRING, function () {
    return opaqueString(expectOpaque(this, "url", "getPort"), "port");
  }),
  celMethod("getEscapedPath", MAP, [], STRING, function () {
    return opaqueString(expectOpaque(this, "url", "getEscapedPath"), "escapedPath");
  }),
  celMethod("getQuery", MAP, [], MAP, function () {
    return parseQuery(opaqueString(expectOpaque(this, "url", "getQuery"), "rawQuery"));
  }),

  // IP addresses
  celFunc("ip", [STRING], MAP, (s) => ipValue(parseK8sIP(s))),
  celFunc("isIP", [STRING], BOOL, (s) => {
    try {
      parseK8sIP(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc("ip.isCanonical", [STRING], BOOL, (s) => ipToString(parseK8sIP(s)) === s),
  celMethod("family", MAP, [], INT, function () {
    return ipOf(this, "family").bytes.length === 4 ? 4n : 6n;
  }),
  celMethod("isUnspecified", MAP, [], BOOL, function () {
    return ipIsUnspecified(ipOf(this, "isUnspecified"));
  }),
  celMethod("isLoopback", MAP, [], BOOL, function () {
    return ipIsLoopback(ipOf(this, "isLoopback"));
  }),
  celMethod("isLinkLocalMulticast", MAP, [], BOOL, function () {
    const ip = ipOf(this, "isLinkLocalMulticast");
    return ip.bytes.length === 4 ? ip.bytes[0] === 224 && ip.bytes[1] === 0 && ip.bytes[2] === 0 : ip.bytes[0] === 0xff && (ip.bytes[1] & 0x0f) === 0x02;
  }),
  celMethod("isLinkLocalUnicast", MAP, [], BOOL, function () {
    return ipIsLinkLocalUnicast(ipOf(this, "isLinkLocalUnicast"));
  }),
  celMethod("isGlobalUnicast", MAP, [], BOOL, function () {
    const ip = ipOf(this, "isGlobalUnicast");
    if (ip.bytes.length === 4 && (ipIsUnspecified(ip) || ip.bytes.every((b) => b === 255))) return false;
    return !ipIsUnspecified(ip) && !ipIsLoopback(ip) && !ipIsMulticast(ip) && !ipIsLinkLocalUnicast(ip);
  }),

  // CIDRs
  celFunc("cidr", [STRING], MAP, (s) => cidrValue(cidrOf(s, "cidr"))),
  celFunc("isCIDR", [STRING], BOOL, (s) => parseCIDR(s, true) !== undefined),
  celMethod("ip", MAP, [], MAP, function () {
    return ipValue(cidrOf(this, "ip").ip);
  }),
  celMethod("prefixLength", MAP, [], INT, function () {
    return BigInt(cidrOf(this, "prefixLength").bits);
  }),
  celMethod("masked", MAP, [], MAP, function () {
    const c = cidrOf(this, "masked");
    return cidrValue({ ip: maskIP(c.ip, c.bits), bits: c.bits });
  }),
  celMethod("containsIP", MAP, [DYN], BOOL, function (other) {
    const c = cidrOf(this, "containsIP");
    const ip = ipOf(other, "containsIP");
    return ip.bytes.length === c.ip.bytes.length && sameBytes(maskIP(ip, c.bits).bytes, maskIP(c.ip, c.bits).bytes);
  }),
  celMethod("containsCIDR", MAP, [DYN], BOOL, function (other) {
    const c = cidrOf(this, "containsCIDR");
    const o = cidrOf(other, "containsCIDR");
    return o.ip.bytes.length === c.ip.bytes.length && c.bits <= o.bits && sameBytes(maskIP(o.ip, c.bits).bytes, maskIP(c.ip, c.bits).bytes);
  }),

  // format library: format.<name>(), format.named(), <Format>.validate()
  ...Object.keys(K8S_FORMATS).map((name) => celFunc(`format.${name}`, [], MAP, () => opaque("format", { name }))),
  celFunc("format.named", [STRING], MAP, (name) => (Object.hasOwn(K8S_FORMATS, name) ? optionalOf(opaque("format", { name })) : OPTIONAL_NONE)),
  celMethod("validate", MAP, [STRING], MAP, function (s) {
    const errors = K8S_FORMATS[opaqueString(expectOpaque(this, "format", "validate"), "name")](s);
    return errors.length === 0 ? OPTIONAL_NONE : optionalOf(errors);
  }),

  // optional values (function forms; @bufbuild/cel does not parse `?.` / `[?`)
  celFunc("optional.of", [DYN], MAP, (v) => optionalOf(v)),
  celFunc("optional.none", [], MAP, () => OPTIONAL_NONE),
  celFunc("optional.ofNonZeroValue", [DYN], MAP, (v) => {
    const zero =
      v === null ||
      v === false ||
      v === 0 ||
      v === 0n ||
      v === "" ||
      (v instanceof Uint8Array && v.length === 0) ||
      (isCelList(v) && v.size === 0) ||
      (isCelMap(v) && v.size === 0);
    return zero ? OPTIONAL_NONE : optionalOf(v);
  }),
  celMethod("hasValue", MAP, [], BOOL, function () {
    return expectOpaque(this, "optional", "hasValue").get("present") === true;
  }),
  celMethod("value", MAP, [], DYN, function () {
    const o = expectOpaque(this, "optional", "value");
    if (o.get("present") !== true) throw new Error("optional.none() dereference");
    return o.get("value")!;
  }),
  celMethod("orValue", MAP, [DYN], DYN, function (fallback) {
    const o = expectOpaque(this, "optional", "orValue");
    return o.get("present") === true ? o.get("value")! : fallback;
  }),
  celMethod("or", MAP, [DYN], DYN, function (other) {
    const o = expectOpaque(this, "optional", "or");
    if (o.get("present") === true) return o;
    return expectOpaque(other, "optional", "or");
  }),

  // lists library
  celMethod("isSorted", LIST, [], BOOL, function () {
    const items = listItems(this);
    return items.every((x, i) => i === 0 || !celLess(x, items[i - 1]));
  }),
  celMethod("sum", LIST, [], DYN, function () {
    // the zero of the element type for an empty list: int here, since the type is not known statically
    const [first, ...rest] = listItems(this);
    return rest.reduce<CelValue>((acc, x) => runHelper(celAddProgram, { a: acc, b: x }), first ?? 0n);
  }),
  celMethod("min", LIST, [], DYN, function () {
    return listExtreme(this, true, "min");
  }),
  celMethod("max", LIST, [], DYN, function () {
    return listExtreme(this, false, "max");
  }),
  celMethod("indexOf", LIST, [DYN], INT, function (x) {
    return BigInt(listItems(this).findIndex((y) => celEquals(y, x)));
  }),
  celMethod("lastIndexOf", LIST, [DYN], INT, function (x) {
    const items = listItems(this);
    for (let i = items.length - 1; i >= 0; i--) if (celEquals(items[i], x)) return BigInt(i);
    return -1n;
  }),

  // sets extension
  celFunc("sets.contains", [LIST, LIST], BOOL, (a, b) => listContainsAll(a, b)),
  celFunc("sets.equivalent", [LIST, LIST], BOOL, (a, b) => listContainsAll(a, b) && listContainsAll(b, a)),
  celFunc("sets.intersects", [LIST, LIST], BOOL, (a, b) => {
    const items = listItems(a);
    return listItems(b).some((y) => items.some((x) => celEquals(x, y)));
  }),
];

const k8sEnv: CelEnv = celEnv({ funcs: [...celStringsExtension, ...kubernetesCelFunctions] });

// ---------------------------------------------------------------------------------------------
// CEL: compiling rules, and checking that every function they call exists
// ---------------------------------------------------------------------------------------------

type CelExpr = ReturnType<typeof parseCel>["expr"];

/** Functions that the @bufbuild/cel planner implements itself (not through the function registry). */
const PLANNER_FUNCTIONS: ReadonlySet<string> = new Set(["_[_]", "_[?_]", "_?._", "_?_:_", "_&&_", "_||_", "@not_strictly_false", "__not_strictly_false__"]);

/** Macros that @bufbuild/cel expands in the parser, in their 2-argument (or has()) form only. */
const MACROS: ReadonlySet<string> = new Set(["has", "all", "exists", "exists_one", "map", "filter", "transformList", "transformMap", "transformMapEntry"]);

const TYPE_IDENTIFIERS: ReadonlySet<string> = new Set(["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn"]);

interface ExprAnalysis {
  usesOldSelf: boolean;
  problems: string[];
}

function qualifiedName(e: CelExpr): string | undefined {
  const k = e.exprKind;
  if (k.case === "identExpr") return k.value.name;
  if (k.case === "selectExpr" && !k.value.testOnly && k.value.operand) {
    const q = qualifiedName(k.value.operand);
    return q === undefined ? undefined : `${q}.${k.value.field}`;
  }
  return undefined;
}

function hasOverload(name: string, method: boolean, argCount: number): boolean {
  const group = k8sEnv.funcs.find(name);
  if (!group) return false;
  for (const f of group) {
    if ((f.target !== undefined) === method && f.arguments.length === argCount) return true;
  }
  return false;
}

function analyseExpr(e: CelExpr | undefined, scope: ReadonlySet<string>, a: ExprAnalysis): void {
  if (!e) return;
  const k = e.exprKind;
  switch (k.case) {
    case "constExpr":
      return;
    case "identExpr": {
      const name = k.value.name;
      if (name === "oldSelf") a.usesOldSelf = true;
      else if (!scope.has(name) && !TYPE_IDENTIFIERS.has(name)) a.problems.push(`undeclared reference to '${name}'`);
      return;
    }
    case "selectExpr":
      analyseExpr(k.value.operand, scope, a);
      return;
    case "listExpr":
      for (const el of k.value.elements) analyseExpr(el, scope, a);
      return;
    case "structExpr":
      if (k.value.messageName !== "") a.problems.push(`message construction '${k.value.messageName}{...}' is not supported`);
      for (const entry of k.value.entries) {
        if (entry.keyKind.case === "mapKey") analyseExpr(entry.keyKind.value, scope, a);
        analyseExpr(entry.value, scope, a);
      }
      return;
    case "comprehensionExpr": {
      const c = k.value;
      analyseExpr(c.iterRange, scope, a);
      analyseExpr(c.accuInit, scope, a);
      const inner = new Set(scope);
      for (const v of [c.iterVar, c.iterVar2, c.accuVar]) if (v) inner.add(v);
      analyseExpr(c.loopCondition, inner, a);
      analyseExpr(c.loopStep, inner, a);
      analyseExpr(c.result, inner, a);
      return;
    }
    case "callExpr": {
      const call = k.value;
      if (!PLANNER_FUNCTIONS.has(call.function)) {
        const qualifier = call.target ? qualifiedName(call.target) : undefined;
        if (qualifier !== undefined && hasOverload(`${qualifier}.${call.function}`, false, call.args.length)) {
          for (const arg of call.args) analyseExpr(arg, scope, a);
          return;
        }
        if (!hasOverload(call.function, call.target !== undefined, call.args.length)) {
          const kind = call.target ? "method" : "function";
          if (MACROS.has(call.function) && call.target) {
            a.problems.push(`the ${call.args.length}-argument form of the '${call.function}' macro is not supported by @bufbuild/cel`);
            return;
          }
          a.problems.push(
            k8sEnv.funcs.find(call.function)
              ? `no overload of ${kind} '${call.function}' takes ${call.args.length} argument(s)`
              : `unknown ${kind} '${call.function}'${qualifier !== undefined ? ` (nor function '${qualifier}.${call.function}')` : ""}`,
          );
        }
      }
      analyseExpr(call.target, scope, a);
      for (const arg of call.args) analyseExpr(arg, scope, a);
      return;
    }
    default:
      a.problems.push(`unsupported expression kind ${String(k.case)}`);
  }
}

type RuleCompilation = { kind: "ok"; rule: CompiledRule } | { kind: "transition" } | { kind: "unsupported"; source: string; reason: string };

type ExprCompilation = { kind: "ok"; program: CelProgram; usesOldSelf: boolean } | { kind: "unsupported"; reason: string };

const exprCache = new Map<string, ExprCompilation>();

function compileExpr(source: string): ExprCompilation {
  let compiled = exprCache.get(source);
  if (!compiled) {
    try {
      const parsed = parseCel(source);
      const analysis: ExprAnalysis = { usesOldSelf: false, problems: [] };
      analyseExpr(parsed.expr, new Set(["self"]), analysis);
      compiled =
        analysis.problems.length > 0
          ? { kind: "unsupported", reason: [...new Set(analysis.problems)].join("; ") }
          : { kind: "ok", program: planCel(k8sEnv, parsed) as CelProgram, usesOldSelf: analysis.usesOldSelf };
    } catch (e) {
      compiled = { kind: "unsupported", reason: `does not parse: ${(e as Error).message}` };
    }
    exprCache.set(source, compiled);
  }
  return compiled;
}

function compileRule(raw: RawRule): RuleCompilation {
  const main = compileExpr(raw.rule);
  if (main.kind === "unsupported") return { kind: "unsupported", source: raw.rule, reason: main.reason };
  if (main.usesOldSelf) return { kind: "transition" };
  let messageProgram: CelProgram | undefined;
  if (raw.messageExpression !== undefined) {
    const m = compileExpr(raw.messageExpression);
    if (m.kind === "unsupported") {
      return { kind: "unsupported", source: raw.messageExpression, reason: `messageExpression: ${m.reason}` };
    }
    messageProgram = m.program;
  }
  return {
    kind: "ok",
    rule: {
      rule: raw.rule,
      program: main.program,
      message: raw.message,
      messageProgram,
      fieldPath: raw.fieldPath,
      runtimeProblems: new Set(),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CEL: schema-driven conversion of JSON values, and rule evaluation
// ---------------------------------------------------------------------------------------------

const CEL_RESERVED: ReadonlySet<string> = new Set([
  "true",
  "false",
  "null",
  "in",
  "as",
  "break",
  "const",
  "continue",
  "else",
  "for",
  "function",
  "if",
  "import",
  "let",
  "loop",
  "package",
  "namespace",
  "return",
  "var",
  "void",
  "while",
]);

/** k8s `cel.Escape`: the CEL name of an object property, or undefined when CEL cannot access it. */
function escapePropertyName(name: string): string | undefined {
  if (name === "" || /^[0-9]/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  let ok = true;
  const escaped = name.replace(/__|[-./]|[^a-zA-Z0-9\-./_]/g, (s) => {
    switch (s) {
      case "__":
        return "__underscores__";
      case ".":
        return "__dot__";
      case "-":
        return "__dash__";
      case "/":
        return "__slash__";
      default:
        ok = false;
        return "";
    }
  });
  return ok ? escaped : undefined;
}

function celInt(n: number): CelInput {
  return Number.isSafeInteger(n) ? BigInt(n) : Number.isInteger(n) ? BigInt(Math.trunc(n)) : n;
}

/** JSON -> CEL without a schema (for preserved unknown data): integral numbers are ints. */
function genericToCel(v: Json): CelInput {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? celInt(v) : v;
  if (Array.isArray(v)) return v.map(genericToCel);
  return new Map(Object.entries(v).map(([k, x]) => [k, genericToCel(x)] as const));
}

function nanosToCelDuration(ns: bigint): CelInput {
  const sign = ns < 0n ? "-" : "";
  const abs = ns < 0n ? -ns : ns;
  const text = `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, "0")}s`;
  return runHelper(celDurationProgram, { s: text });
}

/** k8s `UnstructuredToVal` for strings: `duration`, `date`, `date-time` and `byte` formats get CEL types. */
function stringToCel(format: string | undefined, s: string): CelInput {
  try {
    switch (format) {
      case "duration": {
        const ns = parseOpenApiDuration(s);
        return ns === undefined ? s : nanosToCelDuration(ns);
      }
      case "date":
        return isValidDate(s) ? runHelper(celTimestampProgram, { s: `${s}T00:00:00Z` }) : s;
      case "date-time": {
        if (!isValidDateTime(s)) return s;
        const normalized = s.replace(/^(\d{4}-\d{2}-\d{2})[tT]/, "$1T").replace(/z$/, "Z");
        return runHelper(celTimestampProgram, { s: normalized });
      }
      case "byte":
        return isValidBase64(s) ? Uint8Array.from(Buffer.from(s, "base64")) : s;
      default:
        return s;
    }
  } catch {
    return s;
  }
}

interface CelPass {
  readonly out: Problem[];
}

/**
 * Converts `value` (valid for `node`) to a CEL value bottom-up and evaluates the rules of every node
 * on the way. Subtrees without rules are converted only when an ancestor's rule may read them.
 */
function celVisit(node: SchemaNode, value: Json, ptr: string, ancestorNeedsValue: boolean, pass: CelPass, root = false): CelInput | undefined {
  const needValue = ancestorNeedsValue || node.rules.length > 0;
  if (!needValue && !node.hasRulesBelow) return undefined;
  let cel: CelInput | undefined;
  if (value === null) {
    cel = null;
  } else if (node.intOrString) {
    cel = typeof value === "number" ? celInt(value) : value;
  } else {
    switch (node.type) {
      case "object": {
        const obj = value as JsonObject;
        if (node.properties) {
          const map = needValue ? new Map<string, CelInput>() : undefined;
          for (const [key, child] of node.properties) {
            if (!Object.hasOwn(obj, key) || (root && ROOT_META_FIELDS.has(key))) continue;
            const c = celVisit(child, obj[key], `${ptr}/${pointerToken(key)}`, needValue, pass);
            const name = escapePropertyName(key);
            if (map && c !== undefined && name !== undefined) map.set(name, c);
          }
          if (map && root) addRootTypeAndObjectMeta(obj, map);
          cel = map;
        } else if (typeof node.additionalProperties === "object") {
          const map = needValue ? new Map<string, CelInput>() : undefined;
          for (const [key, v] of Object.entries(obj)) {
            const c = celVisit(node.additionalProperties, v, `${ptr}/${pointerToken(key)}`, needValue, pass);
            if (map && c !== undefined) map.set(key, c);
          }
          cel = map;
        } else {
          // preserve-unknown-fields without properties: nothing is accessible to CEL.
          cel = needValue ? new Map<string, CelInput>() : undefined;
        }
        break;
      }
      case "array": {
        const arr = value as Json[];
        const items = node.items;
        const list = arr.map((item, i) => (items ? celVisit(items, item, `${ptr}/${i}`, needValue, pass) : needValue ? genericToCel(item) : undefined));
        cel = needValue ? (list as CelInput[]) : undefined;
        break;
      }
      case "integer":
        cel = celInt(value as number);
        break;
      case "number":
        cel = value as number;
        break;
      case "string":
        cel = stringToCel(node.format, value as string);
        break;
      case "boolean":
        cel = value as boolean;
        break;
      default:
        cel = genericToCel(value);
    }
  }
  if (node.rules.length > 0 && value !== null && cel !== undefined) evaluateRules(node, cel, ptr, pass);
  return cel;
}

/**
 * At the root, CEL sees `apiVersion`, `kind` and, of the metadata, only `name` and `generateName`
 * (Kubernetes' `WithTypeAndObjectMeta`), whatever the root schema declares.
 */
function addRootTypeAndObjectMeta(obj: JsonObject, map: Map<string, CelInput>): void {
  for (const key of ["apiVersion", "kind"]) {
    const v = obj[key];
    if (typeof v === "string") map.set(key, v);
  }
  const meta = new Map<string, CelInput>();
  if (isJsonObject(obj.metadata)) {
    for (const key of ["name", "generateName"]) {
      const v = obj.metadata[key];
      if (typeof v === "string") meta.set(key, v);
    }
  }
  map.set("metadata", meta);
}

/** Appends a k8s `fieldPath` (`.a.b`, `.a['x.y']`, `.a[0]`) to a JSON pointer. */
function appendFieldPath(ptr: string, fieldPath: string): string {
  let out = ptr;
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(fieldPath)) !== null) {
    out += `/${pointerToken(m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[3])}`;
    consumed = re.lastIndex;
  }
  return consumed === fieldPath.length ? out : `${ptr} (fieldPath ${fieldPath})`;
}

const UNSUPPORTED_AT_RUNTIME = /unbound function|no matching overload|no such overload|unresolved attribute/i;

function evaluateRules(node: SchemaNode, self: CelInput, ptr: string, pass: CelPass): void {
  for (const rule of node.rules) {
    let result: CelValue | CelError;
    try {
      result = rule.program({ self });
    } catch (e) {
      result = e as CelError;
    }
    const where = rule.fieldPath ? appendFieldPath(ptr, rule.fieldPath) : ptr;
    if (result === true) continue;
    if (result instanceof Error || isCelError(result)) {
      const message = (result as Error).message;
      if (UNSUPPORTED_AT_RUNTIME.test(message)) rule.runtimeProblems.add(message);
      pass.out.push({ ptr: where, msg: `rule evaluation error: ${message} [rule: ${rule.rule}]` });
    } else if (result !== false) {
      pass.out.push({ ptr: where, msg: `rule did not evaluate to a bool (got ${String(result)}) [rule: ${rule.rule}]` });
    } else {
      pass.out.push({ ptr: where, msg: `${ruleMessage(rule, self)} [rule: ${rule.rule}]` });
    }
  }
}

function ruleMessage(rule: CompiledRule, self: CelInput): string {
  if (rule.messageProgram) {
    try {
      const m = rule.messageProgram({ self });
      if (typeof m === "string" && m.trim() !== "" && !m.includes("\n")) return m;
    } catch {
      // fall back to message, like the API server
    }
  }
  return rule.message ?? `failed rule: ${rule.rule}`;
}

// ---------------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------------

const ROOT_META_FIELDS: ReadonlySet<string> = new Set(["apiVersion", "kind", "metadata"]);

const CEL_SKIPPED_MESSAGE = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

class Validator implements CrdValidator {
  readonly sources: readonly string[];
  private readonly loaded: readonly LoadedSource[];
  /** `group/kind` -> CRD, first source wins. */
  private readonly byGroupKind = new Map<string, CrdEntry>();
  private readonly kindsByGroup = new Map<string, Set<string>>();

  constructor(loaded: readonly LoadedSource[]) {
    this.loaded = loaded;
    this.sources = loaded.map((l) => l.label);
    for (const source of loaded) {
      for (const crd of source.crds) {
        const key = `${crd.group}/${crd.kind}`;
        if (!this.byGroupKind.has(key)) this.byGroupKind.set(key, crd);
        const kinds = this.kindsByGroup.get(crd.group) ?? new Set<string>();
        kinds.add(crd.kind);
        this.kindsByGroup.set(crd.group, kinds);
      }
    }
  }

  validate(obj: unknown): string[] {
    const label = objectLabel(obj);
    const out: Problem[] = [];
    const format = (): string[] => out.map((p) => `${label} ${p.ptr === "" ? "(root)" : p.ptr}: ${p.msg}`);

    const json = toJson(obj, "", out);
    if (!isJsonObject(json)) {
      if (json !== undefined) out.push({ ptr: "", msg: `must be a JSON object, got ${jsonType(json)}` });
      return format();
    }
    const version = this.lookup(json, out);
    if (!version) return format();

    const crd = version.crd;
    validateMetadata(json.metadata, crd.clusterScoped, out);
    const compiled = compiledVersion(version);

    const schemaProblems: Problem[] = [];
    pruneAndDefault(compiled.root, json, "", schemaProblems, ROOT_META_FIELDS);
    validateValue(compiled.root, json, "", schemaProblems);
    out.push(...schemaProblems);

    if (compiled.root.hasRulesBelow) {
      if (out.some((p) => p.blocking)) out.push({ ptr: "", msg: CEL_SKIPPED_MESSAGE });
      else celVisit(compiled.root, json, "", false, { out }, true);
    }
    return format();
  }

  private lookup(obj: JsonObject, out: Problem[]): CrdVersionEntry | undefined {
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== "string" || apiVersion === "") {
      out.push({ ptr: "/apiVersion", msg: "Required value: apiVersion must be a non-empty string" });
      return undefined;
    }
    if (typeof kind !== "string" || kind === "") {
      out.push({ ptr: "/kind", msg: "Required value: kind must be a non-empty string" });
      return undefined;
    }
    const slash = apiVersion.indexOf("/");
    if (slash < 0 || apiVersion.indexOf("/", slash + 1) >= 0) {
      out.push({ ptr: "/apiVersion", msg: `${JSON.stringify(apiVersion)} is not <group>/<version> of a custom resource` });
      return undefined;
    }
    const group = apiVersion.slice(0, slash);
    const versionName = apiVersion.slice(slash + 1);
    const kinds = this.kindsByGroup.get(group);
    if (!kinds) {
      out.push({ ptr: "/apiVersion", msg: `no CRD of API group "${group}" in [${this.sources.join(", ")}]` });
      return undefined;
    }
    const crd = this.byGroupKind.get(`${group}/${kind}`);
    if (!crd) {
      out.push({ ptr: "/kind", msg: `no kind "${kind}" in API group "${group}" (kinds: ${[...kinds].sort().join(", ")})` });
      return undefined;
    }
    const served = [...crd.versions.values()].filter((v) => v.raw.served).map((v) => v.raw.name);
    const version = crd.versions.get(versionName);
    if (!version) {
      out.push({
        ptr: "/apiVersion",
        msg: `${crd.kind}.${group} (${crd.source}) has no version "${versionName}" (served: ${served.join(", ")})`,
      });
      return undefined;
    }
    if (!version.raw.served) {
      out.push({
        ptr: "/apiVersion",
        msg: `version "${versionName}" of ${crd.kind}.${group} (${crd.source}) is not served (served: ${served.join(", ")})`,
      });
      return undefined;
    }
    return version;
  }

  private allVersions(): CrdVersionEntry[] {
    return this.loaded.flatMap((l) => l.crds.flatMap((c) => [...c.versions.values()]));
  }

  unsupportedRules(): UnsupportedRule[] {
    return this.allVersions().flatMap((v) => {
      const compiled = compiledVersion(v);
      const runtime = compiled.rules.flatMap(({ field, rule }) =>
        [...rule.runtimeProblems].map((reason) => ({
          source: v.crd.source,
          group: v.crd.group,
          kind: v.crd.kind,
          version: v.raw.name,
          field: field || ".",
          rule: rule.rule,
          reason: `at run time: ${reason}`,
        })),
      );
      return [...compiled.unsupported, ...runtime];
    });
  }

  ruleStats(): RuleStats {
    let compiled = 0;
    let transition = 0;
    for (const v of this.allVersions()) {
      const c = compiledVersion(v);
      compiled += c.rules.length;
      transition += c.transitionRules;
    }
    return { compiled, transition, unsupported: this.unsupportedRules().length };
  }

  servedKinds(): string[] {
    return [...this.byGroupKind.values()]
      .flatMap((crd) => [...crd.versions.values()].filter((v) => v.raw.served).map((v) => `${crd.group}/${v.raw.name} ${crd.kind}`))
      .sort();
  }
}

function objectLabel(obj: unknown): string {
  const o = isJsonObject(obj) ? (obj as Record<string, unknown>) : {};
  const kind = typeof o.kind === "string" && o.kind !== "" ? o.kind : "<no kind>";
  const meta = isJsonObject(o.metadata) ? (o.metadata as Record<string, unknown>) : {};
  const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : typeof meta.generateName === "string" ? `${meta.generateName}*` : "<no name>";
  return `${kind}/${name}`;
}
