/**
 * Feature `access`: refused in every Gateway API release: no authorization API (GEP-3779, mesh
 * AuthorizationPolicy, is not in any release up to 1.6). Every AccessPolicy is one error at `/spec`, which
 * covers its request conditions, negations and scope too (accessL7.ts, accessNegation.ts, scope.ts).
 */
import type { Model } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";

/** Why Gateway API cannot express any part of an AccessPolicy. */
export const NO_AUTHZ = "No authorization API (GEP-3779 is not in a release up to 1.6).";

/** What Gateway API can do of `access`: nothing, in every release. */
export const accessFeature: FeatureModule = refusedFeature("access", NO_AUTHZ);

/** Reports every AccessPolicy (an error each). */
export function refuseAccess(gc: GatewayContext, model: Model): void {
  for (const p of model.accessPolicies) {
    gc.report(p, "/spec", {
      feature: "access",
      kind: "unsupported-feature",
      severity: "error",
      message: `AccessPolicy: ${gc.release} has no authorization API (GEP-3779, mesh AuthorizationPolicy, is not in any release up to 1.6), so nothing would enforce who may call ${p.doc.spec.destination ? `${p.doc.spec.destination.service}` : "these workloads"}; translate access for the mesh itself (--mesh istio or linkerd) and apply it beside these routes`,
    });
  }
}
