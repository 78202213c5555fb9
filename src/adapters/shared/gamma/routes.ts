/**
 * GAMMA routes ("Gateway API for service mesh"), shared by the Gateway API adapter and Istio's ambient
 * waypoints (both read them): per destination and Service port, an `HTTPRoute` (or a `GRPCRoute` for a
 * port declared grpc) in the Service's namespace with `parentRefs: [{group: "", kind: Service, name, port}]`
 * (a producer route: it applies to every client), whose rules are the model's route table in order.
 * What the target can read is the `GatewayContext`'s (`has`/`needs`: the release, channel and, for Istio,
 * what its waypoints read); what no route can express is refused by each adapter before calling here.
 *
 * - Order. Gateway API does not take the first matching rule: it ranks matches (features/match.ts).
 *   The rules are written in the model's order (which already puts more specific routes first) and the
 *   translation proves that the ranking picks the same rule for every request, or reports the routes where
 *   it would not.
 * - Requests no rule matches. "When no rules matching a request have been successfully attached to the
 *   parent a request is coming from, a HTTP 404 status code MUST be returned" (HTTPRoute `rules[].matches`):
 *   once a route attaches to a Service port, unmatched requests get 404, while the model forwards them
 *   unchanged. So a final catch-all rule forwards them to the Service, unless a route of the table
 *   already catches every request. A policy that says "answer 404 for the rest" (a final catch-all
 *   `directResponse: {status: 404}` without body) gets no such rule: Gateway API's own 404 is exactly it
 *   (routes after a catch-all never match in the model, so none is written after it either).
 * - A table that only forwards unchanged (no settings) emits nothing: without a route, GAMMA
 *   implementations forward to the Service.
 * - At most 16 rules per route object (a CRD limit): longer tables are split into `<name>-part-<n>`
 *   objects, and rules that tie across them are errors (the older object would win).
 * - Backends in another namespace (mirrors) get a `ReferenceGrant` in that namespace.
 */
import type { KubeObject } from "../../../api/adapter.js";
import type { DestinationPort, DestinationView, EffectiveRoute, Entry } from "../../../api/model.js";
import type { TrafficPolicy } from "../../../api/generated/model.js";
import { exposedPorts, isNotFoundForTheRest } from "../../../api/model.js";
import { dnsSubdomain, isDnsSubdomain } from "../../../api/names.js";
import { objectMeta } from "../../../api/ownership.js";
import type { GatewayContext } from "./context.js";
import { corsFilter } from "./features/cors.js";
import { headerFilters } from "./features/headers.js";
import { type MatchSpec, type OrderedRule, CATCH_ALL, checkOrder, matchSpec, toGrpcRouteMatch, toHttpRouteMatch } from "./features/match.js";
import { type CrossNamespaceRef, mirrorFilter } from "./features/mirror.js";
import { redirectFilter } from "./features/redirect.js";
import { applyResilience } from "./features/retries.js";
import { rewriteFilter } from "./features/rewrite.js";
import { backendRefs, isPlainForward, reportSubsetServices } from "./features/split.js";
import { GATEWAY_V1, type RouteFilter, type RouteObject, type RouteRule } from "./resources.js";

/** Gateway API: at most 16 rules per HTTPRoute/GRPCRoute. */
const MAX_RULES = 16;
/** ReferenceGrant's API version in every supported release (v1 is served from 1.5 only). */
const REFERENCE_GRANT_VERSION = "gateway.networking.k8s.io/v1beta1";

/**
 * The GAMMA routes of one destination (see the module doc): per Service port its routes apply to, an
 * `HTTPRoute` or `GRPCRoute` with the Service as `parentRef`, or nothing when they only forward. `routes`
 * are the destination's routes the caller did not refuse; what the target release cannot express is
 * reported through `gc` (its `has`/`needs` say what the release, channel and implementation support).
 * Backends in other namespaces are added to `refs` (see {@link referenceGrants}). Shared with the Istio
 * ambient translation, whose waypoints read these routes (istio.io docs/ambient/usage/l7-features).
 */
export function gammaRoutes(gc: GatewayContext, v: DestinationView, routes: EffectiveRoute[], refs: CrossNamespaceRef[]): KubeObject[] {
  const out: KubeObject[] = [];
  if (!routes.length) return out;
  reportSubsetServices(gc, v, routes);
  const ports = exposedPorts(v.ports);
  const wanted = new Set<number>();
  for (const r of routes) {
    if (r.port) wanted.add(r.port);
    else if (ports.length) {
      for (const p of ports) wanted.add(p.port);
      if (!v.portsDeclared) {
        gc.report(r.policy, "/spec/destination", {
          feature: "match",
          kind: "unsupported-value",
          what: "destination",
          severity: "warning",
          message: `this policy applies to every port of ${v.namespace}/${v.service}, and a Gateway API route is written per Service port (parentRefs[].port; backendRefs need a port); its ports are not declared, so its routes go only to the port${ports.length > 1 ? "s" : ""} other policies name (${ports.map((p) => p.port).join(", ")}); declare the ports in a MeshService, or set destination.port`,
        });
      }
    } else {
      gc.report(r.policy, "/spec/destination", {
        feature: "match",
        kind: "unsupported-value",
        what: "destination",
        severity: "error",
        message: `a Gateway API route sends requests to a Service port (backendRefs[].port is required for a Service), and no port of ${v.namespace}/${v.service} is known: set destination.port or declare the ports in a MeshService`,
      });
    }
  }
  const specs = new Map<EffectiveRoute, MatchSpec | undefined>(routes.map((r) => [r, matchSpec(gc, r)]));
  for (const port of [...wanted].sort((a, b) => a - b)) {
    const protocol = ports.find((p: DestinationPort) => p.port === port)?.protocol;
    if (protocol === "tcp") {
      for (const r of routes)
        if (!r.port || r.port === port) {
          gc.report(r.policy, r.pointer, {
            feature: "match",
            kind: "unsupported-value",
            what: "tcp-port",
            severity: "error",
            message: `port ${port} of ${v.namespace}/${v.service} is declared tcp: HTTP routes do not apply to it`,
          });
        }
      continue;
    }
    out.push(
      ...routeObjects(
        gc,
        v,
        routes.filter((r) => !r.port || r.port === port),
        specs,
        port,
        protocol === "grpc",
        refs,
      ),
    );
  }
  return out;
}

/** One rule before it is placed in an object. */
interface Built {
  route?: EffectiveRoute;
  spec: MatchSpec;
  rule: RouteRule;
  trivial: boolean;
}

function routeObjects(
  gc: GatewayContext,
  v: DestinationView,
  routes: EffectiveRoute[],
  specs: Map<EffectiveRoute, MatchSpec | undefined>,
  port: number,
  grpc: boolean,
  refs: CrossNamespaceRef[],
): RouteObject[] {
  const built: Built[] = [];
  let catchAll = false;
  let notFound: EffectiveRoute | undefined;
  for (const r of routes) {
    if (catchAll) break; // after a catch-all, the model's routes never match
    if (isNotFoundForTheRest(r)) {
      notFound = r;
      catchAll = true;
      gc.report(r.policy, r.action.pointer, {
        feature: "directResponse",
        kind: "note",
        what: "not-found-for-the-rest",
        severity: "info",
        message: `answered by Gateway API itself: a request no rule of the ${grpc ? "GRPCRoute" : "HTTPRoute"} for ${v.namespace}/${v.service}:${port} matches gets 404, so this route is written as no rule`,
      });
      continue;
    }
    const spec = specs.get(r);
    if (!spec) continue; // its match was reported
    const match = grpc ? toGrpcRouteMatch(gc, r, spec) : toHttpRouteMatch(spec);
    const filters: RouteFilter[] = [];
    const rule: RouteRule = {};
    let trivial: boolean;
    if (r.action.kind === "split") {
      rule.backendRefs = backendRefs(gc, v, r, r.action.targets, port, grpc);
      trivial = isPlainForward(r, port);
    } else if (r.action.kind === "redirect") {
      trivial = false;
      const f = redirectFilter(gc, r, r.action.redirect, r.action.pointer, grpc);
      if (f) filters.push(f);
    } else continue; // directResponse: reported
    filters.push(...headerFilters(gc, r));
    const rewrite = rewriteFilter(gc, r, grpc);
    if (rewrite) filters.push(rewrite);
    const mirror = mirrorFilter(gc, v, r, port, grpc, refs);
    if (mirror) filters.push(mirror);
    const cors = corsFilter(gc, r, grpc);
    if (cors) filters.push(cors);
    if (filters.length) {
      rule.filters = filters;
      trivial = false;
    }
    if (match) rule.matches = [match];
    if (gc.has("HTTPRouteRule.name")) rule.name = ruleName(r);
    applyResilience(gc, r, rule, grpc);
    if (rule.retry || rule.timeouts) trivial = false;
    built.push({ route: r, spec, rule, trivial });
    catchAll ||= !spec.path && !spec.method && !spec.headers.length && !spec.query.length;
  }
  if (!catchAll) built.push({ spec: CATCH_ALL, rule: { backendRefs: [{ name: v.service, port }] }, trivial: true });
  if (!grpc && gc.regexPaths && built.some((b) => b.spec.path?.kind === "regex")) regexPathless(built);
  if (notFound && !built.length) {
    gc.report(notFound.policy, notFound.action.pointer, {
      feature: "directResponse",
      kind: "unsupported-value",
      what: "not-found-for-everything",
      severity: "error",
      message: `Gateway API cannot answer 404 to every request of ${v.namespace}/${v.service}:${port}: a route needs at least one rule, and a Service without routes forwards every request`,
    });
    return [];
  }
  if (!notFound && built.every((b) => b.trivial)) return [];
  const base = dnsSubdomain(v.service, port);
  const objects: RouteObject[] = [];
  const ordered: OrderedRule[] = [];
  for (let i = 0; i < built.length; i += MAX_RULES) {
    const chunk = built.slice(i, i + MAX_RULES);
    const name = i === 0 ? base : dnsSubdomain(base, "part", i / MAX_RULES + 1);
    const policies: Entry<TrafficPolicy>[] = [];
    for (const b of chunk) {
      if (b.route && !policies.includes(b.route.policy)) policies.push(b.route.policy);
      ordered.push({ spec: b.spec, route: b.route, object: name });
    }
    objects.push({
      apiVersion: GATEWAY_V1,
      kind: grpc ? "GRPCRoute" : "HTTPRoute",
      metadata: objectMeta(name, v.namespace, policies.length ? policies : v.trafficPolicies),
      spec: { parentRefs: [{ group: "", kind: "Service", name: v.service, port }], rules: chunk.map((b) => b.rule) },
    });
  }
  checkOrder(gc, ordered, grpc);
  return objects;
}

/**
 * Where RegularExpression paths rank after every PathPrefix (Istio: GatewayContext.regexPaths), a rule
 * without a path condition (the API server defaults it to PathPrefix `/`) would take the requests of an
 * earlier regex rule. Such rules match every path by the RegularExpression `.*` instead: the same
 * requests, ranked after any longer pattern and, as before, after every Exact and PathPrefix rule, so the
 * table keeps its order wherever it can (checkOrder proves it).
 */
function regexPathless(built: Built[]): void {
  for (const b of built) {
    if (b.spec.path) continue;
    b.spec = { ...b.spec, path: { kind: "regex", value: ".*", prefix: "/" } };
    b.rule.matches = [toHttpRouteMatch(b.spec)!];
    b.trivial = false;
  }
}

/**
 * `rules[].name` (GEP-995, for status and logs): `<policy>.<route name or index>`, or `<policy>` for the
 * implicit route of a policy without routes (a DNS subdomain: policy and route names are DNS labels).
 */
function ruleName(r: EffectiveRoute): string {
  const name = r.index === null ? r.policy.name : `${r.policy.name}.${r.name ?? r.index}`;
  return isDnsSubdomain(name) ? name : dnsSubdomain(name);
}

/** One `ReferenceGrant` per (namespace, route kind, route namespace): the Services other namespaces' routes send to. */
export function referenceGrants(refs: CrossNamespaceRef[]): KubeObject[] {
  const byKey = new Map<string, CrossNamespaceRef[]>();
  for (const r of refs) {
    const key = `${r.namespace}|${r.fromNamespace}|${r.fromKind}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, list]) => {
      const { namespace, fromNamespace, fromKind } = list[0];
      const services = [...new Set(list.map((r) => r.service))].sort();
      const policies = [...new Set(list.map((r) => r.route.policy))];
      return {
        apiVersion: REFERENCE_GRANT_VERSION,
        kind: "ReferenceGrant",
        metadata: objectMeta(dnsSubdomain("from", fromNamespace, fromKind.toLowerCase()), namespace, policies),
        spec: {
          from: [{ group: "gateway.networking.k8s.io", kind: fromKind, namespace: fromNamespace }],
          to: services.map((name) => ({ group: "", kind: "Service", name })),
        },
      };
    });
}
