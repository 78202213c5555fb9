/**
 * `requestAuthentication` (JWT): the destination's RequestAuthentication validates the request's end-user
 * token before access control (decide.ts `authenticate`, shared with the in-process hop and `explain`);
 * a request with a token that is not valid is refused (401), one without a token goes on with no end user.
 */
import { authenticate } from "../../decide.js";
import { NEXT, type Step } from "../chain.js";
import { refuse, type InboundExchange } from "./exchange.js";

export function requestAuthentication(x: InboundExchange): Step | Promise<Step> {
  if (!x.instance.service.destination.authenticator) return NEXT;
  return authenticate(x.instance, x.method, x.path, x.authority, x.req.headers, x.query ?? "").then((a) => {
    if ("status" in a) return refuse(x, a);
    x.authenticated = a;
    return NEXT;
  });
}
