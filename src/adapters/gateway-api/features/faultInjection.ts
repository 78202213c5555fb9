/**
 * Feature `faultInjection`: refused in every Gateway API release: no HTTPRoute filter delays or aborts
 * requests.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";
import { MESHES } from "./refusals.js";

/** What Gateway API can do of `faultInjection`: nothing, in every release. */
export const faultInjectionFeature: FeatureModule = refusedFeature("faultInjection", "No fault injection filter.");

/** Reports a route's fault injection (an error). */
export function refuseFaultInjection(gc: GatewayContext, r: EffectiveRoute): void {
  if (!r.faultInjection) return;
  gc.report(r.policy, r.faultInjection.pointer, {
    feature: "faultInjection",
    kind: "unsupported-feature",
    severity: "error",
    message: `${gc.release} has no fault injection (no HTTPRoute filter delays or aborts requests); ${MESHES}, or split a share of the traffic to a Service that answers errors`,
  });
}
