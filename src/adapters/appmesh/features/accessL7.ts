/**
 * Feature `accessL7` (access rules on methods, paths, headers, ports). App Mesh allows callers per
 * whole service (`VirtualNode.spec.backends` lists VirtualServices), so only a port condition naming
 * every declared port of the destination (vacuous, hence exact) is expressed. Every other request
 * condition (and the `notMethods`, `notPaths`, `notHeaders`, `notPorts` of accessNegation.ts) is an
 * error per field, unless the user accepts the `service-level-access` approximation (access.ts allows the
 * caller on the whole service and drops such deny rules, a warning per rule).
 */
import type { EffectiveAccessRule } from "../../../api/model.js";
import type { FeatureModule } from "../../../api/feature-module.js";
import { SERVICE_LEVEL_ACCESS, type Tx } from "../context.js";
import { type ServiceNode, allPorts } from "../services.js";

/** What App Mesh can do of `accessL7`. */
export const accessL7Feature: FeatureModule = {
  features: ["accessL7"],
  capabilities: () => ({
    accessL7: {
      support: "partial",
      note: `only ports naming every port of the destination (no condition, so exact); methods/paths/headers and other ports: opt in with ${SERVICE_LEVEL_ACCESS} to allow whole services`,
    },
  }),
};

/** A request condition App Mesh cannot check; `field` is also the rule's key (but see {@link pointerOf}). */
export interface Condition {
  field: string;
  what: string;
  /** The feature it belongs to. @default "accessL7" */
  feature?: "accessNegation";
}

// The conditions are constants: most rules carry some, and only errors need their pointers.
const METHODS: Condition = { field: "methods", what: "the HTTP method" };
const PATHS: Condition = { field: "paths", what: "the request path" };
const HEADERS: Condition = { field: "headers", what: "request headers" };
const PORTS: Condition = { field: "ports", what: "the destination port" };
const NOT_METHODS: Condition = { field: "notMethods", what: "the HTTP method", feature: "accessNegation" };
const NOT_PATHS: Condition = { field: "notPaths", what: "the request path", feature: "accessNegation" };
const NOT_HEADERS: Condition = { field: "notHeaders", what: "request headers", feature: "accessNegation" };
const NOT_PORTS: Condition = { field: "notPorts", what: "the destination port", feature: "accessNegation" };
const DESTINATION_PORT: Condition = { field: "destination.port", what: "the destination port" };

/** JSON pointer of a condition of a rule. */
function pointerOf(rule: EffectiveAccessRule, c: Condition): string {
  return c === DESTINATION_PORT ? "/spec/destination/port" : `${rule.pointer}/${c.field}`;
}

/** The request conditions of a rule that App Mesh cannot check (vacuous ones are left out). */
export function conditions(tx: Tx, dest: ServiceNode, rule: EffectiveAccessRule): Condition[] {
  const r = rule.rule;
  const out: Condition[] = [];
  if (r.methods) out.push(METHODS);
  if (r.paths && !r.paths.every((p) => p === "*")) out.push(PATHS);
  if (r.headers) out.push(HEADERS);
  if (r.notMethods) out.push(NOT_METHODS);
  if (r.notPaths) out.push(NOT_PATHS);
  if (r.notHeaders) out.push(NOT_HEADERS);
  // Validation makes every notPorts entry a port of the service (when declared): never vacuous.
  if (r.notPorts) out.push(NOT_PORTS);
  // A port condition is vacuous only when it names EVERY port of the service, which is known only when a
  // MeshService declares the ports: guessed ports come from the policies (this rule's own ports among
  // them), so with them every port condition would look vacuous and open the whole service. Both sides
  // are Service ports (`ports` and `destination.port` name Service ports, never pod ports).
  // Pod-only ports count: the destination's listener SANs govern them like the Service ports' listeners.
  const declared = !!dest.facts.ports?.length;
  const ports = allPorts(dest);
  if (r.ports && !(declared && ports.every((p) => r.ports!.includes(p.port)))) out.push(PORTS);
  if (rule.port !== undefined && !(declared && ports.every((p) => p.port === rule.port))) out.push(DESTINATION_PORT);
  return out;
}

export function reportCondition(tx: Tx, dest: ServiceNode, rule: EffectiveAccessRule, c: Condition): void {
  const deny = rule.action === "deny";
  tx.report(rule.policy, pointerOf(rule, c), {
    feature: c.feature ?? "accessL7",
    kind: "unsupported-feature",
    severity: "error",
    message:
      `${c.field}: ${tx.mesh} ${deny ? "denies" : "allows"} callers per whole service (VirtualNode.spec.backends lists VirtualServices), so it cannot ${deny ? "deny" : "allow"} only by ${c.what} on ${dest.namespace}/${dest.name}; ` +
      (deny
        ? `with allowApproximations ["${SERVICE_LEVEL_ACCESS}"] (--allow ${SERVICE_LEVEL_ACCESS}) this deny rule is dropped, or use --mesh istio / --mesh linkerd`
        : `accept allowing the caller on the whole service with allowApproximations ["${SERVICE_LEVEL_ACCESS}"] (--allow ${SERVICE_LEVEL_ACCESS}), or use --mesh istio / --mesh linkerd`),
  });
}
