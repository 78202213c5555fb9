/**
 * What every Istio feature module receives: the model, the translate context, the target version,
 * host naming, and a short way to report diagnostics.
 */
import type { AdapterSetting, TranslateContext } from "../../api/adapter.js";
import type { Entry, Model } from "../../api/model.js";
import { isDnsSubdomain, serviceHost } from "../../api/names.js";
import { type Finding, Reporter, adapterCode } from "../shared/report.js";
import { type VersionedField, hasField } from "./versions.js";

/** Values of `meshConfig.pathNormalization.normalization` (`DEFAULT` is `BASE`); see features/pathNormalization.ts. */
export const PATH_NORMALIZATIONS = ["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES", "NONE"] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];

/** Per-translation context shared by the translator and the feature modules. */
export interface IstioContext {
  readonly model: Model;
  readonly ctx: TranslateContext;
  /** Target minor, e.g. `1.30`. */
  readonly version: string;
  /** Kubernetes cluster DNS domain of service hosts. @default "cluster.local" */
  readonly clusterDomain: string;
  /** Istio's root namespace (meshConfig.rootNamespace): policies there apply mesh-wide. @default "istio-system" */
  readonly rootNamespace: string;
  /** The mesh's `meshConfig.pathNormalization.normalization` (features/pathNormalization.ts). @default "BASE" */
  readonly pathNormalization: PathNormalization;
  /** FQDN of a service: `<name>.<namespace>.svc.<clusterDomain>`. */
  host(name: string, namespace: string): string;
  /** True when the target version's CRD has the field. */
  has(field: VersionedField): boolean;
  /** Reports a finding about a field of a policy (src/adapters/shared/report.ts), each once. */
  report(entry: Entry<any>, pointer: string, finding: Finding): void;
}

/** Adapter settings (`TranslateOptions.settings`) understood by the Istio adapter (besides the core `trustDomain`). */
export const ISTIO_SETTINGS: readonly AdapterSetting[] = [
  { name: "clusterDomain", description: "Kubernetes cluster DNS domain used in service hosts (`<svc>.<ns>.svc.<clusterDomain>`)", default: "cluster.local" },
  { name: "rootNamespace", description: "Istio's root namespace (meshConfig.rootNamespace), where policies apply to the whole mesh", default: "istio-system" },
  { name: "pathNormalization", description: `The mesh's meshConfig.pathNormalization.normalization (${PATH_NORMALIZATIONS.join(", ")}): what Istio's proxies do to request paths, so that unimesh can say which requests could get past a path rule`, default: "BASE" },
];

/** Builds the context of one translation. */
export function createContext(model: Model, ctx: TranslateContext): IstioContext {
  let clusterDomain = ctx.options.settings?.clusterDomain ?? "cluster.local";
  if (!isDnsSubdomain(clusterDomain)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.clusterDomain"), severity: "error",
      message: `setting clusterDomain "${clusterDomain}" is not a DNS subdomain; use e.g. cluster.local`,
    });
    clusterDomain = "cluster.local";
  }
  const rootNamespace = ctx.options.settings?.rootNamespace ?? "istio-system";
  let pathNormalization = (ctx.options.settings?.pathNormalization ?? "BASE").toUpperCase().replace(/^DEFAULT$/, "BASE") as PathNormalization;
  if (!PATH_NORMALIZATIONS.includes(pathNormalization)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.pathNormalization"), severity: "error",
      message: `setting pathNormalization "${ctx.options.settings?.pathNormalization}" is not one of ${PATH_NORMALIZATIONS.join(", ")} (meshConfig.pathNormalization.normalization)`,
    });
    pathNormalization = "BASE";
  }
  // Said once: the same finding can be reached from several destinations (e.g. services sharing pods).
  const reporter = new Reporter(ctx);
  return {
    model, ctx, version: ctx.version, clusterDomain, rootNamespace, pathNormalization,
    host: (name, namespace) => serviceHost(name, namespace, clusterDomain),
    has: (field) => hasField(ctx.version, field),
    report: (entry, pointer, finding) => reporter.report(entry, pointer, finding),
  };
}
