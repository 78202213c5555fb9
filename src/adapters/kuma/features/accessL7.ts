/**
 * Feature `accessL7` (access rules on methods, paths, headers, ports): MeshTrafficPermission matches the
 * caller's identity only (`rules[].default.{allow,deny}[]` {spiffeID, sni}; kuma v2.14.3
 * `api/common/v1alpha1` `Match`), so each such condition is an error: translated without it, an allow rule
 * would admit every request of its callers and a deny rule deny all of them.
 */
import type { AccessPolicy, AccessRule } from "../../../api/generated/model.js";
import type { Entry } from "../../../api/model.js";
import type { KumaContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const accessL7: FeatureModule = refusedFeature(
  "accessL7",
  "MeshTrafficPermission matches caller identities (SPIFFE ID, SNI) only: no methods, paths, headers or ports.",
);

const L7 = ["methods", "paths", "headers", "ports"] as const;

/** False (each reported) when the rule at `pointer` has request conditions. */
export function accessConditionsOk(kc: KumaContext, e: Entry<AccessPolicy>, rule: AccessRule, pointer: string, action: "allow" | "deny"): boolean {
  let ok = true;
  for (const f of L7) {
    if (rule[f] === undefined) continue;
    ok = false;
    kc.report(e, `${pointer}/${f}`, {
      feature: "accessL7",
      kind: "unsupported-feature",
      what: f,
      severity: "error",
      message: `Kuma's MeshTrafficPermission matches the caller's identity only (SPIFFE ID or SNI), not ${f}; translated without it, this ${action} rule would ${action === "allow" ? "admit every request of its callers" : "deny every request of its callers"}. Allow or deny whole callers, or use --mesh istio`,
    });
  }
  return ok;
}
