/**
 * Request matching, the Linkerd way.
 *
 * 1. Exact translation of the model's conditions to Gateway API / Linkerd matches
 *    (`HTTPRouteMatch`, linkerd2-proxy `linkerd/http/route/src/http/match/*.rs`):
 *    - Gateway `PathPrefix` is segment-based in Linkerd (`/x` matches `/x`, `/x/` and `/x/y` but not
 *      `/xy`; `/x/` also matches `/x`), while the model's `prefix` (and an access rule's `/x/*`) is a plain
 *      string prefix. So a prefix other than `/` becomes `RegularExpression` `^<escaped prefix>.*$`; only
 *      `/` (every path) is left without a path match. A `segmentPrefix` `/x` becomes `^(?:/x(/.*)?)$`
 *      (what Linkerd's PathPrefix means, in the form the precedence analysis below handles).
 *    - Regular expressions are wrapped as `^(?:re)$`: Linkerd checks that the leftmost-first match spans
 *      the whole value, which misses whole-value matches of alternations such as `a|ab`.
 *    - `Exact` paths Gateway API rejects (its CEL rules refuse `//`, `/./`, `%2f`, `#`...) become an
 *      anchored regex of the escaped literal.
 *    - Header `prefix` and `present: true` become anchored regexes; `present: false` (absence) cannot be
 *      expressed in Gateway API and is reported.
 * 2. Precedence. Linkerd does not use the first matching rule: among all rules of all routes attached to
 *    a parent it picks the best match (linkerd2-proxy `linkerd/http/route/src/lib.rs` `find`): the longest
 *    path match (`Exact` and `RegularExpression` score the request path's length, `PathPrefix` the
 *    prefix length, no path 1), then method, then the number of header matches, then of query-parameter
 *    matches (older proxies compare method last: both orders are checked), and only on a full tie the
 *    earlier rule (within a route) or the older route (across routes: creation time, then name).
 *    {@link compareOutcomes} and {@link mayOverlap} let the translator prove that Linkerd's choice equals
 *    the model's first-match choice, or report where it does not.
 */
import type { HeaderMatch, Match, StringMatch } from "../../api/generated/model.js";
import type { GRPCRouteMatch, HTTPRouteMatch, NameValueMatch } from "./resources.js";
import { segmentPrefixRegex } from "../../api/segment-prefix.js";

/** A path condition: exact, plain string prefix (not `/`), suffix (access rules), or RE2 regex (whole path). */
export type PathCond =
  { kind: "exact"; value: string } | { kind: "prefix"; value: string } | { kind: "suffix"; value: string } | { kind: "regex"; value: string };

/** A header or query-parameter condition. `oneOf`: one of these exact values. */
export type ValueCond =
  | { kind: "exact"; value: string }
  | { kind: "prefix"; value: string }
  | { kind: "regex"; value: string }
  | { kind: "present" }
  | { kind: "oneOf"; values: string[] };

/** One match: all conditions ANDed. An empty spec matches every request. */
export interface MatchSpec {
  path?: PathCond;
  method?: string;
  /** Header names lower-cased (HTTP header names are case-insensitive). */
  headers: { name: string; cond: ValueCond }[];
  query: { name: string; cond: ValueCond }[];
}

/** A condition of the model that cannot be expressed, with the pointer of the offending field. */
export interface MatchProblem {
  pointer: string;
  /** What cannot be expressed (the `what` of the diagnostic code), e.g. `header-absent`. */
  what: string;
  message: string;
}

/** The match that catches every request. */
export const CATCH_ALL: MatchSpec = { headers: [], query: [] };

/** Converts a model `Match` (at `pointer`) to a {@link MatchSpec}; absent headers are problems. */
export function fromModelMatch(m: Match | undefined, pointer: string): { spec: MatchSpec; problems: MatchProblem[] } {
  const problems: MatchProblem[] = [];
  const spec: MatchSpec = { headers: [], query: [] };
  if (!m) return { spec, problems };
  const p = m.path;
  if (p?.exact !== undefined) spec.path = { kind: "exact", value: p.exact };
  else if (p?.prefix !== undefined && p.prefix !== "/") spec.path = { kind: "prefix", value: p.prefix };
  else if (p?.regex !== undefined) spec.path = { kind: "regex", value: p.regex };
  else if (p?.segmentPrefix !== undefined) {
    // The path itself or below it, as a regex: the analysis below knows string prefixes, not segments.
    const re = segmentPrefixRegex(p.segmentPrefix);
    if (re !== undefined) spec.path = { kind: "regex", value: re };
  }
  if (m.method) spec.method = m.method;
  if (m.headers)
    for (const [name, h] of Object.entries(m.headers).sort(byLowerCaseName)) {
      const cond = headerCond(h);
      if (cond) spec.headers.push({ name: name.toLowerCase(), cond });
      else
        problems.push({
          pointer: `${pointer}/headers/${escapePointer(name)}/present`,
          what: "header-absent",
          message: `header absence (present: false) cannot be matched by a Gateway API HTTPRoute (header matches are Exact or RegularExpression on a present header), so Linkerd cannot route on it; match on a value instead`,
        });
    }
  if (m.queryParams)
    for (const [name, q] of Object.entries(m.queryParams).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!HTTP_TOKEN.test(name)) {
        problems.push({
          pointer: `${pointer}/queryParams/${escapePointer(name)}`,
          what: "query-name",
          message: `Gateway API HTTPRoute matches only query parameters whose name is an HTTP token (letters, digits and !#$%&'*+-.^_\`|~), not "${name}"`,
        });
        continue;
      }
      spec.query.push({ name, cond: stringCond(q) });
    }
  return { spec, problems };
}

function byLowerCaseName([a]: [string, unknown], [b]: [string, unknown]): number {
  return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
}

function headerCond(h: HeaderMatch): ValueCond | undefined {
  if (h.exact !== undefined) return { kind: "exact", value: h.exact };
  if (h.prefix !== undefined) return { kind: "prefix", value: h.prefix };
  if (h.regex !== undefined) return { kind: "regex", value: h.regex };
  if (h.present === true) return { kind: "present" };
  return undefined;
}

function stringCond(s: StringMatch): ValueCond {
  if (s.exact !== undefined) return { kind: "exact", value: s.exact };
  if (s.prefix !== undefined) return { kind: "prefix", value: s.prefix };
  return { kind: "regex", value: s.regex ?? "" };
}

/** An HTTP token (RFC 7230): what Gateway API accepts as a header or query-parameter name. */
export const HTTP_TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** RFC 6901 escaping of one pointer token. */
export function escapePointer(t: string): string {
  return t.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Escapes RE2 metacharacters so the text matches literally. */
export function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `^(?:re)$`: whole-value match whatever Linkerd's leftmost-first search would do with alternations. */
export function anchored(re: string): string {
  return `^(?:${re})$`;
}

/**
 * Gateway API's CEL rules on `Exact`/`PathPrefix` values (HTTPRoute `rules[].matches[].path`, Gateway
 * API v1.1.1): must start with `/`, no `//`, `/./`, `/../`, `%2f`, `%2F`, `#`, no trailing `/..` or `/.`,
 * only RFC 3986 path characters.
 */
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

/** The Linkerd regex (whole path) equivalent to a path condition. */
export function pathRegex(p: PathCond): string {
  switch (p.kind) {
    case "exact":
      return `^${reEscape(p.value)}$`;
    case "prefix":
      return `^${reEscape(p.value)}.*$`;
    case "suffix":
      return `^.*${reEscape(p.value)}$`;
    case "regex":
      return anchored(p.value);
  }
}

// The objects below are built with their keys in sorted order: translate() then keeps them as they are
// instead of copying them to sort their keys (see finish() in src/api/translate.ts).

function valueMatch(name: string, c: ValueCond): NameValueMatch {
  switch (c.kind) {
    case "exact":
      return { name, type: "Exact", value: c.value };
    case "prefix":
      return { name, type: "RegularExpression", value: `^${reEscape(c.value)}.*$` };
    case "regex":
      return { name, type: "RegularExpression", value: anchored(c.value) };
    case "present":
      return { name, type: "RegularExpression", value: "^.*$" };
    case "oneOf":
      return c.values.length === 1
        ? { name, type: "Exact", value: c.values[0] }
        : { name, type: "RegularExpression", value: `^(?:${c.values.map(reEscape).join("|")})$` };
  }
}

/** The Gateway API / policy.linkerd.io `HTTPRouteMatch` of a spec, or undefined for "every request". */
export function toHttpRouteMatch(s: MatchSpec): HTTPRouteMatch | undefined {
  if (!s.path && !s.method && !s.headers.length && !s.query.length) return undefined;
  const out: HTTPRouteMatch = {};
  if (s.headers.length) out.headers = s.headers.map((h) => valueMatch(h.name, h.cond));
  if (s.method) out.method = s.method;
  if (s.path) {
    out.path =
      s.path.kind === "exact" && isGatewayPathLiteral(s.path.value)
        ? { type: "Exact", value: s.path.value }
        : { type: "RegularExpression", value: pathRegex(s.path) };
  }
  if (s.query.length) out.queryParams = s.query.map((q) => valueMatch(q.name, q.cond));
  return out;
}

/** gRPC service and method names accepted by GRPCRoute `Exact` method matches (Gateway API CEL). */
const GRPC_SERVICE = /^[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*$/;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/**
 * The `GRPCRouteMatch` of a spec: gRPC paths are `/<service>/<method>`, so an exact path
 * `/pkg.Svc/Get` is `{service: pkg.Svc, method: Get}` and a prefix `/pkg.Svc/` is `{service: pkg.Svc}`.
 * Anything else (regex or other prefixes, HTTP method other than POST, query parameters) is a problem.
 */
export function toGrpcRouteMatch(s: MatchSpec, pointer: string): { match?: GRPCRouteMatch; problems: MatchProblem[] } {
  const problems: MatchProblem[] = [];
  let method: GRPCRouteMatch["method"];
  if (s.path) {
    if (s.path.kind === "exact") {
      const m = /^\/([^/]+)\/([^/]+)$/.exec(s.path.value);
      if (m && GRPC_SERVICE.test(m[1]) && GRPC_METHOD.test(m[2])) method = { method: m[2], service: m[1], type: "Exact" };
    } else if (s.path.kind === "prefix") {
      const m = /^\/([^/]+)\/$/.exec(s.path.value);
      if (m && GRPC_SERVICE.test(m[1])) method = { service: m[1], type: "Exact" };
    }
    if (!method)
      problems.push({
        pointer: `${pointer}/path`,
        what: "grpc",
        message: `a GRPCRoute matches gRPC service and method names, not paths: only an exact path /<service>/<method> or a prefix /<service>/ can be expressed`,
      });
  }
  if (s.method && s.method !== "POST")
    problems.push({ pointer: `${pointer}/method`, what: "grpc", message: `gRPC requests are always POST; a GRPCRoute cannot match method ${s.method}` });
  if (s.query.length) problems.push({ pointer: `${pointer}/queryParams`, what: "grpc", message: `a GRPCRoute cannot match query parameters` });
  if (!method && !s.headers.length) return { problems };
  const match: GRPCRouteMatch = {};
  if (s.headers.length) match.headers = s.headers.map((h) => valueMatch(h.name, h.cond));
  if (method) match.method = method;
  return { match, problems };
}

// --------------------------------------------------------------------------------------- analysis

/** Tests an RE2 regex (whole value) in JavaScript; undefined when JS cannot compile it. */
function testRegex(re: string, value: string): boolean | undefined {
  try {
    return new RegExp(`^(?:${re.replace(/\(\?P</g, "(?<")})$`).test(value);
  } catch {
    return undefined;
  }
}

/** Can a path condition match this literal path? (undefined: cannot tell) */
function pathMatches(p: PathCond, path: string): boolean | undefined {
  switch (p.kind) {
    case "exact":
      return p.value === path;
    case "prefix":
      return path.startsWith(p.value);
    case "suffix":
      return path.endsWith(p.value);
    case "regex":
      return testRegex(p.value, path);
  }
}

function pathsMayOverlap(a: PathCond | undefined, b: PathCond | undefined): boolean {
  if (!a || !b) return true;
  if (a.kind === "exact") return pathMatches(b, a.value) !== false;
  if (b.kind === "exact") return pathMatches(a, b.value) !== false;
  if (a.kind === "prefix" && b.kind === "prefix") return a.value.startsWith(b.value) || b.value.startsWith(a.value);
  if (a.kind === "suffix" && b.kind === "suffix") return a.value.endsWith(b.value) || b.value.endsWith(a.value);
  return true;
}

function valueMatches(c: ValueCond, v: string): boolean | undefined {
  switch (c.kind) {
    case "exact":
      return c.value === v;
    case "prefix":
      return v.startsWith(c.value);
    case "regex":
      return testRegex(c.value, v);
    case "present":
      return true;
    case "oneOf":
      return c.values.includes(v);
  }
}

function literals(c: ValueCond): string[] | undefined {
  return c.kind === "exact" ? [c.value] : c.kind === "oneOf" ? c.values : undefined;
}

function valuesMayOverlap(a: ValueCond, b: ValueCond): boolean {
  const la = literals(a);
  if (la) return la.some((v) => valueMatches(b, v) !== false);
  const lb = literals(b);
  if (lb) return lb.some((v) => valueMatches(a, v) !== false);
  if (a.kind === "prefix" && b.kind === "prefix") return a.value.startsWith(b.value) || b.value.startsWith(a.value);
  return true;
}

/**
 * False when no request can match both specs (different methods, disjoint literal paths or header
 * values...); true when some request may (conservative: true when unsure).
 */
export function mayOverlap(a: MatchSpec, b: MatchSpec): boolean {
  if (a.method && b.method && a.method !== b.method) return false;
  if (!pathsMayOverlap(a.path, b.path)) return false;
  for (const [x, y] of [
    [a.headers, b.headers],
    [a.query, b.query],
  ] as const) {
    for (const h of x) {
      const other = y.find((k) => k.name === h.name);
      if (other && !valuesMayOverlap(h.cond, other.cond)) return false;
    }
  }
  return true;
}

/** True when every request `inner` matches is matched by `outer` (conservative: false when unsure). */
export function covers(outer: MatchSpec, inner: MatchSpec): boolean {
  if (outer.method && outer.method !== inner.method) return false;
  if (outer.path) {
    const ip = inner.path;
    if (!ip) return false;
    const op = outer.path;
    if (ip.kind === "exact") {
      if (pathMatches(op, ip.value) !== true) return false;
    } else if (op.kind === "prefix" && ip.kind === "prefix") {
      if (!ip.value.startsWith(op.value)) return false;
    } else if (op.kind === "suffix" && ip.kind === "suffix") {
      if (!ip.value.endsWith(op.value)) return false;
    } else if (!(op.kind === ip.kind && op.value === ip.value)) return false;
  }
  for (const [o, i] of [
    [outer.headers, inner.headers],
    [outer.query, inner.query],
  ] as const) {
    for (const h of o) {
      const ih = i.find((k) => k.name === h.name);
      if (!ih) return false;
      if (h.cond.kind === "present") continue;
      const lits = literals(ih.cond);
      if (lits) {
        if (!lits.every((v) => valueMatches(h.cond, v) === true)) return false;
      } else if (
        !(h.cond.kind === ih.cond.kind && JSON.stringify(h.cond) === JSON.stringify(ih.cond)) &&
        !(h.cond.kind === "prefix" && ih.cond.kind === "prefix" && ih.cond.value.startsWith(h.cond.value))
      )
        return false;
    }
  }
  return true;
}

/**
 * A spec matching exactly the requests both `a` and `b` match, when it can be written as one spec
 * (conservative: undefined when unsure, e.g. two different regexes, or a prefix and a suffix).
 */
export function intersectSpecs(a: MatchSpec, b: MatchSpec): MatchSpec | undefined {
  if (a.method && b.method && a.method !== b.method) return undefined;
  const path = intersectPaths(a.path, b.path);
  if (path === null) return undefined;
  const headers = intersectConds(a.headers, b.headers);
  const query = intersectConds(a.query, b.query);
  if (!headers || !query) return undefined;
  const out = {} as MatchSpec;
  if (path) out.path = path;
  const method = a.method ?? b.method;
  if (method) out.method = method;
  out.headers = headers;
  out.query = query;
  return out;
}

/** The path condition of both (undefined: any path), or null when it cannot be written as one. */
function intersectPaths(a: PathCond | undefined, b: PathCond | undefined): PathCond | undefined | null {
  if (!a) return b;
  if (!b) return a;
  if (a.kind === b.kind && a.value === b.value) return a;
  if (a.kind === "exact") return pathMatches(b, a.value) === true ? a : null;
  if (b.kind === "exact") return pathMatches(a, b.value) === true ? b : null;
  if (a.kind === "prefix" && b.kind === "prefix") return a.value.startsWith(b.value) ? a : b.value.startsWith(a.value) ? b : null;
  if (a.kind === "suffix" && b.kind === "suffix") return a.value.endsWith(b.value) ? a : b.value.endsWith(a.value) ? b : null;
  return null;
}

/** The header (or query) conditions of both, sorted by name; undefined when one name's two conditions cannot be combined. */
function intersectConds(a: MatchSpec["headers"], b: MatchSpec["headers"]): MatchSpec["headers"] | undefined {
  const out = [...a];
  for (const h of b) {
    const i = out.findIndex((x) => x.name === h.name);
    if (i < 0) {
      out.push(h);
      continue;
    }
    const o = out[i].cond;
    if (JSON.stringify(o) === JSON.stringify(h.cond)) continue;
    const lo = literals(o);
    const lh = literals(h.cond);
    if (!lo && !lh) return undefined;
    // Literal values of one side that the other side surely matches.
    const values = lo ? lo.filter((v) => valueMatches(h.cond, v) === true) : lh!.filter((v) => valueMatches(o, v) === true);
    const unsure = lo ? lo.some((v) => valueMatches(h.cond, v) === undefined) : lh!.some((v) => valueMatches(o, v) === undefined);
    if (!values.length || unsure) return undefined;
    out[i] = { name: h.name, cond: values.length === 1 ? { kind: "exact", value: values[0] } : { kind: "oneOf", values } };
  }
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** `A`: a path match that scores the request path's length (Exact, RegularExpression); `B`: no path match (scores 1). */
function pathClass(s: MatchSpec): "A" | "B" {
  return s.path ? "A" : "B";
}

/** The tie-break tuples after the path score, in the current and in older proxies' order. */
function tails(s: MatchSpec): number[][] {
  const m = s.method ? 1 : 0;
  return [
    [m, s.headers.length, s.query.length],
    [s.headers.length, s.query.length, m],
  ];
}

function cmpTuples(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Outcome of Linkerd's choice between two rules on a request both match. */
export type Outcome = "x" | "y" | "tie";

function sameScoreOutcomes(x: MatchSpec, y: MatchSpec): Set<Outcome> {
  const out = new Set<Outcome>();
  const tx = tails(x);
  const ty = tails(y);
  for (let i = 0; i < tx.length; i++) {
    const c = cmpTuples(tx[i], ty[i]);
    out.add(c > 0 ? "x" : c < 0 ? "y" : "tie");
  }
  return out;
}

/** Can the spec's path condition match `/`, where a path match scores 1 like no path match? */
function canMatchRoot(s: MatchSpec): boolean {
  return !s.path || pathMatches(s.path, "/") !== false;
}

/** True unless the spec's path matches only `/`. */
function canMatchOtherThanRoot(s: MatchSpec): boolean {
  return !(s.path?.kind === "exact" && s.path.value === "/");
}

/**
 * Every way Linkerd can decide between rule `x` and rule `y` on requests both match (call only when
 * {@link mayOverlap}): `x` or `y` wins on its match, or `tie` (then the earlier rule of the same route
 * wins, or across routes the older route).
 */
export function compareOutcomes(x: MatchSpec, y: MatchSpec): Set<Outcome> {
  const cx = pathClass(x);
  const cy = pathClass(y);
  if (cx === cy) return sameScoreOutcomes(x, y);
  const [a, winner] = cx === "A" ? [x, "x" as const] : [y, "y" as const];
  const out = new Set<Outcome>();
  if (canMatchOtherThanRoot(a)) out.add(winner);
  if (canMatchRoot(a)) for (const o of sameScoreOutcomes(x, y)) out.add(o);
  return out;
}

/** A short description of a spec for messages: `GET /x (exact), header x-a`. */
export function describeSpec(s: MatchSpec): string {
  const parts: string[] = [];
  if (s.method) parts.push(s.method);
  if (s.path) parts.push(`path ${s.path.kind} ${s.path.value}`);
  for (const h of s.headers) parts.push(`header ${h.name}`);
  for (const q of s.query) parts.push(`query ${q.name}`);
  return parts.length ? parts.join(", ") : "every request";
}

// ------------------------------------------------------------------------------------------- gRPC

/** gRPC service/method of a spec converted by {@link toGrpcRouteMatch}. */
function grpcParts(s: MatchSpec): { service?: string; method?: string } {
  if (s.path?.kind === "exact") {
    const m = /^\/([^/]+)\/([^/]+)$/.exec(s.path.value);
    if (m) return { service: m[1], method: m[2] };
  }
  if (s.path?.kind === "prefix") {
    const m = /^\/([^/]+)\/$/.exec(s.path.value);
    if (m) return { service: m[1] };
  }
  return {};
}

/** Like {@link mayOverlap}, for GRPCRoute rules. */
export function grpcMayOverlap(a: MatchSpec, b: MatchSpec): boolean {
  const pa = grpcParts(a);
  const pb = grpcParts(b);
  if (pa.service && pb.service && pa.service !== pb.service) return false;
  if (pa.method && pb.method && pa.method !== pb.method) return false;
  return mayOverlap({ ...a, path: undefined }, { ...b, path: undefined });
}

/**
 * Like {@link compareOutcomes}, for GRPCRoute rules: linkerd2-proxy `http/route/src/grpc/match.rs`
 * compares the matched service name length, then the method name length, then the number of headers.
 */
export function grpcCompareOutcomes(x: MatchSpec, y: MatchSpec): Set<Outcome> {
  const key = (s: MatchSpec) => {
    const p = grpcParts(s);
    return [p.service?.length ?? 0, p.method?.length ?? 0, s.headers.length];
  };
  const c = cmpTuples(key(x), key(y));
  return new Set<Outcome>([c > 0 ? "x" : c < 0 ? "y" : "tie"]);
}
