/**
 * The adapter contract. An adapter turns a validated {@link Model} into one mesh's native resources.
 * Adapters are values passed explicitly (no registration by import side effect), pure, synchronous and
 * free of I/O. Third parties publish their own on npm; the CLI loads one with `--adapter <pkg|path>`
 * (the module's default export, or its named export `adapter`).
 */
import type { ClusterHooks } from "./cluster.js";
import type { Diagnostic, Severity } from "./diagnostics.js";
import type { Feature } from "./features.js";
import type { Entry, Model } from "./model.js";
import type { MeshImporter } from "./import-contract.js";

/** A Kubernetes object as emitted. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** How well a mesh version supports a feature. */
export interface Capability {
  /** `full`: as the model means it; `partial`: some fields or values not (see note); `none`: not at all. */
  support: "full" | "partial" | "none";
  /** What is missing or how it maps (shown in `unimesh meshes` and the README). */
  note?: string;
  /** The native resources/fields used, e.g. `VirtualService.http[].retries`. */
  via?: string;
}

/** Capabilities of one mesh version, for every feature. */
export type Capabilities = Record<Feature, Capability>;

/** A group of versions that behave alike, one column of the feature × mesh matrix. */
export interface VersionProfile {
  /** e.g. `2.16-2.20 (edge)`. */
  label: string;
  versions: readonly string[];
  /**
   * Settings the column assumes (`--set` values, e.g. Istio's `{ dataplane: "ambient" }`), passed to
   * `capabilities(version, settings)`. Omitted: the defaults.
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * One adapter setting (`--set name=value`, `TranslateOptions.settings`). The core refuses a key that is
 * neither one of the adapter's settings nor a {@link CORE_SETTINGS core setting} (a usage error, exit 2),
 * so an adapter never has to watch for misspelt keys; it validates the VALUES it reads.
 */
export interface AdapterSetting {
  /** The key, e.g. `meshName`. */
  readonly name: string;
  /** What it sets, for `unimesh meshes` and error messages. */
  readonly description: string;
  /** The value used when it is not set, as text (omitted: the description says what happens). */
  readonly default?: string;
}

/**
 * Settings every adapter accepts, applied by `translate()` itself (adapters read their effect from the
 * model): `trustDomain`, the SPIFFE trust domain of every identity adapters emit
 * (`spiffe://<trustDomain>/ns/<ns>/sa/<sa>`, Istio principals `<trustDomain>/ns/<ns>/sa/<sa>`, Linkerd
 * `<sa>.<ns>.serviceaccount.identity.linkerd.<trustDomain>`), given to adapters as `model.trustDomain`.
 */
export const CORE_SETTINGS: readonly AdapterSetting[] = [
  {
    name: "trustDomain",
    description:
      "SPIFFE trust domain of every identity the adapter emits (Istio meshConfig.trustDomain, Linkerd identityTrustDomain, the SPIRE trust domain of App Mesh)",
    default: "cluster.local",
  },
];

/** Options common to every adapter, set by the user. */
export interface TranslateOptions {
  /**
   * Looser translations the user accepts explicitly, by name (each adapter documents its own, e.g.
   * App Mesh's `service-level-access`). Without the opt-in, such a translation is an error.
   * @default []
   */
  allowApproximations?: string[];
  /** Identity of this set of policies, in the `unimesh.io/policy-set` label (used by `apply --prune`). @default "default" */
  policySet?: string;
  /**
   * Settings by name, e.g. `{ meshName: "bookinfo", trustDomain: "example.org" }`: the adapter's own
   * ({@link Adapter.settings}) and the {@link CORE_SETTINGS}. Any other key makes `translate()` throw a
   * UsageError.
   */
  settings?: Record<string, string>;
}

/** What an adapter's `translate` receives besides the model. */
export interface TranslateContext {
  /** The mesh version being targeted (one of `adapter.versions`). */
  version: string;
  options: Required<Pick<TranslateOptions, "allowApproximations" | "policySet">> & TranslateOptions;
  /**
   * Reports a diagnostic about part of a policy. `adapter` is filled in. Use for everything the mesh
   * cannot express: never drop a rule silently.
   */
  report(entry: Entry<any>, pointer: string, d: { code: string; severity: Severity; message: string; feature?: Feature; relatedPolicies?: string[] }): void;
  /** Reports a diagnostic not tied to one policy (e.g. a deprecation notice). */
  reportGlobal(d: Omit<Diagnostic, "adapter">): void;
  /** True when the user accepted the named approximation. */
  allows(approximation: string): boolean;
}

/** A mesh adapter. */
export interface Adapter {
  /** Name used in `--mesh NAME@VERSION`, e.g. `istio`. */
  readonly name: string;
  /** One line for `unimesh meshes`. */
  readonly description: string;
  /** Every version accepted, oldest first (e.g. `["1.22", ..., "1.30"]`). */
  readonly versions: readonly string[];
  /** The version used when none is given (normally the newest). */
  readonly defaultVersion: string;
  /** Column groups for the feature matrix. Default: one column for the default version. */
  readonly profiles?: readonly VersionProfile[];
  /**
   * Every API group the adapter may emit objects of (`networking.istio.io`; the core group `""` is
   * implied), in any version it supports. `apply --prune` lists objects of these groups as well as of
   * the groups generated now, so an object of a kind that is no longer generated at all is still found
   * and deleted. Without it, only the groups generated now are searched. A test checks that the shipped
   * adapters' goldens never emit outside their declared groups.
   */
  readonly apiGroups?: readonly string[];
  /**
   * What the cluster commands need to know about the mesh (all optional): who installs the CRDs of each
   * API group, the apply order of its kinds, how `discover` detects it, its system namespaces, and which
   * adapter version an installed version is (`--mesh auto`). See {@link ClusterHooks}.
   */
  readonly cluster?: ClusterHooks;
  /**
   * The settings the adapter reads from `ctx.options.settings` (besides the {@link CORE_SETTINGS}, which
   * the core applies). Omitted: none. `translate()` refuses any other key with a UsageError.
   */
  readonly settings?: readonly AdapterSetting[];
  /** Looser translations this adapter can make on request, with what each one gives up. */
  readonly approximations?: Readonly<Record<string, string>>;
  /**
   * What the given version can express. The core holds the adapter to it: a policy using a feature
   * declared `none` (or not declared) is an `adapter/unsupported-feature` error unless the adapter reported
   * about that use itself (`src/api/feature-use.ts`); `test/adapters/feature-contract.test.ts` checks the
   * shipped adapters' declarations against what they do on each feature's golden case.
   * `settings` are the translation's `--set` values (`TranslateOptions.settings`), for adapters whose
   * capabilities depend on one (Istio's `dataplane=ambient`); an adapter may ignore them.
   */
  capabilities(version: string, settings?: Readonly<Record<string, string>>): Capabilities;
  /** Translates the model. Pure and synchronous: reports through `ctx`, never throws on user input. */
  translate(model: Model, ctx: TranslateContext): KubeObject[];
  /**
   * The importer (`unimesh import --from <name>`): reads the mesh's native objects back into unimesh
   * documents, the reverse of `translate` (see {@link MeshImporter} and `src/api/import.ts`). Loaded on
   * demand, so translating never loads it: `importer: async () => (await import("./import/index.js")).importer`.
   * Omitted: the mesh cannot be imported.
   */
  readonly importer?: () => Promise<MeshImporter>;
}

/** Type guard used when loading third-party adapters. */
export function isAdapter(x: unknown): x is Adapter {
  const a = x as Adapter;
  return (
    !!a &&
    typeof a === "object" &&
    typeof a.name === "string" &&
    Array.isArray(a.versions) &&
    typeof a.defaultVersion === "string" &&
    typeof a.translate === "function" &&
    typeof a.capabilities === "function" &&
    (a.settings === undefined || (Array.isArray(a.settings) && a.settings.every((s) => !!s && typeof s.name === "string")))
  );
}
