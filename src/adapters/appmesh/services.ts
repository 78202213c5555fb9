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
import type { DestinationView, ServiceFacts } from "../../api/model.js";
import { cmp } from "../../api/model.js";
import { dnsLabel, serviceHost } from "../shared/names.js";
import type { Tx } from "./context.js";
import type { AmProtocol } from "./resources.js";

/** One port of a service: what callers dial (`port`) and what the pods listen on (`targetPort`). */
export interface PortInfo {
  port: number;
  targetPort: number;
  protocol: AmProtocol;
  name?: string;
}

/** A known service: one identity VirtualNode, and a VirtualService + VirtualRouter when it has ports. */
export interface ServiceNode {
  namespace: string;
  name: string;
  facts: ServiceFacts;
  view?: DestinationView;
  /** Service ports (VirtualRouter listeners), sorted. Empty: the service can only call, not be called. */
  ports: PortInfo[];
  /** VirtualNode listeners: one per distinct target port, sorted. */
  listeners: { port: number; protocol: AmProtocol }[];
  /** Name of its identity VirtualNode, VirtualRouter and VirtualService (the Service name). */
  vnName: string;
  /** SPIFFE ID of its pods (`spiffe://<trustDomain>/ns/<ns>/sa/<serviceAccount>`). */
  spiffeId: string;
  /** `<name>.<namespace>.svc.<clusterDomain>`: the VirtualService `awsName`, i.e. the host callers use. */
  host: string;
}

/** The known services, by namespace/name, in a stable order. */
export class ServiceIndex {
  readonly nodes: ServiceNode[] = [];
  private readonly byKey = new Map<string, ServiceNode>();
  /** Nodes by `namespace/serviceAccount` and by namespace, in `nodes` order. */
  private bySaIndex = new Map<string, ServiceNode[]>();
  private byNsIndex = new Map<string, ServiceNode[]>();

  constructor(private readonly tx: Tx) {
    const { model } = tx;
    for (const v of model.destinations()) this.add(v.facts, v);
    for (const e of model.services) this.add(model.service(e.namespace, e.name));
    // Callers named by service account: the services running as it, or the conventional service named after it.
    for (const v of model.destinations()) {
      for (const rule of [...v.allow, ...v.deny]) {
        for (const id of rule.source?.identities ?? []) {
          if ("any" in id) continue;
          if (this.bySa(id.namespace, id.serviceAccount).length) continue;
          const facts = model.service(id.namespace, id.serviceAccount);
          if (facts.serviceAccount === id.serviceAccount && !this.byKey.has(`${id.namespace}/${id.serviceAccount}`)) this.add(facts);
        }
      }
    }
    this.nodes.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
    this.bySaIndex = new Map();
    this.byNsIndex = new Map();
    for (const n of this.nodes) this.indexNode(n);
  }

  private indexNode(n: ServiceNode): void {
    const sa = `${n.namespace}/${n.facts.serviceAccount}`;
    const a = this.bySaIndex.get(sa);
    if (a) a.push(n); else this.bySaIndex.set(sa, [n]);
    const b = this.byNsIndex.get(n.namespace);
    if (b) b.push(n); else this.byNsIndex.set(n.namespace, [n]);
  }

  /** Known services whose pods run as the service account. */
  bySa(namespace: string, serviceAccount: string): ServiceNode[] {
    return [...(this.bySaIndex.get(`${namespace}/${serviceAccount}`) ?? [])];
  }

  /** Known services of a namespace. */
  inNamespace(namespace: string): ServiceNode[] {
    return [...(this.byNsIndex.get(namespace) ?? [])];
  }

  private add(facts: ServiceFacts, view?: DestinationView): void {
    const key = `${facts.namespace}/${facts.name}`;
    const known = this.byKey.get(key);
    if (known) {
      known.view ??= view;
      return;
    }
    const ports = portsOf(facts, view);
    const listeners: ServiceNode["listeners"] = [];
    for (const p of ports) if (!listeners.some((l) => l.port === p.targetPort)) listeners.push({ port: p.targetPort, protocol: p.protocol });
    listeners.sort((a, b) => a.port - b.port);
    const node: ServiceNode = {
      namespace: facts.namespace, name: facts.name, facts, ports, listeners,
      ...(view ? { view } : {}),
      vnName: dnsLabel(facts.name),
      spiffeId: this.tx.model.spiffeId({ namespace: facts.namespace, serviceAccount: facts.serviceAccount }),
      host: serviceHost(facts.name, facts.namespace, this.tx.settings.clusterDomain),
    };
    this.nodes.push(node);
    this.byKey.set(key, node);
    this.indexNode(node);
  }
}

/**
 * Ports of a service: the MeshService's declared ports (protocol default http, targetPort default
 * port), else every port the policies name (destination ports, split target ports), as http
 * with the pod listening on the same port.
 */
export function portsOf(facts: ServiceFacts, view?: DestinationView): PortInfo[] {
  if (facts.ports?.length) {
    return facts.ports
      .map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port, protocol: (p.protocol ?? "http") as AmProtocol, ...(p.name ? { name: p.name } : {}) }))
      .sort((a, b) => a.port - b.port);
  }
  const seen = new Set<number>();
  for (const e of view?.trafficPolicies ?? []) if (e.doc.spec.destination.port) seen.add(e.doc.spec.destination.port);
  for (const r of view?.routes ?? []) {
    if (r.port) seen.add(r.port);
    if (r.action.kind === "split") for (const t of r.action.targets) if (t.port) seen.add(t.port);
  }
  for (const e of view?.accessPolicies ?? []) if (e.doc.spec.destination.port) seen.add(e.doc.spec.destination.port);
  return [...seen].sort((a, b) => a - b).map((port) => ({ port, targetPort: port, protocol: "http" as AmProtocol }));
}
