/**
 * `outlierDetection` → `Destination.outlierDetection`, with the model's defaults made explicit
 * (consecutive5xxErrors 5, interval 10s, baseEjectionTime 30s, maxEjectionPercent 10; gateway errors off).
 */
import type { OutlierDetection as ModelOutlierDetection } from "../../../api/generated/model.js";
import type { OutlierDetection } from "../../../api/generated/proxyConfig.js";
import { ms } from "./common.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `outlierDetection` (format version 1). */
export const outlierDetectionFeature: FeatureModule = {
  features: ["outlierDetection"],
  capabilities: () => ({ outlierDetection: full("Destination.outlierDetection", "per calling listener") }),
};

/** The proxy's outlier detection for a model one (a destination's or a subset's). */
export function outlierDetectionOf(o: ModelOutlierDetection): OutlierDetection {
  return {
    consecutive5xxErrors: o.consecutive5xxErrors ?? 5,
    consecutiveGatewayErrors: o.consecutiveGatewayErrors ?? 0,
    intervalMs: o.interval ? ms(o.interval) : 10_000,
    baseEjectionTimeMs: o.baseEjectionTime ? ms(o.baseEjectionTime) : 30_000,
    maxEjectionPercent: o.maxEjectionPercent ?? 10,
  };
}

export const outlierDetection: DestinationFeature = (out, { dest }) => {
  const o = dest.outlierDetection?.value;
  if (o) out.outlierDetection = outlierDetectionOf(o);
};
