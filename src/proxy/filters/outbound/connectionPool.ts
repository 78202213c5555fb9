/**
 * `connectionPool`: admission by the caller's pool limits towards the target's settings (requests in
 * flight, pending requests); a request over them is refused at once (503, `UO`, as Envoy's overflow).
 * An admitted request waits for its slot when queued; `forward` gives it back.
 */
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function connectionPool(x: OutboundExchange): Step | Promise<Step> {
  const admitted = x.state!.limiter.acquire();
  if (admitted === undefined) {
    x.ctx.metrics.overflows.inc([x.caller.peer.label, x.service!.key]);
    localReply(x.req, x.res, 503, "upstream connect error or disconnect/reset before headers. reset reason: overflow", {
      flag: "UO",
      headers: { "x-unimesh-overflow": "true" },
    });
    x.record(503, [...x.flags, "UO"], { route: x.route });
    return DONE;
  }
  if (typeof admitted === "function") {
    x.release = admitted;
    return NEXT;
  }
  return admitted.then((release) => {
    x.release = release;
    return NEXT;
  });
}
