/**
 * `redirect`: the Location of a redirect answer: the request's scheme, host, port and path with the
 * configured parts replaced; the query string is kept. A port that is the scheme's default is left out.
 */
import type { Redirect } from "../../api/generated/proxyConfig.js";

/** Builds the Location header. `authority` is the request's Host (`name[:port]`). */
export function redirectLocation(r: Redirect, req: { scheme: string; authority: string; path: string; query: string }): string {
  const scheme = r.scheme ?? req.scheme;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(req.authority);
  const host = r.authority ?? (m ? m[1] : req.authority);
  // A new scheme without a new port drops the old port (it belonged to the old scheme).
  const port = r.port ?? (r.scheme || r.authority ? undefined : m?.[2] ? Number(m[2]) : undefined);
  const defaultPort = scheme === "https" ? 443 : 80;
  const hostPort = port === undefined || port === defaultPort ? host : `${host}:${port}`;
  return `${scheme}://${hostPort}${r.path ?? req.path}${req.query ? `?${req.query}` : ""}`;
}
