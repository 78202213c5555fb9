/**
 * Feature `retries` (timeouts: timeout.ts).
 *
 * Linkerd 2.16+ (`2.16/reference/retries.md`, `timeouts.md`; policy controller
 * `outbound/index/http.rs` `parse_http_retry`, `outbound/index.rs` `parse_timeouts`), as annotations on
 * the HTTPRoute/GRPCRoute (route annotations override the parent Service's, so unimesh never touches the
 * Service for them):
 * - `timeout` → `timeout.linkerd.io/request` (the whole request, retries included: Linkerd's request
 *   timeouts are not retried; only the retry timeout is). Written as `<n>ms` or `<n>s`: Linkerd's
 *   duration parser takes one integer and one unit.
 * - `retries.attempts` → `retry.linkerd.io/limit`. Omitted retries or `attempts: 0` mean no retries,
 *   which is Linkerd's default: nothing is written (a note warns that a route without retry annotations
 *   inherits those of its Service).
 * - `retries.perTryTimeout` → `retry.linkerd.io/timeout` (a try exceeding it is cancelled and retried,
 *   as Istio's perTryTimeout). With `attempts: 0` it only bounds the single try, so it is folded into
 *   the request timeout (the smaller of both).
 * - `retries.retryOn` → `retry.linkerd.io/http` (HTTPRoute: `5xx`, `gateway-error`, codes; `retriable-4xx`
 *   is 409) or `retry.linkerd.io/grpc` (GRPCRoute: cancelled, deadline-exceeded, internal,
 *   resource-exhausted, unavailable). Linkerd always retries HTTP/2 REFUSED_STREAM and its own
 *   fail-fast errors once retries are on (linkerd2-proxy `route/retry.rs` `retryable_error`), so
 *   `refused-stream` needs nothing next to a status condition; `retriable-status-codes` means the codes
 *   listed in retryOn. Neither can stand alone: without `retry.linkerd.io/http` (`/grpc`) Linkerd applies
 *   its DEFAULT conditions (policy controller `parse_http_retry`, `conditions: None`), so a retryOn that
 *   leaves the annotation empty is an error for each such condition. Linkerd never retries a connection
 *   failure or a reset stream, so `connect-failure` and `reset` (also in the default
 *   `[connect-failure, refused-stream, 5xx]`) are errors.
 * - `retries.backoff`: Linkerd has no back-off setting (error).
 *
 * Linkerd 2.14–2.15 read retries and timeouts from a ServiceProfile (see serviceProfile.ts); this module
 * checks what a ServiceProfile route can express.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { Retries } from "../../../api/generated/model.js";
import { formatDuration, parseDuration } from "../../../api/duration.js";
import type { LinkerdContext } from "../context.js";
import { DEFAULT_RETRY_ON } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { versionFacts } from "../versions.js";
import { effectiveTimeoutMs } from "./timeout.js";

/** What Linkerd can do of `retries`, per version. */
export const retriesFeature: FeatureModule = {
  features: ["retries"],
  capabilities: (version) => ({
    retries: versionFacts(version).legacy
      ? partial(
          "ServiceProfile routes[].isRetryable + retryBudget",
          "No attempt count (a Service-wide retry budget: approximation retry-budget), no per-try timeout, retries 5xx only; the ServiceProfile makes Linkerd ignore the Service's HTTPRoutes and failure accrual.",
        )
      : partial(
          "HTTPRoute/GRPCRoute annotations retry.linkerd.io/limit, /timeout, /http, /grpc",
          "Retries status codes (and always REFUSED_STREAM), never connect-failure or reset; no back-off setting.",
        ),
  }),
};

/** The model's retry conditions when `retryOn` is omitted. */
export { DEFAULT_RETRY_ON };

const GRPC_CONDITIONS = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** True when the route retries (attempts > 0). */
export function hasRetries(r: EffectiveRoute): boolean {
  return !!r.retries && r.retries.value.attempts > 0;
}

/** Notes that "no retries" relies on the Service carrying no retry annotations (once per policy field). */
export function noteNoRetries(lc: LinkerdContext, r: EffectiveRoute): void {
  if (!r.retries || r.retries.value.attempts !== 0) return;
  lc.report(r.policy, `${r.retries.pointer}/attempts`, {
    feature: "retries",
    kind: "note",
    what: "attempts",
    severity: "info",
    message: lc.facts.legacy
      ? `Linkerd ${lc.version} retries only routes a ServiceProfile marks isRetryable, so nothing is emitted for attempts: 0; make sure no ServiceProfile of the Service does`
      : `Linkerd does not retry unless configured, so nothing is emitted for attempts: 0; a route without retry annotations inherits the retry.linkerd.io/* annotations of its Service, so make sure the Service has none`,
  });
}

/** Retry conditions sorted into Linkerd's two annotations; unsupported ones reported. */
function conditions(lc: LinkerdContext, r: EffectiveRoute, kind: "http" | "grpc"): { http: string[]; grpc: string[] } {
  const rt = r.retries!;
  const explicit = rt.value.retryOn;
  const on = explicit ?? [...DEFAULT_RETRY_ON];
  const at = (i: number) => (explicit ? `${rt.pointer}/retryOn/${i}` : rt.pointer);
  const http: string[] = [];
  const grpc: string[] = [];
  const v = `Linkerd ${lc.version}`;
  on.forEach((c, i) => {
    if (c === "5xx" || c === "gateway-error" || /^[0-9]{3}$/.test(c)) http.push(c);
    else if (c === "retriable-4xx") http.push("409");
    else if (c === "retriable-status-codes" || c === "refused-stream") {
      /* codes listed separately; REFUSED_STREAM always retried */
    } else if (c === "connect-failure" || c === "reset") {
      lc.report(r.policy, at(i), {
        feature: "retries",
        kind: "unsupported-value",
        what: "retryOn",
        severity: "error",
        message: `${v} retries on response status codes (and always on HTTP/2 REFUSED_STREAM and its own retry timeout) but never on ${c === "reset" ? "a stream reset after the request was sent" : "a failed connection"}, so ${explicit ? `retryOn ${c}` : `the default retryOn [connect-failure, refused-stream, 5xx]`} cannot be expressed; ${explicit ? `remove ${c}` : "set retryOn explicitly, e.g. [5xx, refused-stream]"}`,
      });
    } else if (GRPC_CONDITIONS.has(c)) grpc.push(c);
  });
  if (kind === "http" && grpc.length) {
    on.forEach((c, i) => {
      if (GRPC_CONDITIONS.has(c))
        lc.report(r.policy, at(i), {
          feature: "retries",
          kind: "unsupported-value",
          what: "retryOn-grpc",
          severity: "error",
          message: `gRPC status conditions go to retry.linkerd.io/grpc, which Linkerd reads only on a GRPCRoute${lc.facts.grpcRoute ? "; declare the port's protocol grpc in a MeshService so unimesh emits a GRPCRoute" : `, which Linkerd ${lc.version} does not have (2.16+)`}`,
        });
    });
  }
  if (kind === "grpc" && http.length) {
    on.forEach((c, i) => {
      if (!GRPC_CONDITIONS.has(c) && c !== "refused-stream" && c !== "retriable-status-codes" && c !== "connect-failure" && c !== "reset")
        lc.report(r.policy, at(i), {
          feature: "retries",
          kind: "unsupported-value",
          what: "retryOn-http",
          severity: "error",
          message: `retry.linkerd.io/http is not valid on a GRPCRoute (this port's protocol is grpc): retry on gRPC statuses (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) instead of ${c}`,
        });
    });
  }
  // retry.linkerd.io/limit without retry.linkerd.io/http (grpc) makes Linkerd apply its DEFAULT conditions
  // (policy controller parse_http_retry: `conditions: None`), which the model did not ask for: every
  // condition that adds nothing to the annotation is then an error.
  const mine = kind === "http" ? http : grpc;
  if (!mine.length) {
    on.forEach((c, i) => {
      if (c !== "refused-stream" && c !== "retriable-status-codes") return;
      lc.report(r.policy, at(i), {
        feature: "retries",
        kind: "unsupported-value",
        what: "retryOn-alone",
        severity: "error",
        message: `${v} cannot retry ${c === "refused-stream" ? "only on HTTP/2 REFUSED_STREAM (it does so by itself once retries are on)" : "on retriable-status-codes here: it means the status codes listed in retryOn, and this retryOn lists none"}; with no ${kind === "http" ? "status code" : "gRPC status"} for retry.linkerd.io/${kind}, the route would carry retry.linkerd.io/limit alone and Linkerd would retry on its default conditions instead, which this retryOn does not allow. Add the ${kind === "http" ? "status codes (e.g. 503, 5xx)" : "gRPC statuses (e.g. unavailable)"} to retry on, or remove retries`,
      });
    });
  }
  return { http: [...new Set(http)], grpc: [...new Set(grpc)] };
}

/**
 * The `timeout.linkerd.io/*` and `retry.linkerd.io/*` annotations of a route (Linkerd 2.16+), for an
 * HTTPRoute (`http`) or a GRPCRoute (`grpc`).
 */
export function resilienceAnnotations(lc: LinkerdContext, r: EffectiveRoute, kind: "http" | "grpc"): Record<string, string> {
  // The routes of a policy usually share its retries and timeout, and come one after the other: the
  // annotations of the previous route are reused when everything they depend on is the same (the same
  // retries object at the same pointer of the same policy, the same timeout, kind and translation). What
  // they would report again is the same diagnostics, which lc.report drops as repeats anyway.
  // The annotations object is then shared by both routes, and never modified.
  const m = lastAnnotations.get(lc);
  const timeout = r.timeout?.value;
  if (m && m.policy === r.policy && m.kind === kind && m.timeout === timeout && m.retries === r.retries?.value && m.retriesPointer === r.retries?.pointer)
    return m.out;
  const out = computeAnnotations(lc, r, kind);
  lastAnnotations.set(lc, { policy: r.policy, kind, timeout, retries: r.retries?.value, retriesPointer: r.retries?.pointer, out });
  return out;
}

/** Per translation, the inputs and result of the last {@link resilienceAnnotations} call. */
const lastAnnotations = new WeakMap<
  LinkerdContext,
  {
    policy: EffectiveRoute["policy"];
    kind: "http" | "grpc";
    timeout?: number;
    retries?: Retries;
    retriesPointer?: string;
    out: Record<string, string>;
  }
>();

/** {@link resilienceAnnotations}, computed (and its problems reported). */
function computeAnnotations(lc: LinkerdContext, r: EffectiveRoute, kind: "http" | "grpc"): Record<string, string> {
  const t = effectiveTimeoutMs(r);
  const timeout = t !== undefined ? formatDuration(t) : undefined;
  noteNoRetries(lc, r);
  // Keys are added in sorted order (retry.linkerd.io/grpc, /http, /limit, /timeout, then
  // timeout.linkerd.io/request), so that translate() keeps the route's annotations as they are.
  const out: Record<string, string> = {};
  if (!hasRetries(r)) {
    if (timeout !== undefined) out["timeout.linkerd.io/request"] = timeout;
    return out;
  }
  const rt = r.retries!;
  const v = rt.value;
  const c = conditions(lc, r, kind);
  if (v.perTryTimeout && kind === "http") {
    const on = v.retryOn ?? DEFAULT_RETRY_ON;
    if (!on.some((x) => x === "5xx" || x === "gateway-error" || x === "504" || x === "reset")) {
      lc.report(r.policy, `${rt.pointer}/perTryTimeout`, {
        feature: "retries",
        kind: "unsupported-value",
        what: "perTryTimeout",
        severity: "error",
        message: `Linkerd always retries a try that exceeds retry.linkerd.io/timeout, but this retryOn does not retry timed-out tries (that needs 5xx, gateway-error or 504); add one of them or remove perTryTimeout`,
      });
    }
  }
  if (v.backoff) {
    lc.report(r.policy, `${rt.pointer}/backoff`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "backoff",
      severity: "error",
      message: `Linkerd ${lc.version} has no retry back-off setting (retry.linkerd.io/* sets limit, timeout, http and grpc conditions only); remove backoff`,
    });
  }
  if (kind === "grpc" && c.grpc.length) out["retry.linkerd.io/grpc"] = c.grpc.join(",");
  if (kind === "http" && c.http.length) out["retry.linkerd.io/http"] = c.http.join(",");
  out["retry.linkerd.io/limit"] = String(v.attempts);
  if (v.perTryTimeout) out["retry.linkerd.io/timeout"] = formatDuration(parseDuration(v.perTryTimeout) ?? 0);
  if (timeout !== undefined) out["timeout.linkerd.io/request"] = timeout;
  return out;
}

/**
 * Checks a retrying route for a Linkerd 2.14–2.15 ServiceProfile route (`isRetryable: true` plus the
 * Service's `retryBudget`; linkerd2-proxy `service-profiles/src/proto.rs`). Returns true when the route
 * retries (what it cannot express is reported; an error means no output at all).
 * - `attempts`: a ServiceProfile has no attempt count; retries are bounded by the Service-wide retry
 *   budget instead. That is looser, so it needs the approximation `retry-budget`.
 * - `retryOn`: a ServiceProfile retries responses classified as failures, by default every 5xx, so
 *   only a retryOn that includes `5xx` is expressed exactly (codes and gateway-error it covers are
 *   subsumed); connect-failure and reset are not retried.
 * - `perTryTimeout`, `backoff`: not in ServiceProfile.
 */
export function legacyRetryable(lc: LinkerdContext, r: EffectiveRoute): boolean {
  noteNoRetries(lc, r);
  if (!hasRetries(r)) return false;
  const rt = r.retries!;
  const v = rt.value;
  const ver = `Linkerd ${lc.version}`;
  if (lc.ctx.allows("retry-budget")) {
    lc.report(r.policy, `${rt.pointer}/attempts`, {
      feature: "retries",
      kind: "approximation",
      what: "attempts",
      severity: "warning",
      message: `approximation retry-budget: ${ver} retries a ServiceProfile route while the Service's retry budget allows (20% extra requests plus 10 per second over 10s), not ${v.attempts} time(s) per request`,
    });
  } else {
    lc.report(r.policy, `${rt.pointer}/attempts`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "attempts",
      severity: "error",
      message: `${ver} retries only through a ServiceProfile route (isRetryable), limited by a retry budget for the whole Service (by default 20% extra requests plus 10 per second), not by a number of attempts per request; allow the approximation retry-budget to accept that, or target Linkerd 2.16+ (retry.linkerd.io/limit)`,
    });
  }
  const explicit = v.retryOn;
  const on = explicit ?? [...DEFAULT_RETRY_ON];
  const covered = on.includes("5xx");
  on.forEach((c, i) => {
    const at = explicit ? `${rt.pointer}/retryOn/${i}` : rt.pointer;
    // refused-stream and retriable-status-codes add nothing to 5xx, but without 5xx the ServiceProfile would still retry every 5xx.
    const fine = c === "5xx" || ((c === "refused-stream" || c === "retriable-status-codes" || c === "gateway-error" || /^5[0-9]{2}$/.test(c)) && covered);
    if (!fine) {
      lc.report(r.policy, at, {
        feature: "retries",
        kind: "unsupported-value",
        what: "retryOn",
        severity: "error",
        message: `a ${ver} ServiceProfile retries every response it classifies as a failure (all 5xx) and nothing else, so ${explicit ? `retryOn ${c}` : "the default retryOn [connect-failure, refused-stream, 5xx]"} cannot be expressed; ${explicit ? "use retryOn [5xx]" : "set retryOn: [5xx]"}`,
      });
    }
  });
  if (v.perTryTimeout) {
    lc.report(r.policy, `${rt.pointer}/perTryTimeout`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "perTryTimeout",
      severity: "error",
      message: `a ${ver} ServiceProfile has no per-try timeout (only a route timeout for the whole request); remove perTryTimeout or target Linkerd 2.16+ (retry.linkerd.io/timeout)`,
    });
  }
  if (v.backoff) {
    lc.report(r.policy, `${rt.pointer}/backoff`, {
      feature: "retries",
      kind: "unsupported-value",
      what: "backoff",
      severity: "error",
      message: `${ver} has no retry back-off setting; remove backoff`,
    });
  }
  return true;
}
