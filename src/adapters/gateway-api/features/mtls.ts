/**
 * Feature `mtls`: refused in every Gateway API release: no mesh mTLS mode API (BackendTLSPolicy configures
 * TLS to a backend, not the mesh's mutual TLS between workloads).
 */
import type { Model } from "../../../api/model.js";
import { type FeatureModule, refusedFeature } from "../../../api/feature-module.js";
import type { GatewayContext } from "../../shared/gamma/context.js";

/** What Gateway API can do of `mtls`: nothing, in every release. */
export const mtlsFeature: FeatureModule = refusedFeature("mtls", "No mesh mTLS mode API.");

/** Reports every MTLSPolicy (an error each). */
export function refuseMtls(gc: GatewayContext, model: Model): void {
  for (const p of model.mtlsPolicies) {
    gc.report(p, "/spec", {
      feature: "mtls",
      kind: "unsupported-feature",
      severity: "error",
      message: `MTLSPolicy: ${gc.release} has no mesh mTLS mode (BackendTLSPolicy sets up TLS to a backend, not mutual TLS between workloads); translate it for the mesh itself (--mesh istio or linkerd)`,
    });
  }
}
