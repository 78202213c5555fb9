/**
 * Feature `scope` (namespace- and mesh-wide AccessPolicies and MTLSPolicies): policies without a
 * selector, which Istio applies to every workload of their namespace, and in Istio's root namespace
 * (`rootNamespace` setting, default `istio-system`) to the whole mesh (istio/api
 * `security/v1beta1/authorization_policy.proto`, `peer_authentication.proto`). The AuthorizationPolicies
 * are built by access.ts (`scopedAuthorizationPolicies`, which refuses a namespace-wide policy in the root
 * namespace: it would apply mesh-wide), the PeerAuthentications by mtls.ts
 * (`namespacePeerAuthentications`).
 */
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `scope`, per version. */
export const scopeFeature: FeatureModule = {
  features: ["scope"],
  capabilities: () => ({
    scope: full("AuthorizationPolicy and PeerAuthentication without selector: in the namespace, or in the root namespace (rootNamespace setting) for the mesh"),
  }),
};
