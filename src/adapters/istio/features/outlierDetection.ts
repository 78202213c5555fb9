/**
 * Feature `outlierDetection` → `DestinationRule.trafficPolicy.outlierDetection` (istio/api
 * `networking/v1alpha3/destination_rule.proto` `OutlierDetection`): consecutive5xxErrors,
 * consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionPercent, same names and meanings
 * (0 consecutive5xxErrors disables that detector; the model's defaults 5 / 10s / 30s / 10 % are Istio's).
 * Destination-level: applies to every subset (subsets inherit the top-level traffic policy); a subset's
 * own (`subsetSettings[].outlierDetection`) → `subsets[].trafficPolicy.outlierDetection`, which replaces it
 * for that subset (destinationRules.ts `settingTargets`).
 */
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { OutlierDetection } from "../resources.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import { settingTargets } from "./subsetSettings.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `outlierDetection`, per version. */
export const outlierDetectionFeature: FeatureModule = {
  features: ["outlierDetection"],
  capabilities: () => ({
    outlierDetection: full("DestinationRule.trafficPolicy.outlierDetection"),
  }),
};

/** Fills `trafficPolicy.outlierDetection` of the destination's DestinationRule. */
export function applyOutlierDetection(dc: DestinationContext, dr: DestinationRuleDraft): void {
  for (const [s, tp] of settingTargets(dc.view, dr, "outlierDetection")) {
    const v = s.value;
    const od: OutlierDetection = {};
    if (v.consecutive5xxErrors !== undefined) od.consecutive5xxErrors = v.consecutive5xxErrors;
    if (v.consecutiveGatewayErrors !== undefined) od.consecutiveGatewayErrors = v.consecutiveGatewayErrors;
    if (v.interval !== undefined) od.interval = formatDuration(parseDuration(v.interval) ?? 0);
    if (v.baseEjectionTime !== undefined) od.baseEjectionTime = formatDuration(parseDuration(v.baseEjectionTime) ?? 0);
    if (v.maxEjectionPercent !== undefined) od.maxEjectionPercent = v.maxEjectionPercent;
    tp.outlierDetection = od;
    dr.policies.add(s.policy.id);
  }
}
