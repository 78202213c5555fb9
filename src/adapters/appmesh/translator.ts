/**
 * The App Mesh translation (aws-app-mesh-controller-for-k8s v1.13, `appmesh.k8s.aws/v1beta2`).
 *
 * What is generated, per known service (see services.ts: destinations, MeshServices, callers named by
 * service account):
 * - one identity VirtualNode `<service>`: `podSelector` = the service's selector (its pods join the mesh
 *   as this node), one listener per pod port (declared pod-only ports included: their TLS and allowed
 *   identities are enforced there, though no route leads to them), and `backends` = the VirtualServices it
 *   may call (features/access.ts);
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
 *
 * Every `spec` is built with its keys already in sorted order, all the way down, and without undefined
 * values: `translate()` (src/api/translate.ts `sortDeep`) then keeps such objects as they are instead of
 * copying them key by key (tens of thousands of objects on large meshes). The order of keys is not
 * otherwise significant: a spec in another order gives the same output, only slower. Output objects
 * never share a sub-object (each is built fresh), so a caller may change one without changing another.
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import { durationUnitValue } from "../../api/duration.js";
import { type DestinationView, type Entry, type Model, type Subset, cmp, subsetSetting } from "../../api/model.js";
import { dnsLabel } from "../../api/names.js";
import { objectMeta } from "../../api/ownership.js";
import { Tx } from "./context.js";
import { accessOf, allowedCallers, policyPointer } from "./features/access.js";
import { connectionPool } from "./features/connectionPool.js";
import { checkAccessEgress, meshObject, reportDeprecation } from "./features/mesh.js";
import { checkMtlsPolicies, clientPolicyTls, listenerModes, listenerTls, notePodOnlyPorts } from "./features/mtls.js";
import { outlierDetection } from "./features/outlierDetection.js";
import { refuseLoadBalancer } from "./features/loadBalancer.js";
import { refuseRateLimit } from "./features/rateLimit.js";
import { refuseRequestAuthentication } from "./features/requestAuthentication.js";
import { refuseWasm } from "./features/wasmExtension.js";
import { reportAccessScopes } from "./features/scope.js";
import { refuseSubsetSettings } from "./features/subsetSettings.js";
import { NodeNames, type Raise, type SubsetNode, type SubsetNodes, buildRouter, raiseListener } from "./routes.js";
import {
  APPMESH_API_VERSION,
  type ListenerConnectionPool,
  type ListenerOutlierDetection,
  type PortMapping,
  type ServiceObject,
  type VirtualNodeBackend,
  type VirtualNodeListener,
  type VirtualNodeObject,
  type VirtualNodeSpec,
  type VirtualRouterObject,
  type VirtualServiceObject,
} from "./resources.js";
import { ServiceIndex, type ServiceNode } from "./services.js";
import { adapterCode } from "../../api/diagnostics.js";
import { refuseCrossClusterUses } from "./features/crossCluster.js";

/** Destination-level features App Mesh cannot express: each reports its use. */
const DESTINATION_REFUSALS: readonly ((tx: Tx, v: DestinationView) => void)[] = [refuseSubsetSettings, refuseLoadBalancer, refuseRateLimit];

/**
 * The source side of long timeouts: every listener of each caller allowed to call a destination whose
 * routes have a timeout above 15s gets it too (App Mesh API `HttpTimeout.perRequest`).
 */
function raiseCallers(raise: Raise, backends: Map<ServiceNode, Backends>): void {
  if (!raise.callersOf.size) return;
  for (const [caller, mine] of backends) {
    let ms = 0;
    for (const d of mine.dests) ms = Math.max(ms, raise.callersOf.get(d) ?? 0);
    if (!ms) continue;
    for (const l of caller.listeners) raiseListener(raise, `${caller.namespace}/${caller.vnName}`, l.port, ms);
  }
}

/** What the steps of one translation share. */
interface State {
  tx: Tx;
  index: ServiceIndex;
  names: NodeNames;
  raise: Raise;
  subsets: SubsetNodes;
}

/**
 * Translates a model to App Mesh resources. Pure; reports through `ctx`.
 *
 * The steps run in this order (it is the order of the reports): checks, VirtualRouters and
 * VirtualServices (which create the subsets' VirtualNodes and raise listener timeouts), access
 * (backends), identity VirtualNodes, subset VirtualNodes, the Mesh. Each object list is built in
 * (namespace, name) order, and they are returned in the order translate() sorts objects in
 * (apiVersion, kind, namespace, name: appmesh.k8s.aws/v1beta2 before v1; Mesh, VirtualNode,
 * VirtualRouter, VirtualService), so that its sort finds the work (nearly) done. The order is
 * otherwise not significant: translate() sorts anyway.
 */
export function translateAppMesh(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterUses(model, ctx);
  const tx = new Tx(model, ctx);
  reportDeprecation(tx);
  refuseRequestAuthentication(model, ctx);
  refuseWasm(model, ctx);
  const index = new ServiceIndex(tx);
  checkSelectorOverlaps(tx, index);
  checkMtlsPolicies(tx, index);
  reportAccessScopes(tx, index);
  notePodOnlyPorts(tx);
  checkAccessEgress(tx, [...new Set(index.nodes.map((n) => n.namespace))].sort());

  const state: State = { tx, index, names: new NodeNames(index), raise: Object.assign(new Map(), { callersOf: new Map() }), subsets: new Map() };
  const { routers, virtualServices } = routersAndServices(state);
  const backends = backendsOf(state);
  raiseCallers(state.raise, backends);
  const identity = identityNodes(state, backends);
  const routing = routingNodes(state);
  const mesh: KubeObject[] = [meshObject(tx, index.nodes)];
  return mesh.concat(
    mergeByNamespaceAndName(identity.nodes, routing.nodes),
    routers,
    virtualServices,
    mergeByNamespaceAndName(identity.services, routing.services),
  );
}

/** A VirtualRouter and a VirtualService per service with ports, in `index.nodes` order. */
function routersAndServices(state: State): { routers: VirtualRouterObject[]; virtualServices: VirtualServiceObject[] } {
  const { tx, index } = state;
  const routers: VirtualRouterObject[] = [];
  const virtualServices: VirtualServiceObject[] = [];
  for (const node of index.nodes) {
    const v = node.view;
    if (v) for (const refuse of DESTINATION_REFUSALS) refuse(tx, v);
    if (!node.ports.length) {
      if (v?.trafficPolicies.length) {
        for (const p of v.trafficPolicies) {
          tx.report(p, "/spec/destination", {
            feature: "split",
            kind: "unsupported-value",
            what: "no-port",
            severity: "error",
            message: `destination: ${tx.mesh} routes through a VirtualRouter listener port, and no port of ${node.namespace}/${node.name} is known; set spec.destination.port or declare its ports in a MeshService`,
          });
        }
      }
      continue;
    }
    const routes = buildRouter(tx, node, state.names, state.raise, state.subsets, state.index);
    const listeners: { portMapping: PortMapping }[] = [];
    for (const p of node.ports) listeners.push({ portMapping: { port: p.port, protocol: p.protocol } });
    const metadata = objectMeta(node.vnName, node.namespace, v?.trafficPolicies ?? []);
    routers.push({ apiVersion: APPMESH_API_VERSION, kind: "VirtualRouter", metadata, spec: { listeners, routes } });
    virtualServices.push({
      apiVersion: APPMESH_API_VERSION,
      kind: "VirtualService",
      // The router's metadata (same name, namespace and policies), copied: objects share nothing.
      metadata: copyMetadata(metadata),
      spec: { awsName: node.host, provider: { virtualRouter: { virtualRouterRef: { name: node.vnName } } } },
    });
  }
  return { routers, virtualServices };
}

/** A copy of an `objectMeta()` result (its label and annotation maps copied too), key order kept. */
function copyMetadata(m: KubeObject["metadata"]): KubeObject["metadata"] {
  const out = { ...m };
  if (m.labels) out.labels = { ...m.labels };
  if (m.annotations) out.annotations = { ...m.annotations };
  return out;
}

/** The backends of one identity VirtualNode: the destinations it may call, and the AccessPolicies that allow it. */
interface Backends {
  dests: ServiceNode[];
  /** The AccessPolicies of `dests` (allowedCallers: a destination's decide who calls it); may repeat. */
  policies: Entry<any>[];
}

/**
 * Who may call whom: the backends (destinations) of each identity VirtualNode. Destinations are visited
 * in `index.nodes` order (sorted by namespace, then name), so each caller's list comes out sorted.
 */
function backendsOf(state: State): Map<ServiceNode, Backends> {
  const { tx, index } = state;
  const backends = new Map<ServiceNode, Backends>();
  for (const dest of index.nodes) {
    const access = accessOf(tx, dest);
    if (!dest.ports.length && !access) continue;
    const decision = allowedCallers(tx, index, dest);
    if (!dest.ports.length) {
      if (decision.size) {
        for (const p of decision.policies) {
          tx.report(p, policyPointer(p), {
            feature: "access",
            kind: "unsupported-value",
            what: "no-port",
            severity: "error",
            message: `destination: ${tx.mesh} lets allowed callers reach ${dest.namespace}/${dest.name} through a VirtualService, which needs a listener port, and no port of it is known; declare its ports in a MeshService (unimesh discover writes them) or set spec.destination.port`,
          });
        }
      }
      continue;
    }
    const policies = access?.accessPolicies ?? [];
    for (const caller of decision.callers) {
      let mine = backends.get(caller);
      if (!mine) backends.set(caller, (mine = { dests: [], policies: [] }));
      mine.dests.push(dest);
      for (const p of policies) mine.policies.push(p);
    }
  }
  return backends;
}

/** The identity VirtualNode of every known service, and the headless Services of those with listeners. */
function identityNodes(state: State, backends: Map<ServiceNode, Backends>): { nodes: VirtualNodeObject[]; services: ServiceObject[] } {
  const { tx, index } = state;
  const nodes: VirtualNodeObject[] = [];
  const services: ServiceObject[] = [];
  for (const node of index.nodes) {
    const mine = backends.get(node);
    const from = nodePolicies(tx, node, mine?.policies);
    const listeners = buildListeners(tx, node, node.vnName, state.raise);
    const headless = listeners.length ? headlessName(node.vnName) : "";
    const spec: VirtualNodeSpec = {};
    if (mine) {
      const list: VirtualNodeBackend[] = [];
      for (const dest of mine.dests) list.push(backend(tx, node, dest));
      spec.backends = list;
    }
    if (listeners.length) spec.listeners = listeners;
    spec.podSelector = { matchLabels: sortedLabels(node.facts.selector) };
    if (listeners.length) spec.serviceDiscovery = dnsDiscovery(tx, node, headless);
    nodes.push({ apiVersion: APPMESH_API_VERSION, kind: "VirtualNode", metadata: objectMeta(node.vnName, node.namespace, from), spec });
    if (listeners.length) services.push(headlessService(node, headless, node.facts.selector));
  }
  return { nodes, services };
}

/** The routing-only VirtualNode of every subset a route targets, and its headless Service. */
function routingNodes(state: State): { nodes: VirtualNodeObject[]; services: ServiceObject[] } {
  const nodes: VirtualNodeObject[] = [];
  const services: ServiceObject[] = [];
  // Services in `index.nodes` order (routers were built, and subsets created, in that order), each
  // one's subsets by name: (nearly always) (namespace, name) order without sorting them all. The order
  // only helps translate()'s sort; the reports here repeat the identity node's (see Tx.report).
  for (const list of state.subsets.values()) {
    sortByVnName(list);
    for (const s of list) routingNode(state, s, nodes, services);
  }
  return { nodes, services };
}

/** One subset's routing-only VirtualNode and headless Service. */
function routingNode(state: State, s: SubsetNode, nodes: VirtualNodeObject[], services: ServiceObject[]): void {
  const { tx } = state;
  const { node } = s;
  const headless = headlessName(s.vnName);
  nodes.push({
    apiVersion: APPMESH_API_VERSION,
    kind: "VirtualNode",
    metadata: objectMeta(s.vnName, node.namespace, nodePolicies(tx, node)),
    // No podSelector: selects no pod (the identity VirtualNode does); a routing target only.
    spec: { listeners: buildListeners(tx, node, s.vnName, state.raise, s.subset), serviceDiscovery: dnsDiscovery(tx, node, headless) },
  });
  services.push(headlessService(node, headless, { ...node.facts.selector, ...s.subset.labels }));
}

/** Sorts a service's few subset nodes by name, in place (insertion sort: no allocation, as Array#sort does). */
function sortByVnName(list: SubsetNode[]): void {
  for (let i = 1; i < list.length; i++) {
    const x = list[i];
    let j = i - 1;
    for (; j >= 0 && list[j].vnName > x.vnName; j--) list[j + 1] = list[j];
    list[j + 1] = x;
  }
}

/** True when the strings are in ascending order (sorting them would not change them). */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

/** Merges two lists of objects in (namespace, name) order into one in that order. */
function mergeByNamespaceAndName(a: readonly KubeObject[], b: readonly KubeObject[]): KubeObject[] {
  const out: KubeObject[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i].metadata;
    const y = b[j].metadata;
    out.push((cmp(x.namespace ?? "", y.namespace ?? "") || cmp(x.name, y.name)) <= 0 ? a[i++] : b[j++]);
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/**
 * The policies every VirtualNode of a service comes from: its TrafficPolicies and the MTLSPolicies of
 * its listeners, plus `more`. Read only (it may be the view's own list).
 */
function nodePolicies(tx: Tx, node: ServiceNode, more?: readonly Entry<any>[]): readonly Entry<any>[] {
  const traffic = node.view?.trafficPolicies ?? [];
  const modes = listenerModes(tx, node);
  let mtls = false;
  for (const m of modes) if (m) mtls = true;
  if (!more && !mtls) return traffic;
  const from: Entry<any>[] = traffic.slice();
  if (mtls) for (const m of modes) if (m) from.push(m.policy);
  if (more) for (const p of more) from.push(p);
  return from;
}

/**
 * The listeners of a VirtualNode of a service (identity, or a subset's routing node): same ports, settings
 * and TLS, except a subset's own outlier detection (`subsetSettings`) on its routing node, and no
 * connection pool there: App Mesh applies a listener's pool in the Envoy of the pods that belong to the
 * node (the ingress cluster to the local app, aws/aws-app-mesh-roadmap#6), and a routing node has no pod
 * of its own, so a pool there would limit nothing. The destination's pool is on the identity node, which
 * all the service's pods belong to (requests routed to a subset inherit it: the model's `subsetSettings`);
 * a subset's own pool cannot be expressed (features/subsetSettings.ts).
 */
function buildListeners(tx: Tx, node: ServiceNode, vnName: string, raise: Raise, subset?: Subset): VirtualNodeListener[] {
  const v = node.view;
  const od = v ? outlierDetection(tx, v, subsetSetting(v, subset?.name, "outlierDetection")) : undefined;
  /** Connection pool per listener protocol (computed once per protocol: it reports). */
  const pools = v?.connectionPool && !subset ? new Map<string, ListenerConnectionPool | undefined | null>() : undefined;
  const modes = listenerModes(tx, node);
  const longest = raise.size ? raise.get(`${node.namespace}/${vnName}`) : undefined;
  const out: VirtualNodeListener[] = [];
  for (let i = 0; i < node.listeners.length; i++) {
    const l = node.listeners[i];
    let pool: ListenerConnectionPool | undefined | null;
    if (v && pools && !l.podOnly) {
      if (!pools.has(l.protocol)) pools.set(l.protocol, connectionPool(tx, v, l.protocol));
      pool = pools.get(l.protocol);
    }
    const tls = listenerTls(tx, node, modes[i]?.mode);
    const ms = longest?.get(l.port);
    // Keys in sorted order; the shared settings copied, so that no two listeners share an object.
    const listener = {} as VirtualNodeListener;
    // Destination-level settings concern the requests sent to the Service, never a pod-only port's.
    if (pool) listener.connectionPool = copyPool(pool);
    if (od && !l.podOnly) listener.outlierDetection = copyOutlier(od);
    listener.portMapping = { port: l.port, protocol: l.protocol };
    if (ms !== undefined && l.protocol !== "tcp") listener.timeout = { [l.protocol]: { perRequest: durationUnitValue(ms) } };
    if (tls) listener.tls = tls;
    out.push(listener);
  }
  return out;
}

/** A copy of a listener connection pool (its protocol member copied too), for one more listener. */
function copyPool(p: ListenerConnectionPool): ListenerConnectionPool {
  const out: ListenerConnectionPool = {};
  for (const k of Object.keys(p) as (keyof ListenerConnectionPool)[]) (out as Record<string, unknown>)[k] = { ...p[k] };
  return out;
}

/** A copy of a listener outlier detection (its durations copied too), for one more listener. */
function copyOutlier(od: ListenerOutlierDetection): ListenerOutlierDetection {
  return { ...od, interval: { ...od.interval }, baseEjectionDuration: { ...od.baseEjectionDuration } };
}

/** `serviceDiscovery.dns` of a VirtualNode: its headless Service (named `headless`), resolved to pod addresses. */
function dnsDiscovery(tx: Tx, node: ServiceNode, headless: string): NonNullable<VirtualNodeSpec["serviceDiscovery"]> {
  return { dns: { hostname: `${headless}.${node.namespace}.svc.${tx.settings.clusterDomain}`, responseType: "ENDPOINTS" } };
}

/** Name of the headless Service of a VirtualNode. */
function headlessName(vnName: string): string {
  return dnsLabel(vnName, "appmesh");
}

/** A copy of a label map with its keys in sorted order. */
function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const keys = Object.keys(labels);
  if (!isSorted(keys)) keys.sort();
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = labels[k];
  return out;
}

/** The headless Service (named `name`) a VirtualNode is discovered through: pod ports, selected pods. */
function headlessService(node: ServiceNode, name: string, selector: Record<string, string>): ServiceObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: objectMeta(name, node.namespace, []),
    spec: {
      clusterIP: "None",
      ports: node.listeners.map((l) => ({ name: `${l.protocol}-${l.port}`, port: l.port, protocol: "TCP", targetPort: l.port })),
      selector: sortedLabels(selector),
    },
  };
}

/** One `backends[]` entry of `caller`, with mutual TLS when `dest` listens with TLS. */
function backend(tx: Tx, caller: ServiceNode, dest: ServiceNode): VirtualNodeBackend {
  const tls = clientPolicyTls(tx, caller, dest);
  const virtualServiceRef = dest.namespace !== caller.namespace ? { name: dest.vnName, namespace: dest.namespace } : { name: dest.vnName };
  return { virtualService: tls ? { clientPolicy: { tls }, virtualServiceRef } : { virtualServiceRef } };
}

/**
 * Two identity VirtualNodes in one namespace where one selector is contained in the other would both
 * select the second service's pods, which the controller refuses to admit.
 *
 * For each node `a`, only the nodes of its namespace that carry `a`'s first label (same key, same value)
 * can contain its selector: they are looked up in an index by label instead of comparing every pair of
 * nodes of a namespace (quadratic: a namespace of 1,000 services is a million pairs). The candidates
 * keep the namespace's node order, so the reports come in the same order as from the pairwise scan.
 */
function checkSelectorOverlaps(tx: Tx, index: ServiceIndex): void {
  /** namespace → label key → label value → nodes carrying that label, in `index.nodes` order. */
  const byLabel = new Map<string, Map<string, Map<unknown, ServiceNode[]>>>();
  for (const n of index.nodes) {
    let keys = byLabel.get(n.namespace);
    if (!keys) byLabel.set(n.namespace, (keys = new Map()));
    const sel = n.facts.selector;
    for (const k of Object.keys(sel)) {
      let values = keys.get(k);
      if (!values) keys.set(k, (values = new Map()));
      const list = values.get(sel[k]);
      if (list) list.push(n);
      else values.set(sel[k], [n]);
    }
  }
  for (const a of index.nodes) {
    const sa = a.facts.selector;
    const aKeys = Object.keys(sa);
    const candidates = aKeys.length ? (byLabel.get(a.namespace)?.get(aKeys[0])?.get(sa[aKeys[0]]) ?? []) : index.inNamespace(a.namespace);
    for (const b of candidates) {
      if (a === b) continue;
      const sb = b.facts.selector;
      const contained = aKeys.every((k) => sb[k] === sa[k]);
      const same = contained && Object.keys(sb).length === aKeys.length;
      if (!contained || (same && cmp(a.name, b.name) > 0)) continue;
      const message = `VirtualNodes ${a.namespace}/${a.name} and ${b.namespace}/${b.name} both select the pods of ${b.name} (selectors ${JSON.stringify(sa)} and ${JSON.stringify(sb)}), and ${tx.mesh} admits a pod only when exactly one VirtualNode selects it (aws-app-mesh-controller-for-k8s pkg/virtualnode/membership_designator.go); give the services disjoint selectors in their MeshServices`;
      const entry = b.facts.declaredBy ?? a.facts.declaredBy;
      if (entry) tx.report(entry, "/spec/selector", { kind: "conflict", what: "selector", severity: "error", message: message });
      else tx.ctx.reportGlobal({ code: adapterCode("conflict", undefined, "selector"), severity: "error", message });
    }
    // Selectors that may meet (a label in common, none that differs, neither containing the other): a
    // pod carrying both label sets would be refused; whether one exists is not known (a warning).
    const seen = new Set<ServiceNode>();
    for (const k of aKeys) {
      for (const b of byLabel.get(a.namespace)?.get(k)?.get(sa[k]) ?? []) {
        if (b === a || seen.has(b) || cmp(a.name, b.name) > 0) continue;
        seen.add(b);
        const sb = b.facts.selector;
        const bKeys = Object.keys(sb);
        if (aKeys.every((x) => sb[x] === sa[x]) || bKeys.every((x) => sa[x] === sb[x])) continue; // contained: above
        if (bKeys.some((x) => Object.hasOwn(sa, x) && sa[x] !== sb[x])) continue; // disjoint
        const message = `VirtualNodes ${a.namespace}/${a.name} and ${b.namespace}/${b.name} may select the same pods (selectors ${JSON.stringify(sa)} and ${JSON.stringify(sb)}: a pod carrying the labels of both), and ${tx.mesh} refuses a pod that two VirtualNodes select (aws-app-mesh-controller-for-k8s pkg/virtualnode/membership_designator.go); unimesh cannot see pod labels: make sure no pod carries both, or give the services selectors with a label that differs`;
        const entry = b.facts.declaredBy ?? a.facts.declaredBy;
        if (entry) tx.report(entry, "/spec/selector", { kind: "conflict", what: "selector", severity: "warning", message: message });
        else tx.ctx.reportGlobal({ code: adapterCode("conflict", undefined, "selector"), severity: "warning", message });
      }
    }
  }
}
