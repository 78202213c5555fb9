/**
 * Feature `retries` → `MeshRetry` (producer policy: `targetRef: Mesh`, `to: [{targetRef: MeshService}]`)
 * `default.http` {numRetries, perTryTimeout, backOff, retryOn} (kuma `pkg/plugins/policies/meshretry`).
 *
 * - Kuma creates `mesh-retry-all-<mesh>` with every Mesh: 5 HTTP and 5 gRPC retries, 16s per try. The model's
 *   omitted `retries` means none, so EVERY destination with a TrafficPolicy gets a MeshRetry with
 *   `numRetries: 0` for http and grpc (Kuma then configures no retry policy: `plugin/xds/configurer.go`).
 * - Kuma merges MeshRetry fields over the defaults one by one, so a per-try timeout the model does not set
 *   is written `0s` (disabled), else the default's 16s would apply; the back-off's maximum is written as
 *   Envoy's default (10 × base) when the model sets a base, else the default's 250ms could be below it.
 * - retryOn: 5xx → `5xx`, gateway-error → `GatewayError`, reset → `Reset`, connect-failure →
 *   `ConnectFailure`, refused-stream → `RefusedStream`, retriable-4xx → `Retriable4xx`, status codes as
 *   written; gRPC conditions (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) go to
 *   `default.grpc.retryOn` (Kuma applies `grpc` to gRPC services and `http` to HTTP ones).
 *   `retriable-status-codes` has no Kuma value (codes are written directly): error.
 * - For the MeshService when every request gets the same retries (uniform.ts), else per route
 *   (`to[].targetRef: {kind: MeshHTTPRoute, name}`) over `numRetries: 0` for the MeshService.
 */
import { parseDuration } from "../../../api/duration.js";
import { DEFAULT_RETRY_ON } from "../../../api/model.js";
import type { Retries } from "../../../api/generated/model.js";
import { type At, type EffectiveRoute, exposedPorts } from "../../../api/model.js";
import { type DestinationContext, kumaDuration } from "../context.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const retries: FeatureModule = featureModule("retries", () =>
  full(
    "MeshRetry.to[MeshService | MeshHTTPRoute].default.http|grpc {numRetries, perTryTimeout, backOff, retryOn}",
    "numRetries: 0 switches off Kuma's default MeshRetry (5 retries) on every destination with a TrafficPolicy; status codes instead of retriable-status-codes",
  ),
);

const HTTP_ON: Readonly<Record<string, string>> = {
  "5xx": "5xx",
  "gateway-error": "GatewayError",
  reset: "Reset",
  "connect-failure": "ConnectFailure",
  "refused-stream": "RefusedStream",
  "retriable-4xx": "Retriable4xx",
};
const GRPC_ON: Readonly<Record<string, string>> = {
  cancelled: "Canceled",
  "deadline-exceeded": "DeadlineExceeded",
  internal: "Internal",
  "resource-exhausted": "ResourceExhausted",
  unavailable: "Unavailable",
};

type Section = { numRetries: number; perTryTimeout?: string; backOff?: { baseInterval: string; maxInterval: string }; retryOn?: string[] };

/** The retries of a route, `undefined` for none (attempts 0 included). */
export function routeRetries(r: EffectiveRoute): At<Retries> | undefined {
  return r.retries && r.retries.value.attempts > 0 ? r.retries : undefined;
}

/** MeshRetry `default` that switches retries off (Kuma's default MeshRetry retries 5 times). */
export const NO_RETRIES = { http: { numRetries: 0 }, grpc: { numRetries: 0 } };

/** The MeshRetry `default` of a route's retries; `undefined` when a condition has no Kuma value (reported). */
export function retryDefault(dc: DestinationContext, r: EffectiveRoute): { http: Section; grpc: Section } | undefined {
  const rt = routeRetries(r);
  if (!rt) return NO_RETRIES;
  const { value: v, pointer } = rt;
  const base: Section = { numRetries: v.attempts, perTryTimeout: v.perTryTimeout ? kumaDuration(parseDuration(v.perTryTimeout) ?? 0) : "0s" };
  if (v.backoff) {
    const ms = parseDuration(v.backoff) ?? 25;
    base.backOff = { baseInterval: kumaDuration(ms), maxInterval: kumaDuration(ms * 10) };
  }
  const http: string[] = [],
    grpc: string[] = [];
  let bad = false;
  (v.retryOn ?? [...DEFAULT_RETRY_ON]).forEach((c, i) => {
    if (HTTP_ON[c]) http.push(HTTP_ON[c]);
    else if (GRPC_ON[c]) grpc.push(GRPC_ON[c]);
    else if (/^[1-5][0-9][0-9]$/.test(c)) http.push(c);
    else {
      bad = true;
      dc.kc.report(r.policy, `${pointer}/retryOn/${i}`, {
        feature: "retries",
        kind: "unsupported-value",
        what: "retryOn",
        severity: "error",
        message: `Kuma's MeshRetry has no retryOn value for "${c}" (it lists the status codes themselves); write the status codes to retry on instead`,
      });
    }
  });
  // Kuma applies `grpc` to gRPC services and `http` to the others (by the MeshService port's protocol):
  // conditions of the other kind would be ignored where the protocol is known.
  const protocols = new Set(
    exposedPorts(dc.view.ports)
      .filter((p) => p.declared && (r.port === undefined || p.port === r.port))
      .map((p) => p.protocol ?? "http"),
  );
  const only = protocols.size === 1 ? [...protocols][0] : undefined;
  const other = only === "grpc" ? http : only === "http" || only === "http2" ? grpc : [];
  if (other.length) {
    dc.kc.report(r.policy, `${pointer}/retryOn`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "retryOn-protocol",
      severity: "error",
      message: `Kuma's MeshRetry applies ${only === "grpc" ? "only grpc.retryOn (gRPC status names) to a gRPC service" : "only http.retryOn to an HTTP service"}, so ${other.join(", ")} would be ignored for ${dc.view.namespace}/${dc.view.service} (protocol ${only}); use ${only === "grpc" ? "cancelled, deadline-exceeded, internal, resource-exhausted, unavailable" : "HTTP conditions"}`,
    });
    return undefined;
  }
  if (bad) return undefined;
  return {
    http: http.length ? { ...base, retryOn: http } : { numRetries: 0 },
    grpc: grpc.length ? { ...base, retryOn: grpc } : { numRetries: 0 },
  };
}
