/**
 * A string prefix at Istio's waypoints becomes the RE2 pattern `<re2Literal(prefix)>.*` over the whole path
 * (istiod's HTTPRoute conversion: RegularExpression → safe_regex, RE2, full match). Hostile prefixes: every
 * RE2 metacharacter must be literal, or a prefix like `/a.b` would also admit `/axb` (a widened route,
 * and at a waypoint the route decides which policies apply). JavaScript's RegExp reads these escapes as
 * RE2 does.
 */
import { describe, expect, test } from "vitest";
import { re2Literal } from "../../../src/adapters/shared/gamma/features/match.js";

const whole = (prefix: string) => new RegExp(`^(?:${re2Literal(prefix)}.*)$`, "s");

describe("re2Literal: string prefixes as RE2 literals", () => {
  const HOSTILE = ["/a.b", "/v1+", "/x*", "/q?", "/(g)", "/a|b", "/[ab]", "/{1}", "/^x", "/$", "/back\\slash", "/.*", "/%2e%2E/"];
  test.each(HOSTILE)("%s matches itself and longer paths, nothing that only a metacharacter reading would", (p) => {
    const r = whole(p);
    expect(r.test(p)).toBe(true);
    expect(r.test(`${p}/rest`)).toBe(true);
    // Each metacharacter read as a pattern would admit another character in its place.
    const widened = p.replace(/[\\.+*?()|[\]{}^$]/, "Z");
    if (widened !== p) expect(r.test(widened)).toBe(false);
    expect(r.test(p.slice(0, -1))).toBe(false);
  });
  test("the escape leaves ordinary characters alone", () => {
    expect(re2Literal("/reviews/v1-x_y~z")).toBe("/reviews/v1-x_y~z");
    expect(re2Literal("/a.b")).toBe("/a\\.b");
  });
});
