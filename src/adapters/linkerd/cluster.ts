/**
 * What the cluster layer knows about Linkerd (`Adapter.cluster`): who installs its CRDs, the apply order
 * of its kinds, how discovery finds it (control-plane Deployments, else the release written on its CRDs),
 * its system namespaces, and which version an edge release belongs to.
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
  deploymentName,
  imageTag,
  minorVersionOf,
} from "../../api/cluster.js";

const INSTALL = "Linkerd (linkerd install --crds | kubectl apply -f -, or the linkerd-crds Helm chart)";

/**
 * Apply ranks of Linkerd's kinds by `group|kind`. Linkerd authorization is allow-only: its restricting
 * objects (Servers, the namespace default policy) come early, the authentications and grants in the
 * authorization stage, rate limits last.
 */
const RANKS: Readonly<Record<string, number>> = {
  "policy.linkerd.io|Server": APPLY_RANK.workloads,
  "policy.linkerd.io|EgressNetwork": APPLY_RANK.workloads,
  "policy.linkerd.io|HTTPRoute": APPLY_RANK.routes,
  "linkerd.io|ServiceProfile": APPLY_RANK.routes,
  "split.smi-spec.io|TrafficSplit": APPLY_RANK.routes,
  "policy.linkerd.io|MeshTLSAuthentication": APPLY_RANK.authentications,
  "policy.linkerd.io|NetworkAuthentication": APPLY_RANK.authentications,
  "policy.linkerd.io|AuthorizationPolicy": APPLY_RANK.grants,
  "policy.linkerd.io|ServerAuthorization": APPLY_RANK.grants,
  "policy.linkerd.io|HTTPLocalRateLimitPolicy": APPLY_RANK.late,
};

function applyRank(o: RankedObject): number | undefined {
  const group = o.apiVersion.includes("/") ? o.apiVersion.slice(0, o.apiVersion.indexOf("/")) : "";
  // Multicluster: a Service label patch (mirror.linkerd.io/exported) makes the Service reachable from the
  // other members, so it goes last, after its Servers and every authorization object (and is not applied
  // when one of those fails); deletions run in reverse, so --prune releases the label first.
  if (group === "" && o.kind === "Service" && o.metadata?.labels?.["mirror.linkerd.io/exported"] !== undefined) return APPLY_RANK.late;
  return RANKS[`${group}|${o.kind}`];
}

/** The Linkerd release a CRD set was installed by (`linkerd.io/created-by: linkerd/cli edge-26.8.3`). */
function createdBy(annotations: Record<string, string> | undefined): string | undefined {
  const v = annotations?.["linkerd.io/created-by"];
  return v ? v.trim().split(/\s+/).pop() : undefined;
}

/** The oldest Linkerd release with these CRDs, when no release is written on them. */
function linkerdFloor(crds: readonly CrdObject[]): { version: string; why: string } {
  const routes = crds.find((c) => c.metadata.name === "httproutes.policy.linkerd.io");
  if (crds.some((c) => c.metadata.name === "egressnetworks.policy.linkerd.io"))
    return { version: "2.17", why: "egressnetworks.policy.linkerd.io exists (Linkerd 2.17+)" };
  if (crdServes(routes, "v1beta3")) return { version: "2.14", why: "policy.linkerd.io/v1beta3 HTTPRoute is served (Linkerd 2.14+)" };
  if (crdServes(routes, "v1beta2")) return { version: "2.13", why: "policy.linkerd.io/v1beta2 HTTPRoute is served (Linkerd 2.13+)" };
  return { version: "2.12", why: "no newer policy.linkerd.io API is served (Linkerd 2.12 or older)" };
}

/**
 * Linkerd from the control-plane Deployments (`linkerd.io/control-plane-component`), whose controller
 * image tag is the release (`cr.l5d.io/linkerd/controller:edge-26.8.3`), else the `linkerd.io/created-by`
 * annotation of the CRDs (`linkerd/cli edge-26.8.3`), else the oldest release the CRDs match.
 */
function detect(crds: readonly CrdObject[], deployments: readonly DeploymentObject[]): MeshFinding[] {
  const linkerdCrds = crds.filter((c) => /(^|\.)linkerd\.io$/.test(c.spec.group)).sort(byCrdName);
  const controlPlane = deployments
    .filter((d) => d.metadata.labels?.["linkerd.io/control-plane-component"] !== undefined)
    .sort((a, b) => deploymentName(a).localeCompare(deploymentName(b)));
  if (!linkerdCrds.length && !controlPlane.length) return [];
  const evidence: string[] = [];
  let version: string | undefined;
  const dest = controlPlane.find((d) => d.metadata.labels?.["linkerd.io/control-plane-component"] === "destination") ?? controlPlane[0];
  if (dest) {
    const c =
      containersOf(dest).find((x) => x.name !== "linkerd-proxy" && /controller|destination|policy/.test(`${x.name} ${x.image}`)) ??
      containersOf(dest).find((x) => x.name !== "linkerd-proxy");
    const tag = imageTag(c?.image) ?? createdBy(dest.metadata.annotations);
    if (tag) {
      version = tag;
      evidence.push(`control plane ${controlPlane.map(deploymentName).join(", ")}; ${dest.metadata.name} runs ${c?.image ?? `linkerd ${tag}`}`);
    }
  }
  const crdReleases = [...new Set(linkerdCrds.map((c) => createdBy(c.metadata.annotations)).filter((x): x is string => !!x))];
  if (linkerdCrds.length) evidence.push(`CRDs: ${linkerdCrds.length} in *.linkerd.io${crdReleases.length ? `, installed by ${crdReleases.join(", ")}` : ""}`);
  else evidence.push("no *.linkerd.io CRDs are installed");
  if (!version && crdReleases.length) version = crdReleases.sort(compareVersionsDesc)[0];
  if (!version) {
    const floor = linkerdFloor(linkerdCrds);
    version = floor.version;
    evidence.push(`no control plane or release annotation found: ${floor.why}; the version is the oldest release these CRDs match`);
  }
  return [{ name: "linkerd", version, evidence }];
}

/**
 * Linkerd edge releases → the major version they belong to (MESHES.md §3.2, `linkerd.io/data/versions.yaml`):
 * an edge release at or after a version's `version-2.X` tag is that version (or a later one's preview),
 * up to the next tag. Newest first.
 */
export const LINKERD_EDGE_VERSIONS: readonly { edge: readonly [year: number, month: number]; version: string }[] = [
  { edge: [26, 6], version: "2.20" },
  { edge: [25, 10], version: "2.19" },
  { edge: [25, 4], version: "2.18" },
  { edge: [24, 11], version: "2.17" },
  { edge: [24, 8], version: "2.16" },
  { edge: [24, 2], version: "2.15" },
];

/**
 * The adapter version of an installed Linkerd: `edge-YY.M.N` → the version of {@link LINKERD_EDGE_VERSIONS}
 * (`edge-26.8.3` → `2.20`; edges older than `edge-24.2` → undefined); otherwise {@link minorVersionOf}
 * (`stable-2.14.10` → `2.14`).
 */
export function linkerdVersionOf(installed: string): string | undefined {
  const edge = /^edge-(\d+)\.(\d+)(?:\.\d+)?$/.exec(installed.trim());
  if (!edge) return minorVersionOf(installed);
  const year = Number(edge[1]),
    month = Number(edge[2]);
  return LINKERD_EDGE_VERSIONS.find(({ edge: [y, m] }) => year > y || (year === y && month >= m))?.version;
}

/** Linkerd's cluster hooks. */
export const linkerdCluster: ClusterHooks = {
  title: "Linkerd",
  /**
   * Linkerd with an external issuer (`identity.externalCA=true`, `identity.issuer.scheme=kubernetes.io/tls`:
   * `2-edge/tasks/automatically-rotating-control-plane-tls-credentials.md`): the issuer Secret
   * `linkerd-identity-issuer` (type kubernetes.io/tls: `tls.crt` the member's intermediate, `tls.key` its
   * key, `ca.crt` the root) and the trust anchors, ConfigMap `linkerd-identity-trust-roots` (`ca-bundle.crt`:
   * the virtual mesh's root), both in namespace `linkerd`.
   */
  trustObjects: (t) => [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "linkerd-identity-issuer", namespace: "linkerd" },
      type: "kubernetes.io/tls",
      data: { "ca.crt": b64(t.rootCertPem), "tls.crt": b64(t.caCertPem), "tls.key": b64(t.caKeyPem) },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "linkerd-identity-trust-roots", namespace: "linkerd" },
      data: { "ca-bundle.crt": t.rootCertPem },
    },
  ],
  installHints: {
    "policy.linkerd.io": INSTALL,
    "linkerd.io": INSTALL,
    "workload.linkerd.io": INSTALL,
    "split.smi-spec.io": "the Linkerd SMI extension (linkerd smi install)",
    "gateway.networking.k8s.io":
      "the Gateway API CRDs (kubectl apply -f https://github.com/kubernetes-sigs/gateway-api/releases/...; Linkerd 2.18+ no longer installs them by default: linkerd install --crds --set installGatewayAPI=true)",
  },
  applyRank,
  controlPlane: [{ labelSelector: "linkerd.io/control-plane-component", what: "Linkerd control-plane Deployments" }],
  detect,
  isSystemNamespace: (ns) => /^linkerd(-|$)/.test(ns),
  controlPlaneNamespaces: (crds) => crds.map((c) => c.metadata.labels?.["linkerd.io/control-plane-ns"]).filter((ns): ns is string => !!ns),
  versionOf: linkerdVersionOf,
};

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}
