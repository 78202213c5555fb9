/**
 * Feature `cors`: refused in every Linkerd version. The Gateway API CORS filter is 1.5, newer than the
 * Gateway API 1.2.1 ceiling of Linkerd 2.20, which ignores a whole route with newer fields.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `cors`: nothing, in every version. */
export const corsFeature: FeatureModule = refusedFeature("cors", "No CORS filter in the Gateway API versions Linkerd reads.");

/** Reports a route's CORS policy (an error). */
export function refuseCors(lc: LinkerdContext, r: EffectiveRoute): void {
  if (!r.cors) return;
  lc.report(r.policy, r.cors.pointer, {
    feature: "cors",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} has no CORS support: the Gateway API CORS filter is newer (1.5) than the Gateway API fields Linkerd reads (up to 1.2.1; Linkerd 2.20 ignores a route that uses newer fields). Answer CORS in the application or at an ingress`,
  });
}
