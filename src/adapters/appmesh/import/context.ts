/**
 * What the parts of the App Mesh importer share: the import context and settings, the VirtualNodes read
 * (the pods each selects, its listeners and backends), and how a VirtualNode's pods relate to a
 * destination service (the whole service, or a subset of it).
 */
import type { ImportContext, ImportReport, NativeObject } from "../../../api/import-contract.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../../api/ownership.js";

/** The App Mesh importer's view of one import. */
export interface AppMeshImport {
  readonly ctx: ImportContext;
  /** `clusterDomain` setting (VirtualService `awsName` and DNS hostnames `<svc>.<ns>.svc.<domain>`). */
  readonly clusterDomain: string;
  /** True for an object unimesh generated. */
  generated(o: NativeObject): boolean;
  /**
   * Pod selectors of destinations no fact describes, inferred from the VirtualNodes their routes target
   * (`<ns>/<name>` → labels); a MeshService is written for each.
   */
  readonly inferred: Map<string, Record<string, string>>;
}

/** The pod selector of a destination: inferred (see {@link AppMeshImport.inferred}), else the facts'. */
export function selectorOf(ai: AppMeshImport, dest: ServiceRef): Record<string, string> {
  return ai.inferred.get(`${dest.namespace}/${dest.name}`) ?? ai.ctx.facts.selector(dest.namespace, dest.name);
}

/** A service of the mesh. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/** One VirtualNode listener, read. */
export interface ListenerInfo {
  /** The pod port (`portMapping.port`). */
  port: number;
  protocol: string;
  pointer: string;
}

/** One VirtualNode, read. */
export interface NodeInfo {
  native: NativeObject;
  name: string;
  namespace: string;
  /** The labels of the pods it stands for: `podSelector.matchLabels`, else its DNS hostname's Service selector. */
  labels?: Record<string, string>;
  /** Where `labels` came from, for messages. */
  labelsFrom?: string;
  /** The service whose pods these are exactly (a MeshService with this selector, or `app: <name>`). */
  service?: string;
  /** The Service its DNS hostname names (`serviceDiscovery.dns.hostname`). */
  dnsService?: ServiceRef;
  listeners: ListenerInfo[];
  /** The VirtualServices it lists as backends (`backends[].virtualService.virtualServiceRef`). */
  backends: ServiceRef[];
}

/** Builds the importer's context. */
export function appMeshImport(ctx: ImportContext): AppMeshImport {
  return {
    ctx,
    clusterDomain: ctx.settings.clusterDomain ?? "cluster.local",
    generated: (o) => o.object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE,
    inferred: new Map(),
  };
}

/** Shorthand for `ctx.report`. */
export function report(
  ai: AppMeshImport,
  o: NativeObject,
  pointer: string,
  severity: ImportReport["severity"],
  code: ImportReport["code"],
  message: string,
): void {
  ai.ctx.report(o, pointer, { code, severity, message });
}

/**
 * How a VirtualNode's pods relate to a destination: `labels` undefined → its pods are the destination's
 * (the whole service); `labels` → a subset (the node's labels beyond the destination's selector); a
 * `reason` when they are not pods of the destination.
 */
export function subsetOf(ai: AppMeshImport, node: NodeInfo, dest: ServiceRef): { labels?: Record<string, string> } | { reason: string } {
  // A VirtualNode whose DNS hostname is the destination's own Service stands for the whole service.
  if (node.dnsService && node.dnsService.name === dest.name && node.dnsService.namespace === dest.namespace) return {};
  if (!node.labels)
    return {
      reason: `VirtualNode ${node.namespace}/${node.name} selects no pods the import can see (no podSelector, and its DNS hostname is no Service among the inputs)`,
    };
  if ((node.dnsService?.namespace ?? node.namespace) !== dest.namespace)
    return { reason: `VirtualNode ${node.namespace}/${node.name} is in another namespace than ${dest.namespace}/${dest.name}` };
  const selector = selectorOf(ai, dest);
  const keys = Object.keys(selector);
  if (!keys.every((k) => node.labels![k] === selector[k])) {
    return {
      reason: `the pods of VirtualNode ${node.namespace}/${node.name} (${JSON.stringify(node.labels)}) are not pods of ${dest.namespace}/${dest.name} (selector ${JSON.stringify(selector)}${ai.ctx.facts.declared(dest.namespace, dest.name) || ai.inferred.has(`${dest.namespace}/${dest.name}`) ? "" : ", the convention: give its MeshService or Service with the inputs"})`,
    };
  }
  const extra = Object.keys(node.labels)
    .filter((k) => !keys.includes(k))
    .sort();
  if (!extra.length) return {};
  return { labels: Object.fromEntries(extra.map((k) => [k, node.labels![k]])) };
}

/** The service a DNS hostname names (`<svc>.<ns>.svc.<domain>`, `<svc>.<ns>`, `<svc>`), or undefined. */
export function serviceOfHostname(ai: AppMeshImport, host: unknown, ns: string): ServiceRef | undefined {
  if (typeof host !== "string") return undefined;
  const parts = host.split(".");
  if (!parts.every((p) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(p))) return undefined;
  if (parts.length === 1) return { namespace: ns, name: parts[0] };
  if (parts.length === 2) return { namespace: parts[1], name: parts[0] };
  if (parts[2] !== "svc") return undefined;
  const rest = parts.slice(3).join(".");
  return rest === "" || rest === ai.clusterDomain ? { namespace: parts[1], name: parts[0] } : undefined;
}
