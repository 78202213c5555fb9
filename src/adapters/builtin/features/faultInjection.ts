/** `faultInjection` → `Route.faultInjection`: percentages defaulted to 100, gRPC status names as codes. */
import { ms } from "./common.js";
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `faultInjection` (format version 1). */
export const faultInjectionFeature: FeatureModule = {
  features: ["faultInjection"],
  capabilities: () => ({ faultInjection: full("Route.faultInjection") }),
};

/** gRPC status codes by name (grpc/grpc doc/statuscodes.md). */
export const GRPC_STATUS: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export const faultInjection: RouteFeature = (r, out) => {
  const f = r.faultInjection?.value;
  if (!f) return;
  out.faultInjection = {
    ...(f.delay ? { delay: { fixedDelayMs: ms(f.delay.fixedDelay), percent: f.delay.percent ?? 100 } } : {}),
    ...(f.abort
      ? {
          abort: {
            ...(f.abort.httpStatus !== undefined ? { httpStatus: f.abort.httpStatus } : {}),
            ...(f.abort.grpcStatus !== undefined ? { grpcStatus: GRPC_STATUS[f.abort.grpcStatus] } : {}),
            percent: f.abort.percent ?? 100,
          },
        }
      : {}),
  };
};
