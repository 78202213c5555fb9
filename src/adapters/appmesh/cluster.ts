/**
 * What the cluster layer knows about AWS App Mesh (`Adapter.cluster`): who installs its CRDs, the apply
 * order of its kinds, how discovery finds it (the `appmesh.k8s.aws` CRDs and the controller Deployment)
 * and its system namespace.
 */
import {
  APPLY_RANK,
  type ClusterHooks,
  type CrdObject,
  type DeploymentObject,
  type MeshFinding,
  type RankedObject,
  containersOf,
  crdVersions,
  deploymentName,
  imageTag,
} from "../../api/cluster.js";

/** Apply ranks of App Mesh's kinds: the Mesh first, VirtualNodes before the routers and services that name them. */
const RANKS: Readonly<Record<string, number>> = {
  Mesh: APPLY_RANK.mesh,
  VirtualNode: APPLY_RANK.workloads,
  BackendGroup: 21,
  VirtualGateway: 22,
  VirtualRouter: APPLY_RANK.routes,
  VirtualService: APPLY_RANK.default,
  GatewayRoute: 46,
};

function applyRank(o: RankedObject): number | undefined {
  return o.apiVersion.startsWith("appmesh.k8s.aws/") ? RANKS[o.kind] : undefined;
}

/**
 * App Mesh from the `appmesh.k8s.aws` CRDs and the controller Deployment
 * (`app.kubernetes.io/name=appmesh-controller`, image `.../amazon/appmesh-controller:v1.13.3`); the CRDs
 * alone cannot tell the version (`unknown`).
 */
function detect(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[] {
  const appmeshCrds = crds.filter((c) => c.spec.group === "appmesh.k8s.aws");
  const controllers = deployments.filter(
    (d) => d.metadata.labels?.["app.kubernetes.io/name"] === "appmesh-controller" || d.metadata.name === "appmesh-controller",
  );
  if (!appmeshCrds.length && !controllers.length) return [];
  const evidence: string[] = [];
  let version: string | undefined;
  for (const d of controllers) {
    const c = containersOf(d).find((x) => /appmesh-controller/.test(x.image ?? "")) ?? containersOf(d)[0];
    const tag = imageTag(c?.image);
    if (tag && !version) {
      version = tag.replace(/^v(?=\d)/, "");
      evidence.push(`controller ${deploymentName(d)} runs ${c?.image}`);
    }
  }
  evidence.push(
    appmeshCrds.length
      ? `CRDs: ${appmeshCrds.length} in appmesh.k8s.aws (${[...new Set(appmeshCrds.flatMap((c) => crdVersions(c).map((v) => v.name)))].join(", ")})`
      : "no appmesh.k8s.aws CRDs are installed",
  );
  if (!version) evidence.push("no appmesh-controller Deployment found: the version cannot be told");
  return [{ name: "appmesh", version: version ?? "unknown", evidence }];
}

/** App Mesh's cluster hooks. */
export const appmeshCluster: ClusterHooks = {
  title: "App Mesh",
  installHints: { "appmesh.k8s.aws": "the AWS App Mesh controller (the eks/appmesh-controller Helm chart)" },
  applyRank,
  controlPlane: [{ labelSelector: "app.kubernetes.io/name=appmesh-controller", what: "App Mesh controller Deployments" }],
  detect,
  isSystemNamespace: (ns) => ns === "appmesh-system",
};
