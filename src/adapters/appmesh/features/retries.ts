/**
 * Retries → `VirtualRouter.spec.routes[].httpRoute.retryPolicy` (also `http2Route`, `grpcRoute`):
 * {maxRetries, perRetryTimeout{unit,value}, httpRetryEvents[server-error|gateway-error|client-error|
 * stream-error], tcpRetryEvents[connection-error], grpcRetryEvents[cancelled|deadline-exceeded|
 * internal|resource-exhausted|unavailable]} (`HTTPRetryPolicy` / `GRPCRetryPolicy` in
 * `apis/appmesh/v1beta2/virtualrouter_types.go`; App Mesh user guide `routes.md`).
 *
 * The model's `retryOn` uses Envoy's names; App Mesh's events map to them:
 * `5xx` → server-error (500-508, 510, 511: the registered 5xx codes), `gateway-error` → gateway-error
 * (both also retry resets, as Envoy's do),
 * `retriable-4xx` → client-error (409), `refused-stream` → stream-error, `connect-failure` →
 * tcpRetryEvents connection-error, gRPC names → grpcRetryEvents (gRPC routes only). `reset` and single
 * status codes have no event of their own: they are accepted only when another listed condition already
 * covers them (`reset` by 5xx/gateway-error, `503` by 5xx/gateway-error, ...). App Mesh has no back-off
 * setting (Envoy's 25ms base applies).
 *
 * Omitted retries mean NO retries, but App Mesh adds a default retry policy (2 retries on 503,
 * gRPC UNAVAILABLE, connect-failure, refused-stream and resets) to every route without one
 * (App Mesh user guide `envoy-defaults.md`, "Default route retry policy"). Every HTTP/HTTP2/gRPC route
 * therefore gets an explicit policy with `maxRetries: 0`, which replaces the default.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { durationUnitValue } from "../../../api/duration.js";
import { APPMESH_DEFAULT_REQUEST_TIMEOUT_MS, ENVOY_DEFAULT_BACKOFF_MS, type Tx } from "../context.js";
import type { AmProtocol, RetryPolicy } from "../resources.js";
import { DEFAULT_RETRY_ON } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { VR } from "./match.js";

/** What App Mesh can do of `retries`. */
export const retriesFeature: FeatureModule = {
  features: ["retries"],
  capabilities: () => ({
    retries: partial(
      `${VR}.httpRoute.retryPolicy`,
      "retryOn 5xx, gateway-error, retriable-4xx, refused-stream, connect-failure (gRPC codes on gRPC ports); no back-off; no chosen status codes; omitted retries disable App Mesh's default retry policy",
    ),
  }),
};

/** A tcp route cannot retry (tcpRoute has no retry policy): false when reported. */
export function checkTcpRetries(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.retries || r.retries.value.attempts <= 0) return true;
  tx.report(r.policy, r.retries.pointer, {
    feature: "retries",
    kind: "unsupported-value",
    what: "tcp-port",
    severity: "error",
    message: `retries: the destination port speaks tcp, and ${tx.mesh} tcpRoute has no retry policy; remove retries, or declare the port's protocol (http, http2, grpc) in the MeshService`,
  });
  return false;
}

const HTTP_EVENTS = ["server-error", "gateway-error", "client-error", "stream-error"] as const;
const GRPC_EVENTS = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"] as const;
/** Bit of each of HTTP_EVENTS (its index) in `retryPolicy`'s event mask. */
const HTTP_BIT: Record<(typeof HTTP_EVENTS)[number], number> = { "server-error": 1, "gateway-error": 2, "client-error": 4, "stream-error": 8 };
/** The status codes of App Mesh's `server-error` event (App Mesh API `HttpRetryPolicy.httpRetryEvents`). */
const SERVER_ERROR_CODES = [500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511];

/**
 * The retry policy of a route for an HTTP/HTTP2/gRPC listener: the model's retries, or an explicit
 * "no retries" policy. `timeoutMs` is the route's request timeout (bounds the default per-try timeout).
 * Returns null when something cannot be expressed (reported).
 */
export function retryPolicy(tx: Tx, r: EffectiveRoute, protocol: Exclude<AmProtocol, "tcp">, timeoutMs: number | undefined): RetryPolicy | null {
  const at = r.retries;
  const bound = timeoutMs ?? APPMESH_DEFAULT_REQUEST_TIMEOUT_MS;
  if (!at || at.value.attempts === 0) return disabledRetryPolicy(bound);
  const spec = at.value;
  let ok = true;
  // The events to retry on, as bits of HTTP_EVENTS / GRPC_EVENTS (in their order) and one flag for
  // tcp's connection-error: no Sets to allocate for each of thousands of routes.
  let http = 0;
  let tcp = false;
  let grpc = 0;
  const conditions = spec.retryOn ?? DEFAULT_RETRY_ON;
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i];
    switch (c) {
      case "5xx":
        http |= HTTP_BIT["server-error"];
        break;
      case "gateway-error":
        http |= HTTP_BIT["gateway-error"];
        break;
      case "retriable-4xx":
        http |= HTTP_BIT["client-error"];
        break;
      case "refused-stream":
        http |= HTTP_BIT["stream-error"];
        break;
      case "connect-failure":
        tcp = true;
        break;
      case "reset":
        if (!conditions.includes("5xx") && !conditions.includes("gateway-error"))
          ok = bad(
            tx,
            r,
            i,
            c,
            "retries resets only as part of server-error or gateway-error (retryPolicy.httpRetryEvents); add 5xx or gateway-error to retryOn, or drop reset",
          );
        break;
      case "retriable-status-codes":
        break; // only activates the listed codes, checked one by one below
      default:
        if (/^[1-5][0-9][0-9]$/.test(c)) {
          const code = Number(c);
          const covered =
            (SERVER_ERROR_CODES.includes(code) && conditions.includes("5xx")) ||
            ([502, 503, 504].includes(code) && conditions.includes("gateway-error")) ||
            (code === 409 && conditions.includes("retriable-4xx"));
          if (!covered)
            ok = bad(
              tx,
              r,
              i,
              c,
              "cannot retry on a chosen status code, only on server-error (5xx), gateway-error (502/503/504) or client-error (409) (retryPolicy.httpRetryEvents); use one of those classes",
            );
        } else if ((GRPC_EVENTS as readonly string[]).includes(c)) {
          if (protocol === "grpc") grpc |= 1 << (GRPC_EVENTS as readonly string[]).indexOf(c);
          else
            ok = bad(
              tx,
              r,
              i,
              c,
              `retries on gRPC status "${c}" only on gRPC routes (grpcRoute.retryPolicy.grpcRetryEvents); declare the port's protocol as grpc in the MeshService, or use 5xx`,
            );
        } else {
          ok = bad(tx, r, i, c, "has no such retry event");
        }
    }
  }
  if (spec.backoff !== undefined && tx.parseMs(spec.backoff) !== ENVOY_DEFAULT_BACKOFF_MS) {
    tx.report(r.policy, `${at.pointer}/backoff`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "backoff",
      severity: "error",
      message: `backoff: ${tx.mesh} has no retry back-off setting (retryPolicy has maxRetries, perRetryTimeout and events only; Envoy's ${ENVOY_DEFAULT_BACKOFF_MS}ms base interval applies); remove backoff for --mesh appmesh, or use --mesh istio`,
    });
    ok = false;
  }
  const perTry =
    spec.perTryTimeout !== undefined
      ? tx.duration(tx.parseMs(spec.perTryTimeout) ?? 0, r.policy, `${at.pointer}/perTryTimeout`, "retries")
      : tx.duration(bound, r.policy, at.pointer, "retries");
  if (!perTry || !ok) return null;
  if (!http && !tcp && !grpc) return disabledRetryPolicy(bound); // nothing listed can trigger a retry
  // Keys in sorted order (see translator.ts).
  const policy = {} as RetryPolicy;
  if (grpc) policy.grpcRetryEvents = events(GRPC_EVENTS, grpc);
  if (http) policy.httpRetryEvents = events(HTTP_EVENTS, http);
  policy.maxRetries = spec.attempts;
  policy.perRetryTimeout = perTry;
  if (tcp) policy.tcpRetryEvents = ["connection-error"];
  return policy;
}

/** The events whose bit (their index in `all`) is set in `mask`, in the order of `all`. */
function events(all: readonly string[], mask: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < all.length; b++) if (mask & (1 << b)) out.push(all[b]);
  return out;
}

/** Reports `retryOn[i]` (`c`) as something App Mesh cannot retry on, and why. Returns false (not ok). */
function bad(tx: Tx, r: EffectiveRoute, i: number, c: string, why: string): false {
  tx.report(r.policy, `${r.retries!.pointer}/retryOn/${i}`, {
    feature: "retries",
    kind: "unsupported-value",
    what: "retryOn",
    severity: "error",
    message: `retryOn "${c}": ${tx.mesh} ${why}`,
  });
  return false;
}

/**
 * A policy that retries nothing: `maxRetries: 0` (App Mesh requires an event and a per-retry timeout;
 * the per-retry timeout equals the request bound, so it never cuts the single try short).
 */
export function disabledRetryPolicy(boundMs: number): RetryPolicy {
  // Keys in sorted order (see translator.ts).
  return { maxRetries: 0, perRetryTimeout: durationUnitValue(boundMs), tcpRetryEvents: ["connection-error"] };
}
