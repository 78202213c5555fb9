/**
 * AccessPolicies → `Destination.access`, enforced on the destination's inbound listeners on the
 * verified peer identity. Emitting `access` at all means deny-by-default for the destination (only for
 * the ports every AccessPolicy named, when they all named one). Identity conditions are the `access`
 * feature; methods, paths, ports and headers are `accessL7`; end-user conditions (`requestPrincipals`,
 * `claims` and their negations) are `requestAuthentication`, matched on the token the destination's
 * RequestAuthentications validated: all are enforced. A destination's access
 * holds its effective rules, every scope included; services without a destination entry get
 * `spec.namespaceAccess` (their namespace's namespace-wide AccessPolicies plus the mesh-wide ones) or
 * `spec.meshAccess` (the mesh-wide ones alone).
 */
import { type EffectiveAccessRule, type Model, policyScope } from "../../../api/model.js";
import type { Access, AccessRule } from "../resources.js";
import { lowerKeys, sourceMatch } from "./common.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `access` (format version 1). */
export const accessFeature: FeatureModule = {
  features: ["access"],
  capabilities: () => ({ access: full("Destination.access", "not on pod-only ports (no pod addresses: a policy naming one is an error)") }),
};

function rule(r: EffectiveAccessRule, model: Model): AccessRule {
  const src = sourceMatch(model, r.source);
  return {
    policy: r.policy.id,
    ...(r.port ? { port: r.port } : {}),
    ...(src ? { source: src } : {}),
    ...(r.rule.requestPrincipals ? { requestPrincipals: [...r.rule.requestPrincipals] } : {}),
    ...(r.rule.notRequestPrincipals ? { notRequestPrincipals: [...r.rule.notRequestPrincipals] } : {}),
    ...(r.rule.methods ? { methods: [...r.rule.methods] } : {}),
    ...(r.rule.notMethods ? { notMethods: [...r.rule.notMethods] } : {}),
    ...(r.rule.paths ? { paths: [...r.rule.paths] } : {}),
    ...(r.rule.notPaths ? { notPaths: [...r.rule.notPaths] } : {}),
    ...(r.rule.ports ? { ports: [...r.rule.ports] } : {}),
    ...(r.rule.notPorts ? { notPorts: [...r.rule.notPorts] } : {}),
    ...(r.rule.headers ? { headers: lowerKeys(r.rule.headers) } : {}),
    ...(r.rule.notHeaders ? { notHeaders: lowerKeys(r.rule.notHeaders) } : {}),
    ...(r.rule.claims ? { claims: r.rule.claims } : {}),
    ...(r.rule.notClaims ? { notClaims: r.rule.notClaims } : {}),
  };
}

export const access: DestinationFeature = (out, env) => {
  const { dest } = env;
  if (!dest.accessPolicies.length) return;
  const ports = dest.accessPolicies.map((p) => p.doc.spec.destination?.port);
  const allPorts = ports.every((p): p is number => p !== undefined);
  out.access = {
    policies: dest.accessPolicies.map((p) => p.id),
    ...(allPorts ? { ports: [...new Set(ports)].sort((a, b) => a - b) } : {}),
    allow: dest.allow.map((r) => rule(r, env.model)),
    deny: dest.deny.map((r) => rule(r, env.model)),
  };
};

/** A namespace no workload is in: its scoped access is the mesh-wide AccessPolicies alone. */
export const MESH_ONLY = "";

/**
 * The access of a workload of `namespace` without a destination entry (namespace-wide plus mesh-wide
 * AccessPolicies; {@link MESH_ONLY}: mesh-wide only), or undefined when none applies.
 */
export function scopedAccess(model: Model, namespace: string): Access | undefined {
  const s = model.scopedAccess(namespace);
  if (!s) return undefined;
  const keep = (r: EffectiveAccessRule) => namespace !== MESH_ONLY || r.scope === "mesh";
  return {
    policies: s.policies.filter((p) => namespace !== MESH_ONLY || policyScope(p) === "mesh").map((p) => p.id),
    allow: s.allow.filter(keep).map((r) => rule(r, model)),
    deny: s.deny.filter(keep).map((r) => rule(r, model)),
  };
}
