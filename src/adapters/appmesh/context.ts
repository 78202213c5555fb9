/**
 * What every part of the App Mesh translation shares: the model, the translate context, a reporter
 * that never reports the same thing twice, the adapter settings, and duration conversion.
 */
import type { AdapterSetting, TranslateContext } from "../../api/adapter.js";
import type { Severity } from "../../api/diagnostics.js";
import { durationUnitValue, parseDuration } from "../../api/duration.js";
import type { Feature } from "../../api/features.js";
import type { Entry, Model } from "../../api/model.js";
import { isDnsLabel, isDnsSubdomain } from "../../api/names.js";
import { ReportOnce } from "../shared/report-once.js";
import type { AmDuration } from "./resources.js";

/** App Mesh applies this per-request timeout to HTTP, HTTP/2 and gRPC routes and listeners without one (`HttpTimeout.perRequest`). */
export const APPMESH_DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Envoy's base retry back-off, which App Mesh does not let you change. */
export const ENVOY_DEFAULT_BACKOFF_MS = 25;

/** Name of the looser access translation a user may opt into. */
export const SERVICE_LEVEL_ACCESS = "service-level-access";

/**
 * Name of the looser access translation a user may opt into: an AccessPolicy that admits only some
 * callers, on a destination that does not accept only mutual TLS (pods without an App Mesh sidecar
 * reach it in plaintext, unchecked).
 */
export const CALLER_SIDE_ACCESS = "caller-side-access";

/** Name of the looser connection-pool translation a user may opt into. */
export const CONNECTION_POOL_PER_INSTANCE = "connection-pool-per-instance";

/**
 * Adapter settings (`--set key=value`, `TranslateOptions.settings`).
 * - `meshName`: name of the cluster-scoped Mesh and value of the `mesh` namespace label. @default "unimesh"
 * - `clusterDomain`: DNS suffix of Services. @default "cluster.local"
 * - `egressFilter`: `ALLOW_ALL` or `DROP_ALL`. @default `DROP_ALL` when the model has an AccessPolicy, else `ALLOW_ALL`
 */
export interface AppMeshSettings {
  meshName: string;
  clusterDomain: string;
  egressFilter?: "ALLOW_ALL" | "DROP_ALL";
}

/** The settings this adapter reads (the core refuses any other key; `trustDomain` is a core setting). */
export const APPMESH_SETTINGS: readonly AdapterSetting[] = [
  { name: "meshName", description: "name of the cluster-scoped Mesh and value of the namespaces' `mesh` label", default: "unimesh" },
  { name: "clusterDomain", description: "DNS suffix of Services (`<svc>.<ns>.svc.<clusterDomain>`)", default: "cluster.local" },
  { name: "egressFilter", description: "Mesh.spec.egressFilter.type, ALLOW_ALL or DROP_ALL. Default: DROP_ALL when the model has an AccessPolicy, else ALLOW_ALL" },
];


/** Shared state of one translation. */
export class Tx {
  /** `App Mesh 1.13`: how diagnostics name the mesh version. */
  readonly mesh: string;
  readonly settings: AppMeshSettings;
  /** What was reported (each thing once). */
  private readonly reported = new ReportOnce();
  private readonly durations = new Map<string, number | undefined>();
  /** `spiffe://<trustDomain>`: the trust bundle every VirtualNode validates against (features/mtls.ts). */
  readonly trustBundle: string;

  constructor(readonly model: Model, readonly ctx: TranslateContext) {
    this.mesh = `App Mesh ${ctx.version}`;
    this.settings = readSettings(ctx);
    this.trustBundle = `spiffe://${model.trustDomain}`;
  }

  /** Reports once per (policy, pointer, code, message). */
  report(entry: Entry<any>, pointer: string, severity: Severity, code: string, feature: Feature | undefined, message: string, related?: string[]): void {
    if (!this.reported.first(entry.id, pointer, code, message)) return;
    // `{ code, severity, message, ...(feature ? { feature } : {}), ...(related?.length ? { relatedPolicies: related } : {}) }`,
    // key order included, without the temporary objects (thousands of reports on large inputs).
    const d: Parameters<TranslateContext["report"]>[2] = { code, severity, message };
    if (feature) d.feature = feature;
    if (related?.length) d.relatedPolicies = related;
    this.ctx.report(entry, pointer, d);
  }

  /**
   * `parseDuration(text)`, memoized per text: policies repeat the same few durations (`500ms`, `2s`)
   * across thousands of routes, and several features read the same field.
   */
  parseMs(text: string): number | undefined {
    let ms = this.durations.get(text);
    if (ms === undefined && !this.durations.has(text)) {
      ms = parseDuration(text);
      this.durations.set(text, ms);
    }
    return ms;
  }

  /** `adapter/unsupported-feature`, error: the mesh has no such feature. */
  unsupportedFeature(entry: Entry<any>, pointer: string, feature: Feature, message: string): void {
    this.report(entry, pointer, "error", "adapter/unsupported-feature", feature, message);
  }

  /** `adapter/unsupported-value`, error by default: the feature exists, this value does not. */
  unsupportedValue(entry: Entry<any>, pointer: string, feature: Feature, message: string, severity: Severity = "error"): void {
    this.report(entry, pointer, severity, "adapter/unsupported-value", feature, message);
  }

  /**
   * A model duration (milliseconds) as App Mesh's `{unit, value}` (`s` when whole seconds, else `ms`).
   * App Mesh counts whole milliseconds: a fractional millisecond is an `adapter/unsupported-value` error.
   */
  duration(ms: number, entry: Entry<any>, pointer: string, feature: Feature): AmDuration | undefined {
    if (!Number.isInteger(ms)) {
      this.unsupportedValue(entry, pointer, feature, `${pointer.split("/").pop()}: ${this.mesh} durations are whole milliseconds ({unit: ms, value}); round ${ms}ms to a whole number of milliseconds`);
      return undefined;
    }
    return durationUnitValue(ms);
  }
}

function readSettings(ctx: TranslateContext): AppMeshSettings {
  const s = ctx.options.settings ?? {};
  const meshName = s.meshName ?? "unimesh";
  const clusterDomain = s.clusterDomain ?? "cluster.local";
  const out: AppMeshSettings = { meshName: isDnsLabel(meshName) ? meshName : "unimesh", clusterDomain };
  if (!isDnsLabel(meshName)) {
    ctx.reportGlobal({ code: "adapter/unsupported-value", severity: "error", message: `setting meshName "${meshName}" must be a DNS-1123 label (it names the Mesh and is the value of the namespaces' mesh label)` });
  }
  if (!isDnsSubdomain(clusterDomain)) {
    ctx.reportGlobal({ code: "adapter/unsupported-value", severity: "error", message: `setting clusterDomain "${clusterDomain}" must be a DNS name such as cluster.local` });
  }
  if (s.egressFilter !== undefined) {
    const v = s.egressFilter.toUpperCase();
    if (v === "ALLOW_ALL" || v === "DROP_ALL") out.egressFilter = v;
    else ctx.reportGlobal({ code: "adapter/unsupported-value", severity: "error", message: `setting egressFilter "${s.egressFilter}" must be ALLOW_ALL or DROP_ALL (Mesh.spec.egressFilter.type)` });
  }
  return out;
}
