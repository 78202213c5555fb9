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
import type { DestinationPort, DestinationView, EffectiveRoute, Entry, Model } from "../../api/model.js";
import type { MTLSPolicy, TrafficPolicy } from "../../api/generated/model.js";
import { canonicalJson, exposedPorts, shortHash } from "../../api/model.js";
import { formatDuration } from "../../api/duration.js";
import { dnsSubdomain } from "../../api/names.js";
import { objectMeta } from "../../api/ownership.js";
import { type LinkerdContext, createContext } from "./context.js";
import { type MatchSpec, CATCH_ALL, compareOutcomes, describeSpec, fromModelMatch, grpcCompareOutcomes, grpcMayOverlap, mayOverlap, toGrpcRouteMatch, toHttpRouteMatch } from "./matching.js";
import { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE, type BackendRef, type GRPCRouteMatch, type HTTPRouteMatch, type RouteFilter, type RouteObject, type RouteRule } from "./resources.js";
import { translateInbound } from "./features/access.js";
import { refuseRequestAuthentication } from "../shared/request-auth.js";
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
  refuseRequestAuthentication(model, ctx, `Linkerd ${ctx.version}`, "its proxy authorizes by mesh identity (MeshTLSAuthentication) and network (NetworkAuthentication) only, and has no JWT validation");
  namespaceDefaults(lc);
  for (const v of model.destinations()) translateDestination(lc, v);
  return lc.out;
}

/** Linkerd's default inbound policies that the model can ask for (`config.linkerd.io/default-inbound-policy`). */
type DefaultPolicy = "deny" | "all-authenticated" | "all-unauthenticated";

/**
 * Namespace-wide AccessPolicies and MTLSPolicy → the namespace's default inbound policy, the annotation
 * `config.linkerd.io/default-inbound-policy` (`2-edge/reference/authorization-policy.md`, "Default
 * policies"), emitted as a `v1 Namespace` patch (server-side apply). It is what every port WITHOUT a
 * Server admits; the services with their own AccessPolicies (or mTLS mode, or rate limit) get Servers,
 * whose authorizations carry the effective rules of every scope (features/access.ts).
 *
 * Linkerd's default policies are coarse, so only these namespace-wide rule sets are exact:
 * - no allow rule → `deny` (Istio's allow-nothing);
 * - allow rules without conditions whose callers are every caller → `all-unauthenticated`, every
 *   caller with a mesh identity (`serviceAccounts: ["*"]`) → `all-authenticated`;
 * - with a namespace-wide MTLSPolicy: strict turns all-unauthenticated into all-authenticated
 *   (permissive changes nothing; disabled is an error: meshed pods always talk mTLS).
 * Rules naming callers, with request conditions, or deny rules cannot be a default policy: errors (write
 * them per service). Mesh-wide policies are errors: Linkerd's cluster-wide default is the install-time
 * `proxy.defaultInboundPolicy`, no Kubernetes object. The proxy injector reads the annotation when a pod
 * is created: running pods keep their policy until restarted (a note says so).
 */
function namespaceDefaults(lc: LinkerdContext): void {
  const model = lc.model;
  const { namespaces, mesh } = model.accessScopes();
  for (const p of mesh) {
    lc.report(p, "/spec/scope", "scope", "error", "adapter/unsupported-value",
      `scope: mesh: Linkerd ${lc.version} has no mesh-wide authorization object; the cluster's default inbound policy is proxy.defaultInboundPolicy, set at install (e.g. linkerd install --set proxy.defaultInboundPolicy=deny), which unimesh does not change; write the policy per namespace (no destination) instead`);
  }
  const meshMtls = model.meshMtls;
  if (meshMtls) {
    lc.report(meshMtls, "/spec/scope", "scope", "error", "adapter/unsupported-value",
      `scope: mesh: Linkerd ${lc.version} has no mesh-wide mTLS object; meshed pods always use mTLS, and refusing plaintext cluster-wide is the install-time default inbound policy (linkerd install --set proxy.defaultInboundPolicy=all-authenticated), which unimesh does not change; write the MTLSPolicy per namespace (no destination) instead`);
  }
  const mtlsByNs = new Map(model.namespaceMtls.map((e) => [e.namespace, e]));
  const all = [...new Set([...namespaces.keys(), ...mtlsByNs.keys()])].sort();
  for (const ns of all) {
    const from: Entry<any>[] = [];
    let access: DefaultPolicy | undefined;
    const policies = namespaces.get(ns) ?? [];
    if (policies.length) {
      access = namespaceAccessDefault(lc, ns);
      from.push(...policies);
    }
    const m = mtlsByNs.get(ns);
    if (m?.doc.spec.mode === "disabled") {
      lc.report(m, "/spec/mode", "mtls", "error", "adapter/unsupported-value",
        `Linkerd ${lc.version} cannot turn mTLS off: meshed pods always talk mTLS to each other (plaintext only reaches a pod from unmeshed clients or through ports the proxy skips). Use permissive`);
      continue;
    }
    if (m) from.push(m);
    if (policies.length && !access) continue; // an error was reported
    const strict = m?.doc.spec.mode === "strict";
    const policy: DefaultPolicy = access === "deny" ? "deny"
      : access === "all-authenticated" || strict ? "all-authenticated" : "all-unauthenticated";
    lc.emit({
      apiVersion: "v1", kind: "Namespace",
      metadata: objectMeta(ns, undefined, from, { annotations: { "config.linkerd.io/default-inbound-policy": policy, [PATCH_ANNOTATION]: PATCH_ANNOTATION_VALUE } }),
    });
    const restart = `The proxy injector reads it when pods are created: restart the namespace's workloads to apply it`;
    if (m) {
      lc.report(m, "/spec/mode", "mtls", "info", "adapter/note",
        `Linkerd has no mTLS mode object: meshed pods always use mTLS, and ${m.doc.spec.mode === "strict" ? "refusing plaintext" : "accepting plaintext"} is the default inbound policy ${policy}${access ? " (with the namespace-wide AccessPolicies)" : ""}, set by annotating namespace ${ns} (a patch to apply server-side). ${restart}`);
    }
    for (const p of policies) {
      lc.report(p, "/spec", "scope", "info", "adapter/note",
        `namespace ${ns}: Linkerd's default inbound policy ${policy} (the config.linkerd.io/default-inbound-policy annotation, a patch of namespace ${ns} to apply server-side) admits ${policy === "deny" ? "nobody" : policy === "all-authenticated" ? "every meshed (mTLS) client" : "every client"} on every port without a Server; the services with their own AccessPolicies get Servers with the rules of every scope. ${restart}`);
    }
  }
}

/** The default inbound policy a namespace's namespace-wide AccessPolicies amount to; undefined (errors reported) when none does. */
function namespaceAccessDefault(lc: LinkerdContext, ns: string): DefaultPolicy | undefined {
  const s = lc.model.scopedAccess(ns)!;
  let ok = true;
  const fail = (r: { policy: Entry<any>; pointer: string }, what: string) => {
    ok = false;
    lc.report(r.policy, r.pointer, "scope", "error", "adapter/unsupported-value",
      `a namespace-wide AccessPolicy becomes Linkerd's default inbound policy of namespace ${ns} (config.linkerd.io/default-inbound-policy: deny, all-authenticated or all-unauthenticated), which cannot ${what}; write this rule in an AccessPolicy for each service (Linkerd Servers), or use --mesh istio`);
  };
  for (const r of s.deny) if (r.scope === "namespace") fail(r, "deny some callers");
  let anyone = false;
  let authenticated = false;
  for (const r of s.allow) {
    if (r.scope !== "namespace") continue;
    const rule = r.rule;
    if (rule.methods || rule.notMethods || rule.paths || rule.notPaths || rule.headers || rule.notHeaders) { fail(r, "check methods, paths or headers"); continue; }
    const src = r.source;
    if (!src) { anyone = true; continue; }
    const onlyAny = src.identities.length > 0 && src.identities.every((i) => "any" in i) && !src.namespaces.length && !src.ipBlocks.length &&
      !src.notIdentities.length && !src.notNamespaces.length && !src.notIpBlocks.length;
    if (onlyAny) authenticated = true;
    else fail(r, "admit only some callers (only every caller, or every caller with a mesh identity: serviceAccounts: [\"*\"])");
  }
  if (!ok) return undefined;
  return anyone ? "all-unauthenticated" : authenticated ? "all-authenticated" : "deny";
}

function translateDestination(lc: LinkerdContext, v: DestinationView): void {
  const ports = v.ports;
  // Routes attach to Service ports (parentRefs[].port): a pod-only port has none (the model's podOnly).
  const routed = exposedPorts(ports);
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
      serviceProfile(lc, v, routes, specs, routed.length);
    } else outbound(lc, v, routes, routed);
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
function outbound(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], ports: readonly DestinationPort[]): void {
  const wanted = new Set<number>();
  for (const r of routes) {
    if (r.port) wanted.add(r.port);
    else if (ports.length) {
      for (const p of ports) wanted.add(p.port);
      if (!v.portsDeclared) {
        // Not silent: the route reaches only the ports other policies name; the service may have more.
        lc.report(r.policy, "/spec/destination", "match", "warning", "adapter/unsupported-value",
          `this policy applies to every port of ${v.namespace}/${v.service}, and Linkerd attaches routes to one Service port each (parentRefs[].port); its ports are not declared, so its routes go only to the port${ports.length > 1 ? "s" : ""} other policies name (${ports.map((p) => p.port).join(", ")}) and any other port keeps Linkerd's defaults: declare the ports in a MeshService, or set destination.port`);
      }
    } else {
      lc.report(r.policy, "/spec/destination", "match", "error", "adapter/unsupported-value",
        `Linkerd attaches routes to a port of the Service (parentRefs[].port; backendRefs need a port), and no port of ${v.namespace}/${v.service} is known: set destination.port or declare the ports in a MeshService`);
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
        lc.report(r.policy, r.pointer, "match", "error", "adapter/unsupported-value",
          `port ${port} of ${v.namespace}/${v.service} is declared tcp: Linkerd proxies it as opaque TCP, where HTTP routes do not apply`);
      }
      continue;
    }
    const built = buildRules(lc, v, routes, specs, port, grpc);
    if (built.every((b) => b.trivial)) continue;
    emitRoutes(lc, v, port, built, grpc);
  }
}

/**
 * The rules of the routes that apply to `port` (routes without a port, or for this port), in table
 * order, plus a final catch-all rule when no route catches every request. `specs[i]` is the match of
 * `routes[i]`.
 */
function buildRules(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[], specs: MatchSpec[], port: number, grpc: boolean): Built[] {
  const out: Built[] = [];
  let catchAll = false;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if (r.port && r.port !== port) continue;
    const spec = specs[i];
    let match: HTTPRouteMatch | GRPCRouteMatch | undefined;
    if (grpc) {
      const m = toGrpcRouteMatch(spec, r.match?.pointer ?? r.pointer);
      for (const p of m.problems) lc.report(r.policy, p.pointer, "match", "error", "adapter/unsupported-value", p.message);
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
        lc.report(r.policy, r.action.pointer, "redirect", "error", "adapter/unsupported-value", `a GRPCRoute cannot redirect (port ${port} is declared grpc)`);
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
  return out;
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
        apiVersion, kind,
        // objectMeta copies the annotations.
        metadata: objectMeta(chunkName, v.namespace, policies.length ? policies : v.trafficPolicies, { annotations }),
        spec: { parentRefs: [{ group: "core", kind: "Service", name: v.service, port }], rules },
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
