/**
 * What the cluster layer knows about Kuma (`Adapter.cluster`): who installs its CRDs, the apply order of
 * its kinds, how discovery finds it (the `kuma.io` CRDs and the `kuma-control-plane` Deployment, image
 * `kumahq/kuma-cp:<version>` or Kong Mesh's `kong/kuma-cp:<version>`) and its system namespace.
 */
import {
  APPLY_RANK,
  type ClusterHooks,
  type CrdObject,
  type DeploymentObject,
  type MeshFinding,
  type RankedObject,
  byCrdName,
  compareVersionsDesc,
  containersOf,
  deploymentName,
  describeCrd,
  imageTag,
} from "../../api/cluster.js";

const INSTALL = "Kuma (kumactl install control-plane, or the kuma Helm chart)";

/**
 * Apply ranks: MeshTLS with the workloads; routes; a MeshTrafficPermission that only denies before those
 * that allow, so a grant never goes live without its restrictions.
 */
function applyRank(o: RankedObject): number | undefined {
  if (!o.apiVersion.startsWith("kuma.io/")) return undefined;
  switch (o.kind) {
    case "MeshTLS":
      return APPLY_RANK.workloads;
    case "MeshHTTPRoute":
    case "MeshTCPRoute":
      return APPLY_RANK.routes;
    case "MeshTrafficPermission": {
      const rules = (o.spec as { rules?: { default?: { allow?: unknown[] } }[] } | undefined)?.rules ?? [];
      return rules.some((r) => (r.default?.allow?.length ?? 0) > 0) ? APPLY_RANK.grants : APPLY_RANK.restrictions;
    }
    default:
      return APPLY_RANK.default;
  }
}

/** Kuma from its CRDs and control-plane Deployments: one finding per control-plane version, newest first. */
function detect(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[] {
  const kumaCrds = crds.filter((c) => c.spec.group === "kuma.io").sort(byCrdName);
  const cps = deployments.filter((d) => d.metadata.labels?.app === "kuma-control-plane");
  if (!kumaCrds.length && !cps.length) return [];
  const crdEvidence = kumaCrds.length
    ? [`CRDs: ${kumaCrds.length} in kuma.io, e.g. ${describeCrd(kumaCrds.find((c) => c.metadata.name.startsWith("meshtrafficpermissions.")) ?? kumaCrds[0])}`]
    : ["no kuma.io CRDs are installed"];
  const byVersion = new Map<string, string[]>();
  for (const d of cps) {
    const c = containersOf(d).find((x) => x.name === "control-plane") ?? containersOf(d)[0];
    const v = /^\d+\.\d+(\.\d+)?/.exec(imageTag(c?.image) ?? "")?.[0] ?? d.metadata.labels?.["app.kubernetes.io/version"];
    if (!v) continue;
    byVersion.set(v, [...(byVersion.get(v) ?? []), `control plane ${deploymentName(d)} runs ${c?.image ?? `version ${v}`}`]);
  }
  const out: MeshFinding[] = [];
  for (const v of [...byVersion.keys()].sort(compareVersionsDesc)) out.push({ name: "kuma", version: v, evidence: [...byVersion.get(v)!, ...crdEvidence] });
  if (!out.length && kumaCrds.some((c) => c.metadata.name === "meshtrafficpermissions.kuma.io")) {
    out.push({
      name: "kuma",
      version: "2.14",
      evidence: [...crdEvidence, "no kuma-control-plane Deployment found (label app=kuma-control-plane): the version is the one whose CRDs unimesh knows"],
    });
  }
  return out;
}

/** Kuma's cluster hooks. */
export const kumaCluster: ClusterHooks = {
  title: "Kuma",
  installHints: { "kuma.io": INSTALL },
  applyRank,
  controlPlane: [{ labelSelector: "app=kuma-control-plane", what: "Kuma control-plane Deployments" }],
  detect,
  isSystemNamespace: (ns) => ns === "kuma-system",
};
