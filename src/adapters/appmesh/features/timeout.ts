/**
 * Request timeout → `VirtualRouter.spec.routes[].httpRoute.timeout.perRequest` {unit, value} (also
 * http2Route/grpcRoute; `HTTPTimeout` in `virtualrouter_types.go`). App Mesh's default is 15s, and a
 * longer timeout must also be set on the target VirtualNode's listener
 * (`VirtualNode.spec.listeners[].timeout.<protocol>.perRequest`, App Mesh API `HttpTimeout`: "If you
 * set a higher timeout, then make sure that the higher value is set for each App Mesh resource in a
 * conversation. For example, if a virtual node backend uses a virtual router provider to route to another
 * virtual node, then the timeout should be greater than 15 seconds for the source and destination virtual
 * node and the route"); the translator raises, to the longest route timeout above 15s, the listener
 * timeouts of the target VirtualNodes, of the identity VirtualNode whose pods serve a subset (a subset's
 * routing-only VirtualNode selects no pod), and of every listener of the callers allowed to call it.
 *
 * The model's default is no timeout; App Mesh cannot switch its 15s default off, so a route without a
 * timeout gets an `info` diagnostic saying so. TCP routes have only an idle timeout: a request timeout
 * on a tcp port is an error.
 *
 * `retries: {attempts: 0, perTryTimeout}`: the single try is bounded by the per-try timeout, and App Mesh
 * has no retry policy to carry it (`maxRetries: 0` retries nothing), so it is folded into
 * `timeout.perRequest` as the smaller of `timeout` and `perTryTimeout` (as the Istio adapter does with
 * `HTTPRoute.timeout`): same effect.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { parseDuration } from "../../../api/duration.js";
import { APPMESH_DEFAULT_REQUEST_TIMEOUT_MS, type Tx } from "../context.js";
import type { AmDuration, AmProtocol } from "../resources.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { VR } from "./match.js";

/** What App Mesh can do of `timeout`. */
export const timeoutFeature: FeatureModule = {
  features: ["timeout"],
  capabilities: () => ({
    timeout: partial(
      `${VR}.httpRoute.timeout.perRequest, VirtualNode.spec.listeners[].timeout`,
      "no timeout is App Mesh's 15s default (cannot be switched off); longer timeouts are also set on the listeners of the destination's VirtualNodes (the pods' own and the subset's) and of its callers' VirtualNodes",
    ),
  }),
};

/**
 * The bound of a request on a route, in milliseconds, and the field it comes from: `timeout`, or with
 * `retries.attempts: 0` the smaller of it and `retries.perTryTimeout` (the one try's bound).
 */
export function requestBound(r: EffectiveRoute): { ms: number; pointer: string; field: string } | undefined {
  const t = r.timeout ? { ms: r.timeout.value, pointer: r.timeout.pointer, field: "timeout" } : undefined;
  const rt = r.retries;
  if (!rt || rt.value.attempts !== 0 || rt.value.perTryTimeout === undefined) return t;
  const per = parseDuration(rt.value.perTryTimeout);
  if (per === undefined || (t && t.ms <= per)) return t;
  return { ms: per, pointer: `${rt.pointer}/perTryTimeout`, field: "perTryTimeout" };
}

/**
 * `timeout.perRequest` of a route, undefined when it has none; null when it cannot be expressed (reported).
 * `bound` is `requestBound(r)` when the caller already has it (it needs it too).
 */
export function routeTimeout(tx: Tx, r: EffectiveRoute, protocol: AmProtocol, bound = requestBound(r)): AmDuration | undefined | null {
  if (protocol === "tcp") {
    const fields = [
      ...(r.timeout ? [{ pointer: r.timeout.pointer, field: "timeout" }] : []),
      ...(r.retries?.value.attempts === 0 && r.retries.value.perTryTimeout !== undefined
        ? [{ pointer: `${r.retries.pointer}/perTryTimeout`, field: "perTryTimeout" }]
        : []),
    ];
    for (const f of fields) {
      tx.report(r.policy, f.pointer, {
        feature: "timeout",
        kind: "unsupported-value",
        what: "tcp-port",
        severity: "error",
        message: `${f.field}: the destination port speaks tcp, and ${tx.mesh} tcpRoute.timeout has only an idle timeout, no request timeout${f.field === "perTryTimeout" ? " (with attempts 0 the per-try timeout bounds the request)" : ""}; remove ${f.field}, or declare the port's protocol (http, http2, grpc) in the MeshService`,
      });
    }
    return fields.length ? null : undefined;
  }
  if (bound) return tx.duration(bound.ms, r.policy, bound.pointer, "timeout") ?? null;
  if (!r.timeout) {
    tx.report(r.policy, r.pointer, {
      feature: "timeout",
      kind: "unsupported-value",
      what: "default-15s",
      severity: "info",
      message: `timeout: not set, so ${tx.mesh} applies its default ${APPMESH_DEFAULT_REQUEST_TIMEOUT_MS / 1000}s per-request timeout to this route (httpRoute.timeout.perRequest; it cannot be switched off), where the model means no timeout; set timeout to choose the bound`,
    });
    return undefined;
  }
  return tx.duration(r.timeout.value, r.policy, r.timeout.pointer, "timeout") ?? null;
}
