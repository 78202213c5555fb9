/**
 * Feature `headers` → `HTTPRoute.rules[].filters[]` `RequestHeaderModifier` / `ResponseHeaderModifier`
 * {set, add, remove} (Gateway API `HTTPHeaderFilter`; same filters on GRPCRoute).
 *
 * Linkerd 2.14–2.15 route with policy.linkerd.io/v1beta3 HTTPRoutes, whose CRD has no
 * `ResponseHeaderModifier` (filter types: RequestHeaderModifier, RequestRedirect), so response header
 * changes are an error there.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HeaderOps } from "../../../api/generated/model.js";
import type { LinkerdContext } from "../context.js";
import type { HeaderFilter, RouteFilter } from "../resources.js";
import { HTTP_TOKEN } from "../matching.js";

/** Keys in sorted order (add, remove, set), as translate() writes them: it then keeps the object as it is. */
function headerFilter(ops: HeaderOps): HeaderFilter {
  const entries = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
  const out: HeaderFilter = {};
  if (ops.add) out.add = entries(ops.add);
  if (ops.remove) out.remove = [...ops.remove];
  if (ops.set) out.set = entries(ops.set);
  return out;
}

/** The header filters of a route; `responseAllowed` false reports response changes as errors. */
export function headerFilters(lc: LinkerdContext, r: EffectiveRoute, responseAllowed: boolean): RouteFilter[] {
  const h = r.headers;
  if (!h) return [];
  for (const side of ["request", "response"] as const) {
    const ops = h.value[side];
    const bad = [...Object.keys(ops?.set ?? {}), ...Object.keys(ops?.add ?? {}), ...(ops?.remove ?? [])].filter((n) => !HTTP_TOKEN.test(n));
    if (bad.length) {
      lc.report(r.policy, `${h.pointer}/${side}`, "headers", "error", "adapter/unsupported-value",
        `Gateway API header filters take HTTP token names only (letters, digits and !#$%&'*+-.^_\`|~), not ${bad.map((n) => `"${n}"`).join(", ")}`);
      return [];
    }
  }
  const out: RouteFilter[] = [];
  if (h.value.request) out.push({ requestHeaderModifier: headerFilter(h.value.request), type: "RequestHeaderModifier" });
  if (h.value.response) {
    if (responseAllowed) out.push({ responseHeaderModifier: headerFilter(h.value.response), type: "ResponseHeaderModifier" });
    else {
      lc.report(r.policy, `${h.pointer}/response`, "headers", "error", "adapter/unsupported-value",
        `Linkerd ${lc.version} routes with policy.linkerd.io HTTPRoutes, which have no ResponseHeaderModifier filter (only RequestHeaderModifier and RequestRedirect), so response headers cannot be changed; use Linkerd 2.16+ (Gateway API HTTPRoute) or change them in the application`);
    }
  }
  return out;
}
