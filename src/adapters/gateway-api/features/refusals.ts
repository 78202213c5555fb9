/**
 * What the Gateway API refusals share (owns no feature): what to do instead, and the refusal of a
 * destination-level setting, which no Gateway API release has a field for on a route or Service.
 *
 * The adapter says what is portable across every GAMMA implementation, so these stay errors even where
 * one implementation has its own policy kind for them (Istio DestinationRule, Linkerd annotations, Envoy
 * Gateway BackendTrafficPolicy); BackendLBPolicy / XBackendTrafficPolicy are experimental and
 * gateway-oriented, with no mesh semantics.
 */
import type { DestinationView } from "../../../api/model.js";
import type { GatewayContext } from "../../shared/gamma/context.js";

/** What to do instead of a feature Gateway API lacks. */
export const MESHES = "use --mesh istio, linkerd or appmesh, or the mesh's own objects beside these routes";

/** The destination-level settings a Service may have (`DestinationView` keys). */
export type ServiceSetting = "outlierDetection" | "connectionPool" | "loadBalancer" | "rateLimit";

/** Reports the destination's own setting `k` (an error): `what` names it in the message. */
export function refuseServiceSetting(gc: GatewayContext, v: DestinationView, k: ServiceSetting, what: string): void {
  const s = v[k];
  if (s)
    gc.report(s.policy, s.pointer, {
      feature: k,
      kind: "unsupported-feature",
      severity: "error",
      message: `${gc.release} has no ${what} for a Service; ${MESHES}`,
    });
}
