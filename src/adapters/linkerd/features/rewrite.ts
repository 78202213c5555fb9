/**
 * Feature `rewrite`: refused in every Linkerd version. The policy controller rejects the `URLRewrite`
 * filter and drops the whole route (`convert_gateway_filter`, as for RequestMirror).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `rewrite`: nothing, in every version. */
export const rewriteFeature: FeatureModule = refusedFeature("rewrite", "URLRewrite is rejected by the policy controller.");

/** Reports a route's rewrite (an error). */
export function refuseRewrite(lc: LinkerdContext, r: EffectiveRoute): void {
  if (!r.rewrite) return;
  lc.report(r.policy, r.rewrite.pointer, {
    feature: "rewrite",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} cannot rewrite URLs: its policy controller rejects the HTTPRoute URLRewrite filter and drops the whole route. Rewrite in the application or at an ingress`,
  });
}
