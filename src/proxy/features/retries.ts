/**
 * `retries`: which outcomes of a try are retried (Envoy's retry-on semantics) and the back-off before
 * each retry.
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on
 */
import type { Retries } from "../../api/generated/proxyConfig.js";

/** How a try ended. */
export type TryOutcome =
  | { kind: "response"; status: number; grpcStatus?: number }
  | { kind: "connect-failure" }
  | { kind: "reset" }
  | { kind: "refused-stream" }
  | { kind: "timeout" };

const GRPC: Record<string, number> = { cancelled: 1, "deadline-exceeded": 4, "resource-exhausted": 8, internal: 13, unavailable: 14 };

/**
 * A compiled retry policy. The per-try timeout is not part of it: it bounds the first try too, so it
 * applies with `attempts: 0` as well (see `RtRoute.perTryTimeoutMs`).
 */
export interface RetryPolicy {
  attempts: number;
  backoffBaseMs: number;
  retriable(o: TryOutcome): boolean;
}

/** Compiles `Route.retries`: undefined when no retry is allowed (`attempts: 0`). */
export function compileRetries(r: Retries | undefined): RetryPolicy | undefined {
  if (!r || r.attempts <= 0) return undefined;
  const on = new Set(r.retryOn);
  const codes = new Set(r.retryOn.filter((c) => /^\d{3}$/.test(c)).map(Number));
  const grpc = new Set(r.retryOn.filter((c) => c in GRPC).map((c) => GRPC[c]));
  const x5 = on.has("5xx");
  const gw = on.has("gateway-error");
  const reset = on.has("reset");
  const connect = on.has("connect-failure");
  const refused = on.has("refused-stream");
  const r4 = on.has("retriable-4xx");
  return {
    attempts: r.attempts,
    backoffBaseMs: r.backoffBaseMs,
    retriable(o) {
      switch (o.kind) {
        case "response":
          if (o.grpcStatus !== undefined && grpc.has(o.grpcStatus)) return true;
          if (codes.has(o.status)) return true;
          if (x5 && o.status >= 500) return true;
          if (gw && (o.status === 502 || o.status === 503 || o.status === 504)) return true;
          return r4 && o.status === 409;
        case "connect-failure":
          return x5 || gw || reset || connect;
        case "reset":
          return x5 || gw || reset;
        case "timeout":
          return x5 || gw || reset;
        case "refused-stream":
          return x5 || gw || reset || refused;
      }
    },
  };
}

/**
 * Back-off before retry `n` (1-based): a random time in [0, (2^n - 1) x base], at most 10 x base
 * (Envoy's fully jittered exponential back-off).
 */
export function backoffMs(n: number, baseMs: number, random: () => number = Math.random): number {
  const cap = Math.min((2 ** Math.min(n, 20) - 1) * baseMs, 10 * baseMs);
  return Math.floor(random() * cap);
}
