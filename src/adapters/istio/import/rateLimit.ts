/**
 * EnvoyFilter (`networking.istio.io/v1alpha3`, istio/api `networking/v1alpha3/envoy_filter.proto`) → the
 * model's `rateLimit`, for the one shape that is a local rate limit (the adapter's features/rateLimit.ts,
 * and Istio's "Enabling Rate Limits using Envoy" task): a `workloadSelector` picking a service's pods and
 * one `HTTP_FILTER` patch in `SIDECAR_INBOUND` inserting `envoy.filters.http.local_ratelimit` with a
 * `token_bucket` {max_tokens, tokens_per_fill, fill_interval} enabled and enforced for 100 % of requests →
 * `rateLimit` {requestsPerSecond: tokens_per_fill per fill_interval, burst: max_tokens}.
 *
 * Any other EnvoyFilter patches Envoy's configuration in ways the model cannot describe: it is not imported
 * (a warning asks to review it, since it may also change security, e.g. an RBAC filter).
 */
import type { RateLimit } from "../../../api/generated/model.js";
import { type NativeObject, isObject, nativeDurationMs } from "../../../api/import-contract.js";
import { type IstioImport, type ServiceRef, report } from "./context.js";

/** A local rate limit read from an EnvoyFilter. */
export interface ImportedRateLimit {
  native: NativeObject;
  service: ServiceRef;
  rateLimit: RateLimit;
}

const LOCAL_RATE_LIMIT = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";

/** Reads the EnvoyFilters that are local rate limits; reports the others. */
export function rateLimits(ii: IstioImport, objects: readonly NativeObject[]): ImportedRateLimit[] {
  const out: ImportedRateLimit[] = [];
  for (const o of objects) {
    const got = localRateLimit(ii, o);
    if (typeof got === "string") {
      ii.ctx.ignore(o);
      report(
        ii,
        o,
        "",
        "warning",
        "import/unsupported-kind",
        `EnvoyFilter patches Envoy's configuration directly, which the model cannot describe (${got}): not imported; review what it does (it may also allow or deny requests)`,
      );
      continue;
    }
    ii.ctx.fields(o).use("/spec");
    out.push(got);
  }
  return out;
}

function localRateLimit(ii: IstioImport, o: NativeObject): ImportedRateLimit | string {
  const spec = o.object.spec;
  if (!isObject(spec)) return "no spec";
  const keys = Object.keys(spec).sort().join(",");
  if (keys !== "configPatches,workloadSelector") return "not a local rate limit (only workloadSelector and configPatches are read)";
  const labels = isObject(spec.workloadSelector) ? spec.workloadSelector.labels : undefined;
  const svcName = isObject(labels) ? ii.ctx.facts.serviceBySelector(o.namespace, labels as Record<string, string>) : undefined;
  if (!svcName) return "its workloadSelector picks no service the import knows";
  const patches = spec.configPatches;
  if (!Array.isArray(patches) || patches.length !== 1 || !isObject(patches[0])) return "not one config patch";
  const p = patches[0];
  const m = isObject(p.match) ? p.match : {};
  const v = isObject(p.patch) && isObject(p.patch.value) ? p.patch.value : {};
  const tc = isObject(v.typed_config) ? v.typed_config : {};
  if (p.applyTo !== "HTTP_FILTER" || m.context !== "SIDECAR_INBOUND" || v.name !== "envoy.filters.http.local_ratelimit" || tc["@type"] !== LOCAL_RATE_LIMIT) {
    return "not the envoy.filters.http.local_ratelimit HTTP filter of SIDECAR_INBOUND";
  }
  const full = (x: unknown) =>
    isObject(x) && isObject(x.default_value) && x.default_value.numerator === 100 && (x.default_value.denominator ?? "HUNDRED") === "HUNDRED";
  if (!full(tc.filter_enabled) || !full(tc.filter_enforced)) return "a local rate limit not enabled and enforced for every request";
  const allowed = new Set(["@type", "stat_prefix", "token_bucket", "filter_enabled", "filter_enforced"]);
  const extra = Object.keys(tc).filter((k) => !allowed.has(k));
  if (extra.length) return `a local rate limit with ${extra.join(", ")}`;
  const b = isObject(tc.token_bucket) ? tc.token_bucket : {};
  const interval = nativeDurationMs(b.fill_interval);
  const tokens = b.tokens_per_fill ?? 1;
  if (!interval || typeof b.max_tokens !== "number" || typeof tokens !== "number" || tokens < 1)
    return "a token bucket without max_tokens, tokens_per_fill or fill_interval";
  const rps = (tokens * 1000) / interval.ms;
  if (!Number.isInteger(rps)) return `a rate of ${tokens} per ${String(b.fill_interval)}, not a whole number of requests per second`;
  const rateLimit: RateLimit = { requestsPerSecond: rps, ...(b.max_tokens !== rps ? { burst: b.max_tokens } : {}) };
  return { native: o, service: { namespace: o.namespace, name: svcName }, rateLimit };
}
