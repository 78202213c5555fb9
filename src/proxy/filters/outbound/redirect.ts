/** `redirect` and `directResponse`: routes answered by the proxy itself (a redirect, or a fixed status and body). */
import type { ServerResponse } from "node:http";
import { redirectLocation } from "../../features/redirect.js";
import { writeHead } from "../../net/http.js";
import { DONE, NEXT, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export function redirect(x: OutboundExchange): Step {
  const r = x.route!.redirect;
  if (!r) return NEXT;
  const location = redirectLocation(r, { scheme: "http", authority: x.authority, path: x.path, query: x.query });
  writeHead(x.res, r.statusCode, { location, "content-length": "0" });
  x.res.end();
  x.record(r.statusCode, x.flags, { route: x.route });
  return DONE;
}

export function directResponse(x: OutboundExchange): Step {
  const d = x.route!.directResponse;
  if (!d) return NEXT;
  const body = Buffer.from(d.body ?? "");
  writeHead(x.res, d.status, { "content-type": "text/plain; charset=utf-8", "content-length": String(body.length) });
  (x.res as unknown as ServerResponse).end(x.method === "HEAD" ? undefined : body);
  x.record(d.status, x.flags, { route: x.route });
  return DONE;
}
