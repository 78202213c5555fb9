/** Feature `cors`: not among MeshHTTPRoute's filter types (RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror): an error at every use. */
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const cors: FeatureModule = refusedFeature("cors", "No CORS filter in MeshHTTPRoute (filter types: header modifiers, redirect, URL rewrite, mirror).");

/** Reports a route's CORS policy. */
export function refuseCors(dc: DestinationContext, r: EffectiveRoute): void {
  if (r.cors)
    dc.kc.report(r.policy, r.cors.pointer, {
      feature: "cors",
      kind: "unsupported-feature",
      severity: "error",
      message: "Kuma's MeshHTTPRoute has no CORS filter; answer CORS in the application or an ingress gateway, or use --mesh istio",
    });
}
