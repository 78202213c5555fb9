/**
 * Feature `redirect` → `HTTPRoute.rules[].filters[]` `RequestRedirect` {scheme, hostname, port,
 * path.ReplaceFullPath, statusCode} (Gateway API `HTTPRequestRedirectFilter`, core support; a redirect
 * rule has no backendRefs, a CEL rule of the CRD).
 *
 * - `statusCode`: the model's default is 301 (Gateway API's is 302, so it is always written); 303, 307
 *   and 308 are in the CRD from 1.5.
 * - `authority` → `hostname` (a DNS name: the CRD pattern); `port`, `scheme` as they are.
 * - `path` → `path: {type: ReplaceFullPath}`.
 * GRPCRoute has no redirect filter (error).
 */
import type { EffectiveRoute } from "../../../../api/model.js";
import type { Redirect } from "../../../../api/generated/model.js";
import { type FeatureModule, full, partial } from "../../../../api/feature-module.js";
import { hasField } from "../versions.js";
import type { GatewayContext } from "../context.js";
import type { RequestRedirect, RouteFilter } from "../resources.js";

/** Gateway API `PreciseHostname` (no wildcard, no port, lower case). */
export const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The `RequestRedirect` filter of a redirect route, or undefined (reported). */
export function redirectFilter(gc: GatewayContext, r: EffectiveRoute, redirect: Redirect, pointer: string, grpc: boolean): RouteFilter | undefined {
  if (grpc) {
    gc.report(r.policy, pointer, {
      feature: "redirect",
      kind: "unsupported-feature",
      severity: "error",
      message: `a GRPCRoute cannot redirect (no RequestRedirect filter); the port is declared grpc`,
    });
    return undefined;
  }
  const status = redirect.statusCode ?? 301;
  if (status !== 301 && status !== 302 && !gc.has("HTTPRequestRedirectFilter.statusCode 303/307/308")) {
    gc.report(r.policy, `${pointer}/statusCode`, {
      feature: "redirect",
      kind: "unsupported-value",
      what: "statusCode",
      severity: "error",
      message: `RequestRedirect statusCode ${status}: ${gc.needs("HTTPRequestRedirectFilter.statusCode 303/307/308")}; use 301 or 302`,
    });
    return undefined;
  }
  if (redirect.authority && !PRECISE_HOSTNAME.test(redirect.authority)) {
    gc.report(r.policy, `${pointer}/authority`, {
      feature: "redirect",
      kind: "unsupported-value",
      what: "authority",
      severity: "error",
      message: `the RequestRedirect hostname must be a lower-case DNS name (no port, no IP literal with ':'), not "${redirect.authority}"`,
    });
    return undefined;
  }
  const rr = {} as RequestRedirect;
  if (redirect.authority) rr.hostname = redirect.authority;
  if (redirect.path) rr.path = { replaceFullPath: redirect.path, type: "ReplaceFullPath" };
  if (redirect.port) rr.port = redirect.port;
  if (redirect.scheme) rr.scheme = redirect.scheme;
  rr.statusCode = status;
  return { requestRedirect: rr, type: "RequestRedirect" };
}

/** `redirect`: the RequestRedirect filter. */
export const redirectFeature: FeatureModule = {
  features: ["redirect"],
  capabilities: (version) => ({
    redirect: hasField(version, "standard", "HTTPRequestRedirectFilter.statusCode 303/307/308")
      ? full("HTTPRoute.rules[].filters[] RequestRedirect")
      : partial("HTTPRoute.rules[].filters[] RequestRedirect", "status 301 or 302 only (303, 307, 308 from 1.5)"),
  }),
};
