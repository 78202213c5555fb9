/**
 * Feature `subsetSettings` (a subset's own outlierDetection, connectionPool, loadBalancer) →
 * `DestinationRule.subsets[].trafficPolicy` (istio/api `networking/v1alpha3/destination_rule.proto`
 * `Subset.trafficPolicy`). The destination-level modules (outlierDetection.ts, connectionPool.ts,
 * loadBalancer.ts) write each setting where {@link settingTargets} says; destinationRules.ts emits the
 * subsets with their traffic policies.
 */
import type { DestinationView, SubsetSettingKind } from "../../../api/model.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import type { TrafficPolicy } from "../resources.js";

/** What Istio can do of `subsetSettings`, per version. */
export const subsetSettingsFeature: FeatureModule = {
  features: ["subsetSettings"],
  capabilities: () => ({
    subsetSettings: full("DestinationRule.subsets[].trafficPolicy {outlierDetection, connectionPool, loadBalancer}"),
  }),
};

/**
 * Where a destination-level setting kind goes: `[setting, traffic policy]` for the destination's own
 * (→ `trafficPolicy`) and for each subset that overrides the kind (→ `subsets[].trafficPolicy`, which
 * Istio merges over the top-level one field by field: `MergeTrafficPolicy` replaces a whole field such as
 * `outlierDetection`, exactly the model's "a subset's setting replaces the destination's").
 */
export function settingTargets<K extends SubsetSettingKind>(
  view: DestinationView,
  dr: DestinationRuleDraft,
  kind: K,
): [NonNullable<DestinationView[K]>, TrafficPolicy][] {
  const out: [NonNullable<DestinationView[K]>, TrafficPolicy][] = [];
  const own = view[kind];
  if (own) out.push([own as NonNullable<DestinationView[K]>, dr.trafficPolicy]);
  for (const s of view.subsetSettings) {
    const x = s[kind];
    if (!x) continue;
    let tp = dr.subsetPolicies.get(s.subset.name);
    if (!tp) dr.subsetPolicies.set(s.subset.name, (tp = {}));
    out.push([x as NonNullable<DestinationView[K]>, tp]);
  }
  return out;
}
