/**
 * Feature `accessNegation` (the `not*` conditions of access rules and sources).
 *
 * Implemented: `notPorts` (every version): a rule is left off the Servers of the pod ports it excludes
 * (access.ts). Refused (every version): `notMethods`, `notPaths`, `notHeaders` (inbound HTTPRoute
 * matches cannot negate, and one route authorizes a request), `notServiceAccounts`, `notNamespaces`
 * (MeshTLSAuthentication identities are an allow-list), `notIpBlocks` (NetworkAuthentication `except`
 * would have to be combined with every identity rule; not translated).
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { LinkerdContext } from "../context.js";

/** What Linkerd can do of `accessNegation`, per version. */
export const accessNegationFeature: FeatureModule = {
  features: ["accessNegation"],
  capabilities: () => ({
    accessNegation: partial(
      "Server per pod port (notPorts)",
      "notPorts only (the rule is left off the excluded pod ports' Servers); no notServiceAccounts, notNamespaces, notIpBlocks (authentications are allow-lists), no notMethods, notPaths, notHeaders (route matches cannot negate).",
    ),
  }),
};

/**
 * Reports the negative conditions of a rule Linkerd cannot express, and returns how many there are: its
 * inbound HTTPRoute matches (Gateway API HTTPRouteMatch) cannot negate a method, path or header, and its
 * authentications only list who is admitted (MeshTLSAuthentication identities, NetworkAuthentication
 * networks). `notPorts` is expressed (a rule is not applied to the Servers of the pod ports it excludes).
 */
export function negations(lc: LinkerdContext, r: EffectiveAccessRule): number {
  let n = 0;
  const ver = `Linkerd ${lc.version}`;
  for (const key of ["notMethods", "notPaths", "notHeaders"] as const) {
    if (!r.rule[key]) continue;
    n++;
    lc.report(r.policy, `${r.pointer}/${key}`, {
      feature: "accessNegation",
      kind: "unsupported-value",
      what: key,
      severity: "error",
      message: `${key}: ${ver} matches requests to a Server with inbound HTTPRoutes, whose matches (method, path, headers) cannot be negated, and a request is authorized by the ONE most specific route it matches, so "everything but" cannot be written exactly; list what the rule allows or denies instead (methods, paths, headers), or use --mesh istio`,
    });
  }
  const s = r.source;
  if (s) {
    const ptr = (k: string) => `${s.pointer}/${k}`;
    if (s.notIdentities.length) {
      n++;
      lc.report(r.policy, ptr("notServiceAccounts"), {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "notServiceAccounts",
        severity: "error",
        message: `notServiceAccounts: ${ver} authenticates callers by allow-lists only (MeshTLSAuthentication identities, no exclusion), so it cannot admit "every caller but these"; list the service accounts to admit, or use --mesh istio`,
      });
    }
    if (s.notNamespaces.length) {
      n++;
      lc.report(r.policy, ptr("notNamespaces"), {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "notNamespaces",
        severity: "error",
        message: `notNamespaces: ${ver} authenticates callers by allow-lists only (MeshTLSAuthentication identities, no exclusion), so it cannot admit "every namespace but these"; list the namespaces to admit, or use --mesh istio`,
      });
    }
    if (s.notIpBlocks.length) {
      n++;
      lc.report(r.policy, ptr("notIpBlocks"), {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "notIpBlocks",
        severity: "error",
        message: `notIpBlocks: unimesh does not translate address exclusions for ${ver} (NetworkAuthentication networks with except would have to be combined with every identity rule); list the networks to admit in ipBlocks, or use --mesh istio`,
      });
    }
  }
  return n;
}
