/**
 * Feature `match`: a route's request conditions → one `HTTPMatchRequest`
 * (`VirtualService.http[].match[]`, istio/api `networking/v1alpha3/virtual_service.proto`).
 *
 * - `path` exact/prefix/regex → `uri.exact` / `uri.prefix` / `uri.regex` (Envoy `path` / `prefix` /
 *   `safe_regex`: plain string prefix, RE2 whole-path match, as the model defines them); `segmentPrefix`
 *   `/v2` → `uri.regex` `/v2(/.*)?` (the path itself or below it; Istio has no segment prefix), `/` →
 *   `uri.prefix` `/`.
 * - `method` → `method.exact`.
 * - `headers` exact/prefix/regex → `headers.<name>`; `present: true` → `headers.<name>: {}` (an empty
 *   StringMatch is Envoy `present_match`); `present: false` → `withoutHeaders.<name>: {}` (inverted
 *   present match: header absent). Names are lower-cased: HTTP header names are case-insensitive and
 *   Istio documents match keys as lower case.
 * - `queryParams` → `queryParams.<name>` (exact/prefix/regex).
 * - `EffectiveRoute.port` (the policy's destination port) → `port`: Istio skips the match entry on any
 *   other listener port.
 *
 * Several entries (source-scoped routes, see trafficSource.ts) are ORed; fields inside one entry are ANDed.
 */
import { escapePointerToken } from "../../../api/diagnostics.js";
import type { EffectiveRoute } from "../../../api/model.js";
import { segmentPrefixRegex } from "../../../api/segment-prefix.js";
import type { HTTPMatchRequest, StringMatch } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `match`, per version. */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({
    match: full("VirtualService.http[].match[] {uri, method, headers, withoutHeaders, queryParams, port}"),
  }),
};

/** The route's own conditions (plus its port) as one match entry; `{}` when it matches every request. */
export function translateMatch(r: EffectiveRoute, dc: DestinationContext): HTTPMatchRequest {
  const out: HTTPMatchRequest = {};
  const m = r.match?.value;
  if (m?.path?.segmentPrefix !== undefined) out.uri = segmentPrefixMatch(m.path.segmentPrefix);
  else if (m?.path) out.uri = stringMatch(m.path);
  if (m?.method) out.method = { exact: m.method };
  for (const [name, hm] of Object.entries(m?.headers ?? {})) {
    const key = name.toLowerCase();
    if (out.headers?.[key] || out.withoutHeaders?.[key]) {
      dc.ic.report(r.policy, `${r.match!.pointer}/headers/${escapePointerToken(name)}`, {
        feature: "match",
        kind: "conflict",
        severity: "error",
        message: `header "${name}" is matched twice (header names are case-insensitive, so Istio would keep only one condition); merge the conditions`,
      });
      continue;
    }
    if (hm.present === false) (out.withoutHeaders ??= {})[key] = {};
    else if (hm.present === true) (out.headers ??= {})[key] = {};
    else (out.headers ??= {})[key] = stringMatch(hm);
  }
  for (const [name, sm] of Object.entries(m?.queryParams ?? {})) (out.queryParams ??= {})[name] = stringMatch(sm);
  if (r.port) out.port = r.port;
  return out;
}

/** A segment prefix as a whole-path `uri.regex` (`prefix: /` for every path). */
function segmentPrefixMatch(prefix: string): StringMatch {
  const re = segmentPrefixRegex(prefix);
  return re === undefined ? { prefix: "/" } : { regex: re };
}

function stringMatch(s: { exact?: string; prefix?: string; regex?: string }): StringMatch {
  if (s.exact !== undefined) return { exact: s.exact };
  if (s.prefix !== undefined) return { prefix: s.prefix };
  return { regex: s.regex! };
}
