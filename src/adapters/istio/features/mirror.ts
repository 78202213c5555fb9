/**
 * Feature `mirror` → `HTTPRoute.mirror` {host, subset, port.number} + `HTTPRoute.mirrorPercentage.value`
 * (istio/api `networking/v1alpha3/virtual_service.proto`; pilot `MirrorPercent`: 0 % disables mirroring,
 * unset means 100 %, written explicitly here).
 *
 * A subset of the destination itself is in its DestinationRule (`DestinationView.subsets`). A subset of
 * ANOTHER service must be a subset of that host's DestinationRule, so it is added to (or creates) the
 * DestinationRule `<svc>` of the mirror target; when that service's MeshService declares subsets, the
 * labels must be declared ones.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { Destination, HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `mirror`, per version. */
export const mirrorFeature: FeatureModule = {
  features: ["mirror"],
  capabilities: () => ({
    mirror: full("VirtualService.http[].mirror + mirrorPercentage", "a subset of another service is added to that host's DestinationRule"),
  }),
};

/** Fills `HTTPRoute.mirror` and `mirrorPercentage`, adding a subset of another service to its DestinationRule. */
export function applyMirror(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  const m = r.mirror;
  if (!m) return;
  const target = m.value.serviceResolved;
  const dest: Destination = { host: dc.ic.host(target.name, target.namespace) };
  if (m.value.subsetResolved) dest.subset = m.value.subsetResolved.name;
  else if (m.value.subset) {
    const found = dc.drs.subsetFor(target.namespace, target.name, m.value.subset, r.policy);
    if (found.ok) dest.subset = found.name;
    else {
      dc.ic.report(r.policy, `${m.pointer}/subset`, {
        feature: "mirror",
        kind: "unsupported-value",
        what: "subset",
        severity: "error",
        message: `${found.reason}; Istio can only mirror to a subset defined in the DestinationRule of ${dest.host}. Declare it in the MeshService`,
      });
      return;
    }
  }
  if (m.value.port !== undefined) dest.port = { number: m.value.port };
  out.mirror = dest;
  out.mirrorPercentage = { value: m.value.percent ?? 100 };
}
