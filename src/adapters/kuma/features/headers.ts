/**
 * Feature `headers` → `MeshHTTPRoute` filters `RequestHeaderModifier` / `ResponseHeaderModifier`
 * {set, add, remove} (Gateway API's HTTPHeaderFilter; at most 16 entries per list in the CRD). Names are
 * lower-cased (the CRD accepts lower-case tokens only; HTTP header names are case-insensitive).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HeaderOps } from "../../../api/generated/model.js";
import type { DestinationContext } from "../context.js";
import type { HeaderModifier, HttpRouteFilter } from "../resources.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const headers: FeatureModule = featureModule("headers", () =>
  full("MeshHTTPRoute filters RequestHeaderModifier / ResponseHeaderModifier", "at most 16 headers per set/add/remove list"),
);

const MAX = 16;

function modifier(dc: DestinationContext, r: EffectiveRoute, ops: HeaderOps, pointer: string): HeaderModifier {
  const out: HeaderModifier = {};
  const pairs = (m: Record<string, string>) =>
    Object.entries(m)
      .map(([name, value]) => ({ name: name.toLowerCase(), value }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (ops.set) out.set = pairs(ops.set);
  if (ops.add) out.add = pairs(ops.add);
  if (ops.remove) out.remove = ops.remove.map((n) => n.toLowerCase());
  for (const k of ["set", "add", "remove"] as const) {
    if ((out[k]?.length ?? 0) > MAX) {
      dc.kc.report(r.policy, `${pointer}/${k}`, {
        feature: "headers",
        kind: "unsupported-value",
        what: "too-many",
        severity: "error",
        message: `Kuma's MeshHTTPRoute header modifier takes at most ${MAX} headers per list (CRD maxItems); split the change across fewer headers`,
      });
    }
  }
  return out;
}

/** The header filters of a route. */
export function headerFilters(dc: DestinationContext, r: EffectiveRoute): HttpRouteFilter[] {
  const h = r.headers;
  if (!h) return [];
  const out: HttpRouteFilter[] = [];
  if (h.value.request) out.push({ type: "RequestHeaderModifier", requestHeaderModifier: modifier(dc, r, h.value.request, `${h.pointer}/request`) });
  if (h.value.response) out.push({ type: "ResponseHeaderModifier", responseHeaderModifier: modifier(dc, r, h.value.response, `${h.pointer}/response`) });
  return out;
}
