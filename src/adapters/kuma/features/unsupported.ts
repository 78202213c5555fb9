/**
 * Features Kuma 2.14 has no API for, each reported as an error at every use:
 * - `cors`: not among MeshHTTPRoute's filter types (RequestHeaderModifier, ResponseHeaderModifier,
 *   RequestRedirect, URLRewrite, RequestMirror);
 * - `directResponse`: no MeshHTTPRoute filter answers by itself;
 * - `trafficSource`: producer MeshHTTPRoutes apply to every caller; consumer ones select callers by
 *   Dataplane labels, not by the identities the model's sources name;
 * - `subsetSettings`: outbound policies target MeshServices, not subsets (use a Service per subset);
 * - `requestAuthentication`: Kuma has no end-user token (JWT) validation policy.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import { type FeatureModule, none } from "./types.js";

export const cors: FeatureModule = { feature: "cors", capability: () => none("No CORS filter in MeshHTTPRoute (filter types: header modifiers, redirect, URL rewrite, mirror).") };
export const directResponse: FeatureModule = { feature: "directResponse", capability: () => none("No direct responses in MeshHTTPRoute.") };
export const trafficSource: FeatureModule = { feature: "trafficSource", capability: () => none("Producer routes apply to every caller; consumer routes select callers by Dataplane labels, not identity.") };
export const subsetSettings: FeatureModule = { feature: "subsetSettings", capability: () => none("Outbound policies target MeshServices, not subsets (a Service per subset can carry its own settings).") };
export const requestAuthentication: FeatureModule = { feature: "requestAuthentication", capability: () => none("No end-user token (JWT) validation: MeshTrafficPermission matches mesh identities (SPIFFE IDs) only.") };

/** Reports a route's use of cors, directResponse or a source. */
export function refuseRouteFeatures(dc: DestinationContext, r: EffectiveRoute): void {
  const { kc } = dc;
  if (r.cors) kc.report(r.policy, r.cors.pointer, "cors", "error", "adapter/unsupported-feature", "Kuma's MeshHTTPRoute has no CORS filter; answer CORS in the application or an ingress gateway, or use --mesh istio");
  if (r.action.kind === "directResponse") kc.report(r.policy, r.action.pointer, "directResponse", "error", "adapter/unsupported-feature", "Kuma's MeshHTTPRoute cannot answer requests itself (no direct response filter); route to a small service that answers, or use --mesh istio");
  if (r.source) kc.report(r.policy, r.source.pointer, "trafficSource", "error", "adapter/unsupported-feature", "Kuma's producer MeshHTTPRoute applies to every caller of the MeshService, and consumer routes select callers by Dataplane labels, not by service account or namespace identity; drop the source or use --mesh istio");
}

/** Reports the destination's subset settings. */
export function refuseSubsetSettings(dc: DestinationContext): void {
  for (const s of dc.view.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const v = s[k];
      // At the subsetSettings entry: the whole entry (its subset included) has no Kuma form.
      if (v) dc.kc.report(v.policy, v.pointer.replace(/\/[^/]+$/, ""), "subsetSettings", "error", "adapter/unsupported-feature",
        `${k} for subset ${s.subset.name}: Kuma's outbound policies (MeshCircuitBreaker, MeshLoadBalancingStrategy) target a MeshService, not a subset of its pods; give the subset its own Service and policy, or use --mesh istio`);
    }
  }
}
