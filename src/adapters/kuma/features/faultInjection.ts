/**
 * Feature `faultInjection` → `MeshFaultInjection` on the destination's pods (`targetRef: Dataplane` with the
 * Service's pod labels, `from: [{targetRef: Mesh}]`, `default.http[]` {delay {value, percentage}, abort
 * {httpStatus, percentage}}). Kuma injects faults only on the inbound side for sidecars (`spec.to` is for
 * gateways: `api/v1alpha1/validator.go`), so:
 * - one fault per destination (every route the same, unmatched requests included: uniform.ts);
 * - an injected abort is an upstream answer to the caller, which its MeshRetry retries: with retries on
 *   the destination, an abort is an error (the model never retries injected aborts);
 * - gRPC aborts (`grpcStatus`) have no Kuma field.
 * @see https://kuma.io/docs/2.14.x/policies/meshfaultinjection/
 */
import { parseDuration } from "../../../api/duration.js";
import type { FaultInjection } from "../../../api/generated/model.js";
import type { EffectiveRoute } from "../../../api/model.js";
import { type DestinationContext, kumaDuration, workloadTarget } from "../context.js";
import type { KumaObject } from "../resources.js";
import { KUMA_V1ALPHA1 } from "../resources.js";
import { percentage } from "./mirror.js";
import { type FeatureModule, featureModule, partial } from "./types.js";
import { refuseNonUniform, uniformity } from "./uniform.js";

export const faultInjection: FeatureModule = featureModule("faultInjection", () =>
  partial(
    "MeshFaultInjection (targetRef Dataplane, from Mesh).default.http[] {delay, abort}",
    "injected at the destination's inbound (sidecars): one fault per destination (every route the same, unmatched requests included); no abort next to retries (the caller would retry it); no grpcStatus",
  ),
);

/** The MeshFaultInjection of a destination, if any. */
export function faultInjectionPolicy(dc: DestinationContext, name: string): KumaObject | undefined {
  const pick = (r: EffectiveRoute) => r.faultInjection;
  const u = uniformity<FaultInjection>(dc, pick);
  if (!u.uniform) {
    refuseNonUniform(dc, pick, "faultInjection", "faults", "MeshFaultInjection (injected at the destination's inbound)");
    return undefined;
  }
  if (!u.value) return undefined;
  const { value: f, pointer } = u.value;
  const route = u.route!;
  const { view, kc } = dc;
  const http: Record<string, unknown> = {};
  if (f.delay) http.delay = { value: kumaDuration(parseDuration(f.delay.fixedDelay) ?? 0), percentage: percentage(f.delay.percent ?? 100) };
  if (f.abort) {
    if (f.abort.grpcStatus !== undefined) {
      kc.report(route.policy, `${pointer}/abort/grpcStatus`, {
        feature: "faultInjection",
        kind: "unsupported-value",
        what: "grpcStatus",
        severity: "error",
        message: "Kuma's MeshFaultInjection aborts with an HTTP status only (abort.httpStatus); use httpStatus",
      });
      return undefined;
    }
    if (view.routes.some((r) => r.retries && r.retries.value.attempts > 0)) {
      kc.report(route.policy, `${pointer}/abort`, {
        feature: "faultInjection",
        kind: "unsupported-value",
        what: "retried-abort",
        severity: "error",
        message: `Kuma injects aborts at ${view.namespace}/${view.service}'s inbound, where the caller's MeshRetry sees them as upstream failures and retries them; the model never retries an injected abort. Remove the retries or the abort`,
      });
      return undefined;
    }
    http.abort = { httpStatus: f.abort.httpStatus, percentage: percentage(f.abort.percent ?? 100) };
  }
  return {
    apiVersion: KUMA_V1ALPHA1,
    kind: "MeshFaultInjection",
    metadata: kc.meta(name, view.namespace, view.trafficPolicies),
    spec: { targetRef: workloadTarget(view), from: [{ targetRef: { kind: "Mesh" }, default: { http: [http] } }] },
  };
}
