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
import type { Adapter, Capabilities } from "../../api/adapter.js";
import { FEATURES } from "../../api/features.js";
import { kumaCluster } from "./cluster.js";
import { KUMA_SETTINGS } from "./context.js";
import { access, accessL7, accessNegation, scope } from "./features/access.js";
import { connectionPool } from "./features/connectionPool.js";
import { faultInjection } from "./features/faultInjection.js";
import { headers } from "./features/headers.js";
import { loadBalancer } from "./features/loadBalancer.js";
import { match } from "./features/match.js";
import { mirror } from "./features/mirror.js";
import { mtls } from "./features/mtls.js";
import { outlierDetection } from "./features/outlierDetection.js";
import { rateLimit } from "./features/rateLimit.js";
import { redirect } from "./features/redirect.js";
import { retries } from "./features/retries.js";
import { rewrite } from "./features/rewrite.js";
import { split } from "./features/split.js";
import { timeout } from "./features/timeout.js";
import type { FeatureModule } from "./features/types.js";
import { cors, directResponse, requestAuthentication, subsetSettings, trafficSource } from "./features/unsupported.js";
import { translateKuma } from "./translator.js";
import { DEFAULT_KUMA_VERSION, KUMA_VERSIONS } from "./versions.js";

/** Every feature module, one per model feature: `capabilities()` is their declarations. */
export const KUMA_FEATURES: readonly FeatureModule[] = [
  match, split, timeout, retries, faultInjection, mirror, headers, cors, rewrite, redirect, directResponse,
  outlierDetection, connectionPool, loadBalancer, rateLimit, mtls, access, accessL7, accessNegation, scope,
  requestAuthentication, trafficSource, subsetSettings,
];

/** What a Kuma version can express, from the feature modules. Throws (a bug) when a feature has no module. */
export function kumaCapabilities(version: string): Capabilities {
  const out = Object.fromEntries(KUMA_FEATURES.map((m) => [m.feature, m.capability(version)])) as Capabilities;
  for (const f of FEATURES) if (!out[f]) throw new Error(`internal error: the Kuma adapter has no module for feature ${f}`);
  return out;
}

/** The Kuma adapter. */
export const kuma: Adapter = {
  name: "kuma",
  description: "Kuma 2.14 / Kong Mesh (Kubernetes): MeshHTTPRoute, MeshTimeout, MeshRetry, MeshCircuitBreaker, MeshLoadBalancingStrategy, MeshFaultInjection, MeshRateLimit, MeshTrafficPermission, MeshTLS",
  versions: KUMA_VERSIONS,
  defaultVersion: DEFAULT_KUMA_VERSION,
  apiGroups: ["kuma.io"],
  cluster: kumaCluster,
  settings: KUMA_SETTINGS,
  capabilities: kumaCapabilities,
  translate: translateKuma,
};
