/**
 * Feature `redirect` → `HTTPRoute.rules[].filters[]` `RequestRedirect` {scheme, hostname, port,
 * path.replaceFullPath, statusCode} (Gateway API `HTTPRequestRedirectFilter`; linkerd2-proxy
 * `http/route/src/http/filter/redirect.rs`). A redirect rule has no backendRefs (Gateway API CEL).
 *
 * - `statusCode`: the model's default is 301 (Gateway API's is 302, so it is always written). The
 *   CRDs Linkerd reads allow only 301 and 302: 303/307/308 are errors.
 * - `authority` → `hostname`; Linkerd keeps the request's port unless `port` is given (a scheme's
 *   default port is omitted from the Location).
 * - `path` → `ReplaceFullPath` (Linkerd drops the query string of the original request).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { Redirect } from "../../../api/generated/model.js";
import type { LinkerdContext } from "../context.js";
import type { RequestRedirect, RouteFilter } from "../resources.js";
import { isDnsSubdomain } from "../../../api/names.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { routeVia } from "./match.js";

/** What Linkerd can do of `redirect`, per version. */
export const redirectFeature: FeatureModule = {
  features: ["redirect"],
  capabilities: (version) => ({ redirect: partial(`${routeVia(version)} RequestRedirect filter`, "Status 301 or 302 only.") }),
};

export function redirectFilter(lc: LinkerdContext, r: EffectiveRoute, redirect: Redirect, pointer: string): RouteFilter | undefined {
  const status = redirect.statusCode ?? 301;
  if (status !== 301 && status !== 302) {
    lc.report(r.policy, `${pointer}/statusCode`, {
      feature: "redirect",
      kind: "unsupported-value",
      what: "statusCode",
      severity: "error",
      message: `the HTTPRoute RequestRedirect filter Linkerd ${lc.version} reads allows only status 301 or 302 (Gateway API ${lc.facts.legacy ? "policy.linkerd.io v1beta3" : "1.1"}), not ${status}; use 301 or 302`,
    });
    return undefined;
  }
  if (redirect.authority && !isDnsSubdomain(redirect.authority)) {
    lc.report(r.policy, `${pointer}/authority`, {
      feature: "redirect",
      kind: "unsupported-value",
      what: "authority",
      severity: "error",
      message: `the RequestRedirect hostname must be a lower-case DNS name (no port, no IP literal with ':'), not "${redirect.authority}"`,
    });
    return undefined;
  }
  // Keys in sorted order, as translate() writes them: it then keeps the objects as they are.
  const rr = {} as RequestRedirect;
  if (redirect.authority) rr.hostname = redirect.authority;
  if (redirect.path) rr.path = { replaceFullPath: redirect.path, type: "ReplaceFullPath" };
  if (redirect.port) rr.port = redirect.port;
  if (redirect.scheme) rr.scheme = redirect.scheme;
  rr.statusCode = status;
  return { requestRedirect: rr, type: "RequestRedirect" };
}
