/**
 * Feature `mirror`: refused in every Linkerd version. The policy controller rejects the `RequestMirror`
 * filter and drops the whole route (`policy-controller/k8s/index/src/outbound/index/http.rs`
 * `convert_gateway_filter`; linkerd2#4385).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `mirror`: nothing, in every version. */
export const mirrorFeature: FeatureModule = refusedFeature("mirror", "RequestMirror is rejected by the policy controller (linkerd2#4385).");

/** Reports a route's mirror (an error). */
export function refuseMirror(lc: LinkerdContext, r: EffectiveRoute): void {
  if (!r.mirror) return;
  lc.report(r.policy, r.mirror.pointer, {
    feature: "mirror",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} cannot mirror requests: its policy controller rejects the HTTPRoute RequestMirror filter and drops the whole route (linkerd2#4385). Remove mirror`,
  });
}
