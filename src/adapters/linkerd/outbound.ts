/**
 * The calling side of a destination on Linkerd 2.16+ (and 2.14–2.15 without retries): one
 * HTTPRoute/GRPCRoute per (Service port, route-level settings), whose rules the route feature modules
 * fill (features/match.ts, split.ts, redirect.ts, headers.ts, timeout.ts, retries.ts).
 *
 * unimesh emits the model's route table in order, one HTTPRoute per (port, timeout/retry settings)
 * because the settings are route annotations, and proves that Linkerd's choice of rule (the most
 * specific) equals the model's first match (features/match.ts `checkOrder`). Routes are placed in the
 * Service's namespace: a route in another namespace would apply to the clients of that namespace only
 * ("consumer" route). The implicit default route of the model (requests no route matches go to the
 * service unchanged) is a final catch-all rule: with routes attached, Linkerd answers 404 to a request
 * no rule matches (linkerd2-proxy#2109). A policy that says "answer 404 for the rest" (a final catch-all
 * `directResponse: {status: 404}` without body) gets no such rule: Linkerd's own 404 is exactly it
 * (routes after a catch-all never match in the model, so none is written after it either).
 */
import type { DestinationPort, DestinationView, EffectiveRoute, Entry } from "../../api/model.js";
import type { TrafficPolicy } from "../../api/generated/model.js";
import { canonicalJson, isNotFoundForTheRest, shortHash } from "../../api/model.js";
import { formatDuration } from "../../api/duration.js";
import { dnsSubdomain } from "../../api/names.js";
import { objectMeta } from "../../api/ownership.js";
import type { LinkerdContext } from "./context.js";
import { type MatchSpec, CATCH_ALL, toGrpcRouteMatch, toHttpRouteMatch } from "./matching.js";
import type { BackendRef, GRPCRouteMatch, HTTPRouteMatch, RouteFilter, RouteObject, RouteRule } from "./resources.js";
import { headerFilters } from "./features/headers.js";
import { type Built, checkOrder, matchOf } from "./features/match.js";
import { redirectFilter } from "./features/redirect.js";
import { noteNoRetries, resilienceAnnotations } from "./features/retries.js";
import { backendRefs, isPlainForward } from "./features/split.js";
import { effectiveTimeoutMs } from "./features/timeout.js";

/** Gateway API: at most 16 rules per HTTPRoute/GRPCRoute. */
const MAX_RULES = 16;

/** Outbound routes of every port: HTTPRoute (or GRPCRoute for gRPC ports, 2.16+). */
export function outbound(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], ports: readonly DestinationPort[]): void {
  const wanted = new Set<number>();
  for (const r of routes) {
    if (r.port) wanted.add(r.port);
    else if (ports.length) {
      for (const p of ports) wanted.add(p.port);
      if (!v.portsDeclared) {
        // Not silent: the route reaches only the ports other policies name; the service may have more.
        lc.report(r.policy, "/spec/destination", {
          feature: "match",
          kind: "unsupported-value",
          what: "undeclared-ports",
          severity: "warning",
          message: `this policy applies to every port of ${v.namespace}/${v.service}, and Linkerd attaches routes to one Service port each (parentRefs[].port); its ports are not declared, so its routes go only to the port${ports.length > 1 ? "s" : ""} other policies name (${ports.map((p) => p.port).join(", ")}) and any other port keeps Linkerd's defaults: declare the ports in a MeshService, or set destination.port`,
        });
      }
    } else {
      lc.report(r.policy, "/spec/destination", {
        feature: "match",
        kind: "unsupported-value",
        what: "no-port",
        severity: "error",
        message: `Linkerd attaches routes to a port of the Service (parentRefs[].port; backendRefs need a port), and no port of ${v.namespace}/${v.service} is known: set destination.port or declare the ports in a MeshService`,
      });
    }
  }
  // The match of each route, converted (and its problems reported) once for all ports: specs[i] is routes[i]'s.
  const specs = routes.map((r) => matchOf(lc, r));
  const sortedPorts = [...wanted];
  if (sortedPorts.length > 1) sortedPorts.sort((a, b) => a - b);
  for (const port of sortedPorts) {
    const protocol = ports.find((p) => p.port === port)?.protocol;
    const grpc = protocol === "grpc" && !!lc.facts.grpcRoute;
    if (protocol === "tcp") {
      for (const r of routes) {
        if (r.port && r.port !== port) continue;
        lc.report(r.policy, r.pointer, {
          feature: "match",
          kind: "unsupported-value",
          what: "tcp-port",
          severity: "error",
          message: `port ${port} of ${v.namespace}/${v.service} is declared tcp: Linkerd proxies it as opaque TCP, where HTTP routes do not apply`,
        });
      }
      continue;
    }
    const { built, notFound } = buildRules(lc, v, routes, specs, port, grpc);
    if (notFound && !built.length) {
      lc.report(notFound.policy, notFound.action.pointer, {
        feature: "directResponse",
        kind: "unsupported-value",
        what: "not-found-for-everything",
        severity: "error",
        message: `Linkerd cannot answer 404 to every request of ${v.namespace}/${v.service}:${port}: a route needs at least one rule, and a Service without routes forwards every request`,
      });
      continue;
    }
    if (!notFound && built.every((b) => b.trivial)) continue;
    emitRoutes(lc, v, port, built, grpc);
  }
}

/**
 * The rules of the routes that apply to `port` (routes without a port, or for this port), in table
 * order, plus a final catch-all rule when no route catches every request. `specs[i]` is the match of
 * `routes[i]`.
 */
function buildRules(
  lc: LinkerdContext,
  v: DestinationView,
  routes: EffectiveRoute[],
  specs: MatchSpec[],
  port: number,
  grpc: boolean,
): { built: Built[]; notFound?: EffectiveRoute } {
  const out: Built[] = [];
  let catchAll = false;
  let notFound: EffectiveRoute | undefined;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if (r.port && r.port !== port) continue;
    if (catchAll) break; // after a catch-all, the model's routes never match
    if (isNotFoundForTheRest(r)) {
      notFound = r;
      catchAll = true;
      lc.report(r.policy, r.action.pointer, {
        feature: "directResponse",
        kind: "note",
        what: "not-found-for-the-rest",
        severity: "info",
        message: `answered by Linkerd itself: a request no rule of the ${grpc ? "GRPCRoute" : "HTTPRoute"}s for ${v.namespace}/${v.service}:${port} matches gets 404 from the proxy (its error response, l5d-proxy-error: no route found for request: linkerd2#9387), so this route is written as no rule`,
      });
      continue;
    }
    const spec = specs[i];
    let match: HTTPRouteMatch | GRPCRouteMatch | undefined;
    if (grpc) {
      const m = toGrpcRouteMatch(spec, r.match?.pointer ?? r.pointer);
      for (const p of m.problems)
        lc.report(r.policy, p.pointer, { feature: "match", kind: "unsupported-value", what: p.what, severity: "error", message: p.message });
      match = m.match;
    } else match = toHttpRouteMatch(spec);
    const filters: RouteFilter[] = headerFilters(lc, r, grpc || !lc.facts.legacy);
    let trivial = !filters.length;
    let backends: BackendRef[] | undefined;
    if (r.action.kind === "split") {
      backends = backendRefs(lc, v, r, r.action.targets, port);
      trivial &&= isPlainForward(r, port);
    } else if (r.action.kind === "redirect") {
      trivial = false;
      if (grpc) {
        lc.report(r.policy, r.action.pointer, {
          feature: "redirect",
          kind: "unsupported-value",
          what: "grpc",
          severity: "error",
          message: `a GRPCRoute cannot redirect (port ${port} is declared grpc)`,
        });
      } else {
        const f = redirectFilter(lc, r, r.action.redirect, r.action.pointer);
        if (f) filters.push(f);
      }
    } else {
      continue; // directResponse: reported as unsupported
    }
    let annotations: Record<string, string> = NO_ANNOTATIONS;
    let timeouts: RouteRule["timeouts"];
    if (lc.facts.routeAnnotations) annotations = resilienceAnnotations(lc, r, grpc ? "grpc" : "http");
    else {
      noteNoRetries(lc, r);
      const t = effectiveTimeoutMs(r);
      if (t !== undefined) timeouts = { request: formatDuration(t) };
    }
    if (timeouts || !isEmptyRecord(annotations)) trivial = false;
    // Keys in sorted order, so that translate() keeps the rule as it is instead of copying it to sort them.
    const rule: RouteRule = {};
    if (backends) rule.backendRefs = backends;
    if (filters.length) rule.filters = filters;
    if (match) rule.matches = [match];
    if (timeouts) rule.timeouts = timeouts;
    out.push({ route: r, spec, rule, annotations, trivial });
    catchAll ||= !spec.path && !spec.method && !spec.headers.length && !spec.query.length;
  }
  if (!catchAll) out.push({ spec: CATCH_ALL, rule: { backendRefs: [{ name: v.service, port }] }, annotations: NO_ANNOTATIONS, trivial: true });
  return { built: out, ...(notFound ? { notFound } : {}) };
}

/** The annotations of a rule without route-level settings (shared: never modified). */
const NO_ANNOTATIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** True when an object has no own enumerable key. */
function isEmptyRecord(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** True when two annotation maps hold the same keys with the same values. */
function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

/** A readable suffix for the HTTPRoute of a settings group. */
function groupSuffix(a: Record<string, string>): string {
  const parts: string[] = [];
  if (a["timeout.linkerd.io/request"]) parts.push("timeout", a["timeout.linkerd.io/request"]);
  if (a["retry.linkerd.io/limit"]) parts.push("retries", a["retry.linkerd.io/limit"]);
  return parts.join("-");
}

/** Rules that share their route-level settings (annotations): one HTTPRoute/GRPCRoute (or several, by 16 rules). */
interface Group {
  annotations: Record<string, string>;
  members: Built[];
  /** canonicalJson(annotations), computed only when needed (see emitRoutes). */
  key?: string;
}

function groupKey(g: Group): string {
  return (g.key ??= canonicalJson(g.annotations));
}

function emitRoutes(lc: LinkerdContext, v: DestinationView, port: number, built: Built[], grpc: boolean): void {
  // Group rules by their annotations (route-level settings), keeping table order inside each group.
  // Groups are told apart by comparing the annotations (almost always there is one group): their
  // canonical JSON, which orders groups (no annotations first) and disambiguates names, is computed
  // only when there are several groups or two get the same name.
  const groups: Group[] = [];
  for (const b of built) {
    const g = groups.find((x) => sameAnnotations(x.annotations, b.annotations));
    if (g) g.members.push(b);
    else groups.push({ annotations: b.annotations, members: [b] });
  }
  if (groups.length > 1) {
    groups.sort((x, y) => {
      const a = groupKey(x);
      const b = groupKey(y);
      return a === "{}" ? -1 : b === "{}" ? 1 : a < b ? -1 : 1;
    });
  }
  const base = dnsSubdomain(v.service, port);
  const used = new Set<string>();
  const resourceOf = new Map<Built, string>();
  const objects: RouteObject[] = [];
  const apiVersion = grpc ? lc.facts.grpcRoute! : lc.facts.outboundHttpRoute;
  const kind = grpc ? "GRPCRoute" : "HTTPRoute";
  for (const g of groups) {
    const { annotations, members } = g;
    const plain = isEmptyRecord(annotations);
    let name = plain ? base : dnsSubdomain(base, groupSuffix(annotations));
    if (used.has(name)) name = dnsSubdomain(base, groupSuffix(annotations), shortHash(groupKey(g)));
    used.add(name);
    for (let i = 0; i < members.length; i += MAX_RULES) {
      const chunk = members.length <= MAX_RULES ? members : members.slice(i, i + MAX_RULES);
      const chunkName = i === 0 ? name : dnsSubdomain(name, "part", i / MAX_RULES + 1);
      const policies: Entry<TrafficPolicy>[] = [];
      const rules: RouteRule[] = [];
      for (const b of chunk) {
        resourceOf.set(b, chunkName);
        if (b.route) policies.push(b.route.policy);
        rules.push(b.rule);
      }
      objects.push({
        apiVersion,
        kind,
        // objectMeta copies the annotations.
        metadata: objectMeta(chunkName, v.namespace, policies.length ? policies : v.trafficPolicies, { annotations }),
        spec: { parentRefs: [{ group: "core", kind: "Service", name: v.service, port }], rules },
      });
    }
  }
  checkOrder(lc, built, resourceOf, grpc);
  for (const o of objects) lc.emit(o);
}
