/**
 * The Linkerd adapter (`--mesh linkerd[@VERSION]`): Linkerd 2.14 to 2.20, default 2.20.
 *
 * Two profiles, because Linkerd's configuration API changed in 2.16:
 * - 2.16–2.20 (edge): Gateway API HTTPRoute/GRPCRoute with a Service parent (matching, weighted splits,
 *   header changes, redirects), `retry.linkerd.io/*` and `timeout.linkerd.io/*` route annotations,
 *   failure accrual as Service annotations (a server-side-apply patch), Server + AuthorizationPolicy +
 *   MeshTLSAuthentication/NetworkAuthentication (+ inbound HTTPRoutes) for access, HTTPLocalRateLimitPolicy
 *   (2.17+). Gateway API apiVersions follow the release (v1beta1/v1alpha2 on 2.16–2.17, v1 on 2.18+), and
 *   only Gateway API 1.1 fields are used (Linkerd 2.20 ignores a resource with fields newer than 1.2.1).
 * - 2.14–2.15 (legacy): ServiceProfile for retries, policy.linkerd.io/v1beta3 HTTPRoute for routing and
 *   timeouts, the same authorization resources.
 *
 * See `README.md` in this folder for the mapping, the traps it models and what must be applied
 * server-side. Settings: {@link LINKERD_SETTINGS}; approximations: {@link LINKERD_APPROXIMATIONS}.
 */
import type { Adapter, Capabilities } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { LINKERD_FEATURES } from "./features/index.js";
import { LINKERD_APPROXIMATIONS, LINKERD_SETTINGS } from "./context.js";
import { linkerdCluster } from "./cluster.js";
import { translateLinkerd } from "./translator.js";
import { DEFAULT_LINKERD_VERSION, LINKERD_VERSIONS } from "./versions.js";

export { LINKERD_APPROXIMATIONS, LINKERD_SETTINGS } from "./context.js";
export { LINKERD_VERSIONS, DEFAULT_LINKERD_VERSION, versionFacts, type VersionFacts } from "./versions.js";
export { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE } from "./resources.js";

/**
 * What a Linkerd version can express, for `unimesh meshes` and the README matrix: derived from the
 * feature modules (features/index.ts), each of which declares its own feature per version.
 */
export function linkerdCapabilities(version: string): Capabilities {
  return deriveCapabilities(LINKERD_FEATURES, version);
}

/** The Linkerd adapter. Pure and synchronous; see the module documentation. */
export const linkerd: Adapter = {
  name: "linkerd",
  description:
    "Linkerd 2.14-2.20: Gateway API routes with retry/timeout annotations (2.16+) or ServiceProfiles (2.14-2.15), Server-based authorization, failure accrual, local rate limits (2.17+)",
  versions: LINKERD_VERSIONS,
  apiGroups: ["policy.linkerd.io", "linkerd.io", "gateway.networking.k8s.io", "split.smi-spec.io"],
  cluster: linkerdCluster,
  defaultVersion: DEFAULT_LINKERD_VERSION,
  profiles: [
    { label: "2.16-2.20 (edge)", versions: ["2.16", "2.17", "2.18", "2.19", "2.20"] },
    { label: "2.14-2.15 (legacy)", versions: ["2.14", "2.15"] },
  ],
  approximations: LINKERD_APPROXIMATIONS,
  settings: LINKERD_SETTINGS,
  capabilities: linkerdCapabilities,
  translate: translateLinkerd,
  importer: async () => (await import("./import/index.js")).linkerdImporter,
};
