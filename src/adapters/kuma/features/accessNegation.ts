/**
 * Feature `accessNegation`: MeshTrafficPermission has no negative matches (no `not` of a SPIFFE ID, no
 * request conditions at all), so notServiceAccounts, notNamespaces, notIpBlocks and notMethods, notPaths,
 * notPorts, notHeaders are errors.
 */
import type { AccessPolicy, AccessRule } from "../../../api/generated/model.js";
import type { Entry, ResolvedSource } from "../../../api/model.js";
import type { KumaContext } from "../context.js";
import { type FeatureModule, refusedFeature } from "./types.js";

export const accessNegation: FeatureModule = refusedFeature("accessNegation", "MeshTrafficPermission has no negative matches.");

const NEGATIVE = ["notMethods", "notPaths", "notPorts", "notHeaders"] as const;

/** False (each reported) when the rule at `pointer` has negative request conditions. */
export function negationsOk(kc: KumaContext, e: Entry<AccessPolicy>, rule: AccessRule, pointer: string): boolean {
  let ok = true;
  for (const f of NEGATIVE) {
    if (rule[f] === undefined) continue;
    ok = false;
    kc.report(e, `${pointer}/${f}`, {
      feature: "accessNegation",
      kind: "unsupported-feature",
      what: f,
      severity: "error",
      message: `Kuma's MeshTrafficPermission has no ${f} (no request conditions at all); use --mesh istio`,
    });
  }
  return ok;
}

/** False (each reported) when a source excludes callers. */
export function sourceNegationsOk(kc: KumaContext, e: Entry<AccessPolicy>, src: ResolvedSource): boolean {
  let ok = true;
  const refuse = (field: string, why: string) => {
    ok = false;
    kc.report(e, `${src.pointer}/${field}`, { feature: "accessNegation", kind: "unsupported-feature", what: field, severity: "error", message: why });
  };
  if (src.notIdentities.length)
    refuse("notServiceAccounts", "Kuma's MeshTrafficPermission has no negative matches; list the allowed callers, or deny the excluded ones with a deny rule");
  if (src.notNamespaces.length)
    refuse("notNamespaces", "Kuma's MeshTrafficPermission has no negative matches; list the allowed namespaces, or deny the excluded ones with a deny rule");
  if (src.notIpBlocks.length) refuse("notIpBlocks", "Kuma's MeshTrafficPermission has no negative matches or IP addresses");
  return ok;
}
