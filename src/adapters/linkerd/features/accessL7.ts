/**
 * Feature `accessL7` (access rules with methods, paths, headers, ports): inbound
 * `policy.linkerd.io/v1beta3 HTTPRoute`s whose parent is the port's Server, each with the
 * AuthorizationPolicies of the callers it admits (`2-edge/reference/authorization-policy.md`,
 * "HTTPRoute"). Rule `ports` choose the Servers (pod ports) a rule applies to (access.ts).
 *
 * Inbound routes follow Linkerd's rules (linkerd2-proxy `app/inbound/src/policy/http.rs`): a request is
 * matched to ONE route, the most specific (see matching.ts), and only that route's authorizations (plus
 * the Server's, which unimesh never sets in this mode) apply; a request no route matches is refused
 * (404). So:
 * - allow rules with the same conditions share one route; a route whose requests all lie inside
 *   another allow rule's also authorizes that rule's callers; two overlapping allow rules for different
 *   callers whose winner cannot be proven (or whose winner lacks the other's callers) get one more route
 *   for exactly the requests both match, more specific than both (so Linkerd picks it there), admitting
 *   the callers of both (e.g. `GET` from a and header `x-a: 1` from b → a third route `GET` + `x-a: 1`
 *   for a and b); only when that overlap cannot be written as one route (a prefix and a suffix, two
 *   regexes) is it an error.
 * - a deny rule with method/path/header conditions becomes its own route (no authorization, or the
 *   allowed callers minus the denied ones, access.ts) that Linkerd must prefer over every allow route it
 *   overlaps; otherwise an error.
 * - With inbound HTTPRoutes, Linkerd no longer authorizes kubelet probes on that port by itself (its
 *   default probe routes exist only for Servers without routes): a warning says so.
 * - Paths are matched as sent (no normalization): a warning per Server (pathNormalization.ts).
 * - Each line of a repeated header is matched on its own: a header rule a repeated header gets past is an
 *   error, or a warning with the approximation `header-lines` ({@link noteRepeatedHeaders}).
 *
 * Refused, per version (every version alike): methods other than Gateway API's nine, header names
 * that are not HTTP tokens, L7 rules on a port declared tcp, overlaps whose winner cannot be proven,
 * rules needing more matches than one HTTPRoute holds.
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import type { DestinationView } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import { partial } from "../../../api/feature-module.js";
import { canonicalJson } from "../../../api/model.js";
import { dnsSubdomain } from "../../../api/names.js";
import { objectMeta } from "../../../api/ownership.js";
import { accessPathMatchers } from "../../../api/access-path.js";
import type { LinkerdContext } from "../context.js";
import { POLICY_HTTPROUTE } from "../versions.js";
import {
  type MatchSpec,
  type PathCond,
  HTTP_TOKEN,
  escapePointer,
  compareOutcomes,
  covers,
  describeSpec,
  intersectSpecs,
  mayOverlap,
  toHttpRouteMatch,
} from "../matching.js";
import { notePathNormalization } from "./pathNormalization.js";
import { type Callers, authorizations, describeCallers, isEmpty, sameCallers, subsetOf, union } from "./callers.js";

/** What Linkerd can do of `accessL7`, per version. */
export const accessL7Feature: FeatureModule = {
  features: ["accessL7"],
  capabilities: () => ({
    accessL7: partial(
      "inbound policy.linkerd.io HTTPRoute (parent Server) + AuthorizationPolicy",
      "One route per request (the most specific): overlapping rules need a provable order or an extra route for their overlap. Kubelet probes need an explicit allow rule. Header rules that a repeated header gets past (every allow rule, deny values with a comma): opt in with header-lines.",
    ),
  }),
};

/** Gateway API `HTTPRouteMatch.method` values. */
const GATEWAY_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
/** Gateway API allows at most 8 matches per rule and 16 rules per route. */
const MAX_MATCHES = 8;
const MAX_RULES = 16;

/** An inbound route in the making: conditions, callers, where it came from. */
export interface InboundRoute {
  kind: "allow" | "deny";
  specs: MatchSpec[];
  callers: Callers;
  rules: EffectiveAccessRule[];
}

/**
 * The path conditions of an access rule path (src/api/access-path.ts: `/a/*` is `/a` and every path
 * below it, so two conditions: exact `/a` and prefix `/a/`); undefined when it matches every path.
 */
function accessPath(p: string): PathCond[] | undefined {
  const out: PathCond[] = [];
  for (const m of accessPathMatchers(p)) {
    if (m.kind === "any" || (m.kind === "prefix" && m.value === "/")) return undefined;
    out.push({ kind: m.kind, value: m.value });
  }
  return out;
}

/** The match specs of an access rule (methods × paths, headers on each), and whether it has L7 conditions. */
export function ruleSpecs(lc: LinkerdContext, r: EffectiveAccessRule): { specs: MatchSpec[]; l7: boolean } {
  const rule = r.rule;
  let methods: (string | undefined)[] = [undefined];
  if (rule.methods) {
    methods = [];
    rule.methods.forEach((m, i) => {
      if (GATEWAY_METHODS.has(m)) methods.push(m);
      else
        lc.report(r.policy, `${r.pointer}/methods/${i}`, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "method",
          severity: "error",
          message: `Linkerd matches only the methods ${[...GATEWAY_METHODS].join(", ")} (HTTPRoute match method), not ${m}`,
        });
    });
  }
  // Every path, or none when one of them is "every path".
  let paths: (PathCond | undefined)[] = [undefined];
  if (rule.paths) {
    const conds: PathCond[] = [];
    let every = false;
    for (const p of rule.paths) {
      const c = accessPath(p);
      if (c === undefined) {
        every = true;
        break;
      }
      for (const x of c) if (!conds.some((y) => y.kind === x.kind && y.value === x.value)) conds.push(x);
    }
    if (!every) paths = conds;
  }
  let headers: MatchSpec["headers"] = [];
  if (rule.headers) {
    for (const name of Object.keys(rule.headers)) {
      if (!HTTP_TOKEN.test(name))
        lc.report(r.policy, `${r.pointer}/headers/${escapePointer(name)}`, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "header-name",
          severity: "error",
          message: `Gateway API HTTPRoute matches only headers whose name is an HTTP token, not "${name}"`,
        });
    }
    headers = Object.entries(rule.headers)
      .filter(([n]) => HTTP_TOKEN.test(n))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, values]) => ({ name: name.toLowerCase(), cond: { kind: "oneOf" as const, values: [...new Set(values)] } }));
  }
  const specs: MatchSpec[] = [];
  let l7 = headers.length > 0;
  for (const method of methods) {
    for (const path of paths) {
      const spec = {} as MatchSpec;
      if (path) spec.path = path;
      if (method) spec.method = method;
      spec.headers = headers;
      spec.query = [];
      specs.push(spec);
      l7 ||= !!path || !!method;
    }
  }
  // No spec at all (an empty methods or paths list) has no L7 condition either.
  return { specs, l7: l7 && specs.length > 0 };
}

export function specsOverlap(a: MatchSpec[], b: MatchSpec[]): boolean {
  return a.some((x) => b.some((y) => mayOverlap(x, y)));
}

/** Every spec of `inner` is inside some spec of `outer`. */
export function specsCovered(outer: MatchSpec[], inner: MatchSpec[]): boolean {
  return inner.every((i) => outer.some((o) => covers(o, i)));
}

/** Who wins between two routes on requests both match: "a", "b", or undefined (cannot be proven). */
function winner(a: MatchSpec[], b: MatchSpec[]): "a" | "b" | undefined {
  const outcomes = new Set<string>();
  for (const x of a) for (const y of b) if (mayOverlap(x, y)) for (const o of compareOutcomes(x, y)) outcomes.add(o);
  if ([...outcomes].every((o) => o === "x")) return "a";
  if ([...outcomes].every((o) => o === "y")) return "b";
  return undefined;
}

/**
 * The inbound HTTPRoutes of one Server (pod port `tp`) for its allow routes (`live`, callers not empty)
 * and deny routes, with their AuthorizationPolicies; nothing is emitted when `dry` (problems are
 * still reported) or when an overlap cannot be expressed (reported).
 * @param describe how the notes name a set of callers.
 */
export function inboundRoutes(
  lc: LinkerdContext,
  v: DestinationView,
  tp: number | undefined,
  server: string,
  live: InboundRoute[],
  denies: InboundRoute[],
  strict: boolean,
  dry: boolean,
  notePolicy: import("../../../api/model.js").Entry<any>,
  describe: (c: Callers) => string,
): void {
  // Merge allow rules with the same conditions; a route inside another allow rule's requests also admits its callers.
  // Conditions are compared by their canonical JSON, computed once per route and only once there are
  // two routes to compare (keys[i] belongs to merged[i]).
  const merged: InboundRoute[] = [];
  const keys: (string | undefined)[] = [];
  const keyOf = (i: number): string => (keys[i] ??= canonicalJson(merged[i].specs));
  for (const a of live) {
    const key = merged.length ? canonicalJson(a.specs) : undefined;
    let same: InboundRoute | undefined;
    for (let i = 0; i < merged.length && !same; i++) if (merged[i].kind === "allow" && keyOf(i) === key) same = merged[i];
    if (same) {
      same.callers = union(same.callers, a.callers);
      same.rules.push(...a.rules);
    } else {
      merged.push({ ...a, rules: [...a.rules] });
      keys.push(key);
    }
  }
  widenCovered(merged);
  // Two overlapping allow routes for different callers where Linkerd's choice of route (one per request)
  // would not admit both: one more route for exactly the requests both match, more specific than either
  // (so Linkerd picks it there), admitting the callers of both. Repeated while it helps, a few times.
  for (let extra = 0; extra < MAX_EXTRA_ROUTES; extra++) {
    const pair = allowConflict(merged);
    const route = pair && intersectionRoute(pair[0], pair[1]);
    if (!route) break;
    const key = canonicalJson(route.specs);
    const same = merged.find((m) => m.kind === "allow" && canonicalJson(m.specs) === key);
    if (same) {
      const u = union(same.callers, route.callers);
      if (sameCallers(u, same.callers)) break;
      same.callers = u;
    } else merged.push(route);
    widenCovered(merged);
  }
  const routes = [...merged, ...denies];
  let ok = true;
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i];
      const b = routes[j];
      if (a.kind === "deny" && b.kind === "deny") continue;
      if (!specsOverlap(a.specs, b.specs)) continue;
      const w = winner(a.specs, b.specs);
      const [win, lose] = w === "a" ? [a, b] : w === "b" ? [b, a] : [undefined, undefined];
      const deny = a.kind === "deny" ? a : b.kind === "deny" ? b : undefined;
      const where = (x: InboundRoute) => `${x.rules[0].policy.id}${x.rules[0].pointer}`;
      if (deny) {
        const allow = deny === a ? b : a;
        if (win !== deny && !(win === undefined && sameCallers(deny.callers, allow.callers))) {
          ok = false;
          lc.report(deny.rules[0].policy, deny.rules[0].pointer, {
            feature: "accessL7",
            kind: "unsupported-value",
            what: "deny-route-order",
            severity: "error",
            message: `Linkerd authorization is allow-only, so this deny rule becomes an inbound route of its own (${deny.specs.map(describeSpec).join("; ")}) that must win over the route of allow rule ${where(allow)} on the requests both match; but Linkerd picks the most specific match (longest path match, then method, headers, query parameters), and ${win ? "the allow route is more specific" : "neither is provably more specific"}. Give the deny rule more specific conditions (e.g. a path), or drop it`,
          });
        }
        continue;
      }
      if (resolvedBy(merged, a, b)) continue;
      if (!win) {
        if (!sameCallers(a.callers, b.callers)) {
          ok = false;
          lc.report(b.rules[0].policy, b.rules[0].pointer, {
            feature: "accessL7",
            kind: "unsupported-value",
            what: "overlap-order",
            severity: "error",
            message: `this allow rule and allow rule ${where(a)} overlap and admit different callers; Linkerd applies the authorizations of ONE route per request (the most specific match), and neither route is provably more specific here. Make their conditions disjoint, or give both the same callers`,
          });
        }
      } else if (!subsetOf(lose!.callers, win.callers)) {
        ok = false;
        lc.report(lose!.rules[0].policy, lose!.rules[0].pointer, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "overlap-callers",
          severity: "error",
          message: `requests matching both this allow rule and allow rule ${where(win)} go to the latter's inbound route (Linkerd applies the authorizations of the most specific match only), which does not admit ${describeCallers(lose!.callers)} on all of its requests; make the rules disjoint, or admit the same callers in both`,
        });
      }
    }
  }
  if (!ok || dry) return;

  // Emit: one inbound HTTPRoute (parent Server) per route, its AuthorizationPolicies targeting it.
  let na = 0;
  let nd = 0;
  const admitted: string[] = [];
  for (const r of routes) {
    const name = dnsSubdomain(server, r.kind, r.kind === "allow" ? ++na : ++nd);
    const matches = r.specs.map((s) => toHttpRouteMatch(s) ?? { path: { type: "PathPrefix" as const, value: "/" } });
    const rules: { matches: unknown[] }[] = [];
    for (let k = 0; k < matches.length; k += MAX_MATCHES) rules.push({ matches: matches.length <= MAX_MATCHES ? matches : matches.slice(k, k + MAX_MATCHES) });
    if (rules.length > MAX_RULES) {
      lc.report(r.rules[0].policy, r.rules[0].pointer, {
        feature: "accessL7",
        kind: "unsupported-value",
        what: "too-many-matches",
        severity: "error",
        message: `this rule needs ${matches.length} HTTPRoute matches (methods × paths), more than one HTTPRoute holds (${MAX_RULES} rules of ${MAX_MATCHES}); split it into several rules`,
      });
      continue;
    }
    const from = r.rules.map((x) => x.policy);
    lc.emit({
      apiVersion: POLICY_HTTPROUTE,
      kind: "HTTPRoute",
      metadata: objectMeta(name, v.namespace, from),
      spec: { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: server }], rules },
    });
    if (!isEmpty(r.callers)) {
      for (const o of authorizations(lc, v.namespace, { group: "policy.linkerd.io", kind: "HTTPRoute", name }, name, r.callers, strict, from)) lc.emit(o);
    }
    admitted.push(`${name}: ${isEmpty(r.callers) ? "nobody" : describe(r.callers)}`);
  }
  lc.report(notePolicy, "/spec", {
    feature: "accessL7",
    kind: "note",
    what: "default-deny",
    severity: "info",
    message: `Linkerd Server ${v.namespace}/${server} turns on default deny for port ${tp} of the pods ${canonicalJson(v.facts.selector)}; requests are admitted per inbound HTTPRoute (one route per request: the most specific match; requests no route matches get 404): ${admitted.join("; ")}`,
  });
  notePathNormalization(
    lc,
    `${v.namespace}/${server}`,
    routes.flatMap((r) => r.rules).filter((x) => x.rule.paths),
  );
  noteRepeatedHeaders(
    lc,
    `${v.namespace}/${server}`,
    routes.flatMap((r) => r.rules).filter((x) => x.rule.headers),
  );
  lc.report(notePolicy, "/spec", {
    feature: "accessL7",
    kind: "note",
    what: "probes",
    severity: "warning",
    message: `Linkerd authorizes kubelet liveness/readiness probes by itself only on Servers without HTTPRoutes; Server ${v.namespace}/${server} has inbound HTTPRoutes, so probes to port ${tp} are refused unless an allow rule admits them (e.g. GET on the probe path from any caller)`,
  });
}

/** Most extra routes (for overlaps of allow rules) one Server gets before overlaps are reported instead. */
const MAX_EXTRA_ROUTES = 8;

/**
 * A route whose requests all lie inside another allow route's also admits that route's callers (when
 * Linkerd may pick it over the other: one route per request). Until nothing changes.
 */
function widenCovered(merged: InboundRoute[]): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const w of merged)
      for (const l of merged) {
        if (w === l || !specsOverlap(w.specs, l.specs) || !specsCovered(l.specs, w.specs)) continue;
        if (winner(w.specs, l.specs) === "b") continue;
        const u = union(w.callers, l.callers);
        if (!sameCallers(u, w.callers)) {
          w.callers = u;
          changed = true;
        }
      }
  }
}

/**
 * The first pair of allow routes that overlap and where the route Linkerd picks on the requests both match
 * would not admit the other's callers (no provable winner and different callers, or a winner that lacks
 * the loser's callers); undefined when none.
 */
function allowConflict(merged: InboundRoute[]): [InboundRoute, InboundRoute] | undefined {
  for (let i = 0; i < merged.length; i++) {
    for (let j = i + 1; j < merged.length; j++) {
      const a = merged[i];
      const b = merged[j];
      if (!specsOverlap(a.specs, b.specs) || resolvedBy(merged, a, b)) continue;
      const w = winner(a.specs, b.specs);
      if (!w ? !sameCallers(a.callers, b.callers) : !subsetOf(w === "a" ? b.callers : a.callers, w === "a" ? a.callers : b.callers)) return [a, b];
    }
  }
  return undefined;
}

/**
 * True when another allow route takes every request both `a` and `b` match (its specs cover each
 * intersection of theirs), wins over both there, and admits the callers of both: then it does not
 * matter which of the two Linkerd would prefer.
 */
function resolvedBy(routes: readonly InboundRoute[], a: InboundRoute, b: InboundRoute): boolean {
  const overlap: MatchSpec[] = [];
  for (const x of a.specs)
    for (const y of b.specs) {
      if (!mayOverlap(x, y)) continue;
      const s = intersectSpecs(x, y);
      if (!s) return false;
      overlap.push(s);
    }
  const callers = union(a.callers, b.callers);
  return routes.some(
    (c) =>
      c !== a &&
      c !== b &&
      c.kind === "allow" &&
      specsCovered(c.specs, overlap) &&
      winner(c.specs, a.specs) === "a" &&
      winner(c.specs, b.specs) === "a" &&
      subsetOf(callers, c.callers),
  );
}

/**
 * An allow route for exactly the requests both routes match, admitting the callers of both, when it can
 * be written (every overlap of their specs as one spec) and Linkerd provably picks it over both there.
 */
function intersectionRoute(a: InboundRoute, b: InboundRoute): InboundRoute | undefined {
  const specs: MatchSpec[] = [];
  for (const x of a.specs)
    for (const y of b.specs) {
      if (!mayOverlap(x, y)) continue;
      const s = intersectSpecs(x, y);
      if (!s) return undefined;
      if (!specs.some((z) => canonicalJson(z) === canonicalJson(s))) specs.push(s);
    }
  if (!specs.length || winner(specs, a.specs) !== "a" || winner(specs, b.specs) !== "a") return undefined;
  return { kind: "allow", specs, callers: union(a.callers, b.callers), rules: [...new Set([...a.rules, ...b.rules])] };
}

/**
 * Refuses (an error), once per rule, where a repeated header gets past it, unless the user allows the
 * approximation `header-lines` (then a warning): a looser access rule only on request (README). linkerd2-proxy matches an inbound HTTPRoute
 * header match against each line of that header on its own (linkerd2-proxy `linkerd/http/route/src/http/
 * match/header.rs`: `headers.get_all(name).iter().any(...)`), while the model's rules, as Istio's, see the
 * lines of a repeated header joined by commas (README, access rules). So an allow rule for `x-a: v1` admits
 * a request with the lines `x-a: v1` and `x-a: v2` (the model sees `v1,v2`: no match), and a deny rule for
 * the value `a,b` misses the lines `a` and `b`. Deny rules whose values have no comma only get stricter
 * (a line matching them refuses the request), so they are not reported. Previously a warning only; found by
 * the Linkerd access differential test, made an error because the README promises looser translations
 * only on request.
 */
function noteRepeatedHeaders(lc: LinkerdContext, server: string, rules: readonly EffectiveAccessRule[]): void {
  for (const r of rules) {
    const entries = Object.entries(r.rule.headers!);
    const hit = r.action === "allow" ? entries[0] : entries.find(([, values]) => values.some((x) => x.includes(",")));
    if (!hit) continue;
    const [name, values] = hit;
    const value = r.action === "allow" ? values[0] : values.find((x) => x.includes(","))!;
    const example =
      r.action === "allow"
        ? `a request with the two lines "${name}: ${value}" and "${name}: other", which the model sees as "${value},other" (not an allowed value)`
        : `a request sending "${value}" as the lines ${value
            .split(",")
            .map((x) => `"${name}: ${x}"`)
            .join(" and ")}, which the model sees as "${value}" (denied)`;
    const allowed = lc.ctx.allows("header-lines");
    lc.report(r.policy, `${r.pointer}/headers/${escapePointer(name)}`, {
      feature: "accessL7",
      kind: allowed ? "approximation" : "unsupported-value",
      what: "headers",
      severity: allowed ? "warning" : "error",
      message: `${allowed ? "approximation header-lines: " : ""}linkerd2-proxy matches an inbound HTTPRoute header match against each line of a repeated header on its own, while the model's rules see the lines joined by commas: on Server ${server}, this ${r.action} rule ${r.action === "allow" ? "admits" : "does not see"} ${example}; an app that reads another line (or all of them) then acts on a value the rule did not allow. Header rules here hold only for apps that refuse repeated ${name} headers${allowed ? "" : "; allow the approximation header-lines to accept that"}`,
    });
  }
}
