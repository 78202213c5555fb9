/**
 * Outlier detection → `VirtualNode.spec.listeners[].outlierDetection` {maxServerErrors, interval,
 * baseEjectionDuration, maxEjectionPercent} (`OutlierDetection` in `virtualnode_types.go`; all four
 * required, so the model's documented defaults fill the gaps: 5 errors, 10s, 30s, 10%). App Mesh applies
 * it in the callers' Envoys to the hosts of the VirtualNode; the VirtualNodes unimesh routes to resolve
 * their pods one by one (headless Service, `responseType: ENDPOINTS`), so each pod is ejected on its own.
 *
 * A subset's own outlier detection (`subsetSettings[].outlierDetection`) goes to the listeners of that
 * subset's routing VirtualNode `<service>-<subset>` only: the callers' Envoys apply it to the hosts of the
 * node the route targets, i.e. to exactly the requests routes send to the subset.
 *
 * `maxServerErrors` counts consecutive 5xx answers (App Mesh API `OutlierDetection`); there is no
 * gateway-error-only counter, so `consecutiveGatewayErrors` is an error. `consecutive5xxErrors: 0`
 * disables ejection: nothing is emitted.
 */
import type { DestinationView } from "../../../api/model.js";
import { parseDuration } from "../../../api/duration.js";
import type { Tx } from "../context.js";
import type { ListenerOutlierDetection } from "../resources.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What App Mesh can do of `outlierDetection`. */
export const outlierDetectionFeature: FeatureModule = {
  features: ["outlierDetection"],
  capabilities: () => ({ outlierDetection: partial("VirtualNode.spec.listeners[].outlierDetection", "consecutive 5xx only (no consecutiveGatewayErrors)") }),
};

/**
 * The listener outlier detection of a destination (`od`: its own, or a subset's effective setting for
 * that subset's routing VirtualNode, see `subsetSetting`); undefined when none, null when it cannot be
 * expressed (reported).
 */
export function outlierDetection(
  tx: Tx,
  v: DestinationView,
  od: DestinationView["outlierDetection"] = v.outlierDetection,
): ListenerOutlierDetection | undefined | null {
  if (!od) return undefined;
  const s = od.value;
  let ok = true;
  if (s.consecutiveGatewayErrors) {
    tx.report(od.policy, `${od.pointer}/consecutiveGatewayErrors`, {
      feature: "outlierDetection",
      kind: "unsupported-value",
      what: "consecutiveGatewayErrors",
      severity: "error",
      message: `consecutiveGatewayErrors: ${tx.mesh} ejects hosts only after consecutive server errors of any kind (listeners[].outlierDetection.maxServerErrors counts every 5xx); use consecutive5xxErrors, or use --mesh istio`,
    });
    ok = false;
  }
  const errors = s.consecutive5xxErrors ?? 5;
  if (errors === 0) return ok ? undefined : null;
  const interval = tx.duration(parseDuration(s.interval ?? "10s") ?? 0, od.policy, `${od.pointer}/interval`, "outlierDetection");
  const base = tx.duration(parseDuration(s.baseEjectionTime ?? "30s") ?? 0, od.policy, `${od.pointer}/baseEjectionTime`, "outlierDetection");
  if (!ok || !interval || !base) return null;
  // Keys in sorted order (see translator.ts).
  return { baseEjectionDuration: base, interval, maxEjectionPercent: s.maxEjectionPercent ?? 10, maxServerErrors: errors };
}
