/**
 * Segment-wise path prefixes: Gateway API's `PathPrefix` and `ReplacePrefixMatch`, case for case from
 * the table in kubernetes-sigs/gateway-api `apis/v1/httproute_types.go` (HTTPPathModifier
 * ReplacePrefixMatch) and the conformance test MeshHTTPRouteRewritePath.
 */
import { describe, expect, test } from "vitest";
import { replaceSegmentPrefix, segmentPrefixMatches, segmentPrefixRegex, segmentPrefixRewriteRegex } from "../../src/api/segment-prefix.js";

/** Request path, prefix match, replacement, modified path (`<empty string>` written as `/`: the model needs a leading `/`). */
const TABLE: [string, string, string, string][] = [
  ["/foo/bar", "/foo", "/xyz", "/xyz/bar"],
  ["/foo/bar", "/foo", "/xyz/", "/xyz/bar"],
  ["/foo/bar", "/foo/", "/xyz", "/xyz/bar"],
  ["/foo/bar", "/foo/", "/xyz/", "/xyz/bar"],
  ["/foo", "/foo", "/xyz", "/xyz"],
  ["/foo/", "/foo", "/xyz", "/xyz/"],
  ["/foo/bar", "/foo", "/", "/bar"],
  ["/foo/", "/foo", "/", "/"],
  ["/foo", "/foo", "/", "/"],
  // MeshHTTPRouteRewritePath.
  ["/prefix/one/two", "/prefix/one", "/one", "/one/two"],
  ["/strip-prefix/three", "/strip-prefix", "/", "/three"],
  ["/strip-prefix", "/strip-prefix", "/", "/"],
  ["/prefix/rewrite-path-and-modify-headers/one", "/prefix/rewrite-path-and-modify-headers", "/prefix", "/prefix/one"],
];

/** Runs an RE2-style `\1` rewrite the way Envoy's regex_rewrite does (whole path, first match). */
function envoyRewrite(path: string, r: { match: string; rewrite: string }): string {
  const m = new RegExp(r.match).exec(path);
  return m ? r.rewrite.replace(/\\1/g, m[1] ?? "") : path;
}

describe("segment prefixes", () => {
  test.each(TABLE)("%s with prefix %s replaced by %s is %s", (path, prefix, replacement, want) => {
    expect(segmentPrefixMatches(prefix, path)).toBe(true);
    expect(replaceSegmentPrefix(path, prefix, replacement)).toBe(want);
    // Istio's translation (uriRegexRewrite) does the same.
    expect(envoyRewrite(path, segmentPrefixRewriteRegex(prefix, replacement))).toBe(want);
  });

  test.each([
    ["/abc", "/abc", true],
    ["/abc", "/abc/", true],
    ["/abc", "/abc/def", true],
    ["/abc", "/abcd", false],
    ["/abc/", "/abc", true],
    ["/abc/", "/abcd", false],
    ["/", "/anything", true],
    ["/v2", "/v", false],
    ["/a.b", "/aXb", false],
  ] as const)("prefix %s matches %s: %s (and so does its regex)", (prefix, path, want) => {
    expect(segmentPrefixMatches(prefix, path)).toBe(want);
    const re = segmentPrefixRegex(prefix);
    expect(re === undefined ? true : new RegExp(`^(?:${re})$`).test(path)).toBe(want);
  });
});

describe("segment prefixes read back (importers)", () => {
  test.each(["/v2", "/a.b/c+d", "/x"])("%s round-trips through its regex and its rewrites", async (prefix) => {
    const { segmentPrefixFromRegex, segmentPrefixReplacementFromRewrite } = await import("../../src/api/segment-prefix.js");
    expect(segmentPrefixFromRegex(segmentPrefixRegex(prefix)!)).toBe(prefix);
    for (const r of ["/", "/one", "/a/b"]) expect(segmentPrefixReplacementFromRewrite(prefix, segmentPrefixRewriteRegex(prefix, r))).toBe(r);
  });
  test.each(["/v2(/.*)", "/v2.*", "(/v2)(/.*)?", "v2(/.*)?", "/v[0-9](/.*)?"])("%s is no segment prefix", async (re) => {
    const { segmentPrefixFromRegex } = await import("../../src/api/segment-prefix.js");
    expect(segmentPrefixFromRegex(re)).toBeUndefined();
  });
});
