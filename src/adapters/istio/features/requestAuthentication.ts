/**
 * Feature `requestAuthentication` → `RequestAuthentication` (`security.istio.io/v1`, istio/api
 * `security/v1beta1/request_authentication.proto`), one per destination with RequestAuthentications,
 * named `<svc>-jwt`, scoped to the service's pods with `selector.matchLabels`, with one `jwtRules[]`
 * entry per issuer (`DestinationView.jwtIssuers`, sorted by issuer as Istio sorts them):
 * `issuer`, `audiences`, `jwksUri` or `jwks` (the JSON text as written), `fromHeaders` {name, prefix},
 * `fromParams`, `forwardOriginalToken: true` for `forwardToken: true` (false is Istio's default, left
 * out), `spaceDelimitedClaims` (Istio 1.28+; an error before). The model's semantics are Istio's own
 * (`pilot/pkg/security/authn/policy_applier.go`: every token present must be valid, a request without
 * one passes), so the mapping is one to one.
 *
 * The access rule conditions on the token (`requestPrincipals` and friends) are translated with the
 * other conditions of a rule (access.ts, accessL7.ts).
 *
 * Services that share pods: Istio applies every RequestAuthentication whose selector picks a pod to all
 * its requests, merging their issuers. A service sharing the destination's pods with OTHER issuers would
 * make tokens of those issuers valid for both (a principal the model's rules never granted: error). One
 * without any RequestAuthentication gets the destination's token checks: invalid tokens are refused
 * (only stricter: a warning), and valid ones give its requests on the shared pods a principal and claims,
 * which the model never gives them; when access rules that govern it look at the token (namespace- or
 * mesh-wide ones can: `requestPrincipals`, `claims` and their negations), that changes their decisions
 * in both directions (a namespace-wide allow for `requestPrincipals: ["*"]` would admit token holders it
 * denies in the model): an error.
 */
import type { KubeObject } from "../../../api/adapter.js";
import { type PodSharer, canonicalJson } from "../../../api/model.js";
import { objectMeta } from "../../../api/ownership.js";
import { requestAuthenticationName } from "../naming.js";
import { type IstioObject, type JwtRule, type RequestAuthenticationSpec, SECURITY_V1 } from "../resources.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full, partial } from "../../../api/feature-module.js";
import { FIELD_SINCE, hasField } from "../versions.js";

/** What Istio can do of `requestAuthentication`, per version. */
export const requestAuthenticationFeature: FeatureModule = {
  features: ["requestAuthentication"],
  capabilities: (version) => ({
    requestAuthentication: hasField(version, "RequestAuthentication.jwtRules[].spaceDelimitedClaims")
      ? full("RequestAuthentication.jwtRules[] + AuthorizationPolicy from.source.{requestPrincipals, notRequestPrincipals}, when request.auth.claims[]")
      : partial(
          "RequestAuthentication.jwtRules[] + AuthorizationPolicy from.source.{requestPrincipals, notRequestPrincipals}, when request.auth.claims[]",
          `spaceDelimitedClaims needs Istio ${FIELD_SINCE["RequestAuthentication.jwtRules[].spaceDelimitedClaims"]} (scope and permission are always space-delimited)`,
        ),
  }),
};

/** The destination's RequestAuthentication, or none. */
export function requestAuthentication(dc: DestinationContext): KubeObject[] {
  const v = dc.view;
  if (!v.requestAuthentications.length) return [];
  sharedPods(dc);
  let labels: Record<string, string> | undefined;
  for (const p of v.requestAuthentications) labels = workloadLabels(dc, p, "/spec/destination", "requestAuthentication", "RequestAuthentication");
  if (!labels) return [];
  const spaceDelimited = dc.ic.has("RequestAuthentication.jwtRules[].spaceDelimitedClaims");
  const jwtRules = v.jwtIssuers.map(({ policy, pointer, issuer: i }): JwtRule => {
    if (i.spaceDelimitedClaims && !spaceDelimited) {
      dc.ic.report(policy, `${pointer}/spaceDelimitedClaims`, {
        feature: "requestAuthentication",
        kind: "unsupported-feature",
        what: "spaceDelimitedClaims",
        severity: "error",
        message: `spaceDelimitedClaims: Istio ${dc.ic.version} has no RequestAuthentication.jwtRules[].spaceDelimitedClaims (added in Istio 1.28), so claims such as ${i.spaceDelimitedClaims.join(", ")} would be matched as whole strings and rules on their single values would never match; use --mesh istio@1.28 or later, or claims that hold lists`,
      });
    }
    return {
      issuer: i.issuer,
      ...(i.audiences ? { audiences: [...i.audiences] } : {}),
      ...(i.jwksUri !== undefined ? { jwksUri: i.jwksUri } : {}),
      ...(i.jwks !== undefined ? { jwks: i.jwks } : {}),
      ...(i.fromHeaders ? { fromHeaders: i.fromHeaders.map((h) => ({ name: h.name, ...(h.prefix !== undefined ? { prefix: h.prefix } : {}) })) } : {}),
      ...(i.fromParams ? { fromParams: [...i.fromParams] } : {}),
      ...(i.forwardToken ? { forwardOriginalToken: true } : {}),
      ...(i.spaceDelimitedClaims && spaceDelimited ? { spaceDelimitedClaims: [...i.spaceDelimitedClaims] } : {}),
    };
  });
  const ra: IstioObject<RequestAuthenticationSpec> = {
    apiVersion: SECURITY_V1,
    kind: "RequestAuthentication",
    metadata: objectMeta(requestAuthenticationName(v.service), v.namespace, v.requestAuthentications),
    spec: { selector: { matchLabels: labels }, jwtRules },
  };
  return [ra];
}

/** Services sharing the destination's pods: their token checks merge on those pods (see the module doc). */
function sharedPods(dc: DestinationContext): void {
  const v = dc.view;
  const mine = canonicalJson(v.jwtIssuers.map((x) => x.issuer));
  const me = `${v.namespace}/${v.service}`;
  for (const o of dc.ic.model.podSharers(v.namespace, v.service)) {
    const other = `${v.namespace}/${o.facts.name}`;
    const theirs = o.view?.jwtIssuers ?? [];
    if (!theirs.length) {
      const onToken = tokenRulesGoverning(dc, o);
      if (onToken.length) {
        dc.ic.report(v.requestAuthentications[0], "/spec/destination", {
          feature: "requestAuthentication",
          kind: "unsupported-value",
          what: "destination",
          severity: "error",
          message: `${other} selects some of the same pods and has no RequestAuthentication: Istio applies this one to every request those pods receive, so requests sent to ${other} with a token valid for ${me} get a principal and claims there, which the model never gives them, and the access rules that govern ${other} look at them (${onToken.join(", ")}): they would admit or refuse such requests otherwise than the model says; give ${other} a RequestAuthentication with the same issuers, or selectors that cannot pick the same pods`,
        });
        continue;
      }
      dc.ic.report(v.requestAuthentications[0], "/spec/destination", {
        feature: "requestAuthentication",
        kind: "conflict",
        what: "destination",
        severity: "warning",
        message: `${other} selects some of the same pods and has no RequestAuthentication: Istio applies this one to every request those pods receive, so requests sent to ${other} with a token that is not valid for ${me} are refused (401) too; give ${other} a RequestAuthentication with the same issuers (exact), or selectors that cannot pick the same pods`,
      });
    } else if (canonicalJson(theirs.map((x) => x.issuer)) !== mine) {
      dc.ic.report(v.requestAuthentications[0], "/spec/destination", {
        feature: "requestAuthentication",
        kind: "unsupported-value",
        what: "destination",
        severity: "error",
        message: `${other} selects some of the same pods with other token issuers or settings: Istio merges every RequestAuthentication of a pod, so tokens ${other} accepts would give requests to ${me} a principal (and claims) its policies never accepted; give both services the same issuers, or selectors that cannot pick the same pods`,
      });
    }
  }
}

/**
 * The access rules that govern requests sent to service `o` (its own AccessPolicies with the namespace-
 * and mesh-wide ones, or those alone) and look at the end-user token, as `<policy id> <pointer>`.
 */
function tokenRulesGoverning(dc: DestinationContext, o: PodSharer): string[] {
  const scoped = dc.ic.model.scopedAccess(dc.view.namespace);
  const rules = o.view?.accessPolicies.length ? [...o.view.allow, ...o.view.deny] : scoped ? [...scoped.allow, ...scoped.deny] : [];
  return rules
    .filter((r) => r.rule.requestPrincipals || r.rule.notRequestPrincipals || r.rule.claims || r.rule.notClaims)
    .map((r) => `${r.policy.id} ${r.pointer}`);
}
