/**
 * An ORACLE of Istio's access decision at a sidecar, written from Istio's own documentation and NOT from
 * unimesh's code, for the differential test test/adapters/istio/access-differential.test.ts: it takes
 * the objects the Istio adapter generates (AuthorizationPolicy, PeerAuthentication, RequestAuthentication,
 * DestinationRule TLS settings) as plain objects and one request as the server-side Envoy sees it, and
 * says allow or deny. Pure functions: {@link istioAuthorize} (AuthorizationPolicy), {@link istioPeerMode}
 * (PeerAuthentication), {@link istioClientTls} (the caller's side), {@link istioRequestAuthentication} (JWT).
 *
 * Sources (istio/api at b8f8791, istio/istio.io content/en/docs):
 * - security/v1beta1/authorization_policy.proto (the reference page
 *   https://istio.io/latest/docs/reference/config/security/authorization-policy/);
 * - concepts/security/index.md, "Authorization" (https://istio.io/latest/docs/concepts/security/#authorization);
 * - reference/config/security/conditions (the `when` keys) and reference/config/security/normalization;
 * - security/v1beta1/peer_authentication.proto and request_authentication.proto (their reference pages);
 * - where the documentation leaves a point open, Istio's own code, cited where used (istio/istio
 *   pilot/pkg/security/authz/model/generator.go, pilot/pkg/model/push_context.go, the xds mtlsChecker).
 *
 * What the documentation says, and how it is implemented here (each rule cites its text):
 * 1. Scope. "metadata/namespace tells which namespace the policy applies. If set to root namespace, the
 *    policy applies to all namespaces in a mesh"; "The selector will match with workloads in the same
 *    namespace as the authorization policy. If the authorization policy is in the root namespace, the
 *    selector will additionally match with workloads in all namespaces"; "If the selector and the
 *    targetRef are not set, the selector will match all workloads". `targetRefs` policies apply to
 *    gateways/waypoints, never to a sidecar ("Waypoint proxies are required to use this field"): ignored.
 * 2. Order. "1. If there are any CUSTOM policies that match the request, evaluate and deny the request
 *    if the evaluation result is deny. 2. If there are any DENY policies that match the request, deny the
 *    request. 3. If there are no ALLOW policies for the workload, allow the request. 4. If any of the ALLOW
 *    policies match the request, allow the request. 5. Deny the request." AUDIT never decides. CUSTOM
 *    needs an external provider this oracle cannot know: a CUSTOM policy that matches throws.
 * 3. Policies. `rules`: "A match occurs when at least one rule matches the request. If not set, the match
 *    will never occur" (so an ALLOW policy without rules is allow-nothing and a DENY policy without rules
 *    denies nothing, while `rules: [{}]` matches everything: "An empty rule is always matched").
 * 4. Rule. "A match occurs when at least one source, one operation and all conditions matches the
 *    request"; `from` "If not set, any source is allowed", `to` "If not set, any operation is allowed",
 *    `when` "If not set, any condition is allowed". Fields of a Source / an Operation "are ANDed
 *    together"; a list "is one of"; a `not*` list is "a negative match": it holds when no entry matches.
 * 5. Value matching. "Any string field in the rule supports Exact, Prefix, Suffix and Presence match:
 *    `abc` will match on value `abc`; `abc*` will match on value `abc` and `abcd`; `*abc` will match on
 *    value `abc` and `xabc`; `*` will match when value is not empty". Exceptions: "the `key` field under
 *    the `when` section, the `ipBlocks` under the `source` section, the `ports` field under the `to`
 *    section" (exact only); ipBlocks are "Single IP (e.g. 203.0.113.4) and CIDR". Hosts: "The match is
 *    case-insensitive". An attribute the request does not have (no peer certificate: no principal, no
 *    namespace; a header not sent) has no value: a positive match fails and a negative one holds (the
 *    concept page: `notRequestPrincipals: ["*"]` matches "requests without request principals").
 * 6. Identity. `principals` "in the format of <TRUST_DOMAIN>/ns/<NAMESPACE>/sa/<SERVICE_ACCOUNT>" derived
 *    from the peer certificate (the SPIFFE ID without `spiffe://`), `namespaces` "derived from the peer
 *    certificate" (its `ns` segment); both require mTLS: a plaintext caller has neither.
 *    `serviceAccounts` "takes the format <namespace>/<serviceaccount>; <serviceaccount> may also be used
 *    to use the same namespace as the AuthorizationPolicy", exact only.
 * 6b. End users: `requestPrincipals` "in the format of <ISS>/<SUB>"; how wildcards meet the `/` is
 *    Istio's implementation's (see {@link requestPrincipalMatch}); `request.auth.claims[a][b]` as in rule 7;
 *    the token itself is validated by {@link istioRequestAuthentication}.
 * 7. Conditions (`when`): `request.headers[<name>]` (header names compared case-insensitively,
 *    normalization page; "Istio will merge duplicate headers to a single header by concatenating all
 *    values using comma"), `source.ip`, `remote.ip` (no trusted proxies: the peer address), `source.namespace`,
 *    `source.principal`, `request.auth.principal`, `request.auth.audiences`, `request.auth.presenter`,
 *    `request.auth.claims[a][b]` (nested claims; a claim that is a list matches when an element does;
 *    other types match nothing), `destination.port`. "Unsupported keys and values are silently ignored"
 *    (old conditions page): this oracle throws on those and on the keys it does not implement
 *    (`destination.ip`, `connection.sni`, `experimental.*`), so that a generator never relies on them
 *    unknowingly. A condition holds when the attribute matches one of
 *    `values` (if given) and none of `notValues` (if given).
 * 8. Operation. `ports`: "as specified in the connection" (`destination.port`: the recipient port on the
 *    server, i.e. the POD port, not the Service port: peer_authentication.proto says the same of
 *    portLevelMtls); `methods` "as specified in the HTTP request"; `paths` after normalization; `hosts`.
 *    Path templates `{*}` / `{**}` are not implemented: they throw.
 * 9. Path normalization (normalization page, default option BASE): "%00 ... will always be rejected with
 *    HTTP code 400"; %2d %2e %30-%39 %41-%5a %5f %61-%7a %7e are decoded ("only once, no double
 *    decoding"), %2f and %5c are NOT (DECODE_AND_MERGE_SLASHES only); "Istio will normalize the backslash
 *    \ to the forward slash /"; dot segments are resolved "according to RFC 3986"; multiple slashes are NOT
 *    merged under BASE; "Istio authorization policy will remove anything after the question mark (?) when
 *    comparing with the path". "Istio will reject requests with HTTP 400 if the verb in the HTTP request is
 *    not in upper case." (The callers give raw paths; {@link normalizePath} does this, for every option.)
 * 10. mTLS (PeerAuthentication): the most specific policy applies: a workload one (selector) over the
 *    namespace one over the root namespace one ("PeerAuthentication policies with workload selectors are
 *    ignored when deployed in the root namespace"); `portLevelMtls` keys are "the port of the workload,
 *    not the port of the Kubernetes service"; mode UNSET inherits; nothing at all is PERMISSIVE. STRICT
 *    refuses plaintext; DISABLE takes plaintext only (a TLS handshake fails there); PERMISSIVE takes both.
 * 11. Client side: whether the caller's sidecar sends mutual TLS, {@link istioClientTls} (DestinationRule
 *    TLS settings, else auto mTLS). The request has a peer identity exactly when it came over mutual TLS.
 */

import { type JsonWebKey as Jwk, createPublicKey, verify as cryptoVerify } from "node:crypto";
import { inCidr } from "./cidr.js";

/** An AuthorizationPolicy as parsed YAML (only what the oracle reads). */
export interface AuthorizationPolicy {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    targetRef?: unknown;
    targetRefs?: unknown[];
    action?: "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";
    provider?: { name: string };
    rules?: Rule[];
  };
}

interface Rule {
  from?: { source?: Source }[];
  to?: { operation?: Operation }[];
  when?: { key: string; values?: string[]; notValues?: string[] }[];
}

interface Source {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
}

interface Operation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

/** One request as the destination's sidecar sees it. */
export interface SidecarRequest {
  /** The workload (pod) receiving it: its namespace and labels. */
  workload: { namespace: string; labels: Record<string, string> };
  /** The port of the connection at the pod (a Service port's targetPort). */
  port: number;
  /** The peer: its certificate's SPIFFE ID when it came over mutual TLS, and its address. */
  peer: { spiffe?: string; ip: string };
  method: string;
  /** The path as sent, with an optional query string (normalized here as BASE does). */
  path: string;
  /** :authority */
  host: string;
  /** Request headers (any case; one value each). */
  headers: Record<string, string>;
  /** The validated end-user token (RequestAuthentication), if any: its claims. */
  jwt?: Record<string, unknown>;
}

export interface OracleDecision {
  allowed: boolean;
  /** HTTP status of a refusal by the proxy (400 for a path BASE rejects, 403 by policy), absent when allowed. */
  status?: number;
  reason: string;
}

export interface OracleOptions {
  /** Istio's root namespace (meshConfig.rootNamespace), default istio-system. */
  rootNamespace?: string;
  /** meshConfig.pathNormalization.normalization, default BASE (rule 9). */
  pathNormalization?: PathNormalization;
}

export type PathNormalization = "NONE" | "BASE" | "MERGE_SLASHES" | "DECODE_AND_MERGE_SLASHES";

/** Decides one request against the AuthorizationPolicies of the mesh (other kinds are ignored). */
export function istioAuthorize(objects: readonly { kind: string }[], req: SidecarRequest, opts: OracleOptions = {}): OracleDecision {
  if (req.method !== req.method.toUpperCase()) return { allowed: false, status: 400, reason: "method not in upper case" };
  const np = normalizePath(req.path, opts.pathNormalization ?? "BASE");
  if (np === undefined) return { allowed: false, status: 400, reason: "path rejected by normalization (%00)" };
  const root = opts.rootNamespace ?? "istio-system";
  const applicable = (objects as AuthorizationPolicy[]).filter((p) => p.kind === "AuthorizationPolicy" && applies(p, req.workload, root));
  const ctx = new Ctx(req, np);
  const action = (p: AuthorizationPolicy) => p.spec?.action ?? "ALLOW";
  const matches = (p: AuthorizationPolicy) => (p.spec?.rules ?? []).some((r) => ruleMatches(r, ctx, p.metadata.namespace ?? "default"));
  for (const p of applicable.filter((x) => action(x) === "CUSTOM")) {
    if (matches(p)) throw new Error(`oracle: CUSTOM policy ${p.metadata.name} matches: its provider's decision is unknown`);
  }
  const deny = applicable.find((p) => action(p) === "DENY" && matches(p));
  if (deny) return { allowed: false, status: 403, reason: `DENY policy ${deny.metadata.namespace}/${deny.metadata.name} matches` };
  const allows = applicable.filter((p) => action(p) === "ALLOW");
  if (!allows.length) return { allowed: true, reason: "no ALLOW policy for the workload" };
  const allow = allows.find(matches);
  if (allow) return { allowed: true, reason: `ALLOW policy ${allow.metadata.namespace}/${allow.metadata.name} matches` };
  return {
    allowed: false,
    status: 403,
    reason: `no ALLOW policy matches (${allows.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ")})`,
  };
}

/** Whether a policy applies to a workload (rule 1). */
function applies(p: AuthorizationPolicy, w: SidecarRequest["workload"], root: string): boolean {
  const ns = p.metadata.namespace ?? "default";
  if (ns !== root && ns !== w.namespace) return false;
  if (p.spec?.targetRef || p.spec?.targetRefs?.length) return false;
  const labels = p.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels).every(([k, v]) => w.labels[k] === v);
}

/** The request's attributes, computed once. */
class Ctx {
  readonly principal?: string;
  readonly namespace?: string;
  readonly trustDomain?: string;
  readonly serviceAccount?: string;
  readonly headers = new Map<string, string>();
  constructor(
    readonly req: SidecarRequest,
    readonly path: string,
  ) {
    if (req.peer.spiffe) {
      const id = req.peer.spiffe.replace(/^spiffe:\/\//, "");
      this.principal = id;
      const m = /^([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
      if (m) {
        this.trustDomain = m[1];
        this.namespace = m[2];
        this.serviceAccount = `${m[2]}/${m[3]}`;
      }
    }
    for (const [k, v] of Object.entries(req.headers)) {
      const n = k.toLowerCase();
      const prev = this.headers.get(n);
      this.headers.set(n, prev === undefined ? v : `${prev},${v}`);
    }
  }
  get requestPrincipal(): string | undefined {
    const j = this.req.jwt;
    return j && typeof j.iss === "string" && typeof j.sub === "string" ? `${j.iss}/${j.sub}` : undefined;
  }
}

function ruleMatches(r: Rule, c: Ctx, policyNs: string): boolean {
  const from = r.from ?? [];
  const to = r.to ?? [];
  if (from.length && !from.some((f) => sourceMatches(f.source ?? {}, c, policyNs))) return false;
  if (to.length && !to.some((t) => operationMatches(t.operation ?? {}, c))) return false;
  return (r.when ?? []).every((w) => conditionMatches(w, c));
}

/** `field` given: some entry matches; `notField` given: no entry matches; absent: no constraint. */
function both(pos: string[] | undefined, neg: string[] | undefined, one: (pattern: string) => boolean): boolean {
  if (pos !== undefined && !pos.some(one)) return false;
  if (neg !== undefined && neg.some(one)) return false;
  return true;
}

/** Exact, prefix `abc*`, suffix `*abc`, presence `*` (rule 5); a missing value matches nothing. */
export function stringMatch(pattern: string, value: string | undefined, caseInsensitive = false): boolean {
  if (value === undefined) return false;
  if (caseInsensitive) {
    pattern = pattern.toLowerCase();
    value = value.toLowerCase();
  }
  if (pattern === "*") return value !== "";
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

function sourceMatches(s: Source, c: Ctx, policyNs: string): boolean {
  const ip = c.req.peer.ip;
  const sa = (x: string) => (x.includes("/") ? x : `${policyNs}/${x}`) === c.serviceAccount;
  return (
    both(s.principals, s.notPrincipals, (p) => stringMatch(p, c.principal)) &&
    both(s.namespaces, s.notNamespaces, (p) => stringMatch(p, c.namespace)) &&
    both(s.trustDomains, s.notTrustDomains, (p) => stringMatch(p, c.trustDomain)) &&
    both(s.serviceAccounts, s.notServiceAccounts, sa) &&
    both(s.requestPrincipals, s.notRequestPrincipals, (p) => requestPrincipalMatch(p, c.req.jwt)) &&
    both(s.ipBlocks, s.notIpBlocks, (b) => inCidr(ip, b)) &&
    both(s.remoteIpBlocks, s.notRemoteIpBlocks, (b) => inCidr(ip, b))
  );
}

/**
 * A `requestPrincipals` entry against a validated token (rule 6b). The reference page calls the value
 * `<ISS>/<SUB>` and gives the usual exact/prefix/suffix/presence matching, which leaves open how a `*`
 * combines with the `/`. Istio matches the token's `iss` and `sub` claims separately, splitting the entry
 * at its LAST `/` ("issuer may be an URL": istio/istio pilot/pkg/security/authz/model/generator.go,
 * requestPrincipalGenerator.extendedPrincipal): `*` any non-empty iss and sub; a leading `*` with a `/`:
 * iss `*` (any) or suffix, sub exact; without `/`: any iss, sub suffix; a trailing `*` with a `/`: iss
 * exact, sub `*` (any) or prefix; without `/`: iss prefix, any sub; else both exact. So `https://idp*` is
 * iss `https:/` and sub prefix `idp`, not "issuers starting with https://idp".
 */
export function requestPrincipalMatch(entry: string, jwt: Record<string, unknown> | undefined): boolean {
  if (!jwt) return false;
  const iss = typeof jwt.iss === "string" ? jwt.iss : undefined;
  const sub = typeof jwt.sub === "string" ? jwt.sub : undefined;
  const idx = entry.lastIndexOf("/");
  const found = idx >= 0;
  const ei = found ? entry.slice(0, idx) : entry;
  const es = found ? entry.slice(idx + 1) : "";
  const any = (v: string | undefined) => v !== undefined && v !== "";
  const exact = (p: string) => (v: string | undefined) => v === p;
  const prefix = (p: string) => (v: string | undefined) => v !== undefined && v.startsWith(p);
  const suffix = (p: string) => (v: string | undefined) => v !== undefined && v.endsWith(p);
  let mi: (v: string | undefined) => boolean;
  let ms: (v: string | undefined) => boolean;
  if (entry === "*") [mi, ms] = [any, any];
  else if (entry.startsWith("*")) [mi, ms] = found ? [ei === "*" ? any : suffix(ei.slice(1)), exact(es)] : [any, suffix(entry.slice(1))];
  else if (entry.endsWith("*")) [mi, ms] = found ? [exact(ei), es === "*" ? any : prefix(es.slice(0, -1))] : [prefix(entry.slice(0, -1)), any];
  else [mi, ms] = [exact(ei), exact(es)];
  return mi(iss) && ms(sub);
}

function operationMatches(o: Operation, c: Ctx): boolean {
  for (const p of [...(o.paths ?? []), ...(o.notPaths ?? [])]) {
    if (/\{\*\*?\}/.test(p)) throw new Error(`oracle: path templates are not implemented (${p})`);
  }
  return (
    both(o.hosts, o.notHosts, (h) => stringMatch(h, c.req.host, true)) &&
    both(o.ports, o.notPorts, (p) => p === String(c.req.port)) &&
    both(o.methods, o.notMethods, (m) => stringMatch(m, c.req.method)) &&
    both(o.paths, o.notPaths, (p) => stringMatch(p, c.path))
  );
}

function conditionMatches(w: { key: string; values?: string[]; notValues?: string[] }, c: Ctx): boolean {
  if (!w.values?.length && !w.notValues?.length) throw new Error(`oracle: condition ${w.key} without values or notValues`);
  const one = (attr: (v: string) => boolean) => both(w.values, w.notValues, attr);
  const header = /^request\.headers\[(.+)\]$/.exec(w.key);
  if (header) return one((v) => stringMatch(v, c.headers.get(header[1].toLowerCase())));
  const claim = /^request\.auth\.claims((?:\[[^\]]+\])+)$/.exec(w.key);
  if (claim) {
    const path = [...claim[1].matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
    let v: unknown = c.req.jwt;
    for (const k of path) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    const values = typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    return one((p) => values.some((x) => stringMatch(p, x)));
  }
  const j = c.req.jwt;
  switch (w.key) {
    case "source.ip":
    case "remote.ip":
      return one((b) => inCidr(c.req.peer.ip, b));
    case "source.namespace":
      return one((p) => stringMatch(p, c.namespace));
    case "source.principal":
      return one((p) => stringMatch(p, c.principal));
    case "request.auth.principal":
      return one((p) => stringMatch(p, c.requestPrincipal));
    case "request.auth.audiences": {
      const aud = j?.aud;
      const list = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((x): x is string => typeof x === "string") : [];
      return one((p) => list.some((x) => stringMatch(p, x)));
    }
    case "request.auth.presenter":
      return one((p) => stringMatch(p, typeof j?.azp === "string" ? j.azp : undefined));
    case "destination.port":
      return one((p) => p === String(c.req.port));
    default:
      throw new Error(`oracle: condition key ${w.key} is not implemented`);
  }
}

/**
 * The path Istio's authorization compares (rule 9): the query removed; with BASE (and the options
 * above it) unreserved %-escapes decoded once, `\` read as `/`, dot segments resolved, `//` and
 * %2F / %5C kept; MERGE_SLASHES also merges slashes; DECODE_AND_MERGE_SLASHES also decodes %2F and %5C
 * first. Undefined when the request is rejected (%00).
 */
export function normalizePath(raw: string, mode: PathNormalization = "BASE"): string | undefined {
  const q = raw.indexOf("?");
  let p = q < 0 ? raw : raw.slice(0, q);
  if (/%00/.test(p)) return undefined;
  if (mode === "NONE") return p;
  const decoded = mode === "DECODE_AND_MERGE_SLASHES" ? /[-.0-9A-Za-z_~/\\]/ : /[-.0-9A-Za-z_~]/;
  p = p.replace(/%([0-9a-fA-F]{2})/g, (all, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return decoded.test(ch) ? ch : all;
  });
  p = removeDotSegments(p.replace(/\\/g, "/"));
  return mode === "BASE" ? p : p.replace(/\/{2,}/g, "/");
}

/** RFC 3986 section 5.2.4. */
function removeDotSegments(input: string): string {
  let inp = input;
  let out = "";
  while (inp.length) {
    if (inp.startsWith("../")) inp = inp.slice(3);
    else if (inp.startsWith("./")) inp = inp.slice(2);
    else if (inp.startsWith("/./")) inp = inp.slice(2);
    else if (inp === "/.") inp = "/";
    else if (inp.startsWith("/../")) {
      inp = inp.slice(3);
      out = out.slice(0, Math.max(0, out.lastIndexOf("/")));
    } else if (inp === "/..") {
      inp = "/";
      out = out.slice(0, Math.max(0, out.lastIndexOf("/")));
    } else if (inp === "." || inp === "..") inp = "";
    else {
      const next = inp.indexOf("/", inp.startsWith("/") ? 1 : 0);
      const seg = next < 0 ? inp : inp.slice(0, next);
      out += seg;
      inp = next < 0 ? "" : inp.slice(next);
    }
  }
  return out;
}

/** A PeerAuthentication as parsed YAML. */
export interface PeerAuthentication {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: "UNSET" | "STRICT" | "PERMISSIVE" | "DISABLE" };
    portLevelMtls?: Record<string, { mode?: "UNSET" | "STRICT" | "PERMISSIVE" | "DISABLE" }>;
  };
}

/** The mTLS mode a workload's sidecar enforces on a pod port (rule 10). */
export function istioPeerMode(
  objects: readonly { kind: string }[],
  workload: SidecarRequest["workload"],
  port: number,
  opts: OracleOptions = {},
): "STRICT" | "PERMISSIVE" | "DISABLE" {
  const root = opts.rootNamespace ?? "istio-system";
  const pas = (objects as PeerAuthentication[]).filter((p) => p.kind === "PeerAuthentication");
  const selects = (p: PeerAuthentication) => Object.entries(p.spec!.selector!.matchLabels ?? {}).every(([k, v]) => workload.labels[k] === v);
  const ns = (p: PeerAuthentication) => p.metadata.namespace ?? "default";
  const workloadLevel = pas.filter((p) => ns(p) === workload.namespace && ns(p) !== root && p.spec?.selector && selects(p));
  const nsLevel = pas.filter((p) => ns(p) === workload.namespace && !p.spec?.selector);
  const rootLevel = pas.filter((p) => ns(p) === root && !p.spec?.selector);
  if (nsLevel.length > 1 || rootLevel.length > 1) throw new Error("oracle: several namespace- or mesh-wide PeerAuthentications");
  const modeWith = (w: PeerAuthentication | undefined) => {
    const chain: (string | undefined)[] = [];
    if (w) chain.push(w.spec?.portLevelMtls?.[String(port)]?.mode, w.spec?.mtls?.mode);
    chain.push(nsLevel[0]?.spec?.mtls?.mode, rootLevel[0]?.spec?.mtls?.mode);
    for (const m of chain) if (m && m !== "UNSET") return m as "STRICT" | "PERMISSIVE" | "DISABLE";
    return "PERMISSIVE";
  };
  // Several workload policies selecting one workload: Istio takes the oldest (the reference page of
  // PeerAuthentication); creation times are not in the objects, so they must agree on this port.
  const modes = new Set(workloadLevel.length ? workloadLevel.map(modeWith) : [modeWith(undefined)]);
  if (modes.size > 1)
    throw new Error(`oracle: ${workloadLevel.length} workload PeerAuthentications select the workload with different modes on port ${port} (the oldest wins)`);
  return [...modes][0];
}

/** A RequestAuthentication as parsed YAML. */
export interface RequestAuthentication {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    targetRef?: unknown;
    targetRefs?: unknown[];
    jwtRules?: JwtRule[];
  };
}

interface JwtRule {
  issuer: string;
  audiences?: string[];
  jwks?: string;
  jwksUri?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  spaceDelimitedClaims?: string[];
}

/**
 * Request authentication at a sidecar (request_authentication.proto): "It will reject a request if the
 * request contains invalid authentication information ... A request that does not contain any
 * authentication credentials will be accepted but will not have any authenticated identity." The
 * RequestAuthentications that apply are chosen as AuthorizationPolicies are (rule 1); their `jwtRules` add
 * up. A token is looked for where the rules say (`fromHeaders`, `fromParams`; default the `Authorization`
 * header with prefix `Bearer ` and the `access_token` query parameter). A token found is invalid (401)
 * when: it is not a JWT; no rule has its `iss` ("A JWT with different `iss` claim will be rejected") or
 * reads the place it was found; `audiences` are given and its `aud` has none of them ("A JWT containing
 * any of these audiences will be accepted"); its signature does not verify with the rule's inline `jwks`
 * (RS256/384/512 and ES256 keys, by `kid` when the token names one; a rule with `jwksUri` cannot be checked
 * here: throws); it has expired or is not yet valid (`exp`, `nbf`, Envoy's default 60 s clock skew, at
 * `now`). A valid token's claims are what `request.auth.claims` match, with `scope`, `permission` and the
 * rule's `spaceDelimitedClaims` (top level) split at spaces ("The default claims 'scope' and 'permission'
 * are always treated as space-delimited"). Several tokens in one request: "the output principal of such
 * requests is undefined": throws.
 */
export function istioRequestAuthentication(
  objects: readonly { kind: string }[],
  workload: SidecarRequest["workload"],
  request: { path: string; headers: Record<string, string> },
  opts: OracleOptions & { now?: number } = {},
): { status: 401; reason: string } | { jwt?: Record<string, unknown> } {
  const root = opts.rootNamespace ?? "istio-system";
  const ras = (objects as RequestAuthentication[]).filter(
    (p) => p.kind === "RequestAuthentication" && applies(p as unknown as AuthorizationPolicy, workload, root),
  );
  const rules = ras.flatMap((r) => r.spec?.jwtRules ?? []);
  if (!rules.length) return {};
  const headers = new Map(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const q = request.path.indexOf("?");
  const params = new URLSearchParams(q < 0 ? "" : request.path.slice(q + 1));
  // A location as text: `header <name> <prefix>` or `param <name>`.
  const locations = (r: JwtRule): string[] =>
    !r.fromHeaders && !r.fromParams
      ? ["header authorization Bearer ", "param access_token"]
      : [...(r.fromHeaders ?? []).map((h) => `header ${h.name.toLowerCase()} ${h.prefix ?? ""}`), ...(r.fromParams ?? []).map((p) => `param ${p}`)];
  const found: { token: string; where: string }[] = [];
  for (const where of new Set(rules.flatMap(locations))) {
    const [kind, name] = where.split(" ", 2);
    const prefix = where.slice(kind.length + name.length + 2);
    let token: string | undefined;
    if (kind === "header") {
      const v = headers.get(name);
      if (v !== undefined && v.startsWith(prefix)) token = v.slice(prefix.length);
    } else token = params.get(name) ?? undefined;
    if (token !== undefined && !found.some((f) => f.token === token)) found.push({ token, where });
  }
  if (!found.length) return {};
  if (found.length > 1) throw new Error("oracle: several tokens in one request (Istio: principal undefined)");
  const { token, where } = found[0];
  const parts = token.split(".");
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    return { status: 401, reason: "not a JWT" };
  }
  if (parts.length !== 3 || typeof payload !== "object" || payload === null) return { status: 401, reason: "not a JWT" };
  const rule = rules.find((r) => r.issuer === payload.iss && locations(r).includes(where));
  if (!rule) return { status: 401, reason: `no jwtRule for issuer ${String(payload.iss)} at ${where}` };
  if (rule.audiences?.length) {
    const aud = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    if (!aud.some((a) => rule.audiences!.includes(a as string))) return { status: 401, reason: "audience not accepted" };
  }
  if (rule.jwks === undefined) throw new Error(`oracle: cannot check the signature of ${rule.issuer} (jwksUri)`);
  if (!verifySignature(header, `${parts[0]}.${parts[1]}`, parts[2], rule.jwks)) return { status: 401, reason: "bad signature" };
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (typeof payload.exp === "number" && now > payload.exp + 60) return { status: 401, reason: "expired" };
  if (typeof payload.nbf === "number" && now < payload.nbf - 60) return { status: 401, reason: "not yet valid" };
  const claims: Record<string, unknown> = { ...payload };
  for (const name of new Set(["scope", "permission", ...(rule.spaceDelimitedClaims ?? [])])) {
    const v = claims[name];
    if (typeof v === "string") claims[name] = v.split(" ").filter((x) => x !== "");
  }
  return { jwt: claims };
}

function verifySignature(header: Record<string, unknown>, signed: string, signature: string, jwks: string): boolean {
  const alg = header.alg;
  const hash = { RS256: "sha256", RS384: "sha384", RS512: "sha512", ES256: "sha256" }[String(alg)];
  if (!hash) return false;
  const keys = (JSON.parse(jwks) as { keys: (Jwk & { kid?: string })[] }).keys.filter((k) => header.kid === undefined || k.kid === header.kid);
  return keys.some((k) => {
    try {
      const key = createPublicKey({ key: k, format: "jwk" });
      return cryptoVerify(hash, Buffer.from(signed), alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" } : key, Buffer.from(signature, "base64url"));
    } catch {
      return false;
    }
  });
}

/** A DestinationRule as parsed YAML (only its TLS settings). */
export interface DestinationRule {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: {
    host: string;
    trafficPolicy?: { tls?: { mode?: string }; portLevelSettings?: { port?: { number?: number }; tls?: { mode?: string } }[] };
    subsets?: unknown[];
  };
}

/**
 * Whether a caller's sidecar sends mutual TLS to an endpoint of a Service port (rule 11): the
 * DestinationRule of the host decides when it sets `tls` (the port's `portLevelSettings[].tls`, else
 * `trafficPolicy.tls`): DISABLE is plaintext, ISTIO_MUTUAL mutual TLS. Without one, auto mTLS: "Istio
 * automatically upgrades all traffic between two PEPs to mutual TLS. If authentication policies disable
 * mutual TLS mode, Istio continues to use plain text between PEPs" (concepts/security, "Authentication
 * architecture"): plaintext when the PeerAuthentication of the endpoint's workload disables mTLS on its
 * port, at any level (istio/istio pilot/pkg/xds/endpoints mtlsChecker: "PeerAuthentication disabling mTLS
 * at any applicable level (mesh, ns, workload, port)"). The DestinationRule is the one whose `host` is
 * the Service's FQDN, or its short name in the Service's namespace; other TLS modes throw. Auto mTLS
 * also sends plaintext to every endpoint of a Service whose namespace's (else the mesh's) PeerAuthentication
 * is DISABLE: istiod infers the Service's mode from those alone (pilot/pkg/model/push_context.go,
 * BestEffortInferServiceMTLSMode) and builds no TLS for it at all then (cluster_tls.go,
 * buildAutoMtlsSettings); that is why a DestinationRule must say ISTIO_MUTUAL for a stricter service there.
 */
export function istioClientTls(
  objects: readonly { kind: string }[],
  service: { name: string; namespace: string; port: number },
  endpoint: { workload: SidecarRequest["workload"]; port: number },
  opts: OracleOptions = {},
): "ISTIO_MUTUAL" | "DISABLE" {
  const fqdn = `${service.name}.${service.namespace}.svc.cluster.local`;
  const drs = (objects as DestinationRule[]).filter(
    (d) =>
      d.kind === "DestinationRule" && (d.spec?.host === fqdn || (d.spec?.host === service.name && (d.metadata.namespace ?? "default") === service.namespace)),
  );
  if (drs.length > 1) throw new Error(`oracle: ${drs.length} DestinationRules for ${fqdn}`);
  const tp = drs[0]?.spec?.trafficPolicy;
  const mode = tp?.portLevelSettings?.find((p) => p.port?.number === service.port)?.tls?.mode ?? tp?.tls?.mode;
  if (mode === "DISABLE" || mode === "ISTIO_MUTUAL") return mode;
  if (mode !== undefined) throw new Error(`oracle: DestinationRule tls mode ${mode} is not implemented`);
  // Auto mTLS, first for the whole Service from the namespace-wide PeerAuthentication of its namespace,
  // else the mesh-wide one ("BestEffortInferServiceMTLSMode ... uses only mesh and namespace level
  // PeerAuthentication and ignore workload & port level policies"): DISABLE there is plaintext to every
  // endpoint; then per endpoint, its own PeerAuthentication at any level.
  const root = opts.rootNamespace ?? "istio-system";
  const wide = (ns: string) =>
    (objects as PeerAuthentication[]).find((p) => p.kind === "PeerAuthentication" && (p.metadata.namespace ?? "default") === ns && !p.spec?.selector)?.spec
      ?.mtls?.mode;
  const nsMode = [wide(service.namespace), wide(root)].find((m) => m !== undefined && m !== "UNSET");
  if (nsMode === "DISABLE") return "DISABLE";
  return istioPeerMode(objects, endpoint.workload, endpoint.port, opts) === "DISABLE" ? "DISABLE" : "ISTIO_MUTUAL";
}
