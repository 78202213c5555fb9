/**
 * `match` → `Route.match`: path (exact/prefix/segmentPrefix/regex), method, headers (lower-case names), query
 * parameters. Regexes are whole-string matches; the proxy runs them as JavaScript regular expressions on
 * V8's linear-time engine (api/linear-regex.ts), so a pattern it cannot run (RE2-only syntax, a very large
 * counted repetition) is reported (`adapter/unsupported-value`), not left for the proxy to refuse at start.
 */
import type { Match } from "../resources.js";
import { lowerKeys } from "./common.js";
import type { RouteFeature } from "./types.js";
import { adapterCode } from "../../../api/diagnostics.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import { linearRegex } from "../../../api/linear-regex.js";

/** What the built-in proxy can do of `match` (format version 1). */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({ match: full("Route.match", "regexes run as JavaScript regular expressions in linear time (a pattern that cannot is reported)") }),
};

export const match: RouteFeature = (r, out, { ctx }) => {
  const m = r.match?.value;
  if (!m || (!m.path && !m.method && !m.headers && !m.queryParams)) return;
  const checkRegex = (re: string | undefined, ptr: string) => regexUnsupported(ctx, r.policy, "match", re, ptr);
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

/**
 * Reports (`adapter/unsupported-value`, error) a regex the built-in proxy cannot run: it matches request
 * data only with linear-time expressions (api/linear-regex.ts), as Envoy does with RE2.
 */
export function regexUnsupported(
  ctx: Parameters<RouteFeature>[2]["ctx"],
  policy: Parameters<Parameters<RouteFeature>[2]["ctx"]["report"]>[0],
  feature: "match" | "cors",
  re: string | undefined,
  ptr: string,
): void {
  if (re === undefined) return;
  try {
    linearRegex(re);
  } catch (e) {
    ctx.report(policy, ptr, {
      code: adapterCode("unsupported-value", feature, "regex"),
      severity: "error",
      feature,
      message: `${(e as Error).message}; write it in the common subset of RE2 and what V8's linear-time engine runs`,
    });
  }
}
