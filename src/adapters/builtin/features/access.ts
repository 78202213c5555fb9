/**
 * AccessPolicies → `Destination.access`, enforced on the destination's inbound listeners on the
 * verified peer identity. Emitting `access` at all means deny-by-default for the destination (only for
 * the ports every AccessPolicy named, when they all named one). Identity conditions are the `access`
 * feature; methods, paths, ports and headers are `accessL7`: both are enforced.
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import type { AccessRule } from "../resources.js";
import { lowerKeys, sourceMatch } from "./common.js";
import type { DestinationFeature, FeatureEnv } from "./types.js";

function rule(r: EffectiveAccessRule, { model }: FeatureEnv): AccessRule {
  const src = sourceMatch(model, r.source);
  return {
    policy: r.policy.id,
    ...(r.port ? { port: r.port } : {}),
    ...(src ? { source: src } : {}),
    ...(r.rule.methods ? { methods: [...r.rule.methods] } : {}),
    ...(r.rule.notMethods ? { notMethods: [...r.rule.notMethods] } : {}),
    ...(r.rule.paths ? { paths: [...r.rule.paths] } : {}),
    ...(r.rule.notPaths ? { notPaths: [...r.rule.notPaths] } : {}),
    ...(r.rule.ports ? { ports: [...r.rule.ports] } : {}),
    ...(r.rule.notPorts ? { notPorts: [...r.rule.notPorts] } : {}),
    ...(r.rule.headers ? { headers: lowerKeys(r.rule.headers) } : {}),
    ...(r.rule.notHeaders ? { notHeaders: lowerKeys(r.rule.notHeaders) } : {}),
  };
}

export const access: DestinationFeature = (out, env) => {
  const { dest } = env;
  if (!dest.accessPolicies.length) return;
  const ports = dest.accessPolicies.map((p) => p.doc.spec.destination.port);
  const allPorts = ports.every((p): p is number => p !== undefined);
  out.access = {
    policies: dest.accessPolicies.map((p) => p.id),
    ...(allPorts ? { ports: [...new Set(ports)].sort((a, b) => a - b) } : {}),
    allow: dest.allow.map((r) => rule(r, env)),
    deny: dest.deny.map((r) => rule(r, env)),
  };
};
