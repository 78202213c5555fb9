/**
 * Feature `trafficSource`: producer MeshHTTPRoutes (the destination's namespace, `targetRef: Mesh`) apply to
 * every caller of the MeshService; consumer ones select callers by Dataplane labels, not by the identities
 * (service accounts, namespaces) the model's sources name: an error at every use.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const trafficSource: FeatureModule = refusedFeature(
  "trafficSource",
  "Producer routes apply to every caller; consumer routes select callers by Dataplane labels, not identity.",
);

/** Reports a route that applies to some callers only. */
export function refuseTrafficSource(dc: DestinationContext, r: EffectiveRoute): void {
  if (r.source)
    dc.kc.report(r.policy, r.source.pointer, {
      feature: "trafficSource",
      kind: "unsupported-feature",
      severity: "error",
      message:
        "Kuma's producer MeshHTTPRoute applies to every caller of the MeshService, and consumer routes select callers by Dataplane labels, not by service account or namespace identity; drop the source or use --mesh istio",
    });
}
