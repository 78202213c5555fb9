/**
 * Validation: JSON Schema (ajv, precompiled from `schemas/`), then the semantic rules of the model.
 * Every problem becomes a {@link Diagnostic}; all are reported, not just the first.
 */
import { createRequire } from "node:module";
import * as validators from "./generated/modelValidators.js";
import type {
  AccessPolicy,
  AccessSource,
  HeaderOps,
  Headers,
  Labels,
  MTLSPolicy,
  MeshService,
  Mirror,
  RequestAuthentication,
  Source,
  TrafficPolicy,
  VirtualMesh,
  WasmExtension,
} from "./generated/model.js";
import { checkJwks, principalIssuerKnown } from "./request-auth.js";
import { type Diagnostic, escapePointerToken, hasErrors, sortDiagnostics, pointer as ptr } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import { type SourceDocument, locatePointer, parseEach, type LoadLimits, DEFAULT_LIMITS } from "./load.js";
import {
  DEFAULT_NAMESPACE,
  type DocumentKind,
  type Entry,
  Model,
  type ModelOptions,
  type ServiceFacts,
  canonicalJson,
  cmp,
  destinationNamespace,
  exposedPorts,
  isCatchAll,
  policyScope,
  routePointer,
  trafficKey,
} from "./model.js";

/** The apiVersion of every unimesh document. */
export const API_VERSION = "unimesh.io/v1alpha1";
/** The document kinds, in the order they are listed in help texts. */
export const KINDS: readonly DocumentKind[] = [
  "TrafficPolicy",
  "AccessPolicy",
  "MTLSPolicy",
  "RequestAuthentication",
  "WasmExtension",
  "MeshService",
  "ClusterInfo",
  "VirtualMesh",
];

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
  schemaPath: string;
  /** Set by ajv on errors about an object key (`propertyNames`). */
  propertyName?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/**
 * The validator of each kind, in a Map: looking a kind up in the module namespace object itself
 * (`validators[kind]`) takes V8's slow path for every document.
 */
const VALIDATORS = new Map<string, ValidateFn>(Object.entries(validators as unknown as Record<string, ValidateFn>));

/** Result of validation: the model built from the valid documents, and every diagnostic. */
export interface ValidationResult {
  model: Model;
  diagnostics: Diagnostic[];
  /** True when no diagnostic is an error. */
  ok: boolean;
}

/** An input given as text (a file's content). */
export interface TextInput {
  /** Name used in diagnostics (a path, `-` for stdin). */
  file: string;
  text: string;
}

/**
 * Parses and validates text inputs into a {@link Model}.
 * @returns the model of every valid document (invalid ones are left out) and all diagnostics, sorted.
 *   Never throws on bad input.
 */
export function loadModel(inputs: TextInput[], options: ModelOptions & { limits?: LoadLimits } = {}): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const checked: Diagnostic[] = [];
  const entries: Entry<any>[] = [];
  let unimesh = false; // a document that is not foreign was seen
  for (const input of inputs) {
    // Each document is checked as soon as it is parsed (its objects are still in the processor's
    // cache), in the order validateDocuments would check them.
    const parsed = parseEach(input.text, input.file, options.limits ?? DEFAULT_LIMITS, (d) => {
      if (!unimesh && !isForeignDocument(d.value)) unimesh = true;
      const e = validateOne(d, checked);
      if (e) entries.push(e);
    });
    for (const d of parsed) diagnostics.push(d);
  }
  const v = validateEntries(entries, checked, options);
  const all = sortDiagnostics([...diagnostics, ...v.diagnostics]);
  if (!unimesh && !hasErrors(all)) {
    all.push({ code: "input/no-documents", severity: "error", message: "no unimesh documents in the input" });
  }
  return { model: v.model, diagnostics: all, ok: !hasErrors(all) };
}

/**
 * Validates parsed documents (from {@link parseDocuments}, or in-memory objects wrapped as
 * `{file: "<memory>", index, startLine: 1, text: "", value}`).
 */
export function validateDocuments(docs: SourceDocument[], options: ModelOptions = {}): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const entries: Entry<any>[] = [];
  for (const d of docs) {
    const e = validateOne(d, diagnostics);
    if (e) entries.push(e);
  }
  return validateEntries(entries, diagnostics, options);
}

/**
 * The rest of {@link validateDocuments} once every document was checked by {@link validateOne}
 * (`diagnostics` holds what it reported): unique names, the model, the rules across documents.
 */
function validateEntries(entries: Entry<any>[], diagnostics: Diagnostic[], options: ModelOptions): ValidationResult {
  const byId = new Map<string, Entry<any>>();
  for (const e of entries) {
    const prev = byId.get(e.id);
    if (prev) {
      diagnostics.push(
        at(e, "/metadata/name", {
          code: "rule/duplicate-name",
          severity: "error",
          message: `${e.id} is defined twice (also in ${prev.origin.file} [${prev.origin.documentIndex}]); names must be unique per kind and namespace`,
        }),
      );
    } else byId.set(e.id, e);
  }
  const model = new Model([...byId.values()], options);
  crossRules(model, diagnostics);
  const sorted = sortDiagnostics(diagnostics);
  return { model, diagnostics: sorted, ok: !hasErrors(sorted) };
}

/**
 * True for a document of another API (`apiVersion` not `unimesh.io/...`, with a kind): such documents
 * are ignored with an `input/foreign-document` warning, so unimesh files can sit next to manifests.
 */
function isForeignDocument(v: any): boolean {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    typeof v.apiVersion === "string" &&
    !v.apiVersion.startsWith("unimesh.io/") &&
    typeof v.kind === "string"
  );
}

function validateOne(d: SourceDocument, out: Diagnostic[]): Entry<any> | undefined {
  const loc = (pointer: string) => {
    const pos = d.text ? locatePointer(d, pointer) : undefined;
    return { file: d.file, documentIndex: d.index, pointer, ...(pos ? { line: pos.line, column: pos.column } : {}) };
  };
  const v = d.value as any;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    out.push({
      ...loc(""),
      code: "schema/type",
      severity: "error",
      message: `a document must be a mapping (apiVersion, kind, metadata, spec), not ${Array.isArray(v) ? "a list" : `a ${v === null ? "null" : typeof v}`}`,
    });
    return undefined;
  }
  if (isForeignDocument(v)) {
    out.push({
      ...loc("/apiVersion"),
      code: "input/foreign-document",
      severity: "warning",
      message: `not a unimesh document (${v.apiVersion} ${v.kind}): ignored`,
    });
    return undefined;
  }
  if (typeof v.apiVersion !== "string" || !v.apiVersion.startsWith("unimesh.io/")) {
    out.push({
      ...loc(v.apiVersion === undefined ? "" : "/apiVersion"),
      code: v.apiVersion === undefined ? "schema/required" : "schema/api-version",
      severity: "error",
      message: v.apiVersion === undefined ? `missing required field "apiVersion"; expected apiVersion: ${API_VERSION}` : `expected apiVersion: ${API_VERSION}`,
    });
    return undefined;
  }
  if (v.apiVersion !== API_VERSION) {
    out.push({
      ...loc("/apiVersion"),
      code: "schema/api-version",
      severity: "error",
      message: `unsupported apiVersion "${v.apiVersion}"; expected ${API_VERSION}`,
    });
    return undefined;
  }
  if (v.kind === "ServiceRegistry" || v.kind === "ProxyConfig") {
    out.push({
      ...loc("/kind"),
      code: "input/proxy-document",
      severity: "info",
      message: `a ${v.kind} is a document of the built-in proxy (\`unimesh up --services\`, \`unimesh proxy --config\`), not a policy: it is not translated`,
    });
    return undefined;
  }
  if (!KINDS.includes(v.kind)) {
    out.push({
      ...loc(v.kind === undefined ? "" : "/kind"),
      code: v.kind === undefined ? "schema/required" : "schema/kind",
      severity: "error",
      message: `${v.kind === undefined ? `missing required field "kind"` : `unknown kind ${JSON.stringify(v.kind)}`}; expected one of ${KINDS.join(", ")}`,
    });
    return undefined;
  }
  const validate = VALIDATORS.get(v.kind)!;
  const name = typeof v.metadata?.name === "string" ? v.metadata.name : undefined;
  const namespace = typeof v.metadata?.namespace === "string" ? v.metadata.namespace : DEFAULT_NAMESPACE;
  const policyId = name !== undefined ? `${v.kind}/${namespace}/${name}` : undefined;
  const report: Report = (pointer, code, message, severity = "error") =>
    out.push({ ...loc(pointer), code, severity, message, ...(policyId ? { policy: policyId } : {}) });
  const schemaOk = validate(v);
  let schemaPointers: Set<string> | undefined;
  if (!schemaOk) {
    schemaPointers = new Set<string>();
    for (const e of reduceAjvErrors(v.kind, validate.errors ?? [])) {
      schemaPointers.add(e.pointer);
      report(e.pointer, e.diag.code, e.diag.message, e.diag.severity);
    }
  }
  const before = out.length;
  // Durations and regexes are checked even in a document the schema rejected (the walk is type-safe),
  // so one run reports them all; a value the schema already rejected is not reported twice.
  valueRules(
    v.kind,
    v,
    schemaPointers
      ? (pointer, code, message, severity) => {
          if (!schemaPointers.has(pointer)) report(pointer, code, message, severity);
        }
      : report,
  );
  if (!schemaOk) return undefined;
  const entry: Entry<any> = {
    doc: v,
    origin: { file: d.file, documentIndex: d.index, startLine: d.startLine, text: d.text },
    id: policyId!,
    namespace,
    name: name!,
  };
  documentRules(entry, report);
  for (let i = before; i < out.length; i++) if (out[i].severity === "error") return undefined;
  return entry;
}

/** The instance path of a value inside an access rule's `claims` / `notClaims` (schema ClaimMatch). */
const CLAIM_VALUE = /\/(claims|notClaims)\/./;

/** Turns ajv errors into diagnostics: one per location, the most useful keyword first. */
function reduceAjvErrors(kind: string, errors: AjvError[]): { pointer: string; diag: Pick<Diagnostic, "code" | "severity" | "message"> }[] {
  const out: { pointer: string; diag: Pick<Diagnostic, "code" | "severity" | "message"> }[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === "if" || e.keyword === "$ref") continue;
    let pointer = e.instancePath;
    let code = `schema/${e.keyword}`;
    let message = e.message ?? e.keyword;
    switch (e.keyword) {
      case "additionalProperties": {
        pointer = `${e.instancePath}/${escape(e.params.additionalProperty)}`;
        code = "schema/unknown-field";
        const allowed = allowedProperties(kind, e.instancePath);
        const hint = UNKNOWN_FIELD_HINTS[`${kind}${e.instancePath}/${e.params.additionalProperty}`];
        message = `unknown field "${e.params.additionalProperty}"` + (hint ? `: ${hint}` : allowed ? `; expected one of: ${allowed.join(", ")}` : "");
        break;
      }
      case "required":
        message = `missing required field "${e.params.missingProperty}"`;
        break;
      case "type":
        message = `must be ${e.params.type === "integer" ? "an integer" : `of type ${e.params.type}`}`;
        break;
      case "enum":
        message = `must be one of: ${(e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(", ")}`;
        break;
      case "const":
        message = `must be ${JSON.stringify(e.params.allowedValue)}`;
        break;
      case "pattern":
        message = patternMessage(e.params.pattern);
        break;
      case "minProperties":
      case "maxProperties":
        if (/StringMatch|HeaderMatch|PathMatch|consistentHash|\/path\//.test(e.schemaPath)) {
          code = "schema/one-of";
          message = e.keyword === "minProperties" ? "must set exactly one of its fields" : "must set exactly one of its fields, not several";
        }
        break;
      case "propertyNames":
        continue; // the nested pattern error says it better
      case "anyOf":
        if (CLAIM_VALUE.test(e.instancePath)) {
          code = "schema/type";
          message = "must be a list of values (e.g. [admin]) or a mapping of nested claims (e.g. {roles: [admin]})";
        }
        break;
    }
    // A claim's value is a list or a mapping (ClaimMatch): the anyOf error says it in one sentence.
    if (e.keyword === "type" && CLAIM_VALUE.test(e.instancePath)) continue;
    // An error about a key (`propertyNames`): ajv puts the key in `propertyName`; point at the key.
    if (e.schemaPath.includes("/propertyNames/") && e.propertyName !== undefined) {
      pointer = `${e.instancePath}/${escape(e.propertyName)}`;
      if (e.keyword !== "pattern") message = `key "${e.propertyName}" ${message}`;
    }
    const key = `${pointer}|${code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, diag: { code, severity: "error", message } });
  }
  return out;
}

let schemaCache: any;
/**
 * The model schema, loaded on first use: value rules walk documents along it and unknown-field
 * diagnostics list the fields it allows. Same relative path from src/ and dist/.
 */
function schemaJson(): any {
  return (schemaCache ??= createRequire(import.meta.url)("../../schemas/unimesh.schema.json"));
}

/** The properties the schema allows at an instance path of a document of `kind` (for "expected one of"). */
function allowedProperties(kind: string, instancePath: string): string[] | undefined {
  let node: any = deref(schemaJson().definitions[kind]);
  for (const raw of instancePath.split("/").slice(1)) {
    const t = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node?.properties && Object.hasOwn(node.properties, t)) node = deref(node.properties[t]);
    else if (node?.items) node = deref(node.items);
    else if (node?.additionalProperties && typeof node.additionalProperties === "object") node = deref(node.additionalProperties);
    else return undefined;
  }
  return node?.properties ? Object.keys(node.properties) : undefined;
}

function deref(node: any): any {
  if (!node?.$ref) return node;
  let cached = derefCache.get(node);
  if (cached === undefined) derefCache.set(node, (cached = resolveRef(node)));
  return cached;
}
const derefCache = new Map<object, any>();

function resolveRef(node: any): any {
  while (node?.$ref) {
    let n: any = schemaJson();
    for (const p of String(node.$ref)
      .replace(/^.*#\//, "")
      .split("/"))
      n = n?.[p];
    node = n;
  }
  return node;
}

/**
 * What each `pattern` of the schema means, in words: the message of a `schema/pattern` diagnostic.
 * Keyed by the exact pattern text; a test checks that every pattern of the schema has an entry.
 */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  "^([0-9]+(\\.[0-9]+)?(ms|h|m|s))+$": "must be a duration such as 500ms, 2s or 1m30s (units ms, s, m, h)",
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "must be a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit",
  "^(\\*|([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$": "must be a service account: `name`, `namespace/name`, or `*`",
  "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$": "must be a service-account name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
  "^[0-9a-fA-F:.]+(/[0-9]{1,3})?$": "must be an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8",
  "^/": "must start with /",
  "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$": "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
  "^(5xx|gateway-error|reset|connect-failure|refused-stream|retriable-4xx|retriable-status-codes|cancelled|deadline-exceeded|internal|resource-exhausted|unavailable|[1-5][0-9][0-9])$":
    "must be a retry condition (5xx, gateway-error, reset, connect-failure, refused-stream, retriable-4xx, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) or a status code such as 503",
  "^[A-Z]+$": "must be an HTTP method in upper case, such as GET",
  "^(\\*|\\*[^*]+|/[^*]*\\*?)$":
    "must be a path: exact (/a), /a and below it (/a/*), string prefix (/a*), suffix (*.png, */a), or * (any); `*` only at the start or the end",
  "^[1-9][0-9]{0,4}$": "must be a port number (1-65535)",
  "^(\\*|\\*[^*]+|[^*]+\\*|[^*]+/[^*/]+)$":
    "must be a request principal <issuer>/<subject> (split at the last /), with `*` only at the start or the end: iss/sub, iss/*, */sub, *@example.com, or * (any token)",
  "^[^\\[\\]]+$": "must be a claim name without [ or ]",
  "^https?://[^\\s/?#]+([/?#]\\S*)?$": "must be an http:// or https:// URL",
  "^[^.\\[\\]]+$": "must be a top-level claim name (no ., [ or ])",
  "^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$": "must be the name of a member cluster of the VirtualMesh (a DNS-1123 label), or * for every member",
  "^(auto|[a-z0-9][-a-z0-9]*(@[0-9A-Za-z][-0-9A-Za-z.]*)?)$":
    "must be a mesh as --mesh says it: NAME or NAME@VERSION (istio@1.30, linkerd@2.18, builtin), or auto",
  "^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$": "must be a SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_' (e.g. west.example.com)",
  "^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?\\.)*[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|^[0-9a-fA-F:]+$":
    "must be a host name or an IP address (no scheme, no port: the port goes in gateway.port)",
  "^(oci|https?)://[^\\s]+$": "must be an oci://, https:// or http:// URL without spaces",
  "\\.wasm$": "must be the path of a .wasm file",
  "^[a-f0-9]{64}$": "must be a SHA-256 digest: 64 lower-case hex digits",
};

/**
 * Fields a reader may expect where the schema has none, keyed by `<kind><pointer>`: what to write
 * instead (the end of their `schema/unknown-field` message).
 */
const UNKNOWN_FIELD_HINTS: Readonly<Record<string, string>> = {
  "MTLSPolicy/spec/destination/port":
    'an MTLSPolicy\'s mode applies to every port of its service; for one port, write its mode in ports (e.g. ports: {"9080": strict}) and leave destination without port',
};

function patternMessage(pattern: string): string {
  return PATTERN_MESSAGES[pattern] ?? `must match the pattern ${pattern}`;
}

function escape(t: string): string {
  if (typeof t === "string" && !t.includes("~") && !t.includes("/")) return t;
  return String(t).replace(/~/g, "~0").replace(/\//g, "~1");
}

function at(e: Entry<any>, pointer: string, d: Omit<Diagnostic, "file" | "documentIndex" | "pointer">): Diagnostic {
  const pos = e.origin.text ? locatePointer({ text: e.origin.text, startLine: e.origin.startLine ?? 1 }, pointer) : undefined;
  return { policy: e.id, ...d, file: e.origin.file, documentIndex: e.origin.documentIndex, pointer, ...(pos ? { line: pos.line, column: pos.column } : {}) };
}

// ------------------------------------------------------------------------------------------ rules

/** Semantic rules that need only one (schema-valid) document. */
function documentRules(e: Entry<any>, err: Report): void {
  switch (e.doc.kind as DocumentKind) {
    case "TrafficPolicy":
      return trafficRules(e.doc as TrafficPolicy, err);
    case "AccessPolicy":
      return accessRules(e.doc as AccessPolicy, err);
    case "MTLSPolicy":
      return mtlsRules(e.doc as MTLSPolicy, err);
    case "RequestAuthentication":
      return requestAuthRules(e.doc as RequestAuthentication, err);
    case "WasmExtension":
      return wasmRules(e.doc as WasmExtension, err);
    case "MeshService":
      return serviceRules(e.doc as MeshService, err);
    case "ClusterInfo":
      return;
    case "VirtualMesh":
      return virtualMeshRules(e.doc as VirtualMesh, err);
  }
}

/**
 * A VirtualMesh on its own (rule/virtual-mesh): member names, contexts and trust domains are unique (a
 * trust domain says which member an identity belongs to; two members sharing one could not be told
 * apart, so an identity of one would pass the other's access rules).
 */
function virtualMeshRules(doc: VirtualMesh, err: Report): void {
  for (const key of ["name", "context", "trustDomain"] as const) {
    const seen = new Map<string, number>();
    doc.spec.members.forEach((m, i) => {
      const prev = seen.get(m[key]);
      if (prev === undefined) seen.set(m[key], i);
      else
        err(
          `/spec/members/${i}/${key}`,
          "rule/virtual-mesh",
          `member ${i} has the ${key} ${JSON.stringify(m[key])} of member ${prev} (/spec/members/${prev}); every member needs its own${key === "trustDomain" ? " trust domain: identities of two members in one trust domain cannot be told apart, so one member's identity would pass the other's access rules" : ""}`,
        );
    });
  }
}

/**
 * `source.clusters` (rule/cluster-source): it says whose identities `serviceAccounts` and `namespaces`
 * are, so it needs one of them, and is not combined with the negative lists or IP blocks (which are
 * not identities of a member).
 */
function clusterSourceRules(src: AccessSource | undefined, base: string, err: Report): void {
  if (!src?.clusters) return;
  if (!src.serviceAccounts && !src.namespaces)
    err(
      `${base}/clusters`,
      "rule/cluster-source",
      "clusters says which member clusters the identities of serviceAccounts or namespaces belong to, and this source names none; add serviceAccounts or namespaces",
    );
  for (const k of ["ipBlocks", "notServiceAccounts", "notNamespaces", "notIpBlocks"] as const) {
    if (src[k])
      err(
        `${base}/${k}`,
        "rule/cluster-source",
        `${k} cannot be combined with clusters (clusters qualifies serviceAccounts and namespaces only); write it in another rule`,
      );
  }
}

type Report = (pointer: string, code: string, message: string, severity?: Diagnostic["severity"]) => void;

const DURATION_REF = "#/definitions/Duration";
/** Longest accepted duration: 10000 years, in milliseconds (protobuf Duration's limit). */
const MAX_DURATION_MS = 315_576_000_000_000;

/**
 * Rules on single values, found by walking the document along its schema: every value whose schema
 * is `#/definitions/Duration` must be at least 1ms, every `regex` property of a match must be RE2.
 * Only places the schema declares are checked (an annotation or a header named `timeout` is not a
 * duration). Safe on documents the schema rejected: values of the wrong type are skipped.
 */
function valueRules(kind: string, doc: unknown, err: Report): void {
  // The pointer of the value being walked, as its tokens (already escaped): joined only for a report.
  const path: string[] = [];
  const pointer = (): string => (path.length ? "/" + path.join("/") : "");
  const walk = (v: unknown, raw: any): void => {
    const step = stepOf(raw);
    if (step === SKIP) return;
    if (step === DURATION) {
      if (typeof v !== "string") return;
      const ms = parseDuration(v);
      if (ms === undefined) err(pointer(), "rule/duration", "must be a duration such as 500ms, 2s or 1m30s");
      else if (ms < 1) err(pointer(), "rule/duration", `must be at least 1ms (got ${v})`);
      else if (ms > MAX_DURATION_MS) err(pointer(), "rule/duration", `must be at most 10000 years (got ${v})`);
      return;
    }
    const node = step.node;
    if (!node || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      if (!node.items || stepOf(node.items) === SKIP) return;
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) continue; // as forEach
        path.push(String(i));
        walk(v[i], node.items);
        path.pop();
      }
      return;
    }
    const props = step.props;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      const declared = Object.hasOwn(props, k);
      const child = declared ? props[k] : step.additional;
      if (declared && k === "regex" && typeof x === "string") {
        const problem = regexProblem(x);
        if (problem) err(`${pointer()}/regex`, "rule/regex", problem);
      } else if (child && stepOf(child) !== SKIP) {
        path.push(escape(k));
        walk(x, child);
        path.pop();
      }
    }
  };
  walk(doc, schemaJson().definitions[kind]);
}

/**
 * What {@link valueRules} does at a schema node, decided once per node (the walk visits the same few
 * nodes for every document): nothing below it can matter ({@link mayMatter}), a Duration, or a
 * container whose dereferenced node, properties and additionalProperties schema are kept.
 */
type Step = typeof SKIP | typeof DURATION | { node: any; props: Record<string, any>; additional: any };
const SKIP = 0;
const DURATION = 1;
const steps = new Map<object, Step>();

function stepOf(raw: any): Step {
  if (raw === null || typeof raw !== "object") return SKIP; // mayMatter is false
  let step = steps.get(raw);
  if (step === undefined) {
    if (!mayMatter(raw)) step = SKIP;
    else if (raw.$ref === DURATION_REF) step = DURATION;
    else {
      const node = deref(raw);
      step = {
        node,
        props: node?.properties ?? {},
        additional: node && typeof node.additionalProperties === "object" ? node.additionalProperties : undefined,
      };
    }
    steps.set(raw, step);
  }
  return step;
}

/**
 * False for a schema node under which {@link valueRules} can find nothing (no Duration, no `regex`
 * property below it, following properties, additionalProperties and items as the walk does), so the
 * walk skips e.g. `metadata`. Memoized per schema node; a node on a cycle counts as mattering.
 */
function mayMatter(node: any): boolean {
  if (node === null || typeof node !== "object") return false;
  let known = mattersCache.get(node);
  if (known === undefined) {
    mattersCache.set(node, true); // while computing (recursive schemas): assume it matters
    mattersCache.set(node, (known = computeMatters(node)));
  }
  return known;
}
const mattersCache = new Map<object, boolean>();

function computeMatters(raw: any): boolean {
  if (raw.$ref === DURATION_REF) return true;
  const node = deref(raw);
  if (node === null || typeof node !== "object") return false;
  if (node !== raw) return mayMatter(node);
  if (node.items && mayMatter(node.items)) return true;
  if (typeof node.additionalProperties === "object" && mayMatter(node.additionalProperties)) return true;
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    if (k === "regex" || mayMatter(child)) return true;
  }
  return false;
}

/** Why a regex is not a portable RE2 expression, or undefined when it is fine. */
export function regexProblem(re: string): string | undefined {
  // Only unescaped constructs count: an even number of backslashes (maybe none) before them.
  if (/(?:^|[^\\])(?:\\\\)*\(\?(?:=|!|<=|<!)/.test(re)) return "lookahead and lookbehind are not RE2 syntax (Envoy and Linkerd use RE2)";
  if (/(?:^|[^\\])(?:\\\\)*\\[1-9]/.test(re)) return "back-references are not RE2 syntax (Envoy and Linkerd use RE2)";
  try {
    // RE2 syntax JavaScript spells differently: named groups `(?P<n>`, inline flags `(?i)`, `(?i:x)`.
    new RegExp(
      re
        .replace(/\(\?P</g, "(?<")
        .replace(/\(\?[imsU]+\)/g, "")
        .replace(/\(\?[imsU]*(?:-[imsU]+)?:/g, "(?:"),
    );
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "")}`;
  }
  return undefined;
}

function trafficRules(doc: TrafficPolicy, err: Report): void {
  const s = doc.spec;
  if (s.source && Object.keys(s.source).length === 0)
    err("/spec/source", "rule/empty-source", "an empty source matches no caller; omit source for every caller");
  if (s.source?.ipBlocks)
    err(
      "/spec/source/ipBlocks",
      "rule/source-ip-blocks",
      "ipBlocks select callers by address and are only for AccessPolicy; a TrafficPolicy source uses serviceAccounts, namespaces or workloads",
    );
  checkWorkloads(s.source, "/spec/source", err);
  if (s.source) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer", "rateLimit", "failover", "subsetSettings"] as const) {
      if (s[k])
        err(`/spec/${k}`, "rule/destination-setting-with-source", `${k} applies to every caller of the destination; move it to a TrafficPolicy without source`);
    }
  }
  checkFeatures(s, "/spec", err);
  const perSubset = s.subsetSettings ?? [];
  const subsetKeys = perSubset.map((e) => canonicalJson(e.subset));
  perSubset.forEach((e, i) => {
    const base = `/spec/subsetSettings/${i}`;
    if (Object.keys(e.subset).length === 0) err(`${base}/subset`, "rule/empty-selector", "a subset needs at least one label that tells its pods apart");
    else if (subsetKeys.indexOf(subsetKeys[i]) !== i)
      err(
        `${base}/subset`,
        "rule/duplicate-subset",
        `subset ${subsetKeys[i]} has settings twice in this policy (also /spec/subsetSettings/${subsetKeys.indexOf(subsetKeys[i])}); merge them`,
      );
    if (!e.outlierDetection && !e.connectionPool && !e.loadBalancer)
      err(
        base,
        "rule/empty-subset-settings",
        "these subset settings set nothing: give outlierDetection, connectionPool or loadBalancer, or remove the entry",
        "warning",
      );
    // Without an algorithm a loadBalancer means "the mesh default", which no mesh can set for one subset
    // while the destination has another (Istio would keep the destination's).
    if (e.loadBalancer && !e.loadBalancer.algorithm)
      err(
        `${base}/loadBalancer`,
        "rule/subset-load-balancer",
        "a subset's loadBalancer needs an algorithm (without one it would mean the mesh default, which cannot replace the destination's for one subset); set algorithm, or remove loadBalancer",
      );
    checkFeatures(e, base, err);
  });
  const routes = s.routes ?? [];
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    const base = routePointer(i, "");
    let actions = 0;
    if (r.split !== undefined) actions++;
    if (r.redirect !== undefined) actions++;
    if (r.directResponse !== undefined) actions++;
    if (actions > 1)
      err(
        base,
        "rule/route-action",
        `a route does one thing: set only one of split, redirect, directResponse (got ${(["split", "redirect", "directResponse"] as const).filter((k) => r[k] !== undefined).join(", ")})`,
      );
    const split = r.split;
    if (split) {
      // Weights: every target of a split of several needs one; given ones (or a lone target's 100) sum to 100.
      let sum = 0;
      let weighed = true;
      for (let j = 0; j < split.length; j++) {
        const t = split[j];
        if (split.length > 1 && t.weight === undefined)
          err(`${base}/split/${j}`, "rule/split-weights", "every target of a split with several targets needs a weight");
        sum += t.weight ?? (split.length === 1 ? 100 : 0);
        if (t.weight === undefined && split.length !== 1) weighed = false;
      }
      if (weighed && sum !== 100) err(`${base}/split`, "rule/split-weights", `weights must sum to 100 (got ${sum})`);
      for (let j = 0; j < split.length; j++) {
        const th = split[j].headers;
        if (th) checkTargetHeaders(th, r.headers ?? s.headers, `${base}/split/${j}`, r.headers ? `${base}/headers` : "/spec/headers", err);
      }
      for (let j = 0; j < split.length; j++) {
        if (split[j].cluster !== undefined && split[j].subset !== undefined)
          err(
            `${base}/split/${j}/subset`,
            "rule/split-cluster",
            "a split target in another cluster is a whole Service there (the destination's, or `service`): the local mesh cannot select that cluster's pods by labels; give the subset its own Service in that cluster and name it with `service`",
          );
        else if (split[j].service !== undefined && split[j].subset !== undefined)
          err(
            `${base}/split/${j}/service`,
            "rule/split-service",
            "a split target is another Service or a subset of the destination, not both: a subset of another Service has no name the meshes share; give that subset its own Service",
          );
      }
      // A target can only repeat another one in a split of several.
      if (split.length > 1) {
        const keys = split.map((t) => canonicalJson(t.subset ?? null) + "|" + (t.service ?? "") + "|" + (t.port ?? "") + "|" + (t.cluster ?? ""));
        keys.forEach((k, j) => {
          if (keys.indexOf(k) !== j)
            err(
              `${base}/split/${j}`,
              "rule/split-duplicate",
              "the same target (subset or service, port and cluster) appears twice in this split; merge the weights",
            );
        });
      }
    }
    if ((r.redirect || r.directResponse) && (r.rewrite || r.mirror || r.retries || r.faultInjection?.delay))
      err(base, "rule/route-action", "rewrite, mirror, retries and delay only apply to routes that forward (split), not to redirect or directResponse");
    if (r.rewrite?.path?.replacePrefixMatch !== undefined && r.match?.path?.prefix === undefined && r.match?.path?.segmentPrefix === undefined)
      err(
        `${base}/rewrite/path/replacePrefixMatch`,
        "rule/rewrite-prefix",
        "replacePrefixMatch needs the route to match a path prefix (match.path.prefix or segmentPrefix); use replaceFullPath otherwise",
      );
    checkFeatures(r, base, err);
    sameHeaderTwice(r.match?.headers, `${base}/match/headers`, err);
  }
  // A route can only be shadowed by an earlier one.
  if (routes.length < 2) return;
  const seen = new Map<string, number>();
  let catchAll: number | undefined;
  routes.forEach((r, i) => {
    const k = canonicalJson(r.match ?? {});
    const ptr = routePointer(i, r.match ? "/match" : "");
    if (catchAll !== undefined)
      err(ptr, "rule/shadowed-route", `route ${i} comes after route ${catchAll}, which matches every request, so it can never be used; move it up`, "warning");
    else if (seen.has(k)) err(ptr, "rule/shadowed-route", `route ${i} matches the same requests as route ${seen.get(k)} and can never be used`, "warning");
    else seen.set(k, i);
    const m = r.match;
    if (catchAll === undefined && (!m || (!m.path && !m.method && !m.headers && !m.queryParams))) catchAll = i;
  });
}

function checkFeatures(f: any, base: string, err: Report): void {
  const abort = f.faultInjection?.abort;
  if (abort && (abort.httpStatus === undefined) === (abort.grpcStatus === undefined))
    err(`${base}/faultInjection/abort`, "rule/fault-abort", "abort needs exactly one of httpStatus, grpcStatus");
  if (f.faultInjection && !f.faultInjection.delay && !f.faultInjection.abort)
    err(`${base}/faultInjection`, "rule/fault-empty", "faultInjection needs delay or abort");
  const r = f.retries;
  if (r?.perTryTimeout && f.timeout) {
    const per = parseDuration(r.perTryTimeout) ?? 0;
    const total = parseDuration(f.timeout) ?? 0;
    if (per > total)
      err(
        `${base}/retries/perTryTimeout`,
        "rule/per-try-timeout",
        `perTryTimeout (${r.perTryTimeout}) is longer than the request timeout (${f.timeout}), so no retry can happen after a timed-out try`,
        "warning",
      );
  }
  if (r && r.attempts > 0 && !r.retryOn) {
    /* default conditions apply: documented */
  }
  const lb = f.loadBalancer;
  if (lb && (lb.algorithm === "consistent-hash") !== (lb.consistentHash !== undefined))
    err(`${base}/loadBalancer`, "rule/consistent-hash", "algorithm consistent-hash and consistentHash go together: set both or neither");
  const rl = f.rateLimit;
  if (rl?.burst !== undefined && rl.burst < 1) err(`${base}/rateLimit/burst`, "rule/rate-limit", "burst must be at least 1");
  checkHeaderOps(f.headers, base, err);
}

/** The header names (lower case) a HeaderOps changes: set, add and remove. */
function headerNames(ops: HeaderOps | undefined): string[] {
  if (!ops) return [];
  return [...Object.keys(ops.set ?? {}), ...Object.keys(ops.add ?? {}), ...(ops.remove ?? [])].map((n) => n.toLowerCase());
}

/** Each header is changed once per side (set, add or remove). */
function checkHeaderOps(h: Headers | undefined, base: string, err: Report): void {
  for (const side of ["request", "response"] as const) {
    const names = headerNames(h?.[side]);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        err(`${base}/headers/${side}`, "rule/header-ops", `header "${n}" is changed twice in ${side}; set, add and remove each header once`);
    });
  }
}

/**
 * The header changes of a split target (`split[j].headers`): each header once, and none the route's own
 * header changes (the route's `headers`, else the policy's) also change: Istio applies a weighted target's
 * changes before the route's (a lone target's after them), Linkerd the route's first, so a header changed
 * at both levels would end up differently.
 */
function checkTargetHeaders(h: Headers, routeHeaders: Headers | undefined, base: string, routeAt: string, err: Report): void {
  checkHeaderOps(h, base, err);
  for (const side of ["request", "response"] as const) {
    const route = new Set(headerNames(routeHeaders?.[side]));
    for (const n of new Set(headerNames(h[side]))) {
      if (route.has(n))
        err(
          `${base}/headers/${side}`,
          "rule/header-ops",
          `header "${n}" is changed both here and by the route's headers (${routeAt}); change it at one level only (meshes apply the two levels in different orders)`,
        );
    }
  }
}

/** `scope` names where a policy without destination applies: with a destination it would be ambiguous. */
function scopeRules(spec: { destination?: unknown; scope?: string }, err: Report): void {
  if (spec.scope !== undefined && spec.destination !== undefined)
    err(
      "/spec/scope",
      "rule/scope",
      `scope ${spec.scope} applies a policy to ${spec.scope === "mesh" ? "every namespace" : "a whole namespace"}, and destination to one service: set one of them`,
    );
}

function accessRules(doc: AccessPolicy, err: Report): void {
  const s = doc.spec;
  scopeRules(s, err);
  // Ports are Service ports of one destination: a namespace- or mesh-wide policy has none to name.
  if (!s.destination) {
    for (const action of ["allow", "deny"] as const) {
      (s[action] ?? []).forEach((r, i) => {
        for (const key of ["ports", "notPorts"] as const) {
          if (r[key])
            err(
              `/spec/${action}/${i}/${key}`,
              "rule/scope-ports",
              `${key} are Service ports of one destination, and this AccessPolicy is ${s.scope === "mesh" ? "mesh-wide" : "namespace-wide"} (no destination), where a port number would mean a different port of every service; write the port rules in an AccessPolicy per service`,
            );
        }
      });
    }
  }
  for (const action of ["allow", "deny"] as const) {
    (s[action] ?? []).forEach((r, i) => {
      if (r.source && Object.keys(r.source).length === 0)
        err(`/spec/${action}/${i}/source`, "rule/empty-source", "an empty source matches nothing useful; omit it for any caller");
      for (const key of ["headers", "notHeaders"] as const) sameHeaderTwice(r[key], `/spec/${action}/${i}/${key}`, err);
    });
  }
  if (s.source && Object.keys(s.source).length === 0)
    err("/spec/source", "rule/empty-source", "an empty source matches nothing useful; omit it for any caller");
  // IP blocks of the policy's source, then of each rule's (pointers built only for a problem).
  const checkBlocks = (src: AccessSource | undefined, base: () => string) => {
    for (const key of ["ipBlocks", "notIpBlocks"] as const) {
      const blocks = src?.[key];
      if (!blocks) continue;
      blocks.forEach((b, i) => {
        const problem = cidrProblem(b);
        if (problem) err(`${base()}/${key}/${i}`, "rule/ip-block", problem);
      });
    }
  };
  // An allow rule whose callers are "everyone but these identities" also admits callers without a mesh
  // identity (as Istio's notPrincipals/notNamespaces do): say so, once per source.
  const plaintextToo = (src: AccessSource | undefined, pointer: string) => {
    if (!src || src.serviceAccounts || src.namespaces) return;
    const excluded = [...(src.notServiceAccounts ?? []).filter((sa) => sa !== "*"), ...(src.notNamespaces ?? [])];
    if (!excluded.length || src.notServiceAccounts?.includes("*")) return;
    err(
      pointer,
      "rule/negative-source",
      `this source excludes ${excluded.join(", ")} but names no caller to admit, so it also admits callers WITHOUT a mesh identity (plaintext), which are in no service account or namespace; add serviceAccounts: ["*"] to admit only callers with a mesh identity`,
      "warning",
    );
  };
  let policySourceAllows = false;
  (s.allow ?? []).forEach((r, i) => {
    if (r.source) plaintextToo(r.source, `/spec/allow/${i}/source`);
    else policySourceAllows = true;
  });
  if (policySourceAllows) plaintextToo(s.source, "/spec/source");
  checkBlocks(s.source, () => "/spec/source");
  for (const action of ["allow", "deny"] as const) (s[action] ?? []).forEach((r, i) => checkBlocks(r.source, () => `/spec/${action}/${i}/source`));
  // Pod labels are not an identity: access is decided on verified identities (and addresses) only.
  const noWorkloads = (src: Source | undefined, base: string) => {
    if (src?.workloads)
      err(
        `${base}/workloads`,
        "rule/workload-source",
        "workloads select callers by pod labels, which are not a verified identity (whoever creates pods in the namespace sets them), so they cannot decide access; use serviceAccounts (the identity the pods run as) or namespaces",
      );
  };
  noWorkloads(s.source, "/spec/source");
  for (const action of ["allow", "deny"] as const) (s[action] ?? []).forEach((r, i) => noWorkloads(r.source, `/spec/${action}/${i}/source`));
  clusterSourceRules(s.source, "/spec/source", err);
  for (const action of ["allow", "deny"] as const) (s[action] ?? []).forEach((r, i) => clusterSourceRules(r.source, `/spec/${action}/${i}/source`, err));
}

/**
 * A RequestAuthentication on its own: each issuer gives its keys once (`rule/jwks-source`: exactly one of
 * jwksUri and jwks), an inline JWKS is a public key set (`rule/jwks`, see `checkJwks`), an issuer is
 * named once (`rule/duplicate-issuer`: two entries for one issuer would validate its tokens two ways).
 */
function requestAuthRules(doc: RequestAuthentication, err: Report): void {
  const seen = new Map<string, number>();
  doc.spec.issuers.forEach((i, n) => {
    const base = `/spec/issuers/${n}`;
    if ((i.jwksUri === undefined) === (i.jwks === undefined)) {
      err(
        i.jwks === undefined ? base : `${base}/jwks`,
        "rule/jwks-source",
        i.jwks === undefined
          ? `issuer ${i.issuer} needs its keys: give jwksUri (the URL of its JSON Web Key Set) or jwks (the key set as JSON text)`
          : `issuer ${i.issuer} gives both jwksUri and jwks; keep one (Istio accepts only one of them)`,
      );
    }
    if (i.jwks !== undefined) for (const p of checkJwks(i.jwks)) err(`${base}/jwks`, "rule/jwks", p.message, p.severity);
    const prev = seen.get(i.issuer);
    if (prev !== undefined)
      err(
        `${base}/issuer`,
        "rule/duplicate-issuer",
        `issuer ${i.issuer} is already given at /spec/issuers/${prev}; name each issuer once (its tokens would be checked two ways)`,
      );
    else seen.set(i.issuer, n);
  });
}

/**
 * A WasmExtension on its own: a module is found somewhere (`rule/wasm-module`: url or file); a local
 * module file must come with its digest (`rule/wasm-sha256`: the
 * built-in proxy verifies it before loading, and a mesh given the same file as `file://` needs it to
 * verify its copy).
 */
function wasmRules(doc: WasmExtension, err: Report): void {
  const m = doc.spec.module;
  if (m.url === undefined && m.file === undefined) {
    err(
      "/spec/module",
      "rule/wasm-module",
      "module needs url (an oci:// image or https:// URL, what a cluster's proxies fetch) or file (a local .wasm file, what the built-in proxy loads), or both",
    );
  }
  if (m.file !== undefined && m.sha256 === undefined) {
    err(
      "/spec/module",
      "rule/wasm-sha256",
      `module.file ${m.file} needs module.sha256 (64 lower-case hex digits; \`unimesh wasm build\` prints it, or \`sha256sum ${m.file}\`): the proxy verifies the module before loading it`,
    );
  }
}

/**
 * Request authentication across documents: an issuer given by two RequestAuthentications of one
 * destination (`rule/duplicate-issuer`); an access rule with end-user conditions (requestPrincipals,
 * notRequestPrincipals, claims, notClaims) on a destination no RequestAuthentication validates tokens
 * for (`rule/no-request-authentication`: no request would ever have a principal or claims, so an allow
 * rule would never match and a negative condition would always hold); a (not)requestPrincipals entry
 * whose issuer part matches none of the destination's issuers (`rule/unknown-issuer`: a typo that
 * never matches, or excludes nothing).
 */
function requestAuthCrossRules(model: Model, out: Diagnostic[]): void {
  const issuersOf = new Map<string, { issuer: string; policy: Entry<RequestAuthentication> }[]>();
  for (const e of model.requestAuthentications) {
    const key = `${destinationNamespace(e)}/${e.doc.spec.destination.service}`;
    const list = issuersOf.get(key) ?? [];
    issuersOf.set(key, list);
    e.doc.spec.issuers.forEach((i, n) => {
      const prev = list.find((x) => x.issuer === i.issuer);
      if (prev && prev.policy.id !== e.id) {
        out.push(
          at(e, `/spec/issuers/${n}/issuer`, {
            code: "rule/duplicate-issuer",
            severity: "error",
            message: `issuer ${i.issuer} of ${key} is also given by ${prev.policy.id}; name each issuer of a destination once (Istio would validate its tokens two ways)`,
            relatedPolicies: [prev.policy.id],
          }),
        );
      } else if (!prev) list.push({ issuer: i.issuer, policy: e });
    });
  }
  // A namespace- or mesh-wide AccessPolicy: the issuers of the RequestAuthentications in its scope (its
  // rules see tokens only on the workloads one of them validates them for).
  const scopeIssuers = (ns: string | undefined) => {
    const out: { issuer: string; policy: Entry<RequestAuthentication> }[] = [];
    for (const [k, list] of issuersOf)
      if (ns === undefined || k.startsWith(`${ns}/`)) for (const x of list) if (!out.some((y) => y.issuer === x.issuer)) out.push(x);
    return out.length ? out : undefined;
  };
  for (const p of model.accessPolicies) {
    const d = p.doc.spec.destination;
    const scope = policyScope(p);
    const key = d ? `${destinationNamespace(p)}/${d.service}` : scope === "mesh" ? "the mesh" : `namespace ${p.namespace}`;
    for (const action of ["allow", "deny"] as const) {
      (p.doc.spec[action] ?? []).forEach((r, i) => {
        if (!(r.requestPrincipals || r.notRequestPrincipals || r.claims || r.notClaims)) return;
        const base = `/spec/${action}/${i}`;
        const issuers = d ? issuersOf.get(key) : scopeIssuers(scope === "mesh" ? undefined : p.namespace);
        if (!issuers) {
          const field = r.requestPrincipals ? "requestPrincipals" : r.notRequestPrincipals ? "notRequestPrincipals" : r.claims ? "claims" : "notClaims";
          out.push(
            at(p, `${base}/${field}`, {
              code: "rule/no-request-authentication",
              severity: "error",
              message: `${field} looks at the request's end-user token, but no RequestAuthentication validates tokens for ${key}, so no request would have a principal or claims (${action === "allow" ? (field.startsWith("not") ? "this condition would hold for every request" : "this rule would never match") : field.startsWith("not") ? "this deny rule would deny every request it otherwise matches" : "this deny rule would never match"}); add a RequestAuthentication ${d ? `with destination ${d.service}` : "for the services in its scope"} and the token issuers`,
            }),
          );
          return;
        }
        const names = issuers.map((x) => x.issuer);
        for (const field of ["requestPrincipals", "notRequestPrincipals"] as const) {
          (r[field] ?? []).forEach((v, j) => {
            if (principalIssuerKnown(v, names)) return;
            out.push(
              at(p, `${base}/${field}/${j}`, {
                code: "rule/unknown-issuer",
                severity: "error",
                message: `"${v}" names an issuer (the part before the last "/") that no RequestAuthentication of ${key} accepts (issuers: ${names.join(", ")}), so ${field === "requestPrincipals" ? "it never matches" : "it excludes nobody"}; a principal is <issuer>/<subject>`,
              }),
            );
          });
        }
      });
    }
  }
}

/**
 * Header names are case-insensitive: one header written twice in one map (`x-env` and `X-Env`) is
 * `rule/duplicate-header`, never two conditions of which a mesh keeps one (the built-in proxy and
 * Envoy compare lower-cased names; a map keyed by the lower-cased name would silently drop the other's
 * values, and with them a condition of the rule).
 */
function sameHeaderTwice(map: Record<string, unknown> | undefined, base: string, err: Report): void {
  if (!map) return;
  const seen = new Map<string, string>();
  for (const name of Object.keys(map)) {
    const lower = name.toLowerCase();
    const first = seen.get(lower);
    if (first === undefined) seen.set(lower, name);
    else
      err(
        `${base}/${escapePointerToken(name)}`,
        "rule/duplicate-header",
        `header ${name} is header ${first} again (header names are case-insensitive): give its values once, under one name`,
      );
  }
}

/** `source.workloads` entries need labels: an empty selector would select every pod of the namespace. */
function checkWorkloads(src: Source | undefined, base: string, err: Report): void {
  (src?.workloads ?? []).forEach((w, i) => {
    if (Object.keys(w.labels).length === 0)
      err(
        `${base}/workloads/${i}/labels`,
        "rule/empty-selector",
        "an empty label set selects every pod of the namespace; give the calling pods' labels, or use namespaces for the whole namespace",
      );
  });
}

/**
 * `rule/deny-all` (warning): an AccessPolicy without allow rules, where no allow rule of ANY
 * AccessPolicy that selects the same workloads admits a request (the policies of a workload form one
 * rule set, of every scope: one without allow rules denies everything only when nothing else allows).
 * Said per port when other policies allow on some ports only: "every request to ports other than 9080 is
 * denied". A namespace- or mesh-wide policy without allow rules (Istio's allow-nothing) next to
 * service-level allows elsewhere in its scope is the usual pattern: an info naming them.
 */
function denyAll(model: Model, out: Diagnostic[]): void {
  const { namespaces, mesh } = model.accessScopes();
  const allows = (l: readonly Entry<AccessPolicy>[] | undefined) => !!l?.some((p) => p.doc.spec.allow?.length);
  const meshAllows = allows(mesh);
  /** Some namespace- or mesh-wide allow rule admits requests to every workload of the namespace. */
  const scopeAllows = (ns: string) => meshAllows || allows(namespaces.get(ns));
  // The ports on which some allow rule of a destination's own policies admits requests: "all", or a set.
  const allowed = new Map<string, "all" | Set<number>>();
  const key = (p: Entry<AccessPolicy>) => `${destinationNamespace(p)}/${p.doc.spec.destination!.service}`;
  for (const p of model.accessPolicies) {
    const rules = p.doc.spec.allow;
    if (!rules?.length || !p.doc.spec.destination) continue;
    const k = key(p);
    let a = allowed.get(k);
    if (a === "all") continue;
    const port = p.doc.spec.destination.port;
    for (const r of rules) {
      const ports = port === undefined ? r.ports : r.ports ? r.ports.filter((x) => x === port) : [port];
      if (!ports) {
        a = "all";
        break;
      }
      a ??= new Set();
      for (const x of ports) a.add(x);
    }
    if (a) allowed.set(k, a);
  }
  for (const p of model.accessPolicies) {
    const s = p.doc.spec;
    if (s.allow?.length) continue;
    const what = s.deny?.length ? "this AccessPolicy has deny rules but no allow rules" : "this AccessPolicy has no rules";
    if (!s.destination) {
      const meshWide = policyScope(p) === "mesh";
      if (meshWide ? meshAllows : scopeAllows(p.namespace)) continue;
      const scope = meshWide ? "the mesh" : `namespace ${p.namespace}`;
      const others = [...allowed.keys()].filter((k) => meshWide || k.startsWith(`${p.namespace}/`)).sort(cmp);
      const othersScoped = meshWide && [...namespaces.values()].some(allows);
      out.push(
        at(
          p,
          "/spec",
          others.length || othersScoped
            ? {
                code: "rule/deny-all",
                severity: "info",
                message: `${what}: every workload of ${scope} denies every request that no other AccessPolicy allows (allowed by their own: ${[...others, ...(othersScoped ? ["namespace-wide policies"] : [])].join(", ")}); Istio's allow-nothing`,
              }
            : {
                code: "rule/deny-all",
                severity: "warning",
                message: `${what}, and no AccessPolicy allows anything in ${scope}: every request to every workload of ${scope} is denied (once an AccessPolicy selects a workload, only requests an allow rule admits pass)`,
              },
        ),
      );
      continue;
    }
    if (scopeAllows(destinationNamespace(p))) continue;
    const a = allowed.get(key(p));
    if (a === "all") continue;
    const port = s.destination.port;
    if (port !== undefined && a?.has(port)) continue;
    const dest = `${destinationNamespace(p)}/${s.destination.service}`;
    const where =
      port !== undefined
        ? `every request to port ${port} of ${dest} is denied`
        : a?.size
          ? `every request to ${dest} on a port other than ${[...a].sort((x, y) => x - y).join(", ")} is denied (the other AccessPolicies for it allow only there)`
          : `every request to ${dest} is denied`;
    out.push(
      at(p, "/spec", {
        code: "rule/deny-all",
        severity: "warning",
        message: `${what}, and no AccessPolicy for ${dest} allows ${port !== undefined ? `on port ${port}` : a?.size ? "on its other ports" : "anything"}: ${where} (once an AccessPolicy selects a destination, only requests an allow rule admits pass)`,
      }),
    );
  }
}

/** Why `text` is not an IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`), or undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const [addr, prefix, ...more] = text.split("/");
  // node:net is loaded on first use (only ipBlocks need it).
  const family = process.getBuiltinModule("node:net").isIP(addr);
  if (family === 0 || more.length) return `"${text}" is not an IP address or CIDR block such as 10.0.0.0/8 or fd00::/8`;
  const max = family === 4 ? 32 : 128;
  if (prefix !== undefined && !(/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= max)) return `the prefix length of "${text}" must be 0-${max}`;
  return undefined;
}

function mtlsRules(doc: MTLSPolicy, err: Report): void {
  scopeRules(doc.spec, err);
  if (doc.spec.ports && !doc.spec.destination) err("/spec/ports", "rule/mtls-ports", "per-port modes need a destination service");
  for (const p of Object.keys(doc.spec.ports ?? {})) {
    if (Number(p) > 65535) err(`/spec/ports/${p}`, "rule/mtls-ports", "port must be 1-65535");
  }
}

function serviceRules(doc: MeshService, err: Report): void {
  // An empty selector would select every pod of the namespace: a Server, AuthorizationPolicy or
  // PeerAuthentication built from it would govern far more than this service.
  if (doc.spec.selector && Object.keys(doc.spec.selector).length === 0)
    err(
      "/spec/selector",
      "rule/empty-selector",
      "an empty selector selects every pod of the namespace; give the service's pod labels, or omit selector for the convention {app: <name>}",
    );
  (doc.spec.subsets ?? []).forEach((s, i) => {
    if (Object.keys(s.labels).length === 0)
      err(`/spec/subsets/${i}/labels`, "rule/empty-selector", "a subset needs at least one label that tells its pods apart");
  });
  const subsets = doc.spec.subsets ?? [];
  const names = subsets.map((s) => s.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) err(`/spec/subsets/${i}/name`, "rule/duplicate-subset", `subset "${n}" is declared twice`);
  });
  const keys = subsets.map((s) => canonicalJson(s.labels));
  keys.forEach((k, i) => {
    if (keys.indexOf(k) !== i) err(`/spec/subsets/${i}/labels`, "rule/duplicate-subset", "two subsets have the same labels");
  });
  const declared = doc.spec.ports ?? [];
  const ports = declared.map((p) => p.port);
  ports.forEach((p, i) => {
    if (ports.indexOf(p) !== i) err(`/spec/ports/${i}/port`, "rule/duplicate-port", `port ${p} is declared twice`);
  });
  // A pod-only port is a pod port no Service port reaches: it has no targetPort of its own, and a pod port
  // a Service port targets is that Service port's (two names for one pod port would let one policy for
  // it and another for the Service port disagree on what the pod enforces).
  declared.forEach((p, i) => {
    if (!p.podOnly) return;
    if (p.targetPort !== undefined) {
      err(
        `/spec/ports/${i}/targetPort`,
        "rule/pod-only-port",
        `port ${p.port} is podOnly: it is the pod's own port, with no Service port in front of it, so it has no targetPort; remove targetPort (or podOnly, for a Service port)`,
      );
      return;
    }
    const via = declared.find((q) => !q.podOnly && (q.targetPort ?? q.port) === p.port && q.port !== p.port);
    if (via)
      err(
        `/spec/ports/${i}/port`,
        "rule/pod-only-port",
        `pod port ${p.port} is the targetPort of Service port ${via.port}: policies for it name Service port ${via.port} (meshes enforce them at pod port ${p.port}, also for callers that dial the pod's address); remove this podOnly entry`,
      );
  });
}

/** Settings of a route (or of a whole TrafficPolicy) that only mean something for HTTP requests. */
const HTTP_ONLY = ["match", "redirect", "directResponse", "rewrite", "timeout", "retries", "faultInjection", "mirror", "headers", "cors"] as const;

/**
 * `rule/http-on-tcp`: a TrafficPolicy whose traffic is all TCP (its `destination.port` is declared
 * `protocol: tcp` by the MeshService, or it names no port and every declared port is tcp) cannot carry
 * HTTP settings: no mesh applies a request timeout, retries, matches, faults, mirrors, header or CORS
 * changes, rewrites, redirects or direct responses to a TCP connection (each adapter refuses them at
 * translate time; validate says so first). Splits across subsets stay: they are TCP routes.
 * Retries with `attempts: 0` and no `perTryTimeout` (no retries, said explicitly) are allowed.
 */
function httpOnTcp(p: Entry<TrafficPolicy>, facts: ServiceFacts, out: Diagnostic[]): void {
  // Routes concern the Service ports only (a pod-only port is refused by rule/pod-only-port).
  const ports = facts.ports && exposedPorts(facts.ports);
  if (!ports?.length) return;
  const spec = p.doc.spec;
  const port = spec.destination.port;
  const tcp = port !== undefined ? ports.some((x) => x.port === port && x.protocol === "tcp") : ports.every((x) => x.protocol === "tcp");
  if (!tcp) return;
  const where =
    port !== undefined
      ? `port ${port} of ${facts.namespace}/${facts.name} is`
      : `every port of ${facts.namespace}/${facts.name} (${ports.map((x) => x.port).join(", ")}) is`;
  const check = (holder: Record<string, unknown>, base: string) => {
    for (const k of HTTP_ONLY) {
      const v = holder[k] as { attempts?: number; perTryTimeout?: string } | undefined;
      if (v === undefined) continue;
      if (k === "retries" && v.attempts === 0 && v.perTryTimeout === undefined) continue;
      if (k === "match" && Object.keys(v).length === 0) continue;
      out.push(
        at(p, `${base}/${k}`, {
          code: "rule/http-on-tcp",
          severity: "error",
          message: `${where} declared tcp (MeshService ${facts.namespace}/${facts.name}): ${k} is an HTTP setting, which no mesh applies to TCP connections; remove it, or declare the port's protocol http, http2 or grpc`,
        }),
      );
    }
  };
  check(spec as unknown as Record<string, unknown>, "/spec");
  (spec.routes ?? []).forEach((r, i) => check(r as unknown as Record<string, unknown>, `/spec/routes/${i}`));
}

/**
 * `rule/unknown-destination` (warning): a TrafficPolicy or AccessPolicy whose destination service no
 * MeshService declares (written by hand or by `unimesh discover`) and no other document names (as its
 * destination, a mirror target or an MTLSPolicy destination) may be a typo (`crat` for `cart`): it would
 * translate into objects for a service that does not exist, and the real one would get no policy. Said
 * when the namespace has MeshServices (its services are described, so an undescribed one stands out), or
 * when a known service of the namespace is one typo away (one letter added, dropped, changed, or two
 * neighbours swapped, but not only a number changed: `svc-1` and `svc-10` are two services), named in the
 * message. Linear in the number of services (typo neighbours are found through an index).
 */
function unknownDestinations(model: Model, out: Diagnostic[]): void {
  const described = new Set(model.services.map((e) => `${e.namespace}/${e.name}`));
  const describedNs = new Set(model.services.map((e) => e.namespace));
  const namedBy = new Map<string, string[]>(); // ns/service → ids of the documents naming it
  const name = (key: string, id: string) => {
    const ids = namedBy.get(key);
    if (!ids) namedBy.set(key, [id]);
    else if (!ids.includes(id)) ids.push(id);
  };
  // Namespace- and mesh-wide AccessPolicies name no service.
  const policies: Entry<TrafficPolicy | AccessPolicy>[] = [...model.trafficPolicies, ...model.accessPolicies.filter((p) => p.doc.spec.destination)];
  for (const p of policies) {
    const ns = destinationNamespace(p);
    name(`${ns}/${p.doc.spec.destination!.service}`, p.id);
    if (p.doc.kind !== "TrafficPolicy") continue;
    const spec = (p as Entry<TrafficPolicy>).doc.spec;
    if (spec.mirror?.service) name(`${spec.mirror.namespace ?? ns}/${spec.mirror.service}`, p.id);
    for (const r of spec.routes ?? []) if (r.mirror?.service) name(`${r.mirror.namespace ?? ns}/${r.mirror.service}`, p.id);
  }
  for (const e of model.mtlsPolicies) {
    const d = e.doc.spec.destination;
    if (d) name(`${d.namespace ?? e.namespace}/${d.service}`, e.id);
  }
  const unknown = policies.filter((p) => {
    const key = `${destinationNamespace(p)}/${p.doc.spec.destination!.service}`;
    return !described.has(key) && namedBy.get(key)!.length === 1;
  });
  if (!unknown.length) return;
  // Typo neighbours: every known name under itself and each one-letter deletion of it.
  const index = new Map<string, Set<string>>();
  for (const key of new Set([...described, ...namedBy.keys()])) {
    for (const k of deletions(key)) {
      const set = index.get(k);
      if (set) set.add(key);
      else index.set(k, new Set([key]));
    }
  }
  for (const p of unknown) {
    const ns = destinationNamespace(p);
    const svc = p.doc.spec.destination!.service;
    const key = `${ns}/${svc}`;
    const near = new Set<string>();
    for (const k of deletions(key))
      for (const c of index.get(k) ?? []) if (c !== key && c.startsWith(`${ns}/`) && oneTypo(c.slice(ns.length + 1), svc)) near.add(c.slice(ns.length + 1));
    if (!describedNs.has(ns) && !near.size) continue;
    const names = [...near].sort().slice(0, 3);
    out.push(
      at(p, "/spec/destination/service", {
        code: "rule/unknown-destination",
        severity: "warning",
        message: `no MeshService declares service ${svc} in namespace ${ns} and no other policy names it${names.length ? `: did you mean ${names.join(" or ")}?` : ""}; if it exists, declare it with a MeshService (or \`unimesh discover\` it) to silence this`,
      }),
    );
  }
}

/** `s` and every string made by deleting one character of `s`. */
function deletions(s: string): string[] {
  const out = [s];
  for (let i = 0; i < s.length; i++) out.push(s.slice(0, i) + s.slice(i + 1));
  return out;
}

/**
 * True when `a` and `b` differ by one typo (one character added, dropped or changed, or two neighbours
 * swapped) that is not only in a number (`svc-1`/`svc-10`, `v1`/`v2` name different things).
 */
function oneTypo(a: string, b: string): boolean {
  if (a === b || a.replace(/\d+/g, "#") === b.replace(/\d+/g, "#")) return false;
  if (a.length === b.length) {
    const diff: number[] = [];
    for (let i = 0; i < a.length && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
    return diff.length === 1 || (diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]]);
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  if (long.length !== short.length + 1) return false;
  let i = 0;
  while (i < short.length && long[i] === short[i]) i++;
  return long.slice(i + 1) === short.slice(i);
}

/**
 * Rules across documents: subsets and ports against MeshService facts, conflicts between policies.
 *
 * References are checked policy by policy against the facts of their destination, without the model's
 * destination views: those (route tables, subsets, access rules) are built only when two TrafficPolicies
 * share a destination and may conflict, else on the first `model.destinations()` (the adapter's). The
 * diagnostics are those of a walk over the views: each is about one policy, found in the same order
 * within its policy, and they are sorted (stably) afterwards.
 */
function crossRules(model: Model, out: Diagnostic[]): void {
  // Subsets and ports referenced must exist when the MeshService of their service declares them. The
  // conditions are tested first: pointers (and messages) are built only for what is reported.
  // A subset by name (`subset: stable`) must be declared by the MeshService; by labels, only when it declares subsets.
  const unknownSubset = (target: ServiceFacts, ref: Labels | string | undefined): ref is Labels | string =>
    typeof ref === "string"
      ? !target.subsets?.some((s) => s.name === ref)
      : !!ref && !!target.subsets && !target.subsets.some((s) => canonicalJson(s.labels) === canonicalJson(ref));
  const unknownPort = (target: ServiceFacts, port: number | undefined): port is number =>
    !!port && !!target.ports && !target.ports.some((x) => x.port === port);
  const reportSubset = (p: Entry<any>, target: ServiceFacts, ref: Labels | string, pointer: string) =>
    out.push(
      at(p, pointer, {
        code: "rule/unknown-subset",
        severity: "error",
        message:
          typeof ref === "string" && !target.subsets
            ? `subset "${ref}" is a name, but no MeshService declares the subsets of ${target.namespace}/${target.name}; declare it (MeshService ${target.name}: spec.subsets: [{name: ${ref}, labels: {...}}]) or write its pod labels instead (e.g. subset: {version: ${ref}})`
            : `subset ${typeof ref === "string" ? `"${ref}"` : canonicalJson(ref)} is not declared by MeshService ${target.namespace}/${target.name}; declared: ${target.subsets!.map((s) => `${s.name} ${canonicalJson(s.labels)}`).join(", ")}`,
      }),
    );
  // A TrafficPolicy routes requests sent to the Service: a pod-only port has none (rule/pod-only-port).
  const podOnlyPort = (target: ServiceFacts, port: number | undefined): port is number =>
    !!port && !!target.ports && target.ports.some((x) => x.port === port && x.podOnly);
  const reportPodOnly = (p: Entry<any>, target: ServiceFacts, port: number, pointer: string) =>
    out.push(
      at(p, pointer, {
        code: "rule/pod-only-port",
        severity: "error",
        message: `port ${port} of ${target.namespace}/${target.name} is podOnly (MeshService ${target.namespace}/${target.name}): no Service port reaches it, callers dial it on a pod's own address, where no route applies; route through a Service port, and govern the pod port with AccessPolicies and MTLSPolicies`,
      }),
    );
  const reportPort = (p: Entry<any>, target: ServiceFacts, port: number, pointer: string) =>
    out.push(
      at(p, pointer, {
        code: "rule/unknown-port",
        severity: "error",
        message: `port ${port} is not a port of MeshService ${target.namespace}/${target.name} (ports: ${target.ports!.map((x) => x.port).join(", ")})`,
      }),
    );
  const checkMirror = (namespace: string, facts: ServiceFacts, p: Entry<any>, m: Mirror, pointer: string) => {
    const target = m.service ? model.service(m.namespace ?? namespace, m.service) : facts;
    if (unknownSubset(target, m.subset)) reportSubset(p, target, m.subset, `${pointer}/subset`);
    if (unknownPort(target, m.port)) reportPort(p, target, m.port, `${pointer}/port`);
    else if (podOnlyPort(target, m.port)) reportPodOnly(p, target, m.port, `${pointer}/port`);
  };
  // TrafficPolicies per destination (namespace, then service): two or more may conflict.
  const policiesPerDestination = new Map<string, Map<string, number>>();
  let shared = false;
  for (const p of model.trafficPolicies) {
    const spec = p.doc.spec;
    const namespace = destinationNamespace(p);
    let byService = policiesPerDestination.get(namespace);
    if (!byService) policiesPerDestination.set(namespace, (byService = new Map()));
    const count = (byService.get(spec.destination.service) ?? 0) + 1;
    byService.set(spec.destination.service, count);
    if (count > 1) shared = true;
    const facts = model.service(namespace, spec.destination.service);
    if (unknownPort(facts, spec.destination.port)) reportPort(p, facts, spec.destination.port, "/spec/destination/port");
    else if (podOnlyPort(facts, spec.destination.port)) reportPodOnly(p, facts, spec.destination.port, "/spec/destination/port");
    const routes = spec.routes ?? [];
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      const split = r.split ?? [];
      for (let j = 0; j < split.length; j++) {
        const t = split[j];
        // Another Service (`split[].service`): its ports, the destination's port unless the target names one.
        const target = t.service !== undefined ? model.service(namespace, t.service) : facts;
        const port = t.service !== undefined ? (t.port ?? spec.destination.port) : t.port;
        const portAt = `/spec/routes/${i}/split/${j}/${t.port === undefined && t.service !== undefined ? "service" : "port"}`;
        if (t.service === undefined && unknownSubset(facts, t.subset)) reportSubset(p, facts, t.subset, `/spec/routes/${i}/split/${j}/subset`);
        if (unknownPort(target, port)) reportPort(p, target, port, portAt);
        else if (podOnlyPort(target, port)) reportPodOnly(p, target, port, portAt);
      }
      if (r.mirror) checkMirror(namespace, facts, p, r.mirror, `/spec/routes/${i}/mirror`);
    }
    if (spec.mirror) checkMirror(namespace, facts, p, spec.mirror, "/spec/mirror");
    httpOnTcp(p, facts, out);
    const perSubset = spec.subsetSettings ?? [];
    for (let i = 0; i < perSubset.length; i++) {
      if (unknownSubset(facts, perSubset[i].subset)) reportSubset(p, facts, perSubset[i].subset, `/spec/subsetSettings/${i}/subset`);
    }
  }
  // AccessPolicy destination.port and rule ports, MTLSPolicy per-port keys: Service ports too (a pod
  // port named there would be read as a Service port and select nothing, or the wrong port).
  for (const p of model.accessPolicies) {
    const spec = p.doc.spec;
    if (!spec.destination) continue; // scope-wide: no ports (rule/scope-ports)
    const facts = model.service(destinationNamespace(p), spec.destination.service);
    if (!facts.ports) continue;
    if (unknownPort(facts, spec.destination.port)) reportPort(p, facts, spec.destination.port, "/spec/destination/port");
    for (const action of ["allow", "deny"] as const) {
      const rules = spec[action] ?? [];
      for (let i = 0; i < rules.length; i++) {
        for (const key of ["ports", "notPorts"] as const) {
          const ports = rules[i][key] ?? [];
          for (let j = 0; j < ports.length; j++) if (unknownPort(facts, ports[j])) reportPort(p, facts, ports[j], `/spec/${action}/${i}/${key}/${j}`);
        }
      }
    }
  }
  // WasmExtension ports: Service ports (a pod-only one has no requests sent to the Service).
  for (const e of model.wasmExtensions) {
    const ports = e.doc.spec.ports ?? [];
    const facts = model.service(destinationNamespace(e), e.doc.spec.destination.service);
    for (let j = 0; j < ports.length; j++) {
      if (unknownPort(facts, ports[j])) reportPort(e, facts, ports[j], `/spec/ports/${j}`);
      else if (podOnlyPort(facts, ports[j])) reportPodOnly(e, facts, ports[j], `/spec/ports/${j}`);
    }
  }
  for (const e of model.mtlsPolicies) {
    const d = e.doc.spec.destination;
    if (!d || !e.doc.spec.ports) continue;
    const facts = model.service(d.namespace ?? e.namespace, d.service);
    for (const k of Object.keys(e.doc.spec.ports)) if (unknownPort(facts, Number(k))) reportPort(e, facts, Number(k), `/spec/ports/${k}`);
  }
  // Two policies claiming the same traffic, or setting a destination-level setting differently: only
  // possible with several TrafficPolicies (the routes of one policy never conflict with each other).
  for (const v of shared ? model.destinations() : []) {
    if (v.trafficPolicies.length < 2) continue;
    const byKey = new Map<string, (typeof v.routes)[number]>();
    for (const r of v.routes) {
      const k = trafficKey(r);
      const prev = byKey.get(k);
      if (prev && prev.policy.id !== r.policy.id) {
        out.push(
          at(r.policy, r.match?.pointer ?? r.pointer, {
            code: "rule/conflict",
            severity: "error",
            message: `${r.policy.id} and ${prev.policy.id} both route the same requests to ${v.namespace}/${v.service}${isCatchAll(r) ? " (every request)" : ""}; merge them into one policy or make their matches differ`,
            relatedPolicies: [prev.policy.id],
          }),
        );
      } else if (!prev) byKey.set(k, r);
    }
    // Subset settings set differently by two policies (per subset and kind).
    const perSubset = new Map<string, { policy: Entry<TrafficPolicy>; value: string; pointer: string }>();
    for (const p of v.trafficPolicies) {
      (p.doc.spec.subsetSettings ?? []).forEach((e, i) => {
        for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
          if (e[k] === undefined) continue;
          const key = `${canonicalJson(e.subset)}|${k}`;
          const value = canonicalJson(e[k]);
          const prev = perSubset.get(key);
          if (!prev) perSubset.set(key, { policy: p, value, pointer: `/spec/subsetSettings/${i}/${k}` });
          else if (prev.policy.id !== p.id && prev.value !== value) {
            out.push(
              at(p, `/spec/subsetSettings/${i}/${k}`, {
                code: "rule/conflict",
                severity: "error",
                message: `${k} of subset ${canonicalJson(e.subset)} of ${v.namespace}/${v.service} is set differently by ${prev.policy.id} and ${p.id}; set it in one policy`,
                relatedPolicies: [prev.policy.id],
              }),
            );
          }
        }
      });
    }
    // Destination-level settings set differently by two policies.
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer", "rateLimit", "failover"] as const) {
      const setters = v.trafficPolicies.filter((p) => p.doc.spec[k] !== undefined);
      for (const p of setters.slice(1)) {
        if (canonicalJson(p.doc.spec[k]) !== canonicalJson(setters[0].doc.spec[k])) {
          out.push(
            at(p, `/spec/${k}`, {
              code: "rule/conflict",
              severity: "error",
              message: `${k} of ${v.namespace}/${v.service} is set differently by ${setters[0].id} and ${p.id}; set it in one policy`,
              relatedPolicies: [setters[0].id],
            }),
          );
        }
      }
    }
  }
  denyAll(model, out);
  clusterReferences(model, out);
  requestAuthCrossRules(model, out);
  unknownDestinations(model, out);
  // MTLS: one policy per scope.
  const scopes = new Map<string, Entry<MTLSPolicy>>();
  for (const e of model.mtlsPolicies) {
    const d = e.doc.spec.destination;
    const mesh = policyScope(e) === "mesh";
    const scope = d ? `${d.namespace ?? e.namespace}/${d.service}` : mesh ? "*" : `${e.namespace}/*`;
    const prev = scopes.get(scope);
    if (prev)
      out.push(
        at(e, d ? "/spec/destination" : "/spec", {
          code: "rule/conflict",
          severity: "error",
          message: `${prev.id} and ${e.id} both set the mTLS mode of ${mesh ? "the whole mesh" : scope === `${e.namespace}/*` ? `namespace ${e.namespace}` : scope}; keep one`,
          relatedPolicies: [prev.id],
        }),
      );
    else scopes.set(scope, e);
  }
  void cmp;
}

/**
 * At most one VirtualMesh (rule/virtual-mesh), and every `split[].cluster` / `source.clusters` names one
 * of its members (rule/unknown-cluster): an unknown cluster would otherwise route nowhere, or admit no
 * one where the author meant someone.
 */
function clusterReferences(model: Model, out: Diagnostic[]): void {
  for (const e of model.virtualMeshes.slice(1)) {
    out.push(
      at(e, "", {
        code: "rule/virtual-mesh",
        severity: "error",
        message: `${e.id} is a second VirtualMesh (${model.virtualMeshes[0].id} is the first); the inputs describe one virtual mesh: merge their members`,
      }),
    );
  }
  const vm = model.virtualMesh;
  const names = vm ? vm.doc.spec.members.map((m) => m.name) : [];
  const check = (p: Entry<any>, name: string, pointer: string, star: boolean) => {
    if ((star && name === "*") || names.includes(name)) return;
    out.push(
      at(p, pointer, {
        code: "rule/unknown-cluster",
        severity: "error",
        message: vm
          ? `cluster "${name}" is not a member of VirtualMesh ${vm.id} (members: ${names.join(", ")})`
          : `cluster "${name}" names a member cluster of a virtual mesh, and the inputs hold no valid VirtualMesh; add one (kind: VirtualMesh, spec.members) or remove cluster`,
      }),
    );
  };
  for (const p of model.trafficPolicies) {
    (p.doc.spec.routes ?? []).forEach((r, i) =>
      (r.split ?? []).forEach((t, j) => {
        if (t.cluster !== undefined) check(p, t.cluster, `/spec/routes/${i}/split/${j}/cluster`, false);
      }),
    );
    (p.doc.spec.failover?.clusters ?? []).forEach((c, k) => check(p, c, `/spec/failover/clusters/${k}`, false));
  }
  // Failover needs outlier detection: it is what marks the local endpoints unhealthy.
  if (model.trafficPolicies.some((p) => p.doc.spec.failover)) {
    for (const v of model.destinations()) {
      if (!v.failover || v.outlierDetection) continue;
      out.push(
        at(v.failover.policy, v.failover.pointer, {
          code: "rule/failover-outlier-detection",
          severity: "error",
          message: `failover of ${v.namespace}/${v.service} sends requests to another cluster once outlier detection has ejected every local endpoint, and no policy sets outlierDetection for this destination (Istio ignores failover without it); add outlierDetection`,
        }),
      );
    }
  }
  for (const p of model.accessPolicies) {
    const s = p.doc.spec;
    const sources: [AccessSource | undefined, string][] = [[s.source, "/spec/source"]];
    for (const action of ["allow", "deny"] as const) (s[action] ?? []).forEach((r, i) => sources.push([r.source, `/spec/${action}/${i}/source`]));
    for (const [src, base] of sources) (src?.clusters ?? []).forEach((c, k) => check(p, c, `${base}/clusters/${k}`, true));
  }
}

export { ptr as pointer };
