/**
 * What every Istio feature module receives: the model, the translate context, the target version,
 * host naming, and a short way to report diagnostics.
 */
import type { AdapterSetting, TranslateContext } from "../../api/adapter.js";
import type { Entry, Model } from "../../api/model.js";
import { isDnsLabel, isDnsSubdomain, serviceHost } from "../../api/names.js";
import { type Finding, Reporter, adapterCode } from "../shared/report.js";
import { type VersionedField, hasField } from "./versions.js";

/** Values of `meshConfig.pathNormalization.normalization` (`DEFAULT` is `BASE`); see features/pathNormalization.ts. */
export const PATH_NORMALIZATIONS = ["BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES", "NONE"] as const;
export type PathNormalization = (typeof PATH_NORMALIZATIONS)[number];

/**
 * Istio's data planes (`--set dataplane=...`): `sidecar` (an Envoy sidecar per pod, the default) or
 * `ambient` (ztunnel per node for L4, waypoint proxies for L7; see ambient/index.ts).
 */
export const DATAPLANES = ["sidecar", "ambient"] as const;
export type Dataplane = (typeof DATAPLANES)[number];

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
  /** The data plane the output is for (`dataplane` setting). @default "sidecar" */
  readonly dataplane: Dataplane;
  /** Ambient: the name of the waypoint `Gateway` unimesh emits in a namespace that needs one (`waypointName` setting). @default "waypoint" */
  readonly waypointName: string;
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
  {
    name: "dataplane",
    description:
      "Istio's data plane: sidecar (an Envoy sidecar in every pod) or ambient (ztunnel enforces L4 access; L7 features need a waypoint). Ambient needs Istio 1.22+ (beta in 1.22-1.23, GA from 1.24)",
    default: "sidecar",
  },
  {
    name: "waypointName",
    description:
      "Ambient mode: the name of the waypoint Gateway (gatewayClassName istio-waypoint) unimesh emits in each namespace where L7 policy needs one; also its service account (the identity ztunnel admits)",
    default: "waypoint",
  },
  {
    name: "channel",
    description:
      "Ambient mode: the Gateway API release channel of the cluster's CRDs, which waypoint routes (HTTPRoute, GRPCRoute) are written for: standard or experimental (adds HTTPRoute rules[].retry, read by waypoints from Istio 1.25)",
    default: "standard",
  },
  {
    name: "pathNormalization",
    description: `The mesh's meshConfig.pathNormalization.normalization (${PATH_NORMALIZATIONS.join(", ")}): what Istio's proxies do to request paths, so that unimesh can say which requests could get past a path rule`,
    default: "BASE",
  },
];

/** Builds the context of one translation. */
export function createContext(model: Model, ctx: TranslateContext): IstioContext {
  let clusterDomain = ctx.options.settings?.clusterDomain ?? "cluster.local";
  if (!isDnsSubdomain(clusterDomain)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.clusterDomain"),
      severity: "error",
      message: `setting clusterDomain "${clusterDomain}" is not a DNS subdomain; use e.g. cluster.local`,
    });
    clusterDomain = "cluster.local";
  }
  const rootNamespace = ctx.options.settings?.rootNamespace ?? "istio-system";
  let pathNormalization = (ctx.options.settings?.pathNormalization ?? "BASE").toUpperCase().replace(/^DEFAULT$/, "BASE") as PathNormalization;
  if (!PATH_NORMALIZATIONS.includes(pathNormalization)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.pathNormalization"),
      severity: "error",
      message: `setting pathNormalization "${ctx.options.settings?.pathNormalization}" is not one of ${PATH_NORMALIZATIONS.join(", ")} (meshConfig.pathNormalization.normalization)`,
    });
    pathNormalization = "BASE";
  }
  const dataplane = dataplaneOf(ctx);
  let waypointName = ctx.options.settings?.waypointName ?? "waypoint";
  if (!isDnsLabel(waypointName)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.waypointName"),
      severity: "error",
      message: `setting waypointName "${waypointName}" is not a DNS-1123 label (a Gateway and service account name); use e.g. waypoint`,
    });
    waypointName = "waypoint";
  }
  // Said once: the same finding can be reached from several destinations (e.g. services sharing pods).
  const reporter = new Reporter(ctx);
  return {
    model,
    ctx,
    version: ctx.version,
    clusterDomain,
    rootNamespace,
    pathNormalization,
    dataplane,
    waypointName,
    host: (name, namespace) => serviceHost(name, namespace, clusterDomain),
    has: (field) => hasField(ctx.version, field),
    report: (entry, pointer, finding) => reporter.report(entry, pointer, finding),
  };
}

/**
 * The `dataplane` setting: `sidecar` (default) or `ambient`; any other value is an error (sidecar is
 * used, so translation goes on and reports everything at once). Ambient is beta in Istio 1.22 and 1.23
 * ("ambient mode ... is now Beta", https://istio.io/latest/news/releases/1.22.x/announcing-1.22/) and GA
 * from 1.24 (https://istio.io/latest/news/releases/1.24.x/announcing-1.24/): for 1.22-1.23 a warning
 * says so. Older releases (alpha ambient, 1.18-1.21) are not versions of this adapter at all
 * (`ISTIO_VERSIONS` starts at 1.22), so `--mesh istio@1.21` is refused before this is read.
 */
function dataplaneOf(ctx: TranslateContext): Dataplane {
  const raw = ctx.options.settings?.dataplane ?? "sidecar";
  if (!(DATAPLANES as readonly string[]).includes(raw)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.dataplane"),
      severity: "error",
      message: `setting dataplane "${raw}" is not an Istio data plane; use ${DATAPLANES.join(" or ")}`,
    });
    return "sidecar";
  }
  const dataplane = raw as Dataplane;
  if (dataplane === "ambient" && !ambientIsGa(ctx.version)) {
    ctx.reportGlobal({
      code: adapterCode("note", undefined, "settings.dataplane"),
      severity: "warning",
      message: `Istio ${ctx.version} ships ambient mode as Beta (GA from Istio 1.24): ztunnel and waypoint APIs may still change; prefer Istio 1.24 or later for production`,
    });
  }
  return dataplane;
}

/** True from Istio 1.24, where ambient mode is GA. */
export function ambientIsGa(version: string): boolean {
  const [major, minor] = version.split(".").map(Number);
  return major > 1 || (major === 1 && minor >= 24);
}
