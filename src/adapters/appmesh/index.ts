/**
 * The AWS App Mesh adapter (`--mesh appmesh`): `appmesh.k8s.aws/v1beta2` Mesh, VirtualNode,
 * VirtualService and VirtualRouter as served by aws-app-mesh-controller-for-k8s v1.13, plus headless
 * `v1` Services for DNS service discovery. See translator.ts for what is generated, routes.ts for the
 * VirtualRouter routes, and features/<feature>.ts for each mapping and refusal.
 *
 * AWS discontinued App Mesh on 2026-09-30: every translation says so (`adapter/deprecated-mesh`, info)
 * and points to `--mesh istio`, `--mesh linkerd` and Gateway API / Amazon VPC Lattice.
 *
 * Settings (`--set key=value`): `meshName` (default `unimesh`), `clusterDomain` (default
 * `cluster.local`), `egressFilter` (`ALLOW_ALL` | `DROP_ALL`, default DROP_ALL when there is an
 * AccessPolicy, else ALLOW_ALL).
 *
 * Approximations (`allowApproximations`, `--allow`): `service-level-access`, `caller-side-access`,
 * `connection-pool-per-instance`.
 */
import type { Adapter } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { APPMESH_SETTINGS, CALLER_SIDE_ACCESS, CONNECTION_POOL_PER_INSTANCE, SERVICE_LEVEL_ACCESS } from "./context.js";
import { appmeshCluster } from "./cluster.js";
import { APPMESH_FEATURES } from "./features/index.js";
import { translateAppMesh } from "./translator.js";

/** The App Mesh adapter. */
export const appmesh: Adapter = {
  name: "appmesh",
  description: "AWS App Mesh (appmesh.k8s.aws/v1beta2, controller v1.13); discontinued by AWS on 2026-09-30",
  versions: ["1.13"],
  apiGroups: ["appmesh.k8s.aws"],
  cluster: appmeshCluster,
  defaultVersion: "1.13",
  approximations: {
    [SERVICE_LEVEL_ACCESS]:
      "AccessPolicy rules apply to whole services: an allowed caller may call every method, path and port of the destination, and deny rules with methods, paths, headers or ports are not enforced (App Mesh only lists whole VirtualServices as VirtualNode backends)",
    [CALLER_SIDE_ACCESS]:
      "AccessPolicies that admit only some callers are enforced in the callers' Envoys (VirtualNode backends) and over mutual TLS by the destination (listener subjectAlternativeNames), but a destination that is not strict mTLS on every port is reached in plaintext, unchecked, by pods without an App Mesh sidecar",
    [CONNECTION_POOL_PER_INSTANCE]:
      "connectionPool limits are enforced by each destination pod's Envoy for all callers together (VirtualNode listener connectionPool), not per calling proxy",
  },
  settings: APPMESH_SETTINGS,
  /** Derived from the feature modules (features/index.ts), each of which declares its own feature. */
  capabilities: (version) => deriveCapabilities(APPMESH_FEATURES, version),
  translate: translateAppMesh,
  importer: async () => (await import("./import/index.js")).appmeshImporter,
};
