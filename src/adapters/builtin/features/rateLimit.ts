/**
 * `rateLimit` → `Destination.rateLimit`: token buckets on each instance's inbound listener. burst
 * defaults to requestsPerSecond; override service accounts become SPIFFE IDs (`*`: any identity).
 */
import type { DestinationFeature } from "./types.js";
import { sourceMatch } from "./common.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `rateLimit` (format version 1). */
export const rateLimitFeature: FeatureModule = {
  features: ["rateLimit"],
  capabilities: () => ({ rateLimit: full("Destination.rateLimit", "per instance (inbound listener)") }),
};

export const rateLimit: DestinationFeature = (out, { dest, model }) => {
  const s = dest.rateLimit;
  if (!s) return;
  const r = s.value;
  out.rateLimit = {
    requestsPerSecond: r.requestsPerSecond,
    burst: r.burst ?? r.requestsPerSecond,
    ...(r.perIdentity ? { perIdentity: r.perIdentity } : {}),
    ...(r.overrides
      ? {
          overrides: r.overrides.map((o, i) => {
            const src = sourceMatch(model, model.resolveSource({ serviceAccounts: o.serviceAccounts }, s.policy.namespace, `${s.pointer}/overrides/${i}`));
            return {
              ...(src?.principals ? { principals: src.principals as [string, ...string[]] } : {}),
              ...(src?.anyIdentity ? { anyIdentity: true } : {}),
              requestsPerSecond: o.requestsPerSecond,
            };
          }),
        }
      : {}),
  };
};
