/**
 * What request handlers share with the runtime: the current configuration snapshot, certificates,
 * upstream pools, per-caller state (balancers, admission, outlier detection), per-instance rate
 * limiters, metrics and logs. State keyed by listener and destination survives reloads; its settings
 * follow the new configuration.
 */
import type { CompiledConfig, RtDestination, RtListener } from "./config/compile.js";
import type { CertStore } from "./identity/certs.js";
import type { Pools } from "./upstream/pools.js";
import type { ProxyMetrics } from "./observe/metrics.js";
import type { AccessLog } from "./observe/accessLog.js";
import { PoolLimiter } from "./features/connectionPool.js";
import { Balancer } from "./features/loadBalancer.js";
import { OutlierDetector } from "./features/outlierDetection.js";
import { RateLimiter } from "./features/rateLimit.js";
import { WasmHost } from "./wasm/plugin.js";

/** State of one calling listener towards one destination. */
export interface CallerState {
  limiter: PoolLimiter;
  balancer: Balancer;
  outlier?: OutlierDetector;
  /**
   * Virtual mesh: outlier detection of the failover hops to other members (`Destination.failover`), apart
   * from the local instances' (an ejected member is skipped for the next one; its budget is the members').
   */
  failover?: OutlierDetector;
  /** The destination settings this state was last updated for. */
  dest: RtDestination;
}

/** The handlers' view of the runtime. */
export class ProxyContext {
  current!: CompiledConfig;
  private readonly index = new WeakMap<CompiledConfig, Map<string, RtListener>>();
  private readonly callers = new Map<string, CallerState>();
  private readonly limiters = new Map<string, { limiter: RateLimiter; config: unknown }>();
  private readonly byDest = new WeakMap<RtDestination, Map<string, CallerState>>();

  /** The VMs of the Wasm extensions (operator events: JSON lines on stderr until the runtime sets its own). */
  readonly wasm = new WasmHost((e) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + "\n"));

  constructor(
    readonly certs: CertStore,
    readonly pools: Pools,
    readonly metrics: ProxyMetrics,
    public log: AccessLog,
    /** Virtual mesh: the other members' east-west listeners, overriding `spec.members[].gateway` (StartOptions.gateways). */
    readonly gateways?: ReadonlyMap<string, { address: string; port: number }>,
  ) {}

  /** The current plan of a listener (undefined once a reload removed it). */
  listener(key: string): RtListener | undefined {
    const cur = this.current;
    if (!cur) return undefined;
    let index = this.index.get(cur);
    if (!index) this.index.set(cur, (index = new Map(cur.listeners.map((l) => [l.key, l]))));
    return index.get(key);
  }

  /**
   * Per-caller state for a destination (or for one subset of it with settings of its own: its state is
   * kept apart, as Istio's per-subset cluster), created or brought up to date.
   */
  caller(listenerKey: string, source: string, dest: RtDestination, http2: boolean): CallerState {
    // Fast path: the state this destination object was last resolved to for this listener.
    let perDest = this.byDest.get(dest);
    const hit = perDest?.get(listenerKey);
    if (hit && hit.dest === dest) return hit;
    const key = dest.subset ? `${listenerKey}>${dest.key}#${dest.subset.name}` : `${listenerKey}>${dest.key}`;
    let s = this.callers.get(key);
    if (!s) {
      s = { limiter: new PoolLimiter(dest.connectionPool, http2), balancer: new Balancer(dest.loadBalancer), dest };
      this.callers.set(key, s);
    }
    if (s.dest !== dest || (dest.outlierDetection && !s.outlier) || (dest.outlierDetection && dest.failover && !s.failover)) {
      s.limiter.config = dest.connectionPool;
      s.balancer.config = dest.loadBalancer;
      s.dest = dest;
      if (dest.outlierDetection) {
        if (s.outlier) s.outlier.update(dest.outlierDetection);
        else {
          const state = s;
          s.outlier = new OutlierDetector(dest.outlierDetection, () => instanceCount(this.current, state.dest));
          s.outlier.onEject = (instance) => this.metrics.ejections.inc([source, dest.key, instance]);
        }
      } else if (s.outlier) {
        s.outlier.close();
        delete s.outlier;
      }
      if (dest.outlierDetection && dest.failover) {
        if (s.failover) s.failover.update(dest.outlierDetection);
        else {
          const state = s;
          s.failover = new OutlierDetector(dest.outlierDetection, () => state.dest.failover?.length ?? 1);
          s.failover.onEject = (hop) => this.metrics.ejections.inc([source, dest.key, hop]);
        }
      } else if (s.failover) {
        s.failover.close();
        delete s.failover;
      }
    }
    if (!perDest) this.byDest.set(dest, (perDest = new Map()));
    perDest.set(listenerKey, s);
    return s;
  }

  /** The rate limiter of an inbound listener for its destination's current settings. */
  rateLimiter(listenerKey: string, dest: RtDestination): RateLimiter | undefined {
    const rl = dest.rateLimit;
    if (!rl) {
      if (this.limiters.size) this.limiters.delete(listenerKey);
      return undefined;
    }
    const cur = this.limiters.get(listenerKey);
    if (cur && (cur.config === rl || JSON.stringify(cur.config) === JSON.stringify(rl))) {
      cur.config = rl;
      return cur.limiter;
    }
    const limiter = new RateLimiter(rl);
    this.limiters.set(listenerKey, { limiter, config: rl });
    return limiter;
  }

  /** Outlier and admission state for the admin page. */
  snapshot(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.callers].map(([k, s]) => [
        k,
        { ...s.limiter.stats(), ...(s.outlier ? { instances: s.outlier.snapshot() } : {}), ...(s.failover ? { failover: s.failover.snapshot() } : {}) },
      ]),
    );
  }

  close(): void {
    for (const s of this.callers.values()) {
      s.outlier?.close();
      s.failover?.close();
    }
    this.wasm.close();
  }
}

/** Instances of a destination (of its subset, for a subset's settings): what maxEjectionPercent is a share of. */
function instanceCount(cur: CompiledConfig, dest: RtDestination): number {
  const instances = cur.services.get(dest.key)?.instances ?? [];
  const labels = dest.subset?.labels;
  if (!labels) return instances.length || 1;
  let n = 0;
  for (const i of instances) if (Object.entries(labels).every(([k, v]) => i.labels[k] === v)) n++;
  return n || 1;
}
