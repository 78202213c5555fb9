/**
 * Feature `rewrite`: `Route.rewrite` → `HTTPRoute.rewrite` (istio/api `networking/v1alpha3/virtual_service.proto`
 * `HTTPRewrite`; pilot `applyHTTPRouteDestination`).
 *
 * - `path.replacePrefixMatch` → `rewrite.uri`: Envoy `prefix_rewrite` replaces the part of the path the
 *   route's `uri.prefix` matched (the model requires a prefix match for this). After a `segmentPrefix`
 *   match (a `uri.regex`) → `rewrite.uriRegexRewrite` replacing the matched segments and keeping the rest,
 *   as Gateway API's ReplacePrefixMatch (`src/api/segment-prefix.ts`).
 * - `path.replaceFullPath` → `rewrite.uriRegexRewrite` {match: `^.*$`, rewrite: <path>}: Envoy
 *   `regex_rewrite` replaces the whole path (query string kept) whatever the route matched. In the CRD of
 *   every supported release (1.22 and 1.30). Backslashes are doubled: in the substitution `\N` is a capture
 *   group.
 * - `authority` → `rewrite.authority` (Envoy `host_rewrite_literal`). Istio lets it win over a `host` /
 *   `:authority` set by `headers.request`, so both together are reported as a conflict.
 */
import { escapePointerToken } from "../../../api/diagnostics.js";
import type { EffectiveRoute } from "../../../api/model.js";
import { segmentPrefixRewriteRegex } from "../../../api/segment-prefix.js";
import type { HTTPRewrite, HTTPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `rewrite`, per version. */
export const rewriteFeature: FeatureModule = {
  features: ["rewrite"],
  capabilities: () => ({
    rewrite: full("VirtualService.http[].rewrite {uri, uriRegexRewrite, authority}"),
  }),
};

/** Whole-path pattern of `uriRegexRewrite` for `replaceFullPath`. */
export const FULL_PATH_PATTERN = "^.*$";

/** Fills `HTTPRoute.rewrite`. */
export function applyRewrite(r: EffectiveRoute, out: HTTPRoute, dc: DestinationContext): void {
  const rw = r.rewrite?.value;
  if (!rw) return;
  const rewrite: HTTPRewrite = {};
  const segmentPrefix = r.match?.value.path?.segmentPrefix;
  if (rw.path?.replacePrefixMatch !== undefined && segmentPrefix !== undefined)
    rewrite.uriRegexRewrite = segmentPrefixRewriteRegex(segmentPrefix, rw.path.replacePrefixMatch);
  else if (rw.path?.replacePrefixMatch !== undefined) rewrite.uri = rw.path.replacePrefixMatch;
  if (rw.path?.replaceFullPath !== undefined) rewrite.uriRegexRewrite = { match: FULL_PATH_PATTERN, rewrite: rw.path.replaceFullPath.replace(/\\/g, "\\\\") };
  if (rw.authority !== undefined) {
    rewrite.authority = rw.authority;
    const req = r.headers?.value.request;
    for (const op of ["set", "add"] as const) {
      for (const name of Object.keys(req?.[op] ?? {})) {
        if (/^(host|:authority)$/i.test(name)) {
          dc.ic.report(r.policy, `${r.headers!.pointer}/request/${op}/${escapePointerToken(name)}`, {
            feature: "rewrite",
            kind: "conflict",
            severity: "error",
            message: `headers.request.${op} changes "${name}" while rewrite.authority is set; Istio applies only rewrite.authority, so keep one of them`,
          });
        }
      }
    }
  }
  out.rewrite = rewrite;
}
