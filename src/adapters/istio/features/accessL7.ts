/**
 * Feature `accessL7`: the request conditions of an access rule → `AuthorizationPolicy.rules[].to[].operation`
 * {methods, paths, ports} and `rules[].when[]` (istio/api `security/v1beta1/authorization_policy.proto`).
 *
 * - `methods` → `operation.methods`; `paths` → `operation.paths`, each model path as the Istio paths
 *   that match exactly the same requests (src/api/access-path.ts): exact `/a` → `/a`; `/a/*` (`/a` and
 *   everything below it) → `/a` AND `/a/*` (Istio's `/a/*` is only the string prefix `/a/`, so a deny for
 *   `/admin/*` alone would let `/admin` through); `/a*` → `/a*`; suffix `*.png` → `*.png`; `*` → `*`.
 *   Path templates `{*}` / `{**}` would mean something else in Istio than the model's exact match: error.
 * - `ports` and the policy's `destination.port` (`EffectiveAccessRule.port`) are SERVICE ports in the
 *   model; `operation.ports` (strings) are workload ports: each is mapped to its `targetPort`
 *   (MeshService facts, else the same number) and ANDed with `ports` (a rule whose ports exclude it can
 *   never match: warning, rule left out).
 * - `headers` → one `when` condition per header, `key: request.headers[<name>]`, `values` = the accepted
 *   exact values (conditions ANDed, values ORed). Istio reads a leading or trailing `*` in a value as a
 *   suffix/prefix/presence wildcard, so such a value cannot be an exact match: error.
 * - Negative conditions, the same way: `notMethods` → `operation.notMethods`, `notPaths` →
 *   `operation.notPaths`, `notPorts` → `operation.notPorts` (Service ports mapped to pod ports),
 *   `notHeaders` → `when[].notValues` (Istio: Not(any of the values), so a request without the header
 *   matches, as the model says). A guessed pod port in `notPorts` is the reverse of one in `ports`: a wrong
 *   guess leaves the real pod port un-excluded, which widens an allow rule (error) and narrows a deny rule
 *   (warning).
 *
 * HTTP-only conditions (methods, paths, headers and their `not` forms) on a TCP port: Istio cannot evaluate them there. In an
 * ALLOW policy such a rule never matches TCP connections (they are denied); in a DENY policy Istio drops
 * the HTTP conditions and denies every connection matching the rest. Both fail closed (deny more, never
 * allow more), and both are reported as warnings when the MeshService declares the port `tcp`.
 */
import { accessPathMatchers } from "../../../api/access-path.js";
import { escapePointerToken } from "../../../api/diagnostics.js";
import { type EffectiveAccessRule, servicePort } from "../../../api/model.js";
import { type ClaimMatchTree, claimConditions, istioClaimKey } from "../../../api/request-auth.js";
import type { AuthzCondition, AuthzOperation, AuthzRule } from "../resources.js";
import { declarePortsHint } from "./mtls.js";
import { notePathNormalization } from "./pathNormalization.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What Istio can do of `accessL7`, per version. */
export const accessL7Feature: FeatureModule = {
  features: ["accessL7"],
  capabilities: () => ({
    accessL7: partial(
      "AuthorizationPolicy rules[].to.operation {methods, paths, ports} + when request.headers[]",
      "header values cannot start or end with *; HTTP conditions on TCP ports fail closed",
    ),
  }),
};

/** Operation and conditions of a rule; `undefined` when the rule can never match. */
export function requestConditions(r: EffectiveAccessRule, dc: DestinationContext): Pick<AuthzRule, "to" | "when"> | undefined {
  const rule = r.rule;
  const op: AuthzOperation = {};
  if (rule.methods) op.methods = [...rule.methods];
  if (rule.notMethods) op.notMethods = [...rule.notMethods];
  for (const key of ["paths", "notPaths"] as const) {
    const paths = rule[key];
    if (!paths) continue;
    paths.forEach((p, i) => {
      if (/\{\*\*?\}/.test(p)) {
        dc.ic.report(r.policy, `${r.pointer}/${key}/${i}`, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "path-template",
          severity: "error",
          message: `Istio reads "{*}" and "{**}" in "${p}" as path templates, not as the literal text the model means`,
        });
      }
    });
    op[key] = istioPaths(paths);
    notePathNormalization(r, dc, key);
  }
  const ports = effectivePorts(r, dc);
  if (ports === null) return undefined;
  if (ports) op.ports = ports.map(String);
  const notPorts = excludedPorts(r, dc);
  if (notPorts) op.notPorts = notPorts.map(String);
  const out: Pick<AuthzRule, "to" | "when"> = {};
  if (Object.keys(op).length) out.to = [{ operation: op }];
  const when: AuthzCondition[] = [];
  for (const [key, field] of [
    ["headers", "values"],
    ["notHeaders", "notValues"],
  ] as const) {
    for (const [name, values] of Object.entries(rule[key] ?? {})) {
      values.forEach((val, i) => {
        if (val.startsWith("*") || val.endsWith("*")) {
          dc.ic.report(r.policy, `${r.pointer}/${key}/${escapePointerToken(name)}/${i}`, {
            feature: "accessL7",
            kind: "unsupported-value",
            what: "header-wildcard",
            severity: "error",
            message: `Istio reads a leading or trailing "*" in "${val}" as a wildcard (suffix, prefix or presence match), so it cannot be matched exactly; remove the "*"`,
          });
        }
      });
      when.push({ key: `request.headers[${name}]`, [field]: [...values] });
    }
  }
  // End-user claims (feature requestAuthentication): Istio's `request.auth.claims[a][b]` has the model's
  // matching (string or list element; `*`, prefix and suffix values), so values are passed as written.
  for (const [key, field] of [
    ["claims", "values"],
    ["notClaims", "notValues"],
  ] as const) {
    const tree = rule[key];
    if (!tree) continue;
    for (const c of claimConditions(tree as ClaimMatchTree)) when.push({ key: istioClaimKey(c.path), [field]: c.values });
  }
  if (when.length) out.when = when;
  warnTcp(r, dc, ports);
  return out;
}

/**
 * Istio `operation.paths` for model access rule paths: every elementary condition of each
 * (`accessPathMatchers`) in Istio's syntax (exact as is, string prefix `p*`, suffix `*s`, any `*`), in
 * written order, without repeats.
 */
export function istioPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    for (const m of accessPathMatchers(p)) {
      const s = m.kind === "any" ? "*" : m.kind === "exact" ? m.value : m.kind === "prefix" ? `${m.value}*` : `*${m.value}`;
      if (!out.includes(s)) out.push(s);
    }
  }
  return out;
}

/**
 * The pod ports a rule excludes (`notPorts`, Service ports mapped to their `targetPort`), or undefined.
 * A port the service's declared ports do not have is left to validation (rule/unknown-port). With the
 * ports not declared, the pod port is assumed to be the Service port; a wrong guess leaves the real pod
 * port un-excluded: the rule then applies there too, which widens an allow rule (error) and only narrows
 * a deny rule (warning).
 */
function excludedPorts(r: EffectiveAccessRule, dc: DestinationContext): number[] | undefined {
  const not = r.rule.notPorts;
  if (!not) return undefined;
  const out: number[] = [];
  not.forEach((p, i) => {
    const sp = servicePort(dc.view, p);
    if (!sp.declared) {
      dc.ic.report(r.policy, `${r.pointer}/notPorts/${i}`, {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "guessed-pod-port",
        severity: r.action === "allow" ? "error" : "warning",
        message: `notPorts: Istio AuthorizationPolicy operation.notPorts are pod ports, and the pod port of Service port ${p} is not known, so unimesh would assume pod port ${p}; if the Service sends it elsewhere (e.g. 80 → 8080), ${r.action === "allow" ? "this allow rule would still admit requests to the real pod port" : "this deny rule would also deny requests to the real pod port"}; ${declarePortsHint(dc, p)}`,
      });
    }
    if (!out.includes(sp.targetPort)) out.push(sp.targetPort);
  });
  return out.sort((a, b) => a - b);
}

/**
 * The pod ports a rule is restricted to: `undefined` = every port, `null` = no port (never matches).
 * Model ports (`AccessRule.ports`, the policy's `destination.port`) are SERVICE ports; Istio's
 * `operation.ports` are workload ports, so each is mapped to its `targetPort` (MeshService facts). A rule
 * of a port-scoped policy concerns that port only (intersection).
 *
 * Never a guessed pod port that could open access:
 * - the MeshService declares ports and N is not one of them: the Service has no port N, so N is left out
 *   of the rule (warning; a rule left with no port never matches and is left out). Mapping it to pod
 *   port N could hit the pod port of ANOTHER Service port (e.g. 8080 behind 80) and allow its callers;
 * - the service declares no ports: the pod port is assumed to be N. For an allow rule a wrong guess only
 *   denies (warning); for a deny rule it leaves the real pod port un-denied, i.e. opens access (error).
 *   For a port-scoped policy this is reported once on its `destination.port` (access.ts).
 */
function effectivePorts(r: EffectiveAccessRule, dc: DestinationContext): number[] | undefined | null {
  // As written in the MeshService (for the message).
  const declared = dc.view.facts.ports;
  let own: number[] | undefined = r.rule.ports;
  if (own && r.port === undefined) {
    const kept: number[] = [];
    own.forEach((p, i) => {
      if (servicePort(dc.view, p).declared) kept.push(p);
      else if (declared) {
        dc.ic.report(r.policy, `${r.pointer}/ports/${i}`, {
          feature: "accessL7",
          kind: "conflict",
          what: "unknown-port",
          severity: "warning",
          message: `ports: ${dc.view.namespace}/${dc.view.service} has no Service port ${p} (ports: ${declared.map((x) => x.port).join(", ")}; ports are Service ports, not pod ports), so it is left out of this rule`,
        });
      } else {
        kept.push(p);
        dc.ic.report(r.policy, `${r.pointer}/ports/${i}`, {
          feature: "accessL7",
          kind: "unsupported-value",
          what: "guessed-pod-port",
          severity: r.action === "deny" ? "error" : "warning",
          message: `ports: Istio AuthorizationPolicy operation.ports are pod ports, and the pod port of Service port ${p} is not known, so unimesh would assume pod port ${p}; if the Service sends it elsewhere (e.g. 80 → 8080), ${r.action === "deny" ? "this deny rule would not cover the real pod port and its callers would get in" : "this allow rule would miss the real pod port and deny its callers"}; ${declarePortsHint(dc, p)}`,
        });
      }
    });
    if (!kept.length) {
      dc.ic.report(r.policy, `${r.pointer}/ports`, {
        feature: "accessL7",
        kind: "conflict",
        what: "ports",
        severity: "warning",
        message: `this rule can never match: none of ports [${own.join(", ")}] is a Service port of ${dc.view.namespace}/${dc.view.service}; the rule is left out`,
      });
      return null;
    }
    own = kept;
  }
  if (r.port === undefined) return own ? [...new Set(own.map((p) => servicePort(dc.view, p).targetPort))] : undefined;
  const t = servicePort(dc.view, r.port).targetPort;
  if (!own || own.includes(r.port)) return [t];
  dc.ic.report(r.policy, `${r.pointer}/ports`, {
    feature: "accessL7",
    kind: "conflict",
    what: "ports",
    severity: "warning",
    message: `this rule can never match: the policy is for Service port ${r.port}, which is not in ports [${own.join(", ")}]; the rule is left out`,
  });
  return null;
}

function warnTcp(r: EffectiveAccessRule, dc: DestinationContext, ports: number[] | undefined): void {
  const rule = r.rule;
  if (
    !rule.methods &&
    !rule.paths &&
    !rule.headers &&
    !rule.notMethods &&
    !rule.notPaths &&
    !rule.notHeaders &&
    !rule.requestPrincipals &&
    !rule.notRequestPrincipals &&
    !rule.claims &&
    !rule.notClaims
  )
    return;
  const tcp = (dc.view.facts.ports ?? []).filter((p) => p.protocol === "tcp").map((p) => p.targetPort ?? p.port);
  const hit = [...new Set(tcp.filter((p) => !ports || ports.includes(p)))].sort((a, b) => a - b);
  if (!hit.length) return;
  const msg =
    r.action === "allow"
      ? `Istio cannot evaluate methods, paths, headers or end-user tokens on TCP pod port(s) ${hit.join(", ")}: this allow rule never matches there, so those connections are denied unless another rule allows them`
      : `Istio cannot evaluate methods, paths, headers or end-user tokens on TCP pod port(s) ${hit.join(", ")}: it ignores them in this deny rule there, so every connection from the rule's callers to those ports is denied`;
  dc.ic.report(r.policy, r.pointer, { feature: "accessL7", kind: "unsupported-value", what: "tcp-port", severity: "warning", message: msg });
}
