/**
 * Features `access`, `accessL7`, service-level `mtls` and `rateLimit`: everything Linkerd enforces on
 * the receiving side, which all hangs off a `Server` (policy.linkerd.io; one Server per pod port).
 *
 * THE TRAP: a Server switches its port to default deny: "When a Server resource is present, all traffic
 * to the port on its pods will be denied unless explicitly authorized" (`2-edge/reference/
 * authorization-policy.md`). So unimesh emits a Server only where the model wants one (the destination
 * has AccessPolicies, a service-level MTLSPolicy, or a rate limit, which Linkerd attaches to a Server),
 * and always together with the authorizations that keep allowed callers working:
 * - AccessPolicies: `accessPolicy: deny` (2.16+; the default anyway) plus AuthorizationPolicies for
 *   exactly the allowed callers (see callers.ts), targeting the Server; with method/path/header rules,
 *   targeting inbound policy.linkerd.io/v1beta3 HTTPRoutes whose parent is the Server.
 * - only an MTLSPolicy or a rate limit: `accessPolicy: all-unauthenticated` (permissive) or
 *   `all-authenticated` (strict), Linkerd 2.16+; on 2.14–2.15, whose Server has no accessPolicy, an
 *   AuthorizationPolicy for every caller (or every meshed caller) instead. That replaces the port's
 *   default inbound policy, also a stricter one set outside unimesh (`deny`, `cluster-authenticated`):
 *   a warning says so, and that an AccessPolicy keeps the port restricted.
 * - Ports: a Server covers ONE pod port (`Server.spec.port`), and a port without one keeps the default
 *   inbound policy. A policy for every port (AccessPolicy without `destination.port`, MTLSPolicy `mode`,
 *   rate limit) needs the ports declared in a MeshService (`DestinationView.portsDeclared`): a guess from other
 *   policies would leave ports out, so it is an error. A port-scoped AccessPolicy on undeclared ports is
 *   an error too: its pod port would be a guess (= service port), and if wrong the real pod port keeps
 *   the cluster's default inbound policy. Service ports sharing one pod port share its Server: rules
 *   that would admit callers across them are errors (src/adapters/shared/shared-pod-ports.ts). A declared
 *   pod-only port (MeshService `ports[].podOnly`) gets its Server like any pod port (Linkerd authorizes
 *   per pod port, and its proxies carry mTLS to pod addresses); a rate limit leaves it alone.
 * - `Server.spec.podSelector.matchLabels` is the destination's pod labels; empty labels would select
 *   every pod of the namespace: an error (see {@link serverPodLabels}).
 * - Services whose selectors pick the same pods (model `podSharers`, e.g. the `<service>-<subset>`
 *   Services of routing) put two Servers on one pod port, and Linkerd applies only the oldest: their
 *   AccessPolicies must have the same rules there (src/api/shared-pods.ts, `one-wins`: an error
 *   otherwise), an access Server next to one for mTLS or a rate limit alone is an error, and the mode of
 *   a shared pod port is the strictest of the group (model `podPortMtls`).
 *
 * Inbound routes follow Linkerd's rules (linkerd2-proxy `app/inbound/src/policy/http.rs`): a request is
 * matched to ONE route, the most specific (see matching.ts), and only that route's authorizations (plus
 * the Server's, which unimesh never sets in this mode) apply; a request no route matches is refused
 * (404). So:
 * - allow rules with the same conditions share one route; a route whose requests all lie inside
 *   another allow rule's also authorizes that rule's callers; two overlapping allow rules for different
 *   callers whose winner cannot be proven (or whose winner lacks the other's callers) get one more route
 *   for exactly the requests both match, more specific than both (so Linkerd picks it there), admitting
 *   the callers of both (e.g. `GET` from a and header `x-a: 1` from b → a third route `GET` + `x-a: 1`
 *   for a and b); only when that overlap cannot be written as one route (a prefix and a suffix, two
 *   regexes) is it an error.
 * - Linkerd authorization is allow-only. A deny rule is kept only when it can be subtracted EXACTLY:
 *   a deny without conditions removes listed identities from the allowed callers (never from inside a
 *   namespace or `*` wildcard); a deny with method/path/header conditions becomes its own route (no
 *   authorization, or the allowed callers minus the denied ones) that Linkerd must prefer over every
 *   allow route it overlaps. Anything else is an error (never a looser translation).
 * - With inbound HTTPRoutes, Linkerd no longer authorizes kubelet probes on that port by itself (its
 *   default probe routes exist only for Servers without routes): a warning says so.
 */
import type { DestinationPort, DestinationView, EffectiveAccessRule, EffectiveMtls, Entry, PortMtls } from "../../../api/model.js";
import type { MTLSPolicy } from "../../../api/generated/model.js";
import type { KubeObject } from "../../../api/adapter.js";
import { canonicalJson, describePortMtls, exposedPorts, hasJwtConditions, policyScope, servicePort } from "../../../api/model.js";
import { dnsSubdomain } from "../../../api/names.js";
import { sharedPodPortRules } from "../../shared/shared-pod-ports.js";
import { sharedPodAccess } from "../../../api/shared-pods.js";
import { objectMeta } from "../../../api/ownership.js";
import type { LinkerdContext } from "../context.js";
import { POLICY_HTTPROUTE } from "../versions.js";
import { POLICY_V1ALPHA1, type ServerObject, type TargetRef } from "../resources.js";
import { type MatchSpec, type PathCond, CATCH_ALL, HTTP_TOKEN, escapePointer, compareOutcomes, covers, describeSpec, intersectSpecs, mayOverlap, toHttpRouteMatch } from "../matching.js";
import { notePathNormalization } from "./pathNormalization.js";
import { type Callers, NOBODY, callersOf, describeCallers, isEmpty, linkerdIdentity, sameCallers, subsetOf, subtract, union } from "./callers.js";
import type { Feature } from "../../../api/features.js";
import { accessPathMatchers } from "../../../api/access-path.js";

/** Gateway API `HTTPRouteMatch.method` values. */
const GATEWAY_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
/** Gateway API allows at most 8 matches per rule and 16 rules per route. */
const MAX_MATCHES = 8;
const MAX_RULES = 16;

type Mode = "strict" | "permissive";

/** Why a Server exists on a pod port. */
interface ServerNeed {
  access: boolean;
  mtls: boolean;
  rateLimit: boolean;
  from: Set<Entry<any>>;
}

/** An inbound route in the making: conditions, callers, where it came from. */
interface InboundRoute {
  kind: "allow" | "deny";
  specs: MatchSpec[];
  callers: Callers;
  rules: EffectiveAccessRule[];
}

/** Name of the Server for a pod port: `<service>-<port>`. */
export function serverName(service: string, targetPort: number): string {
  return dnsSubdomain(service, targetPort);
}

/**
 * The effective mTLS mode of a pod port: model `podPortMtls` (the strictest of the Service ports behind
 * it, so no Service port is served more loosely than asked; undefined: no MTLSPolicy). Service ports
 * behind it that asked for less get a warning: Linkerd's Server is per pod port.
 */
function mtlsMode(lc: LinkerdContext, v: DestinationView, targetPort: number): EffectiveMtls | undefined {
  const m = lc.model.podPortMtls(v, targetPort);
  if (!m) return undefined;
  for (const l of m.looser) {
    const name = (p: PortMtls) => (p.service ? describePortMtls(p) : `Service port ${p.port} of ${v.service}`);
    lc.report(l.effective.policy, l.effective.pointer, "mtls", "warning", "adapter/conflict",
      l.service || m.from?.service
        ? `${name(l)} (namespace ${v.namespace}) asks for mTLS mode ${l.effective.mode}, but pod port ${targetPort} is also reached by ${m.from ? name(m.from) : `a Service port of ${v.service}`}, which asks for ${m.effective.mode}, on pods both services select; Linkerd ${lc.version} sets the inbound policy per pod port (one Server, the oldest when several select it), so pod port ${targetPort} gets the strictest, ${m.effective.mode}, for all of them`
        : `Service port ${l.port} asks for mTLS mode ${l.effective.mode}, but it reaches pod port ${targetPort} like a Service port that asks for ${m.effective.mode}; Linkerd ${lc.version} sets the inbound policy per pod port (one Server), so pod port ${targetPort} gets the strictest, ${m.effective.mode}`);
  }
  return m.effective;
}

/** The declared protocol of a pod port (of the first Service port reaching it), if any. */
function protocolOfTarget(ports: readonly DestinationPort[], targetPort: number): DestinationPort["protocol"] {
  for (const p of ports) if (p.targetPort === targetPort) return p.protocol;
  return undefined;
}

function mtlsOffMessage(ver: string): string {
  return `${ver} cannot turn mTLS off: meshed pods always talk mTLS to each other (plaintext only reaches a pod from unmeshed clients or through ports the proxy skips, config.linkerd.io/skip-inbound-ports, which unimesh does not manage). Use permissive`;
}

/**
 * Reports the negative conditions of a rule Linkerd cannot express, and returns how many there are: its
 * inbound HTTPRoute matches (Gateway API HTTPRouteMatch) cannot negate a method, path or header, and its
 * authentications only list who is admitted (MeshTLSAuthentication identities, NetworkAuthentication
 * networks). `notPorts` is expressed (a rule is not applied to the Servers of the pod ports it excludes).
 */
function negations(lc: LinkerdContext, r: EffectiveAccessRule): number {
  let n = 0;
  const ver = `Linkerd ${lc.version}`;
  for (const key of ["notMethods", "notPaths", "notHeaders"] as const) {
    if (!r.rule[key]) continue;
    n++;
    lc.report(r.policy, `${r.pointer}/${key}`, "accessNegation", "error", "adapter/unsupported-value",
      `${key}: ${ver} matches requests to a Server with inbound HTTPRoutes, whose matches (method, path, headers) cannot be negated, and a request is authorized by the ONE most specific route it matches, so "everything but" cannot be written exactly; list what the rule allows or denies instead (methods, paths, headers), or use --mesh istio`);
  }
  const s = r.source;
  if (s) {
    const ptr = (k: string) => `${s.pointer}/${k}`;
    if (s.notIdentities.length) { n++; lc.report(r.policy, ptr("notServiceAccounts"), "accessNegation", "error", "adapter/unsupported-value", `notServiceAccounts: ${ver} authenticates callers by allow-lists only (MeshTLSAuthentication identities, no exclusion), so it cannot admit "every caller but these"; list the service accounts to admit, or use --mesh istio`); }
    if (s.notNamespaces.length) { n++; lc.report(r.policy, ptr("notNamespaces"), "accessNegation", "error", "adapter/unsupported-value", `notNamespaces: ${ver} authenticates callers by allow-lists only (MeshTLSAuthentication identities, no exclusion), so it cannot admit "every namespace but these"; list the namespaces to admit, or use --mesh istio`); }
    if (s.notIpBlocks.length) { n++; lc.report(r.policy, ptr("notIpBlocks"), "accessNegation", "error", "adapter/unsupported-value", `notIpBlocks: unimesh does not translate address exclusions for ${ver} (NetworkAuthentication networks with except would have to be combined with every identity rule); list the networks to admit in ipBlocks, or use --mesh istio`); }
  }
  return n;
}

/**
 * The path conditions of an access rule path (src/api/access-path.ts: `/a/*` is `/a` and every path
 * below it, so two conditions: exact `/a` and prefix `/a/`); undefined when it matches every path.
 */
function accessPath(p: string): PathCond[] | undefined {
  const out: PathCond[] = [];
  for (const m of accessPathMatchers(p)) {
    if (m.kind === "any" || (m.kind === "prefix" && m.value === "/")) return undefined;
    out.push({ kind: m.kind, value: m.value });
  }
  return out;
}

/** The match specs of an access rule (methods × paths, headers on each), and whether it has L7 conditions. */
function ruleSpecs(lc: LinkerdContext, r: EffectiveAccessRule): { specs: MatchSpec[]; l7: boolean } {
  const rule = r.rule;
  let methods: (string | undefined)[] = [undefined];
  if (rule.methods) {
    methods = [];
    rule.methods.forEach((m, i) => {
      if (GATEWAY_METHODS.has(m)) methods.push(m);
      else lc.report(r.policy, `${r.pointer}/methods/${i}`, "accessL7", "error", "adapter/unsupported-value",
        `Linkerd matches only the methods ${[...GATEWAY_METHODS].join(", ")} (HTTPRoute match method), not ${m}`);
    });
  }
  // Every path, or none when one of them is "every path".
  let paths: (PathCond | undefined)[] = [undefined];
  if (rule.paths) {
    const conds: PathCond[] = [];
    let every = false;
    for (const p of rule.paths) {
      const c = accessPath(p);
      if (c === undefined) { every = true; break; }
      for (const x of c) if (!conds.some((y) => y.kind === x.kind && y.value === x.value)) conds.push(x);
    }
    if (!every) paths = conds;
  }
  let headers: MatchSpec["headers"] = [];
  if (rule.headers) {
    for (const name of Object.keys(rule.headers)) {
      if (!HTTP_TOKEN.test(name)) lc.report(r.policy, `${r.pointer}/headers/${escapePointer(name)}`, "accessL7", "error", "adapter/unsupported-value",
        `Gateway API HTTPRoute matches only headers whose name is an HTTP token, not "${name}"`);
    }
    headers = Object.entries(rule.headers).filter(([n]) => HTTP_TOKEN.test(n)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, values]) => ({ name: name.toLowerCase(), cond: { kind: "oneOf" as const, values: [...new Set(values)] } }));
  }
  const specs: MatchSpec[] = [];
  let l7 = headers.length > 0;
  for (const method of methods) {
    for (const path of paths) {
      const spec = {} as MatchSpec;
      if (path) spec.path = path;
      if (method) spec.method = method;
      spec.headers = headers;
      spec.query = [];
      specs.push(spec);
      l7 ||= !!path || !!method;
    }
  }
  // No spec at all (an empty methods or paths list) has no L7 condition either.
  return { specs, l7: l7 && specs.length > 0 };
}

function specsOverlap(a: MatchSpec[], b: MatchSpec[]): boolean {
  return a.some((x) => b.some((y) => mayOverlap(x, y)));
}

/** Every spec of `inner` is inside some spec of `outer`. */
function specsCovered(outer: MatchSpec[], inner: MatchSpec[]): boolean {
  return inner.every((i) => outer.some((o) => covers(o, i)));
}

/** Who wins between two routes on requests both match: "a", "b", or undefined (cannot be proven). */
function winner(a: MatchSpec[], b: MatchSpec[]): "a" | "b" | undefined {
  const outcomes = new Set<string>();
  for (const x of a) for (const y of b) if (mayOverlap(x, y)) for (const o of compareOutcomes(x, y)) outcomes.add(o);
  if ([...outcomes].every((o) => o === "x")) return "a";
  if ([...outcomes].every((o) => o === "y")) return "b";
  return undefined;
}

function callersMayMeet(a: Callers, b: Callers): boolean {
  if (a.anyone || b.anyone) return true;
  if (a.ipBlocks.length || b.ipBlocks.length) return true;
  if (a.authenticated || b.authenticated) return true;
  if (a.namespaces.some((n) => b.namespaces.includes(n) || b.sas.some((s) => s.startsWith(`${n}/`)))) return true;
  if (b.namespaces.some((n) => a.sas.some((s) => s.startsWith(`${n}/`)))) return true;
  return a.sas.some((s) => b.sas.includes(s));
}

const ALL_NETWORKS = [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }];

/**
 * The AuthorizationPolicies (and authentications) that let `callers` reach `target`. Objects are named
 * `<base>-<what>`; `strict` keeps unauthenticated clients out (any caller → any meshed identity; IP
 * blocks → IP blocks AND a meshed identity).
 */
function authorizations(lc: LinkerdContext, ns: string, target: TargetRef, base: string, callers: Callers, strict: boolean, from: Iterable<Entry<any>>): KubeObject[] {
  const src = [...from];
  const out: KubeObject[] = [];
  let c = callers;
  if (c.anyone && strict) c = { ...NOBODY, authenticated: true };
  const policy = (name: string, refs: TargetRef[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1, kind: "AuthorizationPolicy",
    metadata: objectMeta(name, ns, src),
    spec: { requiredAuthenticationRefs: refs, targetRef: target }, // keys sorted: kept as they are by translate()
  });
  const meshTls = (name: string, identities: string[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1, kind: "MeshTLSAuthentication",
    metadata: objectMeta(name, ns, src), spec: { identities },
  });
  const network = (name: string, networks: { cidr: string }[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1, kind: "NetworkAuthentication",
    metadata: objectMeta(name, ns, src), spec: { networks },
  });
  const ref = (kind: string, name: string): TargetRef => ({ group: "policy.linkerd.io", kind, name });
  if (c.anyone) {
    const name = dnsSubdomain(base, "any");
    out.push(network(name, ALL_NETWORKS), policy(name, [ref("NetworkAuthentication", name)]));
    return out;
  }
  const td = lc.model.trustDomain;
  const identities = c.authenticated ? ["*"] : [
    ...c.sas.map((s) => { const [n, sa] = s.split("/"); return linkerdIdentity(n, sa, td); }),
    ...c.namespaces.map((n) => `*.${n}.serviceaccount.identity.linkerd.${td}`),
  ];
  if (identities.length) {
    const name = dnsSubdomain(base, "identities");
    out.push(meshTls(name, identities), policy(name, [ref("MeshTLSAuthentication", name)]));
  }
  if (c.ipBlocks.length) {
    const name = dnsSubdomain(base, "networks");
    const refs = [ref("NetworkAuthentication", name)];
    out.push(network(name, c.ipBlocks.map((cidr) => ({ cidr }))));
    if (strict) {
      const authn = dnsSubdomain(base, "authenticated");
      out.push(meshTls(authn, ["*"]));
      refs.push(ref("MeshTLSAuthentication", authn));
    }
    out.push(policy(name, refs));
  }
  return out;
}

/** Translates the receiving side of one destination: Servers, authorizations, inbound routes, rate limit. */
export function translateInbound(lc: LinkerdContext, v: DestinationView, ports: readonly DestinationPort[]): void {
  for (const f of sharedPodPortRules(v, `Linkerd ${lc.version} authorizes per pod port (one Server each)`)) {
    lc.report(f.policy, f.pointer, "access", f.severity, f.severity === "error" ? "adapter/unsupported-value" : "adapter/conflict", f.message);
  }
  const how = `Linkerd ${lc.version} applies ONE Server to a pod port (the oldest when several select it) with that Server's authorizations only`;
  for (const f of sharedPodAccess(lc.model, v, how, "one-wins")) {
    lc.report(f.policy, f.pointer, "access", f.severity, f.severity === "error" ? "adapter/unsupported-value" : "adapter/conflict", f.message);
  }
  const needs = new Map<number, ServerNeed>();
  const need = (tp: number): ServerNeed => {
    let n = needs.get(tp);
    if (!n) needs.set(tp, (n = { access: false, mtls: false, rateLimit: false, from: new Set() }));
    return n;
  };
  const ver = `Linkerd ${lc.version}`;
  let noPorts = false;

  // Ports: a policy for EVERY port of the service needs the declared ports (a guess from other policies
  // misses ports, which would keep the cluster's default inbound policy); a port-scoped policy may use its
  // own port, with the pod port assumed equal to it.
  const declared = v.portsDeclared;
  // Only for error messages: built when one is reported.
  const guessed = (): string => (declared || !ports.length ? "" : ` (the policies name only port${ports.length > 1 ? "s" : ""} ${ports.map((x) => x.port).join(", ")}, which need not be all of them)`);
  const declareIt = "declare the service's ports in a MeshService so every port gets a Server";
  // A port-scoped AccessPolicy on undeclared ports: a wrong guess leaves the real pod port without a
  // Server, i.e. at the cluster's default inbound policy (often all-unauthenticated), which could let
  // every caller in: an error, as for Istio.
  const assumed = (entry: Entry<any>, pointer: string, port: number): void => {
    lc.report(entry, pointer, "access", "error", "adapter/unsupported-value",
      `the ports of ${v.namespace}/${v.service} are not declared in a MeshService, so the Linkerd Server for service port ${port} would select pod (container) port ${port}, assuming the Service maps port ${port} to the same targetPort; if it does not, the policy protects the wrong pod port and the real one keeps the cluster's default inbound policy, which may admit every caller. Declare the port (port and targetPort) in a MeshService`);
  };


  // The destination's own AccessPolicies: a Server on every pod port they select. Namespace-wide ones
  // are the namespace's default inbound policy (translator.ts), which covers every port without a Server;
  // a Server that exists for another reason carries their rules too (below).
  const own = v.accessPolicies.filter((p) => policyScope(p) === "service");
  const scoped = v.accessPolicies.filter((p) => policyScope(p) !== "service");
  for (const p of own) {
    const dp = p.doc.spec.destination!.port;
    if (!dp && !declared) {
      lc.report(p, "/spec/destination", "access", "error", "adapter/unsupported-value",
        `this AccessPolicy covers every port of ${v.namespace}/${v.service}, and ${ver} authorizes requests per pod port (a Server selects one port; a port without a Server keeps the cluster's default inbound policy), but the service's ports are not declared${guessed()}: ${declareIt}, or set destination.port`);
      noPorts = true;
      continue;
    }
    if (dp && !declared) assumed(p, "/spec/destination/port", dp);
    const tps = dp ? [servicePort(v, dp).targetPort] : ports.map((x) => x.targetPort);
    for (const tp of tps) { const n = need(tp); n.access = true; n.from.add(p); }
  }

  // Service-level MTLSPolicy: a Server per port with the mode as its default. Its mode applies to EVERY
  // port of the service (validation rejects destination.port), so the ports must be declared.
  const svcMtls = v.mtls as Entry<MTLSPolicy> | undefined;
  if (svcMtls && !declared) {
    lc.report(svcMtls, "/spec/mode", "mtls", "error", "adapter/unsupported-value",
      `the mode of this MTLSPolicy applies to every port of ${v.namespace}/${v.service}, and ${ver} sets a service's inbound policy per pod port (a Server; a port without one keeps the default inbound policy), but the service's ports are not declared${guessed()}: ${declareIt}`);
    for (const [k, own] of Object.entries(svcMtls.doc.spec.ports ?? {})) {
      if (own === "disabled") lc.report(svcMtls, `/spec/ports/${k}`, "mtls", "error", "adapter/unsupported-value", mtlsOffMessage(ver));
    }
  } else if (svcMtls) {
    const tps = new Set(ports.map((x) => x.targetPort));
    for (const k of Object.keys(svcMtls.doc.spec.ports ?? {})) tps.add(servicePort(v, Number(k)).targetPort);
    for (const tp of [...tps].sort((a, b) => a - b)) {
      const m = mtlsMode(lc, v, tp)!;
      if (m.mode === "disabled") {
        lc.report(svcMtls, m.pointer, "mtls", "error", "adapter/unsupported-value", mtlsOffMessage(ver));
        continue;
      }
      const n = need(tp); n.mtls = true; n.from.add(svcMtls);
    }
  }

  // Rate limit: an HTTPLocalRateLimitPolicy on the Server of one port.
  const rl = v.rateLimit;
  let rlPort: number | undefined;
  if (rl) {
    if (!lc.facts.rateLimit) {
      lc.report(rl.policy, rl.pointer, "rateLimit", "error", "adapter/unsupported-feature",
        `${ver} has no rate limiting: HTTPLocalRateLimitPolicy exists from Linkerd 2.17. Target Linkerd 2.17+ or remove rateLimit`);
    } else if (!declared) {
      // The model's rate limit is destination-level: for the whole service, whatever destination.port says.
      lc.report(rl.policy, rl.pointer, "rateLimit", "error", "adapter/unsupported-value",
        `this rate limit is one budget for every port of ${v.namespace}/${v.service} (even in a policy with destination.port), and ${ver} limits the rate per Server, i.e. per pod port, so it can express it only for a service with a single port; the service's ports are not declared${guessed()}: declare the service's ports in a MeshService`);
    } else {
      // The Service ports' pod ports: a rate limit leaves pod-only ports alone (no Server for them here).
      const limited = exposedPorts(ports);
      const tps = [...new Set(limited.map((x) => x.targetPort))];
      if (tps.length === 1) rlPort = tps[0];
      else if (!tps.length) {
        lc.report(rl.policy, rl.pointer, "rateLimit", "error", "adapter/unsupported-value",
          `${v.namespace}/${v.service} declares only pod-only ports, and a rate limit applies to requests sent to its Service ports: there is nothing to limit`);
      } else {
        lc.report(rl.policy, rl.pointer, "rateLimit", "error", "adapter/unsupported-value",
          `${ver} limits the rate per Server, i.e. per pod port, with one bucket each, but this limit is one budget for every port of ${v.namespace}/${v.service} (${limited.map((x) => x.port).join(", ")}); Linkerd can express it only for a service with a single port`);
      }
      if (rlPort !== undefined) {
        if (protocolOfTarget(ports, rlPort) === "tcp") {
          lc.report(rl.policy, rl.pointer, "rateLimit", "error", "adapter/unsupported-value", `${ver} rate-limits HTTP requests, and port ${rlPort} is declared tcp`);
          rlPort = undefined;
        } else { const n = need(rlPort); n.rateLimit = true; n.from.add(rl.policy); }
      }
    }
  }

  // A Server replaces the namespace's default inbound policy on its port: where one exists for the mTLS
  // mode or a rate limit, it must apply the namespace- and mesh-wide access rules itself.
  if (scoped.length) {
    for (const n of needs.values()) {
      if (n.access) continue;
      n.access = true;
      for (const p of scoped) n.from.add(p);
    }
  }

  // Without any port, still check the rules, so every problem is reported at once (nothing is emitted).
  if (noPorts) accessForPort(lc, v, undefined, "", { kind: "Server", name: "" }, false, undefined);

  // Every Server selects the destination's pods; an empty selector would make it select the whole namespace.
  const from = new Set<Entry<any>>();
  for (const n of needs.values()) for (const e of n.from) from.add(e);
  const labels = serverPodLabels(lc, v, [...from]);
  if (!labels) return;

  const tps = [...needs.keys()];
  if (tps.length > 1) tps.sort((a, b) => a - b);
  checkSharedServers(lc, v, needs, how);
  for (const tp of tps) {
    const n = needs.get(tp)!;
    const mm = mtlsMode(lc, v, tp);
    const strict = mm?.mode === "strict";
    if (mm && mm.mode !== "disabled" && (!n.access || mm.policy === v.mtls)) n.from.add(mm.policy);
    const server = serverName(v.service, tp);
    const proto = protocolOfTarget(ports, tp);
    const accessPolicy = !lc.facts.serverAccessPolicy ? undefined : n.access ? "deny" : strict ? "all-authenticated" : "all-unauthenticated";
    // grpc → HTTP/2: with proxyProtocol gRPC Linkerd reads GRPCRoutes only, and neither the inbound
    // HTTPRoutes of access rules nor HTTPLocalRateLimitPolicy would apply.
    const proxyProtocol = proto === "http" ? "HTTP/1" : proto === "http2" || proto === "grpc" ? "HTTP/2" : proto === "tcp" ? "opaque" : "unknown";
    const podSelector = { matchLabels: { ...labels } };
    // Keys in sorted order, so that translate() keeps the spec as it is instead of copying it to sort them.
    const spec: ServerObject["spec"] = accessPolicy
      ? { accessPolicy, podSelector, port: tp, proxyProtocol }
      : { podSelector, port: tp, proxyProtocol };
    const serverRef: TargetRef = { group: "policy.linkerd.io", kind: "Server", name: server };
    if (n.access) {
      accessForPort(lc, v, tp, server, serverRef, strict, proto);
    } else {
      if (!lc.facts.serverAccessPolicy) for (const o of authorizations(lc, v.namespace, serverRef, server, { ...NOBODY, anyone: true }, strict, n.from)) lc.emit(o);
      const first = n.from.values().next().value!;
      const why = n.rateLimit && !n.mtls ? "the rate limit, which Linkerd attaches to a Server" : "the service's mTLS mode";
      // A Server's accessPolicy (2.16+), or the allow-all AuthorizationPolicy (2.14-2.15), replaces whatever
      // default inbound policy the port had, also a stricter one unimesh does not know about: a warning.
      lc.report(first, n.rateLimit && !n.mtls && rl ? rl.pointer : "/spec", n.rateLimit && !n.mtls ? "rateLimit" : "mtls", "warning", "adapter/note",
        `Linkerd Server ${v.namespace}/${server} (for ${why}) ${lc.facts.serverAccessPolicy ? `sets accessPolicy: ${spec.accessPolicy}` : "is paired with an AuthorizationPolicy for every caller (a Linkerd " + lc.version + " Server denies everything not authorized)"} on port ${tp} of the pods ${canonicalJson(labels)}, which overrides the default inbound policy of that port, also a stricter one set outside unimesh (the cluster default, or a config.linkerd.io/default-inbound-policy annotation such as deny or cluster-authenticated): port ${tp} then admits ${strict ? "every meshed (mTLS) client, from any cluster or network" : "every client, meshed or not"}. To keep it restricted, add an AccessPolicy for ${v.namespace}/${v.service} that allows exactly the callers you want (its Server denies everyone else)${strict ? "" : ", and an MTLSPolicy strict to require mTLS"}`);
    }
    lc.emit({ apiVersion: lc.facts.server, kind: "Server", metadata: objectMeta(server, v.namespace, n.from), spec } as ServerObject);
    if (n.rateLimit && rl && rlPort === tp) rateLimitPolicy(lc, v, server, serverRef);
  }
}

/**
 * The pod labels of every Server of the destination (`Server.spec.podSelector.matchLabels`), or
 * `undefined` (an error reported on each policy in `from`) when they are empty: a Server with an empty
 * pod selector covers every pod of the namespace, turning on its default deny (or its allow-all
 * accessPolicy) for all of them. Validation rejects `selector: {}` in a MeshService; this guard keeps the
 * adapter safe for models built without it.
 */
export function serverPodLabels(lc: LinkerdContext, v: DestinationView, from: Entry<any>[]): Record<string, string> | undefined {
  const labels = v.facts.selector ?? {};
  if (Object.keys(labels).length > 0) return { ...labels };
  for (const e of from) {
    const rate = v.rateLimit && e === v.rateLimit.policy && !v.accessPolicies.includes(e);
    const feature: Feature = v.accessPolicies.includes(e) ? "access" : rate ? "rateLimit" : "mtls";
    lc.report(e, rate ? v.rateLimit!.pointer : "/spec/destination", feature, "error", "adapter/unsupported-value",
      `the pods of ${v.namespace}/${v.service} are selected by an empty selector, so a Linkerd Server (podSelector) would cover every pod of namespace ${v.namespace} and change the inbound policy of all of them; give the MeshService a selector with the service's pod labels`);
  }
  return undefined;
}

/** Access rules of one pod port → authorizations on the Server, or inbound routes with their own. */
function accessForPort(lc: LinkerdContext, v: DestinationView, tp: number | undefined, server: string, serverRef: TargetRef, strict: boolean, proto: DestinationPort["protocol"]): void {
  // tp undefined: no port is known (an error already); analyse every rule, emit nothing. The same when a
  // rule has a negative condition Linkerd cannot express (reported once per rule by `negations`), or an
  // end-user (JWT) condition (reported by refuseRequestAuthentication).
  const unexpressible = (r: EffectiveAccessRule) => negations(lc, r) > 0 || hasJwtConditions(r.rule);
  const dry = tp === undefined || v.allow.some(unexpressible) || v.deny.some(unexpressible);
  // Policy and rule ports are Service ports: a rule applies to the Server of their pod (target) port, and
  // not to the Servers of the pod ports its notPorts exclude.
  const applies = (r: EffectiveAccessRule) => dry || ((r.port === undefined || servicePort(v, r.port).targetPort === tp) &&
    (!r.rule.ports || r.rule.ports.some((p) => servicePort(v, p).targetPort === tp)) &&
    (!r.rule.notPorts || !r.rule.notPorts.some((p) => servicePort(v, p).targetPort === tp)));
  const expressible = (r: EffectiveAccessRule) => !unexpressible(r);
  const allows: InboundRoute[] = [];
  for (const r of v.allow.filter(applies).filter(expressible)) {
    const { specs, l7 } = ruleSpecs(lc, r);
    allows.push({ kind: "allow", specs: l7 ? specs : [CATCH_ALL], callers: callersOf(r.source), rules: [r] });
  }
  const denies: InboundRoute[] = [];
  let denyAll: EffectiveAccessRule | undefined;
  for (const d of v.deny.filter(applies).filter(expressible)) {
    const { specs, l7 } = ruleSpecs(lc, d);
    const dc = callersOf(d.source);
    const dspecs = l7 ? specs : [CATCH_ALL];
    const hit = allows.filter((a) => !isEmpty(a.callers) && callersMayMeet(a.callers, dc) && specsOverlap(a.specs, dspecs));
    if (!hit.length) {
      lc.report(d.policy, d.pointer, "access", "info", "adapter/note",
        `this deny rule matches no request that an allow rule allows${dry ? "" : ` on port ${tp}`}, so Linkerd (which only allows) needs nothing for it`);
      continue;
    }
    if (!l7 && dc.anyone) { denyAll = d; continue; }
    if (!l7) {
      for (const a of hit) {
        const s = subtract(a.callers, dc);
        if ("reason" in s) {
          lc.report(d.policy, d.pointer, "access", "error", "adapter/unsupported-value",
            `Linkerd authorization is allow-only (an AuthorizationPolicy grants access, nothing denies it), so this deny rule must be removed from the allowed callers exactly, and it cannot: allow rule ${a.rules[0].policy.id}${a.rules[0].pointer} admits ${describeCallers(a.callers)}; ${s.reason}. List the allowed callers individually, or drop the deny rule`);
        } else a.callers = s.result;
      }
      continue;
    }
    // A deny with conditions: its own route, authorizing what the allow rules grant there minus the denied callers.
    let callers = NOBODY;
    if (!dc.anyone) {
      const partial = hit.filter((a) => !specsCovered(a.specs, dspecs));
      if (partial.length) {
        lc.report(d.policy, d.pointer, "accessL7", "error", "adapter/unsupported-value",
          `Linkerd authorization is allow-only, so a deny rule for some callers becomes a route that authorizes the other allowed callers; here allow rule ${partial[0].rules[0].policy.id}${partial[0].rules[0].pointer} covers only part of the denied requests, so those callers cannot be given exactly. Make the deny rule's methods/paths/headers lie inside the allow rule's, or drop the deny rule`);
        continue;
      }
      const granted = hit.reduce((acc, a) => union(acc, a.callers), NOBODY);
      const s = subtract(granted, dc);
      if ("reason" in s) {
        lc.report(d.policy, d.pointer, "access", "error", "adapter/unsupported-value",
          `Linkerd authorization is allow-only, so this deny rule must be removed from the allowed callers exactly (${describeCallers(granted)}), and it cannot: ${s.reason}`);
        continue;
      }
      callers = s.result;
    }
    denies.push({ kind: "deny", specs: dspecs, callers, rules: [d] });
  }
  if (denyAll) {
    if (dry) return;
    lc.report(denyAll.policy, denyAll.pointer, "access", "info", "adapter/note",
      `this deny rule refuses every request to port ${tp}: the Server gets no authorization at all (Linkerd denies what nothing allows)`);
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
    for (const o of authorizations(lc, v.namespace, serverRef, server, callers, strict, live.flatMap((a) => a.rules.map((r) => r.policy)))) lc.emit(o);
    lc.report(notePolicy, "/spec", "access", "info", "adapter/note",
      `Linkerd Server ${v.namespace}/${server} turns on default deny for port ${tp} of the pods ${canonicalJson(v.facts.selector)}: every request there is refused unless an AuthorizationPolicy admits it; admitted: ${isEmpty(callers) ? "nobody" : describe(callers)}`);
    return;
  }
  if (proto === "tcp") {
    lc.report(notePolicy, "/spec", "accessL7", "error", "adapter/unsupported-value",
      `port ${tp} of ${v.namespace}/${v.service} is declared tcp (opaque to Linkerd), so method, path and header rules cannot apply to it`);
    return;
  }

  // Merge allow rules with the same conditions; a route inside another allow rule's requests also admits its callers.
  // Conditions are compared by their canonical JSON, computed once per route and only once there are
  // two routes to compare (keys[i] belongs to merged[i]).
  const merged: InboundRoute[] = [];
  const keys: (string | undefined)[] = [];
  const keyOf = (i: number): string => (keys[i] ??= canonicalJson(merged[i].specs));
  for (const a of live) {
    const key = merged.length ? canonicalJson(a.specs) : undefined;
    let same: InboundRoute | undefined;
    for (let i = 0; i < merged.length && !same; i++) if (merged[i].kind === "allow" && keyOf(i) === key) same = merged[i];
    if (same) { same.callers = union(same.callers, a.callers); same.rules.push(...a.rules); }
    else { merged.push({ ...a, rules: [...a.rules] }); keys.push(key); }
  }
  widenCovered(merged);
  // Two overlapping allow routes for different callers where Linkerd's choice of route (one per request)
  // would not admit both: one more route for exactly the requests both match, more specific than either
  // (so Linkerd picks it there), admitting the callers of both. Repeated while it helps, a few times.
  for (let extra = 0; extra < MAX_EXTRA_ROUTES; extra++) {
    const pair = allowConflict(merged);
    const route = pair && intersectionRoute(pair[0], pair[1]);
    if (!route) break;
    const key = canonicalJson(route.specs);
    const same = merged.find((m) => m.kind === "allow" && canonicalJson(m.specs) === key);
    if (same) {
      const u = union(same.callers, route.callers);
      if (sameCallers(u, same.callers)) break;
      same.callers = u;
    } else merged.push(route);
    widenCovered(merged);
  }
  const routes = [...merged, ...denies];
  let ok = true;
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i];
      const b = routes[j];
      if (a.kind === "deny" && b.kind === "deny") continue;
      if (!specsOverlap(a.specs, b.specs)) continue;
      const w = winner(a.specs, b.specs);
      const [win, lose] = w === "a" ? [a, b] : w === "b" ? [b, a] : [undefined, undefined];
      const deny = a.kind === "deny" ? a : b.kind === "deny" ? b : undefined;
      const where = (x: InboundRoute) => `${x.rules[0].policy.id}${x.rules[0].pointer}`;
      if (deny) {
        const allow = deny === a ? b : a;
        if (win !== deny && !(win === undefined && sameCallers(deny.callers, allow.callers))) {
          ok = false;
          lc.report(deny.rules[0].policy, deny.rules[0].pointer, "accessL7", "error", "adapter/unsupported-value",
            `Linkerd authorization is allow-only, so this deny rule becomes an inbound route of its own (${deny.specs.map(describeSpec).join("; ")}) that must win over the route of allow rule ${where(allow)} on the requests both match; but Linkerd picks the most specific match (longest path match, then method, headers, query parameters), and ${win ? "the allow route is more specific" : "neither is provably more specific"}. Give the deny rule more specific conditions (e.g. a path), or drop it`);
        }
        continue;
      }
      if (resolvedBy(merged, a, b)) continue;
      if (!win) {
        if (!sameCallers(a.callers, b.callers)) {
          ok = false;
          lc.report(b.rules[0].policy, b.rules[0].pointer, "accessL7", "error", "adapter/unsupported-value",
            `this allow rule and allow rule ${where(a)} overlap and admit different callers; Linkerd applies the authorizations of ONE route per request (the most specific match), and neither route is provably more specific here. Make their conditions disjoint, or give both the same callers`);
        }
      } else if (!subsetOf(lose!.callers, win.callers)) {
        ok = false;
        lc.report(lose!.rules[0].policy, lose!.rules[0].pointer, "accessL7", "error", "adapter/unsupported-value",
          `requests matching both this allow rule and allow rule ${where(win)} go to the latter's inbound route (Linkerd applies the authorizations of the most specific match only), which does not admit ${describeCallers(lose!.callers)} on all of its requests; make the rules disjoint, or admit the same callers in both`);
      }
    }
  }
  if (!ok || dry) return;

  // Emit: one inbound HTTPRoute (parent Server) per route, its AuthorizationPolicies targeting it.
  let na = 0;
  let nd = 0;
  const admitted: string[] = [];
  for (const r of routes) {
    const name = dnsSubdomain(server, r.kind, r.kind === "allow" ? ++na : ++nd);
    const matches = r.specs.map((s) => toHttpRouteMatch(s) ?? { path: { type: "PathPrefix" as const, value: "/" } });
    const rules: { matches: unknown[] }[] = [];
    for (let k = 0; k < matches.length; k += MAX_MATCHES) rules.push({ matches: matches.length <= MAX_MATCHES ? matches : matches.slice(k, k + MAX_MATCHES) });
    if (rules.length > MAX_RULES) {
      lc.report(r.rules[0].policy, r.rules[0].pointer, "accessL7", "error", "adapter/unsupported-value",
        `this rule needs ${matches.length} HTTPRoute matches (methods × paths), more than one HTTPRoute holds (${MAX_RULES} rules of ${MAX_MATCHES}); split it into several rules`);
      continue;
    }
    const from = r.rules.map((x) => x.policy);
    lc.emit({
      apiVersion: POLICY_HTTPROUTE, kind: "HTTPRoute",
      metadata: objectMeta(name, v.namespace, from),
      spec: { parentRefs: [{ group: "policy.linkerd.io", kind: "Server", name: server }], rules },
    });
    if (!isEmpty(r.callers)) {
      for (const o of authorizations(lc, v.namespace, { group: "policy.linkerd.io", kind: "HTTPRoute", name }, name, r.callers, strict, from)) lc.emit(o);
    }
    admitted.push(`${name}: ${isEmpty(r.callers) ? "nobody" : describe(r.callers)}`);
  }
  lc.report(notePolicy, "/spec", "accessL7", "info", "adapter/note",
    `Linkerd Server ${v.namespace}/${server} turns on default deny for port ${tp} of the pods ${canonicalJson(v.facts.selector)}; requests are admitted per inbound HTTPRoute (one route per request: the most specific match; requests no route matches get 404): ${admitted.join("; ")}`);
  notePathNormalization(lc, `${v.namespace}/${server}`, routes.flatMap((r) => r.rules).filter((x) => x.rule.paths));
  lc.report(notePolicy, "/spec", "accessL7", "warning", "adapter/note",
    `Linkerd authorizes kubelet liveness/readiness probes by itself only on Servers without HTTPRoutes; Server ${v.namespace}/${server} has inbound HTTPRoutes, so probes to port ${tp} are refused unless an allow rule admits them (e.g. GET on the probe path from any caller)`);
}

/**
 * Why each pod port of a destination gets a Server (as translateInbound decides, without reports):
 * access (AccessPolicies), mtls (a service MTLSPolicy), rateLimit (a limit on a single-port service).
 * Only declared ports count: with guessed ones translateInbound reports errors instead.
 */
function serverNeedsOf(v: DestinationView): Map<number, ServerNeed> {
  const needs = new Map<number, ServerNeed>();
  if (!v.portsDeclared) return needs;
  const need = (tp: number): ServerNeed => {
    let n = needs.get(tp);
    if (!n) needs.set(tp, (n = { access: false, mtls: false, rateLimit: false, from: new Set() }));
    return n;
  };
  const scoped: Entry<any>[] = [];
  for (const p of v.accessPolicies) {
    const dp = p.doc.spec.destination?.port;
    if (policyScope(p) !== "service") { scoped.push(p); continue; }
    for (const tp of dp ? [servicePort(v, dp).targetPort] : v.ports.map((x) => x.targetPort)) { const n = need(tp); n.access = true; n.from.add(p); }
  }
  if (v.mtls) for (const x of v.ports) { const n = need(x.targetPort); n.mtls = true; n.from.add(v.mtls); }
  const rl = new Set(exposedPorts(v.ports).map((x) => x.targetPort));
  if (v.rateLimit && rl.size === 1) { const n = need([...rl][0]); n.rateLimit = true; n.from.add(v.rateLimit.policy); }
  // As translateInbound: a Server made for the mTLS mode or a rate limit carries the namespace- and
  // mesh-wide access rules (it replaces the namespace's default inbound policy on its port).
  if (scoped.length) for (const n of needs.values()) if (!n.access) { n.access = true; for (const p of scoped) n.from.add(p); }
  return needs;
}

/** True when a Server is made for the service's own AccessPolicies (not only namespace- or mesh-wide ones). */
function ownAccess(n: ServerNeed): boolean {
  for (const e of n.from) if (e.doc.kind === "AccessPolicy" && policyScope(e) === "service") return true;
  return false;
}

/**
 * Services sharing the destination's pods (model podSharers) whose own Servers select the same pod port:
 * Linkerd applies only the oldest Server to a pod port, so both must be equivalent. Two access Servers
 * are (their rules are compared by sharedPodAccess), and so are two Servers for the mTLS mode alone
 * (each has the group's strictest mode, model podPortMtls; with namespace- or mesh-wide AccessPolicies
 * both carry their rules); an access Server for the service's own AccessPolicies next to one for mTLS or
 * a rate limit alone (even with the namespace- and mesh-wide rules: the service's own are missing), or a
 * rate limit on either, is not: an error.
 */
function checkSharedServers(lc: LinkerdContext, v: DestinationView, needs: Map<number, ServerNeed>, how: string): void {
  const sharers = lc.model.podSharers(v.namespace, v.service);
  if (!sharers.length) return;
  for (const o of sharers) {
    if (!o.view) continue;
    const theirs = serverNeedsOf(o.view);
    for (const [tp, n] of needs) {
      const t = theirs.get(tp);
      if (!t || (!n.rateLimit && !t.rateLimit && n.access === t.access && ownAccess(n) === ownAccess(t))) continue;
      const why = (x: ServerNeed) => [x.access && ownAccess(x) ? "access" : "", x.mtls && !ownAccess(x) ? `its mTLS mode${x.access ? " with the namespace- and mesh-wide access rules only" : ""}` : "", x.rateLimit ? "a rate limit" : ""].filter(Boolean).join(" and ");
      const first = n.from.values().next().value!;
      lc.report(first, "/spec/destination", n.access ? "access" : n.rateLimit ? "rateLimit" : "mtls", "error", "adapter/unsupported-value",
        `${v.namespace}/${o.facts.name} ${o.relation === "overlap" ? `may select some of the same pods as ${v.namespace}/${v.service} (selectors ${canonicalJson(o.facts.selector)} and ${canonicalJson(v.facts.selector)}: a pod carrying the labels of both; unimesh cannot see pod labels)` : `selects some of the same pods as ${v.namespace}/${v.service} (selector ${canonicalJson(o.facts.selector)})`}, and both need a Server on pod port ${tp} (${v.service} for ${why(n)}, ${o.facts.name} for ${why(t)}); ${how}, so the other Server and what hangs off it would be ignored on the shared pods; give the services selectors that cannot pick the same pod, or the same AccessPolicies and no rate limit`);
    }
  }
}

/** Most extra routes (for overlaps of allow rules) one Server gets before overlaps are reported instead. */
const MAX_EXTRA_ROUTES = 8;

/**
 * A route whose requests all lie inside another allow route's also admits that route's callers (when
 * Linkerd may pick it over the other: one route per request). Until nothing changes.
 */
function widenCovered(merged: InboundRoute[]): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const w of merged) for (const l of merged) {
      if (w === l || !specsOverlap(w.specs, l.specs) || !specsCovered(l.specs, w.specs)) continue;
      if (winner(w.specs, l.specs) === "b") continue;
      const u = union(w.callers, l.callers);
      if (!sameCallers(u, w.callers)) { w.callers = u; changed = true; }
    }
  }
}

/**
 * The first pair of allow routes that overlap and where the route Linkerd picks on the requests both match
 * would not admit the other's callers (no provable winner and different callers, or a winner that lacks
 * the loser's callers); undefined when none.
 */
function allowConflict(merged: InboundRoute[]): [InboundRoute, InboundRoute] | undefined {
  for (let i = 0; i < merged.length; i++) {
    for (let j = i + 1; j < merged.length; j++) {
      const a = merged[i];
      const b = merged[j];
      if (!specsOverlap(a.specs, b.specs) || resolvedBy(merged, a, b)) continue;
      const w = winner(a.specs, b.specs);
      if (!w ? !sameCallers(a.callers, b.callers) : !subsetOf(w === "a" ? b.callers : a.callers, w === "a" ? a.callers : b.callers)) return [a, b];
    }
  }
  return undefined;
}

/**
 * True when another allow route takes every request both `a` and `b` match (its specs cover each
 * intersection of theirs), wins over both there, and admits the callers of both: then it does not
 * matter which of the two Linkerd would prefer.
 */
function resolvedBy(routes: readonly InboundRoute[], a: InboundRoute, b: InboundRoute): boolean {
  const overlap: MatchSpec[] = [];
  for (const x of a.specs) for (const y of b.specs) {
    if (!mayOverlap(x, y)) continue;
    const s = intersectSpecs(x, y);
    if (!s) return false;
    overlap.push(s);
  }
  const callers = union(a.callers, b.callers);
  return routes.some((c) => c !== a && c !== b && c.kind === "allow" && specsCovered(c.specs, overlap) &&
    winner(c.specs, a.specs) === "a" && winner(c.specs, b.specs) === "a" && subsetOf(callers, c.callers));
}

/**
 * An allow route for exactly the requests both routes match, admitting the callers of both, when it can
 * be written (every overlap of their specs as one spec) and Linkerd provably picks it over both there.
 */
function intersectionRoute(a: InboundRoute, b: InboundRoute): InboundRoute | undefined {
  const specs: MatchSpec[] = [];
  for (const x of a.specs) for (const y of b.specs) {
    if (!mayOverlap(x, y)) continue;
    const s = intersectSpecs(x, y);
    if (!s) return undefined;
    if (!specs.some((z) => canonicalJson(z) === canonicalJson(s))) specs.push(s);
  }
  if (!specs.length || winner(specs, a.specs) !== "a" || winner(specs, b.specs) !== "a") return undefined;
  return { kind: "allow", specs, callers: union(a.callers, b.callers), rules: [...new Set([...a.rules, ...b.rules])] };
}

/** HTTPLocalRateLimitPolicy (policy.linkerd.io/v1alpha1, 2.17+) on the Server. */
function rateLimitPolicy(lc: LinkerdContext, v: DestinationView, server: string, serverRef: TargetRef): void {
  const rl = v.rateLimit!;
  const r = rl.value;
  const ver = `Linkerd ${lc.version}`;
  if (r.burst !== undefined && r.burst !== r.requestsPerSecond) {
    lc.report(rl.policy, `${rl.pointer}/burst`, "rateLimit", "error", "adapter/unsupported-value",
      `${ver}'s rate limiter allows bursts of exactly requestsPerSecond (a GCRA quota per second), not ${r.burst}; remove burst or set it to ${r.requestsPerSecond}`);
  }
  // Keys of the spec and its parts in sorted order: translate() keeps them as they are.
  const overrides: { clientRefs: TargetRef[]; requestsPerSecond: number }[] = [];
  (r.overrides ?? []).forEach((o, i) => {
    for (const [j, sa] of o.serviceAccounts.entries()) {
      if (sa === "*") {
        lc.report(rl.policy, `${rl.pointer}/overrides/${i}/serviceAccounts/${j}`, "rateLimit", "error", "adapter/unsupported-value",
          `an HTTPLocalRateLimitPolicy override names service accounts (clientRefs), not "any identity"; use perIdentity instead`);
        continue;
      }
      const k = sa.indexOf("/");
      const ns = k < 0 ? rl.policy.namespace : sa.slice(0, k);
      const name = k < 0 ? sa : sa.slice(k + 1);
      // One override per service account: Linkerd shares one bucket among the clientRefs of an override.
      overrides.push({ clientRefs: [{ kind: "ServiceAccount", name, namespace: ns }], requestsPerSecond: o.requestsPerSecond });
    }
  });
  lc.emit({
    apiVersion: POLICY_V1ALPHA1, kind: "HTTPLocalRateLimitPolicy",
    metadata: objectMeta(server, v.namespace, [rl.policy]),
    spec: {
      ...(r.perIdentity !== undefined ? { identity: { requestsPerSecond: r.perIdentity } } : {}),
      ...(overrides.length ? { overrides } : {}),
      targetRef: serverRef,
      total: { requestsPerSecond: r.requestsPerSecond },
    },
  });
}
