/**
 * `access`: the destination's access rules (every scope: its own AccessPolicies, the namespace's and
 * the mesh's) decide on the caller's verified identity, the request and its end user; deny by default
 * once any rule selects the destination (403). The decision is decide.ts `decideAccess` (what `unimesh
 * explain` shows); the refusal is shared with the in-process hop (upstream/inline.ts).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { RtInstance } from "../../config/compile.js";
import type { ProxyContext } from "../../context.js";
import type { RequestUser } from "../../features/requestAuthentication.js";
import type { Peer } from "../../features/trafficSource.js";
import { decideAccess, type AccessQuery, type Refusal } from "../../decide.js";
import { appRequestHeaders } from "../../net/http.js";
import { NEXT, type Step } from "../chain.js";
import { refuse, type InboundExchange } from "./exchange.js";

/** The refusal of a request access control denies (counted), or undefined when it may pass. */
export function accessRefusal(
  ctx: ProxyContext,
  inst: RtInstance,
  peer: Peer,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  user?: RequestUser,
): Refusal | undefined {
  const svc = inst.service;
  const q: AccessQuery = { peer, method, path, headers, servicePort: inst.servicePort, servicePorts: svc.ports, instancePort: inst.port };
  if (user) q.user = user;
  const d = decideAccess(svc.destination, q);
  if (!d || d.allowed) return undefined;
  ctx.metrics.denied.inc([peer.label, svc.key, d.policy ?? ""]);
  return { status: 403, body: "RBAC: access denied", flag: "RBAC" };
}

/** The filter: 403 for a request the rules deny. */
export function access(x: InboundExchange): Step {
  // Decided on the headers as the app receives them (net/http.ts appRequestHeaders).
  const headers = appRequestHeaders(x.req.headers, x.authority, x.instance.service.spiffe, x.peer.spiffe);
  const r = accessRefusal(x.ctx, x.instance, x.peer, x.method, x.path, headers, x.authenticated.user);
  return r ? refuse(x, r) : NEXT;
}
