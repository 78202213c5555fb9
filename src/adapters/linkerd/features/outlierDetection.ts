/**
 * Feature `outlierDetection` → failure accrual, the only circuit breaking Linkerd has: annotations on the
 * destination's `v1 Service` (`2-edge/reference/circuit-breaking.md`; policy controller
 * `outbound/index.rs` `parse_accrual_config`; available since 2.13):
 * - `balancer.linkerd.io/failure-accrual: consecutive`;
 * - `consecutive5xxErrors` (model default 5; Linkerd's is 7, so it is always written) →
 *   `…-consecutive-max-failures`. Linkerd counts failed responses (5xx) and failed requests, like
 *   Envoy's consecutive_5xx (which also counts local-origin failures);
 * - `baseEjectionTime` (model default 30s; Linkerd's min-penalty default is 1s) →
 *   `…-consecutive-min-penalty`, and `…-consecutive-max-penalty` = max(baseEjectionTime, 300s): Envoy
 *   multiplies the ejection time by the number of ejections up to max_ejection_time (300s by default);
 *   Linkerd backs off exponentially between failed probe requests, from min- to max-penalty;
 * - `consecutiveGatewayErrors`: Linkerd cannot count only 502/503/504; exact only when the 5xx threshold
 *   is not higher (every gateway-error run is then a 5xx run that trips first), else an error;
 * - `interval`: no equivalent and no effect on consecutive-error ejection (Envoy ejects on the Nth error
 *   too; the interval only paces its un-ejection sweeps): a note;
 * - `maxEjectionPercent` (model default 10): Linkerd has no cap and may make every endpoint unavailable,
 *   so anything below 100 is an error unless the approximation `unbounded-ejection` is allowed.
 *
 * The Service belongs to the user, so it is emitted as a minimal patch (`metadata` with name,
 * namespace and these annotations only, marked with `unimesh.io/patch`), to be applied with server-side
 * apply, which merges the annotations into the live Service without touching anything else.
 * A ServiceProfile for the Service disables failure accrual (the profile stack's balancer has none), so
 * Linkerd 2.14–2.15 destinations that need a ServiceProfile cannot have it (reported by the translator).
 */
import type { DestinationView } from "../../../api/model.js";
import { formatDuration, parseDuration } from "../../../api/duration.js";
import { objectMeta } from "../../../api/ownership.js";
import type { KubeObject } from "../../../api/adapter.js";
import type { LinkerdContext } from "../context.js";
import type { FindingKind, Severity } from "../../../api/diagnostics.js";
import { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE } from "../resources.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { versionFacts } from "../versions.js";

/** What Linkerd can do of `outlierDetection`, per version. */
export const outlierDetectionFeature: FeatureModule = {
  features: ["outlierDetection"],
  capabilities: (version) => ({
    outlierDetection: versionFacts(version).legacy
      ? partial(
          "Service annotations balancer.linkerd.io/failure-accrual* (server-side-apply patch)",
          "Consecutive failures only; no ejection cap (approximation unbounded-ejection); not with a ServiceProfile (retries).",
        )
      : partial(
          "Service annotations balancer.linkerd.io/failure-accrual* (server-side-apply patch)",
          "Consecutive failures only (gateway errors only when implied by the 5xx limit); no ejection cap (approximation unbounded-ejection).",
        ),
  }),
};

/** Envoy's default max_ejection_time (Istio does not expose it), the cap of the ejection backoff. */
const MAX_EJECTION_MS = 300_000;

/** The Service patch carrying the failure-accrual annotations, or undefined when nothing is to be set. */
export function outlierDetectionPatch(lc: LinkerdContext, v: DestinationView): KubeObject | undefined {
  const od = v.outlierDetection;
  if (!od) return undefined;
  const o = od.value;
  const p = od.pointer;
  // `field`: where (the outlierDetection itself when empty); `what`: the field the finding is about.
  const report = (field: string, severity: Severity, kind: FindingKind, message: string, what = field) =>
    lc.report(od.policy, field ? `${p}/${field}` : p, { feature: "outlierDetection", kind, what, severity, message });
  const c5 = o.consecutive5xxErrors ?? 5;
  const gw = o.consecutiveGatewayErrors;
  if (gw !== undefined && gw > 0) {
    if (c5 > 0 && c5 <= gw) {
      report(
        "consecutiveGatewayErrors",
        "info",
        "note",
        `Linkerd cannot count gateway errors alone, but none needs to be: every run of ${gw} consecutive gateway errors is a run of 5xx responses, which trips the consecutive-5xx limit of ${c5} first`,
      );
    } else {
      report(
        "consecutiveGatewayErrors",
        "error",
        "unsupported-value",
        `Linkerd's failure accrual counts every failed response (all 5xx), not 502/503/504 alone, so ejecting after ${gw} consecutive gateway errors${c5 > 0 ? ` but ${c5} other 5xx` : ""} cannot be expressed; set consecutive5xxErrors to at most ${gw} (then this limit is implied), or remove consecutiveGatewayErrors`,
      );
    }
  }
  if (c5 === 0) {
    if (!gw) report("consecutive5xxErrors", "info", "note", `consecutive5xxErrors: 0 turns ejection off: no failure accrual is configured`);
    return undefined;
  }
  if (o.interval !== undefined) {
    report(
      "interval",
      "info",
      "note",
      `Linkerd has no evaluation interval: like Envoy for consecutive errors, it marks an endpoint unavailable on the ${c5}th consecutive failure; the interval only paces Envoy's un-ejection, which Linkerd does with probe requests after the penalty`,
    );
  }
  const maxPct = o.maxEjectionPercent ?? 10;
  if (maxPct < 100) {
    const field = o.maxEjectionPercent !== undefined ? "maxEjectionPercent" : "";
    if (lc.ctx.allows("unbounded-ejection")) {
      report(
        field,
        "warning",
        "approximation",
        `approximation unbounded-ejection: Linkerd's failure accrual has no cap and may mark every endpoint unavailable (then requests fail fast with 503), where ${maxPct}% was the limit`,
        "maxEjectionPercent",
      );
    } else {
      report(
        field,
        "error",
        "unsupported-value",
        `Linkerd's failure accrual has no ejection cap: it may mark every endpoint of the Service unavailable at once (requests then fail fast with 503), so maxEjectionPercent ${maxPct}${o.maxEjectionPercent === undefined ? " (the default)" : ""} cannot be honoured; set maxEjectionPercent: 100, or allow the approximation unbounded-ejection`,
        "maxEjectionPercent",
      );
    }
  }
  const base = o.baseEjectionTime !== undefined ? (parseDuration(o.baseEjectionTime) ?? 30_000) : 30_000;
  // Keys in sorted order, as translate() writes them (it then keeps the object as it is).
  const annotations: Record<string, string> = {
    "balancer.linkerd.io/failure-accrual": "consecutive",
    "balancer.linkerd.io/failure-accrual-consecutive-max-failures": String(c5),
    "balancer.linkerd.io/failure-accrual-consecutive-max-penalty": formatDuration(Math.max(base, MAX_EJECTION_MS)),
    "balancer.linkerd.io/failure-accrual-consecutive-min-penalty": formatDuration(base),
    [PATCH_ANNOTATION]: PATCH_ANNOTATION_VALUE,
  };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: objectMeta(v.service, v.namespace, [od.policy], { annotations }),
  };
}
