/**
 * Feature `directResponse`: HTTPRoute filters redirect, rewrite, mirror or change headers, none answers a
 * request, so a direct response is refused in every Gateway API release. One is exact: a final catch-all
 * `directResponse: {status: 404}` without body ("answer 404 for the rest", `isNotFoundForTheRest`), since
 * Gateway API answers 404 to the requests no rule of a parent matches (HTTPRoute `rules[].matches`): the
 * translator writes it as no rule at all (and no catch-all forwarding rule; see translator.ts).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { isNotFoundForTheRest } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";

/** What Gateway API can do of `directResponse`: only "answer 404 for the rest", in every release. */
export const directResponseFeature: FeatureModule = {
  features: ["directResponse"],
  capabilities: () => ({
    directResponse: partial(
      "no rule: Gateway API answers 404 to requests no rule matches",
      'only a final catch-all 404 without body ("answer 404 for the rest"); no direct-response filter otherwise',
    ),
  }),
};

/** Reports a route answering directly (an error), except "answer 404 for the rest" (written as no rule). */
export function refuseDirectResponse(gc: GatewayContext, r: EffectiveRoute): void {
  if (r.action.kind !== "directResponse" || isNotFoundForTheRest(r)) return;
  gc.report(r.policy, r.action.pointer, {
    feature: "directResponse",
    kind: "unsupported-feature",
    severity: "error",
    message: `${gc.release} has no direct response (HTTPRoute filters redirect, rewrite, mirror or change headers, none answers a request); route to a Service that answers ${r.action.directResponse.status}`,
  });
}
