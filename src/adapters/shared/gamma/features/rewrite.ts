/**
 * Feature `rewrite` → `HTTPRoute.rules[].filters[]` `URLRewrite` {hostname, path} (Gateway API
 * `HTTPURLRewriteFilter`, extended support).
 *
 * - `path.replaceFullPath` → `path: {type: ReplaceFullPath}`.
 * - `path.replacePrefixMatch` → `path: {type: ReplacePrefixMatch}` after a `segmentPrefix` match (the
 *   rule's only match is then a `PathPrefix`, as the CRD's CEL rule requires; the model's semantics are
 *   Gateway API's, `src/api/segment-prefix.ts`). After a string `prefix` the match itself is an error
 *   (match.ts), except where it is a RegularExpression (Istio's waypoints): an error here then (Istio's
 *   ambient translation writes such a route as a VirtualService before it gets here).
 * - `authority` → `hostname` (a DNS name).
 * GRPCRoute has no URLRewrite filter (error).
 */
import type { EffectiveRoute } from "../../../../api/model.js";
import { type FeatureModule, partial } from "../../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";
import type { RouteFilter, URLRewrite } from "../resources.js";
import { PRECISE_HOSTNAME } from "./redirect.js";

/** The `URLRewrite` filter of a route, or undefined (nothing to rewrite, or reported). */
export function rewriteFilter(gc: GatewayContext, r: EffectiveRoute, grpc: boolean): RouteFilter | undefined {
  const rw = r.rewrite;
  if (!rw) return undefined;
  if (grpc) {
    gc.report(r.policy, rw.pointer, {
      feature: "rewrite",
      kind: "unsupported-feature",
      severity: "error",
      message: `a GRPCRoute cannot rewrite requests (no URLRewrite filter); the port is declared grpc`,
    });
    return undefined;
  }
  const out: URLRewrite = {};
  if (rw.value.authority !== undefined) {
    if (!PRECISE_HOSTNAME.test(rw.value.authority)) {
      gc.report(r.policy, `${rw.pointer}/authority`, {
        feature: "rewrite",
        kind: "unsupported-value",
        what: "authority",
        severity: "error",
        message: `the URLRewrite hostname must be a lower-case DNS name (no port), not "${rw.value.authority}"`,
      });
      return undefined;
    }
    out.hostname = rw.value.authority;
  }
  const p = rw.value.path;
  if (p?.replaceFullPath !== undefined) out.path = { replaceFullPath: p.replaceFullPath, type: "ReplaceFullPath" };
  else if (p?.replacePrefixMatch !== undefined) {
    if (r.match?.value.path?.segmentPrefix === undefined) {
      // A string prefix: the match is an error where RegularExpression is not read (match.ts); where it
      // is (Istio's waypoints) the match is a RegularExpression, after which no prefix can be replaced.
      if (gc.regexPaths)
        gc.report(r.policy, `${rw.pointer}/path/replacePrefixMatch`, {
          feature: "rewrite",
          kind: "unsupported-value",
          what: "prefix-after-regex",
          severity: "error",
          message: `an HTTPRoute replaces a prefix only after a PathPrefix match (URLRewrite ReplacePrefixMatch, a CEL rule of the CRD), and this route's string prefix is a RegularExpression match; write segmentPrefix, or replaceFullPath`,
        });
      return undefined;
    }
    out.path = { replacePrefixMatch: p.replacePrefixMatch, type: "ReplacePrefixMatch" };
  }
  return { type: "URLRewrite", urlRewrite: out };
}

/** `rewrite`: the URLRewrite filter. */
export const rewriteFeature: FeatureModule = {
  features: ["rewrite"],
  capabilities: () => ({
    rewrite: partial(
      "HTTPRoute.rules[].filters[] URLRewrite {hostname, path ReplaceFullPath | ReplacePrefixMatch}",
      "replacePrefixMatch after a segmentPrefix match; not on gRPC ports",
    ),
  }),
};
