/**
 * Feature `timeout` → `MeshTimeout` (producer policy in the destination's namespace, `targetRef: Mesh`)
 * `to[].default.http.requestTimeout`: for the MeshService when every request to the destination gets the
 * same timeout (uniform.ts), else per route, `to[].targetRef: {kind: MeshHTTPRoute, name}` (each route then
 * has its own MeshHTTPRoute: routes.ts). Requests without a model timeout keep Kuma's default MeshTimeout
 * `mesh-timeout-all-<mesh>` (15s), as the model's "mesh default" says.
 * @see https://kuma.io/docs/2.14.x/policies/meshtimeout/
 * @see https://developer.konghq.com/mesh/targeting-meshhttproutes-in-supported-policies
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { kumaDuration } from "../context.js";
import { type FeatureModule, full } from "./types.js";

export const timeout: FeatureModule = {
  feature: "timeout",
  capability: () => full("MeshTimeout.to[MeshService | MeshHTTPRoute].default.http.requestTimeout",
    "no timeout is Kuma's default MeshTimeout (15s); route-specific timeouts target a MeshHTTPRoute per route"),
};

/** The MeshTimeout `default` of a route's timeout, if it has one. */
export function timeoutDefault(r: EffectiveRoute): { http: { requestTimeout: string } } | undefined {
  return r.timeout ? { http: { requestTimeout: kumaDuration(r.timeout.value) } } : undefined;
}
