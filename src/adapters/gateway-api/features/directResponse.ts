/**
 * Feature `directResponse`: refused in every Gateway API release: HTTPRoute filters redirect, rewrite,
 * mirror or change headers, none answers a request. (A final catch-all 404 without body is Gateway API's
 * own answer for unmatched requests, written as no rule by the translator.)
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";

/** What Gateway API can do of `directResponse`: nothing, in every release. */
export const directResponseFeature: FeatureModule = refusedFeature("directResponse", "No direct-response filter.");

/** Reports a route answering directly (an error). */
export function refuseDirectResponse(gc: GatewayContext, r: EffectiveRoute): void {
  if (r.action.kind !== "directResponse") return;
  gc.report(r.policy, r.action.pointer, { feature: "directResponse", kind: "unsupported-feature", severity: "error",
    message: `${gc.release} has no direct response (HTTPRoute filters redirect, rewrite, mirror or change headers, none answers a request); route to a Service that answers ${r.action.directResponse.status}` });
}
