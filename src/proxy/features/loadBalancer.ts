/**
 * `loadBalancer`: picks one healthy instance of a target for a request. round-robin (the default),
 * least-request (the fewer in-flight requests of two random picks), random, and consistent-hash
 * (rendezvous hashing: the instance with the highest hash of key + instance wins, so a key keeps its
 * instance while the set is stable and only the keys of a removed instance move).
 */
import type { LoadBalancer } from "../../api/generated/proxyConfig.js";

/** What the balancer needs of an instance. */
export interface Balanceable {
  id: string;
  /** Requests in flight to it from this caller. */
  active: number;
}

/** FNV-1a, 32 bit. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mixes a 32-bit value (murmur3 finalizer), so rendezvous scores are well spread. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A balancer for one (caller, destination). */
export class Balancer {
  private rr = 0;
  constructor(public config: LoadBalancer | undefined) {}

  /** Picks among `candidates` (healthy instances of the target), `hashKey` for consistent-hash. */
  pick<T extends Balanceable>(candidates: readonly T[], hashKey: string | undefined): T | undefined {
    const n = candidates.length;
    if (n <= 1) return candidates[0];
    switch (this.config?.algorithm ?? "round-robin") {
      case "random":
        return candidates[Math.floor(Math.random() * n)];
      case "least-request": {
        const a = candidates[Math.floor(Math.random() * n)];
        let b = candidates[Math.floor(Math.random() * (n - 1))];
        if (b === a) b = candidates[n - 1];
        return b.active < a.active ? b : a;
      }
      case "consistent-hash": {
        if (hashKey === undefined) return candidates[Math.floor(Math.random() * n)];
        const k = fnv1a(hashKey);
        let best = candidates[0];
        let bestScore = -1;
        for (const c of candidates) {
          const score = mix(k ^ fnv1a(c.id));
          if (score > bestScore) {
            bestScore = score;
            best = c;
          }
        }
        return best;
      }
      default:
        return candidates[this.rr++ % n];
    }
  }
}
