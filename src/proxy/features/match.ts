/**
 * `match`: compiled request matchers. All conditions of a match must hold; strings are compared
 * exactly, by prefix, or by a whole-string regular expression; header names are lower-case; a query
 * parameter is its first value.
 */
import type { HeaderMatch, Match, PathMatch, StringMatch } from "../../api/generated/proxyConfig.js";
import { segmentPrefixMatches } from "../../api/segment-prefix.js";
import type { IncomingHttpHeaders } from "node:http";
import { linearRegex } from "../../api/linear-regex.js";

export { linearRegex };

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
