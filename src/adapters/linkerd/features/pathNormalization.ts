/**
 * Path normalization against linkerd2-proxy. The model's access rules see the normalized request path
 * (README: dot segments removed, unreserved %-escapes decoded, `\` read as `/`, `//` merged, `%2F`/`%5C`
 * refused) and the app receives that same path. linkerd2-proxy matches inbound HTTPRoute paths against
 * the path as sent and forwards it as sent (linkerd2-proxy `linkerd/http/route/src/http/match/path.rs`
 * `MatchPath::match_length` on `uri.path()`; no normalization anywhere in its HTTP stack), and Linkerd
 * has no setting for it. So `/x/../admin/x` or `/admin/./x` miss a route for `/admin/*` and take another
 * (a catch-all allow, or a broader allow rule), and `/reviews/../secret` matches a route for
 * `/reviews/*`; an app that normalizes paths itself then serves what the rules meant to refuse. One
 * warning per Server whose inbound routes match paths says so.
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import type { LinkerdContext } from "../context.js";
import { bypassExample } from "../../shared/path-spellings.js";

/** Warns, once per Server, that its path rules see the path as sent; `rules`: its rules with paths. */
export function notePathNormalization(lc: LinkerdContext, server: string, rules: readonly EffectiveAccessRule[]): void {
  for (const r of rules) {
    const ex = bypassExample(r.action, r.rule.paths!, { dots: true, slashes: true, encodedSlashes: true });
    if (!ex) continue;
    lc.report(r.policy, `${r.pointer}/paths`, {
      feature: "accessL7",
      kind: "note",
      what: "paths",
      severity: "warning",
      message: `linkerd2-proxy matches inbound HTTPRoute paths on the path as sent and forwards it as sent (no dot-segment removal, %-decoding, backslash or slash handling), while the model's rules see the normalized path: on Server ${server}, this ${r.action} rule ${r.action === "deny" ? "does not see" : "admits"} ${ex.sent.join(", ")}, which an app that ${ex.app} serves as ${ex.servedAs}. Path rules here hold only for apps that refuse such paths or leave them as they are`,
    });
    return;
  }
}
