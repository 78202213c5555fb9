/**
 * `service`: the destination service: the ingress's fixed destination, else the service the host names
 * for the caller's namespace (`reviews`, `reviews.bookinfo`, `reviews.bookinfo.svc.cluster.local`).
 * Answers nothing itself (a request for an unknown host is answered by `destination`, after the path
 * check, whose answer already names the service).
 */
import { NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function service(x: OutboundExchange): Step {
  const l = x.listener;
  const svc = l.kind === "ingress" && l.destination ? l.destination.service : x.ctx.current.resolveHost(x.host, x.caller.namespace);
  if (svc) x.service = svc;
  return NEXT;
}
