/**
 * Feature `rateLimit`: Istio has no first-class API, so a local rate limit is an `EnvoyFilter`
 * (`networking.istio.io/v1alpha3`, istio/api `networking/v1alpha3/envoy_filter.proto`) that inserts Envoy's
 * `envoy.filters.http.local_ratelimit` (`extensions.filters.http.local_ratelimit.v3.LocalRateLimit`) into
 * the destination's INBOUND HTTP filter chain (`context: SIDECAR_INBOUND`, `workloadSelector.labels` = the
 * service's pod labels), just before the router (after authn/authz and stats, so requests denied by an
 * AccessPolicy do not use up the budget and 429s are counted), the pattern of Istio's "Enabling Rate
 * Limits using Envoy" task.
 *
 * Token bucket per destination instance (the model's meaning): `max_tokens` = burst (default
 * requestsPerSecond), `tokens_per_fill` = requestsPerSecond, `fill_interval` = 1s. `filter_enabled` and
 * `filter_enforced` are set to 100 % (both default to 0 %, i.e. off).
 *
 * `perIdentity` and `overrides` (per-caller buckets) are not expressible with a local rate limit filter:
 * error `adapter/unsupported-value`.
 */
import { objectMeta } from "../../../api/ownership.js";
import { rateLimitFilterName } from "../naming.js";
import { type EnvoyFilterSpec, type IstioObject, NETWORKING_V1ALPHA3 } from "../resources.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What Istio can do of `rateLimit`, per version. */
export const rateLimitFeature: FeatureModule = {
  features: ["rateLimit"],
  capabilities: () => ({
    rateLimit: partial(
      "EnvoyFilter (envoy.filters.http.local_ratelimit, SIDECAR_INBOUND)",
      "total per-instance bucket only; perIdentity and overrides are not expressible",
    ),
  }),
};

/** The EnvoyFilter `<svc>-ratelimit` of the destination, when it has a rateLimit. */
export function rateLimitFilter(dc: DestinationContext): IstioObject<EnvoyFilterSpec> | undefined {
  const s = dc.view.rateLimit;
  if (!s) return undefined;
  const v = s.value;
  const instead =
    "use requestsPerSecond/burst only (one bucket for all callers of each instance), or run a global rate-limit service (Envoy ratelimit filter with descriptors) outside unimesh";
  if (v.perIdentity !== undefined) {
    dc.ic.report(s.policy, `${s.pointer}/perIdentity`, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "perIdentity",
      severity: "error",
      message: `Istio has no rate-limit API, and the local rate limit filter unimesh configures through an EnvoyFilter has no bucket per calling identity; ${instead}`,
    });
  }
  if (v.overrides !== undefined) {
    dc.ic.report(s.policy, `${s.pointer}/overrides`, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "overrides",
      severity: "error",
      message: `Istio has no rate-limit API, and the local rate limit filter unimesh configures through an EnvoyFilter cannot give some callers (service accounts) their own limit; ${instead}`,
    });
  }
  const labels = workloadLabels(dc, s.policy, s.pointer, "rateLimit", "EnvoyFilter");
  if (!labels) return undefined;
  // The model limits the requests sent to the Service's ports; the filter sits in every inbound HTTP
  // filter chain of the pods, so requests to their pod-only ports (metrics, admin) use the budget too.
  const podOnly = dc.view.ports.filter((p) => p.podOnly).map((p) => p.port);
  if (podOnly.length) {
    dc.ic.report(s.policy, s.pointer, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "pod-only-ports",
      severity: "warning",
      message: `the EnvoyFilter puts this limit into every inbound HTTP filter chain of the pods of ${dc.view.namespace}/${dc.view.service} (SIDECAR_INBOUND), so requests to its pod-only port${podOnly.length > 1 ? "s" : ""} ${podOnly.join(", ")} are limited too and share the budget of its Service ports (stricter than the policy)`,
    });
  }
  const hundred = (key: string) => ({ runtime_key: key, default_value: { numerator: 100, denominator: "HUNDRED" } });
  return {
    apiVersion: NETWORKING_V1ALPHA3,
    kind: "EnvoyFilter",
    metadata: objectMeta(rateLimitFilterName(dc.view.service), dc.view.namespace, [s.policy]),
    spec: {
      workloadSelector: { labels },
      configPatches: [
        {
          applyTo: "HTTP_FILTER",
          match: {
            context: "SIDECAR_INBOUND",
            listener: { filterChain: { filter: { name: "envoy.filters.network.http_connection_manager", subFilter: { name: "envoy.filters.http.router" } } } },
          },
          patch: {
            operation: "INSERT_BEFORE",
            value: {
              name: "envoy.filters.http.local_ratelimit",
              typed_config: {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                stat_prefix: "http_local_rate_limiter",
                token_bucket: { max_tokens: v.burst ?? v.requestsPerSecond, tokens_per_fill: v.requestsPerSecond, fill_interval: "1s" },
                filter_enabled: hundred("local_rate_limit_enabled"),
                filter_enforced: hundred("local_rate_limit_enforced"),
              },
            },
          },
        },
      ],
    },
  };
}
