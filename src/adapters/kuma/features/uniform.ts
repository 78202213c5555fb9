/**
 * Route-level settings and Kuma's policy targets. Kuma's outbound policies (MeshTimeout, MeshRetry) apply
 * to a MeshService or to a whole MeshHTTPRoute (`to[].targetRef.kind: MeshHTTPRoute`), its inbound ones
 * (MeshFaultInjection) to every request a pod receives. So a route-level setting of the model is either
 * the same for every request to the destination (every route of its table, and the requests no route
 * matches, which the model leaves without it: only when a catch-all route exists), and then one policy
 * for the MeshService says it; or it differs, and then each route needs a MeshHTTPRoute of its own to be
 * targeted (outbound) or cannot be expressed (inbound).
 */
import { type At, type EffectiveRoute, canonicalJson } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";

/** True when a route takes every request of every caller (no source; no match, or the path prefix `/` alone). */
export function catchesAll(r: EffectiveRoute): boolean {
  if (r.source) return false;
  const m = r.match?.value;
  if (!m) return true;
  return !m.method && !m.headers && !m.queryParams && (!m.path || m.path.prefix === "/");
}

/** A setting over a destination's table: the same for every request (`uniform`, with its value and the first route that sets it) or not. */
export type Uniformity<T> = { uniform: true; value?: At<T>; route?: EffectiveRoute } | { uniform: false };

/** Whether a route-level setting is the same for every request to the destination. */
export function uniformity<T>(dc: DestinationContext, pick: (r: EffectiveRoute) => At<T> | undefined): Uniformity<T> {
  const routes = dc.view.routes;
  const keys = routes.map((r) => {
    const v = pick(r);
    return v === undefined ? "" : canonicalJson(v.value);
  });
  if (keys.some((k) => k !== keys[0])) return { uniform: false };
  const i = routes.findIndex((r) => pick(r) !== undefined);
  if (i < 0) return { uniform: true };
  if (!routes.some(catchesAll)) return { uniform: false };
  return { uniform: true, value: pick(routes[i]), route: routes[i] };
}

/** Reports (error) every use of a setting that differs across the destination's requests and has no per-route form. */
export function refuseNonUniform<T>(
  dc: DestinationContext,
  pick: (r: EffectiveRoute) => At<T> | undefined,
  feature: "faultInjection",
  what: string,
  kind: string,
): void {
  const { view } = dc;
  for (const r of view.routes) {
    const v = pick(r);
    if (!v) continue;
    dc.kc.report(r.policy, v.pointer, {
      feature,
      kind: "unsupported-value",
      what: "non-uniform",
      severity: "error",
      message: `Kuma's ${kind} applies to every request to ${view.namespace}/${view.service}, those no route matches included, and the routes of this destination ask for different ${what} (or leave some requests without): give every route the same ${what} and add a catch-all route, or none`,
    });
  }
}
