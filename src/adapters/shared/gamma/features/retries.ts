/**
 * Features `timeout` and `retries` → `HTTPRoute.rules[].timeouts` {request, backendRequest} (GEP-1742;
 * standard from 1.2) and `rules[].retry` {attempts, backoff, codes} (GEP-1731; experimental channel only,
 * up to 1.6). GRPCRoute has neither (errors).
 *
 * - `timeout` → `timeouts.request` (the whole request, retries included, as the model means it).
 * - `retries.attempts` → `retry.attempts` ("the maximum number of times an individual request from the
 *   gateway to a backend should be retried"); `backoff` → `retry.backoff` (the minimum wait between tries,
 *   which is what the model's base interval is).
 * - `retries.perTryTimeout` → `timeouts.backendRequest` ("a timeout for an individual request from the
 *   gateway to a backend", applied to each try), at most the request timeout (a CEL rule of the CRD; a
 *   per-try timeout longer than the request timeout can never fire anyway).
 * - `retryOn` → `retry.codes`: `5xx` = 500-599, `gateway-error` = 502, 503, 504, `retriable-4xx` = 409,
 *   a status code 400-599 itself. Connection failures (`connect-failure`, `reset`, `refused-stream`) have
 *   no field: implementations SHOULD retry them whenever a retry stanza exists (GEP-1731), so asking for
 *   them is fine and leaving them out is a warning. gRPC status conditions are errors.
 * - No `retries` (or `attempts: 0`): Gateway API cannot switch retries off (`attempts` is at least 1, and
 *   without `retry` the number of retries is implementation-specific): an info note, a warning when the
 *   policy says `attempts: 0` explicitly.
 */
import type { EffectiveRoute } from "../../../../api/model.js";
import { formatDuration, parseDuration } from "../../../../api/duration.js";
import { type FeatureModule, none, partial } from "../../../../api/feature-module.js";
import { hasField, whereAvailable } from "../versions.js";
import type { GatewayContext } from "../context.js";
import type { Retry, RouteRule } from "../resources.js";

const CONNECTION = new Set(["connect-failure", "reset", "refused-stream"]);
const GRPC = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** Why "no retries" has no Gateway API field, with what the target does without one (GatewayContext.withoutRetry). */
const noOff = (gc: GatewayContext) =>
  `Gateway API cannot switch retries off: rules[].retry.attempts is at least 1, and without rules[].retry ${gc.withoutRetry}`;

/** Fills `rule.timeouts` and `rule.retry` of an HTTPRoute rule, or reports them on a GRPCRoute rule. */
export function applyResilience(gc: GatewayContext, r: EffectiveRoute, rule: RouteRule, grpc: boolean): void {
  const timeout = r.timeout?.value;
  const timeouts: NonNullable<RouteRule["timeouts"]> = {};
  if (r.timeout) {
    if (grpc)
      gc.report(r.policy, r.timeout.pointer, {
        feature: "timeout",
        kind: "unsupported-feature",
        what: "grpc",
        severity: "error",
        message: `a GRPCRoute has no timeouts in ${gc.release} (only HTTPRoute rules[].timeouts); remove timeout, or serve the port as http`,
      });
    else if (!gc.has("HTTPRoute.rules[].timeouts"))
      gc.report(r.policy, r.timeout.pointer, {
        feature: "timeout",
        kind: "unsupported-feature",
        what: "release",
        severity: "error",
        message: gc.needs("HTTPRoute.rules[].timeouts"),
      });
    else timeouts.request = formatDuration(timeout!);
  }
  const rt = r.retries;
  if (!rt || rt.value.attempts === 0) {
    if (r.action.kind === "split") {
      if (rt)
        gc.report(r.policy, `${rt.pointer}/attempts`, {
          feature: "retries",
          kind: "unsupported-value",
          what: "attempts",
          severity: "warning",
          message: `attempts: 0: ${noOff(gc)}`,
        });
      else gc.report(r.policy, "/spec", { feature: "retries", kind: "note", severity: "info", message: `no retries: ${noOff(gc)}` });
    }
  } else if (grpc) {
    gc.report(r.policy, rt.pointer, {
      feature: "retries",
      kind: "unsupported-feature",
      what: "grpc",
      severity: "error",
      message: `a GRPCRoute has no retry field in ${gc.release}; remove retries, or serve the port as http`,
    });
  } else if (!gc.has("HTTPRoute.rules[].retry")) {
    gc.report(r.policy, rt.pointer, {
      feature: "retries",
      kind: "unsupported-feature",
      what: "release",
      severity: "error",
      message: `retries need HTTPRoute rules[].retry (GEP-1731): ${gc.needs("HTTPRoute.rules[].retry")}`,
    });
  } else {
    const retry: Retry = { attempts: rt.value.attempts };
    if (rt.value.backoff) {
      if (gc.has("HTTPRoute.rules[].retry.backoff")) retry.backoff = formatDuration(parseDuration(rt.value.backoff) ?? 0);
      else
        gc.report(r.policy, `${rt.pointer}/backoff`, {
          feature: "retries",
          kind: "unsupported-value",
          what: "backoff",
          severity: "error",
          message: `backoff: ${gc.needs("HTTPRoute.rules[].retry.backoff")}; remove backoff`,
        });
    }
    const codes = new Set<number>();
    let connection = false;
    const on = rt.value.retryOn ?? ["connect-failure", "refused-stream", "5xx"];
    on.forEach((c, i) => {
      const at = rt.value.retryOn ? `${rt.pointer}/retryOn/${i}` : rt.pointer;
      if (c === "5xx") for (let s = 500; s <= 599; s++) codes.add(s);
      else if (c === "gateway-error") [502, 503, 504].forEach((s) => codes.add(s));
      else if (c === "retriable-4xx") codes.add(409);
      else if (c === "retriable-status-codes") {
        /* the listed status codes say which */
      } else if (CONNECTION.has(c)) connection = true;
      else if (GRPC.has(c))
        gc.report(r.policy, at, {
          feature: "retries",
          kind: "unsupported-value",
          what: "retryOn-grpc",
          severity: "error",
          message: `${c} is a gRPC status; HTTPRoute rules[].retry.codes are HTTP status codes, and a GRPCRoute has no retry field`,
        });
      else if (/^[0-9]{3}$/.test(c) && Number(c) >= 400 && Number(c) <= 599) codes.add(Number(c));
      else
        gc.report(r.policy, at, {
          feature: "retries",
          kind: "unsupported-value",
          what: "retryOn",
          severity: "error",
          message: `HTTPRoute rules[].retry.codes are status codes 400-599, not ${c}`,
        });
    });
    if (!connection) {
      gc.report(r.policy, rt.value.retryOn ? `${rt.pointer}/retryOn` : rt.pointer, {
        feature: "retries",
        kind: "unsupported-value",
        what: "connection-errors",
        severity: "warning",
        message: `retryOn has no connection failure (connect-failure, reset, refused-stream), and Gateway API implementations SHOULD retry connection errors whenever rules[].retry is set (GEP-1731; not configurable): such requests may be retried too`,
      });
    }
    if (codes.size) retry.codes = [...codes].sort((a, b) => a - b);
    rule.retry = retry;
  }
  // The per-try timeout bounds each try, the first included, with or without retries.
  if (rt?.value.perTryTimeout && !grpc && gc.has("HTTPRoute.rules[].timeouts")) {
    const per = parseDuration(rt.value.perTryTimeout) ?? 0;
    timeouts.backendRequest = formatDuration(timeout !== undefined ? Math.min(per, timeout) : per);
  }
  if (timeouts.backendRequest !== undefined || timeouts.request !== undefined) {
    const sorted: NonNullable<RouteRule["timeouts"]> = {};
    if (timeouts.backendRequest !== undefined) sorted.backendRequest = timeouts.backendRequest;
    if (timeouts.request !== undefined) sorted.request = timeouts.request;
    rule.timeouts = sorted;
  }
}

/** `timeout` and `retries`: rules[].timeouts and rules[].retry. */
export const resilienceFeature: FeatureModule = {
  features: ["timeout", "retries"],
  capabilities: (version) => ({
    timeout: partial("HTTPRoute.rules[].timeouts.request", "not on gRPC ports (GRPCRoute has no timeouts)"),
    retries: hasField(version, "experimental", "HTTPRoute.rules[].retry")
      ? partial(
          "HTTPRoute.rules[].retry {attempts, backoff, codes} + timeouts.backendRequest",
          "experimental channel only (--set channel=experimental); retries cannot be switched off; connection errors are always retried once retry is set; 5xx is every code 500-599 (implementations must support 500, 502, 503, 504)",
        )
      : none(`HTTPRoute.rules[].retry is in ${whereAvailable("HTTPRoute.rules[].retry")}`),
  }),
};
