/**
 * The App Mesh translation (aws-app-mesh-controller-for-k8s v1.13, `appmesh.k8s.aws/v1beta2`).
 *
 * What is generated, per known service (see services.ts: destinations, MeshServices, callers named by
 * service account):
 * - one identity VirtualNode `<service>`: `podSelector` = the service's selector (its pods join the mesh
 *   as this node), one listener per pod port, and `backends` = the VirtualServices it may call
 *   (features/access.ts);
 * - when the service has ports: a VirtualService `<service>` (`awsName` = `<service>.<ns>.svc.<domain>`,
 *   the host callers use) whose provider is a VirtualRouter `<service>` with one listener per Service port
 *   and the destination's route table. Every service gets a router, even without policies, because only
 *   routes can turn off App Mesh's default retry policy (features/retries.ts);
 * - one routing-only VirtualNode `<service>-<subset>` per subset a route targets, WITHOUT `podSelector`:
 *   the controller rejects pods that two VirtualNodes select (`pkg/virtualnode/membership_designator.go`),
 *   and the identity node already selects every pod of the service. Its endpoints come from DNS;
 * - for each VirtualNode with listeners, a headless `v1` Service `<node>-appmesh` (selector = service
 *   selector + subset labels) that the node discovers with `dns.responseType: ENDPOINTS`, so callers'
 *   Envoys see (and balance, eject) individual pods on their pod ports;
 * - one cluster-scoped Mesh (features/mesh.ts).
 *
 * Routes keep the model's order (`priority` 0, 1, ...); on a multi-port service every route matches its
 * port (`match.port`) and targets the node port (`weightedTargets[].port`), as App Mesh requires for
 * multiple listeners (App Mesh user guide `multiple-listeners.md`). A route whose targets listen on
 * different ports is rejected: App Mesh silently does not distribute it (aws-app-mesh-examples#93).
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import { durationUnitValue, parseDuration } from "../../api/duration.js";
import { type EffectiveRoute, type Model, type Subset, cmp, isCatchAll, shortHash } from "../../api/model.js";
import { dnsLabel } from "../shared/names.js";
import { objectMeta } from "../shared/ownership.js";
import { APPMESH_DEFAULT_REQUEST_TIMEOUT_MS, Tx } from "./context.js";
import { allowedCallers } from "./features/access.js";
import { connectionPool } from "./features/connectionPool.js";
import { checkTcpMatch, grpcMatch, httpMatch } from "./features/match.js";
import { checkAccessEgress, meshObject, reportDeprecation } from "./features/mesh.js";
import { checkMtlsPolicies, clientPolicyTls, listenerTls, mtlsMode } from "./features/mtls.js";
import { outlierDetection } from "./features/outlierDetection.js";
import { disabledRetryPolicy, retryPolicy } from "./features/retries.js";
import { requestBound, routeTimeout } from "./features/timeout.js";
import { checkDestinationFeatures, checkRouteFeatures } from "./features/unsupported.js";
import {
  APPMESH_API_VERSION, type AmRoute, type ListenerConnectionPool, type ServiceObject, type VirtualNodeBackend,
  type VirtualNodeListener, type VirtualNodeObject, type VirtualRouterObject, type VirtualServiceObject, type WeightedTarget,
} from "./resources.js";
import { type PortInfo, ServiceIndex, type ServiceNode } from "./services.js";

/** Highest route priority App Mesh accepts (`Route.priority`, 0-1000). */
const MAX_PRIORITY = 1000;
/** Most weighted targets per route (`weightedTargets`, maxItems 10). */
const MAX_TARGETS = 10;

/** A routing-only VirtualNode for one subset. */
interface SubsetNode {
  node: ServiceNode;
  subset: Subset;
  vnName: string;
}

/** Translates a model to App Mesh resources. Pure; reports through `ctx`. */
export function translateAppMesh(model: Model, ctx: TranslateContext): KubeObject[] {
  const tx = new Tx(model, ctx);
  reportDeprecation(tx);
  const index = new ServiceIndex(tx);
  checkSelectorOverlaps(tx, index);
  checkMtlsPolicies(tx, index.nodes);
  checkAccessEgress(tx);

  const names = new NodeNames(index);
  const out: KubeObject[] = [];
  /** Longest request timeout (ms) above App Mesh's 15s default per VirtualNode (`namespace/name`) and port. */
  const raise = new Map<string, Map<number, number>>();
  const subsets = new Map<string, SubsetNode>();

  for (const node of index.nodes) {
    const v = node.view;
    if (v) checkDestinationFeatures(tx, v);
    if (!node.ports.length) {
      if (v?.trafficPolicies.length) {
        for (const p of v.trafficPolicies) {
          tx.unsupportedValue(p, "/spec/destination", "split",
            `destination: ${tx.mesh} routes through a VirtualRouter listener port, and no port of ${node.namespace}/${node.name} is known; set spec.destination.port or declare its ports in a MeshService`);
        }
      }
      continue;
    }
    const router = buildRouter(tx, node, names, raise, subsets);
    const from = [...(v?.trafficPolicies ?? [])];
    out.push(
      {
        apiVersion: APPMESH_API_VERSION, kind: "VirtualRouter",
        metadata: objectMeta(node.vnName, node.namespace, from),
        spec: { listeners: node.ports.map((p) => ({ portMapping: { port: p.port, protocol: p.protocol } })), routes: router },
      } satisfies VirtualRouterObject,
      {
        apiVersion: APPMESH_API_VERSION, kind: "VirtualService",
        metadata: objectMeta(node.vnName, node.namespace, from),
        spec: { awsName: node.host, provider: { virtualRouter: { virtualRouterRef: { name: node.vnName } } } },
      } satisfies VirtualServiceObject,
    );
  }

  // Who may call whom: backends of the identity VirtualNodes.
  const backends = new Map<ServiceNode, { dest: ServiceNode; policies: string[] }[]>();
  for (const dest of index.nodes) {
    const v = dest.view;
    if (!dest.ports.length && !v?.accessPolicies.length) continue;
    const decision = allowedCallers(tx, index, dest);
    if (!dest.ports.length) {
      if (decision.callers.size) {
        for (const p of decision.policies) {
          tx.unsupportedValue(p, "/spec/destination", "access",
            `destination: ${tx.mesh} lets allowed callers reach ${dest.namespace}/${dest.name} through a VirtualService, which needs a listener port, and no port of it is known; declare its ports in a MeshService (unimesh discover writes them) or set spec.destination.port`);
        }
      }
      continue;
    }
    for (const caller of decision.callers) {
      const list = backends.get(caller) ?? [];
      list.push({ dest, policies: decision.policies.map((p) => p.id) });
      backends.set(caller, list);
    }
  }

  for (const node of index.nodes) {
    const v = node.view;
    const nodeMtls = node.listeners.map((l) => mtlsMode(tx, node, l.port)?.policy).filter((p) => p !== undefined);
    const mine = backends.get(node) ?? [];
    mine.sort((a, b) => cmp(a.dest.namespace, b.dest.namespace) || cmp(a.dest.name, b.dest.name));
    const from = new Set<string>([
      ...(v?.trafficPolicies ?? []).map((p) => p.id),
      ...nodeMtls.map((p) => p.id),
      ...mine.flatMap((b) => b.policies),
    ]);
    const listeners = buildListeners(tx, node, node.vnName, raise);
    out.push({
      apiVersion: APPMESH_API_VERSION, kind: "VirtualNode",
      metadata: objectMeta(node.vnName, node.namespace, from),
      spec: {
        podSelector: { matchLabels: { ...node.facts.selector } },
        ...(listeners.length ? { listeners, serviceDiscovery: dnsDiscovery(tx, node, node.vnName) } : {}),
        ...(mine.length ? { backends: mine.map((b) => backend(tx, node, b.dest)) } : {}),
      },
    } satisfies VirtualNodeObject);
    if (listeners.length) out.push(headlessService(node, node.vnName, node.facts.selector));
  }

  for (const s of [...subsets.values()].sort((a, b) => cmp(a.node.namespace, b.node.namespace) || cmp(a.vnName, b.vnName))) {
    const { node } = s;
    const from = [...(node.view?.trafficPolicies ?? []), ...node.listeners.map((l) => mtlsMode(tx, node, l.port)?.policy).filter((p) => p !== undefined)];
    out.push({
      apiVersion: APPMESH_API_VERSION, kind: "VirtualNode",
      metadata: objectMeta(s.vnName, node.namespace, from),
      // No podSelector: selects no pod (the identity VirtualNode does); a routing target only.
      spec: { listeners: buildListeners(tx, node, s.vnName, raise), serviceDiscovery: dnsDiscovery(tx, node, s.vnName) },
    } satisfies VirtualNodeObject);
    out.push(headlessService(node, s.vnName, { ...node.facts.selector, ...s.subset.labels }));
  }

  out.push(meshObject(tx, index.nodes));
  return out;
}

/** The routes of one destination's VirtualRouter. */
function buildRouter(tx: Tx, node: ServiceNode, names: NodeNames, raise: Map<string, Map<number, number>>, subsets: Map<string, SubsetNode>): AmRoute[] {
  const v = node.view;
  const multi = node.ports.length > 1;
  const routes: AmRoute[] = [];
  const used = new Set<string>();
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return name;
  };
  const push = (route: Omit<AmRoute, "priority">, r?: EffectiveRoute) => {
    if (routes.length > MAX_PRIORITY) {
      const msg = `${tx.mesh} route priorities run from 0 to ${MAX_PRIORITY} (VirtualRouter.spec.routes[].priority), and ${node.namespace}/${node.name} needs more routes; merge routes`;
      if (r) tx.unsupportedValue(r.policy, r.pointer, "match", msg);
      else tx.ctx.reportGlobal({ code: "adapter/unsupported-value", severity: "error", message: msg });
    }
    routes.push({ ...route, priority: routes.length });
  };
  for (const r of v?.routes ?? []) {
    if (!checkRouteFeatures(tx, r)) continue;
    const ports = r.port ? node.ports.filter((p) => p.port === r.port) : node.ports;
    for (const port of ports) {
      const base = r.name ? `${r.policy.name}-${r.name}` : r.index === null ? r.policy.name : `${r.policy.name}-${r.index}`;
      const name = unique(ports.length > 1 ? `${base}-${port.port}` : base);
      const route = buildRoute(tx, node, r, port, multi, name, names, raise, subsets);
      if (route) push(route, r);
    }
  }
  if (multi && node.ports.some((p) => p.protocol === "grpc")) {
    tx.ctx.reportGlobal({
      code: "adapter/unsupported-value", severity: "warning",
      message: `VirtualRouter ${node.namespace}/${node.name} has several listeners and a grpc one: its grpcRoutes carry match.port as App Mesh requires, but aws-app-mesh-controller-for-k8s#715 (open) reports the controller not passing grpcRoute.match.port on, after which App Mesh rejects the router ("Route must define a port match criteria"); check the VirtualRouter's status, or give the gRPC port its own service`,
    });
  }
  // A plain default route per port that no catch-all route of every caller covers.
  for (const port of node.ports) {
    const covered = (v?.routes ?? []).some((r) => !r.source && isCatchAll(r) && (!r.port || r.port === port.port));
    if (covered) continue;
    push(defaultRoute(node, port, multi, unique(multi ? `default-${port.port}` : "default")));
  }
  return routes;
}

/** One App Mesh route for one model route on one Service port; undefined when it cannot be expressed (reported). */
function buildRoute(
  tx: Tx, node: ServiceNode, r: EffectiveRoute, port: PortInfo, multi: boolean, name: string,
  names: NodeNames, raise: Map<string, Map<number, number>>, subsets: Map<string, SubsetNode>,
): Omit<AmRoute, "priority"> | undefined {
  if (r.action.kind !== "split") return undefined;
  const action = r.action;
  let ok = true;
  if (action.targets.length > MAX_TARGETS) {
    tx.unsupportedValue(r.policy, action.pointer, "split", `split: ${tx.mesh} routes to at most ${MAX_TARGETS} weighted targets (weightedTargets, maxItems ${MAX_TARGETS}); use fewer subsets`);
    ok = false;
  }
  // Node ports of the targets: App Mesh silently drops a route whose targets listen on different ports.
  const targetPorts = action.targets.map((t, j) => {
    const p = node.ports.find((x) => x.port === (t.port ?? port.port));
    if (!p) {
      tx.unsupportedValue(r.policy, action.pointer.endsWith("/split") ? `${action.pointer}/${j}/port` : action.pointer, "split",
        `port: ${node.namespace}/${node.name} has no port ${t.port} (ports: ${node.ports.map((x) => x.port).join(", ")}), so ${tx.mesh} has no VirtualNode listener to send to; use a declared port`);
      ok = false;
    }
    return p;
  });
  const distinct = [...new Set(targetPorts.filter((p) => p).map((p) => `${p!.targetPort}/${p!.protocol}`))];
  if (distinct.length > 1) {
    tx.unsupportedValue(r.policy, action.pointer, "split",
      `split: the targets listen on different ports (${distinct.join(", ")}); ${tx.mesh} silently does not distribute such a route (aws/aws-app-mesh-examples#93: "nothing in App Mesh APIs or Envoy configuration would alert you"); send one route to one port, or split per port with separate routes`);
    ok = false;
  } else if (distinct.length === 1 && targetPorts[0] && targetPorts[0].protocol !== port.protocol) {
    tx.unsupportedValue(r.policy, action.pointer, "split",
      `split: the route is on a ${port.protocol} port and its targets on a ${targetPorts[0].protocol} port; ${tx.mesh} needs the VirtualRouter and VirtualNode listener protocols to match (aws/aws-app-mesh-roadmap#82); target a port of the same protocol`);
    ok = false;
  }
  const weightedTargets: WeightedTarget[] = action.targets.map((t, j) => {
    const vnName = t.subset ? subsetNode(node, t.subset, names, subsets).vnName : node.vnName;
    const tp = targetPorts[j];
    return { virtualNodeRef: { name: vnName }, weight: t.weight, ...(node.listeners.length > 1 && tp ? { port: tp.targetPort } : {}) };
  });
  const matchPort = multi ? port.port : undefined;
  const protocol = port.protocol;
  const timeout = routeTimeout(tx, r, protocol);
  if (timeout === null) ok = false;
  if (protocol === "tcp") {
    if (!checkTcpMatch(tx, r)) ok = false;
    if (r.retries && r.retries.value.attempts > 0) {
      tx.unsupportedValue(r.policy, r.retries.pointer, "retries",
        `retries: the destination port speaks tcp, and ${tx.mesh} tcpRoute has no retry policy; remove retries, or declare the port's protocol (http, http2, grpc) in the MeshService`);
      ok = false;
    }
    if (!ok) return undefined;
    return { name, tcpRoute: { ...(matchPort ? { match: { port: matchPort } } : {}), action: { weightedTargets } } };
  }
  const timeoutMs = requestBound(r)?.ms;
  const retry = retryPolicy(tx, r, protocol, timeoutMs);
  if (!retry) ok = false;
  // Longer than App Mesh's 15s default: the target VirtualNodes' listeners need it too.
  const perTryMs = r.retries?.value.perTryTimeout && r.retries.value.attempts > 0 ? parseDuration(r.retries.value.perTryTimeout) ?? 0 : 0;
  const longest = Math.max(timeoutMs ?? 0, perTryMs);
  if (longest > APPMESH_DEFAULT_REQUEST_TIMEOUT_MS) {
    weightedTargets.forEach((wt, j) => {
      const tp = targetPorts[j];
      if (!tp) return;
      const key = `${node.namespace}/${wt.virtualNodeRef.name}`;
      const byPort = raise.get(key) ?? new Map<number, number>();
      byPort.set(tp.targetPort, Math.max(byPort.get(tp.targetPort) ?? 0, longest));
      raise.set(key, byPort);
    });
  }
  const common = {
    action: { weightedTargets },
    ...(retry ? { retryPolicy: retry } : {}),
    ...(timeout ? { timeout: { perRequest: timeout } } : {}),
  };
  if (protocol === "grpc") {
    const match = grpcMatch(tx, r, matchPort);
    if (!match || !ok) return undefined;
    return { name, grpcRoute: { match, ...common } };
  }
  const match = httpMatch(tx, r, matchPort);
  if (!match || !ok) return undefined;
  return { name, [protocol === "http2" ? "http2Route" : "httpRoute"]: { match, ...common } };
}

/** The route for requests no policy route catches: to the whole service, no retries, App Mesh's default timeout. */
function defaultRoute(node: ServiceNode, port: PortInfo, multi: boolean, name: string): Omit<AmRoute, "priority"> {
  const weightedTargets: WeightedTarget[] = [{ virtualNodeRef: { name: node.vnName }, weight: 100, ...(node.listeners.length > 1 ? { port: port.targetPort } : {}) }];
  const matchPort = multi ? { port: port.port } : {};
  if (port.protocol === "tcp") return { name, tcpRoute: { ...(multi ? { match: { port: port.port } } : {}), action: { weightedTargets } } };
  const retryPolicy = disabledRetryPolicy(APPMESH_DEFAULT_REQUEST_TIMEOUT_MS);
  if (port.protocol === "grpc") return { name, grpcRoute: { match: { ...matchPort }, action: { weightedTargets }, retryPolicy } };
  return { name, [port.protocol === "http2" ? "http2Route" : "httpRoute"]: { match: { prefix: "/", ...matchPort }, action: { weightedTargets }, retryPolicy } };
}

/** The listeners of a VirtualNode of a service (identity or subset): same ports, settings and TLS. */
function buildListeners(tx: Tx, node: ServiceNode, vnName: string, raise: Map<string, Map<number, number>>): VirtualNodeListener[] {
  const v = node.view;
  const od = v ? outlierDetection(tx, v) : undefined;
  const pools = new Map<string, ListenerConnectionPool | undefined | null>();
  return node.listeners.map((l) => {
    const out: VirtualNodeListener = { portMapping: { port: l.port, protocol: l.protocol } };
    if (od) out.outlierDetection = od;
    if (v) {
      if (!pools.has(l.protocol)) pools.set(l.protocol, connectionPool(tx, v, l.protocol));
      const pool = pools.get(l.protocol);
      if (pool) out.connectionPool = pool;
    }
    const tls = listenerTls(tx, node, mtlsMode(tx, node, l.port)?.mode);
    if (tls) out.tls = tls;
    const longest = raise.get(`${node.namespace}/${vnName}`)?.get(l.port);
    if (longest !== undefined && l.protocol !== "tcp") out.timeout = { [l.protocol]: { perRequest: durationUnitValue(longest) } };
    return out;
  });
}

/** `serviceDiscovery.dns` of a VirtualNode: its headless Service, resolved to pod addresses. */
function dnsDiscovery(tx: Tx, node: ServiceNode, vnName: string): NonNullable<VirtualNodeObject["spec"]["serviceDiscovery"]> {
  return { dns: { hostname: `${headlessName(vnName)}.${node.namespace}.svc.${tx.settings.clusterDomain}`, responseType: "ENDPOINTS" } };
}

function headlessName(vnName: string): string {
  return dnsLabel(vnName, "appmesh");
}

/** The headless Service a VirtualNode is discovered through: pod ports, selected pods. */
function headlessService(node: ServiceNode, vnName: string, selector: Record<string, string>): ServiceObject {
  return {
    apiVersion: "v1", kind: "Service",
    metadata: objectMeta(headlessName(vnName), node.namespace, []),
    spec: {
      clusterIP: "None",
      selector: { ...selector },
      ports: node.listeners.map((l) => ({ name: `${l.protocol}-${l.port}`, port: l.port, targetPort: l.port, protocol: "TCP" })),
    },
  };
}

/** One `backends[]` entry of `caller`, with mutual TLS when `dest` listens with TLS. */
function backend(tx: Tx, caller: ServiceNode, dest: ServiceNode): VirtualNodeBackend {
  const tls = clientPolicyTls(tx, caller, dest);
  return {
    virtualService: {
      virtualServiceRef: { name: dest.vnName, ...(dest.namespace !== caller.namespace ? { namespace: dest.namespace } : {}) },
      ...(tls ? { clientPolicy: { tls } } : {}),
    },
  };
}

/** The routing-only VirtualNode of a subset, created on first use. */
function subsetNode(node: ServiceNode, subset: Subset, names: NodeNames, subsets: Map<string, SubsetNode>): SubsetNode {
  const key = `${node.namespace}/${node.name}/${subset.name}`;
  let s = subsets.get(key);
  if (!s) {
    s = { node, subset, vnName: names.reserve(node.namespace, dnsLabel(node.name, subset.name), key) };
    subsets.set(key, s);
  }
  return s;
}

/** VirtualNode names per namespace: identity nodes first, subsets get a hash suffix on a clash. */
class NodeNames {
  private readonly taken = new Set<string>();
  constructor(index: ServiceIndex) {
    for (const n of index.nodes) this.taken.add(`${n.namespace}/${n.vnName}`);
  }
  reserve(namespace: string, wanted: string, key: string): string {
    const name = this.taken.has(`${namespace}/${wanted}`) ? dnsLabel(wanted, shortHash(key)) : wanted;
    this.taken.add(`${namespace}/${name}`);
    return name;
  }
}

/**
 * Two identity VirtualNodes in one namespace where one selector is contained in the other would both
 * select the second service's pods, which the controller refuses to admit.
 */
function checkSelectorOverlaps(tx: Tx, index: ServiceIndex): void {
  for (const a of index.nodes) {
    for (const b of index.inNamespace(a.namespace)) {
      if (a === b) continue;
      const sa = a.facts.selector;
      const sb = b.facts.selector;
      const contained = Object.keys(sa).every((k) => sb[k] === sa[k]);
      const same = contained && Object.keys(sb).length === Object.keys(sa).length;
      if (!contained || (same && cmp(a.name, b.name) > 0)) continue;
      const message = `VirtualNodes ${a.namespace}/${a.name} and ${b.namespace}/${b.name} both select the pods of ${b.name} (selectors ${JSON.stringify(sa)} and ${JSON.stringify(sb)}), and ${tx.mesh} admits a pod only when exactly one VirtualNode selects it (aws-app-mesh-controller-for-k8s pkg/virtualnode/membership_designator.go); give the services disjoint selectors in their MeshServices`;
      const entry = b.facts.declaredBy ?? a.facts.declaredBy;
      if (entry) tx.report(entry, "/spec/selector", "error", "adapter/conflict", undefined, message);
      else tx.ctx.reportGlobal({ code: "adapter/conflict", severity: "error", message });
    }
  }
}
