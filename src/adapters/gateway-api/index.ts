/**
 * The Gateway API adapter: `--mesh gateway-api[@1.2 … 1.6]` (default 1.6), "Gateway API for service
 * mesh" (GAMMA). Emits `gateway.networking.k8s.io/v1` HTTPRoute and GRPCRoute with Service parentRefs
 * (and `v1beta1` ReferenceGrants for backends in other namespaces): what every GAMMA implementation
 * (Istio ambient and sidecar, Linkerd, Cilium, Kuma...) reads. Everything Gateway API has no field for is
 * an error naming the field; what only some implementations support (RegularExpression matches,
 * implementation-specific defaults) is not emitted.
 *
 * Settings: `channel` (standard, the default, or experimental): the release channel of the cluster's
 * Gateway API CRDs; `rules[].retry` exists only in the experimental channel (up to 1.6).
 *
 * @see https://gateway-api.sigs.k8s.io/mesh/
 * @see https://gateway-api.sigs.k8s.io/reference/spec/#httproute
 */
import type { Adapter, Capabilities } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { GATEWAY_API_FEATURES } from "./features/index.js";
import { gatewayApiCluster } from "./cluster.js";
import { GATEWAY_API_SETTINGS } from "../shared/gamma/context.js";
import { translateGatewayApi } from "./translator.js";
import { DEFAULT_GATEWAY_API_VERSION, FIELD_SINCE, GATEWAY_API_VERSIONS, compareVersions } from "../shared/gamma/versions.js";

/** What a Gateway API release can express (the standard channel; notes say what the experimental one adds), from the feature modules. */
export function gatewayApiCapabilities(version: string): Capabilities {
  return deriveCapabilities(GATEWAY_API_FEATURES, version);
}

/** The Gateway API adapter. */
export const gatewayApi: Adapter = {
  name: "gateway-api",
  description:
    "Gateway API for service mesh (GAMMA) 1.2-1.6, standard or experimental channel: HTTPRoute, GRPCRoute with Service parentRefs (portable across GAMMA implementations)",
  versions: GATEWAY_API_VERSIONS,
  defaultVersion: DEFAULT_GATEWAY_API_VERSION,
  profiles: versionProfiles(),
  apiGroups: ["gateway.networking.k8s.io"],
  cluster: gatewayApiCluster,
  settings: GATEWAY_API_SETTINGS,
  capabilities: gatewayApiCapabilities,
  translate: translateGatewayApi,
};

/** Matrix columns: releases between two standard-channel field additions behave alike (`1.2`, `1.3-1.4`, `1.5-1.6`). */
function versionProfiles(): { label: string; versions: string[] }[] {
  const starts = [
    ...new Set([
      GATEWAY_API_VERSIONS[0] as string,
      ...Object.values(FIELD_SINCE)
        .map((s) => s.standard)
        .filter((s): s is string => !!s && compareVersions(s, GATEWAY_API_VERSIONS[0]) > 0),
    ]),
  ].sort(compareVersions);
  return starts.map((from, i) => {
    const versions = GATEWAY_API_VERSIONS.filter((v) => compareVersions(v, from) >= 0 && (i + 1 === starts.length || compareVersions(v, starts[i + 1]) < 0));
    const last = versions[versions.length - 1];
    return { label: versions.length === 1 ? from : `${from}-${last}`, versions: [...versions] };
  });
}
