/**
 * `destination`: the view of the service port the request is for (compiled once per configuration:
 * the port's routes, its protocol, each target's settings and instances). An ingress with a fixed
 * destination ignores the Host's port (it is the ingress's own). 502 for an unknown service or port.
 */
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function destination(x: OutboundExchange): Step {
  const svc = x.service;
  if (!svc) {
    localReply(x.req, x.res, 502, `unimesh: no service "${x.host}" in the registry`, { flag: "NR" });
    x.record(502, ["NR"]);
    return DONE;
  }
  const l = x.listener;
  const sp = svc.portOf(l.kind === "ingress" && l.destination ? l.destination.port : x.hostPort);
  const view = sp && svc.views.get(sp.port);
  if (!view) {
    localReply(x.req, x.res, 502, `unimesh: ${svc.key} has no port ${x.hostPort}`, { flag: "NR" });
    x.record(502, ["NR"]);
    return DONE;
  }
  x.view = view;
  return NEXT;
}
