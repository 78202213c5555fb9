/**
 * The services the App Mesh translation knows, each becoming one "identity" VirtualNode: every
 * destination of a policy, every MeshService, and the service (by convention or MeshService) behind
 * every service account an AccessPolicy names as a caller. Pods join the mesh as exactly one
 * VirtualNode, chosen by `podSelector`; the controller rejects a pod that two VirtualNodes select
 * ("found multiple matching VirtualNodes for pod",
 * `aws/aws-app-mesh-controller-for-k8s pkg/virtualnode/membership_designator.go`), so subsets get
 * routing-only VirtualNodes without `podSelector` (see translator.ts) and only identity VirtualNodes
 * select pods.
 */
import type { DestinationView, EffectiveAccessRule, Entry, Model, MtlsMode, ServiceFacts } from "../../api/model.js";
import type { MTLSPolicy } from "../../api/generated/model.js";
import { cmp, exposedPorts } from "../../api/model.js";
import { dnsLabel, serviceHost } from "../../api/names.js";
import type { Tx } from "./context.js";
import type { AmProtocol } from "./resources.js";

/** One port of a service: what callers dial (`port`) and what the pods listen on (`targetPort`). */
export interface PortInfo {
  port: number;
  targetPort: number;
  protocol: AmProtocol;
  name?: string;
  /** A pod port no Service port reaches (model `DestinationPort.podOnly`). */
  podOnly?: true;
}

/** An empty port list, shared (never changed). */
const NO_PORTS: PortInfo[] = [];

/** Every port of a node: its Service ports, then its pod-only ports (what access and mTLS govern). */
export function allPorts(node: ServiceNode): readonly PortInfo[] {
  return node.podPorts.length ? [...node.ports, ...node.podPorts] : node.ports;
}

/** The mode of a listener and the MTLSPolicy that set it. */
export interface ListenerMtls {
  mode: MtlsMode;
  policy: Entry<MTLSPolicy>;
}

/** A known service: one identity VirtualNode, and a VirtualService + VirtualRouter when it has ports. */
export interface ServiceNode {
  namespace: string;
  name: string;
  facts: ServiceFacts;
  view?: DestinationView;
  /** Service ports (VirtualRouter listeners), sorted. Empty: the service can only call, not be called. */
  ports: PortInfo[];
  /**
   * Declared pod ports no Service port reaches (MeshService `ports[].podOnly`), sorted: VirtualNode
   * listeners (so the pods' Envoys enforce their mTLS mode and allowed identities) that no VirtualRouter
   * routes to. `port` and `targetPort` are the pod port.
   */
  podPorts: PortInfo[];
  /** VirtualNode listeners: one per distinct target port (of `ports` and `podPorts`), sorted. */
  listeners: { port: number; protocol: AmProtocol; podOnly?: true }[];
  /** Name of its identity VirtualNode, VirtualRouter and VirtualService (the Service name). */
  vnName: string;
  /** SPIFFE ID of its pods (`spiffe://<trustDomain>/ns/<ns>/sa/<serviceAccount>`). */
  spiffeId: string;
  /** `<name>.<namespace>.svc.<clusterDomain>`: the VirtualService `awsName`, i.e. the host callers use. */
  host: string;
  /**
   * Memo of features/mtls.ts `listenerModes`: the mTLS mode of each listener, in `listeners` order.
   * Asked for every listener of every VirtualNode and for every caller of the service, so computed once.
   */
  listenerModes?: (ListenerMtls | undefined)[];
  /** Memo of features/mtls.ts `clientPolicyTls`: the listener ports that use TLS (the same for every caller). */
  tlsPorts?: number[];
  /**
   * The callers' SPIFFE IDs its TLS listeners accept (`listeners[].tls.validation.subjectAlternativeNames`),
   * set by the access step (features/access.ts `allowedCallers`); undefined: any certificate of the trust
   * domain (no AccessPolicy, or every caller or every authenticated caller may call).
   */
  sans?: string[];
}

/**
 * A map keyed by (namespace, name), as two levels of maps rather than one keyed by a joined string:
 * lookups with the model's own strings then hash nothing new (a joined key is a new string to build
 * and hash on every lookup, tens of thousands of times on large meshes).
 */
export class NamespacedMap<T> {
  private readonly byNamespace = new Map<string, Map<string, T>>();

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  has(namespace: string, name: string): boolean {
    return this.byNamespace.get(namespace)?.has(name) ?? false;
  }

  set(namespace: string, name: string, value: T): void {
    let m = this.byNamespace.get(namespace);
    if (!m) this.byNamespace.set(namespace, (m = new Map()));
    m.set(name, value);
  }
}

/** What {@link ServiceIndex.bySa} and {@link ServiceIndex.inNamespace} answer when nothing is known. */
const NONE: readonly ServiceNode[] = Object.freeze([]);

/** The known services, by namespace/name, in a stable order. */
export class ServiceIndex {
  readonly nodes: ServiceNode[] = [];
  private readonly byKey = new NamespacedMap<ServiceNode>();
  /** Nodes by namespace and service account, and by namespace, in `nodes` order. */
  private bySaIndex = new NamespacedMap<ServiceNode[]>();
  private byNsIndex = new Map<string, ServiceNode[]>();

  constructor(private readonly tx: Tx) {
    const { model } = tx;
    const destinations = model.destinations();
    for (const v of destinations) this.add(v.facts, v);
    for (const e of model.services) this.add(model.service(e.namespace, e.name));
    // Other Services that routes split to (`split[].service`): their VirtualNodes are the weighted targets.
    for (const v of destinations) {
      for (const r of v.routes) {
        if (r.action.kind !== "split") continue;
        for (const t of r.action.targets) if (t.service && !this.byKey.has(v.namespace, t.service)) this.add(model.service(v.namespace, t.service));
      }
    }
    // Callers named by service account: the services running as it, or the conventional service named after it.
    for (const v of destinations) {
      for (const rule of v.allow) this.addCallers(rule);
      for (const rule of v.deny) this.addCallers(rule);
    }
    // Destinations come sorted, and usually nothing is added after them: then the nodes are already in
    // order, and so are the lists of the indexes, which are only rebuilt when sorting changed the order.
    if (!inOrder(this.nodes)) {
      this.nodes.sort(compareNodes);
      this.bySaIndex = new NamespacedMap();
      this.byNsIndex = new Map();
      for (const n of this.nodes) this.indexNode(n);
    }
  }

  /** Adds the conventional service of each service account a rule names, when no known service runs as it. */
  private addCallers(rule: EffectiveAccessRule): void {
    const identities = rule.source?.identities;
    if (!identities) return;
    for (const id of identities) {
      if ("any" in id) continue;
      if (this.bySa(id.namespace, id.serviceAccount).length) continue;
      const facts = this.tx.model.service(id.namespace, id.serviceAccount);
      if (facts.serviceAccount === id.serviceAccount && !this.byKey.has(id.namespace, id.serviceAccount)) this.add(facts);
    }
  }

  private indexNode(n: ServiceNode): void {
    const a = this.bySaIndex.get(n.namespace, n.facts.serviceAccount);
    if (a) a.push(n);
    else this.bySaIndex.set(n.namespace, n.facts.serviceAccount, [n]);
    const b = this.byNsIndex.get(n.namespace);
    if (b) b.push(n);
    else this.byNsIndex.set(n.namespace, [n]);
  }

  /**
   * Known services whose pods run as the service account, in `nodes` order. The index's own list (no
   * copy: it is asked for every rule of every destination): read it, never change it.
   */
  bySa(namespace: string, serviceAccount: string): readonly ServiceNode[] {
    return this.bySaIndex.get(namespace, serviceAccount) ?? NONE;
  }

  /** Known services of a namespace, in `nodes` order. The index's own list, as for {@link bySa}. */
  inNamespace(namespace: string): readonly ServiceNode[] {
    return this.byNsIndex.get(namespace) ?? NONE;
  }

  /** The known service `namespace/name`, if any. */
  get(namespace: string, name: string): ServiceNode | undefined {
    return this.byKey.get(namespace, name);
  }

  private add(facts: ServiceFacts, view?: DestinationView): void {
    const known = this.byKey.get(facts.namespace, facts.name);
    if (known) {
      known.view ??= view;
      return;
    }
    const all = portsOf(this.tx.model, facts);
    const ports = exposedPorts(all) as PortInfo[];
    const podPorts = ports === all ? NO_PORTS : all.filter((p) => p.podOnly);
    const listeners: ServiceNode["listeners"] = [];
    for (const p of ports) if (!listeners.some((l) => l.port === p.targetPort)) listeners.push({ port: p.targetPort, protocol: p.protocol });
    // Validation keeps a pod-only port off every Service port's targetPort: each is a listener of its own.
    for (const p of podPorts) if (!listeners.some((l) => l.port === p.targetPort)) listeners.push({ port: p.targetPort, protocol: p.protocol, podOnly: true });
    listeners.sort((a, b) => a.port - b.port);
    // Every field set here, the optional ones too (undefined until known), so that all nodes keep one
    // shape: code that reads them stays monomorphic as views and memos are filled in.
    const node: ServiceNode = {
      namespace: facts.namespace,
      name: facts.name,
      facts,
      view,
      ports,
      podPorts,
      listeners,
      vnName: dnsLabel(facts.name),
      spiffeId: this.tx.model.spiffeId({ namespace: facts.namespace, serviceAccount: facts.serviceAccount }),
      host: serviceHost(facts.name, facts.namespace, this.tx.settings.clusterDomain),
      listenerModes: undefined,
      tlsPorts: undefined,
      sans: undefined,
    };
    this.nodes.push(node);
    this.byKey.set(facts.namespace, facts.name, node);
    this.indexNode(node);
  }
}

/** Node order: namespace, then name. */
function compareNodes(a: ServiceNode, b: ServiceNode): number {
  return cmp(a.namespace, b.namespace) || cmp(a.name, b.name);
}

/** True when the nodes are in {@link compareNodes} order. */
function inOrder(nodes: readonly ServiceNode[]): boolean {
  for (let i = 1; i < nodes.length; i++) if (compareNodes(nodes[i - 1], nodes[i]) > 0) return false;
  return true;
}

/**
 * Ports of a service as App Mesh uses them: the model's ports of the service (`Model.servicePorts`:
 * the MeshService's declared ports, else, for a destination, every Service port its policies name, with
 * the pod listening on the same port), with App Mesh's protocol default `http`.
 */
export function portsOf(model: Model, facts: ServiceFacts): PortInfo[] {
  const ports = model.servicePorts(facts.namespace, facts.name);
  const out: PortInfo[] = [];
  for (const p of ports) {
    const info: PortInfo = { port: p.port, targetPort: p.targetPort, protocol: p.protocol ?? "http" };
    if (p.name) info.name = p.name;
    if (p.podOnly) info.podOnly = true;
    out.push(info);
  }
  return out;
}
