/**
 * `subsetSettings` → `Destination.subsets[]` {name, labels, outlierDetection, connectionPool,
 * loadBalancer}: the proxy matches them to route targets by subset name and, for the requests sent to
 * that subset, uses each one given instead of the destination's (a kind not given stays the
 * destination's), with its own state (as Istio's per-subset cluster).
 */
import { connectionPoolOf } from "./connectionPool.js";
import { loadBalancerOf } from "./loadBalancer.js";
import { outlierDetectionOf } from "./outlierDetection.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `subsetSettings` (format version 1). */
export const subsetSettingsFeature: FeatureModule = {
  features: ["subsetSettings"],
  capabilities: () => ({ subsetSettings: full("Destination.subsets[]", "its own per-caller state per subset") }),
};

export const subsetSettings: DestinationFeature = (out, { dest }) => {
  if (!dest.subsetSettings.length) return;
  out.subsets = dest.subsetSettings.map((s) => {
    const lb = s.loadBalancer && loadBalancerOf(s.loadBalancer.value);
    return {
      name: s.subset.name,
      labels: { ...s.subset.labels },
      ...(s.outlierDetection ? { outlierDetection: outlierDetectionOf(s.outlierDetection.value) } : {}),
      ...(s.connectionPool ? { connectionPool: connectionPoolOf(s.connectionPool.value) } : {}),
      // A subset's loadBalancer always names an algorithm (rule/subset-load-balancer).
      ...(lb ? { loadBalancer: lb } : {}),
    };
  });
};
