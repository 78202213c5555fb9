/**
 * Feature `outlierDetection` → `MeshCircuitBreaker.to[MeshService].default.outlierDetection` (producer
 * policy). consecutive5xxErrors → `detectors.totalFailures.consecutive` (Envoy consecutive_5xx, local
 * origin failures counted as 5xx as in Istio), consecutiveGatewayErrors → `detectors.gatewayFailures`,
 * interval, baseEjectionTime, maxEjectionPercent; the model's defaults (5, 10s, 30s, 10%) are written out.
 */
import { parseDuration } from "../../../api/duration.js";
import type { OutlierDetection } from "../../../api/generated/model.js";
import { kumaDuration } from "../context.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const outlierDetection: FeatureModule = featureModule("outlierDetection", () =>
  full(
    "MeshCircuitBreaker.to[MeshService].default.outlierDetection {detectors.totalFailures, detectors.gatewayFailures, interval, baseEjectionTime, maxEjectionPercent}",
  ),
);

/** MeshCircuitBreaker `outlierDetection` of the model's setting. */
export function kumaOutlierDetection(o: OutlierDetection): Record<string, unknown> {
  const detectors: Record<string, unknown> = {};
  const c5 = o.consecutive5xxErrors ?? 5;
  if (c5 > 0) detectors.totalFailures = { consecutive: c5 };
  if (o.consecutiveGatewayErrors) detectors.gatewayFailures = { consecutive: o.consecutiveGatewayErrors };
  return {
    disabled: Object.keys(detectors).length === 0,
    interval: kumaDuration(o.interval ? (parseDuration(o.interval) ?? 10000) : 10000),
    baseEjectionTime: kumaDuration(o.baseEjectionTime ? (parseDuration(o.baseEjectionTime) ?? 30000) : 30000),
    maxEjectionPercent: o.maxEjectionPercent ?? 10,
    detectors,
  };
}
