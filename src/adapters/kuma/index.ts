/**
 * The Kuma adapter: `--mesh kuma[@2.14]`. Emits Kuma's targetRef policies (`kuma.io/v1alpha1`):
 * MeshHTTPRoute, MeshTCPRoute, MeshTimeout, MeshRetry, MeshCircuitBreaker, MeshLoadBalancingStrategy,
 * MeshFaultInjection, MeshRateLimit, MeshTrafficPermission, MeshTLS (see translator.ts for how they are
 * targeted and merged). Kong Mesh reads the same policies.
 *
 * Settings (`--set`): `meshName` (label `kuma.io/mesh`, default `default`), `systemNamespace` (default
 * `kuma-system`: where mesh-wide policies go); the core `trustDomain` is the trust domain of the callers'
 * SPIFFE IDs (a MeshIdentity's).
 *
 * @see https://kuma.io/docs/2.14.x/policies/introduction/
 */
import type { Adapter } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { kumaCluster } from "./cluster.js";
import { KUMA_SETTINGS } from "./context.js";
import { KUMA_FEATURES } from "./features/index.js";
import { translateKuma } from "./translator.js";
import { DEFAULT_KUMA_VERSION, KUMA_VERSIONS } from "./versions.js";

export { KUMA_FEATURES };

/** The Kuma adapter. */
export const kuma: Adapter = {
  name: "kuma",
  description:
    "Kuma 2.14 / Kong Mesh (Kubernetes): MeshHTTPRoute, MeshTimeout, MeshRetry, MeshCircuitBreaker, MeshLoadBalancingStrategy, MeshFaultInjection, MeshRateLimit, MeshTrafficPermission, MeshTLS",
  versions: KUMA_VERSIONS,
  defaultVersion: DEFAULT_KUMA_VERSION,
  apiGroups: ["kuma.io"],
  cluster: kumaCluster,
  settings: KUMA_SETTINGS,
  capabilities: (version) => deriveCapabilities(KUMA_FEATURES, version),
  translate: translateKuma,
};
