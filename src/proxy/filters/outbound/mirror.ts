/**
 * `mirror`: with the route's percentage, a copy of the request (a body read whole, or none) goes to the
 * mirror service with Host `<host>-shadow`; its answer is discarded and it never delays the request.
 */
import type { CallerState } from "../../context.js";
import { chance } from "../../features/faultInjection.js";
import type { HeaderMap } from "../../features/headers.js";
import { NEXT, type Step } from "../chain.js";
import { splitAuthority, type OutboundExchange } from "./exchange.js";

export function mirror(x: OutboundExchange): Step {
  const m = x.route!.mirror;
  if (!m || !(x.body === null || Buffer.isBuffer(x.body)) || !chance(m.percent)) return NEXT;
  const { ctx } = x;
  const svc = m.service;
  const sp = svc.portOf(m.port ?? x.view!.port.port);
  if (!sp) return NEXT;
  const state: CallerState = ctx.caller(x.key, x.caller.peer.label, m.settings ?? svc.destination, sp.protocol !== "http");
  const inst = state.balancer.pick(svc.endpoints(m.labels, sp.port), undefined);
  if (!inst?.bound) return NEXT;
  const cert = ctx.certs.peek(x.caller.spiffe);
  const pool = ctx.pools.get(
    {
      address: inst.bound.address,
      port: inst.bound.port,
      h2: sp.protocol !== "http",
      // In a virtual mesh the mirror's server must come from its trust domain's CA too, as the route's own hop.
      ...(inst.mode !== "disabled" && cert ? { tls: { cert, expectServer: svc.spiffe, checkIssuer: ctx.current.settings.member !== undefined } } : {}),
    },
    inst.bound,
  );
  const { host, port } = splitAuthority(String(x.headers.host ?? ""));
  const copy: HeaderMap = { ...x.headers, host: `${host}-shadow${port ? `:${port}` : ""}` };
  ctx.metrics.mirrored.inc([x.caller.peer.label, svc.key]);
  pool.dispatch(
    { path: x.upstreamPath, method: x.method, headers: copy as Record<string, string>, body: x.body },
    {
      onRequestStart() {},
      onResponseStart() {},
      onResponseData() {},
      onResponseEnd() {},
      onResponseError() {},
    },
  );
  return NEXT;
}
