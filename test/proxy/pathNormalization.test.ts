/**
 * Path normalization (`src/proxy/features/pathNormalization.ts`): the one form of the path that routes,
 * access rules and the app see — Envoy's `normalize_path` (RFC 3986) plus merged slashes, with encoded
 * slashes, `%00`, fragments and malformed escapes refused. The attacks through real sockets are next to
 * the features they would bypass (access.test.ts, match.test.ts).
 */
import { describe, expect, test } from "vitest";
import { normalizePath } from "../../src/proxy/features/pathNormalization.js";

describe("pathNormalization", () => {
  // From Envoy's test/common/http/path_utility_test.cc where Envoy's and unimesh's choices agree.
  test.each([
    ["/xyz", "/xyz"],
    ["/x/y/z", "/x/y/z"],
    ["/a/b/../c", "/a/c"],
    ["/a/b/./c", "/a/b/c"],
    ["/a/b/../../../../c", "/c"],
    ["/a/..\\c", "/c"],
    ["/a/b/%2E%2E/c", "/a/c"],
    ["/a/b/%2e%2e/c", "/a/c"],
    ["/a/b/%2E./c", "/a/c"],
    ["/a/b/%2E/c", "/a/b/c"],
    ["/../a/b", "/a/b"],
    ["/./a/b", "/a/b"],
    ["/A/B/C", "/A/B/C"],
    ["/%c0%af", "/%C0%AF"],
    ["/%25", "/%25"],
    // Merged slashes (Envoy merge_slashes), after dot segments as Envoy does.
    ["//a/b/c", "/a/b/c"],
    ["/a///b/c", "/a/b/c"],
    ["/a/b/c//", "/a/b/c/"],
    ["/a//../b", "/a/b"],
    // Trailing dot segments keep the directory form (RFC 3986 §5.2.4).
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/..", "/"],
    ["/", "/"],
    // Unreserved characters decoded, other escapes upper-cased.
    ["/%61%64%6D%69%6E", "/admin"],
    ["/%7e%2d%5f", "/~-_"],
    ["/a%3bb", "/a%3Bb"],
    ["/a%20b", "/a%20b"],
    ["/.well-known/x", "/.well-known/x"],
    ["/a/..b/c", "/a/..b/c"],
    ["/a/b..", "/a/b.."],
  ])("%s → %s", (raw, want) => {
    const r = normalizePath(raw);
    expect(r).toEqual({ ok: true, path: want });
    // Idempotent: the second proxy hop leaves it alone.
    expect(normalizePath(want)).toEqual({ ok: true, path: want });
  });

  test.each([
    ["/a/%2F/b", "encoded slash"],
    ["/a%2fb", "encoded slash"],
    ["/a%5Cb", "encoded backslash"],
    ["/a%5cb", "encoded backslash"],
    ["/xyz/.%00../abc", "control character"],
    ["/a%00", "control character"],
    ["/a%0a", "control character"],
    ["/a%7F", "control character"],
    ["/a%", "two hex digits"],
    ["/a%4", "two hex digits"],
    ["/a%zz", "two hex digits"],
    ["/xyz/AAAAA%%0000/abc", "two hex digits"],
    ["/a#b", "fragment"],
    ["/caf\u00e9", "non-ASCII"],
    ["/a b", "space"],
    ["*", "asterisk-form"],
    ["a/b", "must start with /"],
    ["", "must start with /"],
  ])("%s is refused (%s)", (raw, why) => {
    const r = normalizePath(raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toContain(why);
  });
});
