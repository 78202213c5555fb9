/**
 * Feature `directResponse`: refused in every Linkerd version. Gateway API 1.1 has no direct-response
 * filter; Linkerd answers only redirects itself.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `directResponse`: nothing, in every version. */
export const directResponseFeature: FeatureModule = refusedFeature("directResponse", "No direct responses.");

/** Reports a route that answers directly (an error). */
export function refuseDirectResponse(lc: LinkerdContext, r: EffectiveRoute): void {
  if (r.action.kind !== "directResponse") return;
  lc.report(r.policy, r.action.pointer, { feature: "directResponse", kind: "unsupported-feature", severity: "error",
    message: `Linkerd ${lc.version} cannot answer requests itself: the Gateway API HTTPRoute it reads has no direct-response filter (only redirects). Route to a Service that answers ${r.action.directResponse.status}` });
}
