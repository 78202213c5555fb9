/**
 * Feature `retries` → `HTTPRoute.retries` (istio/api `networking/v1alpha3/virtual_service.proto`
 * `HTTPRetry`; pilot `route/retry/retry.go` `ConvertPolicy`).
 *
 * - No `retries` in the model means NO retries, but Istio retries twice when `retries` is unset
 *   (`DefaultPolicy`: 2 attempts on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes).
 *   So every HTTP route unimesh emits, the default route included, carries `retries: {attempts: 0}`
 *   (ConvertPolicy returns no retry policy for attempts <= 0) unless the policy sets retries.
 * - `attempts` → `attempts`.
 * - `perTryTimeout` → `perTryTimeout`. With `attempts: 0` Istio drops the whole retry policy, so the
 *   per-try timeout of the single try is folded into `HTTPRoute.timeout` (the smaller of both): same effect.
 * - `retryOn` → `retryOn`, Envoy names joined by ",". Status codes stay in the string: Istio moves every
 *   token that Go's `http.StatusText` knows into `retriable_status_codes` and adds `retriable-status-codes`.
 *   A code Go does not know (e.g. 599) would be passed to Envoy as an unknown condition and ignored, so it
 *   is an error here. Without `retryOn` the model's default `connect-failure,refused-stream,5xx` is written
 *   (Istio's own default differs).
 * - `backoff` → `backoff` (Envoy `retry_back_off.base_interval`), only where the CRD has it
 *   (see versions.ts); elsewhere an error: dropping it would retry at Envoy's 25 ms base interval.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { HTTPRetry, HTTPRoute } from "../resources.js";
import { FIELD_SINCE, hasField } from "../versions.js";
import type { DestinationContext } from "./types.js";
import { DEFAULT_RETRY_ON } from "../../../api/model.js";
import { type FeatureModule, full, partial } from "../../../api/feature-module.js";

/** What Istio can do of `retries`, per version. */
export const retriesFeature: FeatureModule = {
  features: ["retries"],
  capabilities: (version) => ({
    retries: hasField(version, "VirtualService.http[].retries.backoff")
      ? full(
          "VirtualService.http[].retries {attempts, perTryTimeout, retryOn, backoff}",
          "attempts: 0 on every route without retries (Istio retries twice by default)",
        )
      : partial(
          "VirtualService.http[].retries {attempts, perTryTimeout, retryOn}",
          `backoff needs Istio ${FIELD_SINCE["VirtualService.http[].retries.backoff"]} (HTTPRetry.backoff is not in this release's CRD); attempts: 0 on every route without retries`,
        ),
  }),
};

/** The model's retry conditions when `retryOn` is omitted. */
export { DEFAULT_RETRY_ON };

/** Status codes Go's `net/http.StatusText` knows, i.e. the ones Istio turns into retriable status codes. */
const GO_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408,
  409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Fills `HTTPRoute.retries` (always: `attempts: 0` when the model has no retries). */
export function applyRetries(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  const rt = r.retries;
  if (!rt || rt.value.attempts === 0) {
    out.retries = { attempts: 0 };
    const per = rt?.value.perTryTimeout ? parseDuration(rt.value.perTryTimeout) : undefined;
    if (per !== undefined && (r.timeout === undefined || per < r.timeout.value)) out.timeout = formatDuration(per);
    return;
  }
  const v = rt.value;
  const retries: HTTPRetry = { attempts: v.attempts };
  if (v.perTryTimeout) retries.perTryTimeout = formatDuration(parseDuration(v.perTryTimeout) ?? 0);
  const on = v.retryOn ?? [...DEFAULT_RETRY_ON];
  on.forEach((c, i) => {
    if (/^[0-9]+$/.test(c) && !GO_STATUS_CODES.has(Number(c))) {
      dc.ic.report(r.policy, `${rt.pointer}/retryOn/${i}`, {
        feature: "retries",
        kind: "unsupported-value",
        what: "retryOn",
        severity: "error",
        message: `status code ${c} is not a standard HTTP status, and Istio only turns standard ones (Go net/http.StatusText) into retriable status codes; the condition would be ignored. Use a standard code or 5xx`,
      });
    }
  });
  retries.retryOn = on.join(",");
  if (v.backoff) {
    if (dc.ic.has("VirtualService.http[].retries.backoff")) retries.backoff = formatDuration(parseDuration(v.backoff) ?? 0);
    else {
      dc.ic.report(r.policy, `${rt.pointer}/backoff`, {
        feature: "retries",
        kind: "unsupported-value",
        what: "backoff",
        severity: "error",
        message: `HTTPRetry.backoff is not in the VirtualService CRD of Istio ${dc.ic.version} (unimesh emits it from Istio ${FIELD_SINCE["VirtualService.http[].retries.backoff"]}); retries would use Envoy's 25ms base interval. Remove backoff or target a newer Istio`,
      });
    }
  }
  out.retries = retries;
}
