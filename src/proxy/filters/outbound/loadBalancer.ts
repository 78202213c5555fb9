/**
 * `loadBalancer`: the consistent-hash key of the request when the target's settings balance by one
 * (a header, a query parameter, the caller's address, or a cookie; a missing cookie is generated and
 * set on the response). The instance itself is picked per try by `forward`.
 */
import { randomUUID } from "node:crypto";
import { queryParam } from "../../features/match.js";
import { NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function loadBalancer(x: OutboundExchange): Step {
  const hash = x.upstream!.hash;
  if (!hash) return NEXT;
  const h = x.req.headers;
  if (hash.header) {
    const v = h[hash.header];
    if (typeof v === "string") x.hashKey = v;
  } else if (hash.queryParam) {
    const v = queryParam(x.query, hash.queryParam);
    if (v !== undefined) x.hashKey = v;
  } else if (hash.sourceIp) x.hashKey = x.req.socket?.remoteAddress ?? "";
  else if (hash.cookie) {
    const v = cookie(h.cookie, hash.cookie.name);
    if (v !== undefined) x.hashKey = v;
    else {
      x.hashKey = randomUUID();
      x.setCookie = `${hash.cookie.name}=${x.hashKey}; Path=/; HttpOnly${hash.cookie.ttlSeconds ? `; Max-Age=${hash.cookie.ttlSeconds}` : ""}`;
    }
  }
  return NEXT;
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
