/**
 * Segment-wise path prefixes (`match.path.segmentPrefix`), with Gateway API's `PathPrefix` and
 * `ReplacePrefixMatch` semantics (`apis/v1/httproute_types.go` of kubernetes-sigs/gateway-api): a prefix
 * matches whole path segments, a trailing `/` of the prefix is ignored, and a prefix replacement keeps the
 * rest of the path with its `/`. The built-in proxy runs these functions; adapters translate them.
 */

/** The prefix without its trailing `/` (`/v2/` → `/v2`); `""` for `/` (every path). */
export function segmentPrefixBase(prefix: string): string {
  return prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
}

/** True when `path` is the prefix or below it: `/v2` matches `/v2`, `/v2/`, `/v2/x`, not `/v2x`. */
export function segmentPrefixMatches(prefix: string, path: string): boolean {
  const base = segmentPrefixBase(prefix);
  return path === base || path.startsWith(`${base}/`);
}

/** Escapes regex metacharacters (RE2 and JavaScript alike). */
function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A regular expression matching exactly the paths the prefix matches, as a whole-path match (RE2 and
 * JavaScript; callers anchor it as their mesh requires): `/v2` → `/v2(/.*)?`; `undefined` for `/`
 * (every path).
 */
export function segmentPrefixRegex(prefix: string): string | undefined {
  const base = segmentPrefixBase(prefix);
  return base ? `${reEscape(base)}(/.*)?` : undefined;
}

/**
 * Gateway API `ReplacePrefixMatch` on a path the prefix matches: the matched segments are replaced by
 * `replacement` (its trailing `/` ignored) and the rest is kept; an empty result is `/`. `/foo/bar` with
 * `/foo` → `/xyz` is `/xyz/bar`, `/foo/` → `/xyz/`, `/foo` with `/foo` → `/` is `/`.
 */
export function replaceSegmentPrefix(path: string, prefix: string, replacement: string): string {
  const rest = path.slice(segmentPrefixBase(prefix).length);
  return `${segmentPrefixBase(replacement)}${rest}` || "/";
}

/**
 * The same replacement as a regex rewrite (Envoy `regex_rewrite`, Istio `uriRegexRewrite`): `match`
 * (anchored) and `rewrite` with `\1` for the kept rest.
 */
export function segmentPrefixRewriteRegex(prefix: string, replacement: string): { match: string; rewrite: string } {
  const base = reEscape(segmentPrefixBase(prefix));
  const head = segmentPrefixBase(replacement).replace(/\\/g, "\\\\");
  // An empty head must still give `/` for the prefix itself: take the rest without its leading `/`.
  return head ? { match: `^${base}(/.*)?$`, rewrite: `${head}\\1` } : { match: `^${base}/?(.*)$`, rewrite: "/\\1" };
}

/**
 * The segment prefix a regex of {@link segmentPrefixRegex} stands for (`/v2(/.*)?` → `/v2`), or undefined
 * when the regex is not one (importers read translated objects back with it).
 */
export function segmentPrefixFromRegex(re: string): string | undefined {
  const m = /^((?:[^\\()|*+?.[\]{}^$]|\\[.*+?^${}()|[\]\\])+)\(\/\.\*\)\?$/.exec(re);
  if (!m) return undefined;
  const base = m[1].replace(/\\(.)/g, "$1");
  return base.startsWith("/") && segmentPrefixRegex(base) === re ? base : undefined;
}

/** The replacement of a {@link segmentPrefixRewriteRegex} rewrite for `prefix`, or undefined when it is not one. */
export function segmentPrefixReplacementFromRewrite(prefix: string, r: { match: unknown; rewrite: unknown }): string | undefined {
  if (typeof r.rewrite !== "string" || typeof r.match !== "string") return undefined;
  const candidate = r.rewrite === "/\\1" ? "/" : r.rewrite.endsWith("\\1") ? r.rewrite.slice(0, -2).replace(/\\\\/g, "\\") : undefined;
  if (candidate === undefined) return undefined;
  const back = segmentPrefixRewriteRegex(prefix, candidate);
  return back.match === r.match && back.rewrite === r.rewrite ? candidate : undefined;
}
