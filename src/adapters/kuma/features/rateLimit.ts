/**
 * Feature `rateLimit` → `MeshRateLimit` on the destination's pods (`targetRef: Dataplane`, `from:
 * [{targetRef: Mesh}]`) `default.local.http.requestRate {num, interval: 1s}`: a token bucket per instance
 * whose size is `num` (Envoy local_ratelimit `max_tokens = tokens_per_fill`). So `burst` must equal
 * `requestsPerSecond`; `perIdentity` and `overrides` have no exact Kuma form: errors.
 * @see https://kuma.io/docs/2.14.x/policies/meshratelimit/
 */
import type { DestinationContext } from "../context.js";
import { workloadTarget } from "../context.js";
import { KUMA_V1ALPHA1, type KumaObject } from "../resources.js";
import { type FeatureModule, featureModule, partial } from "./types.js";

export const rateLimit: FeatureModule = featureModule("rateLimit", () =>
  partial(
    "MeshRateLimit (targetRef Dataplane, from Mesh).default.local.http.requestRate {num, interval}",
    "per instance, burst equal to the rate; no perIdentity or overrides",
  ),
);

/** The MeshRateLimit of a destination, if it has a rate limit. */
export function rateLimitPolicy(dc: DestinationContext, name: string): KumaObject | undefined {
  const s = dc.view.rateLimit;
  if (!s) return undefined;
  const { kc, view } = dc;
  const rl = s.value;
  let ok = true;
  const refuse = (field: string, why: string) => {
    ok = false;
    kc.report(s.policy, `${s.pointer}/${field}`, { feature: "rateLimit", kind: "unsupported-value", what: field, severity: "error", message: why });
  };
  if (rl.burst !== undefined && rl.burst !== rl.requestsPerSecond)
    refuse(
      "burst",
      `Kuma's MeshRateLimit bucket holds exactly the requests of one interval (requestRate.num), so a burst other than requestsPerSecond (${rl.requestsPerSecond}) cannot be expressed; remove burst or make it equal`,
    );
  if (rl.perIdentity !== undefined)
    refuse("perIdentity", "Kuma's MeshRateLimit has one bucket per instance for all callers; limits per calling identity cannot be expressed");
  if (rl.overrides !== undefined)
    refuse("overrides", "Kuma's MeshRateLimit has one bucket per instance for all callers; per-caller limits cannot be expressed");
  if (!ok || rl.requestsPerSecond === undefined) return undefined;
  return {
    apiVersion: KUMA_V1ALPHA1,
    kind: "MeshRateLimit",
    metadata: kc.meta(name, view.namespace, [s.policy]),
    spec: {
      targetRef: workloadTarget(view),
      from: [{ targetRef: { kind: "Mesh" }, default: { local: { http: { requestRate: { num: rl.requestsPerSecond, interval: "1s" } } } } }],
    },
  };
}
