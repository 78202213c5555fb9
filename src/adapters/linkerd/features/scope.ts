/**
 * Feature `scope` (namespace- and mesh-wide AccessPolicies and MTLSPolicies).
 *
 * Namespace-wide AccessPolicies and MTLSPolicy → the namespace's default inbound policy, the annotation
 * `config.linkerd.io/default-inbound-policy` (`2-edge/reference/authorization-policy.md`, "Default
 * policies"), emitted as a `v1 Namespace` patch (server-side apply). It is what every port WITHOUT a
 * Server admits; the services with their own AccessPolicies (or mTLS mode, or rate limit) get Servers,
 * whose authorizations carry the effective rules of every scope (inbound.ts).
 *
 * Linkerd's default policies are coarse, so only these namespace-wide rule sets are exact:
 * - no allow rule → `deny` (Istio's allow-nothing);
 * - allow rules without conditions whose callers are every caller → `all-unauthenticated`, every
 *   caller with a mesh identity (`serviceAccounts: ["*"]`) → `all-authenticated`;
 * - with a namespace-wide MTLSPolicy: strict turns all-unauthenticated into all-authenticated
 *   (permissive changes nothing; disabled is an error: meshed pods always talk mTLS).
 * Refused (every version): rules naming callers, with request conditions, or deny rules (they cannot be
 * a default policy: write them per service); mesh-wide policies (Linkerd's cluster-wide default is the
 * install-time `proxy.defaultInboundPolicy`, no Kubernetes object). The proxy injector reads the
 * annotation when a pod is created: running pods keep their policy until restarted (a note says so).
 */
import type { Entry } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { objectMeta } from "../../../api/ownership.js";
import type { LinkerdContext } from "../context.js";
import { PATCH_ANNOTATION, PATCH_ANNOTATION_VALUE } from "../resources.js";

/** What Linkerd can do of `scope`, per version. */
export const scopeFeature: FeatureModule = {
  features: ["scope"],
  capabilities: () => ({
    scope: partial(
      "Namespace annotation config.linkerd.io/default-inbound-policy (a patch) + the services' Servers",
      "Namespace-wide: deny, all-authenticated or all-unauthenticated only (no named callers, conditions or deny rules); mesh-wide: none (proxy.defaultInboundPolicy is set at install).",
    ),
  }),
};

/** Linkerd's default inbound policies that the model can ask for (`config.linkerd.io/default-inbound-policy`). */
type DefaultPolicy = "deny" | "all-authenticated" | "all-unauthenticated";

/** The namespace- and mesh-wide policies of the model: Namespace patches, or errors (see the module doc). */
export function namespaceDefaults(lc: LinkerdContext): void {
  const model = lc.model;
  const { namespaces, mesh } = model.accessScopes();
  for (const p of mesh) {
    lc.report(p, "/spec/scope", {
      feature: "scope",
      kind: "unsupported-value",
      what: "mesh-wide",
      severity: "error",
      message: `scope: mesh: Linkerd ${lc.version} has no mesh-wide authorization object; the cluster's default inbound policy is proxy.defaultInboundPolicy, set at install (e.g. linkerd install --set proxy.defaultInboundPolicy=deny), which unimesh does not change; write the policy per namespace (no destination) instead`,
    });
  }
  const meshMtls = model.meshMtls;
  if (meshMtls) {
    lc.report(meshMtls, "/spec/scope", {
      feature: "scope",
      kind: "unsupported-value",
      what: "mesh-wide",
      severity: "error",
      message: `scope: mesh: Linkerd ${lc.version} has no mesh-wide mTLS object; meshed pods always use mTLS, and refusing plaintext cluster-wide is the install-time default inbound policy (linkerd install --set proxy.defaultInboundPolicy=all-authenticated), which unimesh does not change; write the MTLSPolicy per namespace (no destination) instead`,
    });
  }
  const mtlsByNs = new Map(model.namespaceMtls.map((e) => [e.namespace, e]));
  const all = [...new Set([...namespaces.keys(), ...mtlsByNs.keys()])].sort();
  for (const ns of all) {
    const from: Entry<any>[] = [];
    let access: DefaultPolicy | undefined;
    const policies = namespaces.get(ns) ?? [];
    if (policies.length) {
      access = namespaceAccessDefault(lc, ns);
      from.push(...policies);
    }
    const m = mtlsByNs.get(ns);
    if (m?.doc.spec.mode === "disabled") {
      lc.report(m, "/spec/mode", {
        feature: "mtls",
        kind: "unsupported-value",
        what: "disabled",
        severity: "error",
        message: `Linkerd ${lc.version} cannot turn mTLS off: meshed pods always talk mTLS to each other (plaintext only reaches a pod from unmeshed clients or through ports the proxy skips). Use permissive`,
      });
      continue;
    }
    if (m) from.push(m);
    if (policies.length && !access) continue; // an error was reported
    const strict = m?.doc.spec.mode === "strict";
    const policy: DefaultPolicy = access === "deny" ? "deny" : access === "all-authenticated" || strict ? "all-authenticated" : "all-unauthenticated";
    lc.emit({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: objectMeta(ns, undefined, from, {
        annotations: { "config.linkerd.io/default-inbound-policy": policy, [PATCH_ANNOTATION]: PATCH_ANNOTATION_VALUE },
      }),
    });
    const restart = `The proxy injector reads it when pods are created: restart the namespace's workloads to apply it`;
    if (m) {
      lc.report(m, "/spec/mode", {
        feature: "mtls",
        kind: "note",
        what: "mode",
        severity: "info",
        message: `Linkerd has no mTLS mode object: meshed pods always use mTLS, and ${m.doc.spec.mode === "strict" ? "refusing plaintext" : "accepting plaintext"} is the default inbound policy ${policy}${access ? " (with the namespace-wide AccessPolicies)" : ""}, set by annotating namespace ${ns} (a patch to apply server-side). ${restart}`,
      });
    }
    for (const p of policies) {
      lc.report(p, "/spec", {
        feature: "scope",
        kind: "note",
        severity: "info",
        message: `namespace ${ns}: Linkerd's default inbound policy ${policy} (the config.linkerd.io/default-inbound-policy annotation, a patch of namespace ${ns} to apply server-side) admits ${policy === "deny" ? "nobody" : policy === "all-authenticated" ? "every meshed (mTLS) client" : "every client"} on every port without a Server; the services with their own AccessPolicies get Servers with the rules of every scope. ${restart}`,
      });
    }
  }
}

/** The default inbound policy a namespace's namespace-wide AccessPolicies amount to; undefined (errors reported) when none does. */
function namespaceAccessDefault(lc: LinkerdContext, ns: string): DefaultPolicy | undefined {
  const s = lc.model.scopedAccess(ns)!;
  let ok = true;
  const fail = (r: { policy: Entry<any>; pointer: string }, what: string) => {
    ok = false;
    lc.report(r.policy, r.pointer, {
      feature: "scope",
      kind: "unsupported-value",
      what: "namespace-default-policy",
      severity: "error",
      message: `a namespace-wide AccessPolicy becomes Linkerd's default inbound policy of namespace ${ns} (config.linkerd.io/default-inbound-policy: deny, all-authenticated or all-unauthenticated), which cannot ${what}; write this rule in an AccessPolicy for each service (Linkerd Servers), or use --mesh istio`,
    });
  };
  for (const r of s.deny) if (r.scope === "namespace") fail(r, "deny some callers");
  let anyone = false;
  let authenticated = false;
  for (const r of s.allow) {
    if (r.scope !== "namespace") continue;
    const rule = r.rule;
    if (rule.methods || rule.notMethods || rule.paths || rule.notPaths || rule.headers || rule.notHeaders) {
      fail(r, "check methods, paths or headers");
      continue;
    }
    const src = r.source;
    if (!src) {
      anyone = true;
      continue;
    }
    const onlyAny =
      src.identities.length > 0 &&
      src.identities.every((i) => "any" in i) &&
      !src.namespaces.length &&
      !src.ipBlocks.length &&
      !src.notIdentities.length &&
      !src.notNamespaces.length &&
      !src.notIpBlocks.length;
    if (onlyAny) authenticated = true;
    else fail(r, 'admit only some callers (only every caller, or every caller with a mesh identity: serviceAccounts: ["*"])');
  }
  if (!ok) return undefined;
  return anyone ? "all-unauthenticated" : authenticated ? "all-authenticated" : "deny";
}
