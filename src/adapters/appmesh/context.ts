/**
 * What every part of the App Mesh translation shares: the model, the translate context, a reporter
 * that never reports the same thing twice, the adapter settings, and duration conversion.
 */
import type { AdapterSetting, TranslateContext } from "../../api/adapter.js";
import { durationUnitValue, parseDuration } from "../../api/duration.js";
import type { Feature } from "../../api/features.js";
import type { Entry, Model } from "../../api/model.js";
import { isDnsLabel, isDnsSubdomain } from "../../api/names.js";
import { type Finding, Reporter, adapterCode } from "../shared/report.js";
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
  {
    name: "egressFilter",
    description: "Mesh.spec.egressFilter.type, ALLOW_ALL or DROP_ALL. Default: DROP_ALL when the model has an AccessPolicy, else ALLOW_ALL",
  },
];

/** Shared state of one translation. */
export class Tx {
  /** `App Mesh 1.13`: how diagnostics name the mesh version. */
  readonly mesh: string;
  readonly settings: AppMeshSettings;
  /** Reports each (policy, pointer, code, message) once. */
  private readonly reporter: Reporter;
  private readonly durations = new Map<string, number | undefined>();
  /** `spiffe://<trustDomain>`: the trust bundle every VirtualNode validates against (features/mtls.ts). */
  readonly trustBundle: string;

  constructor(
    readonly model: Model,
    readonly ctx: TranslateContext,
  ) {
    this.mesh = `App Mesh ${ctx.version}`;
    this.settings = readSettings(ctx);
    this.trustBundle = `spiffe://${model.trustDomain}`;
    this.reporter = new Reporter(ctx);
  }

  /** Reports a finding about a field of a policy (src/adapters/shared/report.ts), each once. */
  report(entry: Entry<any>, pointer: string, finding: Finding): void {
    this.reporter.report(entry, pointer, finding);
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

  /**
   * A model duration (milliseconds) as App Mesh's `{unit, value}` (`s` when whole seconds, else `ms`).
   * App Mesh counts whole milliseconds: a fractional millisecond is an `adapter/unsupported-value` error.
   */
  duration(ms: number, entry: Entry<any>, pointer: string, feature: Feature): AmDuration | undefined {
    if (!Number.isInteger(ms)) {
      this.report(entry, pointer, {
        feature: feature,
        kind: "unsupported-value",
        what: "fractional-ms",
        severity: "error",
        message: `${pointer.split("/").pop()}: ${this.mesh} durations are whole milliseconds ({unit: ms, value}); round ${ms}ms to a whole number of milliseconds`,
      });
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
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.meshName"),
      severity: "error",
      message: `setting meshName "${meshName}" must be a DNS-1123 label (it names the Mesh and is the value of the namespaces' mesh label)`,
    });
  }
  if (!isDnsSubdomain(clusterDomain)) {
    ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.clusterDomain"),
      severity: "error",
      message: `setting clusterDomain "${clusterDomain}" must be a DNS name such as cluster.local`,
    });
  }
  if (s.egressFilter !== undefined) {
    const v = s.egressFilter.toUpperCase();
    if (v === "ALLOW_ALL" || v === "DROP_ALL") out.egressFilter = v;
    else
      ctx.reportGlobal({
        code: adapterCode("unsupported-value", undefined, "settings.egressFilter"),
        severity: "error",
        message: `setting egressFilter "${s.egressFilter}" must be ALLOW_ALL or DROP_ALL (Mesh.spec.egressFilter.type)`,
      });
  }
  return out;
}
