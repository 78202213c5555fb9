/**
 * What Gateway API (up to 1.6, either channel) has no field for: one error per policy and field, never a
 * silent drop. The adapter says what is portable across every GAMMA implementation, so these stay errors
 * even where one implementation has its own policy kind for them (Istio DestinationRule, Linkerd
 * annotations, Envoy Gateway BackendTrafficPolicy).
 *
 * - `faultInjection`, `directResponse`: no HTTPRoute filter delays, aborts or answers requests.
 * - `outlierDetection`, `connectionPool`, `loadBalancer`, `rateLimit`, `subsetSettings`: no field of a
 *   route or Service (BackendLBPolicy / XBackendTrafficPolicy are experimental and gateway-oriented, with no
 *   mesh semantics).
 * - `trafficSource`: a producer route (in the Service's namespace) applies to every client. Consumer
 *   routes (in a client namespace) apply to the clients of that namespace only, but not to callers by
 *   service account or pod labels.
 * - AccessPolicy (`access`, `accessL7`, `accessNegation`, `scope`): no authorization API (GEP-3779 is not
 *   in any release up to 1.6).
 * - MTLSPolicy (`mtls`): no mTLS mode API (BackendTLSPolicy configures TLS to a backend, not the mesh's
 *   mutual TLS between workloads).
 * - RequestAuthentication: no end-user token validation (src/adapters/shared/request-auth.ts).
 */
import type { DestinationView, EffectiveRoute, Model } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";
import { refuseRequestAuthentication } from "../../shared/request-auth.js";

const MESHES = "use --mesh istio, linkerd or appmesh, or the mesh's own objects beside these routes";

/** Reports every route-level feature Gateway API lacks; true when the route has one. */
export function reportUnsupportedRouteFeatures(gc: GatewayContext, r: EffectiveRoute): boolean {
  let bad = false;
  if (r.faultInjection) {
    bad = true;
    gc.report(r.policy, r.faultInjection.pointer, { feature: "faultInjection", kind: "unsupported-feature", severity: "error",
      message: `${gc.release} has no fault injection (no HTTPRoute filter delays or aborts requests); ${MESHES}, or split a share of the traffic to a Service that answers errors` });
  }
  if (r.action.kind === "directResponse") {
    bad = true;
    gc.report(r.policy, r.action.pointer, { feature: "directResponse", kind: "unsupported-feature", severity: "error",
      message: `${gc.release} has no direct response (HTTPRoute filters redirect, rewrite, mirror or change headers, none answers a request); route to a Service that answers ${r.action.directResponse.status}` });
  }
  return bad;
}

/** Reports a source-scoped TrafficPolicy. */
export function reportTrafficSource(gc: GatewayContext, r: EffectiveRoute): void {
  gc.report(r.policy, r.source?.pointer ?? "/spec/source", { feature: "trafficSource", kind: "unsupported-feature", severity: "error",
    message: `a Gateway API route attached to a Service applies to every client (a consumer route in a client's namespace applies to that namespace's clients, never to callers chosen by service account or pod labels), so a TrafficPolicy for some callers cannot be expressed portably. Remove source` });
}

/** Reports the destination-level settings (none has a Gateway API field). */
export function reportUnsupportedDestinationFeatures(gc: GatewayContext, v: DestinationView): void {
  const fields = [
    ["outlierDetection", "outlier detection (no field ejects failing endpoints)"],
    ["connectionPool", "connection-pool limits"],
    ["loadBalancer", "choice of load-balancing algorithm (session persistence is not a balancer choice)"],
    ["rateLimit", "rate limiting"],
  ] as const;
  for (const [k, what] of fields) {
    const s = v[k];
    if (s) gc.report(s.policy, s.pointer, { feature: k, kind: "unsupported-feature", severity: "error", message: `${gc.release} has no ${what} for a Service; ${MESHES}` });
  }
  for (const s of v.subsetSettings) {
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
      const x = s[k];
      if (x) gc.report(x.policy, x.pointer.slice(0, x.pointer.lastIndexOf("/")), { feature: "subsetSettings", kind: "unsupported-feature", severity: "error",
        message: `subsetSettings: ${gc.release} has no ${k} for a Service, nor for the Service ${v.service}-${s.subset.name} of a subset; ${MESHES}` });
    }
  }
}

/** Reports every AccessPolicy, MTLSPolicy and RequestAuthentication: Gateway API has no API for them. */
export function reportSecurityPolicies(gc: GatewayContext, model: Model): void {
  for (const p of model.accessPolicies) {
    gc.report(p, "/spec", { feature: "access", kind: "unsupported-feature", severity: "error",
      message: `AccessPolicy: ${gc.release} has no authorization API (GEP-3779, mesh AuthorizationPolicy, is not in any release up to 1.6), so nothing would enforce who may call ${p.doc.spec.destination ? `${p.doc.spec.destination.service}` : "these workloads"}; translate access for the mesh itself (--mesh istio or linkerd) and apply it beside these routes` });
  }
  for (const p of model.mtlsPolicies) {
    gc.report(p, "/spec", { feature: "mtls", kind: "unsupported-feature", severity: "error",
      message: `MTLSPolicy: ${gc.release} has no mesh mTLS mode (BackendTLSPolicy sets up TLS to a backend, not mutual TLS between workloads); translate it for the mesh itself (--mesh istio or linkerd)` });
  }
  refuseRequestAuthentication(model, gc.ctx, gc.release, "Gateway API has no token validation for mesh traffic");
}

const NO_AUTHZ = "No authorization API (GEP-3779 is not in a release up to 1.6).";

/** The features Gateway API has no field for, in every supported release. */
export const REFUSED_FEATURES: readonly FeatureModule[] = [
  refusedFeature("faultInjection", "No fault injection filter."),
  refusedFeature("directResponse", "No direct-response filter."),
  refusedFeature("outlierDetection", "No outlier detection."),
  refusedFeature("connectionPool", "No connection-pool limits."),
  refusedFeature("loadBalancer", "No load-balancing algorithm choice."),
  refusedFeature("rateLimit", "No rate limiting."),
  refusedFeature("subsetSettings", "No per-backend settings."),
  refusedFeature("trafficSource", "Routes apply to every client of a Service."),
  refusedFeature("mtls", "No mesh mTLS mode API."),
  refusedFeature("access", NO_AUTHZ),
  refusedFeature("accessL7", NO_AUTHZ),
  refusedFeature("accessNegation", NO_AUTHZ),
  refusedFeature("scope", NO_AUTHZ),
  refusedFeature("requestAuthentication", "No end-user token (JWT) validation."),
];
