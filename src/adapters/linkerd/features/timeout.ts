/**
 * Feature `timeout`.
 * - Linkerd 2.16+: `timeout.linkerd.io/request` on the HTTPRoute/GRPCRoute (`2.16/reference/timeouts.md`;
 *   policy controller `outbound/index.rs` `parse_timeouts`), written by retries.ts with the retry
 *   annotations: the whole request, retries included (Linkerd's request timeouts are not retried; only
 *   the retry timeout is). Written as `<n>ms` or `<n>s`: Linkerd's duration parser takes one integer
 *   and one unit.
 * - Linkerd 2.14–2.15: `policy.linkerd.io/v1beta3 HTTPRoute` `rules[].timeouts.request`, or the
 *   ServiceProfile route's `timeout` when retries need a ServiceProfile (serviceProfile.ts).
 * A per-try timeout of a route without retries only bounds its single try, so it is folded into the
 * request timeout (the smaller of both). Nothing is refused.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { parseDuration } from "../../../api/duration.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import { versionFacts } from "../versions.js";

/** What Linkerd can do of `timeout`, per version. */
export const timeoutFeature: FeatureModule = {
  features: ["timeout"],
  capabilities: (version) => ({
    timeout: versionFacts(version).legacy
      ? full("policy.linkerd.io HTTPRoute rules[].timeouts.request (ServiceProfile routes[].timeout when retries need a ServiceProfile)")
      : full(
          "HTTPRoute annotation timeout.linkerd.io/request",
          "Request timeouts are not retried (as in the model); per-try timeouts are retry.linkerd.io/timeout.",
        ),
  }),
};

/** Request timeout of a route in ms, with a per-try timeout of a route without retries folded in. */
export function effectiveTimeoutMs(r: EffectiveRoute): number | undefined {
  const t = r.timeout?.value;
  const rt = r.retries?.value;
  if (rt && rt.attempts === 0 && rt.perTryTimeout) {
    const per = parseDuration(rt.perTryTimeout);
    if (per !== undefined && (t === undefined || per < t)) return per;
  }
  return t;
}
