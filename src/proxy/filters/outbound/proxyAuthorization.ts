/**
 * `proxyAuthorization`: an app's outbound listener with a token serves only the app that presents it
 * (`Proxy-Authorization: Bearer <token>`, or Basic with the token as password); anyone else gets 407.
 */
import { timingSafeEqual } from "node:crypto";
import { localReply } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

/**
 * True when a `Proxy-Authorization` header carries the token: `Bearer <token>`, or `Basic` with the
 * token as password (any user name), compared in constant time.
 */
export function presentsToken(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const sp = header.indexOf(" ");
  const scheme = header.slice(0, sp).toLowerCase();
  let given = header.slice(sp + 1).trim();
  if (scheme === "basic") {
    const plain = Buffer.from(given, "base64").toString();
    const colon = plain.indexOf(":");
    if (colon < 0) return false;
    given = plain.slice(colon + 1);
  } else if (scheme !== "bearer") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function proxyAuthorization(x: OutboundExchange): Step {
  const l = x.listener;
  if (l.kind !== "outbound" || l.token === undefined || presentsToken(x.req.headers["proxy-authorization"], l.token)) return NEXT;
  localReply(x.req, x.res, 407, "unimesh: this outbound listener belongs to an app; send its token (HTTP_PROXY=http://unimesh:<token>@host:port)", {
    flag: "UAEX",
    headers: { "proxy-authenticate": `Basic realm="unimesh outbound ${x.caller.namespace}/${x.caller.serviceAccount}"` },
  });
  // Counted and logged as the chain's other refusals. Not the caller's identity: whoever sent this is unknown;
  // no destination was resolved.
  x.record(407, ["UAEX"], { source: "unknown", destination: "-" });
  return DONE;
}
