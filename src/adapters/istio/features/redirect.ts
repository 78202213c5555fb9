/**
 * Feature `redirect`: `Route.redirect` → `HTTPRoute.redirect` {uri, authority, scheme, port, redirectCode}
 * (istio/api `networking/v1alpha3/virtual_service.proto` `HTTPRedirect`; pilot `ApplyRedirect` maps it to
 * Envoy `RedirectAction` path_redirect/host_redirect/scheme_redirect/port_redirect/response_code).
 *
 * `redirectCode` is always written (the model's default 301 is also Istio's). Istio leaves an explicit
 * port out of the Location when it is the scheme's default (80 for http, 443 for https): same URL.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HTTPRoute } from "../resources.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `redirect`, per version. */
export const redirectFeature: FeatureModule = {
  features: ["redirect"],
  capabilities: () => ({
    redirect: full("VirtualService.http[].redirect"),
  }),
};

/** Fills `HTTPRoute.redirect` for a redirect route. */
export function applyRedirect(r: EffectiveRoute, out: HTTPRoute): void {
  if (r.action.kind !== "redirect") return;
  const rd = r.action.redirect;
  out.redirect = {
    ...(rd.path !== undefined ? { uri: rd.path } : {}),
    ...(rd.authority !== undefined ? { authority: rd.authority } : {}),
    ...(rd.scheme !== undefined ? { scheme: rd.scheme } : {}),
    ...(rd.port !== undefined ? { port: rd.port } : {}),
    redirectCode: rd.statusCode ?? 301,
  };
}
