/**
 * The receiving side of a destination: the `Server`s (policy.linkerd.io; one per pod port) that the
 * features `access`, `accessL7`, service-level `mtls` and `rateLimit` hang off (features/access.ts,
 * accessL7.ts, mtls.ts, rateLimit.ts fill them).
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
 */
import type { DestinationPort, DestinationView, Entry } from "../../api/model.js";
import type { Feature } from "../../api/features.js";
import { canonicalJson, exposedPorts, policyScope, servicePort } from "../../api/model.js";
import { dnsSubdomain } from "../../api/names.js";
import { objectMeta } from "../../api/ownership.js";
import { sharedPodAccess } from "../../api/shared-pods.js";
import { sharedPodPortRules } from "../shared/shared-pod-ports.js";
import type { LinkerdContext } from "./context.js";
import type { ServerObject, TargetRef } from "./resources.js";
import { accessForPort, accessPorts } from "./features/access.js";
import { NOBODY, authorizations } from "./features/callers.js";
import { mtlsMode, serviceMtlsPorts } from "./features/mtls.js";
import { rateLimitPolicy, rateLimitPort } from "./features/rateLimit.js";

/** Why a Server exists on a pod port. */
interface ServerNeed {
  access: boolean;
  mtls: boolean;
  rateLimit: boolean;
  from: Set<Entry<any>>;
}

/** Name of the Server for a pod port: `<service>-<port>`. */
export function serverName(service: string, targetPort: number): string {
  return dnsSubdomain(service, targetPort);
}

/** The declared protocol of a pod port (of the first Service port reaching it), if any. */
function protocolOfTarget(ports: readonly DestinationPort[], targetPort: number): DestinationPort["protocol"] {
  for (const p of ports) if (p.targetPort === targetPort) return p.protocol;
  return undefined;
}

/** Translates the receiving side of one destination: Servers, authorizations, inbound routes, rate limit. */
export function translateInbound(lc: LinkerdContext, v: DestinationView, ports: readonly DestinationPort[]): void {
  for (const f of sharedPodPortRules(v, `Linkerd ${lc.version} authorizes per pod port (one Server each)`)) {
    lc.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pod-port",
      severity: f.severity,
      message: f.message,
    });
  }
  const how = `Linkerd ${lc.version} applies ONE Server to a pod port (the oldest when several select it) with that Server's authorizations only`;
  for (const f of sharedPodAccess(lc.model, v, how, "one-wins")) {
    lc.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pods",
      severity: f.severity,
      message: f.message,
    });
  }
  const needs = new Map<number, ServerNeed>();
  const need = (tp: number): ServerNeed => {
    let n = needs.get(tp);
    if (!n) needs.set(tp, (n = { access: false, mtls: false, rateLimit: false, from: new Set() }));
    return n;
  };

  // Ports: a policy for EVERY port of the service needs the declared ports (a guess from other policies
  // misses ports, which would keep the cluster's default inbound policy); a port-scoped policy may use its
  // own port, with the pod port assumed equal to it.
  // Only for error messages: built when one is reported.
  const guessed = (): string =>
    v.portsDeclared || !ports.length
      ? ""
      : ` (the policies name only port${ports.length > 1 ? "s" : ""} ${ports.map((x) => x.port).join(", ")}, which need not be all of them)`;
  const declareIt = "declare the service's ports in a MeshService so every port gets a Server";

  // The destination's own AccessPolicies: a Server on every pod port they select.
  const scoped = v.accessPolicies.filter((p) => policyScope(p) !== "service");
  const access = accessPorts(lc, v, ports, guessed, declareIt);
  for (const [tp, from] of access.ports) {
    const n = need(tp);
    n.access = true;
    for (const p of from) n.from.add(p);
  }
  // Service-level MTLSPolicy: a Server per port with the mode as its default.
  for (const tp of serviceMtlsPorts(lc, v, ports, guessed, declareIt)) {
    const n = need(tp);
    n.mtls = true;
    n.from.add(v.mtls!);
  }
  // Rate limit: an HTTPLocalRateLimitPolicy on the Server of one port.
  const rl = v.rateLimit;
  const rlPort = rateLimitPort(lc, v, ports, guessed, (tp) => protocolOfTarget(ports, tp));
  if (rlPort !== undefined) {
    const n = need(rlPort);
    n.rateLimit = true;
    n.from.add(rl!.policy);
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
  if (access.noPorts) accessForPort(lc, v, undefined, "", { kind: "Server", name: "" }, false, undefined);

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
    const spec: ServerObject["spec"] = accessPolicy ? { accessPolicy, podSelector, port: tp, proxyProtocol } : { podSelector, port: tp, proxyProtocol };
    const serverRef: TargetRef = { group: "policy.linkerd.io", kind: "Server", name: server };
    if (n.access) {
      accessForPort(lc, v, tp, server, serverRef, strict, proto);
    } else {
      if (!lc.facts.serverAccessPolicy)
        for (const o of authorizations(lc, v.namespace, serverRef, server, { ...NOBODY, anyone: true }, strict, n.from)) lc.emit(o);
      const first = n.from.values().next().value!;
      const why = n.rateLimit && !n.mtls ? "the rate limit, which Linkerd attaches to a Server" : "the service's mTLS mode";
      // A Server's accessPolicy (2.16+), or the allow-all AuthorizationPolicy (2.14-2.15), replaces whatever
      // default inbound policy the port had, also a stricter one unimesh does not know about: a warning.
      lc.report(first, n.rateLimit && !n.mtls && rl ? rl.pointer : "/spec", {
        feature: n.rateLimit && !n.mtls ? "rateLimit" : "mtls",
        kind: "note",
        severity: "warning",
        message: `Linkerd Server ${v.namespace}/${server} (for ${why}) ${lc.facts.serverAccessPolicy ? `sets accessPolicy: ${spec.accessPolicy}` : "is paired with an AuthorizationPolicy for every caller (a Linkerd " + lc.version + " Server denies everything not authorized)"} on port ${tp} of the pods ${canonicalJson(labels)}, which overrides the default inbound policy of that port, also a stricter one set outside unimesh (the cluster default, or a config.linkerd.io/default-inbound-policy annotation such as deny or cluster-authenticated): port ${tp} then admits ${strict ? "every meshed (mTLS) client, from any cluster or network" : "every client, meshed or not"}. To keep it restricted, add an AccessPolicy for ${v.namespace}/${v.service} that allows exactly the callers you want (its Server denies everyone else)${strict ? "" : ", and an MTLSPolicy strict to require mTLS"}`,
      });
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
    lc.report(e, rate ? v.rateLimit!.pointer : "/spec/destination", {
      feature: feature,
      kind: "unsupported-value",
      what: "empty-selector",
      severity: "error",
      message: `the pods of ${v.namespace}/${v.service} are selected by an empty selector, so a Linkerd Server (podSelector) would cover every pod of namespace ${v.namespace} and change the inbound policy of all of them; give the MeshService a selector with the service's pod labels`,
    });
  }
  return undefined;
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
    if (policyScope(p) !== "service") {
      scoped.push(p);
      continue;
    }
    for (const tp of dp ? [servicePort(v, dp).targetPort] : v.ports.map((x) => x.targetPort)) {
      const n = need(tp);
      n.access = true;
      n.from.add(p);
    }
  }
  if (v.mtls)
    for (const x of v.ports) {
      const n = need(x.targetPort);
      n.mtls = true;
      n.from.add(v.mtls);
    }
  const rl = new Set(exposedPorts(v.ports).map((x) => x.targetPort));
  if (v.rateLimit && rl.size === 1) {
    const n = need([...rl][0]);
    n.rateLimit = true;
    n.from.add(v.rateLimit.policy);
  }
  // As translateInbound: a Server made for the mTLS mode or a rate limit carries the namespace- and
  // mesh-wide access rules (it replaces the namespace's default inbound policy on its port).
  if (scoped.length)
    for (const n of needs.values())
      if (!n.access) {
        n.access = true;
        for (const p of scoped) n.from.add(p);
      }
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
      const why = (x: ServerNeed) =>
        [
          x.access && ownAccess(x) ? "access" : "",
          x.mtls && !ownAccess(x) ? `its mTLS mode${x.access ? " with the namespace- and mesh-wide access rules only" : ""}` : "",
          x.rateLimit ? "a rate limit" : "",
        ]
          .filter(Boolean)
          .join(" and ");
      const first = n.from.values().next().value!;
      lc.report(first, "/spec/destination", {
        feature: n.access ? "access" : n.rateLimit ? "rateLimit" : "mtls",
        kind: "unsupported-value",
        what: "shared-pods",
        severity: "error",
        message: `${v.namespace}/${o.facts.name} ${o.relation === "overlap" ? `may select some of the same pods as ${v.namespace}/${v.service} (selectors ${canonicalJson(o.facts.selector)} and ${canonicalJson(v.facts.selector)}: a pod carrying the labels of both; unimesh cannot see pod labels)` : `selects some of the same pods as ${v.namespace}/${v.service} (selector ${canonicalJson(o.facts.selector)})`}, and both need a Server on pod port ${tp} (${v.service} for ${why(n)}, ${o.facts.name} for ${why(t)}); ${how}, so the other Server and what hangs off it would be ignored on the shared pods; give the services selectors that cannot pick the same pod, or the same AccessPolicies and no rate limit`,
      });
    }
  }
}
