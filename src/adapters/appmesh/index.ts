/**
 * The AWS App Mesh adapter (`--mesh appmesh`): `appmesh.k8s.aws/v1beta2` Mesh, VirtualNode,
 * VirtualService and VirtualRouter as served by aws-app-mesh-controller-for-k8s v1.13, plus headless
 * `v1` Services for DNS service discovery. See translator.ts for what is generated and features/ for
 * each mapping.
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
import type { Adapter, Capabilities } from "../../api/adapter.js";
import { APPMESH_SETTINGS, CALLER_SIDE_ACCESS, CONNECTION_POOL_PER_INSTANCE, SERVICE_LEVEL_ACCESS } from "./context.js";
import { appmeshCluster } from "./cluster.js";
import { translateAppMesh } from "./translator.js";

const VR = "VirtualRouter.spec.routes[]";

/** What App Mesh 1.13 expresses, per model feature. */
const CAPABILITIES_1_13: Capabilities = {
  match: {
    support: "partial",
    note: "path prefix/exact/regex, method, headers (exact/prefix/regex/present/absent), query parameters exact only; at most 10 headers and 10 query parameters; gRPC ports: /service/method paths and metadata",
    via: `${VR}.httpRoute.match`,
  },
  split: { support: "full", note: "at most 10 targets, all on one port (App Mesh silently drops mixed-port routes)", via: `${VR}.httpRoute.action.weightedTargets` },
  timeout: {
    support: "partial",
    note: "no timeout is App Mesh's 15s default (cannot be switched off); longer timeouts are also set on the listeners of the destination's VirtualNodes (the pods' own and the subset's) and of its callers' VirtualNodes",
    via: `${VR}.httpRoute.timeout.perRequest, VirtualNode.spec.listeners[].timeout`,
  },
  retries: {
    support: "partial",
    note: "retryOn 5xx, gateway-error, retriable-4xx, refused-stream, connect-failure (gRPC codes on gRPC ports); no back-off; no chosen status codes; omitted retries disable App Mesh's default retry policy",
    via: `${VR}.httpRoute.retryPolicy`,
  },
  faultInjection: { support: "none", note: "aws/aws-app-mesh-roadmap#36" },
  mirror: { support: "none" },
  headers: { support: "none" },
  cors: { support: "none" },
  rewrite: { support: "none", note: "GatewayRoute rewrites at ingress only" },
  redirect: { support: "none" },
  directResponse: { support: "none" },
  outlierDetection: { support: "partial", note: "consecutive 5xx only (no consecutiveGatewayErrors)", via: "VirtualNode.spec.listeners[].outlierDetection" },
  connectionPool: {
    support: "partial",
    note: `enforced per destination pod for all callers, not per caller: opt in with ${CONNECTION_POOL_PER_INSTANCE}; no maxRequestsPerConnection, maxRetries, connectTimeout, idleTimeout`,
    via: "VirtualNode.spec.listeners[].connectionPool",
  },
  loadBalancer: { support: "none" },
  rateLimit: { support: "none", note: "aws/aws-app-mesh-roadmap#107" },
  mtls: {
    support: "partial",
    note: "needs SPIRE certificates over SDS (controller --enable-sds=true); per VirtualNode listener",
    via: "VirtualNode.spec.listeners[].tls, VirtualNode.spec.backends[].virtualService.clientPolicy.tls",
  },
  access: {
    support: "partial",
    note: `per service: the callers' VirtualNode backends (egressFilter DROP_ALL) and the destination listener's subjectAlternativeNames (exact SPIFFE IDs); restricted callers need strict mTLS on every port (else opt in with ${CALLER_SIDE_ACCESS}); namespaces and "*" minus denies stand for the services unimesh knows; no ipBlocks`,
    via: "VirtualNode.spec.backends[], VirtualNode.spec.listeners[].tls.validation.subjectAlternativeNames, Mesh.spec.egressFilter",
  },
  accessL7: {
    support: "partial",
    note: `only ports naming every port of the destination (no condition, so exact); methods/paths/headers and other ports: opt in with ${SERVICE_LEVEL_ACCESS} to allow whole services`,
  },
  scope: {
    support: "partial",
    note: "applied per VirtualNode: to the services unimesh knows (MeshServices, destinations), not to other workloads of the namespace or mesh",
    via: "VirtualNode.spec.backends[] and listeners[].tls of every VirtualNode in scope",
  },
  accessNegation: {
    support: "partial",
    note: `notServiceAccounts/notNamespaces leave those callers' VirtualNodes out (per service); no notIpBlocks; notMethods/notPaths/notPorts/notHeaders: opt in with ${SERVICE_LEVEL_ACCESS}`,
    via: "VirtualNode.spec.backends[]",
  },
  requestAuthentication: { support: "none", note: "no end-user token (JWT) validation: App Mesh's Envoy gets no jwt_authn filter from the controller" },
  trafficSource: { support: "none", note: "routes apply to every caller of a VirtualService" },
  subsetSettings: { support: "partial", via: "the subset VirtualNode's listeners[].outlierDetection", note: "outlierDetection only: a subset's routing VirtualNode has no pods for a connection pool; no load balancer choice" },
};

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
  capabilities: () => CAPABILITIES_1_13,
  translate: translateAppMesh,
  importer: async () => (await import("./import/index.js")).appmeshImporter,
};
