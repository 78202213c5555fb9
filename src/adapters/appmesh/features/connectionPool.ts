/**
 * Connection-pool limits → `VirtualNode.spec.listeners[].connectionPool` {http{maxConnections,
 * maxPendingRequests} | http2{maxRequests} | grpc{maxRequests} | tcp{maxConnections}}, the member
 * matching the listener protocol (`VirtualNodeConnectionPool` in `virtualnode_types.go`).
 *
 * App Mesh applies these limits in each destination pod's own Envoy, to its ingress cluster towards the
 * local application, for all callers together ("this connection pool configuration is directly applied
 * as circuit_breaker config to the local Envoy's ingress cluster that is talking to the local app",
 * aws/aws-app-mesh-roadmap#6). The model means limits per calling proxy. That is a different limit, so
 * it is translated only when the user opts into the `connection-pool-per-instance` approximation.
 *
 * `maxRequests` → `http2.maxRequests` / `grpc.maxRequests`. The `http` member has no request limit: on an
 * HTTP/1.1 listener a connection carries one request at a time, so `maxConnections` bounds the concurrent
 * requests. When `maxConnections` is set and not above `maxRequests` the limit holds (info); otherwise it
 * cannot be enforced: error.
 * `maxRequestsPerConnection`, `maxRetries` (App Mesh pins Envoy's to 2147483647, `envoy-defaults.md`),
 * `connectTimeout` and `idleTimeout` have no App Mesh field.
 */
import type { DestinationView } from "../../../api/model.js";
import type { ConnectionPool } from "../../../api/generated/model.js";
import { CONNECTION_POOL_PER_INSTANCE, type Tx } from "../context.js";
import type { AmProtocol, ListenerConnectionPool } from "../resources.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What App Mesh can do of `connectionPool`. */
export const connectionPoolFeature: FeatureModule = {
  features: ["connectionPool"],
  capabilities: () => ({
    connectionPool: partial(
      "VirtualNode.spec.listeners[].connectionPool",
      `enforced per destination pod for all callers, not per caller: opt in with ${CONNECTION_POOL_PER_INSTANCE}; no maxRequestsPerConnection, maxRetries, connectTimeout, idleTimeout`,
    ),
  }),
};

/** App Mesh's own default: effectively unlimited (`envoy-defaults.md`, "Default circuit breaker"). */
const UNLIMITED = 2147483647;

const NO_FIELD: Partial<Record<keyof ConnectionPool, string>> = {
  maxRequestsPerConnection: "has no per-connection request limit",
  maxRetries: "pins Envoy's retry circuit breaker at 2147483647 and does not let you change it (envoy-defaults.md)",
  connectTimeout: "has no connect timeout",
  idleTimeout: "has no idle timeout for connections to the destination",
};

/**
 * The listener connection pool of a destination for one listener protocol; undefined when none, null
 * when it cannot be expressed (reported).
 */
export function connectionPool(tx: Tx, v: DestinationView, protocol: AmProtocol): ListenerConnectionPool | undefined | null {
  const cp = v.connectionPool;
  if (!cp) return undefined;
  const s = cp.value;
  let ok = true;
  if (tx.ctx.allows(CONNECTION_POOL_PER_INSTANCE)) {
    tx.report(cp.policy, cp.pointer, {
      feature: "connectionPool",
      kind: "approximation",
      severity: "warning",
      message: `connectionPool: approximated (${CONNECTION_POOL_PER_INSTANCE}): ${tx.mesh} enforces these limits in each pod of ${v.namespace}/${v.service} for all its callers together (VirtualNode listeners[].connectionPool), not per calling proxy`,
    });
  } else {
    tx.report(cp.policy, cp.pointer, {
      feature: "connectionPool",
      kind: "unsupported-value",
      what: "per-instance",
      severity: "error",
      message: `connectionPool: ${tx.mesh} limits connections only in each destination pod's own Envoy, for all callers together (VirtualNode listeners[].connectionPool, aws/aws-app-mesh-roadmap#6), not per calling proxy as the model means; accept that with allowApproximations ["${CONNECTION_POOL_PER_INSTANCE}"] (--allow ${CONNECTION_POOL_PER_INSTANCE}), or use --mesh istio`,
    });
    ok = false;
  }
  for (const k of Object.keys(NO_FIELD) as (keyof ConnectionPool)[]) {
    if (s[k] === undefined) continue;
    tx.report(cp.policy, `${cp.pointer}/${k}`, {
      feature: "connectionPool",
      kind: "unsupported-value",
      what: k,
      severity: "error",
      message: `${k}: ${tx.mesh} ${NO_FIELD[k]}; remove it for --mesh appmesh, or use --mesh istio`,
    });
    ok = false;
  }
  const only = (allowed: (keyof ConnectionPool)[], member: string) => {
    for (const k of ["maxConnections", "maxPendingRequests", "maxRequests"] as const) {
      if (s[k] === undefined || allowed.includes(k) || (k === "maxRequests" && protocol === "http")) continue; // http: see below
      tx.report(cp.policy, `${cp.pointer}/${k}`, {
        feature: "connectionPool",
        kind: "unsupported-value",
        what: k,
        severity: "error",
        message: `${k}: ${tx.mesh} connection pools of ${protocol} listeners have only ${member}; remove ${k}, or change the port's protocol in the MeshService`,
      });
      ok = false;
    }
  };
  let pool: ListenerConnectionPool | undefined;
  switch (protocol) {
    case "http":
      only(["maxConnections", "maxPendingRequests"], "http.maxConnections and http.maxPendingRequests");
      if (s.maxRequests !== undefined) {
        if (s.maxConnections !== undefined && s.maxConnections <= s.maxRequests) {
          tx.report(cp.policy, `${cp.pointer}/maxRequests`, {
            feature: "connectionPool",
            kind: "unsupported-value",
            what: "maxRequests",
            severity: "info",
            message: `maxRequests: ${tx.mesh} connection pools of http (HTTP/1.1) listeners have no request limit (only http.maxConnections and http.maxPendingRequests); an HTTP/1.1 connection carries one request at a time, so maxConnections ${s.maxConnections} already keeps concurrent requests within ${s.maxRequests}`,
          });
        } else {
          tx.report(cp.policy, `${cp.pointer}/maxRequests`, {
            feature: "connectionPool",
            kind: "unsupported-value",
            what: "maxRequests",
            severity: "error",
            message: `maxRequests: ${tx.mesh} connection pools of http (HTTP/1.1) listeners have no request limit (only http.maxConnections and http.maxPendingRequests), so ${s.maxRequests} concurrent requests cannot be enforced on ${v.namespace}/${v.service}; an HTTP/1.1 connection carries one request at a time, so set maxConnections to at most ${s.maxRequests} (then maxRequests holds), or declare the port's protocol as http2 or grpc in the MeshService`,
          });
          ok = false;
        }
      }
      if (s.maxConnections !== undefined || s.maxPendingRequests !== undefined)
        pool = {
          http: { maxConnections: s.maxConnections ?? UNLIMITED, ...(s.maxPendingRequests !== undefined ? { maxPendingRequests: s.maxPendingRequests } : {}) },
        };
      break;
    case "http2":
    case "grpc":
      only(["maxRequests"], `${protocol}.maxRequests`);
      if (s.maxRequests !== undefined) pool = { [protocol]: { maxRequests: s.maxRequests } };
      break;
    case "tcp":
      only(["maxConnections"], "tcp.maxConnections");
      if (s.maxConnections !== undefined) pool = { tcp: { maxConnections: s.maxConnections } };
      break;
  }
  return ok ? pool : null;
}
