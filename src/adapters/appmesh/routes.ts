/**
 * The route table of a destination's VirtualRouter (`VirtualRouter.spec.routes[]`, App Mesh API
 * `virtualrouter_types.go`): the model's routes in order (`priority` 0, 1, ...), each on every Service
 * port it applies to, then a plain default route per port no catch-all route covers. On a multi-port
 * service every route matches its port (`match.port`) and targets the node port
 * (`weightedTargets[].port`), as App Mesh requires for multiple listeners (App Mesh user guide
 * `multiple-listeners.md`). The route feature modules fill each route: features/split.ts (the
 * weighted targets), match.ts, timeout.ts, retries.ts; the features App Mesh lacks refuse themselves
 * (features/<feature>.ts, {@link ROUTE_REFUSALS}).
 */
import { type EffectiveRoute, type Subset, isCatchAll, shortHash } from "../../api/model.js";
import { dnsLabel } from "../../api/names.js";
import { APPMESH_DEFAULT_REQUEST_TIMEOUT_MS, type Tx } from "./context.js";
import type { AmRoute, GrpcRoute, HttpRoute, TcpRoute, WeightedTarget } from "./resources.js";
import { NamespacedMap, type PortInfo, type ServiceIndex, type ServiceNode } from "./services.js";
import { refuseCors } from "./features/cors.js";
import { refuseDirectResponse } from "./features/directResponse.js";
import { refuseFaultInjection } from "./features/faultInjection.js";
import { refuseHeaders } from "./features/headers.js";
import { checkTcpMatch, grpcMatch, httpMatch } from "./features/match.js";
import { refuseMirror } from "./features/mirror.js";
import { refuseRedirect } from "./features/redirect.js";
import { checkTcpRetries, disabledRetryPolicy, retryPolicy } from "./features/retries.js";
import { refuseRewrite } from "./features/rewrite.js";
import { splitTargets } from "./features/split.js";
import { requestBound, routeTimeout } from "./features/timeout.js";
import { refuseTrafficSource } from "./features/trafficSource.js";
import { adapterCode } from "../../api/diagnostics.js";

/**
 * Route-level features App Mesh cannot express: each reports its use on a route, and returns false
 * when the route cannot be emitted at all (a source-scoped route, a redirect, a direct response).
 */
export const ROUTE_REFUSALS: readonly ((tx: Tx, r: EffectiveRoute) => boolean)[] = [
  refuseTrafficSource,
  refuseFaultInjection,
  refuseMirror,
  refuseHeaders,
  refuseCors,
  refuseRewrite,
  refuseRedirect,
  refuseDirectResponse,
];

/** Highest route priority App Mesh accepts (`Route.priority`, 0-1000). */
const MAX_PRIORITY = 1000;

/** A routing-only VirtualNode for one subset. */
export interface SubsetNode {
  node: ServiceNode;
  subset: Subset;
  vnName: string;
}

/**
 * Routing-only VirtualNodes created so far, per service (a list: a service has a few subsets, and a
 * Map per service would cost more than scanning them).
 */
export type SubsetNodes = Map<ServiceNode, SubsetNode[]>;

/**
 * Longest request timeout (ms) above App Mesh's 15s default per VirtualNode (`namespace/name`) and
 * listener port; `callersOf`: per destination, the longest such timeout of its routes, which its callers'
 * VirtualNodes (the source of the conversation) need on their listeners too.
 */
export type Raise = Map<string, Map<number, number>> & { callersOf: Map<ServiceNode, number> };

/** Raises the listener timeout of VirtualNode `key` (`namespace/name`) on `port` to at least `ms`. */
export function raiseListener(raise: Raise, key: string, port: number, ms: number): void {
  let byPort = raise.get(key);
  if (!byPort) raise.set(key, (byPort = new Map()));
  byPort.set(port, Math.max(byPort.get(port) ?? 0, ms));
}

/** One route of a VirtualRouter before it gets its priority: its kind and that kind's body. */
type RouteBody = { kind: "httpRoute" | "http2Route"; body: HttpRoute } | { kind: "grpcRoute"; body: GrpcRoute } | { kind: "tcpRoute"; body: TcpRoute };

/** `VirtualRouter.spec.routes[]` entry, keys in sorted order (`tcpRoute` sorts after `priority`). */
function amRoute(name: string, priority: number, r: RouteBody): AmRoute {
  switch (r.kind) {
    case "grpcRoute":
      return { grpcRoute: r.body, name, priority };
    case "http2Route":
      return { http2Route: r.body, name, priority };
    case "httpRoute":
      return { httpRoute: r.body, name, priority };
    case "tcpRoute":
      return { name, priority, tcpRoute: r.body };
  }
}

/** The routes of one destination's VirtualRouter. */
export function buildRouter(tx: Tx, node: ServiceNode, names: NodeNames, raise: Raise, subsets: SubsetNodes, services: ServiceIndex): AmRoute[] {
  const v = node.view;
  const multi = node.ports.length > 1;
  const list = new RouteList(tx, node);
  const table = v?.routes ?? [];
  for (const r of table) {
    let emitted = true;
    for (const refuse of ROUTE_REFUSALS) if (!refuse(tx, r)) emitted = false;
    if (!emitted) continue;
    const ports = r.port ? portsNumbered(node, r.port) : node.ports;
    if (!r.port && ports.length && !v!.portsDeclared) {
      // Not silent: the route reaches only the ports other policies name; the service may have more.
      tx.report(r.policy, "/spec/destination", {
        feature: "match",
        kind: "unsupported-value",
        what: "undeclared-ports",
        severity: "warning",
        message: `this policy applies to every port of ${node.namespace}/${node.name}, and ${tx.mesh} routes per VirtualRouter listener port; its ports are not declared, so its routes go only to the port${ports.length > 1 ? "s" : ""} other policies name (${ports.map((p) => p.port).join(", ")}) and any other port gets no App Mesh route: declare the ports in a MeshService, or set destination.port`,
      });
    }
    const base = r.name ? `${r.policy.name}-${r.name}` : r.index === null ? r.policy.name : `${r.policy.name}-${r.index}`;
    for (const port of ports) {
      const name = list.unique(ports.length > 1 ? `${base}-${port.port}` : base);
      const route = buildRoute(tx, node, r, port, multi, names, raise, subsets, services);
      if (route) list.push(name, route, r);
    }
  }
  if (multi && node.ports.some((p) => p.protocol === "grpc")) {
    tx.ctx.reportGlobal({
      code: adapterCode("unsupported-value", "match", "grpc-port-match"),
      severity: "warning",
      feature: "match",
      message: `VirtualRouter ${node.namespace}/${node.name} has several listeners and a grpc one: its grpcRoutes carry match.port as App Mesh requires, but aws-app-mesh-controller-for-k8s#715 (open) reports the controller not passing grpcRoute.match.port on, after which App Mesh rejects the router ("Route must define a port match criteria"); check the VirtualRouter's status, or give the gRPC port its own service`,
    });
  }
  // A plain default route per port that no catch-all route of every caller covers.
  for (const port of node.ports) {
    if (coveredByCatchAll(table, port.port)) continue;
    list.push(list.unique(multi ? `default-${port.port}` : "default"), defaultRoute(node, port, multi));
  }
  return list.routes;
}

/** The routes of one VirtualRouter as they are added: priorities in order, names made unique. */
class RouteList {
  readonly routes: AmRoute[] = [];
  private readonly used = new Set<string>();
  constructor(
    private readonly tx: Tx,
    private readonly node: ServiceNode,
  ) {}

  /** `base`, or the first of `base-2`, `base-3`, ... not used yet; taken by the call. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}-${i}`;
    this.used.add(name);
    return name;
  }

  /** Appends a route with the next priority; past the highest priority App Mesh accepts, an error. */
  push(name: string, route: RouteBody, r?: EffectiveRoute): void {
    const { tx, node, routes } = this;
    if (routes.length > MAX_PRIORITY) {
      const msg = `${tx.mesh} route priorities run from 0 to ${MAX_PRIORITY} (VirtualRouter.spec.routes[].priority), and ${node.namespace}/${node.name} needs more routes; merge routes`;
      if (r) tx.report(r.policy, r.pointer, { feature: "match", kind: "unsupported-value", what: "route-count", severity: "error", message: msg });
      else tx.ctx.reportGlobal({ code: adapterCode("unsupported-value", "match", "route-count"), severity: "error", feature: "match", message: msg });
    }
    routes.push(amRoute(name, routes.length, route));
  }
}

/** The ports of a service numbered `port` (Service port). */
function portsNumbered(node: ServiceNode, port: number): PortInfo[] {
  const out: PortInfo[] = [];
  for (const p of node.ports) if (p.port === port) out.push(p);
  return out;
}

/** True when a catch-all route for every caller covers the Service port. */
function coveredByCatchAll(table: readonly EffectiveRoute[], port: number): boolean {
  for (const r of table) if (!r.source && isCatchAll(r) && (!r.port || r.port === port)) return true;
  return false;
}

/** One App Mesh route for one model route on one Service port; undefined when it cannot be expressed (reported). */
function buildRoute(
  tx: Tx,
  node: ServiceNode,
  r: EffectiveRoute,
  port: PortInfo,
  multi: boolean,
  names: NodeNames,
  raise: Raise,
  subsets: SubsetNodes,
  services: ServiceIndex,
): RouteBody | undefined {
  if (r.action.kind !== "split") return undefined;
  const {
    weightedTargets,
    targetPorts,
    ok: targetsOk,
  } = splitTargets(
    tx,
    node,
    r,
    r.action,
    port,
    (subset) => subsetNode(node, subset, names, subsets).vnName,
    (service) => services.get(node.namespace, service),
  );
  let ok = targetsOk;
  const matchPort = multi ? port.port : undefined;
  const protocol = port.protocol;
  const bound = requestBound(r);
  const timeout = routeTimeout(tx, r, protocol, bound);
  if (timeout === null) ok = false;
  if (protocol === "tcp") {
    if (!checkTcpMatch(tx, r)) ok = false;
    if (!checkTcpRetries(tx, r)) ok = false;
    if (!ok) return undefined;
    return { kind: "tcpRoute", body: matchPort ? { action: { weightedTargets }, match: { port: matchPort } } : { action: { weightedTargets } } };
  }
  const timeoutMs = bound?.ms;
  const retry = retryPolicy(tx, r, protocol, timeoutMs);
  if (!retry) ok = false;
  // Longer than App Mesh's 15s default: the target VirtualNodes' listeners need it too.
  const perTryMs = r.retries?.value.perTryTimeout && r.retries.value.attempts > 0 ? (tx.parseMs(r.retries.value.perTryTimeout) ?? 0) : 0;
  const longest = Math.max(timeoutMs ?? 0, perTryMs);
  if (longest > APPMESH_DEFAULT_REQUEST_TIMEOUT_MS) {
    // Every App Mesh resource of the conversation (App Mesh API `HttpTimeout.perRequest`: "the source
    // and destination virtual node and the route"): the route has it; the destination is the target
    // VirtualNode AND, for a subset (a routing-only node that selects no pod), the identity VirtualNode
    // whose pods actually serve it; the source nodes (the callers) are raised once access is known.
    weightedTargets.forEach((wt, j) => {
      const tp = targetPorts[j];
      if (!tp) return;
      raiseListener(raise, `${node.namespace}/${wt.virtualNodeRef.name}`, tp.targetPort, longest);
      if (wt.virtualNodeRef.name !== node.vnName) raiseListener(raise, `${node.namespace}/${node.vnName}`, tp.targetPort, longest);
    });
    raise.callersOf.set(node, Math.max(raise.callersOf.get(node) ?? 0, longest));
  }
  const routeAction = { weightedTargets };
  if (protocol === "grpc") {
    const match = grpcMatch(tx, r, matchPort);
    if (!match || !ok) return undefined;
    const body: GrpcRoute = { action: routeAction, match };
    if (retry) body.retryPolicy = retry;
    if (timeout) body.timeout = { perRequest: timeout };
    return { kind: "grpcRoute", body };
  }
  const match = httpMatch(tx, r, matchPort);
  if (!match || !ok) return undefined;
  const body: HttpRoute = { action: routeAction, match };
  if (retry) body.retryPolicy = retry;
  if (timeout) body.timeout = { perRequest: timeout };
  return { kind: protocol === "http2" ? "http2Route" : "httpRoute", body };
}

/** The route for requests no policy route catches: to the whole service, no retries, App Mesh's default timeout. */
function defaultRoute(node: ServiceNode, port: PortInfo, multi: boolean): RouteBody {
  const virtualNodeRef = { name: node.vnName };
  const weightedTargets: WeightedTarget[] = [
    node.listeners.length > 1 ? { port: port.targetPort, virtualNodeRef, weight: 100 } : { virtualNodeRef, weight: 100 },
  ];
  const action = { weightedTargets };
  if (port.protocol === "tcp") return { kind: "tcpRoute", body: multi ? { action, match: { port: port.port } } : { action } };
  const retryPolicy = disabledRetryPolicy(APPMESH_DEFAULT_REQUEST_TIMEOUT_MS);
  if (port.protocol === "grpc") return { kind: "grpcRoute", body: { action, match: multi ? { port: port.port } : {}, retryPolicy } };
  return {
    kind: port.protocol === "http2" ? "http2Route" : "httpRoute",
    body: { action, match: multi ? { port: port.port, prefix: "/" } : { prefix: "/" }, retryPolicy },
  };
}

/** The routing-only VirtualNode of a subset, created on first use. */
export function subsetNode(node: ServiceNode, subset: Subset, names: NodeNames, subsets: SubsetNodes): SubsetNode {
  let list = subsets.get(node);
  if (!list) subsets.set(node, (list = []));
  for (const s of list) if (s.subset.name === subset.name) return s;
  const key = `${node.namespace}/${node.name}/${subset.name}`;
  const s = { node, subset, vnName: names.reserve(node.namespace, dnsLabel(node.name, subset.name), key) };
  list.push(s);
  return s;
}

/** VirtualNode names per namespace: identity nodes first, subsets get a hash suffix on a clash. */
export class NodeNames {
  private readonly taken = new NamespacedMap<true>();
  constructor(index: ServiceIndex) {
    for (const n of index.nodes) this.taken.set(n.namespace, n.vnName, true);
  }
  reserve(namespace: string, wanted: string, key: string): string {
    const name = this.taken.has(namespace, wanted) ? dnsLabel(wanted, shortHash(key)) : wanted;
    this.taken.set(namespace, name, true);
    return name;
  }
}
