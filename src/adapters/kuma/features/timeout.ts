/**
 * Feature `timeout` → `MeshTimeout` (producer policy in the destination's namespace, `targetRef: Mesh`)
 * `to[].default.http.requestTimeout`: for the MeshService when every request to the destination gets the
 * same timeout (uniform.ts), else per route, `to[].targetRef: {kind: MeshHTTPRoute, name}` (each route then
 * has its own MeshHTTPRoute: routes.ts). Requests without a model timeout keep Kuma's default MeshTimeout
 * `mesh-timeout-all-<mesh>` (15s), as the model's "mesh default" says.
 * @see https://kuma.io/docs/2.14.x/policies/meshtimeout/
 * @see https://developer.konghq.com/mesh/targeting-meshhttproutes-in-supported-policies
 */
import { parseDuration } from "../../../api/duration.js";
import type { At, EffectiveRoute } from "../../../api/model.js";
import { kumaDuration } from "../context.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const timeout: FeatureModule = featureModule("timeout", () =>
  full(
    "MeshTimeout.to[MeshService | MeshHTTPRoute].default.http.requestTimeout",
    "no timeout is Kuma's default MeshTimeout (15s); route-specific timeouts target a MeshHTTPRoute per route",
  ),
);

/**
 * The request timeout of a route (ms, with where it was written). Without retries (`attempts: 0`) a
 * `perTryTimeout` bounds the one try, so the smaller of the two is the request timeout (MeshRetry with
 * `numRetries: 0` configures no retry policy at all, so its per-try timeout would be lost).
 */
export function effectiveTimeout(r: EffectiveRoute): At<number> | undefined {
  const rt = r.retries;
  const per = rt && rt.value.attempts === 0 && rt.value.perTryTimeout ? parseDuration(rt.value.perTryTimeout) : undefined;
  if (per === undefined) return r.timeout;
  if (r.timeout && r.timeout.value <= per) return r.timeout;
  return { value: per, pointer: `${rt!.pointer}/perTryTimeout` };
}

/** The MeshTimeout `default` of a route's timeout, if it has one. */
export function timeoutDefault(r: EffectiveRoute): { http: { requestTimeout: string } } | undefined {
  const t = effectiveTimeout(r);
  return t ? { http: { requestTimeout: kumaDuration(t.value) } } : undefined;
}
