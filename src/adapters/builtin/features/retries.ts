/**
 * `retries` → `Route.retries`, with the model's defaults made explicit: retryOn
 * [connect-failure, refused-stream, 5xx] and a 25 ms back-off base (Envoy's). An omitted `retries`
 * means no retries, which is the proxy's behaviour without the field. `attempts: 0` without
 * `perTryTimeout` is the same and emits nothing; with `perTryTimeout` it is still emitted (attempts 0),
 * since the per-try timeout bounds the first try too (`Retries.perTryTimeoutMs`: "including the first"):
 * the proxy enforces it on the single try, as Istio/Linkerd do by folding it into the request timeout.
 */
import { ms, nonEmpty } from "./common.js";
import type { RouteFeature } from "./types.js";
import { DEFAULT_RETRY_ON } from "../../../api/model.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `retries` (format version 1). */
export const retriesFeature: FeatureModule = {
  features: ["retries"],
  capabilities: () => ({ retries: full("Route.retries") }),
};

/** The model's default retry conditions. */
export { DEFAULT_RETRY_ON };
/** Envoy's default back-off base, in milliseconds. */
export const DEFAULT_BACKOFF_MS = 25;

export const retries: RouteFeature = (r, out) => {
  const x = r.retries?.value;
  if (!x || (x.attempts === 0 && !x.perTryTimeout)) return;
  out.retries = {
    attempts: x.attempts,
    ...(x.perTryTimeout ? { perTryTimeoutMs: ms(x.perTryTimeout) } : {}),
    retryOn: nonEmpty([...(x.retryOn ?? DEFAULT_RETRY_ON)]),
    backoffBaseMs: x.backoff ? ms(x.backoff) : DEFAULT_BACKOFF_MS,
  };
};
