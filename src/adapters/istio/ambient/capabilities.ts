/**
 * What Istio's ambient data plane (`--set dataplane=ambient`) can express, derived from its feature
 * modules like the sidecar adapter's (`deriveCapabilities`): each module sits next to the code that
 * translates or refuses its features.
 *
 * - ztunnel (L4: identities, namespaces, IP blocks, ports, mTLS modes): ztunnel.ts `ZTUNNEL_FEATURES`;
 * - waypoints, L7 access and JWT: waypoint.ts `WAYPOINT_FEATURES`;
 * - waypoints, routing: the Gateway API adapter's modules for the Gateway API release the Istio version
 *   is built against (routes.ts `gatewayApiOf`), minus what that Istio version does not read, and the
 *   traffic policy (DestinationRule) and refusals of routes.ts `ROUTE_FEATURES`.
 */
import type { Capabilities } from "../../../api/adapter.js";
import { type FeatureModule, deriveCapabilities, none, partial } from "../../../api/feature-module.js";
import { corsFeature } from "../../shared/gamma/features/cors.js";
import { headersFeature } from "../../shared/gamma/features/headers.js";
import { mirrorFeature } from "../../shared/gamma/features/mirror.js";
import { redirectFeature } from "../../shared/gamma/features/redirect.js";
import { resilienceFeature } from "../../shared/gamma/features/retries.js";
import { rewriteFeature } from "../../shared/gamma/features/rewrite.js";
import { splitFeature } from "../../shared/gamma/features/split.js";
import { ISTIO_READS_SINCE, ROUTE_FEATURES, gatewayApiOf } from "./routes.js";
import { compareVersions } from "../../../api/versions.js";
import { WAYPOINT_FEATURES } from "./waypoint.js";
import { waypointWasmExtensionFeature } from "../features/wasmExtension.js";
import { ZTUNNEL_FEATURES } from "./ztunnel.js";

/**
 * A Gateway API feature module as Istio `version`'s waypoints read it: its capabilities for the Gateway
 * API release of that version; before Istio reads `rules[].retry` (1.25), even where the CRDs have it,
 * `retries` only where the destination's routes are a VirtualService (ambient/virtualService.ts).
 */
function atWaypoint(m: FeatureModule): FeatureModule {
  return {
    features: m.features,
    capabilities: (version) => {
      const caps = m.capabilities(gatewayApiOf(version));
      const since = ISTIO_READS_SINCE["HTTPRoute.rules[].retry"]!;
      if (caps.retries && compareVersions(version, since) < 0) {
        caps.retries = partial(
          "VirtualService.http[].retries, read by the waypoint, for a destination whose routes are a VirtualService (fault injection, direct response)",
          `Waypoints ignore HTTPRoute rules[].retry before Istio ${since} (istio/istio#54800): retries only where the destination's routes are a VirtualService (Alpha).`,
        );
      }
      return caps;
    },
  };
}

/** `match` at waypoints: Istio reads RegularExpression matches (RE2), so string prefixes, regexes and header presence translate. */
const waypointMatchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({
    match: partial(
      "HTTPRoute.rules[].matches {path, headers, queryParams: Exact | PathPrefix | RegularExpression (RE2; string prefixes <prefix>.*, header presence .*), method}; VirtualService http[].match where the destination's routes are one",
      "the absence of a header is not translated; Istio ranks RegularExpression paths after every Exact and PathPrefix match (then longer patterns first), so routes must keep their order under that ranking",
    ),
  }),
};

/** The cross-cluster feature in ambient mode: not translated (its own conservative refusal). */
const crossClusterFeature: FeatureModule = {
  features: ["crossCluster"],
  capabilities: () => ({ crossCluster: none("Other members' identities and split targets are not translated for the ambient data plane yet.") }),
};

/** Every feature module of the ambient data plane. */
export const AMBIENT_FEATURES: readonly FeatureModule[] = [
  waypointMatchFeature,
  ...[splitFeature, resilienceFeature, mirrorFeature, headersFeature, corsFeature, rewriteFeature, redirectFeature].map(atWaypoint),
  ...ROUTE_FEATURES,
  ...ZTUNNEL_FEATURES,
  ...WAYPOINT_FEATURES,
  crossClusterFeature,
  waypointWasmExtensionFeature,
];

/** The capabilities of an Istio version with the ambient data plane, from {@link AMBIENT_FEATURES}. */
export function ambientCapabilities(version: string): Capabilities {
  return deriveCapabilities(AMBIENT_FEATURES, version);
}
