/**
 * Feature `split`: a forwarding route's weighted targets → `HTTPRoute.route[]`
 * {`destination` {host, subset, port.number}, `weight`} (istio/api `networking/v1alpha3/virtual_service.proto`),
 * with each subset defined in the destination's DestinationRule (`DestinationRule.subsets[]` {name, labels},
 * registered from `DestinationView.subsets` by the translator).
 *
 * The host is the service FQDN `<svc>.<ns>.svc.<clusterDomain>`; a target that is another Service
 * (`split[].service`, same namespace) is that Service's FQDN, without subset (Istio routes to any host). `weight` is left out for a single target
 * (it receives all traffic); zero weights are kept (Istio skips zero-weight clusters, as the model means).
 * A target port (`split[].port`, else the policy's destination port) → `destination.port.number`.
 * In a destination with a target in another member of a virtual mesh, every target is a subset pinned to
 * its cluster (crossCluster.ts). A target's header changes (`split[].headers`) → `route[].headers` (`HTTPRouteDestination.headers`,
 * request and response, like the route's; headers.ts). The model never changes one header at both
 * levels (rule/header-ops), so the order Envoy applies them in (a weighted cluster's before the route's,
 * a lone destination's after) does not matter.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { translateHeaders } from "./headers.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import { clusterSubsetName, pinnedToClusters } from "./crossCluster.js";

/** What Istio can do of `split`, per version. */
export const splitFeature: FeatureModule = {
  features: ["split"],
  capabilities: () => ({
    split: full("VirtualService.http[].route[].weight + DestinationRule.subsets[]"),
  }),
};

/** Fills `HTTPRoute.route[]` for a forwarding route. */
export function applySplit(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  if (r.action.kind !== "split") return;
  const host = dc.ic.host(dc.view.service, dc.view.namespace);
  const targets = r.action.targets;
  const pinned = pinnedToClusters(dc.view);
  out.route = targets.map((t) => {
    const subset = pinned ? clusterSubsetName(dc, t) : t.subset?.name;
    return {
      destination: {
        host: t.service ? dc.ic.host(t.service, dc.view.namespace) : host,
        ...(subset !== undefined ? { subset } : {}),
        ...(t.port ? { port: { number: t.port } } : {}),
      },
      ...(t.headers ? { headers: translateHeaders(t.headers, r.policy, dc) } : {}),
      ...(targets.length > 1 ? { weight: t.weight } : {}),
    };
  });
}
