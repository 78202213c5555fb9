/**
 * `outlierDetection`: passive health checking by one calling listener for one destination. A try's
 * outcome is recorded against the instance it went to; after `consecutive5xxErrors` 5xx answers or
 * connection failures in a row (or `consecutiveGatewayErrors` 502/503/504/connection failures), the
 * instance is ejected for baseEjectionTime x (times ejected), unless that would put more than
 * `maxEjectionPercent` of the instances out, counting the one about to be ejected (Envoy's rule,
 * `DetectorImpl::ejectHost`: `100 * (ejected + 1) / hosts <= max_ejection_percent`). The budget holds
 * both for the destination's instances and for the pool the failing request was picked from (the
 * subset a route sent it to), as each of Istio's per-subset clusters has its own: the only instance of a
 * subset is never ejected below 100 %, so a slow moment cannot turn a canary route into "no healthy
 * upstream". Ejected instances return at the first evaluation (every `intervalMs`) after their time is up.
 */
import type { OutlierDetection } from "../../api/generated/proxyConfig.js";

interface EndpointHealth {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  /** ms epoch until which it is out; 0 when in. */
  ejectedUntil: number;
}

/** One detector per (calling listener, destination). */
export class OutlierDetector {
  private readonly health = new Map<string, EndpointHealth>();
  private timer?: NodeJS.Timeout;
  /** Called on every ejection (for metrics and logs). */
  onEject?: (endpoint: string, ms: number) => void;

  constructor(
    public config: OutlierDetection,
    private total: () => number,
  ) {
    this.schedule();
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.evaluate(Date.now()), this.config.intervalMs).unref();
  }

  /** Replaces the settings (on reload) keeping the state. */
  update(config: OutlierDetection): void {
    const changed = config.intervalMs !== this.config.intervalMs;
    this.config = config;
    if (changed) this.schedule();
  }

  /** Brings back instances whose ejection time is over. */
  evaluate(now: number): void {
    for (const h of this.health.values()) if (h.ejectedUntil && h.ejectedUntil <= now) h.ejectedUntil = 0;
  }

  /** True while an instance is ejected. */
  isEjected(endpoint: string): boolean {
    const h = this.health.get(endpoint);
    return h !== undefined && h.ejectedUntil !== 0;
  }

  /** Number of ejected instances. */
  ejectedCount(): number {
    let n = 0;
    for (const h of this.health.values()) if (h.ejectedUntil) n++;
    return n;
  }

  /**
   * Records an outcome: an HTTP status, or `"connect-failure"`/`"reset"`/`"timeout"` (locally originated).
   * `pool`: the instances the request could be sent to (its route's subset), whose share of ejected
   * instances is bounded by maxEjectionPercent too.
   */
  record(endpoint: string, outcome: number | "connect-failure" | "reset" | "timeout", pool?: readonly { id: string }[]): void {
    let h = this.health.get(endpoint);
    if (!h) this.health.set(endpoint, (h = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, ejectedUntil: 0 }));
    const local = typeof outcome === "string";
    const is5xx = local || outcome >= 500;
    const isGateway = local || outcome === 502 || outcome === 503 || outcome === 504;
    h.consecutive5xx = is5xx ? h.consecutive5xx + 1 : 0;
    h.consecutiveGateway = isGateway ? h.consecutiveGateway + 1 : 0;
    if (h.ejectedUntil) return;
    const c = this.config;
    const trip =
      (c.consecutive5xxErrors > 0 && h.consecutive5xx >= c.consecutive5xxErrors) ||
      (c.consecutiveGatewayErrors > 0 && h.consecutiveGateway >= c.consecutiveGatewayErrors);
    if (!trip) return;
    if (!this.mayEject(pool)) return;
    h.ejections++;
    const ms = c.baseEjectionTimeMs * h.ejections;
    h.ejectedUntil = Date.now() + ms;
    h.consecutive5xx = 0;
    h.consecutiveGateway = 0;
    this.onEject?.(endpoint, ms);
  }

  /** True when one more ejection keeps the destination's and the pool's ejected share within maxEjectionPercent. */
  private mayEject(pool: readonly { id: string }[] | undefined): boolean {
    const max = this.config.maxEjectionPercent;
    if (((this.ejectedCount() + 1) * 100) / Math.max(1, this.total()) > max) return false;
    if (!pool?.length) return true;
    let out = 0;
    for (const i of pool) if (this.isEjected(i.id)) out++;
    return ((out + 1) * 100) / pool.length <= max;
  }

  /** State for the admin page. */
  snapshot(): Record<string, { ejected: boolean; ejections: number; consecutive5xx: number }> {
    return Object.fromEntries(
      [...this.health].map(([k, h]) => [k, { ejected: h.ejectedUntil !== 0, ejections: h.ejections, consecutive5xx: h.consecutive5xx }]),
    );
  }

  close(): void {
    clearInterval(this.timer);
  }
}
