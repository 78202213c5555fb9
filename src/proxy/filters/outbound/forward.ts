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
import type { RtInstance, RtService } from "../../config/compile.js";
import type { ProxyContext } from "../../context.js";
import { applyHeaderOps } from "../../features/headers.js";
import { forward as exchange, type ForwardPlan, type ForwardResult, type TryTarget } from "../../upstream/exchange.js";
import { inlineHop } from "../../upstream/inline.js";
import { DONE, type Step } from "../chain.js";
import type { OutboundExchange } from "./exchange.js";

export async function forward(x: OutboundExchange): Promise<Step> {
  const plan = new OutboundPlan(x);
  let result: ForwardResult;
  try {
    result = await exchange(plan);
  } finally {
    x.release?.();
  }
  x.record(result.status, x.flags.length ? [...x.flags, ...result.flags] : result.flags, {
    route: x.route!,
    ...(result.upstream ? { upstream: result.upstream } : {}),
    retries: result.retries,
  });
  return DONE;
}

/**
 * The try target of an instance: the dispatcher chosen for it, and its requests-in-flight count given back
 * when the try ends (least-request balancing).
 */
class InstanceTarget implements TryTarget {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly dispatcher: Pick<Dispatcher, "dispatch">,
    readonly reset: boolean | undefined,
    private readonly inst: RtInstance,
  ) {}
  release(): void {
    this.inst.active--;
  }
}

/**
 * One request's {@link ForwardPlan}: a class rather than an object literal of closures, so that a request
 * allocates one object (its methods are shared) and every plan has one shape.
 */
class OutboundPlan implements ForwardPlan {
  readonly req: OutboundExchange["req"];
  readonly res: OutboundExchange["res"];
  readonly method: string;
  readonly path: string;
  readonly headers: OutboundExchange["headers"];
  readonly body: OutboundExchange["body"];
  readonly retries: ForwardPlan["retries"];
  readonly timeoutMs: number | undefined;
  readonly perTryTimeoutMs: number | undefined;
  readonly decorate: ForwardPlan["decorate"];
  /** The configuration running when the request arrived (a try after a reload picks among the new one's instances). */
  private readonly cfg: ProxyContext["current"];
  private readonly cert: ReturnType<ProxyContext["certs"]["peek"]>;
  /** The target's service: the destination, or another service of the registry (`Target.service`). */
  private readonly tsvc: RtService;
  /** `colocatedHops: inline` (not for a destination with Wasm extensions: they run in the inbound chain, filters/inbound/wasm.ts). */
  private readonly inline: boolean;
  /**
   * The hop protocol (net/hop.ts) between proxies: not for HTTP/2 ports, Wasm destinations (their
   * extensions run in the HTTP inbound chain), or pool settings that count HTTP connections.
   */
  private readonly hop: boolean;

  constructor(private readonly x: OutboundExchange) {
    const { ctx, caller } = x;
    const route = x.route!;
    const upstream = x.upstream!;
    const { target, settings } = upstream;
    this.req = x.req;
    this.res = x.res;
    this.method = x.method;
    this.path = x.upstreamPath;
    this.headers = x.headers;
    this.body = x.body;
    this.retries = route.retries;
    this.timeoutMs = route.timeoutMs || undefined;
    this.perTryTimeoutMs = route.perTryTimeoutMs || undefined;
    this.cert = ctx.certs.peek(caller.spiffe);
    const cfg = (this.cfg = ctx.current);
    this.tsvc = target.service ?? x.service!;
    this.inline = cfg.settings.colocatedHops === "inline" && !this.tsvc.destination.wasm;
    const cp = settings.connectionPool;
    this.hop = cfg.settings.hopProtocol === "multiplexed" && !x.view!.h2 && !this.tsvc.destination.wasm && !cp?.maxConnections && !cp?.maxRequestsPerConnection;
    const cors = x.corsOrigin !== undefined ? route.cors : undefined;
    const setCookie = x.setCookie;
    const corsOrigin = x.corsOrigin;
    this.decorate =
      route.responseHeaders || target.responseHeaders || cors || setCookie
        ? (_status, h) => {
            applyHeaderOps(h, route.responseHeaders);
            applyHeaderOps(h, target.responseHeaders);
            if (cors) cors.decorate(h, corsOrigin!);
            if (setCookie) h["set-cookie"] = setCookie;
          }
        : undefined;
  }

  /** The instances of the target now. */
  private live(): RtInstance[] {
    const upstream = this.x.upstream!;
    const ctx = this.x.ctx;
    return ctx.current === this.cfg ? upstream.endpoints : (ctx.current.services.get(this.tsvc.key)?.endpoints(upstream.target.labels, upstream.port) ?? []);
  }

  pick(tried: ReadonlySet<string>): TryTarget | "no-healthy" {
    const { x, cert } = this;
    const { ctx, caller } = x;
    const upstream = x.upstream!;
    const state = x.state!;
    const settings = upstream.settings;
    const federated = this.cfg.settings.member !== undefined;
    const eps = this.live();
    let cands = eps;
    if (state.outlier || tried.size) {
      const healthy = state.outlier ? eps.filter((i) => !state.outlier!.isEjected(i.id)) : eps;
      const fresh = tried.size ? healthy.filter((i) => !tried.has(i.id)) : healthy;
      cands = fresh.length ? fresh : healthy;
    }
    if (!cands.length && upstream.failover) {
      // Virtual mesh: the same target in the members it fails over to, the first whose hop is not ejected.
      const hop = upstream.failover.find((i) => !state.failover?.isEjected(i.id));
      if (hop) cands = [hop];
    }
    const inst = state.balancer.pick(cands, x.hashKey);
    const remote = inst?.remote;
    const at = remote ? (ctx.gateways?.get(remote.member) ?? inst.bound) : inst?.bound;
    // A hop to another member is mutual TLS or nothing (never plaintext through a gateway).
    if (!inst || !at || (remote && !cert)) return "no-healthy";
    inst.active++;
    let dispatcher: Pick<Dispatcher, "dispatch">;
    if (this.inline && !remote) dispatcher = inlineHop(ctx, caller.peer, inst.id);
    else if (this.hop && !remote && inst.mode !== "disabled" && cert) {
      // One hop client per identity pair: its streams name the instance (net/hop.ts `t`); its HTTP
      // fallback for this instance is this instance's own pool.
      const spec = {
        address: at.address,
        port: at.port,
        h2: false,
        tls: { cert, expectServer: this.tsvc.spiffe, checkIssuer: federated },
        ...(settings.connectionPool ? { pool: settings.connectionPool } : {}),
      };
      dispatcher = ctx.pools.hop(spec, at).to(inst.id, at, () => ctx.pools.get(spec, at));
    } else
      dispatcher = ctx.pools.get(
        {
          address: at.address,
          port: at.port,
          h2: x.view!.h2,
          ...(remote
            ? { tls: { cert: cert!, expectServer: remote.spiffe, servername: remote.servername, checkIssuer: true } }
            : inst.mode !== "disabled" && cert
              ? { tls: { cert, expectServer: this.tsvc.spiffe, checkIssuer: federated } }
              : {}),
          ...(settings.connectionPool ? { pool: settings.connectionPool } : {}),
        },
        at,
      );
    return new InstanceTarget(inst.id, remote ? `${remote.member}/${at.address}:${at.port}` : `${inst.address}:${inst.port}`, dispatcher, upstream.reset, inst);
  }

  onOutcome(tr: TryTarget, o: number | "connect-failure" | "reset" | "timeout"): void {
    const upstream = this.x.upstream!;
    const state = this.x.state!;
    if (!state.outlier) return;
    if (upstream.failover?.some((i) => i.id === tr.id)) state.failover?.record(tr.id, o);
    else state.outlier.record(tr.id, o, this.live());
  }

  acquireRetry(): boolean {
    return this.x.state!.limiter.acquireRetry();
  }

  releaseRetry(): void {
    this.x.state!.limiter.releaseRetry();
  }

  onRetry(): void {
    this.x.ctx.metrics.retries.inc([this.x.caller.peer.label, this.x.service!.key]);
  }

  onFailure(reason: string): void {
    this.x.ctx.metrics.upstreamFailures.inc(["outbound", this.x.service!.key, reason]);
  }
}
