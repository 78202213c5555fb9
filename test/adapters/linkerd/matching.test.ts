/**
 * The matching rules the Linkerd adapter relies on: exact conversions and the model of Linkerd's route
 * precedence (linkerd2-proxy `http/route`: path match length, then method, headers, query; first rule on
 * a tie).
 */
import { describe, expect, test } from "vitest";
import {
  type MatchSpec,
  CATCH_ALL,
  compareOutcomes,
  covers,
  fromModelMatch,
  isGatewayPathLiteral,
  mayOverlap,
  pathRegex,
  toHttpRouteMatch,
} from "../../../src/adapters/linkerd/matching.js";

const spec = (s: Partial<MatchSpec>): MatchSpec => ({ headers: [], query: [], ...s });

describe("linkerd path conversion", () => {
  test("string prefixes are never PathPrefix (segment-based in Linkerd): anchored regexes of the escaped prefix", () => {
    expect(toHttpRouteMatch(fromModelMatch({ path: { prefix: "/x/" } }, "").spec)).toEqual({ path: { type: "RegularExpression", value: "^/x/.*$" } });
    expect(toHttpRouteMatch(fromModelMatch({ path: { prefix: "/x" } }, "").spec)).toEqual({ path: { type: "RegularExpression", value: "^/x.*$" } });
    expect(toHttpRouteMatch(fromModelMatch({ path: { prefix: "/" } }, "").spec)).toBeUndefined();
    expect(pathRegex({ kind: "suffix", value: "/a.b" })).toBe("^.*/a\\.b$");
  });

  test("the regexes mean what the model means", () => {
    const re = (s: string) => new RegExp(s);
    expect(re(pathRegex({ kind: "prefix", value: "/x/" })).test("/x")).toBe(false);
    expect(re(pathRegex({ kind: "prefix", value: "/x/" })).test("/x/y")).toBe(true);
    expect(re(pathRegex({ kind: "prefix", value: "/x" })).test("/xy")).toBe(true);
    expect(re(pathRegex({ kind: "exact", value: "/a.b" })).test("/aXb")).toBe(false);
    expect(re(pathRegex({ kind: "regex", value: "/a|/ab" })).test("/ab")).toBe(true);
  });

  test("Gateway API Exact paths: only what its CEL rules accept", () => {
    expect(isGatewayPathLiteral("/robots.txt")).toBe(true);
    for (const bad of ["/a//b", "/a/./b", "/a%2Fb", "/a#b", "/a b", "/a/.."]) expect(isGatewayPathLiteral(bad), bad).toBe(false);
  });
});

describe("linkerd precedence model", () => {
  const exact = spec({ path: { kind: "exact", value: "/item" } });
  const prefix = spec({ path: { kind: "prefix", value: "/ratings/" } });
  const header = spec({ headers: [{ name: "end-user", cond: { kind: "exact", value: "jason" } }] });
  const get = spec({ method: "GET" });

  test("any path match beats no path match (it scores the request path's length, no path scores 1)", () => {
    expect(compareOutcomes(prefix, header)).toEqual(new Set(["x"]));
    expect(compareOutcomes(header, prefix)).toEqual(new Set(["y"]));
  });

  test("a path match that can match / ties with no path match there, then method/headers decide", () => {
    const root = spec({ path: { kind: "regex", value: "/.*" } });
    expect(compareOutcomes(root, get)).toEqual(new Set(["x", "y"]));
    expect(compareOutcomes(spec({ path: { kind: "exact", value: "/" } }), CATCH_ALL)).toEqual(new Set(["tie"]));
  });

  test("same path class: method, header and query counts, in both proxy orders", () => {
    expect(compareOutcomes(header, CATCH_ALL)).toEqual(new Set(["x"]));
    expect(compareOutcomes(get, header)).toEqual(new Set(["x", "y"]));
    expect(compareOutcomes(exact, spec({ path: { kind: "regex", value: "/i.*" } }))).toEqual(new Set(["tie"]));
  });

  test("overlap and coverage", () => {
    expect(mayOverlap(exact, prefix)).toBe(false);
    expect(mayOverlap(get, spec({ method: "POST" }))).toBe(false);
    expect(mayOverlap(header, spec({ headers: [{ name: "end-user", cond: { kind: "oneOf", values: ["bob", "ann"] } }] }))).toBe(false);
    expect(mayOverlap(spec({ path: { kind: "prefix", value: "/a/" } }), spec({ path: { kind: "regex", value: "/b/[0-9]+" } }))).toBe(true);
    expect(covers(CATCH_ALL, exact)).toBe(true);
    expect(covers(spec({ path: { kind: "prefix", value: "/r" } }), prefix)).toBe(true);
    expect(covers(prefix, CATCH_ALL)).toBe(false);
  });
});
