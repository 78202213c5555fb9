/**
 * Feature `headers` → `rules[].filters[]` `RequestHeaderModifier` / `ResponseHeaderModifier` {set, add,
 * remove} (Gateway API `HTTPHeaderFilter`, core support on HTTPRoute; GRPCRoute has the same filters);
 * a split target's → the same filters in `rules[].backendRefs[].filters` (extended support). The model
 * never changes one header at both levels (rule/header-ops), so their order does not matter.
 */
import type { At, EffectiveRoute, Entry, ResolvedTarget } from "../../../../api/model.js";
import type { HeaderOps, Headers, TrafficPolicy } from "../../../../api/generated/model.js";
import { type FeatureModule, full } from "../../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";
import type { HeaderFilter, RouteFilter } from "../resources.js";
import { HTTP_TOKEN } from "./match.js";

function headerFilter(ops: HeaderOps): HeaderFilter {
  const entries = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
  const out: HeaderFilter = {};
  if (ops.add) out.add = entries(ops.add);
  if (ops.remove) out.remove = [...ops.remove];
  if (ops.set) out.set = entries(ops.set);
  return out;
}

/** The header filters of a route. */
export function headerFilters(gc: GatewayContext, r: EffectiveRoute): RouteFilter[] {
  return r.headers ? filtersOf(gc, r.policy, r.headers) : [];
}

/** The header filters of a split target (`split[j].headers`) → `backendRefs[].filters`. */
export function backendHeaderFilters(gc: GatewayContext, r: EffectiveRoute, t: ResolvedTarget, _grpc: boolean): RouteFilter[] {
  return t.headers ? filtersOf(gc, r.policy, t.headers) : [];
}

function filtersOf(gc: GatewayContext, policy: Entry<TrafficPolicy>, h: At<Headers>): RouteFilter[] {
  for (const side of ["request", "response"] as const) {
    const ops = h.value[side];
    const bad = [...Object.keys(ops?.set ?? {}), ...Object.keys(ops?.add ?? {}), ...(ops?.remove ?? [])].filter((n) => !HTTP_TOKEN.test(n));
    if (bad.length) {
      gc.report(policy, `${h.pointer}/${side}`, {
        feature: "headers",
        kind: "unsupported-value",
        severity: "error",
        message: `Gateway API header filters take HTTP token names only (letters, digits and !#$%&'*+-.^_\`|~), not ${bad.map((n) => `"${n}"`).join(", ")}; use rewrite.authority for the Host`,
      });
      return [];
    }
  }
  const out: RouteFilter[] = [];
  if (h.value.request) out.push({ requestHeaderModifier: headerFilter(h.value.request), type: "RequestHeaderModifier" });
  if (h.value.response) out.push({ responseHeaderModifier: headerFilter(h.value.response), type: "ResponseHeaderModifier" });
  return out;
}

/** `headers`: header modifier filters. */
export const headersFeature: FeatureModule = {
  features: ["headers"],
  capabilities: () => ({ headers: full("rules[].filters[] RequestHeaderModifier / ResponseHeaderModifier (backendRefs[].filters per split target)") }),
};
