/**
 * `match`: compiled request matchers. All conditions of a match must hold; strings are compared
 * exactly, by prefix, or by a whole-string regular expression; header names are lower-case; a query
 * parameter is its first value.
 */
import type { HeaderMatch, Match, PathMatch, StringMatch } from "../../api/generated/proxyConfig.js";
import { segmentPrefixMatches } from "../../api/segment-prefix.js";
import type { IncomingHttpHeaders } from "node:http";
import { setFlagsFromString } from "node:v8";

/**
 * V8's linear-time engine for regular expressions (the `l` flag) is behind a flag, set when the first
 * such expression is compiled: a configuration without regular expressions leaves the process's V8 as
 * it is (with the flag set, a same-run A/B of the proxy benchmark, which has none, showed a longer tail).
 */
let linearEngine = false;

/**
 * A whole-string regular expression run by V8's linear-time engine: matching costs time linear in the
 * input whatever the pattern, as RE2 guarantees Envoy (`safe_regex`). JavaScript's own engine
 * backtracks: a route on `([a-z0-9]+-?)+` stalled every listener of the process for 10 s on one
 * 32-character header. Throws (with why) for a pattern the linear engine cannot run: a back-reference,
 * a lookaround (neither is RE2 syntax) or a counted repetition too large for it (`a{1000}`).
 */
export function linearRegex(src: string): RegExp {
  if (!linearEngine) {
    setFlagsFromString("--enable-experimental-regexp-engine");
    linearEngine = true;
  }
  try {
    // eslint-disable-next-line no-invalid-regexp -- V8's `l` (linear) flag, enabled above (linearEngine)
    return new RegExp(`^(?:${src})$`, "l");
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    throw new Error(
      `the regular expression ${JSON.stringify(src)} cannot be matched in time linear in the request (${why}); the built-in proxy runs only such expressions on requests, as Envoy does with RE2: write large counted repetitions as + or *, and no back-references or lookarounds`,
      { cause: e },
    );
  }
}

/** What matchers read from a request. */
export interface RequestView {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string without `?` ("" when none). */
  query: string;
  headers: IncomingHttpHeaders;
}

/** A compiled predicate. */
export type Matcher = (req: RequestView) => boolean;

/** Compiles a string condition. */
export function compileString(m: StringMatch): (s: string | undefined) => boolean {
  if (m.exact !== undefined) {
    const x = m.exact;
    return (s) => s === x;
  }
  if (m.prefix !== undefined) {
    const x = m.prefix;
    return (s) => s !== undefined && s.startsWith(x);
  }
  const re = linearRegex(m.regex!);
  return (s) => s !== undefined && re.test(s);
}

/** Compiles a path condition: a string condition, or a segment prefix (whole segments, `src/api/segment-prefix.ts`). */
export function compilePath(m: PathMatch): (s: string | undefined) => boolean {
  if (m.segmentPrefix !== undefined) {
    const x = m.segmentPrefix;
    return (s) => s !== undefined && segmentPrefixMatches(x, s);
  }
  return compileString(m as StringMatch);
}

/** The value of a header as one string (several values joined with `,`), or undefined. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(",") : v;
}

function compileHeader(name: string, m: HeaderMatch): Matcher {
  if (m.present !== undefined) {
    const want = m.present;
    return (r) => (r.headers[name] !== undefined) === want;
  }
  const test = compileString(m as StringMatch);
  return (r) => test(headerValue(r.headers, name));
}

/** First value of a query parameter. */
export function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  const v = new URLSearchParams(query).get(name);
  return v === null ? undefined : v;
}

/** Compiles a route match; `undefined` matches every request. */
export function compileMatch(m: Match | undefined): Matcher {
  if (!m) return () => true;
  const tests: Matcher[] = [];
  if (m.method) {
    const method = m.method;
    tests.push((r) => r.method === method);
  }
  if (m.path) {
    const t = compilePath(m.path);
    tests.push((r) => t(r.path));
  }
  for (const [name, h] of Object.entries(m.headers ?? {})) tests.push(compileHeader(name.toLowerCase(), h));
  for (const [name, q] of Object.entries(m.queryParams ?? {})) {
    const t = compileString(q);
    tests.push((r) => t(queryParam(r.query, name)));
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (r) => tests.every((t) => t(r));
}
