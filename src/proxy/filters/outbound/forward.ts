/**
 * `forward` (the chain's last filter): the request goes upstream through features/retries.ts and
 * upstream/exchange.ts: per try an instance of the target (outlier-ejected ones and those already tried
 * avoided, the balancer's pick), over mutual TLS with the caller's certificate unless the instance's
 * mode is disabled (as streams of the hop protocol, net/hop.ts, unless `hopProtocol: http`; or handed over in
 * process with `colocatedHops: inline`); in a virtual mesh, a share in
 * another member goes to that member's east-west listener (mutual TLS passed through to one of its
 * instances by SNI), and a destination that fails over (`Destination.failover`) sends a request whose
 * local instances are all ejected (or none) to the first listed member whose hop is not; the route's request and
 * per-try timeouts and retries; the response's header changes (the route's, then the target's), CORS
 * headers and a generated hash cookie. Records the request when it ends.
 */
import type { Dispatcher } from "undici";
import type { RtInstance } from "../../config/compile.js";
import { applyHeaderOps } from "../../features/headers.js";
import { forward as exchange, type ForwardResult, type TryTarget } from "../../upstream/exchange.js";
import { inlineHop } from "../../upstream/inline.js";
import { DONE, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export async function forward(x: OutboundExchange): Promise<Step> {
  const { ctx, caller } = x;
  const route = x.route!;
  const upstream = x.upstream!;
  const state = x.state!;
  const svc = x.service!;
  const { target, settings, reset } = upstream;
  const h2 = x.view!.h2;
  const cert = ctx.certs.peek(caller.spiffe);
  const cfg = ctx.current;
  // A try after a reload picks among the instances of the configuration running then (an instance
  // removed or moved by the reload is not picked at its old address).
  // The target's service: the destination, or another service of the registry (`Target.service`).
  const tsvc = target.service ?? svc;
  const live = (): RtInstance[] =>
    ctx.current === cfg ? upstream.endpoints : (ctx.current.services.get(tsvc.key)?.endpoints(target.labels, upstream.port) ?? []);
  // A destination with Wasm extensions always takes the wire: its extensions run in the inbound chain
  // (filters/inbound/wasm.ts), which the in-process hop does not go through.
  const inline = cfg.settings.colocatedHops === "inline" && !tsvc.destination.wasm;
  // The hop protocol (net/hop.ts) between proxies: not for HTTP/2 ports, Wasm destinations (their
  // extensions run in the HTTP inbound chain), or pool settings that count HTTP connections.
  const cp = settings.connectionPool;
  const hop = cfg.settings.hopProtocol === "multiplexed" && !h2 && !tsvc.destination.wasm && !cp?.maxConnections && !cp?.maxRequestsPerConnection;
  const { hashKey, setCookie, corsOrigin } = x;
  const federated = cfg.settings.member !== undefined;
  // Virtual mesh: the same target in the members it fails over to, the first whose hop is not ejected.
  const failover = (): RtInstance | undefined => upstream.failover?.find((i) => !state.failover?.isEjected(i.id));
  const pick = (tried: ReadonlySet<string>): TryTarget | "no-healthy" => {
    const eps = live();
    let cands = eps;
    if (state.outlier || tried.size) {
      const healthy = state.outlier ? eps.filter((i) => !state.outlier!.isEjected(i.id)) : eps;
      const fresh = tried.size ? healthy.filter((i) => !tried.has(i.id)) : healthy;
      cands = fresh.length ? fresh : healthy;
    }
    if (!cands.length && upstream.failover) {
      const hop = failover();
      if (hop) cands = [hop];
    }
    const inst = state.balancer.pick(cands, hashKey);
    const remote = inst?.remote;
    const at = remote ? (ctx.gateways?.get(remote.member) ?? inst.bound) : inst?.bound;
    // A hop to another member is mutual TLS or nothing (never plaintext through a gateway).
    if (!inst || !at || (remote && !cert)) return "no-healthy";
    inst.active++;
    let dispatcher: Pick<Dispatcher, "dispatch">;
    if (inline && !remote) dispatcher = inlineHop(ctx, caller.peer, inst.id);
    else if (hop && !remote && inst.mode !== "disabled" && cert) {
      // One hop client per identity pair: its streams name the instance (net/hop.ts `t`); its HTTP
      // fallback for this instance is this instance's own pool.
      const spec = {
        address: at.address,
        port: at.port,
        h2: false,
        tls: { cert, expectServer: tsvc.spiffe, checkIssuer: federated },
        ...(settings.connectionPool ? { pool: settings.connectionPool } : {}),
      };
      dispatcher = ctx.pools.hop(spec, at).to(inst.id, at, () => ctx.pools.get(spec, at));
    } else
      dispatcher = ctx.pools.get(
        {
          address: at.address,
          port: at.port,
          h2,
          ...(remote
            ? { tls: { cert: cert!, expectServer: remote.spiffe, servername: remote.servername, checkIssuer: true } }
            : inst.mode !== "disabled" && cert
              ? { tls: { cert, expectServer: tsvc.spiffe, checkIssuer: federated } }
              : {}),
          ...(settings.connectionPool ? { pool: settings.connectionPool } : {}),
        },
        at,
      );
    return {
      id: inst.id,
      label: remote ? `${remote.member}/${at.address}:${at.port}` : `${inst.address}:${inst.port}`,
      dispatcher,
      reset,
      release: () => {
        inst.active--;
      },
    };
  };
  const cors = corsOrigin !== undefined ? route.cors : undefined;
  let result: ForwardResult;
  try {
    result = await exchange({
      req: x.req,
      res: x.res,
      method: x.method,
      path: x.upstreamPath,
      headers: x.headers,
      body: x.body,
      ...(route.retries ? { retries: route.retries } : {}),
      ...(route.timeoutMs ? { timeoutMs: route.timeoutMs } : {}),
      ...(route.perTryTimeoutMs ? { perTryTimeoutMs: route.perTryTimeoutMs } : {}),
      pick,
      ...(state.outlier
        ? {
            onOutcome: (tr: TryTarget, o: number | "connect-failure" | "reset" | "timeout") =>
              upstream.failover?.some((i) => i.id === tr.id) ? state.failover?.record(tr.id, o) : state.outlier!.record(tr.id, o, live()),
          }
        : {}),
      acquireRetry: () => state.limiter.acquireRetry(),
      releaseRetry: () => state.limiter.releaseRetry(),
      onRetry: () => ctx.metrics.retries.inc([caller.peer.label, svc.key]),
      onFailure: (reason) => ctx.metrics.upstreamFailures.inc(["outbound", svc.key, reason]),
      decorate:
        route.responseHeaders || target.responseHeaders || cors || setCookie
          ? (_status, h) => {
              applyHeaderOps(h, route.responseHeaders);
              applyHeaderOps(h, target.responseHeaders);
              if (cors) cors.decorate(h, corsOrigin!);
              if (setCookie) h["set-cookie"] = setCookie;
            }
          : undefined,
    });
  } finally {
    x.release?.();
  }
  x.record(result.status, [...x.flags, ...result.flags], { route, ...(result.upstream ? { upstream: result.upstream } : {}), retries: result.retries });
  return DONE;
}
