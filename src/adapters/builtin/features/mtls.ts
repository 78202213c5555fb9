/**
 * MTLSPolicies → `Destination.mtls` (a service's own policy, with per-port overrides) and
 * `ProxyConfigSpec.mtlsNamespaces` (namespace-wide ones). The proxy resolves a service's mode as:
 * its port override, its policy, its namespace's policy, then `defaultMtlsMode` (permissive).
 */
import type { Model } from "../../../api/model.js";
import type { MtlsNamespace } from "../resources.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `mtls` (format version 1). */
export const mtlsFeature: FeatureModule = {
  features: ["mtls"],
  capabilities: () => ({ mtls: full("Destination.mtls, spec.mtlsNamespaces", "not on pod-only ports (no pod addresses: a policy naming one is an error)") }),
};

export const mtls: DestinationFeature = (out, { dest }) => {
  const m = dest.mtls;
  if (!m) return;
  out.mtls = {
    policy: m.id,
    mode: m.doc.spec.mode,
    ...(m.doc.spec.ports ? { ports: { ...m.doc.spec.ports } } : {}),
  };
};

/** Namespace-wide modes, one per namespace (the model allows one namespace-wide MTLSPolicy per namespace). */
export function mtlsNamespaces(model: Model): MtlsNamespace[] {
  return model.namespaceMtls.map((e) => ({ namespace: e.namespace, mode: e.doc.spec.mode, policy: e.id }));
}
