/**
 * `rateLimit`: token buckets on each instance's inbound listener. A request takes one token from the
 * bucket shared by all callers and, with `perIdentity`, one from its caller's own bucket (overrides give
 * some callers another rate); an empty bucket means 429.
 */
import type { RateLimit } from "../../api/generated/proxyConfig.js";

/** A token bucket refilled continuously. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now = performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes a token; false when empty. */
  take(now = performance.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Identities tracked per limiter before the oldest buckets are forgotten. */
const MAX_IDENTITIES = 10_000;

/** The rate limiter of one inbound listener. */
export class RateLimiter {
  private readonly total: TokenBucket;
  private readonly perIdentity = new Map<string, TokenBucket>();
  private readonly overrides: { principals: Set<string>; any: boolean; rps: number }[];

  constructor(readonly config: RateLimit) {
    this.total = new TokenBucket(config.requestsPerSecond, config.burst);
    this.overrides = (config.overrides ?? []).map((o) => ({ principals: new Set(o.principals ?? []), any: o.anyIdentity === true, rps: o.requestsPerSecond }));
  }

  /** True when the request may pass. `identity` is the caller's SPIFFE ID (undefined: no identity). */
  allow(identity: string | undefined): boolean {
    const rps = this.identityRate(identity);
    if (rps !== undefined) {
      const key = identity ?? "";
      let b = this.perIdentity.get(key);
      if (!b) {
        if (this.perIdentity.size >= MAX_IDENTITIES) this.perIdentity.delete(this.perIdentity.keys().next().value!);
        this.perIdentity.set(key, (b = new TokenBucket(rps, rps)));
      }
      if (!b.take()) return false;
    }
    return this.total.take();
  }

  private identityRate(identity: string | undefined): number | undefined {
    if (identity) for (const o of this.overrides) if (o.any || o.principals.has(identity)) return o.rps;
    return this.config.perIdentity;
  }
}
