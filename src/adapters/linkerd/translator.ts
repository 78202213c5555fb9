/**
 * The Linkerd translation: namespace-level mTLS first, then per destination (sorted by namespace and
 * service): the calling side (routes: Gateway API HTTPRoute/GRPCRoute with route annotations on 2.16+;
 * policy.linkerd.io HTTPRoute or ServiceProfile on 2.14–2.15), failure accrual (a Service patch), then
 * the receiving side (Servers, authorizations, inbound routes, rate limits: features/access.ts).
 *
 * Outbound routes. Linkerd attaches routes to a Service port and sends each request to the MOST SPECIFIC
 * matching rule of all routes of that port (matching.ts), not the first one. unimesh emits the model's
 * route table in order, one HTTPRoute per (port, timeout/retry settings) because the settings are route
 * annotations, and proves for every pair of routes that Linkerd's choice equals the model's first match;
 * where it does not, an error names both routes. Routes are placed in the Service's namespace: a route in
 * another namespace would apply to the clients of that namespace only ("consumer" route). The implicit
 * default route of the model (requests no route matches go to the service unchanged) is a final catch-all
 * rule: with routes attached, Linkerd answers 404 to a request no rule matches.
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { DestinationView, EffectiveRoute, Entry, Model } from "../../api/model.js";
import type { MTLSPolicy } from "../../api/generated/model.js";
import { canonicalJson, shortHash } from "../../api/model.js";
import { formatDuration } from "../../api/duration.js";
import { dnsSubdomain } from "../shared/names.js";
import { objectMeta } from "../shared/ownership.js";
import { type LinkerdContext, createContext } from "./context.js";
import { type MatchSpec, CATCH_ALL, compareOutcomes, describeSpec, fromModelMatch, grpcCompareOutcomes, grpcMayOverlap, mayOverlap, toGrpcRouteMatch, toHttpRouteMatch } from "./matching.js";
import { type PortInfo, destinationPorts } from "./ports.js";
import { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE, type RouteFilter, type RouteObject, type RouteRule } from "./resources.js";
import { translateInbound } from "./features/access.js";
import { headerFilters } from "./features/headers.js";
import { outlierDetectionPatch } from "./features/outlierDetection.js";
import { redirectFilter } from "./features/redirect.js";
import { effectiveTimeoutMs, hasRetries, noteNoRetries, resilienceAnnotations } from "./features/retries.js";
import { serviceProfile } from "./features/serviceProfile.js";
import { backendRefs, isPlainForward, reportSubsetServices } from "./features/split.js";
import { reportTrafficSource, reportUnsupportedDestinationFeatures, reportUnsupportedRouteFeatures } from "./features/unsupported.js";

/** Gateway API: at most 16 rules per HTTPRoute/GRPCRoute. */
const MAX_RULES = 16;

/** Translates a model for one Linkerd version. */
export function translateLinkerd(model: Model, ctx: TranslateContext): KubeObject[] {
  const lc = createContext(model, ctx);
  for (const e of model.namespaceMtls) namespaceMtls(lc, e);
  for (const v of model.destinations()) translateDestination(lc, v);
  return lc.out;
}

/**
 * Namespace-level MTLSPolicy → the namespace's `config.linkerd.io/default-inbound-policy` annotation
 * (`all-authenticated` for strict, `all-unauthenticated` for permissive), emitted as a `v1 Namespace`
 * patch (server-side apply). Linkerd's proxy injector reads it when a pod is created, so running pods keep
 * their policy until restarted; ports with a Server follow the Server instead.
 */
function namespaceMtls(lc: LinkerdContext, e: Entry<MTLSPolicy>): void {
  const mode = e.doc.spec.mode;
  if (mode === "disabled") {
    lc.report(e, "/spec/mode", "mtls", "error", "adapter/unsupported-value",
      `Linkerd ${lc.version} cannot turn mTLS off: meshed pods always talk mTLS to each other (plaintext only reaches a pod from unmeshed clients or through ports the proxy skips). Use permissive`);
    return;
  }
  const policy = mode === "strict" ? "all-authenticated" : "all-unauthenticated";
  lc.emit({
    apiVersion: "v1", kind: "Namespace",
    metadata: objectMeta(e.namespace, undefined, [e], { annotations: { "config.linkerd.io/default-inbound-policy": policy, [PATCH_ANNOTATION]: PATCH_ANNOTATION_VALUE } }),
  });
  lc.report(e, "/spec/mode", "mtls", "info", "adapter/note",
    `Linkerd has no mTLS mode object: meshed pods always use mTLS, and ${mode === "strict" ? "refusing plaintext" : "accepting plaintext"} is the default inbound policy ${policy}, set by annotating namespace ${e.namespace} (a patch to apply server-side). The proxy injector reads it when pods are created: restart the namespace's workloads to apply it`);
}

function translateDestination(lc: LinkerdContext, v: DestinationView): void {
  const ports = destinationPorts(v);
  reportUnsupportedDestinationFeatures(lc, v);
  const routes: EffectiveRoute[] = [];
  for (const r of v.routes) {
    reportUnsupportedRouteFeatures(lc, r);
    if (r.source) { reportTrafficSource(lc, r); continue; }
    routes.push(r);
  }
  let profile = false;
  if (routes.length) {
    reportSubsetServices(lc, v, routes);
    profile = lc.facts.legacy && routes.some(hasRetries);
    if (profile) {
      const specs = routes.map((r) => matchOf(lc, r));
      serviceProfile(lc, v, routes, specs, ports.length);
    } else outbound(lc, v, routes, ports);
  }
  if (v.outlierDetection) {
    if (profile) {
      lc.report(v.outlierDetection.policy, v.outlierDetection.pointer, "outlierDetection", "error", "adapter/conflict",
        `Linkerd ${lc.version} needs a ServiceProfile for the retries of ${v.namespace}/${v.service}, and with a ServiceProfile the proxy balances without failure accrual, so this outlier detection would be ignored; target Linkerd 2.16+, or remove the retries`);
    } else {
      const patch = outlierDetectionPatch(lc, v);
      if (patch) lc.emit(patch);
    }
  }
  translateInbound(lc, v, ports);
}

/** The match of a route, with what cannot be expressed reported. */
function matchOf(lc: LinkerdContext, r: EffectiveRoute): MatchSpec {
  const { spec, problems } = fromModelMatch(r.match?.value, r.match?.pointer ?? r.pointer);
  for (const p of problems) lc.report(r.policy, p.pointer, "match", "error", "adapter/unsupported-value", p.message);
  return spec;
}

/** One rule of an outbound route, before grouping into HTTPRoutes. */
interface Built {
  route?: EffectiveRoute;
  spec: MatchSpec;
  rule: RouteRule;
  annotations: Record<string, string>;
  /** Behaves as if there were no route (forward unchanged, no settings). */
  trivial: boolean;
}

/** Outbound routes of every port: HTTPRoute (or GRPCRoute for gRPC ports, 2.16+). */
function outbound(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], ports: PortInfo[]): void {
  const known = ports.map((p) => p.port);
  const wanted = new Set<number>();
  for (const r of routes) {
    if (r.port) wanted.add(r.port);
    else if (known.length) known.forEach((p) => wanted.add(p));
    else {
      lc.report(r.policy, "/spec/destination", "match", "error", "adapter/unsupported-value",
        `Linkerd attaches routes to a port of the Service (parentRefs[].port; backendRefs need a port), and no port of ${v.namespace}/${v.service} is known: set destination.port or declare the ports in a MeshService`);
    }
  }
  const specs = new Map(routes.map((r) => [r, matchOf(lc, r)]));
  for (const port of [...wanted].sort((a, b) => a - b)) {
    const protocol = ports.find((p) => p.port === port)?.protocol;
    const grpc = protocol === "grpc" && !!lc.facts.grpcRoute;
    if (protocol === "tcp") {
      for (const r of routes.filter((x) => !x.port || x.port === port)) {
        lc.report(r.policy, r.pointer, "match", "error", "adapter/unsupported-value",
          `port ${port} of ${v.namespace}/${v.service} is declared tcp: Linkerd proxies it as opaque TCP, where HTTP routes do not apply`);
      }
      continue;
    }
    const built = buildRules(lc, v, routes.filter((r) => !r.port || r.port === port), specs, port, grpc);
    if (built.every((b) => b.trivial)) continue;
    emitRoutes(lc, v, port, built, grpc);
  }
}

function buildRules(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], specs: Map<EffectiveRoute, MatchSpec>, port: number, grpc: boolean): Built[] {
  const out: Built[] = [];
  for (const r of routes) {
    const spec = specs.get(r)!;
    const rule: RouteRule = {};
    const m = grpc ? toGrpcRouteMatch(spec, r.match?.pointer ?? r.pointer) : { match: toHttpRouteMatch(spec), problems: [] };
    for (const p of m.problems) lc.report(r.policy, p.pointer, "match", "error", "adapter/unsupported-value", p.message);
    if (m.match) rule.matches = [m.match];
    const filters: RouteFilter[] = headerFilters(lc, r, grpc || !lc.facts.legacy);
    let trivial = !filters.length;
    if (r.action.kind === "split") {
      rule.backendRefs = backendRefs(v, r.action.targets, port);
      trivial &&= isPlainForward(r, port);
    } else if (r.action.kind === "redirect") {
      trivial = false;
      if (grpc) {
        lc.report(r.policy, r.action.pointer, "redirect", "error", "adapter/unsupported-value", `a GRPCRoute cannot redirect (port ${port} is declared grpc)`);
      } else {
        const f = redirectFilter(lc, r, r.action.redirect, r.action.pointer);
        if (f) filters.push(f);
      }
    } else {
      continue; // directResponse: reported as unsupported
    }
    if (filters.length) rule.filters = filters;
    let annotations: Record<string, string> = {};
    if (lc.facts.routeAnnotations) annotations = resilienceAnnotations(lc, r, grpc ? "grpc" : "http");
    else {
      noteNoRetries(lc, r);
      const t = effectiveTimeoutMs(r);
      if (t !== undefined) rule.timeouts = { request: formatDuration(t) };
    }
    if (Object.keys(annotations).length || rule.timeouts) trivial = false;
    out.push({ route: r, spec, rule, annotations, trivial });
  }
  const catchAll = out.some((b) => !b.spec.path && !b.spec.method && !b.spec.headers.length && !b.spec.query.length);
  if (!catchAll) out.push({ spec: CATCH_ALL, rule: { backendRefs: [{ name: v.service, port }] }, annotations: {}, trivial: true });
  return out;
}

/** A readable suffix for the HTTPRoute of a settings group. */
function groupSuffix(a: Record<string, string>): string {
  const parts: string[] = [];
  if (a["timeout.linkerd.io/request"]) parts.push("timeout", a["timeout.linkerd.io/request"]);
  if (a["retry.linkerd.io/limit"]) parts.push("retries", a["retry.linkerd.io/limit"]);
  return parts.join("-");
}

function emitRoutes(lc: LinkerdContext, v: DestinationView, port: number, built: Built[], grpc: boolean): void {
  // Group rules by their annotations (route-level settings), keeping table order inside each group.
  const groups = new Map<string, Built[]>();
  for (const b of built) {
    const k = canonicalJson(b.annotations);
    groups.set(k, [...(groups.get(k) ?? []), b]);
  }
  const base = dnsSubdomain(v.service, port);
  const used = new Set<string>();
  const resourceOf = new Map<Built, string>();
  const objects: RouteObject[] = [];
  for (const [key, members] of [...groups.entries()].sort(([a], [b]) => (a === "{}" ? -1 : b === "{}" ? 1 : a < b ? -1 : 1))) {
    const annotations = members[0].annotations;
    let name = key === "{}" ? base : dnsSubdomain(base, groupSuffix(annotations));
    if (used.has(name)) name = dnsSubdomain(base, groupSuffix(annotations), shortHash(key));
    used.add(name);
    for (let i = 0; i < members.length; i += MAX_RULES) {
      const chunk = members.slice(i, i + MAX_RULES);
      const chunkName = i === 0 ? name : dnsSubdomain(name, "part", i / MAX_RULES + 1);
      for (const b of chunk) resourceOf.set(b, chunkName);
      const policies = chunk.flatMap((b) => (b.route ? [b.route.policy] : []));
      objects.push({
        apiVersion: grpc ? lc.facts.grpcRoute! : lc.facts.outboundHttpRoute,
        kind: grpc ? "GRPCRoute" : "HTTPRoute",
        metadata: objectMeta(chunkName, v.namespace, policies.length ? policies : v.trafficPolicies, { annotations: { ...annotations } }),
        spec: { parentRefs: [{ group: "core", kind: "Service", name: v.service, port }], rules: chunk.map((b) => b.rule) },
      });
    }
  }
  checkOrder(lc, built, resourceOf, grpc);
  for (const o of objects) lc.emit(o);
}

/**
 * Proves that Linkerd picks, for every request, the first rule of the table that matches it: for each
 * pair of overlapping rules, the earlier one must win Linkerd's comparison, or tie inside the same
 * HTTPRoute (where the earlier rule wins ties). Reports each pair that fails on the later route.
 */
function checkOrder(lc: LinkerdContext, built: Built[], resourceOf: Map<Built, string>, grpc: boolean): void {
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
      lc.report(r.policy, r.match?.pointer ?? r.pointer, "match", "error", "adapter/unsupported-value",
        `Linkerd does not take the first matching route: it picks the most specific match (longest path match, then method, then number of header and query-parameter matches)${badTie && !loses ? `, and on a tie between two HTTPRoutes the older one; this route and the earlier route matching ${describeSpec(other.spec)}${where} match some requests equally well but sit in different HTTPRoutes (their timeouts or retries differ)` : `; requests matching both this route (${describeSpec(later.spec)}) and the earlier route matching ${describeSpec(other.spec)}${where} would go to this one`}. Make the matches disjoint, or the earlier route more specific`);
      break;
    }
  }
}
