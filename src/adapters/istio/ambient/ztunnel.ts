/**
 * What ztunnel, Istio ambient mode's per-node L4 proxy, can enforce of an `AuthorizationPolicy` that
 * selects workloads (`selector`, or none: namespace / root namespace), and the check that unimesh never
 * hands it more.
 *
 * istiod converts such a policy for ztunnel (istio/istio
 * `pilot/pkg/serviceregistry/kube/controller/ambient/policies.go`, `convertAuthorizationPolicy` /
 * `handleRule`): it reads `from[].source` {principals, notPrincipals, namespaces, notNamespaces,
 * ipBlocks, notIpBlocks, serviceAccounts, notServiceAccounts}, `to[].operation` {ports, notPorts} and
 * `when[]` on `source.ip`, `source.namespace`, `source.principal`, `destination.ip`,
 * `destination.port`. Everything else is an HTTP attribute (`operation.hosts/methods/paths` and their
 * `not` forms, `source.requestPrincipals`, `source.remoteIpBlocks`, any other `when` key) that ztunnel
 * cannot evaluate: "Within an ALLOW policy, rules matching HTTP attributes are omitted" (the rule never
 * matches: a selected workload denies what it was meant to allow) and "DENY policy with HTTP attributes
 * is enforced without the HTTP rules" (the deny covers every request of its callers). The ambient docs
 * say the same (istio.io `content/en/docs/ambient/usage/l4-policy/index.md`, "Layer 7 authorization
 * policies without waypoints installed"; `usage/l7-features/index.md`, "this will become a DENY rule as
 * part of a safer fail closed security posture"). Both fail closed, but neither is what the policy says:
 * unimesh refuses such rules with an error instead (ambient/translator.ts) and {@link assertZtunnelOnly}
 * holds the output to it.
 */
import type { KubeObject } from "../../../api/adapter.js";
import { InternalError } from "../../../api/diagnostics.js";
import type { AuthorizationPolicySpec } from "../resources.js";
import { type FeatureModule, full, partial } from "../../../api/feature-module.js";

/** What ztunnel enforces, per feature (L7 access conditions and JWT: waypoint.ts). */
export const ZTUNNEL_FEATURES: readonly FeatureModule[] = [
  {
    features: ["access", "accessNegation", "scope", "mtls"],
    capabilities: () => ({
      access: full(
        "AuthorizationPolicy with selector, enforced by ztunnel: ALLOW (allow-nothing when no allow rule) + DENY, from.source {principals, namespaces, ipBlocks}; at the waypoint (targetRefs Service) for a destination served by one",
      ),
      accessNegation: partial(
        "AuthorizationPolicy from.source {notPrincipals, notNamespaces, notIpBlocks}, to.operation.notPorts (ztunnel); notMethods, notPaths, notHeaders at a waypoint (targetRefs)",
        "notMethods, notPaths and notHeaders only in a service's own AccessPolicies, without port conditions",
      ),
      scope: full(
        "AuthorizationPolicy and PeerAuthentication without selector: in the namespace, or in the root namespace (rootNamespace setting) for the mesh",
        "Not for a destination served by a waypoint (ztunnel sees the waypoint's identity): an error.",
      ),
      mtls: partial(
        "PeerAuthentication {mtls, portLevelMtls} (ztunnel)",
        "strict and permissive only: ztunnel always uses mTLS (HBONE) between ambient workloads and ignores DISABLE",
      ),
    }),
  },
];

/** `from[].source` fields ztunnel enforces. */
export const ZTUNNEL_SOURCE_FIELDS: ReadonlySet<string> = new Set([
  "principals",
  "notPrincipals",
  "namespaces",
  "notNamespaces",
  "ipBlocks",
  "notIpBlocks",
  "serviceAccounts",
  "notServiceAccounts",
]);
/** `to[].operation` fields ztunnel enforces. */
export const ZTUNNEL_OPERATION_FIELDS: ReadonlySet<string> = new Set(["ports", "notPorts"]);
/** `when[].key` values ztunnel enforces (`l4WhenAttributes`). */
export const ZTUNNEL_WHEN_KEYS: ReadonlySet<string> = new Set(["source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"]);

/** The HTTP attributes (as `field` or `when key`) a selector policy's rules use, which ztunnel cannot enforce. */
export function httpAttributes(spec: AuthorizationPolicySpec): string[] {
  const out = new Set<string>();
  for (const rule of spec.rules ?? []) {
    for (const f of rule.from ?? []) for (const k of Object.keys(f.source ?? {})) if (!ZTUNNEL_SOURCE_FIELDS.has(k)) out.add(`source.${k}`);
    for (const t of rule.to ?? []) for (const k of Object.keys(t.operation ?? {})) if (!ZTUNNEL_OPERATION_FIELDS.has(k)) out.add(`operation.${k}`);
    for (const w of rule.when ?? []) if (!ZTUNNEL_WHEN_KEYS.has(w.key)) out.add(`when ${w.key}`);
  }
  return [...out].sort();
}

/**
 * Throws when an AuthorizationPolicy ztunnel enforces (no `targetRef`/`targetRefs`) carries an HTTP
 * attribute: such a rule would be dropped (ALLOW) or widened (DENY) by istiod. Reaching this is a
 * unimesh bug (the translator refuses those rules first), so it is an InternalError, never output.
 */
export function assertZtunnelOnly(objects: readonly KubeObject[]): void {
  for (const o of objects) {
    if (o.kind !== "AuthorizationPolicy" || !o.apiVersion.startsWith("security.istio.io/")) continue;
    const spec = o.spec as AuthorizationPolicySpec & { targetRef?: unknown; targetRefs?: unknown[] };
    if (spec.targetRef || spec.targetRefs?.length) continue;
    const http = httpAttributes(spec);
    if (http.length) {
      throw new InternalError(
        `AuthorizationPolicy ${o.metadata.namespace}/${o.metadata.name} is enforced by ztunnel but uses HTTP attributes (${http.join(", ")}), which ztunnel drops (ALLOW) or ignores (DENY)`,
      );
    }
  }
}
