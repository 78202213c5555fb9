/**
 * Feature `access` → `AuthorizationPolicy` (`security.istio.io/v1`, istio/api
 * `security/v1beta1/authorization_policy.proto`), scoped to the service's pods with
 * `selector.matchLabels`.
 *
 * Istio's evaluation (authorization_policy.proto, "CUSTOM, DENY, ALLOW"): CUSTOM policies first, then any
 * matching DENY policy denies; then, if the workload has NO ALLOW policy the request is allowed, otherwise
 * it is allowed only when an ALLOW policy matches. The model ("once a destination has an AccessPolicy,
 * what no allow rule allows is denied; deny wins") therefore becomes, per destination with AccessPolicies:
 *
 * - `<svc>-allow`, action ALLOW, ALWAYS emitted, with the allow rules of every AccessPolicy of the
 *   destination. With no allow rule it has NO `rules` at all: that is Istio's allow-nothing (deny
 *   everything). `rules: [{}]` would be allow-ALL ("an empty rule is always matched") and is only produced
 *   by an allow rule that really has no source and no condition.
 * - `<svc>-deny`, action DENY, with the deny rules, when there are any. DENY is evaluated before ALLOW,
 *   so deny wins, as in the model.
 *
 * A rule → `rules[]` entry:
 * - source (`EffectiveAccessRule.source`, the rule's own or the policy's): each positive list becomes its
 *   own `from[]` entry, because `from[]` entries are ORed while the fields of one `source` are ANDed:
 *   service accounts → `source.principals` `<trustDomain>/ns/<ns>/sa/<sa>` (model.trustDomain, no
 *   `spiffe://`), `*` → `principals: ["*"]` (any authenticated caller); namespaces → `source.namespaces`;
 *   ipBlocks → `source.ipBlocks` (the direct peer address). The negative lists go into EVERY entry
 *   (`(A or B) and not C` = `(A and not C) or (B and not C)`): notServiceAccounts → `notPrincipals`,
 *   notNamespaces → `notNamespaces`, notIpBlocks → `notIpBlocks`; a source with negative lists only is
 *   one entry with just those (Istio matches plaintext callers there too, as the model says). No source →
 *   no `from` (any caller, including callers without mTLS). A source that lists nobody can never match:
 *   the rule is left out (never widened to "any caller").
 * - end-user conditions (feature requestAuthentication): `requestPrincipals` / `notRequestPrincipals` are
 *   conditions of the rule, ANDed with its source, so they go into EVERY `from[]` entry
 *   (`source.requestPrincipals` / `notRequestPrincipals`, same syntax and matching as the model), or make
 *   the one `from` entry of a rule without source; `claims` / `notClaims` → `when` (accessL7.ts).
 * - methods/paths/ports/headers → `to` / `when` (accessL7.ts).
 *
 * Port-scoped policies (`spec.destination.port`): their rules are restricted to that port. If EVERY
 * AccessPolicy of the destination is port-scoped, the other pod ports are not governed by any policy in
 * the model, so the ALLOW policy gets one more rule `to: [{operation: {notPorts: [<governed pod ports>]}}]`
 * that keeps them open (Istio's ALLOW policy would otherwise deny every port of the workload).
 * Service ports that reach one pod port cannot be told apart by `operation.ports` (pod ports): rules that
 * would admit callers across them are errors (src/adapters/shared/shared-pod-ports.ts). Nor can Services
 * whose selectors pick the same pods (src/api/shared-pods.ts, `union`: Istio ORs the ALLOW policies of
 * a pod): different allow rules on a pod port both reach are an error, a service without AccessPolicy
 * there gets the other's rules (warning); the `notPorts` rule leaves out the pod ports such services
 * govern, so it never opens them.
 *
 * A pod-only port (MeshService `ports[].podOnly`) is its own pod port: rules for it get `operation.ports`
 * as written, exactly.
 *
 * AuthorizationPolicies from outside unimesh (e.g. a namespace-wide ALLOW) are ORed with these by Istio.
 */
import type { KubeObject } from "../../../api/adapter.js";
import {
  type DestinationView,
  type EffectiveAccessRule,
  type Identity,
  type ResolvedSource,
  onlyNegatives,
  policyScope,
  servicePort,
} from "../../../api/model.js";
import type { IstioContext } from "../context.js";

type AccessPolicyEntry = DestinationContext["view"]["accessPolicies"][number];
import { objectMeta } from "../../../api/ownership.js";
import { sharedPodPortRules } from "../../shared/shared-pod-ports.js";
import { sharedPodAccess } from "../../../api/shared-pods.js";
import { allowPolicyName, denyPolicyName, scopedPolicyName } from "../naming.js";
import { type AuthorizationPolicySpec, type AuthzRule, type AuthzSource, type IstioObject, SECURITY_V1 } from "../resources.js";
import { requestConditions } from "./accessL7.js";
import { declarePortsHint } from "./mtls.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `access`, per version. */
export const accessFeature: FeatureModule = {
  features: ["access"],
  capabilities: () => ({
    access: full("AuthorizationPolicy ALLOW (allow-nothing when no allow rule) + DENY: from.source {principals, namespaces, ipBlocks}"),
  }),
};

/** The ALLOW (always) and DENY (when there are deny rules) AuthorizationPolicies of a destination. */
export function authorizationPolicies(dc: DestinationContext): KubeObject[] {
  for (const f of sharedPodPortRules(dc.view, "Istio authorizes by pod port (AuthorizationPolicy operation.ports)")) {
    dc.ic.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pod-port",
      severity: f.severity,
      message: f.message,
    });
  }
  const how =
    "Istio authorizes at the pod: every AuthorizationPolicy whose selector picks a pod applies to all requests it receives (a request is allowed when any ALLOW policy allows it and no DENY policy denies it)";
  for (const f of sharedPodAccess(dc.ic.model, dc.view, how, "union")) {
    dc.ic.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pods",
      severity: f.severity,
      message: f.message,
    });
  }
  const v = dc.view;
  // The destination's own AccessPolicies; namespace- and mesh-wide ones are AuthorizationPolicies of
  // their own (scopedAuthorizationPolicies), which Istio applies to these pods too (ALLOW: union; DENY wins).
  const own = v.accessPolicies.filter((p) => policyScope(p) === "service");
  if (!own.length) return [];
  let labels: Record<string, string> | undefined;
  for (const p of own) labels = workloadLabels(dc, p, "/spec/destination", "access", "AuthorizationPolicy");
  if (!labels) return [];
  const ownAllow = v.allow.filter((r) => r.scope === "service");
  const ownDeny = v.deny.filter((r) => r.scope === "service");
  const allow = ownAllow.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
  const deny = ownDeny.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
  // Every own policy port-scoped, and no namespace- or mesh-wide one: the other ports are governed by
  // no policy in the model and must stay open (Istio's ALLOW policy would deny them). With a wider
  // policy they are governed by it (and its AuthorizationPolicy decides there): no open rule.
  if (own.length === v.accessPolicies.length && own.every((p) => p.doc.spec.destination!.port !== undefined)) {
    // The notPorts rule opens every pod port it does not list: it is built from declared pod ports only.
    const undeclared = own.filter((p) => !servicePort(v, p.doc.spec.destination!.port!).declared);
    for (const p of undeclared) {
      const port = p.doc.spec.destination!.port!;
      dc.ic.report(p, "/spec/destination/port", {
        feature: "access",
        kind: "unsupported-value",
        what: "port-scoped",
        severity: "error",
        message: `destination.port: every AccessPolicy of ${v.namespace}/${v.service} is port-scoped, so its other pod ports must stay open through an ALLOW rule that excludes the governed pod ports (AuthorizationPolicy rules[].to[].operation.notPorts), and the pod port of Service port ${port} is not known: guessing ${port} would open the real pod port (e.g. 8080 behind 80) to every caller; ${declarePortsHint(dc, port)}`,
      });
    }
    if (!undeclared.length) {
      // The pod ports this rule must not open: the governed ones, and on pods other services share, the
      // pod ports their AccessPolicies govern (Istio ORs ALLOW policies: this rule would open them there).
      const governed = new Set(own.map((p) => servicePort(v, p.doc.spec.destination!.port!).targetPort));
      const sharers = sharersGovernedPodPorts(dc);
      for (const tp of sharers.ports) governed.add(tp);
      for (const o of sharers.unknown) {
        dc.ic.report(own[0], "/spec/destination/port", {
          feature: "access",
          kind: "unsupported-value",
          what: "port-scoped",
          severity: "error",
          message: `every AccessPolicy of ${v.namespace}/${v.service} is port-scoped, so its other pod ports stay open through an ALLOW rule that excludes the governed pod ports (AuthorizationPolicy rules[].to[].operation.notPorts); ${v.namespace}/${o} selects some of the same pods and has an AccessPolicy for all its ports, which are not declared, so that rule would open them on the shared pods (Istio ORs the ALLOW policies of a pod); declare the ports of ${v.namespace}/${o} in a MeshService`,
        });
      }
      allow.push({ to: [{ operation: { notPorts: [...governed].sort((a, b) => a - b).map(String) } }] });
    }
  } else {
    for (const p of own) warnGuessedDestinationPort(dc, p);
  }
  const policy = (name: string, action: "ALLOW" | "DENY", rules: AuthzRule[], from: typeof v.accessPolicies): IstioObject<AuthorizationPolicySpec> => ({
    apiVersion: SECURITY_V1,
    kind: "AuthorizationPolicy",
    metadata: objectMeta(name, v.namespace, from),
    spec: { selector: { matchLabels: { ...labels } }, action, ...(rules.length ? { rules } : {}) },
  });
  const out: KubeObject[] = [policy(allowPolicyName(v.service), "ALLOW", allow, own)];
  if (deny.length) out.push(policy(denyPolicyName(v.service), "DENY", deny, [...new Set(ownDeny.map((r) => r.policy))]));
  return out;
}

/**
 * The pod ports the AccessPolicies of services sharing the destination's pods govern (Model.podSharers):
 * a sharer with a policy for every port governs every pod port it has (its Service ports' target
 * ports), a port-scoped one its port's; `unknown`: sharers with a policy for every port whose ports
 * are not known.
 */
function sharersGovernedPodPorts(dc: DestinationContext): { ports: number[]; unknown: string[] } {
  const model = dc.ic.model;
  const out = { ports: [] as number[], unknown: [] as string[] };
  for (const o of model.podSharers(dc.view.namespace, dc.view.service)) {
    const ov = o.view;
    if (!ov?.accessPolicies.length) continue;
    for (const p of ov.accessPolicies) {
      const port = p.doc.spec.destination?.port;
      if (port !== undefined) out.ports.push(servicePort(ov, port).targetPort);
      else if (!ov.ports.length) {
        if (!out.unknown.includes(o.facts.name)) out.unknown.push(o.facts.name);
      } else for (const x of ov.ports) out.ports.push(x.targetPort);
    }
  }
  return out;
}

/**
 * Namespace-wide AccessPolicies → `unimesh.namespace-allow` (ALLOW, always: without allow rules it is
 * Istio's allow-nothing) and `unimesh.namespace-deny` (DENY, when there are deny rules) in that
 * namespace, WITHOUT a selector: Istio applies them to every workload of the namespace
 * (authorization_policy.proto: "if not set, the policy will be applied to all workloads in the same
 * namespace"). Mesh-wide ones (`scope: mesh`) → `unimesh.mesh-allow` / `unimesh.mesh-deny` in Istio's
 * root namespace (`rootNamespace` setting, default istio-system), which Istio applies to every workload
 * of the mesh. The names contain a dot, which no Service name has, so they never meet `<svc>-allow`.
 * Istio evaluates them with the service-level ones exactly as the model combines scopes: any DENY
 * denies, and with any ALLOW policy a request needs one that matches. A namespace-wide policy in the
 * root namespace would apply to the whole mesh: an error (write `scope: mesh`).
 */
export function scopedAuthorizationPolicies(ic: IstioContext): KubeObject[] {
  const { namespaces, mesh } = ic.model.accessScopes();
  const out: KubeObject[] = [];
  const emit = (namespace: string, scope: "namespace" | "mesh", policies: readonly AccessPolicyEntry[]) => {
    const scoped = ic.model.scopedAccess(namespace)!;
    const rules = { allow: scoped.allow.filter((r) => r.scope === scope), deny: scoped.deny.filter((r) => r.scope === scope) };
    const dc = scopeContext(ic, namespace);
    const allow = rules.allow.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
    const deny = rules.deny.map((r) => translateRule(r, dc)).filter((r): r is AuthzRule => r !== undefined);
    const policy = (name: string, action: "ALLOW" | "DENY", rs: AuthzRule[], from: readonly AccessPolicyEntry[]): IstioObject<AuthorizationPolicySpec> => ({
      apiVersion: SECURITY_V1,
      kind: "AuthorizationPolicy",
      metadata: objectMeta(name, namespace, from),
      spec: { action, ...(rs.length ? { rules: rs } : {}) },
    });
    out.push(policy(scopedPolicyName(scope, "allow"), "ALLOW", allow, policies));
    if (deny.length) out.push(policy(scopedPolicyName(scope, "deny"), "DENY", deny, [...new Set(rules.deny.map((r) => r.policy))]));
  };
  for (const [namespace, policies] of [...namespaces].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (namespace === ic.rootNamespace) {
      for (const p of policies) {
        ic.report(p, "/spec", {
          feature: "scope",
          kind: "unsupported-value",
          what: "root-namespace",
          severity: "error",
          message: `${namespace} is Istio's root namespace, where an AuthorizationPolicy without selector applies to every workload of the mesh, not just of namespace ${namespace}; write scope: mesh for a mesh-wide policy, or put this one in another namespace`,
        });
      }
      continue;
    }
    emit(namespace, "namespace", policies);
  }
  if (mesh.length) emit(ic.rootNamespace, "mesh", mesh);
  return out;
}

/**
 * The context the rules of a namespace- or mesh-wide policy are translated in: no service, no ports
 * (rule/scope-ports keeps them out of such rules), nothing declared.
 */
function scopeContext(ic: IstioContext, namespace: string): DestinationContext {
  const view = {
    namespace,
    service: "*",
    facts: { name: "*", namespace, selector: {}, serviceAccount: "" },
    ports: [],
    portsDeclared: false,
  } as unknown as DestinationView;
  return { ic, view, drs: undefined as never };
}

/**
 * A port-scoped policy whose Service port has no declared pod port: its rules are restricted to a
 * guessed pod port (`operation.ports`). For allow rules a wrong guess only denies (warning); for deny
 * rules it leaves the real pod port un-denied, i.e. opens access (error).
 */
function warnGuessedDestinationPort(dc: DestinationContext, p: AccessPolicyEntry): void {
  const port = p.doc.spec.destination?.port;
  if (port === undefined || servicePort(dc.view, port).declared) return;
  const denies = (p.doc.spec.deny ?? []).length > 0;
  dc.ic.report(p, "/spec/destination/port", {
    feature: "access",
    kind: "unsupported-value",
    what: "guessed-pod-port",
    severity: denies ? "error" : "warning",
    message: `destination.port: Istio AuthorizationPolicy operation.ports are pod ports, and the pod port of Service port ${port} is not known, so unimesh would assume pod port ${port}; if the Service sends it elsewhere (e.g. 80 → 8080), ${denies ? "the deny rules would not cover the real pod port and its callers would get in" : "the allow rules would miss the real pod port and deny its callers"}; ${declarePortsHint(dc, port)}`,
  });
}

/** One access rule as an Istio rule; `undefined` when it can never match. */
export function translateRule(r: EffectiveAccessRule, dc: DestinationContext): AuthzRule | undefined {
  const rule: AuthzRule = {};
  const user: AuthzSource = {};
  if (r.rule.requestPrincipals) user.requestPrincipals = [...r.rule.requestPrincipals];
  if (r.rule.notRequestPrincipals) user.notRequestPrincipals = [...r.rule.notRequestPrincipals];
  const hasUser = Object.keys(user).length > 0;
  if (r.source) {
    const from = fromEntries(r.source, dc.ic.model.trustDomain, dc.ic.model.member !== undefined);
    if (!from.length) {
      dc.ic.report(r.policy, r.source.pointer, {
        feature: "access",
        kind: "unsupported-value",
        what: "empty-source",
        severity: "warning",
        message: "this source lists no caller, so the rule can never match and is left out; omit source for any caller",
      });
      return undefined;
    }
    // (A or B) and user = (A and user) or (B and user): the end-user conditions go into every entry.
    rule.from = hasUser ? from.map((e) => ({ source: { ...e.source, ...user } })) : from;
  } else if (hasUser) rule.from = [{ source: user }];
  const conditions = requestConditions(r, dc);
  if (!conditions) return undefined;
  return { ...rule, ...conditions };
}

/**
 * `from[]` entries of a source: one per non-empty positive list (ORed), each with the negative lists
 * (ANDed); one entry of negative lists alone when there is no positive list.
 *
 * In a member of a virtual mesh (`virtual`), every member's certificates chain to one root, and Istio's
 * `source.namespaces` / `notNamespaces` match the `ns` segment of a peer's SPIFFE ID in ANY trust domain:
 * a namespace of the local member would also admit (or exclude) that namespace of every other member.
 * So namespaces are written as principals of their trust domains, `<trustDomain>/ns/<ns>/sa/*` (Istio
 * principals take a suffix `*`), and service accounts as `<trustDomain>/ns/<ns>/sa/<sa>` in the trust
 * domain of each member `source.clusters` names (`ResolvedSource.clusters`; else the local member's).
 * Istio's `meshConfig.trustDomainAliases` must then not list other members' trust domains: Istio would
 * read every local principal as also naming the alias's identities.
 */
export function fromEntries(src: ResolvedSource, trustDomain: string, virtual = false): { source: AuthzSource }[] {
  const out: { source: AuthzSource }[] = [];
  const domains = src.clusters ? src.clusters.map((m) => m.trustDomain) : [trustDomain];
  const principals = [
    ...new Set(domains.flatMap((td) => [...principalsOf(src.identities, td), ...(virtual ? src.namespaces.map((ns) => `${td}/ns/${ns}/sa/*`) : [])])),
  ];
  if (principals.length) out.push({ source: { principals } });
  if (src.namespaces.length && !virtual) out.push({ source: { namespaces: [...src.namespaces] } });
  if (src.ipBlocks.length) out.push({ source: { ipBlocks: [...src.ipBlocks] } });
  const not: AuthzSource = {};
  const notPrincipals = [...principalsOf(src.notIdentities, trustDomain), ...(virtual ? src.notNamespaces.map((ns) => `${trustDomain}/ns/${ns}/sa/*`) : [])];
  if (notPrincipals.length) not.notPrincipals = notPrincipals;
  if (src.notNamespaces.length && !virtual) not.notNamespaces = [...src.notNamespaces];
  if (src.notIpBlocks.length) not.notIpBlocks = [...src.notIpBlocks];
  if (!Object.keys(not).length) return out;
  if (!onlyNegatives(src)) return out.map((e) => ({ source: { ...e.source, ...not } }));
  return [{ source: not }];
}

/** Istio principals of identities (`*`: any authenticated caller), without duplicates. */
function principalsOf(ids: Identity[], trustDomain: string): string[] {
  return [...new Set(ids.map((id) => ("any" in id ? "*" : principal(trustDomain, id.namespace, id.serviceAccount))))];
}

/** Istio principal of a service account: `<trustDomain>/ns/<ns>/sa/<sa>` (a SPIFFE ID without `spiffe://`). */
export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
