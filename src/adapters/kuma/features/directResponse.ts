/** Feature `directResponse`: no MeshHTTPRoute filter answers a request itself: an error at every use. */
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const directResponse: FeatureModule = refusedFeature("directResponse", "No direct responses in MeshHTTPRoute.");

/** Reports a direct-response route. */
export function refuseDirectResponse(dc: DestinationContext, r: EffectiveRoute): void {
  if (r.action.kind === "directResponse") dc.kc.report(r.policy, r.action.pointer, { feature: "directResponse", kind: "unsupported-feature", severity: "error", message: "Kuma's MeshHTTPRoute cannot answer requests itself (no direct response filter); route to a small service that answers, or use --mesh istio" });
}
