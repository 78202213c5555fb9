/**
 * Path normalization (README: the model's access rules see the request path with dot segments removed,
 * unreserved %-escapes decoded, `\` read as `/`, `//` merged, and `%2F`/`%5C` refused) against what
 * Istio's sidecars do, which `meshConfig.pathNormalization.normalization` decides (istio/api
 * `mesh/v1alpha1/config.proto` `ProxyPathNormalization`; istio/istio
 * `pilot/pkg/networking/core/listener_builder.go` sets the HttpConnectionManager):
 *
 * - `BASE` (the default): Envoy `normalize_path` (dot segments, unreserved %-decoding, backslashes),
 *   `merge_slashes: false`, `path_with_escaped_slashes_action: KEEP_UNCHANGED`: `//` and `%2F`/`%5C` stay;
 * - `MERGE_SLASHES`: also merges slashes; `%2F`/`%5C` stay;
 * - `DECODE_AND_MERGE_SLASHES`: also decodes `%2F`/`%5C` before normalizing (UNESCAPE_AND_FORWARD):
 *   different from the model (which refuses them) but never looser — the rules see what the app gets;
 * - `NONE`: nothing.
 *
 * The adapter setting `pathNormalization` says which one the mesh runs (default `BASE`). A destination
 * whose access rules have paths gets one diagnostic per action saying which requests could get past
 * them on an app that itself merges slashes or decodes `%2F`: for BASE and MERGE_SLASHES a warning for
 * deny rules (`//admin/x` past a deny for `/admin/*`) and an info for allow rules (`/reviews/..%2Fsecret`
 * needs an app that decodes `%2F` and then resolves dot segments); an error for NONE (`/./admin/x`
 * would get past a deny for `/admin/*` with no help from the app).
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import { bypassExample } from "../../shared/path-spellings.js";
import type { DestinationContext } from "./types.js";

const reported = new WeakMap<DestinationContext, Set<string>>();

/**
 * Reports, once per destination and effect, what Istio's path normalization lets past the `paths` or
 * `notPaths` of `r`. A spelling that escapes the paths of a deny rule (or the notPaths of an allow rule)
 * is not refused; one that stays under the prefix of an allow rule's paths (or a deny rule's notPaths)
 * while the app resolves it elsewhere is not refused either.
 */
export function notePathNormalization(r: EffectiveAccessRule, dc: DestinationContext, key: "paths" | "notPaths" = "paths"): void {
  const mode = dc.ic.pathNormalization;
  const paths = r.rule[key];
  // The effect the listed paths have: refusing them ("deny") or admitting them ("allow").
  const effect = (key === "paths") === (r.action === "deny") ? "deny" : "allow";
  const done = reported.get(dc) ?? new Set<string>();
  if (!paths || mode === "DECODE_AND_MERGE_SLASHES" || done.has(effect)) return;
  const kept = { dots: mode === "NONE", slashes: mode !== "MERGE_SLASHES", encodedSlashes: true };
  const ex = bypassExample(effect, paths, kept);
  if (!ex) return;
  reported.set(dc, done.add(effect));
  const what = `the ${key} of this ${r.action} rule ${effect === "deny" ? "do not see" : "let through"} ${ex.sent.join(" or ")}, which an app that ${ex.app} serves as ${ex.servedAs}`;
  if (mode === "NONE") {
    dc.ic.report(r.policy, `${r.pointer}/${key}`, {
      feature: "accessL7",
      kind: "unsupported-value",
      what: "path-normalization",
      severity: "error",
      message: `with meshConfig.pathNormalization NONE, Istio matches access rule paths on the path as sent: ${what}; use BASE or DECODE_AND_MERGE_SLASHES (and --set pathNormalization=...)`,
    });
    return;
  }
  // Paths that refuse: an app that merges slashes is common (warning). Paths that admit: only an app
  // that decodes %2F and then resolves dot segments is at risk, which is rarer (info).
  dc.ic.report(r.policy, `${r.pointer}/${key}`, {
    feature: "accessL7",
    kind: "note",
    severity: effect === "deny" ? "warning" : "info",
    message: `Istio's path normalization (meshConfig.pathNormalization ${mode}) is the model's except that it keeps ${mode === "BASE" ? "`//` and " : ""}encoded slashes (%2F, %5C), which the model ${mode === "BASE" ? "merges or " : ""}refuses: ${what}; set meshConfig.pathNormalization.normalization: DECODE_AND_MERGE_SLASHES (and --set pathNormalization=DECODE_AND_MERGE_SLASHES), or make sure the app does not`,
  });
}
