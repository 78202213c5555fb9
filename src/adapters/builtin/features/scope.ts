/**
 * Feature `scope` (namespace- and mesh-wide AccessPolicies and MTLSPolicies): a destination's
 * `Destination.access` holds the effective rules of every scope; services without a destination entry get
 * `spec.namespaceAccess` / `spec.meshAccess` (access.ts `scopedAccess`), and the namespace and mesh mTLS
 * modes `spec.mtlsNamespaces` / `defaultMtlsMode` (mtls.ts, translator.ts).
 */
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `scope` (format version 1). */
export const scopeFeature: FeatureModule = {
  features: ["scope"],
  capabilities: () => ({
    scope: full(
      "Destination.access (all scopes), spec.namespaceAccess, spec.meshAccess, spec.mtlsNamespaces, spec.defaultMtlsMode",
      "every service of the registry in the namespace (or mesh)",
    ),
  }),
};
