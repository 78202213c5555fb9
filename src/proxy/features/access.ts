/**
 * `access` and `accessL7`: authorization on an instance's inbound listener, on the verified peer
 * identity. When a destination has access rules (any AccessPolicy selects it), a request is allowed
 * only if an allow rule matches and no deny rule does (deny wins); refused requests are answered 403
 * before the app sees them. Rule conditions: source, methods, paths (src/api/access-path.ts: exact,
 * `/a/*` = `/a` and everything below it, `/a*` string prefix, `*.png` or `*\/a` suffix, `*`), ports (service or
 * target port of the instance), headers (exact values), and their negations (notMethods, notPaths,
 * notPorts: service ports, notHeaders: a missing header matches); the end user of a valid token
 * (`requestPrincipals` `<iss>/<sub>`, `claims`, and their negations: a request without a token has no
 * principal and no claims, so it matches only the negative forms), with Istio's matching
 * (src/api/request-auth.ts).
 */
import type { Access, AccessRule } from "../../api/generated/proxyConfig.js";
import type { IncomingHttpHeaders } from "node:http";
import { compileSource, type Peer } from "./trafficSource.js";
import { headerValue } from "./match.js";
import { compileAccessPath } from "../../api/access-path.js";
import { type ClaimMatchTree, claimConditions, compileRequestPrincipals, matchClaim, stringMatcher } from "../../api/request-auth.js";
import type { RequestUser } from "./requestAuthentication.js";

/** What an access decision looks at. */
export interface AccessRequest {
  peer: Peer;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Service port of the instance, its target port, and its real port: a rule's `ports` may name any. */
  ports: readonly number[];
  servicePort: number;
  /** The end user of a valid token (requestAuthentication); absent without one. */
  user?: RequestUser;
}

/** The outcome: allowed or not, and the policy that decided. */
export interface AccessDecision {
  allowed: boolean;
  policy?: string;
  /** The rule that decided: its list and its index there (`Access.allow` / `Access.deny`); absent for the default deny and unselected ports. */
  rule?: { action: "allow" | "deny"; index: number };
  reason: string;
}

type RuleTest = (r: AccessRequest) => boolean;

function compileRule(rule: AccessRule): RuleTest {
  const tests: RuleTest[] = [];
  if (rule.port !== undefined) {
    const port = rule.port;
    tests.push((r) => r.servicePort === port);
  }
  if (rule.source) {
    const s = compileSource(rule.source);
    tests.push((r) => s(r.peer));
  }
  if (rule.methods) {
    const m = new Set(rule.methods);
    tests.push((r) => m.has(r.method));
  }
  if (rule.notMethods) {
    const m = new Set(rule.notMethods);
    tests.push((r) => !m.has(r.method));
  }
  if (rule.paths) {
    const ps = rule.paths.map(compileAccessPath);
    tests.push((r) => ps.some((t) => t(r.path)));
  }
  if (rule.notPaths) {
    const ps = rule.notPaths.map(compileAccessPath);
    tests.push((r) => !ps.some((t) => t(r.path)));
  }
  if (rule.ports) {
    const ports = new Set(rule.ports);
    tests.push((r) => r.ports.some((p) => ports.has(p)));
  }
  // notPorts are the model's Service ports: only the service port is compared (a target port that happens
  // to equal an excluded Service port must not exclude another Service port's traffic).
  if (rule.notPorts) {
    const ports = new Set(rule.notPorts);
    tests.push((r) => !ports.has(r.servicePort));
  }
  for (const [name, values] of Object.entries(rule.headers ?? {})) {
    const ok = new Set(values);
    tests.push((r) => {
      const v = headerValue(r.headers, name);
      return v !== undefined && ok.has(v);
    });
  }
  // A request without the header has none of the values: it matches (Istio when[].notValues).
  for (const [name, values] of Object.entries(rule.notHeaders ?? {})) {
    const no = new Set(values);
    tests.push((r) => {
      const v = headerValue(r.headers, name);
      return v === undefined || !no.has(v);
    });
  }
  if (rule.requestPrincipals) {
    const m = compileRequestPrincipals(rule.requestPrincipals);
    tests.push((r) => !!r.user && m(r.user.iss, r.user.sub));
  }
  // A request without a token has no principal: it is not excluded (Istio notRequestPrincipals).
  if (rule.notRequestPrincipals) {
    const m = compileRequestPrincipals(rule.notRequestPrincipals);
    tests.push((r) => !r.user || !m(r.user.iss, r.user.sub));
  }
  for (const c of claimConditions((rule.claims ?? {}) as ClaimMatchTree)) {
    const values = c.values.map(stringMatcher);
    tests.push((r) => matchClaim(r.user?.claims, c.path, values));
  }
  for (const c of claimConditions((rule.notClaims ?? {}) as ClaimMatchTree)) {
    const values = c.values.map(stringMatcher);
    tests.push((r) => !matchClaim(r.user?.claims, c.path, values));
  }
  return (r) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](r)) return false;
    return true;
  };
}

/** A compiled authorizer; `undefined` access allows everything. */
export function compileAccess(a: Access | undefined): ((r: AccessRequest) => AccessDecision) | undefined {
  if (!a) return undefined;
  // The decisions are made once, here, and shared by every request they decide (frozen: read-only).
  const allow = a.allow.map((r, index) => ({
    test: compileRule(r),
    decision: Object.freeze<AccessDecision>({ allowed: true, policy: r.policy, rule: Object.freeze({ action: "allow", index }), reason: "allowed" }),
  }));
  const deny = a.deny.map((r, index) => ({
    test: compileRule(r),
    decision: Object.freeze<AccessDecision>({
      allowed: false,
      policy: r.policy,
      rule: Object.freeze({ action: "deny", index }),
      reason: "denied by a deny rule",
    }),
  }));
  const ports = a.ports ? new Set(a.ports) : undefined;
  const unselectedPort = Object.freeze<AccessDecision>({ allowed: true, reason: "port not selected by an AccessPolicy" });
  const denyByDefault = Object.freeze<AccessDecision>({ allowed: false, policy: a.policies?.join(","), reason: "no allow rule matches (deny by default)" });
  return (r) => {
    for (let i = 0; i < deny.length; i++) if (deny[i].test(r)) return deny[i].decision;
    if (ports && !ports.has(r.servicePort)) return unselectedPort;
    for (let i = 0; i < allow.length; i++) if (allow[i].test(r)) return allow[i].decision;
    return denyByDefault;
  };
}
