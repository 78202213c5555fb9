/**
 * Feature `match` → `rules[].matches[]` of the outbound HTTPRoute/GRPCRoute (Gateway API
 * `HTTPRouteMatch` / `GRPCRouteMatch`; policy.linkerd.io v1beta3 HTTPRoute on 2.14–2.15), converted by
 * matching.ts.
 *
 * Linkerd attaches routes to a Service port and sends each request to the MOST SPECIFIC matching rule
 * of all routes of that port (matching.ts), not the first one. unimesh emits the model's route table in
 * order and proves for every pair of routes that Linkerd's choice equals the model's first match
 * ({@link checkOrder}); where it does not, an error names both routes.
 *
 * Refused (every version): header-absence matches and what matching.ts cannot write; route orders
 * Linkerd would not keep; routes on a port declared tcp; routes of a service with no known port.
 * GRPCRoute matches (2.16+) have their own limits (matching.ts `toGrpcRouteMatch`).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";
import type { RouteRule } from "../resources.js";
import { type MatchSpec, compareOutcomes, describeSpec, fromModelMatch, grpcCompareOutcomes, grpcMayOverlap, mayOverlap } from "../matching.js";
import { versionFacts } from "../versions.js";

/** The outbound route kind of a version, for the capability notes of the route features. */
export function routeVia(version: string): string {
  const f = versionFacts(version);
  return f.legacy ? "policy.linkerd.io HTTPRoute" : `HTTPRoute (${f.outboundHttpRoute})`;
}

/** What Linkerd can do of `match`, per version. */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: (version) => ({
    match: partial(
      `${routeVia(version)} rules[].matches`,
      "No header-absence match. Linkerd picks the most specific match, not the first: route orders it cannot reproduce are errors. String prefixes become anchored regexes (PathPrefix is segment-based).",
    ),
  }),
};

/** One rule of an outbound route, before grouping into HTTPRoutes. */
export interface Built {
  route?: EffectiveRoute;
  spec: MatchSpec;
  rule: RouteRule;
  annotations: Record<string, string>;
  /** Behaves as if there were no route (forward unchanged, no settings). */
  trivial: boolean;
}

/** The match of a route, with what cannot be expressed reported. */
export function matchOf(lc: LinkerdContext, r: EffectiveRoute): MatchSpec {
  const { spec, problems } = fromModelMatch(r.match?.value, r.match?.pointer ?? r.pointer);
  for (const p of problems)
    lc.report(r.policy, p.pointer, { feature: "match", kind: "unsupported-value", what: p.what, severity: "error", message: p.message });
  return spec;
}

/**
 * Proves that Linkerd picks, for every request, the first rule of the table that matches it: for each
 * pair of overlapping rules, the earlier one must win Linkerd's comparison, or tie inside the same
 * HTTPRoute (where the earlier rule wins ties). Reports each pair that fails on the later route.
 */
export function checkOrder(lc: LinkerdContext, built: Built[], resourceOf: Map<Built, string>, grpc: boolean): void {
  for (let j = 1; j < built.length; j++) {
    const later = built[j];
    for (let i = 0; i < j; i++) {
      const earlier = built[i];
      if (!(grpc ? grpcMayOverlap : mayOverlap)(earlier.spec, later.spec)) continue;
      const outcomes = (grpc ? grpcCompareOutcomes : compareOutcomes)(earlier.spec, later.spec);
      const sameResource = resourceOf.get(earlier) === resourceOf.get(later);
      const loses = outcomes.has("y");
      const badTie = outcomes.has("tie") && !sameResource;
      if (!loses && !badTie) continue;
      const r = later.route ?? earlier.route!;
      const other = later.route ? earlier : later;
      const where = other.route ? ` (${other.route.policy.id}${other.route.pointer})` : "";
      lc.report(r.policy, r.match?.pointer ?? r.pointer, {
        feature: "match",
        kind: "unsupported-value",
        what: "route-order",
        severity: "error",
        message: `Linkerd does not take the first matching route: it picks the most specific match (longest path match, then method, then number of header and query-parameter matches)${badTie && !loses ? `, and on a tie between two HTTPRoutes the older one; this route and the earlier route matching ${describeSpec(other.spec)}${where} match some requests equally well but sit in different HTTPRoutes (their timeouts or retries differ)` : `; requests matching both this route (${describeSpec(later.spec)}) and the earlier route matching ${describeSpec(other.spec)}${where} would go to this one`}. Make the matches disjoint, or the earlier route more specific`,
      });
      break;
    }
  }
}
