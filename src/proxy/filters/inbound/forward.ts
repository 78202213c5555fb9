/**
 * `forward` (inbound, the chain's last filter): the request goes to the instance's app in plaintext
 * (HTTP/1.1, or h2c for http2/grpc ports) without the token locations request authentication removed,
 * with `x-forwarded-client-cert` naming a verified caller (a caller's own is dropped); the destination's
 * connection-pool settings also bound the connections to the app (as Istio's). Records the request.
 */
import type { Readable } from "node:stream";
import { appRequestHeaders, hasBody } from "../../net/http.js";
import { forward as exchange, type ForwardPlan, type TryTarget } from "../../upstream/exchange.js";
import type { UpstreamSpec } from "../../upstream/pools.js";
import { DONE, type Step } from "../chain.js";
import type { InboundExchange } from "./exchange.js";
import { done, responseTransform } from "./wasm.js";
import { WASM_LIMITS } from "../../wasm/plugin.js";

export async function forward(x: InboundExchange): Promise<Step> {
  const { ctx, req, instance: inst, peer, path } = x;
  const svc = inst.service;
  const dest = svc.destination;
  const auth = x.authenticated;
  // The query string as sent, less a token parameter that is not forwarded.
  const url = x.query === undefined ? path : auth.query === x.query ? `${path}?${x.query}` : auth.query ? `${path}?${auth.query}` : path;
  const headers = appRequestHeaders(req.headers, x.authority, svc.spiffe, peer.spiffe);
  for (const h of auth.removeHeaders) delete headers[h];
  const h2 = inst.servicePort.protocol !== "http";
  const spec: UpstreamSpec = { address: inst.address, port: inst.port, h2 };
  if (dest.connectionPool) spec.pool = dest.connectionPool;
  const target: TryTarget = {
    id: inst.id,
    label: `${inst.address}:${inst.port}`,
    dispatcher: ctx.pools.get(spec, inst),
    reset: dest.connectionPool?.maxRequestsPerConnection === 1,
  };
  const transform = responseTransform(x);
  const wasmBody = x.wasm?.body;
  if (wasmBody) {
    delete headers["transfer-encoding"];
    headers["content-length"] = String(wasmBody.length);
  }
  const plan: ForwardPlan = {
    req,
    res: x.res,
    method: x.method,
    path: url,
    headers,
    body: wasmBody ?? (hasBody(req) ? (req as Readable) : null),
    pick: () => target,
    onFailure: (reason) => ctx.metrics.upstreamFailures.inc(["inbound", svc.key, reason]),
  };
  if (transform) {
    plan.transformResponse = transform;
    plan.maxHeldBytes = WASM_LIMITS.maxBodyBytes;
  }
  const result = await exchange(plan);
  x.record(result.status, result.flags, result.upstream);
  done(x);
  return DONE;
}
