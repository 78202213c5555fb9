/**
 * Feature `faultInjection`: refused in every Linkerd version. No fault filter or annotation exists; the
 * documented pattern is a weighted HTTPRoute backend pointing at an error-injecting Service
 * (`2-edge/tasks/fault-injection.md`).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `faultInjection`: nothing, in every version. */
export const faultInjectionFeature: FeatureModule = refusedFeature(
  "faultInjection",
  "No fault injection; Linkerd's pattern is a weighted backend answering errors.",
);

/** Reports a route's fault injection (an error). */
export function refuseFaultInjection(lc: LinkerdContext, r: EffectiveRoute): void {
  if (!r.faultInjection) return;
  lc.report(r.policy, r.faultInjection.pointer, {
    feature: "faultInjection",
    kind: "unsupported-feature",
    severity: "error",
    message: `Linkerd ${lc.version} has no fault injection (no HTTPRoute filter or annotation delays or aborts requests); Linkerd's documented pattern is a weighted HTTPRoute backend that points at a Service answering errors (e.g. an nginx returning 503). Remove faultInjection, or deploy such a Service and split a share of the traffic to it`,
  });
}
