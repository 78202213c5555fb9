/**
 * The contract between the import core (`./import.ts`) and each mesh's importer (the optional
 * {@link Adapter.import} hook): the native objects an importer receives, the facts it may use, the
 * bookkeeping of the fields it carries into the model, and how it reports. See `./import.ts` for the
 * diagnostic codes and what the core checks.
 */
import type { Severity } from "./diagnostics.js";
import { escapePointerToken } from "./diagnostics.js";
import type { MeshService, ServicePort, UnimeshDocument } from "./generated/model.js";
import { DEFAULT_NAMESPACE, canonicalJson, cmp } from "./model.js";

/** Where a native object was read: its file, document, and its place in that document. */
export interface NativeOrigin {
  /** Input file as given (`-` for stdin, `context/<name>` for objects read from a cluster). */
  readonly file: string;
  /** 0-based index of the YAML document in the file. */
  readonly documentIndex: number;
  /** JSON Pointer of the object in its document: `""`, or `/items/3` for an item of a `List`. */
  readonly pointer: string;
  /** For line numbers: the document's text and first line (absent for objects read from a cluster). */
  readonly text?: string;
  readonly startLine?: number;
}

/** A Kubernetes object as read (plain JSON data). */
export interface NativeKubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

/** One native Kubernetes object given to an importer. */
export interface NativeObject {
  readonly object: NativeKubeObject;
  readonly origin: NativeOrigin;
  /** `Kind/namespace/name` (the namespace defaulted), used in diagnostics. */
  readonly id: string;
  /** `metadata.namespace`, or the import's default namespace. */
  readonly namespace: string;
  readonly name: string;
  /** API group of `apiVersion` (`""` for the core group). */
  readonly group: string;
  readonly kind: string;
}

/** True for a plain mapping (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

// ------------------------------------------------------------------------------ facts

/**
 * The services an importer knows: MeshService documents given with the native objects (e.g. the output
 * of `unimesh discover`), else the model's conventions (selector `app: <name>`, service account
 * `<name>`, ports unknown).
 */
export class ImportFacts {
  private readonly byKey = new Map<string, MeshService>();
  private readonly retracted = new Set<string>();

  constructor(services: readonly MeshService[]) {
    for (const s of services) this.byKey.set(`${s.metadata.namespace ?? DEFAULT_NAMESPACE}/${s.metadata.name}`, s);
  }

  /**
   * Leaves a fact out of the imported documents: the importer found that this "service" is the mesh's
   * plumbing, not a service of its own (e.g. a Service App Mesh uses only to find a VirtualNode's pods).
   * Lookups still see it.
   */
  retract(namespace: string, name: string): void {
    this.retracted.add(`${namespace}/${name}`);
  }

  /** Every MeshService given and not retracted, sorted by namespace and name. */
  get services(): MeshService[] {
    return [...this.byKey.entries()]
      .filter(([k]) => !this.retracted.has(k))
      .map(([, s]) => s)
      .sort((a, b) => cmp(a.metadata.namespace ?? "", b.metadata.namespace ?? "") || cmp(a.metadata.name, b.metadata.name));
  }

  /** The MeshService of a service, when given. */
  declared(namespace: string, name: string): MeshService | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /** The pod selector of a service (declared, else `app: <name>`). */
  selector(namespace: string, name: string): Record<string, string> {
    return this.declared(namespace, name)?.spec.selector ?? { app: name };
  }

  /** The service account of a service's pods (declared, else its name). */
  serviceAccount(namespace: string, name: string): string {
    return this.declared(namespace, name)?.spec.serviceAccount ?? name;
  }

  /**
   * The service whose pods a workload selector picks: a declared MeshService of the namespace with
   * exactly these labels as selector (the first by name when several), else `{app: X}` alone → `X` (the
   * convention); undefined otherwise.
   */
  serviceBySelector(namespace: string, labels: Record<string, string>): string | undefined {
    const key = canonicalJson(labels);
    const found = this.services.filter(
      (s) => (s.metadata.namespace ?? DEFAULT_NAMESPACE) === namespace && canonicalJson(s.spec.selector ?? { app: s.metadata.name }) === key,
    );
    if (found.length) return found[0].metadata.name;
    const keys = Object.keys(labels);
    if (keys.length === 1 && keys[0] === "app" && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(labels.app)) {
      const declared = this.declared(namespace, labels.app);
      if (!declared || canonicalJson(declared.spec.selector ?? { app: labels.app }) === key) return labels.app;
    }
    return undefined;
  }

  /**
   * The pod label sets of the workloads running as a service account (the model's `workloadsOf`): the
   * selectors of the MeshServices whose service account it is, else `[{app: <sa>}]`.
   */
  workloadsOf(namespace: string, serviceAccount: string): Record<string, string>[] {
    const found = this.services
      .filter((s) => (s.metadata.namespace ?? DEFAULT_NAMESPACE) === namespace && (s.spec.serviceAccount ?? s.metadata.name) === serviceAccount)
      .map((s) => s.spec.selector ?? { app: s.metadata.name });
    return found.length ? found : [{ app: serviceAccount }];
  }

  /** The declared ports of a service, if any. */
  ports(namespace: string, name: string): ServicePort[] | undefined {
    return this.declared(namespace, name)?.spec.ports;
  }

  /**
   * The Service ports that reach a pod port: the declared ports whose `targetPort` (default: `port`) is
   * `podPort`; without declared ports, `[podPort]` (`declared: false`: assumed to be the same number,
   * which translation maps back to the same pod port).
   */
  servicePorts(namespace: string, name: string, podPort: number): { ports: number[]; declared: boolean } {
    const declared = this.ports(namespace, name);
    if (!declared) return { ports: [podPort], declared: false };
    return {
      ports: declared
        .filter((p) => (p.targetPort ?? p.port) === podPort)
        .map((p) => p.port)
        .sort((a, b) => a - b),
      declared: true,
    };
  }
}

// ------------------------------------------------------------------------------ field bookkeeping

/** How a field an importer left unread is reported (see {@link ImportContext.fields}). */
export interface LeftoverPolicy {
  /** @default "warning" */
  severity?: Severity;
  /** Why dropping it matters, ending the message. @default "the imported policies behave as if it were not set" */
  why?: string;
  /** @default "import/unsupported-field" */
  code?: ImportCode;
}

/**
 * The fields of one native object and which of them the importer carried into the model (or reported
 * itself). Pointers are relative to the object (`/spec/http/0/timeout`).
 */
export class NativeFields {
  private readonly used = new Set<string>();
  /** The object's own value. */
  readonly value: Record<string, unknown>;

  constructor(
    readonly native: NativeObject,
    readonly leftover: LeftoverPolicy,
  ) {
    this.value = native.object as unknown as Record<string, unknown>;
    // What every object has and no model document carries: its type, metadata (names are mapped by the
    // importer; server-set fields mean nothing here) and status.
    this.use("/apiVersion", "/kind", "/metadata", "/status");
  }

  /** Marks fields (and everything below them) as handled. */
  use(...pointers: string[]): void {
    for (const p of pointers) this.used.add(p);
  }

  /** The value at a pointer (undefined when absent), WITHOUT marking it. */
  get(pointer: string): unknown {
    return valueAt(this.value, pointer);
  }

  /** The value at a pointer, marked as handled. */
  take(pointer: string): unknown {
    this.use(pointer);
    return this.get(pointer);
  }

  /**
   * The fields no one handled: for each branch of the object, the highest field none of whose fields
   * were handled (so an unknown object is one entry, not one per leaf). Empty objects and arrays that
   * nothing handled count as fields too.
   */
  leftovers(): string[] {
    const out: string[] = [];
    const walk = (v: unknown, ptr: string): boolean => {
      if (this.used.has(ptr)) return true;
      if (v !== null && typeof v === "object") {
        const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
        const found: string[] = [];
        let any = false;
        for (const [k, x] of entries) {
          const p = `${ptr}/${escapePointerToken(k)}`;
          if (walk(x, p)) any = true;
          else found.push(p);
        }
        if (any || ptr === "") out.push(...found);
        return any;
      }
      return false;
    };
    walk(this.value, "");
    // A branch without anything handled below it is reported once, at its top: replace each found
    // pointer's descendants (walk returned false for them) by it, which the traversal above already did.
    return out.filter((p) => !this.used.has(p));
  }
}

/** The value at a JSON Pointer of a plain value, or undefined. */
export function valueAt(v: unknown, pointer: string): unknown {
  if (pointer === "") return v;
  let cur: unknown = v;
  for (const raw of pointer.slice(1).split("/")) {
    const t = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(t)) return undefined;
      cur = cur[Number(t)];
    } else {
      if (!Object.hasOwn(cur, t)) return undefined;
      cur = (cur as Record<string, unknown>)[t];
    }
  }
  return cur;
}

// ------------------------------------------------------------------------------ the contract

/** The diagnostic codes of import (see the module doc). */
export type ImportCode =
  | "import/unsupported-kind"
  | "import/unsupported-field"
  | "import/unsupported-value"
  | "import/looser"
  | "import/unresolved"
  | "import/invalid"
  | "import/conflict"
  | "import/route-order"
  | "import/mesh-default"
  | "import/generated"
  | "import/ignored";

/** One diagnostic an importer reports about a native object. */
export interface ImportReport {
  code: ImportCode;
  severity: Severity;
  /** What the native construct is, why the model cannot carry it as it is, and what to do. */
  message: string;
}

/** What an adapter's {@link Adapter.import} receives besides the objects. */
export interface ImportContext {
  /** The settings given (keys checked against the adapter's settings and `trustDomain`). */
  readonly settings: Readonly<Record<string, string>>;
  /** SPIFFE trust domain identities are read in (`--set trustDomain=...`). @default "cluster.local" */
  readonly trustDomain: string;
  /**
   * What to do with what the mesh does by default where its objects say nothing (e.g. Istio retries a
   * route without `retries` twice): `explicit` writes it into the model (info `import/mesh-default`), so
   * the imported policies behave the same on every mesh; `omit` leaves it out (a warning says what is
   * lost), for migrations that do not want to carry a mesh's implicit defaults (`--mesh-defaults omit`).
   * @default "explicit"
   */
  readonly meshDefaults: MeshDefaults;
  /** The services known from MeshService documents given with the objects, and the conventions. */
  readonly facts: ImportFacts;
  /**
   * Starts the bookkeeping of one object's fields: the importer marks what it carries (`use`, `take`);
   * whatever is left unmarked is reported when the importer returns, as `leftover` says. An object no
   * importer called this for is reported `import/unsupported-kind`, unless {@link ignore}d.
   */
  fields(o: NativeObject, leftover?: LeftoverPolicy): NativeFields;
  /** Reports a diagnostic about a field (`pointer`, relative to the object) of a native object. */
  report(o: NativeObject, pointer: string, d: ImportReport): void;
  /** Marks an object as deliberately not imported (reported by the importer itself, or irrelevant). */
  ignore(o: NativeObject): void;
}

/** See {@link ImportContext.meshDefaults}. */
export type MeshDefaults = "explicit" | "omit";

/** A document an importer produced, and the native objects it came from (for diagnostics). */
export interface ImportedDocument {
  doc: UnimeshDocument;
  from: readonly NativeObject[];
}

/** The native kinds an importer reads, as `unimesh import --context` lists them from a cluster. */
export interface NativeKind {
  /** API group, e.g. `networking.istio.io` (`""`: core). */
  readonly group: string;
  readonly kind: string;
}

/**
 * A mesh's importer, the optional `Adapter.importer` hook: native objects → unimesh documents, the reverse
 * of the adapter's `translate`. Pure and synchronous like `translate`.
 *
 * It receives every object that is not workload configuration (plus those of the core group it lists in
 * {@link kinds}, e.g. Linkerd's annotated Services). For each object it reads it calls `ctx.fields(o)` and
 * marks with `use`/`take` every field it carries into the model, so that the core reports the rest
 * (`import/unsupported-field`); an object it neither reads nor `ignore`s is reported
 * `import/unsupported-kind`. A native construct the model can only state more loosely (allowing more,
 * denying less) is an `import/looser` error, never a wider rule. Objects that unimesh generated
 * (`app.kubernetes.io/managed-by: unimesh` and `unimesh.io/policies`, see `generatedFrom`) are mapped back
 * to the policies they came from.
 */
export interface MeshImporter {
  /** The native kinds it reads, as `unimesh import --context` lists them from a cluster. */
  readonly kinds: readonly NativeKind[];
  /** @returns the documents and, for each, the native objects it came from (for diagnostics). */
  import(objects: readonly NativeObject[], ctx: ImportContext): ImportedDocument[];
}

// ------------------------------------------------------------------------------ values

/**
 * A native duration (Go `time.ParseDuration` / protobuf JSON: `1h2m3.5s`, `300ms`, `1.5s`, `250us`) in
 * milliseconds; `exact: false` when it had to be rounded up to a whole millisecond (the model's
 * smallest unit). Undefined when it is not a duration.
 */
export function nativeDurationMs(text: unknown): { ms: number; exact: boolean } | undefined {
  if (typeof text !== "string" || !text) return undefined;
  const re = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let pos = 0;
  let total = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  const rounded = Math.round(total * 1e6) / 1e6;
  return { ms: Math.max(1, Math.ceil(rounded)), exact: Number.isInteger(rounded) && rounded >= 1 };
}

/**
 * Relative weights (native route weights: Istio `route[].weight`, App Mesh `weightedTargets[].weight`) →
 * integer percents summing to 100, as the model's split weights are (largest remainder; ties to the first).
 */
export function percents(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (w * 100) / total);
  const out = raw.map(Math.floor);
  let left = 100 - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}
