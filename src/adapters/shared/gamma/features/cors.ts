/**
 * Feature `cors` → `HTTPRoute.rules[].filters[]` `CORS` {allowOrigins, allowMethods, allowHeaders,
 * exposeHeaders, allowCredentials, maxAge} (Gateway API `HTTPCORSFilter`, GEP-1767: standard from 1.5,
 * experimental from 1.3; extended support).
 *
 * - `allowOrigins`: exact origins only (`scheme://host[:port]`, `*`, or a `*.` host wildcard, the CRD
 *   pattern); prefix and regex origins have no field (errors).
 * - `allowMethods`: the nine methods of the CRD enum or `*`. Gateway API always allows the CORS-safelisted
 *   methods (GET, HEAD, POST) as browsers do without a preflight, so listing fewer changes nothing a
 *   browser enforces.
 * - `maxAge` → whole seconds (Access-Control-Max-Age is an integer; below 1 s is an error, a fraction a
 *   warning). Omitted: Gateway API's default of 5 s applies.
 * GRPCRoute has no CORS filter (error).
 */
import type { EffectiveRoute } from "../../../../api/model.js";
import { parseDuration } from "../../../../api/duration.js";
import { type FeatureModule, none, partial } from "../../../../api/feature-module.js";
import { hasField, whereAvailable, FIELD_SINCE } from "../versions.js";
import type { GatewayContext } from "../context.js";
import type { CORSFilter, RouteFilter } from "../resources.js";
import { HTTP_TOKEN } from "./match.js";

const ORIGIN = /(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)/;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]);

/** The `CORS` filter of a route, or undefined (no cors, or reported). */
export function corsFilter(gc: GatewayContext, r: EffectiveRoute, grpc: boolean): RouteFilter | undefined {
  const c = r.cors;
  if (!c) return undefined;
  const err = (pointer: string, message: string, kind: "unsupported-feature" | "unsupported-value" = "unsupported-value", what?: string) => {
    gc.report(r.policy, pointer, { feature: "cors", kind, what, severity: "error", message });
    return undefined;
  };
  if (grpc) return err(c.pointer, `a GRPCRoute has no CORS filter; the port is declared grpc`, "unsupported-feature", "grpc");
  if (!gc.has("HTTPRouteFilter.cors"))
    return err(c.pointer, `the CORS filter (GEP-1767): ${gc.needs("HTTPRouteFilter.cors")}`, "unsupported-feature", "release");
  const v = c.value;
  const out: CORSFilter = {};
  let ok = true;
  if (v.allowCredentials !== undefined) out.allowCredentials = v.allowCredentials;
  if (v.allowHeaders) {
    const bad = v.allowHeaders.filter((h) => h !== "*" && !HTTP_TOKEN.test(h));
    if (bad.length) ok = !!err(`${c.pointer}/allowHeaders`, `CORS allowHeaders are header names (HTTP tokens) or *, not ${bad.join(", ")}`);
    out.allowHeaders = [...v.allowHeaders];
  }
  if (v.allowMethods) {
    const bad = v.allowMethods.filter((m) => !METHODS.has(m));
    if (bad.length) ok = !!err(`${c.pointer}/allowMethods`, `CORS allowMethods are ${[...METHODS].join(", ")}, not ${bad.join(", ")}`);
    out.allowMethods = [...v.allowMethods];
  }
  const origins: string[] = [];
  v.allowOrigins.forEach((o, i) => {
    if (o.exact !== undefined && ORIGIN.test(o.exact)) origins.push(o.exact);
    else
      ok = !!err(
        `${c.pointer}/allowOrigins/${i}`,
        o.exact !== undefined
          ? `a Gateway API CORS origin is scheme://host[:port] (a host may start with *.), or *, not "${o.exact}"`
          : `Gateway API CORS origins are exact (scheme://host[:port], *.example.com hosts, or *); ${o.prefix !== undefined ? "prefix" : "regex"} origins have no field`,
      );
  });
  out.allowOrigins = origins;
  if (v.exposeHeaders) {
    const bad = v.exposeHeaders.filter((h) => h !== "*" && !HTTP_TOKEN.test(h));
    if (bad.length) ok = !!err(`${c.pointer}/exposeHeaders`, `CORS exposeHeaders are header names (HTTP tokens) or *, not ${bad.join(", ")}`);
    out.exposeHeaders = [...v.exposeHeaders];
  }
  if (v.maxAge !== undefined) {
    const ms = parseDuration(v.maxAge) ?? 0;
    const seconds = Math.floor(ms / 1000);
    if (seconds < 1)
      ok = !!err(`${c.pointer}/maxAge`, `maxAge ${v.maxAge} is below one second; the CORS filter's maxAge (Access-Control-Max-Age) counts whole seconds`);
    else {
      if (seconds * 1000 !== ms)
        gc.report(r.policy, `${c.pointer}/maxAge`, {
          feature: "cors",
          kind: "unsupported-value",
          what: "maxAge",
          severity: "warning",
          message: `maxAge ${v.maxAge} is sent as ${seconds}s: the CORS filter's maxAge counts whole seconds`,
        });
      out.maxAge = seconds;
    }
  }
  return ok ? { cors: out, type: "CORS" } : undefined;
}

/** `cors`: the CORS filter. */
export const corsFeature: FeatureModule = {
  features: ["cors"],
  capabilities: (version) => ({
    cors: hasField(version, "standard", "HTTPRouteFilter.cors")
      ? partial("HTTPRoute.rules[].filters[] CORS", "exact origins only; maxAge in whole seconds; not on gRPC ports")
      : hasField(version, "experimental", "HTTPRouteFilter.cors")
        ? partial(
            "HTTPRoute.rules[].filters[] CORS",
            `experimental channel only (standard from ${FIELD_SINCE["HTTPRouteFilter.cors"].standard}); exact origins only`,
          )
        : none(`The CORS filter is in ${whereAvailable("HTTPRouteFilter.cors")}.`),
  }),
};
