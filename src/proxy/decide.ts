/**
 * The proxy's decisions about one request, as pure functions of the compiled configuration: which route
 * of a destination's table it takes (on the caller's outbound listener), the mTLS mode of the
 * destination's port, who the destination's inbound listener sees calling, and the access decision
 * there. The request handlers (`outbound.ts`, `inbound.ts`) call these, and so does `unimesh explain`
 * (src/inspect/explain.ts): one implementation of the semantics, so the two cannot disagree.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Mode } from "../api/generated/proxyConfig.js";
import type { CompiledConfig, RtDestination, RtInstance, RtPort, RtRoute, RtService, RtTarget } from "./config/compile.js";
import { forwardableRequestHeaders } from "./net/http.js";
import { applyHeaderOps, type HeaderMap } from "./features/headers.js";
import { rewritePath } from "./features/rewrite.js";
import type { AccessDecision, AccessRequest } from "./features/access.js";
import type { RequestView } from "./features/match.js";
import { portNames } from "./features/ports.js";
import { resolveMode } from "./features/mtls.js";
import type { Peer } from "./features/trafficSource.js";
import { type RequestUser, withoutParams } from "./features/requestAuthentication.js";

/**
 * The route a request takes: the first route of the destination's table (already in the model's
 * effective order) for its Service `port` (or for every port) whose `source` admits the caller and whose
 * `match` holds; undefined when none does (the proxy answers 404, flag NR).
 */
export function selectRoute(dest: RtDestination, port: number, caller: Peer, view: RequestView): RtRoute | undefined {
  for (const r of dest.routes) {
    if ((r.port === undefined || r.port === port) && r.source(caller) && r.match(view)) return r;
  }
  return undefined;
}

/**
 * What the caller's proxy sends to a target of a forwarding route: the request headers without hop-by-hop
 * ones, `host` (the route's rewritten authority, else the request's), an `x-request-id` (from `requestId`
 * when the request has none), `x-forwarded-proto`, then the route's header changes and the target's; and
 * the path (rewritten by the route, with the query string). `t.path` is the normalized path.
 */
export function upstreamRequest(
  route: RtRoute,
  tgt: RtTarget,
  t: { authority: string; path: string; query: string },
  incoming: IncomingHttpHeaders,
  requestId: () => string,
): { headers: HeaderMap; path: string } {
  const headers = forwardableRequestHeaders(incoming);
  headers.host = route.rewrite?.authority ?? t.authority;
  if (headers["x-request-id"] === undefined) headers["x-request-id"] = requestId();
  headers["x-forwarded-proto"] ??= "http";
  applyHeaderOps(headers, route.requestHeaders);
  applyHeaderOps(headers, tgt.requestHeaders);
  return { headers, path: rewritePath(t.path, t.query, route.rewrite) };
}

/**
 * The mTLS mode of a Service port of a service (`strict`, `permissive`, `disabled`): its MTLSPolicy's
 * per-port override (Service or target port), its mode, its namespace's, else the configuration's
 * default (`spec.defaultMtlsMode`, permissive). What the inbound listeners of its instances enforce.
 */
export function portMode(cfg: Pick<CompiledConfig, "source">, svc: RtService, sp: RtPort): Mode {
  return resolveMode(svc.mtls, svc.namespaceMode, cfg.source.spec.defaultMtlsMode ?? "permissive", portNames(svc.ports, sp));
}

/**
 * Who a destination's inbound listener sees calling when `caller` sends through its outbound listener:
 * the caller's identity over mutual TLS, or no identity (only its address) when the destination's mode is
 * `disabled` (the caller's proxy then sends plaintext). Pod labels never cross the hop.
 */
export function peerAtDestination(caller: Peer, mode: Mode): Peer {
  if (mode === "disabled" || !caller.spiffe) return { label: "unknown", address: caller.address };
  return {
    spiffe: caller.spiffe,
    ...(caller.trustDomain !== undefined ? { trustDomain: caller.trustDomain } : {}),
    ...(caller.namespace !== undefined ? { namespace: caller.namespace } : {}),
    label: caller.label,
    address: caller.address,
  };
}

/** What the access decision of a destination looks at (see {@link decideAccess}). */
export interface AccessQuery {
  peer: Peer;
  method: string;
  /** The normalized path, without the query string. */
  path: string;
  headers: IncomingHttpHeaders;
  servicePort: RtPort;
  /** Every Service port of the destination service (a rule's port that is one of them names that port only). */
  servicePorts: readonly RtPort[];
  /** The port the instance's app listens on (a rule's `ports` may name it); the target port when unknown. */
  instancePort?: number;
  /** The end user of a valid token (requestAuthentication); absent without one. */
  user?: RequestUser;
}

/**
 * The access decision of a destination's inbound listener: deny rules first, then allow rules, else the
 * default deny; `undefined` when no AccessPolicy selects the destination (every request passes).
 */
export function decideAccess(dest: RtDestination, q: AccessQuery): AccessDecision | undefined {
  if (!dest.access) return undefined;
  const sp = q.servicePort;
  const r: AccessRequest = {
    peer: q.peer,
    method: q.method,
    path: q.path,
    headers: q.headers,
    ports: portNames(q.servicePorts, sp, q.instancePort),
    servicePort: sp.port,
  };
  if (q.user) r.user = q.user;
  return dest.access(r);
}

/** Why an inbound request is refused. */
export interface Refusal {
  status: number;
  body: string;
  flag: string;
  headers?: Record<string, string>;
}

/** What request authentication left of a request: its end user, and the token locations to remove. */
export interface Authenticated {
  user?: RequestUser;
  removeHeaders: string[];
  /** The query string without the token parameters (as received when none is removed). */
  query: string;
}

/**
 * Request authentication (the destination's RequestAuthentication, before access control): the end
 * user of a valid token, or a 401 refusal for a token that is not valid. A request without a token
 * passes with no user. `query` is the query string without its `?`.
 */
export async function authenticate(
  inst: Pick<RtInstance, "service">,
  method: string,
  path: string,
  authority: string,
  headers: IncomingHttpHeaders,
  query: string,
): Promise<Authenticated | Refusal> {
  const auth = inst.service.destination.authenticator;
  if (!auth) return { removeHeaders: [], query };
  const a = await auth.authenticate(method, headers, query);
  if (!a.ok) {
    const realm = `http://${authority}${path}`.replace(/["\\]/g, "");
    return { status: 401, body: a.body, flag: "UAEX", headers: { "www-authenticate": `Bearer realm="${realm}", error="invalid_token"` } };
  }
  return { ...(a.user ? { user: a.user } : {}), removeHeaders: a.removeHeaders, query: withoutParams(query, a.removeParams) };
}
