/**
 * What every Linkerd feature module receives: the model, the translate context, the facts of the target
 * version, the cluster domain, and a report function that says each thing once.
 */
import type { AdapterSetting, KubeObject, TranslateContext } from "../../api/adapter.js";
import type { Entry, Model } from "../../api/model.js";
import { isDnsSubdomain } from "../../api/names.js";
import { type Finding, Reporter, adapterCode } from "../shared/report.js";
import { type VersionFacts, versionFacts } from "./versions.js";

/** Adapter settings (`TranslateOptions.settings`) understood by the Linkerd adapter (besides the core `trustDomain`). */
export const LINKERD_SETTINGS: readonly AdapterSetting[] = [
  {
    name: "clusterDomain",
    description: "Kubernetes cluster DNS domain, used in ServiceProfile names (`<svc>.<ns>.svc.<clusterDomain>`, Linkerd 2.14-2.15)",
    default: "cluster.local",
  },
];

/**
 * Looser translations the Linkerd adapter makes only when the user opts in by name
 * (`allowApproximations`). Without the opt-in each is an error.
 */
export const LINKERD_APPROXIMATIONS = {
  "unbounded-ejection":
    "outlierDetection.maxEjectionPercent (default 10) is dropped: Linkerd's failure accrual has no cap and may mark every endpoint of a Service unavailable at once.",
  "header-lines":
    "access rules on headers: linkerd2-proxy matches each line of a repeated header on its own, where the model sees the lines joined by commas (an allow rule also admits a request with another line of that header beside an allowed one).",
  "retry-budget":
    "Linkerd 2.14-2.15: retries.attempts is replaced by the ServiceProfile retry budget (retries limited to 20% extra load plus 10/s, not to a number of attempts per request).",
} as const;

/** Per-translation context shared by the translator and the feature modules. */
export interface LinkerdContext {
  readonly model: Model;
  readonly ctx: TranslateContext;
  /** Target minor, e.g. `2.20`. */
  readonly version: string;
  readonly facts: VersionFacts;
  /** @default "cluster.local" */
  readonly clusterDomain: string;
  /** Reports a finding about a field of a policy (src/adapters/shared/report.ts); the same (policy, pointer, code, message) once. */
  report(entry: Entry<any>, pointer: string, finding: Finding): void;
  /** Objects emitted so far. */
  readonly out: KubeObject[];
  /** Adds an object, merging it into an earlier one with the same identity (`merge` decides how). */
  emit(obj: KubeObject): void;
}

/** Builds the context of one translation. */
export function createContext(model: Model, ctx: TranslateContext): LinkerdContext {
  let clusterDomain = ctx.options.settings?.clusterDomain ?? "cluster.local";
  if (!isDnsSubdomain(clusterDomain)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.clusterDomain"),
      severity: "error",
      message: `setting clusterDomain "${clusterDomain}" is not a DNS subdomain; use e.g. cluster.local`,
    });
    clusterDomain = "cluster.local";
  }
  const reporter = new Reporter(ctx);
  const out: KubeObject[] = [];
  return {
    model,
    ctx,
    version: ctx.version,
    facts: versionFacts(ctx.version),
    clusterDomain,
    out,
    report: (entry, pointer, finding) => reporter.report(entry, pointer, finding),
    emit(obj) {
      out.push(obj);
    },
  };
}
