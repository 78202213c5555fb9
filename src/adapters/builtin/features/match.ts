/**
 * `match` → `Route.match`: path (exact/prefix/segmentPrefix/regex), method, headers (lower-case names), query
 * parameters. Regexes are whole-string matches; the proxy runs them as JavaScript regular expressions,
 * so an RE2 pattern JavaScript cannot compile is reported (`adapter/unsupported-value`).
 */
import type { Match } from "../resources.js";
import { lowerKeys } from "./common.js";
import type { RouteFeature } from "./types.js";
import { adapterCode } from "../../../api/diagnostics.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `match` (format version 1). */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({ match: full("Route.match", "regexes run as JavaScript regular expressions (an RE2-only pattern is reported)") }),
};

export const match: RouteFeature = (r, out, { ctx }) => {
  const m = r.match?.value;
  if (!m || (!m.path && !m.method && !m.headers && !m.queryParams)) return;
  const checkRegex = (re: string | undefined, ptr: string) => {
    if (re === undefined) return;
    try {
      new RegExp(`^(?:${re})$`);
    } catch (e) {
      ctx.report(r.policy, ptr, {
        code: adapterCode("unsupported-value", "match", "regex"),
        severity: "error",
        feature: "match",
        message: `the built-in proxy runs regexes as JavaScript regular expressions and cannot compile ${JSON.stringify(re)} (${(e as Error).message}); write it in the common subset of RE2 and JavaScript`,
      });
    }
  };
  const base = r.match!.pointer;
  checkRegex(m.path?.regex, `${base}/path/regex`);
  for (const [k, v] of Object.entries(m.headers ?? {})) checkRegex(v.regex, `${base}/headers/${k}/regex`);
  for (const [k, v] of Object.entries(m.queryParams ?? {})) checkRegex(v.regex, `${base}/queryParams/${k}/regex`);
  const res: Match = {
    ...(m.path ? { path: { ...m.path } } : {}),
    ...(m.method ? { method: m.method } : {}),
    ...(m.headers ? { headers: lowerKeys(m.headers) } : {}),
    ...(m.queryParams ? { queryParams: { ...m.queryParams } } : {}),
  };
  out.match = res;
};
