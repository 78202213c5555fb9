/**
 * Import: a mesh's native objects → unimesh documents, the reverse of {@link translate}. The core of it:
 * reading native objects from YAML/JSON (Kubernetes `List`s unwrapped), the facts a mesh importer needs
 * (MeshService documents given with the objects, or the conventions), field bookkeeping so that nothing
 * is dropped silently, and the checks every imported result goes through (the documents validate as a
 * model, names are unique, nothing is output when anything is an error). Each mesh's importer is its
 * adapter's optional `Adapter.importer` hook (`src/adapters/<mesh>/import/`); this module names no mesh.
 *
 * Never silent: every field of every object the importer reads is either carried into the model
 * (`fields.use`) or reported. What an importer leaves unread is reported by the core as
 * `import/unsupported-field` (a warning, `--strict` makes it an error; an error where the importer says
 * dropping it would loosen access), and an object it does not read at all as `import/unsupported-kind`.
 *
 * Diagnostic codes (stable):
 * - `import/unsupported-kind`: a native kind the model has no equivalent for; the object is not imported.
 * - `import/unsupported-field`: a field the model cannot carry; the imported policies behave as if it
 *   were not set (warning), or dropping it would admit requests the native object denies (error).
 * - `import/unsupported-value`: a value the model cannot state exactly (a route or rule would select
 *   other requests or callers): error.
 * - `import/looser`: the closest model rule would allow more (or deny less) than the native object: error.
 * - `import/unresolved`: a reference that cannot be resolved (a selector no known service has, a
 *   subset no DestinationRule defines, a host outside the mesh): error.
 * - `import/invalid`: a malformed native object (missing or mistyped fields): error.
 * - `import/conflict`: native objects the mesh combines in a way the model does not (e.g. two
 *   VirtualServices for one host): warning or error.
 * - `import/route-order`: routes whose order the model's route table cannot reproduce: error.
 * - `import/mesh-default`: a default of the mesh written out explicitly in the model (e.g. Istio's two
 *   retries on a route without `retries`): info.
 * - `import/generated`: an object unimesh generated, mapped back to the policies it came from: info.
 * - `import/ignored`: objects that are not mesh configuration (Deployments, ConfigMaps...): info.
 * - plus the `schema/*` and `rule/*` diagnostics of the imported documents themselves (they must form
 *   a valid model), placed on the native object they came from.
 */
import { type Diagnostic, hasErrors, promoteWarnings, sortDiagnostics } from "./diagnostics.js";
import type { MeshService, UnimeshDocument } from "./generated/model.js";
import { DEFAULT_LIMITS, type LoadLimits, type SourceDocument, locatePointer, parseDocuments } from "./load.js";
import { DEFAULT_NAMESPACE, cmp } from "./model.js";
import {
  type ImportContext,
  type ImportReport,
  type ImportedDocument,
  ImportFacts,
  type MeshDefaults,
  type MeshImporter,
  type NativeObject,
  type NativeOrigin,
  NativeFields,
  isObject,
} from "./import-contract.js";

export * from "./import-contract.js";
import { API_VERSION, type TextInput, validateDocuments } from "./validate.js";
import { dumpYaml } from "./emit.js";

// ------------------------------------------------------------------------------ native objects

/** What {@link readNative} found in text inputs. */
export interface NativeInputs {
  /** Kubernetes objects (items of `List`s included), in input order. */
  objects: NativeObject[];
  /** unimesh documents among the inputs (MeshService facts and others), parsed but not validated. */
  unimesh: SourceDocument[];
  /** `yaml/*` and `input/*` problems. */
  diagnostics: Diagnostic[];
}

/** The API group of an apiVersion: `networking.istio.io/v1` → `networking.istio.io`, `v1` → `""`. */
export function apiGroup(apiVersion: string): string {
  const i = apiVersion.lastIndexOf("/");
  return i < 0 ? "" : apiVersion.slice(0, i);
}

/**
 * Reads native objects from text inputs: every YAML document that is a Kubernetes object (`apiVersion`
 * and `kind`), the items of `List` documents (`kubectl get -o yaml`), and unimesh documents apart.
 * @param defaultNamespace the namespace of objects without `metadata.namespace` (kubectl's `-n`).
 */
export function readNative(inputs: readonly TextInput[], defaultNamespace = DEFAULT_NAMESPACE, limits: LoadLimits = DEFAULT_LIMITS): NativeInputs {
  const out: NativeInputs = { objects: [], unimesh: [], diagnostics: [] };
  for (const input of inputs) {
    const parsed = parseDocuments(input.text, input.file, limits);
    out.diagnostics.push(...parsed.diagnostics);
    for (const d of parsed.documents) {
      const v = d.value as Record<string, unknown> | null;
      const where = (pointer: string) => {
        const pos = d.text ? locatePointer(d, pointer) : undefined;
        return { file: d.file, documentIndex: d.index, pointer, ...(pos ? { line: pos.line, column: pos.column } : {}) };
      };
      if (!isObject(v) || typeof v.apiVersion !== "string" || typeof v.kind !== "string") {
        out.diagnostics.push({
          ...where(""),
          code: "import/invalid",
          severity: "error",
          message: "not a Kubernetes object: a document must be a mapping with apiVersion and kind",
        });
        continue;
      }
      if (v.apiVersion.startsWith("unimesh.io/")) {
        out.unimesh.push(d);
        continue;
      }
      const origin = (pointer: string): NativeOrigin => ({ file: d.file, documentIndex: d.index, pointer, text: d.text, startLine: d.startLine });
      if (/List$/.test(v.kind) && Array.isArray(v.items)) {
        v.items.forEach((item, i) => {
          const o = nativeObject(item, origin(`/items/${i}`), defaultNamespace);
          if (o) out.objects.push(o);
          else
            out.diagnostics.push({
              ...where(`/items/${i}`),
              code: "import/invalid",
              severity: "error",
              message: "a List item must be a Kubernetes object (apiVersion, kind, metadata.name)",
            });
        });
        continue;
      }
      const o = nativeObject(v, origin(""), defaultNamespace);
      if (o) out.objects.push(o);
      else out.diagnostics.push({ ...where("/metadata"), code: "import/invalid", severity: "error", message: `${v.kind} without metadata.name` });
    }
  }
  return out;
}

/**
 * A native object from a plain value (e.g. an object listed from a cluster); undefined when it has no
 * apiVersion, kind or metadata.name.
 */
export function nativeObject(value: unknown, origin: NativeOrigin, defaultNamespace = DEFAULT_NAMESPACE): NativeObject | undefined {
  if (!isObject(value) || typeof value.apiVersion !== "string" || typeof value.kind !== "string") return undefined;
  const meta = value.metadata;
  if (!isObject(meta) || typeof meta.name !== "string" || !meta.name) return undefined;
  const namespace = typeof meta.namespace === "string" && meta.namespace ? meta.namespace : defaultNamespace;
  return {
    object: value as unknown as NativeObject["object"],
    origin,
    namespace,
    name: meta.name,
    id: `${value.kind}/${namespace}/${meta.name}`,
    group: apiGroup(value.apiVersion),
    kind: value.kind,
  };
}

/** Options of an import, set by the user. */
export interface ImportOptions {
  /** Settings by name: the adapter's own (`Adapter.settings`, e.g. Istio `clusterDomain`) and `trustDomain`. */
  settings?: Record<string, string>;
  /** Namespace of objects without `metadata.namespace`. @default "default" */
  defaultNamespace?: string;
  /** Mesh defaults written out or left out (`ImportContext.meshDefaults`). @default "explicit" */
  meshDefaults?: MeshDefaults;
}

// ------------------------------------------------------------------------------ running an import

/** Options of {@link importObjects}. */
export interface ImportRequest extends ImportOptions {
  /** The mesh's importer (`await adapter.importer()`). */
  importer: MeshImporter;
  /** The mesh's name, for diagnostics (`adapter.name`). */
  mesh: string;
  /** MeshService documents (facts) given with the objects. */
  services?: readonly MeshService[];
  /** Treat warnings as errors. @default false */
  strict?: boolean;
}

/** Result of an import. */
export interface ImportResult {
  /** The documents, sorted (namespace, kind, name); EMPTY when `ok` is false. MeshService facts given are included. */
  documents: UnimeshDocument[];
  /**
   * For each document (same index): the ids (`Kind/namespace/name`) of the native objects it was read
   * from, e.g. `["VirtualService/bookinfo/reviews", "DestinationRule/bookinfo/reviews"]` (empty for the
   * MeshService facts given). Live `inspect --applied` names them as the policies' origins.
   */
  from: string[][];
  diagnostics: Diagnostic[];
  ok: boolean;
}

/** Kinds in the order documents are written (facts first). */
const KIND_ORDER = ["MeshService", "MTLSPolicy", "RequestAuthentication", "AccessPolicy", "TrafficPolicy"];

/** Groups of the Kubernetes objects that are not mesh configuration (the core group's Service aside). */
const WORKLOAD_GROUPS = new Set([
  "",
  "apps",
  "extensions",
  "batch",
  "autoscaling",
  "policy",
  "rbac.authorization.k8s.io",
  "networking.k8s.io",
  "discovery.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
  "coordination.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
  "cert-manager.io",
]);

/**
 * Imports native objects with an adapter's importer: runs it, reports what it left unread, checks that
 * the documents form a valid model (their `schema/*` and `rule/*` problems placed on the native object
 * they came from), and makes names unique.
 */
export function importObjects(objects: readonly NativeObject[], req: ImportRequest): ImportResult {
  const { importer, mesh } = req;
  const settings = req.settings ?? {};
  const trustDomain = settings.trustDomain ?? "cluster.local";
  const facts = new ImportFacts(req.services ?? []);
  const diagnostics: Diagnostic[] = [];
  const trackers = new Map<NativeObject, NativeFields>();
  const ignored = new Set<NativeObject>();
  const report = (o: NativeObject, pointer: string, d: ImportReport) => diagnostics.push(nativeDiagnostic(o, pointer, d, mesh));
  const ctx: ImportContext = {
    settings,
    trustDomain,
    facts,
    meshDefaults: req.meshDefaults ?? "explicit",
    fields(o, leftover = {}) {
      let t = trackers.get(o);
      if (!t) trackers.set(o, (t = new NativeFields(o, leftover)));
      return t;
    },
    report,
    ignore: (o) => void ignored.add(o),
  };
  const reads = (o: NativeObject) => importer.kinds.some((k) => k.group === o.group && k.kind === o.kind);
  const mine = objects.filter((o) => reads(o) || !WORKLOAD_GROUPS.has(o.group));
  const others = objects.filter((o) => !mine.includes(o));
  const imported = importer.import(mine, ctx);

  // Never silent: what the importer left unread.
  for (const [o, t] of trackers) {
    if (ignored.has(o)) continue;
    for (const p of t.leftovers()) {
      const policy = t.leftover;
      report(o, p, {
        code: policy.code ?? "import/unsupported-field",
        severity: policy.severity ?? "warning",
        message: `${describeField(p)} has no equivalent in the unimesh model: ${policy.why ?? "the imported policies behave as if it were not set"}`,
      });
    }
  }
  for (const o of mine) {
    if (trackers.has(o) || ignored.has(o)) continue;
    report(o, "", {
      code: "import/unsupported-kind",
      severity: "warning",
      message: `${o.object.apiVersion} ${o.kind} is not something the ${mesh} importer reads: not imported`,
    });
  }
  const byKind = new Map<string, number>();
  for (const o of others) if (o.kind !== "Service") byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
  for (const [kind, n] of [...byKind].sort((a, b) => cmp(a[0], b[0]))) {
    diagnostics.push({ code: "import/ignored", severity: "info", message: `${n} ${kind} object${n === 1 ? "" : "s"}: not mesh configuration, ignored` });
  }

  const documents = uniqueNames(imported, (o, d) => report(o, "/metadata/name", d));
  documents.push(
    ...facts.services
      .filter(
        (s) =>
          !documents.some(
            (d) =>
              d.doc.kind === "MeshService" &&
              d.doc.metadata.name === s.metadata.name &&
              (d.doc.metadata.namespace ?? DEFAULT_NAMESPACE) === (s.metadata.namespace ?? DEFAULT_NAMESPACE),
          ),
      )
      .map((doc) => ({ doc, from: [] })),
  );
  documents.sort((a, b) => compareDocuments(a.doc, b.doc));
  // The documents must form a valid model; with errors already, they are incomplete (not validated).
  if (!hasErrors(diagnostics)) diagnostics.push(...validateImported(documents, trustDomain, mesh));

  let diags = sortDiagnostics(diagnostics);
  if (req.strict) diags = promoteWarnings(diags);
  const ok = !hasErrors(diags);
  return { documents: ok ? documents.map((d) => d.doc) : [], from: ok ? documents.map((d) => d.from.map((o) => o.id)) : [], diagnostics: diags, ok };
}

/** A diagnostic about a field of a native object, placed in its file. */
export function nativeDiagnostic(o: NativeObject, pointer: string, d: ImportReport, mesh?: string): Diagnostic {
  const full = o.origin.pointer + pointer;
  const pos =
    o.origin.text !== undefined && o.origin.startLine !== undefined ? locatePointer({ text: o.origin.text, startLine: o.origin.startLine }, full) : undefined;
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: o.origin.file,
    documentIndex: o.origin.documentIndex,
    pointer: full,
    ...(pos ? { line: pos.line, column: pos.column } : {}),
    policy: o.id,
    ...(mesh ? { adapter: mesh } : {}),
  };
}

/** `spec.http[0].timeout` for `/spec/http/0/timeout`. */
export function describeField(pointer: string): string {
  if (!pointer) return "the object";
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : acc ? `${acc}.${t}` : t), "");
}

/** Document order: namespace, kind (facts first), name. */
function compareDocuments(a: UnimeshDocument, b: UnimeshDocument): number {
  return (
    cmp(a.metadata.namespace ?? DEFAULT_NAMESPACE, b.metadata.namespace ?? DEFAULT_NAMESPACE) ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    cmp(a.metadata.name, b.metadata.name)
  );
}

/**
 * Names unique per kind and namespace: a second document of a name gets `-2`, `-3`... (an info on the
 * object it came from). Invalid names (not DNS-1123 labels) are made valid the same way.
 */
function uniqueNames(docs: readonly ImportedDocument[], report: (o: NativeObject, d: ImportReport) => void): ImportedDocument[] {
  const used = new Set<string>();
  const out: ImportedDocument[] = [];
  for (const d of docs) {
    const ns = d.doc.metadata.namespace ?? DEFAULT_NAMESPACE;
    const base = validName(d.doc.metadata.name);
    let name = base;
    for (let i = 2; used.has(`${d.doc.kind}/${ns}/${name}`); i++) name = `${base.slice(0, 60).replace(/-+$/, "")}-${i}`;
    used.add(`${d.doc.kind}/${ns}/${name}`);
    if (name !== d.doc.metadata.name) {
      if (d.from[0])
        report(d.from[0], {
          code: "import/conflict",
          severity: "info",
          message: `${d.doc.kind} ${ns}/${d.doc.metadata.name} is named ${name} (${name === base ? "a valid name" : "another document has that name"})`,
        });
      out.push({ ...d, doc: { ...d.doc, metadata: { ...d.doc.metadata, name } } as UnimeshDocument });
    } else out.push(d);
  }
  return out;
}

/** A DNS-1123 label made of a name (lower case, `-` for anything else, at most 63 characters). */
export function validName(name: string): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/-{2,}/g, "-");
  return (clean || "imported").slice(0, 63).replace(/-+$/, "");
}

/**
 * Validates the imported documents as a model; every `schema/*` / `rule/*` diagnostic is placed on the
 * native object the document came from (its message says which document and field).
 */
function validateImported(docs: readonly ImportedDocument[], trustDomain: string, mesh: string): Diagnostic[] {
  const sources: SourceDocument[] = docs.map((d, index) => ({ file: "<import>", index, startLine: 1, text: "", value: d.doc }));
  const v = validateDocuments(sources, { trustDomain });
  const out: Diagnostic[] = [];
  for (const d of v.diagnostics) {
    const doc = d.documentIndex !== undefined ? docs[d.documentIndex] : undefined;
    if (!doc) continue;
    const what = `imported ${doc.doc.kind} ${doc.doc.metadata.namespace ?? DEFAULT_NAMESPACE}/${doc.doc.metadata.name}${d.pointer ? ` ${describeField(d.pointer)}` : ""}: ${d.message}`;
    const from = doc.from[0];
    if (from) out.push({ ...nativeDiagnostic(from, "", { code: "import/invalid", severity: d.severity, message: what }, mesh), code: d.code });
    else out.push({ code: d.code, severity: d.severity, message: what, ...(d.policy ? { policy: d.policy } : {}) });
  }
  return out;
}

// ------------------------------------------------------------------------------ output

/** One YAML stream of documents (`---` separated), with a comment line at the top when given. */
export function documentsYaml(docs: readonly UnimeshDocument[], header?: string): string {
  return (header ? `# ${header}\n` : "") + docs.map((d) => "---\n" + dumpYaml(d)).join("");
}

/** The documents of each namespace (in document order), as `<namespace>.yaml` files. */
export function documentsByNamespace(docs: readonly UnimeshDocument[]): { namespace: string; documents: UnimeshDocument[] }[] {
  const byNs = new Map<string, UnimeshDocument[]>();
  for (const d of docs) {
    const ns = d.metadata.namespace ?? DEFAULT_NAMESPACE;
    let list = byNs.get(ns);
    if (!list) byNs.set(ns, (list = []));
    list.push(d);
  }
  return [...byNs].sort((a, b) => cmp(a[0], b[0])).map(([namespace, documents]) => ({ namespace, documents }));
}

/** Validated MeshService facts among unimesh documents given to an import (other kinds are reported and skipped). */
export function importFacts(docs: readonly SourceDocument[]): { services: MeshService[]; diagnostics: Diagnostic[] } {
  const v = validateDocuments([...docs]);
  const diagnostics = v.diagnostics.filter((d) => d.code !== "rule/unknown-destination");
  for (const d of docs) {
    const kind = (d.value as { kind?: unknown }).kind;
    if (kind !== "MeshService" && kind !== "ClusterInfo") {
      diagnostics.push({
        code: "import/ignored",
        severity: "info",
        file: d.file,
        documentIndex: d.index,
        message: `a unimesh ${String(kind)} among the inputs: only MeshService documents (facts) are read by import; ignored`,
      });
    }
  }
  return { services: v.model.services.map((e) => e.doc), diagnostics };
}

export { API_VERSION };
