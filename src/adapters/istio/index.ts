/**
 * The Istio adapter: `--mesh istio[@1.22 … 1.30]` (default 1.30). Emits `networking.istio.io/v1`
 * VirtualService and DestinationRule, `security.istio.io/v1` AuthorizationPolicy and PeerAuthentication
 * (both API versions are served from Istio 1.22), `networking.istio.io/v1alpha3` EnvoyFilter for
 * local rate limits, and `extensions.istio.io/v1alpha1` WasmPlugin for WasmExtensions. Sidecar mode:
 * VirtualServices are bound to the `mesh` gateway only. Ambient mode (`--set dataplane=ambient`): what
 * ztunnel enforces, and waypoints (Gateway, HTTPRoute/GRPCRoute, DestinationRule, targetRefs policies)
 * for L7 access, JWT, routing and traffic policy, see ambient/translator.ts.
 *
 * Settings (`TranslateOptions.settings`, see `ISTIO_SETTINGS`): `clusterDomain` (default `cluster.local`),
 * the DNS domain of service hosts; `rootNamespace` (default `istio-system`), Istio's root namespace, where
 * workload-scoped policies would apply mesh-wide (refused). The trust domain of principals is
 * `model.trustDomain` (the core setting `trustDomain`).
 *
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 */
import type { Adapter, Capabilities, VersionProfile } from "../../api/adapter.js";
import { deriveCapabilities } from "../../api/feature-module.js";
import { ambientCapabilities } from "./ambient/capabilities.js";
import { ISTIO_SETTINGS } from "./context.js";
import { istioCluster } from "./cluster.js";
import { translateIstio } from "./translator.js";
import { ISTIO_FEATURES } from "./features/index.js";
import { DEFAULT_ISTIO_VERSION, FIELD_SINCE, ISTIO_VERSIONS, compareVersions } from "./versions.js";

/**
 * What an Istio version can express, feature by feature, for the data plane of `settings.dataplane`:
 * sidecar (the default) derived from the feature modules (`features/index.ts`), each of which declares its
 * own feature next to the code that translates or refuses it; ambient: ambient/capabilities.ts.
 */
export function istioCapabilities(version: string, settings?: Readonly<Record<string, string>>): Capabilities {
  if (settings?.dataplane === "ambient") return ambientCapabilities(version);
  return deriveCapabilities(ISTIO_FEATURES, version);
}

/** The Istio adapter. */
export const istio: Adapter = {
  name: "istio",
  description:
    "Istio 1.22-1.30: sidecar mode (VirtualService, DestinationRule, AuthorizationPolicy, PeerAuthentication, EnvoyFilter) or ambient mode with --set dataplane=ambient (ztunnel: AuthorizationPolicy, PeerAuthentication; waypoints: Gateway, HTTPRoute, GRPCRoute, DestinationRule, targetRefs policies)",
  versions: ISTIO_VERSIONS,
  apiGroups: ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io", "gateway.networking.k8s.io"],
  cluster: istioCluster,
  defaultVersion: DEFAULT_ISTIO_VERSION,
  profiles: versionProfiles(),
  settings: ISTIO_SETTINGS,
  capabilities: istioCapabilities,
  translate: translateIstio,
  importer: async () => (await import("./import/index.js")).istioImporter,
};

/**
 * Matrix columns: the versions between two releases that added a field of {@link FIELD_SINCE} behave
 * alike (e.g. `1.22-1.27`, `1.28-1.29`, `1.30`), in sidecar mode; then one column for the ambient data
 * plane, where the ambient capabilities change (settings `dataplane=ambient`).
 */
function versionProfiles(): VersionProfile[] {
  return [...sidecarProfiles(), ...ambientProfiles()];
}

/** Ambient columns: consecutive versions whose ambient capabilities are the same (`ambient 1.22-1.23`, ...). */
function ambientProfiles(): VersionProfile[] {
  const groups: string[][] = [];
  let last = "";
  for (const v of ISTIO_VERSIONS) {
    const caps = JSON.stringify(ambientCapabilities(v));
    if (caps === last) groups[groups.length - 1].push(v);
    else groups.push([v]);
    last = caps;
  }
  return groups.map((versions) => ({
    label: `ambient ${versions.length === 1 ? versions[0] : `${versions[0]}-${versions[versions.length - 1]}`}`,
    versions,
    settings: { dataplane: "ambient" },
  }));
}

function sidecarProfiles(): { label: string; versions: string[] }[] {
  const starts = [...new Set([ISTIO_VERSIONS[0] as string, ...Object.values(FIELD_SINCE)])].sort(compareVersions);
  return starts.map((from, i) => {
    const versions = ISTIO_VERSIONS.filter((v) => compareVersions(v, from) >= 0 && (i + 1 === starts.length || compareVersions(v, starts[i + 1]) < 0));
    const last = versions[versions.length - 1];
    return { label: versions.length === 1 ? from : `${from}-${last}`, versions };
  });
}
