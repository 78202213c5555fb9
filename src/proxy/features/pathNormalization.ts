/**
 * Path normalization: the one form of a request path that every matcher (routes, access rules, rate
 * limits, rewrites, redirects) and the upstream app see. It follows Envoy's `normalize_path` (RFC 3986
 * normalization as Istio's default `meshConfig.pathNormalization: BASE` turns it on) and makes the
 * choices Envoy leaves open the safe way:
 *
 * 1. the path must be origin-form (start with `/`); `*` (`OPTIONS *`) and anything else is refused;
 * 2. `\` becomes `/` (as browsers and many servers read it);
 * 3. percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`, RFC 3986 §2.3) are decoded and the
 *    hex digits of the other escapes are upper-cased (§6.2.2.1-2), so `/%61dmin` is `/admin`;
 * 4. dot segments are removed (§5.2.4), `%2e` spellings included: `/a/./b/../c` is `/a/c`, and `..` never
 *    climbs above `/`;
 * 5. runs of slashes are merged (Envoy `merge_slashes`, Istio `MERGE_SLASHES`): `//admin` is `/admin`.
 *
 * Refused (HTTP 400, never forwarded): `%00` and any other encoded or raw control character, a `%`
 * not followed by two hex digits, an encoded slash or backslash (`%2F`, `%5C`, any case: Envoy's
 * `path_with_escaped_slashes_action: REJECT_REQUEST`; an app that decodes them would otherwise see
 * path segments no rule saw), a fragment (`#`), and bytes outside printable ASCII. The query string is
 * not touched.
 *
 * The result is idempotent (`normalizePath(normalizePath(p).path) === normalizePath(p).path`), so the
 * two proxy hops of a call agree.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto (normalize_path, merge_slashes, path_with_escaped_slashes_action)
 * @see istio/api mesh/v1alpha1/config.proto `ProxyPathNormalization`
 */

/** The normalized path, or why the path is refused. */
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function unreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** True when a path may need work: anything but plain segments of printable ASCII without `%`, `\`, `#`. */
const SUSPECT = /[^\x21-\x7e]|[%\\#]|\/\.|\/\//;

/**
 * Normalizes a request path (without the query string).
 * @param raw the path as received (`req.url` up to `?`, or HTTP/2 `:path` up to `?`).
 * @returns the normalized path, or the reason it is refused (the caller answers 400).
 */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.charCodeAt(0) !== 47 /* / */)
    return { ok: false, reason: raw === "*" ? "the asterisk-form request target (OPTIONS *) is not forwarded" : "the request path must start with /" };
  if (!SUSPECT.test(raw)) return { ok: true, path: raw };
  // Steps 2 and 3: one pass over the characters.
  let s = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 92 /* \ */) {
      s += "/";
      continue;
    }
    if (c === 35 /* # */) return { ok: false, reason: "a fragment (#) is not part of a request path" };
    if (c < 0x21 || c > 0x7e) return { ok: false, reason: "the request path has a control, space or non-ASCII character; percent-encode it" };
    if (c !== 37 /* % */) {
      s += raw[i];
      continue;
    }
    const h = i + 2 < raw.length ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const l = h >= 0 ? hexValue(raw.charCodeAt(i + 2)) : -1;
    if (l < 0) return { ok: false, reason: "a % in the request path is not followed by two hex digits" };
    const v = h * 16 + l;
    if (v < 0x20 || v === 0x7f) return { ok: false, reason: `the request path encodes a control character (%${HEX[h]}${HEX[l]})` };
    if (v === 0x2f || v === 0x5c)
      return { ok: false, reason: `the request path has an encoded ${v === 0x2f ? "slash (%2F)" : "backslash (%5C)"}, which the proxy does not forward` };
    s += unreserved(v) ? String.fromCharCode(v) : `%${HEX[h]}${HEX[l]}`;
    i += 2;
  }
  // Step 4: dot segments (RFC 3986 §5.2.4, on whole segments), then step 5: merged slashes.
  const segments = s.split("/");
  const out: string[] = [];
  for (let k = 1; k < segments.length; k++) {
    const seg = segments[k];
    const last = k === segments.length - 1;
    if (seg === ".") {
      if (last) out.push("");
      continue;
    }
    if (seg === "..") {
      out.pop();
      if (last) out.push("");
      continue;
    }
    out.push(seg);
  }
  let path = "/" + out.join("/");
  if (path.includes("//")) path = path.replace(/\/{2,}/g, "/");
  return { ok: true, path };
}
