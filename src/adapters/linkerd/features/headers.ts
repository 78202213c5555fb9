/**
 * Feature `headers` → `HTTPRoute.rules[].filters[]` `RequestHeaderModifier` / `ResponseHeaderModifier`
 * {set, add, remove} (Gateway API `HTTPHeaderFilter`; same filters on GRPCRoute); a split target's →
 * the same filters in `rules[].backendRefs[].filters` (Linkerd applies a rule's filters, then the chosen
 * backend's; the model never changes one header at both levels, rule/header-ops).
 *
 * Linkerd 2.14–2.15 route with policy.linkerd.io/v1beta3 HTTPRoutes, whose CRD has no
 * `ResponseHeaderModifier` (filter types: RequestHeaderModifier, RequestRedirect), so response header
 * changes are an error there.
 */
import type { At, EffectiveRoute, Entry, ResolvedTarget } from "../../../api/model.js";
import type { HeaderOps, Headers, TrafficPolicy } from "../../../api/generated/model.js";
import type { LinkerdContext } from "../context.js";
import type { HeaderFilter, RouteFilter } from "../resources.js";
import { HTTP_TOKEN } from "../matching.js";
import { type FeatureModule, full, partial } from "../../../api/feature-module.js";
import { versionFacts } from "../versions.js";

/** What Linkerd can do of `headers`, per version. */
export const headersFeature: FeatureModule = {
  features: ["headers"],
  capabilities: (version) => ({
    headers: versionFacts(version).legacy
      ? partial(
          "policy.linkerd.io HTTPRoute RequestHeaderModifier",
          "No response header changes for a whole route (no ResponseHeaderModifier on policy.linkerd.io HTTPRoute rules; a split target's backendRefs filters have it).",
        )
      : full("HTTPRoute RequestHeaderModifier / ResponseHeaderModifier filters"),
  }),
};

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
  return r.headers ? filtersOf(lc, r.policy, r.headers, responseAllowed) : [];
}

/**
 * The header filters of a split target (`split[j].headers`) → `backendRefs[].filters`, which every
 * version reads (its policy controller converts RequestHeaderModifier and ResponseHeaderModifier of a
 * backend, `convert_backend`; the proxy applies them to that backend's requests and responses, also on
 * 2.14, whose policy.linkerd.io HTTPRoute CRD allows ResponseHeaderModifier on backends though not on
 * rules).
 */
export function backendHeaderFilters(lc: LinkerdContext, r: EffectiveRoute, t: ResolvedTarget): RouteFilter[] {
  return t.headers ? filtersOf(lc, r.policy, t.headers, true) : [];
}

function filtersOf(lc: LinkerdContext, policy: Entry<TrafficPolicy>, h: At<Headers>, responseAllowed: boolean): RouteFilter[] {
  for (const side of ["request", "response"] as const) {
    const ops = h.value[side];
    const bad = [...Object.keys(ops?.set ?? {}), ...Object.keys(ops?.add ?? {}), ...(ops?.remove ?? [])].filter((n) => !HTTP_TOKEN.test(n));
    if (bad.length) {
      lc.report(policy, `${h.pointer}/${side}`, {
        feature: "headers",
        kind: "unsupported-value",
        what: "header-name",
        severity: "error",
        message: `Gateway API header filters take HTTP token names only (letters, digits and !#$%&'*+-.^_\`|~), not ${bad.map((n) => `"${n}"`).join(", ")}`,
      });
      return [];
    }
  }
  const out: RouteFilter[] = [];
  if (h.value.request) out.push({ requestHeaderModifier: headerFilter(h.value.request), type: "RequestHeaderModifier" });
  if (h.value.response) {
    if (responseAllowed) out.push({ responseHeaderModifier: headerFilter(h.value.response), type: "ResponseHeaderModifier" });
    else {
      lc.report(policy, `${h.pointer}/response`, {
        feature: "headers",
        kind: "unsupported-value",
        what: "response",
        severity: "error",
        message: `Linkerd ${lc.version} routes with policy.linkerd.io HTTPRoutes, which have no ResponseHeaderModifier filter on rules (only RequestHeaderModifier and RequestRedirect), so response headers cannot be changed for the whole route; use Linkerd 2.16+ (Gateway API HTTPRoute), set them on the split target (backendRefs filters allow it), or change them in the application`,
      });
    }
  }
  return out;
}
