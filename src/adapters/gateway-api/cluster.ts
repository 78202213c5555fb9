/**
 * What the cluster layer knows about Gateway API (`Adapter.cluster`): who installs its CRDs and the apply
 * order of its kinds. No detection: Gateway API CRDs sit beside a mesh (Istio, Linkerd, Cilium, Kuma)
 * that implements them, so `--mesh auto` picks that mesh; target Gateway API with `--mesh gateway-api`.
 * The installed release is on the CRDs (`gateway.networking.k8s.io/bundle-version: v1.6.1`, channel in
 * `gateway.networking.k8s.io/channel`); {@link gatewayApiVersionOf} maps it to an adapter version.
 */
import { APPLY_RANK, type ClusterHooks, type RankedObject, minorVersionOf } from "../../api/cluster.js";

const INSTALL =
  "the Gateway API CRDs (kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml, or experimental-install.yaml for --set channel=experimental); GAMMA routes also need a mesh that implements them";

function applyRank(o: RankedObject): number | undefined {
  if (!o.apiVersion.startsWith("gateway.networking.k8s.io/")) return undefined;
  // A ReferenceGrant before the routes that need it.
  return o.kind === "ReferenceGrant" ? APPLY_RANK.services : o.kind === "HTTPRoute" || o.kind === "GRPCRoute" ? APPLY_RANK.routes : undefined;
}

/** `v1.6.1` → `1.6`. */
export function gatewayApiVersionOf(installed: string): string | undefined {
  return minorVersionOf(installed);
}

/** Gateway API's cluster hooks. */
export const gatewayApiCluster: ClusterHooks = {
  title: "Gateway API",
  installHints: { "gateway.networking.k8s.io": INSTALL },
  applyRank,
  versionOf: gatewayApiVersionOf,
};
