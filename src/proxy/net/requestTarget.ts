/**
 * The request target and Host rules every listener holds a request to (HTTP/1.1 and HTTP/2 in ./listener.ts,
 * the hop protocol in ./hopServer.ts, the outbound exchange): a module of its own, importing nothing, so that
 * each of them can use it without an import cycle.
 */

/**
 * A Host value: the characters of an authority (RFC 3986 §3.2) that nghttp2 accepts in HTTP/2's
 * `:authority`, so that HTTP/1.1, HTTP/2 and hop-protocol (./hopServer.ts) callers are held to the same
 * rule; empty is allowed over HTTP/1.1 (RFC 9112 §3.2: a target without authority).
 */
export const HOST_VALUE = /^[A-Za-z0-9!$&'()*+,;=:@[\]_.~%-]*$/;

/**
 * The authority and the rest (path and query; `/` when there is no path) of an absolute-form request target
 * (`http://host:port/path?query`, RFC 9112 §3.2.2), or undefined for a target of another form. The
 * authority ends at the first `/` or `?` (RFC 3986 §3.2): `http://api?x=1` is `api` and `/?x=1`.
 */
export function absoluteForm(url: string): { authority: string; target: string } | undefined {
  const start = url.startsWith("http://") ? 7 : url.startsWith("https://") ? 8 : -1;
  if (start < 0) return undefined;
  let end = start;
  while (end < url.length && url.charCodeAt(end) !== 47 /* / */ && url.charCodeAt(end) !== 63 /* ? */) end++;
  const rest = url.slice(end);
  return { authority: url.slice(start, end), target: rest.charCodeAt(0) === 47 ? rest : `/${rest}` };
}
