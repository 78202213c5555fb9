/**
 * Feature `directResponse`: `Route.directResponse` → `HTTPRoute.directResponse` {status, body.string}
 * (istio/api `networking/v1alpha3/virtual_service.proto` `HTTPDirectResponse`, in the CRD of every
 * supported release; pilot `ApplyDirectResponse` → Envoy `DirectResponseAction` with an inline body,
 * up to 1 MiB, above the model's 64 KiB limit).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HTTPRoute } from "../resources.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `directResponse`, per version. */
export const directResponseFeature: FeatureModule = {
  features: ["directResponse"],
  capabilities: () => ({
    directResponse: full("VirtualService.http[].directResponse"),
  }),
};

/** Fills `HTTPRoute.directResponse` for a directResponse route. */
export function applyDirectResponse(r: EffectiveRoute, out: HTTPRoute): void {
  if (r.action.kind !== "directResponse") return;
  const d = r.action.directResponse;
  out.directResponse = { status: d.status, ...(d.body !== undefined ? { body: { string: d.body } } : {}) };
}
