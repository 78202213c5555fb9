/**
 * Feature `access` (AccessPolicies by identity, namespace, IP block) → per pod port, the Server's
 * AuthorizationPolicies with MeshTLSAuthentication / NetworkAuthentication (callers.ts), or, with
 * method/path/header conditions, inbound HTTPRoutes (accessL7.ts). The Servers themselves: inbound.ts.
 *
 * Linkerd authorization is allow-only. A deny rule is kept only when it can be subtracted EXACTLY: a
 * deny without conditions removes listed identities from the allowed callers (never from inside a
 * namespace or `*` wildcard); a deny with method/path/header conditions becomes its own route (no
 * authorization, or the allowed callers minus the denied ones) that Linkerd must prefer over every
 * allow route it overlaps (accessL7.ts). Anything else is an error (never a looser translation).
 *
 * Refused (every version): a policy for every port of a service whose ports are not declared, a
 * port-scoped policy on undeclared ports (the pod port would be a guess), deny rules that cannot be
 * subtracted exactly, services sharing pods with different rules (inbound.ts, shared-pod-ports.ts).
 */
import type { DestinationPort, DestinationView, EffectiveAccessRule, Entry } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { canonicalJson, hasJwtConditions, policyScope, servicePort } from "../../../api/model.js";
import type { LinkerdContext } from "../context.js";
import type { TargetRef } from "../resources.js";
import { CATCH_ALL } from "../matching.js";
import { versionFacts } from "../versions.js";
import { negations } from "./accessNegation.js";
import { namedPorts } from "../../shared/shared-pod-ports.js";
import { type InboundRoute, inboundRoutes, ruleSpecs, specsCovered, specsOverlap } from "./accessL7.js";
import { type Callers, NOBODY, authorizations, callersOf, describeCallers, isEmpty, subtract, union } from "./callers.js";

/** What Linkerd can do of `access`, per version. */
export const accessFeature: FeatureModule = {
  features: ["access"],
  capabilities: (version) => ({
    access: partial(
      `Server (${versionFacts(version).server}) + AuthorizationPolicy + MeshTLSAuthentication / NetworkAuthentication`,
      "Allow-only: deny rules only when they can be subtracted exactly. Needs known ports (a Server per pod port).",
    ),
  }),
};

/**
 * The pod ports the destination's own AccessPolicies select (each with the policies), and whether one
 * of them could not be placed (a policy for every port of a service whose ports are not declared:
 * reported). Namespace-wide ones are the namespace's default inbound policy (scope.ts), which covers
 * every port without a Server; a Server that exists for another reason carries their rules too (inbound.ts).
 * @param guessed the sentence naming the guessed ports, for the errors when they are not declared.
 */
export function accessPorts(
  lc: LinkerdContext,
  v: DestinationView,
  ports: readonly DestinationPort[],
  guessed: () => string,
  declareIt: string,
): { ports: Map<number, Entry<any>[]>; noPorts: boolean } {
  const out = new Map<number, Entry<any>[]>();
  let noPorts = false;
  const declared = v.portsDeclared;
  for (const p of v.accessPolicies) {
    if (policyScope(p) !== "service") continue;
    const dp = p.doc.spec.destination!.port;
    if (!dp && !declared) {
      lc.report(p, "/spec/destination", {
        feature: "access",
        kind: "unsupported-value",
        what: "undeclared-ports",
        severity: "error",
        message: `this AccessPolicy covers every port of ${v.namespace}/${v.service}, and Linkerd ${lc.version} authorizes requests per pod port (a Server selects one port; a port without a Server keeps the cluster's default inbound policy), but the service's ports are not declared${guessed()}: ${declareIt}, or set destination.port`,
      });
      noPorts = true;
      continue;
    }
    // A port-scoped AccessPolicy on undeclared ports: a wrong guess leaves the real pod port without a
    // Server, i.e. at the cluster's default inbound policy (often all-unauthenticated), which could let
    // every caller in: an error, as for Istio.
    if (dp && !declared) {
      lc.report(p, "/spec/destination/port", {
        feature: "access",
        kind: "unsupported-value",
        what: "guessed-pod-port",
        severity: "error",
        message: `the ports of ${v.namespace}/${v.service} are not declared in a MeshService, so the Linkerd Server for service port ${dp} would select pod (container) port ${dp}, assuming the Service maps port ${dp} to the same targetPort; if it does not, the policy protects the wrong pod port and the real one keeps the cluster's default inbound policy, which may admit every caller. Declare the port (port and targetPort) in a MeshService`,
      });
    }
    const tps = dp ? [servicePort(v, dp).targetPort] : ports.map((x) => x.targetPort);
    for (const tp of tps) {
      const list = out.get(tp);
      if (list) list.push(p);
      else out.set(tp, [p]);
    }
  }
  return { ports: out, noPorts };
}

function callersMayMeet(a: Callers, b: Callers): boolean {
  if (a.anyone || b.anyone) return true;
  if (a.ipBlocks.length || b.ipBlocks.length) return true;
  if (a.authenticated || b.authenticated) return true;
  if (a.namespaces.some((n) => b.namespaces.includes(n) || b.sas.some((s) => s.startsWith(`${n}/`)))) return true;
  if (b.namespaces.some((n) => a.sas.some((s) => s.startsWith(`${n}/`)))) return true;
  return a.sas.some((s) => b.sas.includes(s));
}

/** Access rules of one pod port → authorizations on the Server, or inbound routes with their own. */
export function accessForPort(
  lc: LinkerdContext,
  v: DestinationView,
  tp: number | undefined,
  server: string,
  serverRef: TargetRef,
  strict: boolean,
  proto: DestinationPort["protocol"],
): void {
  // tp undefined: no port is known (an error already); analyse every rule, emit nothing. The same when a
  // rule has a negative condition Linkerd cannot express (reported once per rule by `negations`), or an
  // end-user (JWT) condition (reported by refuseRequestAuthentication).
  const unexpressible = (r: EffectiveAccessRule) => negations(lc, r) > 0 || hasJwtConditions(r.rule);
  const dry = tp === undefined || v.allow.some(unexpressible) || v.deny.some(unexpressible);
  // Policy and rule ports are Service ports: a rule applies to the Server of the pod (target) port of the
  // Service ports it names (its `ports` AND its policy's port: a request has one Service port), and not to
  // the Servers of the pod ports its notPorts exclude. A rule whose `ports` leave out its policy's port
  // never matches: it is left out (checking each condition apart would apply it wherever both reach the
  // same pod port, e.g. 80 and 81 → 8080, admitting its callers on both).
  const applies = (r: EffectiveAccessRule) => {
    if (dry) return true;
    const named = namedPorts(r);
    if (named && !named.length) {
      lc.report(r.policy, `${r.pointer}/ports`, {
        feature: "access",
        kind: "conflict",
        what: "ports",
        severity: "warning",
        message: `this rule can never match: the policy is for Service port ${r.port}, which is not in ports [${r.rule.ports!.join(", ")}]; the rule is left out`,
      });
      return false;
    }
    return (
      (!named || named.some((p) => servicePort(v, p).targetPort === tp)) &&
      (!r.rule.notPorts || !r.rule.notPorts.some((p) => servicePort(v, p).targetPort === tp))
    );
  };
  const expressible = (r: EffectiveAccessRule) => !unexpressible(r);
  const allows: InboundRoute[] = [];
  for (const r of v.allow.filter(applies).filter(expressible)) {
    const { specs, l7 } = ruleSpecs(lc, r);
    allows.push({ kind: "allow", specs: l7 ? specs : [CATCH_ALL], callers: callersOf(r.source, lc.model.member), rules: [r] });
  }
  const denies: InboundRoute[] = [];
  let denyAll: EffectiveAccessRule | undefined;
  for (const d of v.deny.filter(applies).filter(expressible)) {
    const { specs, l7 } = ruleSpecs(lc, d);
    const dc = callersOf(d.source, lc.model.member);
    const dspecs = l7 ? specs : [CATCH_ALL];
    const hit = allows.filter((a) => !isEmpty(a.callers) && callersMayMeet(a.callers, dc) && specsOverlap(a.specs, dspecs));
    if (!hit.length) {
      lc.report(d.policy, d.pointer, {
        feature: "access",
        kind: "note",
        what: "deny-needs-nothing",
        severity: "info",
        message: `this deny rule matches no request that an allow rule allows${dry ? "" : ` on port ${tp}`}, so Linkerd (which only allows) needs nothing for it`,
      });
      continue;
    }
    if (!l7 && dc.anyone) {
      denyAll = d;
      continue;
    }
    if (!l7) {
      for (const a of hit) {
        const s = subtract(a.callers, dc);
        if ("reason" in s) {
          lc.report(d.policy, d.pointer, {
            feature: "access",
            kind: "unsupported-value",
            what: "deny-subtraction",
            severity: "error",
            message: `Linkerd authorization is allow-only (an AuthorizationPolicy grants access, nothing denies it), so this deny rule must be removed from the allowed callers exactly, and it cannot: allow rule ${a.rules[0].policy.id}${a.rules[0].pointer} admits ${describeCallers(a.callers)}; ${s.reason}. List the allowed callers individually, or drop the deny rule`,
          });
        } else a.callers = s.result;
      }
      continue;
    }
    // A deny with conditions: its own route, authorizing what the allow rules grant there minus the denied callers.
    let callers = NOBODY;
    if (!dc.anyone) {
      const partial = hit.filter((a) => !specsCovered(a.specs, dspecs));
      if (partial.length) {
        lc.report(d.policy, d.pointer, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "deny-partial-overlap",
          severity: "error",
          message: `Linkerd authorization is allow-only, so a deny rule for some callers becomes a route that authorizes the other allowed callers; here allow rule ${partial[0].rules[0].policy.id}${partial[0].rules[0].pointer} covers only part of the denied requests, so those callers cannot be given exactly. Make the deny rule's methods/paths/headers lie inside the allow rule's, or drop the deny rule`,
        });
        continue;
      }
      const granted = hit.reduce((acc, a) => union(acc, a.callers), NOBODY);
      const s = subtract(granted, dc);
      if ("reason" in s) {
        lc.report(d.policy, d.pointer, {
          feature: "access",
          kind: "unsupported-value",
          what: "deny-subtraction",
          severity: "error",
          message: `Linkerd authorization is allow-only, so this deny rule must be removed from the allowed callers exactly (${describeCallers(granted)}), and it cannot: ${s.reason}`,
        });
        continue;
      }
      callers = s.result;
    }
    denies.push({ kind: "deny", specs: dspecs, callers, rules: [d] });
  }
  if (denyAll) {
    if (dry) return;
    lc.report(denyAll.policy, denyAll.pointer, {
      feature: "access",
      kind: "note",
      what: "deny-all",
      severity: "info",
      message: `this deny rule refuses every request to port ${tp}: the Server gets no authorization at all (Linkerd denies what nothing allows)`,
    });
    return;
  }
  const live = allows.filter((a) => !isEmpty(a.callers));
  const l7 = live.some((a) => a.specs.some((s) => s !== CATCH_ALL)) || denies.length > 0;
  const describe = (c: Callers) => (strict && c.anyone ? "any meshed caller (mTLS is strict)" : describeCallers(c));
  const firstRule = v.allow[0] ?? v.deny[0];
  const notePolicy = firstRule?.policy ?? v.accessPolicies[0];
  if (!l7) {
    if (dry) return;
    const callers = live.reduce((acc, a) => union(acc, a.callers), NOBODY);
    for (const o of authorizations(
      lc,
      v.namespace,
      serverRef,
      server,
      callers,
      strict,
      live.flatMap((a) => a.rules.map((r) => r.policy)),
    ))
      lc.emit(o);
    lc.report(notePolicy, "/spec", {
      feature: "access",
      kind: "note",
      what: "default-deny",
      severity: "info",
      message: `Linkerd Server ${v.namespace}/${server} turns on default deny for port ${tp} of the pods ${canonicalJson(v.facts.selector)}: every request there is refused unless an AuthorizationPolicy admits it; admitted: ${isEmpty(callers) ? "nobody" : describe(callers)}`,
    });
    return;
  }
  if (proto === "tcp") {
    lc.report(notePolicy, "/spec", {
      feature: "accessL7",
      kind: "unsupported-value",
      what: "tcp-port",
      severity: "error",
      message: `port ${tp} of ${v.namespace}/${v.service} is declared tcp (opaque to Linkerd), so method, path and header rules cannot apply to it`,
    });
    return;
  }
  inboundRoutes(lc, v, tp, server, live, denies, strict, dry, notePolicy, describe);
}
