/**
 * `faultInjection`: per request, independently, a delay (with its percentage) and then an abort (with
 * its percentage). An abort is answered by the caller's proxy: the destination never sees the request.
 */
import type { FaultInjection } from "../../api/generated/proxyConfig.js";

/** What to inject into one request. */
export interface FaultDecision {
  delayMs?: number;
  abort?: { httpStatus?: number; grpcStatus?: number };
}

/** True with probability percent/100. */
export function chance(percent: number, random: () => number = Math.random): boolean {
  return percent >= 100 || (percent > 0 && random() * 100 < percent);
}

/** Draws the faults of one request. */
export function decideFault(f: FaultInjection, random: () => number = Math.random): FaultDecision | undefined {
  const delay = f.delay && chance(f.delay.percent, random) ? f.delay.fixedDelayMs : undefined;
  const abort =
    f.abort && chance(f.abort.percent, random)
      ? {
          ...(f.abort.httpStatus !== undefined ? { httpStatus: f.abort.httpStatus } : {}),
          ...(f.abort.grpcStatus !== undefined ? { grpcStatus: f.abort.grpcStatus } : {}),
        }
      : undefined;
  if (delay === undefined && !abort) return undefined;
  return { ...(delay !== undefined ? { delayMs: delay } : {}), ...(abort ? { abort } : {}) };
}
