/**
 * Feature `match` → `HTTPRouteMatch` {path, method, headers, queryParams} / `GRPCRouteMatch` {method,
 * headers}, limited to what every GAMMA implementation must support, and the proof that Gateway API's
 * match precedence picks the model's first matching route.
 *
 * What is portable (support levels of the Gateway API CRDs, `HTTPRouteMatch`):
 * - paths: `Exact` and `PathPrefix` (core). `PathPrefix` matches whole path segments (`/v2` matches `/v2`,
 *   `/v2/` and `/v2/x`, not `/v2x`; a trailing `/` is ignored), which is the model's `segmentPrefix`.
 *   `RegularExpression` has implementation-specific support and precedence (RE2, PCRE or POSIX): the
 *   model's `regex`, and its string `prefix` (`/api` also matches `/apix`), which only a regex could say,
 *   are errors. A string prefix `/` is every path (no path match).
 * - headers and query parameters: `Exact` (core); prefix, regex and presence are errors (the first two
 *   need `RegularExpression`, absence has no field), except where one implementation whose
 *   RegularExpression is known reads the routes (Istio's waypoints: GatewayContext.regexPaths), where
 *   string prefixes and regexes of paths, headers and query parameters, and header presence, are
 *   `RegularExpression` matches (RE2 over the whole value).
 * - method: the nine methods of the CRD enum (extended support).
 *
 * Precedence (`HTTPRouteRule.matches` in the CRD): among the rules of every route attached to a parent, a
 * request goes to the match with an `Exact` path, else the longest `PathPrefix`, then a method match, then
 * the most header matches, then the most query-parameter matches; then the oldest route, then by
 * `{namespace}/{name}`; within a route the first rule. GRPCRoute: the longest matching service, then
 * method, then the most header matches. {@link checkOrder} proves, for every pair of rules a request can
 * match both of, that the earlier one wins, or reports the later one.
 */
import type { HeaderMatch, Match, StringMatch } from "../../../../api/generated/model.js";
import type { EffectiveRoute } from "../../../../api/model.js";
import { type FeatureModule, partial } from "../../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";
import type { GRPCRouteMatch, HTTPRouteMatch, ValueMatch } from "../resources.js";

/**
 * A path condition the adapter can emit: exact, a segment prefix (never `/`), or (only where the reader
 * knows RegularExpression, GatewayContext.regexPaths) an RE2 pattern of the whole path, with a string
 * every path it matches starts with, when known (for the overlap analysis: for a translated string
 * prefix, exactly that prefix).
 */
export type PathCond = { kind: "exact"; value: string } | { kind: "segmentPrefix"; value: string } | { kind: "regex"; value: string; prefix?: string };

/** Gateway API's limit on a path match value (`HTTPPathMatch.value` maxLength). */
const MAX_PATH_VALUE = 1024;

/**
 * A string every path an RE2 pattern (matched against the whole path) matches starts with: its leading
 * literal characters, without one a quantifier makes optional; "" when the pattern has an alternation
 * (`a|b`) or starts with a metacharacter.
 */
export function re2LiteralPrefix(re: string): string {
  if (re.includes("|")) return "";
  const body = re.startsWith("^") ? re.slice(1) : re;
  let i = 0;
  while (i < body.length && !"\\.+*?()[]{}^$".includes(body[i])) i++;
  return "?*{".includes(body[i] ?? "") && i < body.length ? body.slice(0, Math.max(0, i - 1)) : body.slice(0, i);
}

/** `s` as an RE2 literal (every RE2 metacharacter escaped). */
export function re2Literal(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** One match, all conditions ANDed (empty: every request). Header names lower-cased. */
export interface MatchSpec {
  path?: PathCond;
  method?: string;
  /** `regex`: a RegularExpression value (only where GatewayContext.regexPaths is set), else Exact. */
  headers: { name: string; value: string; regex?: true }[];
  query: { name: string; value: string; regex?: true }[];
}

/** The match of every request. */
export const CATCH_ALL: MatchSpec = { headers: [], query: [] };

/** HTTP methods an `HTTPRouteMatch.method` may name (CRD enum). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

/** An HTTP token (RFC 7230): Gateway API header and query-parameter names. */
export const HTTP_TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** The CEL rules on `Exact`/`PathPrefix` values (no `//`, `/./`, `/../`, `%2f`, `#`, trailing `/.` or `/..`; RFC 3986 characters). */
export function isGatewayPathLiteral(v: string): boolean {
  return (
    v.startsWith("/") &&
    !v.includes("//") &&
    !v.includes("/./") &&
    !v.includes("/../") &&
    !/%2f/i.test(v) &&
    !v.includes("#") &&
    !v.endsWith("/..") &&
    !v.endsWith("/.") &&
    /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/.test(v)
  );
}

const escapePointer = (t: string) => t.replace(/~/g, "~0").replace(/\//g, "~1");
const REGEX_WHY =
  "RegularExpression matches have implementation-specific support in Gateway API (each implementation picks its regex dialect, and their precedence is implementation-specific too), so they are not portable across GAMMA implementations";

/**
 * Converts a route's match, reporting every condition no portable Gateway API match expresses;
 * undefined when one was reported (the route is then left out: nothing is emitted anyway).
 */
export function matchSpec(gc: GatewayContext, r: EffectiveRoute): MatchSpec | undefined {
  const m: Match | undefined = r.match?.value;
  const spec: MatchSpec = { headers: [], query: [] };
  if (!m) return spec;
  const at = r.match!.pointer;
  let ok = true;
  const bad = (pointer: string, what: string, message: string) => {
    ok = false;
    gc.report(r.policy, pointer, { feature: "match", kind: "unsupported-value", what, severity: "error", message: message });
  };
  const p = m.path;
  if (p?.exact !== undefined) {
    if (isGatewayPathLiteral(p.exact)) spec.path = { kind: "exact", value: p.exact };
    else
      bad(
        `${at}/path/exact`,
        "invalid-path",
        `Gateway API rejects this Exact path (it must be a normalized absolute path of RFC 3986 characters, without //, /./, /../, %2F or #)`,
      );
  } else if (p?.segmentPrefix !== undefined) {
    const v = p.segmentPrefix.length > 1 && p.segmentPrefix.endsWith("/") ? p.segmentPrefix.slice(0, -1) : p.segmentPrefix;
    if (v === "/") {
      /* every path */
    } else if (isGatewayPathLiteral(v)) spec.path = { kind: "segmentPrefix", value: v };
    else
      bad(
        `${at}/path/segmentPrefix`,
        "invalid-path",
        `Gateway API rejects this PathPrefix value (it must be a normalized absolute path of RFC 3986 characters, without //, /./, /../, %2F or #)`,
      );
  } else if (p?.prefix !== undefined) {
    if (p.prefix !== "/" && gc.regexPaths) {
      const value = `${re2Literal(p.prefix)}.*`;
      if (value.length <= MAX_PATH_VALUE) spec.path = { kind: "regex", value, prefix: p.prefix };
      else
        bad(
          `${at}/path/prefix`,
          "invalid-path",
          `as a RegularExpression (${gc.regexPaths}) this prefix is longer than Gateway API's ${MAX_PATH_VALUE} characters`,
        );
    } else if (p.prefix !== "/") {
      const seg = p.prefix.endsWith("/") ? p.prefix.slice(0, -1) : p.prefix;
      bad(
        `${at}/path/prefix`,
        "string-prefix",
        `prefix "${p.prefix}" is a string prefix, and a Gateway API PathPrefix matches whole path segments (PathPrefix ${seg || "/"} matches ${seg} itself${p.prefix.endsWith("/") ? "" : ` and ${seg}/x but not ${seg}x`}); only a RegularExpression could say it, and ${REGEX_WHY}. Write segmentPrefix: ${seg || "/"} if ${p.prefix.endsWith("/") ? `${seg} itself may match too` : "that is what you mean"}, or translate for a mesh (--mesh istio or linkerd)`,
      );
    }
  } else if (p?.regex !== undefined && gc.regexPaths) {
    if (p.regex.length <= MAX_PATH_VALUE) spec.path = { kind: "regex", value: p.regex, prefix: re2LiteralPrefix(p.regex) };
    else bad(`${at}/path/regex`, "invalid-path", `Gateway API path values are at most ${MAX_PATH_VALUE} characters`);
  } else if (p?.regex !== undefined) {
    bad(`${at}/path/regex`, "regex", `${REGEX_WHY}; use exact or segmentPrefix, or translate for a mesh (--mesh istio or linkerd)`);
  }
  if (m.method) {
    if (METHODS.has(m.method)) spec.method = m.method;
    else bad(`${at}/method`, "method", `HTTPRouteMatch.method is one of ${[...METHODS].join(", ")}, not ${m.method}`);
  }
  for (const [name, h] of Object.entries(m.headers ?? {}).sort(([a], [b]) => cmpLower(a, b))) {
    const ptr = `${at}/headers/${escapePointer(name)}`;
    if (!HTTP_TOKEN.test(name)) {
      bad(ptr, "header-name", `Gateway API matches only headers whose name is an HTTP token, not "${name}"`);
      continue;
    }
    const v = exactOf(h);
    const re = gc.regexPaths ? regexOf(h) : undefined;
    if (v !== undefined) spec.headers.push({ name: name.toLowerCase(), value: v });
    else if (re !== undefined) spec.headers.push({ name: name.toLowerCase(), value: re, regex: true });
    else bad(ptr, ...headerWhy(h, "header"));
  }
  for (const [name, q] of Object.entries(m.queryParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ptr = `${at}/queryParams/${escapePointer(name)}`;
    if (!HTTP_TOKEN.test(name)) {
      bad(ptr, "query-name", `Gateway API matches only query parameters whose name is an HTTP token, not "${name}"`);
      continue;
    }
    const v = exactOf(q);
    const re = gc.regexPaths ? regexOf(q) : undefined;
    if (v !== undefined) spec.query.push({ name, value: v });
    else if (re !== undefined) spec.query.push({ name, value: re, regex: true });
    else bad(ptr, ...headerWhy(q, "query parameter"));
  }
  return ok ? spec : undefined;
}

function cmpLower(a: string, b: string): number {
  const x = a.toLowerCase(),
    y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function exactOf(h: HeaderMatch | StringMatch): string | undefined {
  return h.exact !== undefined && h.exact !== "" ? h.exact : undefined;
}

/**
 * The RE2 pattern of a value match that is not exact, where the reader knows RegularExpression (Istio:
 * the whole value, RE2): a prefix is `<escaped prefix>.*`, a regex itself, presence `.*` (a header
 * matcher never matches an absent header). Undefined for absence and empty values.
 */
function regexOf(h: HeaderMatch | StringMatch): string | undefined {
  if (h.prefix !== undefined && h.prefix !== "") return `${re2Literal(h.prefix)}.*`;
  if (h.regex !== undefined) return h.regex;
  if ("present" in h && h.present === true) return ".*";
  return undefined;
}

function headerWhy(h: HeaderMatch | StringMatch, what: string): [code: string, message: string] {
  const field = what === "header" ? "header" : "query";
  if ("present" in h && h.present === false)
    return [`${field}-absent`, `a Gateway API route cannot match the absence of a ${what} (matches are Exact or RegularExpression values of a present one)`];
  if ("present" in h && h.present === true)
    return [`${field}-present`, `a Gateway API route cannot match the mere presence of a ${what} without a RegularExpression; ${REGEX_WHY}`];
  if (h.exact === "") return [`${field}-empty`, `Gateway API ${what} values are at least one character long`];
  return [
    `${field}-${h.prefix !== undefined ? "prefix" : "regex"}`,
    `a ${what} ${h.prefix !== undefined ? "prefix" : "regex"} needs a RegularExpression match; ${REGEX_WHY}. Match exact values`,
  ];
}

/** The `HTTPRouteMatch` of a spec (keys sorted), or undefined for every request. */
export function toHttpRouteMatch(s: MatchSpec): HTTPRouteMatch | undefined {
  if (!s.path && !s.method && !s.headers.length && !s.query.length) return undefined;
  const out: HTTPRouteMatch = {};
  if (s.headers.length) out.headers = s.headers.map(valueMatch);
  if (s.method) out.method = s.method;
  if (s.path) out.path = { type: PATH_TYPE[s.path.kind], value: s.path.value };
  if (s.query.length) out.queryParams = s.query.map(valueMatch);
  return out;
}

/** `HTTPPathMatch.type` of each path condition. */
const PATH_TYPE = { exact: "Exact", segmentPrefix: "PathPrefix", regex: "RegularExpression" } as const;

function valueMatch(h: { name: string; value: string; regex?: true }): ValueMatch {
  return { name: h.name, type: h.regex ? "RegularExpression" : "Exact", value: h.value };
}

const GRPC_SERVICE = /^[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*$/;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** gRPC service and method of a spec's path (`/pkg.Svc/Get` exact, `/pkg.Svc` segment prefix), if it names them. */
export function grpcParts(s: MatchSpec): { service?: string; method?: string } | undefined {
  if (!s.path) return {};
  const seg = s.path.value.split("/");
  if (s.path.kind === "exact" && seg.length === 3 && GRPC_SERVICE.test(seg[1]) && GRPC_METHOD.test(seg[2])) return { service: seg[1], method: seg[2] };
  if (s.path.kind === "segmentPrefix" && seg.length === 2 && GRPC_SERVICE.test(seg[1])) return { service: seg[1] };
  return undefined;
}

/**
 * The `GRPCRouteMatch` of a spec: gRPC paths are `/<service>/<method>`, so an exact `/pkg.Svc/Get` is
 * `{service: pkg.Svc, method: Get}` and a segment prefix `/pkg.Svc` is `{service: pkg.Svc}`. Other paths,
 * methods other than POST and query parameters are reported.
 */
export function toGrpcRouteMatch(gc: GatewayContext, r: EffectiveRoute, s: MatchSpec): GRPCRouteMatch | undefined {
  const at = r.match?.pointer ?? r.pointer;
  const bad = (pointer: string, message: string) =>
    gc.report(r.policy, pointer, { feature: "match", kind: "unsupported-value", what: "grpc", severity: "error", message: message });
  const parts = grpcParts(s);
  if (!parts)
    bad(
      `${at}/path`,
      `a GRPCRoute matches gRPC service and method names, not paths: only an exact path /<service>/<method> or a segmentPrefix /<service> can be expressed`,
    );
  if (s.method && s.method !== "POST") bad(`${at}/method`, `gRPC requests are always POST; a GRPCRoute cannot match method ${s.method}`);
  if (s.query.length) bad(`${at}/queryParams`, `a GRPCRoute cannot match query parameters`);
  if (!parts?.service && !s.headers.length) return undefined;
  const out: GRPCRouteMatch = {};
  if (s.headers.length) out.headers = s.headers.map(valueMatch);
  if (parts?.service) out.method = { ...(parts.method ? { method: parts.method } : {}), service: parts.service, type: "Exact" };
  return out;
}

// ------------------------------------------------------------------------------------------ precedence

/** False when a path does not satisfy a condition; true when it does (for a regex: when it may). */
function pathMatches(p: PathCond, path: string): boolean {
  if (p.kind === "exact") return p.value === path;
  if (p.kind === "regex") return path.startsWith(p.prefix ?? "");
  return path === p.value || path.startsWith(p.value.endsWith("/") ? p.value : `${p.value}/`);
}

/** False when no path satisfies both conditions; true when one may (conservative for regexes: by their literal prefixes). */
function pathsMayOverlap(a: PathCond, b: PathCond): boolean {
  if (a.kind === "exact") return pathMatches(b, a.value);
  if (b.kind === "exact") return pathMatches(a, b.value);
  if (a.kind === "regex" && b.kind === "regex") {
    const [p, q] = [a.prefix ?? "", b.prefix ?? ""];
    return p.startsWith(q) || q.startsWith(p);
  }
  if (a.kind === "regex" || b.kind === "regex") {
    const [r, seg] = a.kind === "regex" ? [a, b] : [b as Extract<PathCond, { kind: "regex" }>, a];
    const p = r.prefix ?? "";
    // Some path starting with P is v itself or under v/.
    return p === seg.value || p.startsWith(`${seg.value}/`) || `${seg.value}/`.startsWith(p);
  }
  return pathMatches(a, b.value) || pathMatches(b, a.value);
}

/** False when no request matches both specs; true when some request may (conservative). */
export function mayOverlap(a: MatchSpec, b: MatchSpec): boolean {
  if (a.method && b.method && a.method !== b.method) return false;
  if (a.path && b.path && !pathsMayOverlap(a.path, b.path)) return false;
  for (const [x, y] of [
    [a.headers, b.headers],
    [a.query, b.query],
  ] as const) {
    for (const h of x) if (!h.regex && y.some((k) => k.name === h.name && !k.regex && k.value !== h.value)) return false;
  }
  return true;
}

/**
 * Gateway API's precedence key of an HTTPRoute match (compared lexicographically, larger wins): an Exact
 * path, then the longest PathPrefix (no path is PathPrefix `/`), then a method, the most headers, the most
 * query parameters. RegularExpression paths (only where GatewayContext.regexPaths is set, i.e. Istio's
 * waypoints) rank as Istio ranks them: after every Exact and PathPrefix match, longer patterns first
 * (istio/istio `pilot/pkg/config/kube/gateway/conversion.go` `sortHTTPRoutes`, `getURIRank`: Exact 3 >
 * Prefix 2 > Regex 1, then `getURILength`).
 */
function httpKey(s: MatchSpec): number[] {
  const rank = s.path?.kind === "exact" ? 3 : s.path?.kind === "regex" ? 1 : 2;
  const length = s.path ? s.path.value.length : 1; // no path = PathPrefix "/"
  return [rank, length, s.method ? 1 : 0, s.headers.length, s.query.length];
}

/** GRPCRoute precedence key: matching service length, method length, header matches. */
function grpcKey(s: MatchSpec): number[] {
  const p = grpcParts(s) ?? {};
  return [p.service?.length ?? 0, p.method?.length ?? 0, s.headers.length];
}

function cmpKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** A short description of a spec for messages: `GET, path exact /x, header x-a`. */
export function describeSpec(s: MatchSpec): string {
  const parts: string[] = [];
  if (s.method) parts.push(s.method);
  if (s.path) parts.push(`path ${PATH_TYPE[s.path.kind]} ${s.path.value}`);
  for (const h of s.headers) parts.push(`header ${h.name}`);
  for (const q of s.query) parts.push(`query ${q.name}`);
  return parts.length ? parts.join(", ") : "every request";
}

/** One rule in table order: its match, its route (none: the catch-all unimesh adds), the object it lands in. */
export interface OrderedRule {
  spec: MatchSpec;
  route?: EffectiveRoute;
  object: string;
}

/**
 * Reports each rule that Gateway API's precedence would let take requests from an earlier rule of the
 * model's table: a later rule with a higher precedence key, or an equal key in another route object
 * (where creation time decides).
 */
export function checkOrder(gc: GatewayContext, rules: OrderedRule[], grpc: boolean): void {
  const key = grpc ? grpcKey : httpKey;
  for (let j = 1; j < rules.length; j++) {
    const later = rules[j];
    for (let i = 0; i < j; i++) {
      const earlier = rules[i];
      if (!mayOverlap(earlier.spec, later.spec)) continue;
      const c = cmpKeys(key(later.spec), key(earlier.spec));
      const tieAcross = c === 0 && earlier.object !== later.object;
      if (c <= 0 && !tieAcross) continue;
      const r = later.route ?? earlier.route!;
      const other = later.route ? earlier : later;
      const where = other.route ? ` (${other.route.policy.id}${other.route.pointer})` : "";
      gc.report(r.policy, r.match?.pointer ?? r.pointer, {
        feature: "match",
        kind: "unsupported-value",
        what: tieAcross ? "route-split-tie" : "route-order",
        severity: "error",
        message: tieAcross
          ? `Gateway API ranks this route (${describeSpec(later.spec)}) and the earlier route matching ${describeSpec(other.spec)}${where} equally, and they sit in different ${grpc ? "GRPCRoutes" : "HTTPRoutes"} (more than 16 rules), where the older object wins; make the matches disjoint or the earlier route more specific`
          : `Gateway API does not take the first matching route: it picks the most specific match (${grpc ? "the longest service name, then method name, then the most header matches" : `an Exact path, then the longest PathPrefix${gc.regexPaths ? ", then the longest RegularExpression" : ""}, then a method, then the most header matches, then the most query-parameter matches`}), so requests matching both this route (${describeSpec(later.spec)}) and the earlier route matching ${describeSpec(other.spec)}${where} would go to this one. Make the matches disjoint, or the earlier route more specific`,
      });
      break;
    }
  }
}

/** `match`: portable matches only. */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({
    match: partial(
      "HTTPRoute.rules[].matches {path Exact|PathPrefix, method, headers Exact, queryParams Exact}; GRPCRoute method {service, method}",
      "Exact paths and segmentPrefix (PathPrefix) only: string prefixes, regexes and header prefix/presence need RegularExpression, whose support and precedence are implementation-specific. Routes must keep their order under Gateway API's match precedence.",
    ),
  }),
};
