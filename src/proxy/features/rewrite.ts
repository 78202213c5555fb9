/** `rewrite`: the path (prefix replacement or full replacement; the query string is kept) and the authority. */
import type { Rewrite } from "../../api/generated/proxyConfig.js";
import { replaceSegmentPrefix, segmentPrefixMatches } from "../../api/segment-prefix.js";

/** The rewritten path (with query) of a request, or the original when nothing changes. */
export function rewritePath(path: string, query: string, r: Rewrite | undefined): string {
  const q = query ? `?${query}` : "";
  if (!r) return path + q;
  if (r.replaceFullPath !== undefined) return r.replaceFullPath + q;
  if (r.replacePrefixMatch !== undefined && r.segmentPrefix !== undefined && segmentPrefixMatches(r.segmentPrefix, path)) {
    return replaceSegmentPrefix(path, r.segmentPrefix, r.replacePrefixMatch) + q;
  }
  if (r.replacePrefixMatch !== undefined && r.prefix !== undefined && path.startsWith(r.prefix)) {
    let rest = path.slice(r.prefix.length);
    let head = r.replacePrefixMatch;
    // `/api/v1/` → `/` on `/api/v1/items` gives `/items`, not `//items`.
    if (head.endsWith("/") && rest.startsWith("/")) rest = rest.slice(1);
    if (!head.endsWith("/") && rest !== "" && !rest.startsWith("/") && r.prefix.endsWith("/")) head += "/";
    return head + rest + q;
  }
  return path + q;
}
