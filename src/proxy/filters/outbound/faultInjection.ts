/**
 * `faultInjection`: the route's fault: a delay (the request waits; 499 if the caller leaves meanwhile),
 * then an abort (the route's status, or a gRPC status), each drawn with its percentage.
 */
import { decideFault, type FaultDecision } from "../../features/faultInjection.js";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function faultInjection(x: OutboundExchange): Step | Promise<Step> {
  const fault = x.route!.faultInjection;
  const f = fault ? decideFault(fault) : undefined;
  if (!f) return NEXT;
  if (f.delayMs === undefined) return abort(x, f.abort);
  x.ctx.metrics.faults.inc([x.caller.peer.label, x.service!.key, "delay"]);
  x.flags.push("DI");
  const delayMs = f.delayMs;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      x.res.off("close", onClose);
      resolve(false);
    }, delayMs);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    x.res.once("close", onClose);
  }).then((gone) => {
    if (!gone) return abort(x, f.abort);
    x.record(499, [...x.flags, "DC"], { route: x.route });
    return DONE;
  });
}

function abort(x: OutboundExchange, a: FaultDecision["abort"]): Step {
  if (!a) return NEXT;
  x.ctx.metrics.faults.inc([x.caller.peer.label, x.service!.key, "abort"]);
  x.flags.push("FI");
  const status = a.httpStatus ?? 200;
  localReply(x.req, x.res, status, "fault filter abort", { flag: "FI", ...(a.grpcStatus !== undefined ? { grpcStatus: a.grpcStatus } : {}) });
  x.record(status, x.flags, { route: x.route });
  return DONE;
}
