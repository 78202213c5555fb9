/**
 * Sets of callers, as Linkerd can authorize them, and their exact set operations.
 *
 * An AuthorizationPolicy (policy.linkerd.io/v1alpha1) authorizes clients that satisfy ALL of its
 * `requiredAuthenticationRefs`; several AuthorizationPolicies for one target are alternatives. So one
 * caller set becomes up to three AuthorizationPolicies:
 * - identities (service accounts, whole namespaces, any authenticated client) → a
 *   `MeshTLSAuthentication` with `identities` `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`,
 *   `*.<ns>.serviceaccount.identity.linkerd.<trust domain>` (a `*` prefix matches a whole domain), or `*`;
 *   the trust domain is the member's own, or another member's for identities of that member
 *   (`source.clusters` of a virtual mesh: Linkerd 2-edge `reference/authorization-policy.md`, identities
 *   are the client's TLS identity, whatever cluster issued it under the shared trust anchor);
 * - IP blocks → a `NetworkAuthentication` {networks[].cidr} (plus the MeshTLSAuthentication `*` when
 *   mTLS is strict, ANDed in the same AuthorizationPolicy);
 * - any caller, authenticated or not → a `NetworkAuthentication` with `0.0.0.0/0` and `::/0`.
 * (An AuthorizationPolicy without a NetworkAuthentication admits clients from every network: linkerd2
 * policy-controller `k8s/index/src/inbound/index.rs` `policy_client_authz`, "If networks are configured, use
 * them. Otherwise, this applies to all networks". Only the deprecated ServerAuthorization without
 * `client.networks` is limited to the install's `clusterNetworks` (`grpc/src/inbound.rs` `to_authz` fills
 * empty networks with them). So the identity policies above need no NetworkAuthentication, and any caller
 * gets one of every network because a policy must reference some authentication, older policy controllers'
 * admission refusing one without any, and a MeshTLSAuthentication would admit meshed clients only.)
 */
import type { KubeObject } from "../../../api/adapter.js";
import type { Entry, ResolvedSource } from "../../../api/model.js";
import { dnsSubdomain } from "../../../api/names.js";
import { objectMeta } from "../../../api/ownership.js";
import type { LinkerdContext } from "../context.js";
import { POLICY_V1ALPHA1, type TargetRef } from "../resources.js";

/**
 * A set of callers. `anyone` includes unauthenticated clients; `authenticated` any meshed identity.
 * Identities of another member of a virtual mesh carry its trust domain as a prefix, `<trustDomain>:`
 * (`east.example:bookinfo/productpage`, namespace `east.example:bookinfo`), so that they differ from the
 * local ones of the same name in every set operation (a trust domain never contains `:` or `/`).
 */
export interface Callers {
  anyone: boolean;
  authenticated: boolean;
  /** `[<trustDomain>:]namespace/serviceaccount`, sorted. */
  sas: string[];
  /** `[<trustDomain>:]namespace`, sorted. */
  namespaces: string[];
  ipBlocks: string[];
}

/** A new array of the unique strings of `xs`, sorted (no Set for the usual zero or one item). */
function sorted(xs: readonly string[]): string[] {
  return xs.length < 2 ? xs.slice() : [...new Set(xs)].sort();
}

/** Nobody. */
export const NOBODY: Callers = { anyone: false, authenticated: false, sas: [], namespaces: [], ipBlocks: [] };

/**
 * The callers of a resolved source; `undefined` (no source) is anyone. Its identities and namespaces are
 * those of each member of `src.clusters` (the local member, `member`, unprefixed; the others with their
 * trust domain), or of the local member alone.
 */
export function callersOf(src: ResolvedSource | undefined, member?: string): Callers {
  if (!src) return { ...NOBODY, anyone: true };
  const domains = src.clusters ? src.clusters.map((m) => (m.name === member ? "" : `${m.trustDomain}:`)) : [""];
  let authenticated = false;
  const sas: string[] = [];
  for (const i of src.identities) {
    if ("any" in i) authenticated = true;
    else for (const d of domains) sas.push(`${d}${i.namespace}/${i.serviceAccount}`);
  }
  const namespaces = domains.length === 1 && domains[0] === "" ? src.namespaces : domains.flatMap((d) => src.namespaces.map((n) => d + n));
  // normalize copies the arrays: the source's own are not kept.
  return normalize({ anyone: false, authenticated, sas, namespaces, ipBlocks: src.ipBlocks });
}

/** `[<trustDomain>:]rest` → the trust domain (`local` when unprefixed) and the rest. */
function qualified(x: string, local: string): { td: string; rest: string } {
  const i = x.indexOf(":");
  return i < 0 ? { td: local, rest: x } : { td: x.slice(0, i), rest: x.slice(i + 1) };
}

/** Drops what a wider member already includes. */
export function normalize(c: Callers): Callers {
  if (c.anyone) return { ...NOBODY, anyone: true };
  const namespaces = c.authenticated ? [] : sorted(c.namespaces);
  const sas = c.authenticated ? [] : sorted(namespaces.length ? c.sas.filter((s) => !namespaces.includes(s.split("/")[0])) : c.sas);
  return { anyone: false, authenticated: c.authenticated, sas, namespaces, ipBlocks: sorted(c.ipBlocks) };
}

/** a ∪ b. */
export function union(a: Callers, b: Callers): Callers {
  return normalize({
    anyone: a.anyone || b.anyone,
    authenticated: a.authenticated || b.authenticated,
    sas: [...a.sas, ...b.sas],
    namespaces: [...a.namespaces, ...b.namespaces],
    ipBlocks: [...a.ipBlocks, ...b.ipBlocks],
  });
}

/** True when nobody is in the set. */
export function isEmpty(c: Callers): boolean {
  return !c.anyone && !c.authenticated && !c.sas.length && !c.namespaces.length && !c.ipBlocks.length;
}

/** True when every caller of `a` is in `b` (judged by the set's members; false when unsure). */
export function subsetOf(a: Callers, b: Callers): boolean {
  if (b.anyone) return true;
  if (a.anyone) return false;
  if (a.authenticated && !b.authenticated) return false;
  if (!b.authenticated) {
    if (!a.namespaces.every((n) => b.namespaces.includes(n))) return false;
    if (!a.sas.every((s) => b.sas.includes(s) || b.namespaces.includes(s.split("/")[0]))) return false;
  }
  return a.ipBlocks.every((ip) => b.ipBlocks.includes(ip));
}

/** True when the two sets are equal (as sets of callers, by their members). */
export function sameCallers(a: Callers, b: Callers): boolean {
  return subsetOf(a, b) && subsetOf(b, a);
}

/**
 * `a − d`, exactly, or why it cannot be done: Linkerd authenticates by allow-lists only (an identity
 * list with `*` wildcards, networks with `except`), so a denied caller can be removed only when it was
 * listed individually, never from inside a wildcard (a namespace, any identity, any caller).
 */
export function subtract(a: Callers, d: Callers): { result: Callers } | { reason: string } {
  if (d.anyone) return { result: NOBODY };
  let r = { ...a, sas: [...a.sas], namespaces: [...a.namespaces], ipBlocks: [...a.ipBlocks] };
  const wide = (what: string) => ({ reason: `the allowed callers include ${what}, and Linkerd cannot exclude callers from inside it` });
  if (d.authenticated) {
    if (r.anyone) return wide("unauthenticated clients as well (any caller)");
    if (r.ipBlocks.length) return wide(`the networks ${r.ipBlocks.join(", ")}, from which meshed clients may call`);
    r = { ...r, authenticated: false, sas: [], namespaces: [] };
  }
  for (const n of d.namespaces) {
    if (r.anyone) return wide("any caller");
    if (r.authenticated) return wide("every meshed identity (*)");
    if (r.ipBlocks.length) return wide(`the networks ${r.ipBlocks.join(", ")}, which may hold callers of namespace ${n}`);
    r.namespaces = r.namespaces.filter((x) => x !== n);
    r.sas = r.sas.filter((s) => s.split("/")[0] !== n);
  }
  for (const s of d.sas) {
    const ns = s.split("/")[0];
    if (r.anyone) return wide("any caller");
    if (r.authenticated) return wide("every meshed identity (*)");
    if (r.namespaces.includes(ns)) return wide(`the whole ${describeCallers({ ...NOBODY, namespaces: [ns] })}`);
    if (r.ipBlocks.length) return wide(`the networks ${r.ipBlocks.join(", ")}, which may hold ${s}`);
    r.sas = r.sas.filter((x) => x !== s);
  }
  for (const ip of d.ipBlocks) {
    if (r.anyone || r.authenticated || r.sas.length || r.namespaces.length) return wide("identities, which Linkerd does not tie to addresses");
    if (r.ipBlocks.some((x) => x !== ip)) return wide(`other networks (${r.ipBlocks.filter((x) => x !== ip).join(", ")}) that may contain ${ip}`);
    r.ipBlocks = r.ipBlocks.filter((x) => x !== ip);
  }
  return { result: normalize(r) };
}

/** A short description for messages. */
export function describeCallers(c: Callers): string {
  if (c.anyone) return "any caller";
  const parts = [
    ...(c.authenticated ? ["any meshed identity"] : []),
    ...c.sas.map((s) => {
      const q = qualified(s, "");
      return `service account ${q.rest}${q.td ? ` of trust domain ${q.td}` : ""}`;
    }),
    ...c.namespaces.map((n) => {
      const q = qualified(n, "");
      return `namespace ${q.rest}${q.td ? ` of trust domain ${q.td}` : ""}`;
    }),
    ...c.ipBlocks.map((ip) => `network ${ip}`),
  ];
  return parts.length ? parts.join(", ") : "nobody";
}

/** Linkerd's identity of a service account: `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`. */
export function linkerdIdentity(namespace: string, serviceAccount: string, trustDomain: string): string {
  return `${serviceAccount}.${namespace}.serviceaccount.identity.linkerd.${trustDomain}`;
}

const ALL_NETWORKS = [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }];

/**
 * The AuthorizationPolicies (and authentications) that let `callers` reach `target`. Objects are named
 * `<base>-<what>`; `strict` keeps unauthenticated clients out (any caller → any meshed identity; IP
 * blocks → IP blocks AND a meshed identity).
 */
export function authorizations(
  lc: LinkerdContext,
  ns: string,
  target: TargetRef,
  base: string,
  callers: Callers,
  strict: boolean,
  from: Iterable<Entry<any>>,
): KubeObject[] {
  const src = [...from];
  const out: KubeObject[] = [];
  let c = callers;
  if (c.anyone && strict) c = { ...NOBODY, authenticated: true };
  const policy = (name: string, refs: TargetRef[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1,
    kind: "AuthorizationPolicy",
    metadata: objectMeta(name, ns, src),
    spec: { requiredAuthenticationRefs: refs, targetRef: target }, // keys sorted: kept as they are by translate()
  });
  const meshTls = (name: string, identities: string[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1,
    kind: "MeshTLSAuthentication",
    metadata: objectMeta(name, ns, src),
    spec: { identities },
  });
  const network = (name: string, networks: { cidr: string }[]): KubeObject => ({
    apiVersion: POLICY_V1ALPHA1,
    kind: "NetworkAuthentication",
    metadata: objectMeta(name, ns, src),
    spec: { networks },
  });
  const ref = (kind: string, name: string): TargetRef => ({ group: "policy.linkerd.io", kind, name });
  if (c.anyone) {
    const name = dnsSubdomain(base, "any");
    out.push(network(name, ALL_NETWORKS), policy(name, [ref("NetworkAuthentication", name)]));
    return out;
  }
  const td = lc.model.trustDomain;
  const identities = c.authenticated
    ? ["*"]
    : [
        ...c.sas.map((s) => {
          const q = qualified(s, td);
          const [n, sa] = q.rest.split("/");
          return linkerdIdentity(n, sa, q.td);
        }),
        ...c.namespaces.map((n) => {
          const q = qualified(n, td);
          return `*.${q.rest}.serviceaccount.identity.linkerd.${q.td}`;
        }),
      ];
  if (identities.length) {
    const name = dnsSubdomain(base, "identities");
    out.push(meshTls(name, identities), policy(name, [ref("MeshTLSAuthentication", name)]));
  }
  if (c.ipBlocks.length) {
    const name = dnsSubdomain(base, "networks");
    const refs = [ref("NetworkAuthentication", name)];
    out.push(
      network(
        name,
        c.ipBlocks.map((cidr) => ({ cidr })),
      ),
    );
    if (strict) {
      const authn = dnsSubdomain(base, "authenticated");
      out.push(meshTls(authn, ["*"]));
      refs.push(ref("MeshTLSAuthentication", authn));
    }
    out.push(policy(name, refs));
  }
  return out;
}
