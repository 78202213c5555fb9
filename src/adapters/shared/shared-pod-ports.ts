/**
 * Access rules on a Service port that shares its pod port (`targetPort`) with other Service ports.
 * Meshes that authorize at the pod (Istio `AuthorizationPolicy` `operation.ports`, Linkerd `Server`
 * per pod port) cannot tell those Service ports apart: a rule for one applies to all of them.
 * - An allow rule then admits its callers on the other Service ports too. When another of them is itself
 *   governed by an AccessPolicy (the model decides its callers), that widens access: an error.
 *   Otherwise the other port, open to everyone in the model, gets restricted to the rule's callers: a
 *   warning (fails closed).
 * - A deny rule then denies its callers on the other Service ports too: a warning (fails closed).
 * - A port-scoped AccessPolicy on a pod port where no allow rule admits anything denies every request
 *   there, so also on the other Service ports; when no AccessPolicy governs those, that closes a whole
 *   port the model leaves open: an error.
 * - `notPorts` works the other way round: excluding one Service port excludes the pod port, so the rule
 *   no longer applies to the other Service ports reaching it. An allow rule then admits less (warning); a
 *   deny rule no longer denies there, which opens access (error).
 * Only declared ports are checked: with guessed ports every Service port is assumed to be its own pod port.
 */
import type { Severity } from "../../api/diagnostics.js";
import type { DestinationView, EffectiveAccessRule, Entry } from "../../api/model.js";

/** One finding of {@link sharedPodPortRules}: where to report, how bad, and what to say (mesh-neutral). */
export interface SharedPodPortFinding {
  policy: Entry<any>;
  pointer: string;
  severity: Severity;
  message: string;
}

/**
 * The access rules of a destination whose port condition (rule `ports`, else the policy's
 * `destination.port`) names a Service port sharing its pod port with Service ports it does not name.
 * `how` says how the mesh authorizes (e.g. `Istio authorizes by pod port (operation.ports)`).
 */
export function sharedPodPortRules(v: DestinationView, how: string): SharedPodPortFinding[] {
  if (!v.portsDeclared) return [];
  const out: SharedPodPortFinding[] = [];
  for (const r of [...v.allow, ...v.deny]) {
    const named = namedPorts(r);
    if (!named) continue;
    const others = new Set<number>();
    let podPort = 0;
    for (const p of named) {
      const tp = v.ports.find((x) => x.port === p)?.targetPort;
      if (tp === undefined) continue;
      for (const x of v.ports)
        if (x.targetPort === tp && !named.includes(x.port)) {
          others.add(x.port);
          podPort = tp;
        }
    }
    if (!others.size) continue;
    const list = [...others].sort((a, b) => a - b);
    const governed = list.filter((q) => governs(v, q));
    const pointer = r.rule.ports ? `${r.pointer}/ports` : "/spec/destination/port";
    const shared = `Service ports ${named.join(", ")} and ${list.join(", ")} of ${v.namespace}/${v.service} reach the same pod port ${podPort}, and ${how}`;
    if (r.action === "allow" && governed.length) {
      out.push({
        policy: r.policy,
        pointer,
        severity: "error",
        message: `${shared}: this allow rule would also admit its callers on Service port ${governed.join(", ")}, whose callers other AccessPolicy rules decide; send these Service ports to different pod ports, or allow the same callers on all of them`,
      });
    } else {
      out.push({
        policy: r.policy,
        pointer,
        severity: "warning",
        message: `${shared}: this ${r.action} rule also ${r.action === "allow" ? "restricts" : "denies its callers on"} Service port ${list.join(", ")}${r.action === "allow" ? " to its callers" : ""}; send these Service ports to different pod ports to keep them apart`,
      });
    }
  }
  // A port-scoped AccessPolicy whose pod port no allow rule admits anything on: the mesh denies every
  // request to that pod port, so also to the ungoverned Service ports reaching it, which the model leaves
  // open. Denying a whole port nobody asked to govern: an error, not a warning.
  for (const p of v.accessPolicies) {
    const port = p.doc.spec.destination?.port;
    if (port === undefined) continue;
    const tp = v.ports.find((x) => x.port === port)?.targetPort;
    if (tp === undefined) continue;
    const open = v.ports.filter((x) => x.targetPort === tp && x.port !== port && !governs(v, x.port)).map((x) => x.port);
    if (!open.length || v.allow.some((r) => reachesPodPort(v, r, tp))) continue;
    out.push({
      policy: p,
      pointer: "/spec/destination/port",
      severity: "error",
      message: `Service ports ${port} and ${open.join(", ")} of ${v.namespace}/${v.service} reach the same pod port ${tp}, and ${how}: no allow rule admits anything on Service port ${port}, so every request to pod port ${tp} would be denied, also on Service port ${open.join(", ")}, which no AccessPolicy governs; send these Service ports to different pod ports, or govern ${open.join(", ")} too (an AccessPolicy for ${open.length > 1 ? "them" : "it"} with the same rules)`,
    });
  }
  for (const r of [...v.allow, ...v.deny]) {
    const not = r.rule.notPorts;
    if (!not) continue;
    const others = new Set<number>();
    let podPort = 0;
    for (const p of not) {
      const tp = v.ports.find((x) => x.port === p)?.targetPort;
      if (tp === undefined) continue;
      for (const x of v.ports)
        if (x.targetPort === tp && !not.includes(x.port) && (r.port === undefined || r.port === x.port)) {
          others.add(x.port);
          podPort = tp;
        }
    }
    if (!others.size) continue;
    const list = [...others].sort((a, b) => a - b);
    const shared = `Service ports ${not.join(", ")} and ${list.join(", ")} of ${v.namespace}/${v.service} reach the same pod port ${podPort}, and ${how}`;
    out.push(
      r.action === "deny"
        ? {
            policy: r.policy,
            pointer: `${r.pointer}/notPorts`,
            severity: "error",
            message: `${shared}: excluding Service port ${not.join(", ")} from this deny rule excludes pod port ${podPort}, so the rule would not deny its callers on Service port ${list.join(", ")} either; send these Service ports to different pod ports, or exclude none of them`,
          }
        : {
            policy: r.policy,
            pointer: `${r.pointer}/notPorts`,
            severity: "warning",
            message: `${shared}: excluding Service port ${not.join(", ")} from this allow rule excludes pod port ${podPort}, so the rule does not admit its callers on Service port ${list.join(", ")} either; send these Service ports to different pod ports to keep them apart`,
          },
    );
  }
  return out;
}

/**
 * True when an AccessPolicy of the destination selects Service port `port` (its own port, or every port;
 * a namespace- or mesh-wide one selects every port).
 */
function governs(v: DestinationView, port: number): boolean {
  return v.accessPolicies.some((e) => e.doc.spec.destination?.port === undefined || e.doc.spec.destination.port === port);
}

/** True when an access rule can apply to pod port `tp` (its port condition names a Service port reaching it, or none). */
function reachesPodPort(v: DestinationView, r: EffectiveAccessRule, tp: number): boolean {
  const named = namedPorts(r);
  return !named || named.some((p) => v.ports.find((x) => x.port === p)?.targetPort === tp);
}

/** The Service ports a rule's port condition names (rule ports AND the policy's port); undefined: every port. */
export function namedPorts(r: EffectiveAccessRule): number[] | undefined {
  const own = r.rule.ports;
  if (own) return r.port === undefined ? [...own] : own.filter((p) => p === r.port);
  return r.port === undefined ? undefined : [r.port];
}
