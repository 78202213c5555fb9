/**
 * What an access rule path matches (src/api/access-path.ts): one meaning for every adapter and the proxy.
 * `/a/*` must cover `/a` itself, or a deny for `/admin/*` is bypassed by `/admin`.
 */
import { describe, expect, test } from "vitest";
import { accessPathMatchers, accessPathMatches } from "../../src/api/access-path.js";

describe("access rule paths", () => {
  test.each([
    // [rule path, request path, matches]
    ["/admin/*", "/admin", true],
    ["/admin/*", "/admin/", true],
    ["/admin/*", "/admin/users/1", true],
    ["/admin/*", "/administrators", false],
    ["/admin/*", "/Admin", false],
    ["/admin/*", "/", false],
    ["/admin*", "/admin", true],
    ["/admin*", "/administrators", true],
    ["/admin*", "/admi", false],
    ["/*", "/", true],
    ["/*", "/x/y", true],
    ["*", "/anything", true],
    ["*/secret", "/a/secret", true],
    ["*/secret", "/a/secrets", false],
    ["/details", "/details", true],
    ["/details", "/details/", false],
  ])("%s on %s: %s", (rule, path, expected) => {
    expect(accessPathMatches(rule, path)).toBe(expected);
  });

  test("the elementary conditions adapters translate", () => {
    expect(accessPathMatchers("/a/*")).toEqual([
      { kind: "exact", value: "/a" },
      { kind: "prefix", value: "/a/" },
    ]);
    expect(accessPathMatchers("/*")).toEqual([{ kind: "prefix", value: "/" }]);
    expect(accessPathMatchers("/a*")).toEqual([{ kind: "prefix", value: "/a" }]);
    expect(accessPathMatchers("*/a")).toEqual([{ kind: "suffix", value: "/a" }]);
    expect(accessPathMatchers("*")).toEqual([{ kind: "any" }]);
    expect(accessPathMatchers("/a")).toEqual([{ kind: "exact", value: "/a" }]);
  });
});
