/**
 * Feature `rewrite` → `MeshHTTPRoute` filter `URLRewrite` {path.replaceFullPath | replacePrefixMatch,
 * hostname}. `replacePrefixMatch` replaces what a `PathPrefix` match matched: exact after the model's
 * `segmentPrefix` (Kuma's PathPrefix, Gateway API semantics); after a string `prefix` (translated as a
 * regex, which ReplacePrefixMatch cannot follow) an error. A hostname must be a DNS name (no port): the CRD's pattern.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { DestinationContext } from "../context.js";
import type { HttpRouteFilter } from "../resources.js";
import { type FeatureModule, featureModule, partial } from "./types.js";

export const rewrite: FeatureModule = featureModule("rewrite", () =>
  partial(
    "MeshHTTPRoute filter URLRewrite {path.replaceFullPath, hostname}",
    "no replacePrefixMatch on the model's string prefixes (Kuma's PathPrefix is segment-wise); authority without a port",
  ),
);

const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The URLRewrite filter of a route, or none (problems reported). */
export function rewriteFilter(dc: DestinationContext, r: EffectiveRoute): HttpRouteFilter[] {
  const rw = r.rewrite;
  if (!rw) return [];
  const u: NonNullable<HttpRouteFilter["urlRewrite"]> = {};
  if (rw.value.path?.replaceFullPath !== undefined) u.path = { type: "ReplaceFullPath", replaceFullPath: rw.value.path.replaceFullPath };
  if (rw.value.path?.replacePrefixMatch !== undefined && r.match?.value.path?.segmentPrefix !== undefined) {
    // Kuma's ReplacePrefixMatch follows Gateway API's, as the model's does after a segmentPrefix.
    u.path = { type: "ReplacePrefixMatch", replacePrefixMatch: rw.value.path.replacePrefixMatch };
  } else if (rw.value.path?.replacePrefixMatch !== undefined) {
    dc.kc.report(r.policy, `${rw.pointer}/path/replacePrefixMatch`, {
      feature: "rewrite",
      kind: "unsupported-value",
      what: "replacePrefixMatch",
      severity: "error",
      message:
        "Kuma's URLRewrite ReplacePrefixMatch replaces what a segment-wise PathPrefix matched, and the model's prefix is a string prefix (translated as a regular expression), so the rewrite cannot be expressed; use replaceFullPath on an exact path",
    });
  }
  if (rw.value.authority !== undefined) {
    if (HOSTNAME.test(rw.value.authority)) u.hostname = rw.value.authority;
    else
      dc.kc.report(r.policy, `${rw.pointer}/authority`, {
        feature: "rewrite",
        kind: "unsupported-value",
        what: "authority",
        severity: "error",
        message: `Kuma's URLRewrite hostname must be a lower-case DNS name without a port (CRD pattern); "${rw.value.authority}" is not`,
      });
  }
  return Object.keys(u).length ? [{ type: "URLRewrite", urlRewrite: u }] : [];
}
