/**
 * Feature `cors` → `HTTPRoute.corsPolicy` (istio/api `networking/v1alpha3/virtual_service.proto`
 * `CorsPolicy`; pilot `TranslateCORSPolicy` → Envoy CORS per-route policy).
 *
 * - `allowOrigins` (StringMatch list) → `allowOrigins` (same exact/prefix/regex shape).
 * - `allowMethods`, `allowHeaders`, `exposeHeaders`, `allowCredentials` → same-named fields.
 * - `maxAge` → `maxAge`. Istio sends whole seconds (`MaxAge.GetSeconds()`, and Access-Control-Max-Age is an
 *   integer of seconds): a sub-second part is cut, with a warning; below 1 s it cannot be expressed.
 *
 * The VirtualService applies in the caller's sidecar (mesh gateway). Browsers reach the mesh through an
 * ingress gateway, which this mesh-only VirtualService does not configure.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { CorsPolicy, HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `cors`, per version. */
export const corsFeature: FeatureModule = {
  features: ["cors"],
  capabilities: () => ({
    cors: full("VirtualService.http[].corsPolicy", "answered by the caller's sidecar (mesh gateway); maxAge in whole seconds"),
  }),
};

/** Fills `HTTPRoute.corsPolicy`. */
export function applyCors(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  const c = r.cors;
  if (!c) return;
  const v = c.value;
  const cors: CorsPolicy = { allowOrigins: v.allowOrigins.map((o) => ({ ...o })) };
  if (v.allowMethods) cors.allowMethods = [...v.allowMethods];
  if (v.allowHeaders) cors.allowHeaders = [...v.allowHeaders];
  if (v.exposeHeaders) cors.exposeHeaders = [...v.exposeHeaders];
  if (v.maxAge !== undefined) {
    const ms = parseDuration(v.maxAge) ?? 0;
    const seconds = Math.floor(ms / 1000);
    if (seconds < 1) {
      dc.ic.report(r.policy, `${c.pointer}/maxAge`, {
        feature: "cors",
        kind: "unsupported-value",
        what: "maxAge",
        severity: "error",
        message: `maxAge ${v.maxAge} is below one second; Access-Control-Max-Age (and Istio's corsPolicy.maxAge) counts whole seconds. Use at least 1s`,
      });
    } else {
      if (seconds * 1000 !== ms) {
        dc.ic.report(r.policy, `${c.pointer}/maxAge`, {
          feature: "cors",
          kind: "unsupported-value",
          what: "maxAge",
          severity: "warning",
          message: `maxAge ${v.maxAge} is sent as ${seconds}s: Access-Control-Max-Age (and Istio's corsPolicy.maxAge) counts whole seconds`,
        });
      }
      cors.maxAge = formatDuration(seconds * 1000);
    }
  }
  if (v.allowCredentials !== undefined) cors.allowCredentials = v.allowCredentials;
  out.corsPolicy = cors;
}
