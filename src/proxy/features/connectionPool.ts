/**
 * `connectionPool`: admission of one calling listener's requests to one destination. Up to
 * `maxRequests` (and, over HTTP/1.1, `maxConnections`) requests run at once; up to
 * `maxPendingRequests` more wait in a queue; the rest overflow (answered 503 at once). `maxRetries`
 * bounds concurrent retries. The per-connection settings (maxConnections per instance,
 * maxRequestsPerConnection, timeouts) are applied to the upstream pools.
 */
import type { ConnectionPool } from "../../api/generated/proxyConfig.js";

/** Admission control for one (calling listener, destination). */
export class PoolLimiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private retries = 0;

  constructor(
    public config: ConnectionPool | undefined,
    private readonly http2: boolean,
  ) {}

  private get limit(): number {
    const c = this.config;
    if (!c) return Infinity;
    const byRequests = c.maxRequests ?? Infinity;
    const byConnections = this.http2 ? Infinity : (c.maxConnections ?? Infinity);
    return Math.min(byRequests, byConnections);
  }

  /**
   * Admits a request: resolves with a release function when it may run, or returns `undefined` at once
   * when it overflows the queue.
   */
  acquire(): Promise<() => void> | (() => void) | undefined {
    if (this.active < this.limit) {
      this.active++;
      return this.release;
    }
    const maxPending = this.config?.maxPendingRequests ?? Infinity;
    if (this.queue.length >= maxPending) return undefined;
    return new Promise((resolve) =>
      this.queue.push(() => {
        this.active++;
        resolve(this.release);
      }),
    );
  }

  private readonly release = (): void => {
    this.active--;
    while (this.queue.length && this.active < this.limit) this.queue.shift()!();
  };

  /** Takes a retry slot; false when `maxRetries` retries are already running. */
  acquireRetry(): boolean {
    const max = this.config?.maxRetries ?? Infinity;
    if (this.retries >= max) return false;
    this.retries++;
    return true;
  }

  releaseRetry(): void {
    this.retries--;
  }

  stats(): { active: number; pending: number; retries: number } {
    return { active: this.active, pending: this.queue.length, retries: this.retries };
  }
}
