/**
 * What the cluster layer knows about Istio (`Adapter.cluster`): who installs its CRDs, the apply order of
 * its kinds, how discovery finds it (CRDs and istiod Deployments) and its system namespaces.
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
  crdServes,
  crdStorage,
  deploymentName,
  describeCrd,
  imageTag,
} from "../../api/cluster.js";

const INSTALL = "Istio (istioctl install, or the istio/base Helm chart)";

/** Apply ranks of Istio's kinds by `group|kind` (AuthorizationPolicy: see {@link applyRank}). */
const RANKS: Readonly<Record<string, number>> = {
  "networking.istio.io|DestinationRule": APPLY_RANK.workloads,
  "networking.istio.io|ServiceEntry": APPLY_RANK.workloads,
  "networking.istio.io|Sidecar": 25,
  "security.istio.io|PeerAuthentication": APPLY_RANK.workloads,
  "networking.istio.io|VirtualService": APPLY_RANK.routes,
  "networking.istio.io|EnvoyFilter": APPLY_RANK.default,
  "security.istio.io|RequestAuthentication": APPLY_RANK.authentications,
  "security.istio.io|AuthorizationPolicy": APPLY_RANK.grants,
  // Ambient: the waypoint (istio-waypoint class) exists before the Services are labelled to use it.
  "gateway.networking.k8s.io|Gateway": APPLY_RANK.workloads,
  // Ambient waypoint routes; a ReferenceGrant before the routes that need it (as the Gateway API adapter).
  "gateway.networking.k8s.io|ReferenceGrant": APPLY_RANK.services,
  "gateway.networking.k8s.io|HTTPRoute": APPLY_RANK.routes,
  "gateway.networking.k8s.io|GRPCRoute": APPLY_RANK.routes,
};

/**
 * Istio AuthorizationPolicy by `spec.action` (`security/v1beta1/authorization.proto`; default ALLOW):
 * DENY and CUSTOM only ever refuse requests, so they go before ALLOW (which grants what it matches).
 */
function applyRank(o: RankedObject): number | undefined {
  const group = o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "";
  // Ambient: a Service label patch (istio.io/use-waypoint) sends the traffic to the waypoint, so it goes
  // last, after the waypoint's routes and every authorization object (and is not applied when one of those
  // fails); deletions run in reverse, so --prune releases the label first.
  if (group === "" && o.kind === "Service" && o.metadata?.labels?.["istio.io/use-waypoint"] !== undefined) return APPLY_RANK.late;
  if (group === "security.istio.io" && o.kind === "AuthorizationPolicy") {
    const action = (o.spec as { action?: unknown } | undefined)?.action;
    if (action === "DENY" || action === "CUSTOM") return APPLY_RANK.restrictions;
  }
  return RANKS[`${group}|${o.kind}`];
}

/**
 * The oldest Istio minor release whose CRDs look like these (MESHES.md §3.1): `trafficextensions`
 * appear in 1.30; `security.istio.io/v1` is the storage version from 1.28, `networking.istio.io/v1`
 * from 1.27; `networking.istio.io/v1` is served from 1.22.
 */
function istioFloor(crds: readonly CrdObject[]): { version: string; why: string } {
  const byName = (n: string) => crds.find((c) => c.metadata.name === n);
  const vs = byName("virtualservices.networking.istio.io");
  const ap = byName("authorizationpolicies.security.istio.io");
  if (byName("trafficextensions.extensions.istio.io")) return { version: "1.30", why: "trafficextensions.extensions.istio.io exists (Istio 1.30+)" };
  if (crdStorage(ap) === "v1") return { version: "1.28", why: "security.istio.io/v1 is the storage version (Istio 1.28+)" };
  if (crdStorage(vs) === "v1") return { version: "1.27", why: "networking.istio.io/v1 is the storage version (Istio 1.27+)" };
  if (crdServes(vs, "v1")) return { version: "1.22", why: "networking.istio.io/v1 is served (Istio 1.22+)" };
  return { version: "1.21", why: "networking.istio.io/v1 is not served (Istio 1.21 or older)" };
}

/**
 * Istio from the `*.istio.io` CRDs (which API versions are served and stored tells the oldest release
 * they can come from) and the image tag of each istiod Deployment (`app=istiod`, container `discovery`,
 * e.g. `docker.io/istio/pilot:1.30.3`): one finding per istiod revision, newest first; the CRDs' floor
 * when no istiod is found.
 */
function detect(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[] {
  const out: MeshFinding[] = [];
  const istioCrds = crds.filter((c) => c.spec.group.endsWith(".istio.io") || c.spec.group === "istio.io").sort(byCrdName);
  const istiods = deployments.filter((d) => d.metadata.labels?.app === "istiod" || d.metadata.labels?.istio === "pilot");
  if (!istioCrds.length && !istiods.length) return out;
  const crdEvidence = istioCrds.length
    ? [`CRDs: ${istioCrds.length} in *.istio.io, e.g. ${describeCrd(istioCrds.find((c) => c.metadata.name.startsWith("virtualservices.")) ?? istioCrds[0])}`]
    : ["no *.istio.io CRDs are installed"];
  const floor = istioCrds.length ? istioFloor(istioCrds) : undefined;
  if (floor) crdEvidence.push(`CRDs match Istio ${floor.version} or later: ${floor.why}`);
  const byVersion = new Map<string, string[]>();
  for (const d of istiods) {
    const c = containersOf(d).find((x) => x.name === "discovery") ?? containersOf(d)[0];
    const tag = imageTag(c?.image);
    const v = /^\d+\.\d+(\.\d+)?/.exec(tag ?? "")?.[0] ?? d.metadata.labels?.["app.kubernetes.io/version"] ?? d.metadata.labels?.["operator.istio.io/version"];
    if (!v) continue;
    const rev = d.metadata.labels?.["istio.io/rev"];
    byVersion.set(v, [
      ...(byVersion.get(v) ?? []),
      `istiod ${deploymentName(d)}${rev && rev !== "default" ? ` (revision ${rev})` : ""} runs ${c?.image ?? `version ${v}`}`,
    ]);
  }
  if (byVersion.size) {
    for (const v of [...byVersion.keys()].sort(compareVersionsDesc)) out.push({ name: "istio", version: v, evidence: [...byVersion.get(v)!, ...crdEvidence] });
  } else if (floor) {
    out.push({
      name: "istio",
      version: floor.version,
      evidence: [...crdEvidence, "no istiod Deployment found (label app=istiod): the version is the oldest release these CRDs match"],
    });
  }
  return out;
}

/**
 * A namespace enrolled in ambient mode: label `istio.io/dataplane-mode=ambient` (istio.io
 * docs/ambient/usage/add-workloads: "Ambient mode can be seamlessly enabled (or disabled) ... by labelling
 * the namespace"), served by ztunnel, the per-node DaemonSet (`app=ztunnel`, istio-system). Translate its
 * policies with `--set dataplane=ambient`; without a ztunnel DaemonSet the evidence says so.
 */
function ambientNamespace(
  ns: { name: string; labels: Readonly<Record<string, string>> },
  agents: readonly DeploymentObject[],
): { settings: Record<string, string>; evidence: string[] } | undefined {
  if (ns.labels["istio.io/dataplane-mode"] !== "ambient") return undefined;
  const ztunnel = agents.map(deploymentName);
  return {
    settings: { dataplane: "ambient" },
    evidence: [
      `namespace ${ns.name} is labelled istio.io/dataplane-mode=ambient`,
      ztunnel.length
        ? `ztunnel DaemonSet ${ztunnel.join(", ")}`
        : "no ztunnel DaemonSet found (label app=ztunnel): ambient mode is not running, or it could not be listed",
    ],
  };
}

/** Istio's cluster hooks. */
export const istioCluster: ClusterHooks = {
  title: "Istio",
  /**
   * Istio's plug-in CA: the Secret `cacerts` in `istio-system` with `ca-cert.pem`, `ca-key.pem`,
   * `root-cert.pem` and `cert-chain.pem`, which istiod reads at start to sign workload certificates with
   * the member's intermediate (istio.io `docs/tasks/security/cert-management/plugin-ca-cert/`; restart
   * istiod and the workloads after the first apply).
   */
  trustObjects: (t) => [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "cacerts", namespace: "istio-system" },
      type: "Opaque",
      data: {
        "ca-cert.pem": b64(t.caCertPem),
        "ca-key.pem": b64(t.caKeyPem),
        "cert-chain.pem": b64(t.certChainPem),
        "root-cert.pem": b64(t.rootCertPem),
      },
    },
  ],
  installHints: {
    "networking.istio.io": INSTALL,
    "security.istio.io": INSTALL,
    "telemetry.istio.io": INSTALL,
    "extensions.istio.io": INSTALL,
    "gateway.networking.k8s.io":
      "the Gateway API CRDs (kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml): Istio's ambient waypoints are Gateways",
  },
  applyRank,
  controlPlane: [{ labelSelector: "app=istiod", what: "istiod Deployments" }],
  nodeAgents: [{ labelSelector: "app=ztunnel", what: "ztunnel DaemonSets" }],
  namespaceSettings: ambientNamespace,
  detect,
  isSystemNamespace: (ns) => /^istio-/.test(ns),
};

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}
