/**
 * Request timeout → `VirtualRouter.spec.routes[].httpRoute.timeout.perRequest` {unit, value} (also
 * http2Route/grpcRoute; `HTTPTimeout` in `virtualrouter_types.go`). App Mesh's default is 15s, and a
 * longer timeout must also be set on the target VirtualNode's listener
 * (`VirtualNode.spec.listeners[].timeout.<protocol>.perRequest`, App Mesh API `HttpTimeout`: "If you
 * set a higher timeout, then make sure that the higher value is set for each App Mesh resource in a
 * conversation"); the translator raises the listener timeouts to the longest route timeout above 15s.
 *
 * The model's default is no timeout; App Mesh cannot switch its 15s default off, so a route without a
 * timeout gets an `info` diagnostic saying so. TCP routes have only an idle timeout: a request timeout
 * on a tcp port is an error.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { APPMESH_DEFAULT_REQUEST_TIMEOUT_MS, type Tx } from "../context.js";
import type { AmDuration, AmProtocol } from "../resources.js";

/** `timeout.perRequest` of a route, undefined when it has none; null when it cannot be expressed (reported). */
export function routeTimeout(tx: Tx, r: EffectiveRoute, protocol: AmProtocol): AmDuration | undefined | null {
  if (protocol === "tcp") {
    if (!r.timeout) return undefined;
    tx.unsupportedValue(r.policy, r.timeout.pointer, "timeout",
      `timeout: the destination port speaks tcp, and ${tx.mesh} tcpRoute.timeout has only an idle timeout, no request timeout; remove timeout, or declare the port's protocol (http, http2, grpc) in the MeshService`);
    return null;
  }
  if (!r.timeout) {
    tx.unsupportedValue(r.policy, r.pointer, "timeout",
      `timeout: not set, so ${tx.mesh} applies its default ${APPMESH_DEFAULT_REQUEST_TIMEOUT_MS / 1000}s per-request timeout to this route (httpRoute.timeout.perRequest; it cannot be switched off), where the model means no timeout; set timeout to choose the bound`,
      "info");
    return undefined;
  }
  return tx.duration(r.timeout.value, r.policy, r.timeout.pointer, "timeout") ?? null;
}
