/**
 * `wasmExtension` (inbound): the destination's proxy-wasm extensions of one phase, in their order
 * (phase, priority, policy), each on a stream (HTTP context) of its own VM (../../wasm/plugin.ts):
 *
 * - request headers (`proxy_on_request_headers`): the module sees `:authority`, `:path` (with the query),
 *   `:method`, `:scheme` and the request's headers (lower-case; `host` is `:authority`), may change them
 *   (a changed `:path`, `:method` or `:authority` is what later filters and the app see) or answer with a
 *   local response (`proxy_send_local_response`: the caller gets it, flag WASM);
 * - the request body (`proxy_on_request_body`, once, `end_of_stream` true): when the request has one, it
 *   is read whole (at most {@link WASM_LIMITS}.maxBodyBytes, else 413) and handed to the module, which may
 *   replace it;
 * - after the app answered, the response head and body (`proxy_on_response_headers`, then
 *   `proxy_on_response_body` once with the whole body), in the REVERSE order of the request callbacks (as
 *   Envoy's encoder filters), each able to change them or to replace the response with a local one;
 * - then `proxy_on_done`, `proxy_on_log`, `proxy_on_delete`.
 *
 * Properties a module may read (`proxy_get_property`): `plugin_root_id`, `plugin_name` (the
 * WasmExtension), `request.path`, `request.url_path`, `request.query`, `request.host`, `request.method`,
 * `request.scheme`, `request.protocol`, `request.id`, `source.address`, `source.port`,
 * `connection.mtls`, `connection.uri_san_peer_certificate` (the caller's SPIFFE ID), `source.principal`
 * (the same), `destination.address`, `destination.port`, and in the response callbacks `response.code`.
 * Nothing else: no other request's data, no proxy state.
 *
 * Not implemented (a module that needs them fails closed): pausing a stream across callbacks and
 * resuming it later (`StopIteration` without a local response fails the request: nothing could resume
 * it), streaming body chunks (bodies are given whole), trailers callbacks, timers, shared data and
 * queues, metrics, HTTP/gRPC callouts. Any failure (the module's digest, its start, a trap, the time
 * limit) answers 500 with flag WASM and logs the plugin and the reason.
 */
import type { Readable } from "node:stream";
import type { RtWasm } from "../../config/compile.js";
import { hasBody, localReply } from "../../net/http.js";
import type { HeaderMap } from "../../features/headers.js";
import { type CallResult, type LocalResponse, type Pairs, WASM_LIMITS, type WasmStream } from "../../wasm/plugin.js";
import { DONE, NEXT, type Filter, type Step } from "../chain.js";
import type { InboundExchange } from "./exchange.js";

/** The extensions of one phase (undefined: those without a phase, last before the app). */
export function wasmPhase(phase: RtWasm["phase"]): Filter<InboundExchange> {
  const filter: Filter<InboundExchange> = (x) => {
    const all = x.instance.service.destination.wasm;
    if (!all) return NEXT;
    const port = x.instance.servicePort.port;
    const mine = all.filter((w) => w.phase === phase && (!w.ports || w.ports.has(port)));
    if (!mine.length) return NEXT;
    return runRequest(x, mine);
  };
  // Named for the chain's documented order (wasmAUTHN, wasmAUTHZ, wasmSTATS, wasm).
  return Object.defineProperty(filter, "name", { value: `wasm${phase ?? ""}` });
}

async function runRequest(x: InboundExchange, plugins: RtWasm[]): Promise<Step> {
  const state = (x.wasm ??= { streams: [] });
  let current: WasmStream | undefined;
  try {
    for (const p of plugins) {
      const vm = x.ctx.wasm.vm(p);
      const stream: WasmStream = { vm, ctx: vm.newContext(), policy: p.policy };
      current = stream;
      state.streams.push(stream);
      const body = hasBody(x.req) || state.body !== undefined;
      const r = await vm.call("request_headers", stream.ctx, { headers: requestPairs(x), eos: !body, props: requestProps(x) });
      if (r.local) return answer(x, r.local, p.policy);
      paused(r, "request_headers");
      applyRequestHeaders(x, r.headers ?? []);
      if (body) {
        if (state.body === undefined) {
          const b = await readBody(x);
          if (b === undefined) {
            localReply(x.req, x.res, 413, `unimesh: the request body is larger than the ${WASM_LIMITS.maxBodyBytes} bytes a Wasm extension may inspect`, {
              flag: "WASM",
            });
            x.record(413, ["WASM"]);
            done(x);
            return DONE;
          }
          state.body = b;
        }
        const rb = await vm.call("request_body", stream.ctx, { body: new Uint8Array(state.body), props: requestProps(x) });
        if (rb.local) return answer(x, rb.local, p.policy);
        paused(rb, "request_body");
        if (rb.body) state.body = Buffer.from(rb.body);
      }
    }
  } catch (e) {
    x.ctx.wasm.event({
      level: "error",
      msg: "wasm extension failed the request closed",
      plugin: current?.policy,
      listener: x.key,
      method: x.method,
      path: x.path,
      reason: (e as Error).message,
    });
    localReply(x.req, x.res, 500, `unimesh: a Wasm extension failed (${current?.policy}); the request was not forwarded`, { flag: "WASM" });
    x.record(500, ["WASM"]);
    done(x);
    return DONE;
  }
  return NEXT;
}

/** A non-Continue result without a local response: nothing in unimesh could resume the stream, so it fails (closed). */
function paused(r: CallResult, op: string): void {
  if (r.status !== 0) throw new Error(`${op} returned ${r.status} (StopIteration) without a local response: unimesh cannot resume a paused stream`);
}

function answer(x: InboundExchange, l: LocalResponse, policy: string): Step {
  const headers: HeaderMap = {};
  for (const [k, v] of l.headers) {
    if (k.startsWith(":") || k === "content-length" || k === "transfer-encoding") continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  x.ctx.wasm.event({ level: "info", msg: "wasm local response", plugin: policy, listener: x.key, status: l.status, details: l.details });
  // grpc_status counts for gRPC requests only (Envoy: sendLocalReply's grpc_status).
  const grpc = String(x.req.headers["content-type"] ?? "").startsWith("application/grpc");
  localReply(x.req, x.res, l.status, Buffer.from(l.body), {
    flag: "WASM",
    headers,
    ...(grpc && l.grpcStatus > 0 && l.grpcStatus < 17 ? { grpcStatus: l.grpcStatus } : {}),
  });
  x.record(l.status, ["WASM"]);
  done(x);
  return DONE;
}

/** The request as proxy-wasm pairs: pseudo-headers first, then the headers (`host` is `:authority`). */
function requestPairs(x: InboundExchange): Pairs {
  const out: Pairs = [
    [":authority", x.authority],
    [":path", x.query === undefined ? x.path : `${x.path}?${x.query}`],
    [":method", x.method],
    [":scheme", "http"],
  ];
  const h = x.req.headers;
  for (const k in h) {
    if (k.charCodeAt(0) === 58 || k === "host") continue;
    const v = h[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) out.push([k, one]);
    else out.push([k, v]);
  }
  return out;
}

function requestProps(x: InboundExchange): Record<string, string | number | boolean> {
  const sock = x.req.socket;
  const rid = x.req.headers["x-request-id"];
  return {
    "request.path": x.query === undefined ? x.path : `${x.path}?${x.query}`,
    "request.url_path": x.path,
    "request.query": x.query ?? "",
    "request.host": x.authority,
    "request.method": x.method,
    "request.scheme": "http",
    "request.protocol": `HTTP/${x.req.httpVersion}`,
    ...(typeof rid === "string" ? { "request.id": rid } : {}),
    "source.address": `${sock?.remoteAddress ?? ""}:${sock?.remotePort ?? 0}`,
    "source.port": sock?.remotePort ?? 0,
    "destination.address": `${sock?.localAddress ?? ""}:${sock?.localPort ?? 0}`,
    "destination.port": sock?.localPort ?? 0,
    "connection.mtls": !!x.peer.spiffe,
    ...(x.peer.spiffe ? { "connection.uri_san_peer_certificate": x.peer.spiffe, "source.principal": x.peer.spiffe } : {}),
  };
}

/** Applies the module's request headers: pseudo-headers to the exchange, the rest to the request's header object. */
function applyRequestHeaders(x: InboundExchange, pairs: Pairs): void {
  const next: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    if (k === ":path") {
      const q = v.indexOf("?");
      x.path = q < 0 ? v : v.slice(0, q);
      x.query = q < 0 ? undefined : v.slice(q + 1);
      x.authenticated.query = x.query ?? "";
      continue;
    }
    if (k === ":method") {
      if (v) x.method = v;
      continue;
    }
    if (k === ":authority") {
      if (v) x.authority = v;
      continue;
    }
    if (k.charCodeAt(0) === 58 || k === "host") continue;
    const prev = next[k];
    next[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const h = x.req.headers as Record<string, string | string[] | undefined>;
  for (const k of Object.keys(h)) if (k.charCodeAt(0) !== 58 && k !== "host" && !(k in next)) delete h[k];
  for (const k in next) h[k] = k === "set-cookie" || !Array.isArray(next[k]) ? next[k] : (next[k] as string[]).join(", ");
}

/** The whole request body, or undefined when it is larger than the limit. */
async function readBody(x: InboundExchange): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of x.req as Readable) {
    size += (c as Buffer).length;
    if (size > WASM_LIMITS.maxBodyBytes) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The response callbacks of the streams that saw the request (reverse order), for the forward filter's
 * `transformResponse`; undefined when no extension ran.
 */
export function responseTransform(
  x: InboundExchange,
): ((status: number, headers: HeaderMap, body: Buffer) => Promise<{ status: number; headers: HeaderMap; body: Buffer; flag?: string }>) | undefined {
  const streams = x.wasm?.streams;
  if (!streams?.length) return undefined;
  return async (status, headers, body) => {
    let pairs: Pairs = [[":status", String(status)]];
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v) pairs.push([k, String(one)]);
      else pairs.push([k, String(v)]);
    }
    let current = body;
    let who: string | undefined;
    try {
      const order = [...streams].reverse();
      for (const s of order) {
        who = s.policy;
        const r = await s.vm.call("response_headers", s.ctx, { headers: pairs, eos: current.length === 0, props: { "response.code": status } });
        if (r.local) return local(x, r.local, s.policy);
        paused(r, "response_headers");
        pairs = r.headers ?? pairs;
      }
      for (const s of order) {
        who = s.policy;
        const r = await s.vm.call("response_body", s.ctx, { body: new Uint8Array(current), props: { "response.code": status } });
        if (r.local) return local(x, r.local, s.policy);
        paused(r, "response_body");
        if (r.body) current = Buffer.from(r.body);
      }
    } catch (e) {
      x.ctx.wasm.event({
        level: "error",
        msg: "wasm extension failed the request closed",
        plugin: who,
        listener: x.key,
        method: x.method,
        path: x.path,
        reason: (e as Error).message,
      });
      throw new Error(`a Wasm extension failed (${who}); the response was not sent`, { cause: e });
    } finally {
      done(x);
    }
    let out = status;
    const h: HeaderMap = {};
    for (const [k, v] of pairs) {
      if (k === ":status") {
        const n = Number(v);
        if (Number.isInteger(n) && n >= 200 && n <= 599) out = n;
        continue;
      }
      if (k.charCodeAt(0) === 58) continue;
      const prev = h[k];
      h[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    }
    return { status: out, headers: h, body: current };
  };
}

function local(x: InboundExchange, l: LocalResponse, policy: string): { status: number; headers: HeaderMap; body: Buffer; flag: string } {
  x.ctx.wasm.event({ level: "info", msg: "wasm local response", plugin: policy, listener: x.key, status: l.status, details: l.details });
  const headers: HeaderMap = { "content-type": "text/plain; charset=utf-8" };
  for (const [k, v] of l.headers) if (!k.startsWith(":")) headers[k] = v;
  return { status: l.status, headers, body: Buffer.from(l.body), flag: "WASM" };
}

/** Ends the streams of the exchange (proxy_on_done, proxy_on_log, proxy_on_delete), once. */
export function done(x: InboundExchange): void {
  const streams = x.wasm?.streams;
  if (!streams?.length) return;
  x.wasm!.streams = [];
  for (const s of streams)
    s.vm.call("done", s.ctx, {}).catch(() => {
      /* logged by the VM */
    });
}
