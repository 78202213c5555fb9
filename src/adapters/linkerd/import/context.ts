/**
 * What the parts of the Linkerd importer share: the import context and settings, Linkerd's identity
 * names (the reverse of the adapter's `linkerdIdentity`), durations as Linkerd parses them, match
 * conversion (the reverse of `../matching.ts`), and the objects' generated-by-unimesh provenance.
 */
import type { HeaderMatch, Match, StringMatch } from "../../../api/generated/model.js";
import { type ImportContext, type ImportReport, type NativeFields, type NativeObject, isObject } from "../../../api/import-contract.js";
import { formatDuration } from "../../../api/duration.js";
import { type PolicyRef, generatedFrom } from "../../../api/ownership.js";
import type { MatchSpec, ValueCond } from "../matching.js";

/** The Linkerd importer's view of one import. */
export interface LinkerdImport {
  readonly ctx: ImportContext;
  /** `clusterDomain` setting (ServiceProfile names `<svc>.<ns>.svc.<clusterDomain>`). @default "cluster.local" */
  readonly clusterDomain: string;
}

/** A service of the mesh. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/** Builds the importer's context from the import context. */
export function linkerdImport(ctx: ImportContext): LinkerdImport {
  return { ctx, clusterDomain: ctx.settings.clusterDomain ?? "cluster.local" };
}

/** Shorthand for `ctx.report`. */
export function report(
  li: LinkerdImport,
  o: NativeObject,
  pointer: string,
  severity: ImportReport["severity"],
  code: ImportReport["code"],
  message: string,
): void {
  li.ctx.report(o, pointer, { code, severity, message });
}

/** The policies of one kind a generated object came from (see `generatedFrom`); undefined when not generated. */
export function sourcePolicies(o: NativeObject, kind?: string): PolicyRef[] | undefined {
  const refs = generatedFrom(o.object);
  if (!refs) return undefined;
  const mine = kind ? refs.filter((r) => r.kind === kind) : refs;
  return mine.length ? mine : undefined;
}

/**
 * A Linkerd duration in ms, as its policy controller parses annotations (`parse_duration`: one
 * non-negative integer and a unit ms, s, m, h or d; `0` alone) and Gateway API durations (`1h2m3s500ms`).
 * Undefined when it is not one.
 */
export function linkerdDurationMs(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (s === "0") return 0;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const re = /([0-9]+)(ms|s|m|h|d)/y;
  let pos = 0;
  let total = 0;
  if (!s) return undefined;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  return total;
}

/** A model duration for a native one at `pointer` (taken); undefined (an error reported) when invalid. */
export function duration(li: LinkerdImport, o: NativeObject, f: NativeFields, pointer: string, value?: unknown): string | undefined {
  const v = value ?? f.take(pointer);
  if (v === undefined) return undefined;
  const ms = linkerdDurationMs(v);
  if (ms === undefined) {
    report(li, o, pointer, "error", "import/invalid", `${JSON.stringify(v)} is not a duration Linkerd reads (an integer and a unit: ms, s, m, h, d)`);
    return undefined;
  }
  return formatDuration(ms);
}

// ------------------------------------------------------------------------------ identities

/** A caller set as the model can say it (the reverse of `../features/callers.ts`). */
export interface ImportedCallers {
  anyone: boolean;
  authenticated: boolean;
  /** `namespace/serviceaccount`. */
  sas: string[];
  namespaces: string[];
  ipBlocks: string[];
}

export const NOBODY: ImportedCallers = { anyone: false, authenticated: false, sas: [], namespaces: [], ipBlocks: [] };

/**
 * A MeshTLSAuthentication identity: `*` (any meshed client), `<sa>.<ns>.serviceaccount.identity.linkerd.<td>`
 * (one service account), `*.<ns>.serviceaccount.identity.linkerd.<td>` (a namespace); otherwise why the
 * model cannot say it.
 */
export function parseIdentity(li: LinkerdImport, id: unknown): { sa: string } | { namespace: string } | { any: true } | { reason: string } {
  if (typeof id !== "string") return { reason: "is not a string" };
  if (id === "*") return { any: true };
  const td = li.ctx.trustDomain;
  const suffix = `.serviceaccount.identity.linkerd.${td}`;
  const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  if (id.endsWith(suffix)) {
    const parts = id.slice(0, -suffix.length).split(".");
    if (parts.length === 2 && label.test(parts[1])) {
      if (parts[0] === "*") return { namespace: parts[1] };
      if (label.test(parts[0])) return { sa: `${parts[1]}/${parts[0]}` };
    }
  }
  const m = /\.serviceaccount\.identity\.linkerd\.(.+)$/.exec(id);
  if (m && m[1] !== td)
    return {
      reason: `"${id}" is in trust domain "${m[1]}", not the import's ${td} (give --set trustDomain=${m[1]} if that is the mesh's identity trust domain)`,
    };
  return {
    reason: `"${id}" is not an identity of the form <serviceaccount>.<namespace>.serviceaccount.identity.linkerd.<trust domain>, *.<namespace>.serviceaccount.identity.linkerd.<trust domain> or *`,
  };
}

/** a ∪ b, normalized (what a wider member includes dropped). */
export function unionCallers(a: ImportedCallers, b: ImportedCallers): ImportedCallers {
  return normalizeCallers({
    anyone: a.anyone || b.anyone,
    authenticated: a.authenticated || b.authenticated,
    sas: [...a.sas, ...b.sas],
    namespaces: [...a.namespaces, ...b.namespaces],
    ipBlocks: [...a.ipBlocks, ...b.ipBlocks],
  });
}

/** Drops what a wider member already includes; sorts. */
export function normalizeCallers(c: ImportedCallers): ImportedCallers {
  if (c.anyone) return { ...NOBODY, anyone: true };
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  const namespaces = c.authenticated ? [] : uniq(c.namespaces);
  const sas = c.authenticated ? [] : uniq(c.sas.filter((s) => !namespaces.includes(s.split("/")[0])));
  return { anyone: false, authenticated: c.authenticated, sas, namespaces, ipBlocks: uniq(c.ipBlocks) };
}

/** True when nobody is in the set. */
export function noCallers(c: ImportedCallers): boolean {
  return !c.anyone && !c.authenticated && !c.sas.length && !c.namespaces.length && !c.ipBlocks.length;
}

/** True when every caller of `a` is in `b` (by members; false when unsure). */
export function callersWithin(a: ImportedCallers, b: ImportedCallers): boolean {
  if (b.anyone) return true;
  if (a.anyone) return false;
  if (a.authenticated && !b.authenticated) return false;
  if (!b.authenticated) {
    if (!a.namespaces.every((n) => b.namespaces.includes(n))) return false;
    if (!a.sas.every((s) => b.sas.includes(s) || b.namespaces.includes(s.split("/")[0]))) return false;
  }
  return a.ipBlocks.every((ip) => b.ipBlocks.includes(ip));
}

/**
 * `a − b` as a list of service accounts and namespaces, when exact (the members of `a` that `b` lacks,
 * none of them inside a wildcard of `a` that `b` partly covers); undefined otherwise.
 */
export function callersMinus(a: ImportedCallers, b: ImportedCallers): ImportedCallers | undefined {
  if (callersWithin(a, b)) return NOBODY;
  if (a.anyone || a.authenticated || a.ipBlocks.some((ip) => !b.ipBlocks.includes(ip))) return undefined;
  if (b.anyone || b.authenticated) return NOBODY;
  // A namespace of `a` with some of its service accounts in `b`: a − b is the namespace minus them.
  if (a.namespaces.some((n) => !b.namespaces.includes(n) && b.sas.some((s) => s.split("/")[0] === n))) return undefined;
  return normalizeCallers({
    ...NOBODY,
    namespaces: a.namespaces.filter((n) => !b.namespaces.includes(n)),
    sas: a.sas.filter((s) => !b.sas.includes(s) && !b.namespaces.includes(s.split("/")[0])),
  });
}

/** A short description for messages. */
export function describeImportedCallers(c: ImportedCallers): string {
  if (c.anyone) return "any caller";
  const parts = [
    ...(c.authenticated ? ["any meshed identity"] : []),
    ...c.sas.map((s) => `service account ${s}`),
    ...c.namespaces.map((n) => `namespace ${n}`),
    ...c.ipBlocks.map((ip) => `network ${ip}`),
  ];
  return parts.length ? parts.join(", ") : "nobody";
}

// ------------------------------------------------------------------------------ matches

/** RE2 metacharacters escaped by the adapter's `reEscape`. */
const ESCAPED_LITERAL = /^(?:[^.*+?^${}()|[\]\\]|\\[.*+?^${}()|[\]\\])*$/;

/** The literal text of an escaped regex fragment (the reverse of `reEscape`), or undefined. */
export function unescapeLiteral(re: string): string | undefined {
  if (!ESCAPED_LITERAL.test(re)) return undefined;
  return re.replace(/\\(.)/g, "$1");
}

/**
 * A Linkerd regex (matched whole: Linkerd checks that the leftmost-first match spans the value) as the
 * forms the adapter writes: `^<lit>$` exact, `^<lit>.*$` prefix, `^.*<lit>$` suffix, `^(?:re)$` (or
 * `^re$`, or `re`) a regex `re` matched whole.
 */
export function readRegex(re: string): { kind: "exact" | "prefix" | "suffix" | "regex"; value: string; alternation: boolean } {
  let m = /^\^(.*)\.\*\$$/s.exec(re);
  if (m) {
    const lit = unescapeLiteral(m[1]);
    if (lit !== undefined) return { kind: "prefix", value: lit, alternation: false };
  }
  m = /^\^\.\*(.*)\$$/s.exec(re);
  if (m) {
    const lit = unescapeLiteral(m[1]);
    if (lit !== undefined && lit) return { kind: "suffix", value: lit, alternation: false };
  }
  m = /^\^(.*)\$$/s.exec(re);
  if (m) {
    const lit = unescapeLiteral(m[1]);
    if (lit !== undefined) return { kind: "exact", value: lit, alternation: false };
  }
  m = /^\^\(\?:(.*)\)\$$/s.exec(re);
  const inner = m ? m[1] : re.replace(/^\^/, "").replace(/(?<!\\)\$$/, "");
  // Outside a wrapping group, a top-level alternation means something else to Linkerd (leftmost-first).
  return { kind: "regex", value: inner, alternation: !m && /(?<!\\)\|/.test(inner) };
}

/** A Gateway API / policy.linkerd.io string match (`{type, value}`) as a model StringMatch. */
export function stringMatchOf(type: unknown, value: unknown): { match: StringMatch; alternation?: boolean } | { reason: string } {
  if (typeof value !== "string") return { reason: "has no string value" };
  if (type === undefined || type === "Exact") return { match: { exact: value } };
  if (type !== "RegularExpression") return { reason: `match type ${JSON.stringify(type)} is neither Exact nor RegularExpression` };
  const r = readRegex(value);
  if (r.kind === "exact") return { match: { exact: r.value } };
  if (r.kind === "prefix") return r.value ? { match: { prefix: r.value } } : { match: { regex: ".*" } };
  if (r.kind === "suffix") return { match: { regex: `.*${value.slice(4, -1)}` } };
  return { match: { regex: r.value }, alternation: r.alternation };
}

/** A header match: like {@link stringMatchOf}, and `^.*$` is "present". */
export function headerMatchOf(type: unknown, value: unknown): { match: HeaderMatch; alternation?: boolean } | { reason: string } {
  if (type === "RegularExpression" && (value === "^.*$" || value === ".*")) return { match: { present: true } };
  return stringMatchOf(type, value);
}

/**
 * The model path match of a Gateway API path match: `Exact`, `PathPrefix` (segment-based in Linkerd:
 * `/x` and `/x/` match `/x`, `/x/` and `/x/...`, not `/xy`: a regex `/x(/.*)?`), `RegularExpression`.
 * Undefined path: every path.
 */
export function pathMatchOf(p: unknown): { path?: Match["path"]; alternation?: boolean } | { reason: string } {
  if (p === undefined) return {};
  if (!isObject(p)) return { reason: "is not a mapping" };
  const type = p.type ?? "PathPrefix";
  const value = p.value ?? "/";
  if (typeof value !== "string") return { reason: "has no string value" };
  if (type === "Exact") return { path: { exact: value } };
  if (type === "PathPrefix") {
    const base = value.replace(/\/+$/, "");
    if (!base) return {};
    const lit = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return { path: { regex: `${lit}(?:/.*)?` } };
  }
  if (type === "RegularExpression") {
    const r = readRegex(value);
    if (r.kind === "exact") return { path: { exact: r.value } };
    if (r.kind === "prefix") return r.value === "/" || !r.value ? {} : { path: { prefix: r.value } };
    if (r.kind === "suffix") return { path: { regex: `.*${value.slice(4, -1)}` } };
    return { path: { regex: r.value }, alternation: r.alternation };
  }
  return { reason: `path match type ${JSON.stringify(type)} is not Exact, PathPrefix or RegularExpression` };
}

/** The adapter's MatchSpec of a model match (for Linkerd's precedence, `../matching.ts`). */
export function specOf(m: Match | undefined): MatchSpec {
  const spec: MatchSpec = { headers: [], query: [] };
  if (!m) return spec;
  if (m.path?.exact !== undefined) spec.path = { kind: "exact", value: m.path.exact };
  else if (m.path?.prefix !== undefined && m.path.prefix !== "/") spec.path = { kind: "prefix", value: m.path.prefix };
  else if (m.path?.regex !== undefined) spec.path = { kind: "regex", value: m.path.regex };
  if (m.method) spec.method = m.method;
  const cond = (h: HeaderMatch | StringMatch): ValueCond =>
    "present" in h && h.present
      ? { kind: "present" }
      : h.exact !== undefined
        ? { kind: "exact", value: h.exact }
        : h.prefix !== undefined
          ? { kind: "prefix", value: h.prefix }
          : { kind: "regex", value: h.regex ?? "" };
  for (const [name, h] of Object.entries(m.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    spec.headers.push({ name: name.toLowerCase(), cond: cond(h) });
  for (const [name, q] of Object.entries(m.queryParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) spec.query.push({ name, cond: cond(q) });
  return spec;
}

/** True for the match of every request. */
export function isEmptyMatch(m: Match | undefined): boolean {
  return !m || (!m.path && !m.method && !m.headers && !m.queryParams);
}

// ------------------------------------------------------------------------------ Linkerd's precedence

/**
 * How a rule's path match scores in Linkerd's choice of the most specific rule (linkerd2-proxy
 * `http/route` `find`): `Exact` and `RegularExpression` score the request path's length (`len`),
 * `PathPrefix` its prefix's length (`prefix`, `length`), no path match 1 (`none`; `PathPrefix /` too).
 */
export type PathScore = { kind: "len" } | { kind: "prefix"; length: number; base: string } | { kind: "none" };

/** The score kind of a native path match (Gateway API's default type is PathPrefix). */
export function pathScore(p: unknown): PathScore {
  if (!isObject(p)) return { kind: "none" };
  const type = p.type ?? "PathPrefix";
  const value = typeof p.value === "string" ? p.value : "/";
  if (type === "PathPrefix") {
    const base = value.replace(/\/+$/, "");
    return base ? { kind: "prefix", length: base.length, base } : { kind: "none" };
  }
  return { kind: "len" };
}

/** One rule as Linkerd ranks it: its path score and its match (for the tie-breaks and overlap tests). */
export interface Ranked {
  score: PathScore;
  spec: MatchSpec;
}

function tails(s: MatchSpec): number[][] {
  const m = s.method ? 1 : 0;
  return [
    [m, s.headers.length, s.query.length],
    [s.headers.length, s.query.length, m],
  ];
}

function tieBreaks(x: MatchSpec, y: MatchSpec): Set<"x" | "y" | "tie"> {
  const out = new Set<"x" | "y" | "tie">();
  const tx = tails(x);
  const ty = tails(y);
  for (let i = 0; i < tx.length; i++) {
    let c = 0;
    for (let j = 0; j < tx[i].length && !c; j++) c = tx[i][j] - ty[i][j];
    out.add(c > 0 ? "x" : c < 0 ? "y" : "tie");
  }
  return out;
}

/**
 * Every way Linkerd can decide between rules `x` and `y` on a request both match: `x` or `y` wins, or
 * `tie` (then the earlier rule of one route, or the older route). The path scores first (a prefix
 * scores its length, an exact or regex path the request's, which is at least as long on a request both
 * match), then method, header and query-parameter counts (older proxies compare the method last: both
 * orders are considered).
 */
export function linkerdOutcomes(x: Ranked, y: Ranked): Set<"x" | "y" | "tie"> {
  const a = x.score;
  const b = y.score;
  const lenWins = (len: "x" | "y", other: PathScore): Set<"x" | "y" | "tie"> => {
    // On a request both match, the request is at least as long as the other's score, and longer unless
    // it is exactly the other's prefix (or "/" for no path): only there do the tie-breaks decide.
    const out = new Set<"x" | "y" | "tie">([len]);
    const shortest = other.kind === "prefix" ? other.base : "/";
    if (mayMatch((len === "x" ? x.spec : y.spec).path, shortest)) for (const o of tieBreaks(x.spec, y.spec)) out.add(o);
    return out;
  };
  if (a.kind === "len" && b.kind === "len") return tieBreaks(x.spec, y.spec);
  if (a.kind === "len") return lenWins("x", b);
  if (b.kind === "len") return lenWins("y", a);
  const la = a.kind === "prefix" ? a.length : 1;
  const lb = b.kind === "prefix" ? b.length : 1;
  if (la !== lb) return new Set([la > lb ? "x" : "y"]);
  return tieBreaks(x.spec, y.spec);
}

/** Can a path condition match this literal path? (true when unsure) */
function mayMatch(p: MatchSpec["path"], path: string): boolean {
  if (!p) return true;
  switch (p.kind) {
    case "exact":
      return p.value === path;
    case "prefix":
      return path.startsWith(p.value);
    case "suffix":
      return path.endsWith(p.value);
    case "regex":
      try {
        return new RegExp(`^(?:${p.value})$`).test(path);
      } catch {
        return true;
      }
  }
}

/**
 * The match Linkerd's precedence and overlap tests look at: a `PathPrefix` is written as the plain string
 * prefix (a superset of Linkerd's segment prefix, so the overlap test stays conservative).
 */
export function rankedSpec(spec: MatchSpec, nativePath: unknown): MatchSpec {
  const score = pathScore(nativePath);
  if (score.kind === "prefix") return { ...spec, path: { kind: "prefix", value: score.base } };
  if (score.kind === "none" && isObject(nativePath)) return { ...spec, path: undefined };
  return spec;
}
