/**
 * Feature `directResponse`: no MeshHTTPRoute filter answers a request itself: an error at every use.
 * "Answer 404 for the rest" (a final catch-all `directResponse: {status: 404}`, which Gateway API does by
 * writing no rule) has no Kuma 2.14 form either: Kuma appends a catch-all `PathPrefix /` route to the
 * MeshService to every outbound and gives a rule without (resolvable) backendRefs the MeshService as
 * backend (kuma v2.14.3 `pkg/plugins/policies/meshhttproute/plugin/v1alpha1/listeners.go` `prepareRoutes`;
 * kumahq/kuma#18260), so requests no rule matches always reach the service.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { isNotFoundForTheRest } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const directResponse: FeatureModule = refusedFeature(
  "directResponse",
  'No direct responses in MeshHTTPRoute; requests no rule matches always reach the MeshService (no "404 for the rest").',
);

/** Reports a direct-response route. */
export function refuseDirectResponse(dc: DestinationContext, r: EffectiveRoute): void {
  if (r.action.kind !== "directResponse") return;
  if (isNotFoundForTheRest(r)) {
    dc.kc.report(r.policy, r.action.pointer, {
      feature: "directResponse",
      kind: "unsupported-value",
      what: "not-found-for-the-rest",
      severity: "error",
      message: `Kuma ${dc.kc.version} sends requests no MeshHTTPRoute rule matches to ${dc.view.namespace}/${dc.view.service} itself (it appends a catch-all route to the MeshService, and a rule always has a backend), so it cannot answer 404 for the rest; list the paths to serve in a policy the service enforces (an AccessPolicy denies with 403), or use --mesh istio`,
    });
    return;
  }
  dc.kc.report(r.policy, r.action.pointer, {
    feature: "directResponse",
    kind: "unsupported-feature",
    severity: "error",
    message: "Kuma's MeshHTTPRoute cannot answer requests itself (no direct response filter); route to a small service that answers, or use --mesh istio",
  });
}
