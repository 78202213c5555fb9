/**
 * Feature `match` → `MeshHTTPRoute.to[].rules[].matches[]` (kuma `pkg/plugins/policies/meshhttproute`,
 * Kuma 2.14), and the order Kuma gives the rules.
 *
 * - Paths: `exact` → `Exact`; `segmentPrefix` → `PathPrefix` (segment-wise in Kuma as in the model,
 *   trailing `/` dropped); a string `prefix` → `RegularExpression` `<escaped prefix>.*` (Kuma's
 *   `PathPrefix` is segment-wise, not a string prefix; Envoy matches `safe_regex` against the whole path),
 *   `/` → no path (every request); `regex` → `RegularExpression`.
 * - Headers: exact → `Exact`, prefix → `Prefix`, regex → `RegularExpression`, `present: true` → `Present`,
 *   `present: false` → `Absent` (names lower-cased: the CRD allows lower-case tokens only). Query parameters:
 *   exact → `Exact`, prefix and regex → `RegularExpression`. Method → `method`.
 * - Order. Kuma does not take the first rule that matches: it sorts every match of every rule
 *   (`plugin/v1alpha1/listeners.go` `prepareRoutes`, stable sort by `api.CompareMatch`, `compare.go`): `Exact`
 *   paths first, then `PathPrefix` and then `RegularExpression` by decreasing value length, then matches
 *   without a path; on a tie, with a method first, then more headers, then more query parameters. Requests
 *   no rule matches go to the MeshService unchanged (Kuma appends a catch-all to the default backend), as in
 *   the model. {@link checkOrder} reports the routes whose requests Kuma would give to a later route.
 */
import type { Match } from "../../../api/generated/model.js";
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import type { HttpRouteMatch } from "../resources.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const match: FeatureModule = featureModule("match", () =>
  full(
    "MeshHTTPRoute.to[].rules[].matches[] {path, method, headers, queryParams}",
    "Kuma sorts rules by match (exact path, longest prefix/regex, method, headers, query) rather than taking the first: route orders it would change are errors; string prefixes become regexes (PathPrefix is segment-wise)",
  ),
);

/** A condition kept beside its Kuma form, to tell whether two matches can meet. */
interface Cond {
  kind: "exact" | "prefix" | "regex" | "present" | "absent";
  value?: string;
}

/** One Kuma match and the model conditions it came from. */
export interface KumaMatch {
  match: HttpRouteMatch;
  path?: Cond;
  method?: string;
  headers: Map<string, Cond>;
  query: Map<string, Cond>;
}

/** Escapes a literal for RE2. */
export function reEscape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** The Kuma match of a route (every request when it has no match). */
export function kumaMatch(r: EffectiveRoute): KumaMatch {
  return toKuma(r.match?.value);
}

function toKuma(m: Match | undefined): KumaMatch {
  const out: KumaMatch = { match: {}, headers: new Map(), query: new Map() };
  if (!m) return out;
  const p = m.path;
  if (p?.exact !== undefined) {
    out.match.path = { type: "Exact", value: p.exact };
    out.path = { kind: "exact", value: p.exact };
  } else if (p?.segmentPrefix !== undefined) {
    // Kuma's PathPrefix is the segment-wise prefix (configurer.go: the path itself, or it followed by `/`);
    // its validator refuses a trailing `/` (ignored by both anyway).
    const v = p.segmentPrefix.replace(/\/+$/, "") || "/";
    out.match.path = { type: "PathPrefix", value: v };
    out.path = { kind: "prefix", value: v === "/" ? "/" : v };
  } else if (p?.prefix !== undefined && p.prefix !== "/") {
    out.match.path = { type: "RegularExpression", value: `${reEscape(p.prefix)}.*` };
    out.path = { kind: "prefix", value: p.prefix };
  } else if (p?.regex !== undefined) {
    out.match.path = { type: "RegularExpression", value: p.regex };
    out.path = { kind: "regex", value: p.regex };
  }
  if (m.method) {
    out.match.method = m.method;
    out.method = m.method;
  }
  const headers = Object.entries(m.headers ?? {})
    .map(([n, h]) => [n.toLowerCase(), h] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, h] of headers) {
    let c: Cond;
    if (h.exact !== undefined) c = { kind: "exact", value: h.exact };
    else if (h.prefix !== undefined) c = { kind: "prefix", value: h.prefix };
    else if (h.regex !== undefined) c = { kind: "regex", value: h.regex };
    else c = { kind: h.present === false ? "absent" : "present" };
    out.headers.set(name, c);
    const type = ({ exact: "Exact", prefix: "Prefix", regex: "RegularExpression", present: "Present", absent: "Absent" } as const)[c.kind];
    (out.match.headers ??= []).push({ type, name, ...(c.value !== undefined ? { value: c.value } : {}) });
  }
  const query = Object.entries(m.queryParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, q] of query) {
    const c: Cond =
      q.exact !== undefined
        ? { kind: "exact", value: q.exact }
        : q.prefix !== undefined
          ? { kind: "prefix", value: q.prefix }
          : { kind: "regex", value: q.regex };
    out.query.set(name, c);
    (out.match.queryParams ??= []).push(
      c.kind === "exact"
        ? { type: "Exact", name, value: c.value! }
        : { type: "RegularExpression", name, value: c.kind === "prefix" ? `${reEscape(c.value!)}.*` : c.value! },
    );
  }
  return out;
}

/** Kuma's `CompareMatch` (compare.go): negative when `a` is tried before `b`. */
export function compareKuma(a: HttpRouteMatch, b: HttpRouteMatch): number {
  const rank = (m: HttpRouteMatch) => (!m.path ? 3 : m.path.type === "Exact" ? 0 : m.path.type === "PathPrefix" ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a.path && b.path && a.path.type !== "Exact" && a.path.value.length !== b.path.value.length) return b.path.value.length - a.path.value.length;
  if (!!a.method !== !!b.method) return a.method ? -1 : 1;
  const ha = a.headers?.length ?? 0,
    hb = b.headers?.length ?? 0;
  if (ha !== hb) return hb - ha;
  return (b.queryParams?.length ?? 0) - (a.queryParams?.length ?? 0);
}

/**
 * The literal text every value a regular expression matches (whole value, RE2) starts with: the
 * characters after an optional `^` up to the first metacharacter, less the last one when a quantifier
 * follows it. Empty when the expression has a top-level alternation or starts with a metacharacter.
 */
export function literalPrefix(re: string): string {
  if (re.includes("|")) return "";
  let i = re.startsWith("^") ? 1 : 0;
  let out = "";
  for (; i < re.length; i++) {
    const c = re[i];
    if (c === "\\") {
      const n = re[i + 1];
      if (n !== undefined && /[\\^$.*+?()[\]{}|/-]/.test(n)) {
        out += n;
        i++;
        continue;
      }
      break;
    }
    if (/[.^$*+?()[\]{}]/.test(c)) {
      if (/[*?{]/.test(c)) out = out.slice(0, -1);
      break;
    }
    out += c;
  }
  return out;
}

/** The literal prefix of every value a condition admits ("" when unknown), and whether it is the whole value. */
function literal(c: Cond): { prefix: string; whole: boolean } {
  if (c.kind === "exact") return { prefix: c.value!, whole: true };
  if (c.kind === "prefix") return { prefix: c.value!, whole: false };
  if (c.kind === "regex") return { prefix: literalPrefix(c.value!), whole: false };
  return { prefix: "", whole: false };
}

/** False only when no request can meet both conditions; true when unsure. */
function condsMayMeet(a: Cond | undefined, b: Cond | undefined): boolean {
  if (!a || !b) return true;
  if (a.kind === "absent" || b.kind === "absent") return a.kind === b.kind;
  const la = literal(a),
    lb = literal(b);
  if (la.whole && lb.whole) return la.prefix === lb.prefix;
  if (la.whole) return la.prefix.startsWith(lb.prefix);
  if (lb.whole) return lb.prefix.startsWith(la.prefix);
  return la.prefix.startsWith(lb.prefix) || lb.prefix.startsWith(la.prefix);
}

/** False only when two matches provably select no request in common. */
export function mayOverlap(a: KumaMatch, b: KumaMatch): boolean {
  if (!condsMayMeet(a.path, b.path)) return false;
  if (a.method && b.method && a.method !== b.method) return false;
  for (const [n, c] of a.headers) if (!condsMayMeet(c, b.headers.get(n))) return false;
  for (const [n, c] of a.query) if (!condsMayMeet(c, b.query.get(n))) return false;
  return true;
}

/**
 * Reports (error) each route that Kuma's rule order would let a LATER model route take requests from:
 * route j after route i in the model, sorted before it by Kuma, their matches able to meet. Identical
 * matches are reported too (Kuma merges rules by their matches: the later one would win), and so are
 * ties in Kuma's order unless `tiesKeepOrder` (the rules are in one MeshHTTPRoute, in the model's order:
 * Kuma's sort is stable; across several MeshHTTPRoutes their merge order decides).
 */
export function checkOrder(dc: DestinationContext, routes: readonly EffectiveRoute[], matches: readonly KumaMatch[], tiesKeepOrder: boolean): void {
  for (let j = 0; j < routes.length; j++) {
    for (let i = 0; i < j; i++) {
      const c = compareKuma(matches[j].match, matches[i].match);
      const same = JSON.stringify(matches[i].match) === JSON.stringify(matches[j].match);
      if ((c < 0 || same || (c === 0 && !tiesKeepOrder)) && mayOverlap(matches[i], matches[j])) {
        const ri = routes[i],
          rj = routes[j];
        dc.kc.report(rj.policy, rj.match?.pointer ?? rj.pointer, {
          feature: "match",
          kind: "unsupported-value",
          what: "route-order",
          severity: "error",
          message: `Kuma orders MeshHTTPRoute rules by their matches (exact path, longest prefix or regex, method, headers, query parameters), not as written: ${same ? "this route has the same match as" : c === 0 ? "this route ties in Kuma's order with" : "this route would be tried before"} ${describe(ri)}, which the model tries first, and requests can match both. Make the earlier route's match more specific (e.g. an exact path or more headers), or make the two routes' requests disjoint`,
        });
      }
    }
  }
}

function describe(r: EffectiveRoute): string {
  return `route ${r.index === null ? r.policy.name : `${r.policy.name}.${r.name ?? r.index}`} (${r.policy.id}${r.match ? r.match.pointer : r.pointer})`;
}
