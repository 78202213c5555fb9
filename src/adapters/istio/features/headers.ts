/**
 * Feature `headers` → `HTTPRoute.headers.request|response` {set, add, remove}, and a split target's →
 * `HTTPRoute.route[].headers` (`HTTPRouteDestination.headers`, the same message; split.ts) (istio/api
 * `networking/v1alpha3/virtual_service.proto` `Headers.HeaderOperations`; pilot
 * `TranslateHeadersOperations`: set → OVERWRITE_IF_EXISTS_OR_ADD, add → APPEND_IF_EXISTS_OR_ADD).
 *
 * Istio silently skips pseudo-headers (`:…`) and `host` in these lists, except that a request `set`/`add`
 * of `host` / `:authority` becomes an authority rewrite. Everything it would skip is an error here
 * (never a silent drop): use `rewrite.authority` to change the host.
 */
import { escapePointerToken } from "../../../api/diagnostics.js";
import type { HeaderOps, Headers, TrafficPolicy } from "../../../api/generated/model.js";
import type { At, EffectiveRoute, Entry } from "../../../api/model.js";
import type { HeaderOperations, HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `headers`, per version. */
export const headersFeature: FeatureModule = {
  features: ["headers"],
  capabilities: () => ({
    headers: full("VirtualService.http[].headers.request|response {set, add, remove}", "pseudo-headers and host cannot be changed (use rewrite.authority)"),
  }),
};

/** Fills `HTTPRoute.headers`; reports headers Istio would skip. */
export function applyHeaders(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  if (r.headers) out.headers = translateHeaders(r.headers, r.policy, dc);
}

/**
 * Model header changes (a route's, or a split target's for `HTTPRouteDestination.headers`, the same
 * `Headers` message) as Istio `Headers`; reports headers Istio would skip at their pointers.
 */
export function translateHeaders(h: At<Headers>, policy: Entry<TrafficPolicy>, dc: DestinationContext): NonNullable<HTTPRoute["headers"]> {
  const headers: NonNullable<HTTPRoute["headers"]> = {};
  for (const side of ["request", "response"] as const) {
    const ops = h.value[side];
    if (!ops) continue;
    check(ops, side, (op, name) =>
      dc.ic.report(policy, `${h.pointer}/${side}/${op}${op === "remove" ? "" : "/" + escapePointerToken(name)}`, {
        feature: "headers",
        kind: "unsupported-value",
        what: "pseudo-header",
        severity: "error",
        message: `Istio ignores "${name}" in headers.${side}.${op} (pseudo-headers and host cannot be changed this way)${side === "request" ? "; use rewrite.authority to change the host" : ""}`,
      }),
    );
    const o: HeaderOperations = {};
    if (ops.set) o.set = { ...ops.set };
    if (ops.add) o.add = { ...ops.add };
    if (ops.remove) o.remove = [...ops.remove];
    headers[side] = o;
  }
  return headers;
}

function check(ops: HeaderOps, side: "request" | "response", bad: (op: "set" | "add" | "remove", name: string) => void): void {
  for (const op of ["set", "add"] as const) {
    for (const name of Object.keys(ops[op] ?? {})) {
      const authority = /^(host|:authority)$/i.test(name);
      if (side === "request" ? name.startsWith(":") && !authority : authority || name.startsWith(":")) bad(op, name);
    }
  }
  for (const name of ops.remove ?? []) if (name.startsWith(":") || /^host$/i.test(name)) bad("remove", name);
}
