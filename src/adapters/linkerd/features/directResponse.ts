/**
 * Feature `directResponse`: Gateway API 1.1 has no direct-response filter; Linkerd answers only redirects
 * itself. One direct response is exact: "answer 404 for the rest" (a final catch-all
 * `directResponse: {status: 404}` without body), since with routes attached to a Service port Linkerd
 * answers 404 to a request no rule matches (linkerd2-proxy#2109, "no route found for request", as
 * HTTPRouteRule requires): it is written as no rule (outbound.ts). Not with a ServiceProfile (Linkerd
 * 2.14–2.15 with retries), which sends unmatched requests to the service.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { isNotFoundForTheRest } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `directResponse`: "404 for the rest" only, in every version. */
export const directResponseFeature: FeatureModule = {
  features: ["directResponse"],
  capabilities: () => ({
    directResponse: partial(
      "no rule: with routes attached, Linkerd answers 404 to requests no rule matches",
      'only a final catch-all 404 without body ("answer 404 for the rest"), not with a ServiceProfile; no direct responses otherwise',
    ),
  }),
};

/** Reports a route that answers directly (an error). */
export function refuseDirectResponse(lc: LinkerdContext, r: EffectiveRoute): void {
  if (r.action.kind !== "directResponse" || isNotFoundForTheRest(r)) return;
  lc.report(r.policy, r.action.pointer, {
    feature: "directResponse",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} cannot answer requests itself: the Gateway API HTTPRoute it reads has no direct-response filter (only redirects). Route to a Service that answers ${r.action.directResponse.status}`,
  });
}
