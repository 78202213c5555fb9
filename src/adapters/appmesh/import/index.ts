/**
 * The App Mesh importer (`unimesh import --from appmesh`, the App Mesh adapter's `importer` hook):
 * `appmesh.k8s.aws/v1beta2` objects → unimesh documents, the reverse of the adapter's translation. AWS
 * discontinued App Mesh on 2026-09-30: this is how its users move their configuration to Istio or Linkerd.
 *
 * - VirtualService (`awsName`, the host callers use: `<service>.<namespace>.svc.<domain>`) → the destination
 *   service. Its provider: a VirtualRouter → its routes (routes.ts), one TrafficPolicy per listener port
 *   the routes match (one for all when they name none); a VirtualNode → the whole service, or a route to the
 *   subset whose pods it selects.
 * - VirtualNode → the pods it stands for (`podSelector`, else the selector of the Service its DNS hostname
 *   names, as the headless `<node>-appmesh` Services unimesh writes): the whole destination, or a subset
 *   (its labels beyond the destination's selector). Its listeners: `outlierDetection` {maxServerErrors,
 *   interval, baseEjectionDuration, maxEjectionPercent} → `outlierDetection` (a subset node's own, when it
 *   differs, → `subsetSettings`); `connectionPool` → `connectionPool` (App Mesh limits per destination pod
 *   for all callers, the model per caller: a warning); `tls.mode` STRICT / PERMISSIVE → MTLSPolicy strict /
 *   permissive (per Service port when listeners differ; none is plaintext, which the model leaves to the
 *   mesh's default: a note); `healthCheck`, `logging`: not in the model (warnings).
 * - Access: App Mesh has no authorization object. With the Mesh's `egressFilter: DROP_ALL`, a VirtualNode
 *   reaches only its `backends`; a destination TLS listener's `validation.subjectAlternativeNames` accepts
 *   only those callers' SPIFFE IDs. So the callers of a destination are the service accounts of the
 *   VirtualNodes listing it (with DROP_ALL) that its SANs accept (with STRICT TLS): an AccessPolicy
 *   `<service>-callers` allowing them, unless every known VirtualNode may call. App Mesh lets a pod without a
 *   sidecar in through a listener that is not STRICT; the model does not: a warning says the imported rule
 *   is stricter. With `ALLOW_ALL`, backends restrict nothing (passthrough): no AccessPolicy.
 * - Mesh → `egressFilter` read for access; VirtualGateway, GatewayRoute (ingress) and BackendGroup: outside
 *   the model (a BackendGroup that grants access under DROP_ALL is an error).
 *
 * Objects unimesh generated come back as their policies: route names `<policy>-<route>`, the `default`
 * routes and disabled retry policies (`maxRetries: 0`) it writes are the model's defaults, and its routes
 * without timeout mean no timeout (not App Mesh's 15s default).
 */
import type { AccessPolicy, MTLSPolicy, OutlierDetection, Route, TrafficPolicy, TrafficPolicySpec, ConnectionPool } from "../../../api/generated/model.js";
import {
  type ImportContext,
  type ImportedDocument,
  type MeshImporter,
  type NativeFields,
  type NativeKind,
  type NativeObject,
  isObject,
} from "../../../api/import-contract.js";
import { canonicalJson, cmp } from "../../../api/model.js";
import { formatDuration } from "../../../api/duration.js";
import { generatedFrom } from "../../../api/ownership.js";
import { type AppMeshImport, type ListenerInfo, type NodeInfo, type ServiceRef, appMeshImport, report, serviceOfHostname, subsetOf } from "./context.js";
import { type ImportedRoute, amDurationMs, routerRoutes } from "./routes.js";
import { noCallerSan } from "../features/access.js";

const GROUP = "appmesh.k8s.aws";
const API_VERSION = "unimesh.io/v1alpha1" as const;

const KINDS: readonly NativeKind[] = [
  ...["Mesh", "VirtualNode", "VirtualService", "VirtualRouter", "VirtualGateway", "GatewayRoute", "BackendGroup"].map((kind) => ({ group: GROUP, kind })),
  { group: "", kind: "Service" },
];

type Mode = MTLSPolicy["spec"]["mode"];

/** The App Mesh importer. */
export const appmeshImporter: MeshImporter = {
  kinds: KINDS,
  import(objects: readonly NativeObject[], ctx: ImportContext): ImportedDocument[] {
    const ai = appMeshImport(ctx);
    const of = (kind: string) => objects.filter((o) => o.group === GROUP && o.kind === kind);
    // Services: where VirtualNodes without podSelector find their pods (their DNS hostname). Facts, not policies.
    const services = new Map<string, Record<string, string>>();
    for (const o of objects.filter((x) => x.group === "" && x.kind === "Service")) {
      ctx.ignore(o);
      const sel = (o.object.spec as Record<string, unknown> | undefined)?.selector;
      if (isObject(sel) && Object.keys(sel).length) services.set(`${o.namespace}/${o.name}`, sel as Record<string, string>);
    }
    const egress = meshEgress(ai, of("Mesh"));
    const nodes = new Map<string, Node>();
    for (const o of of("VirtualNode")) nodes.set(`${o.namespace}/${o.name}`, readNode(ai, o, services, egress));
    const nodeAt = (name: string, ns: string) => nodes.get(`${ns}/${name}`);
    outsideTheModel(ai, of("VirtualGateway"), of("GatewayRoute"), of("BackendGroup"), egress);

    const routers = new Map(of("VirtualRouter").map((o) => [`${o.namespace}/${o.name}`, o]));
    const docs: ImportedDocument[] = [];
    const dests: Dest[] = [];
    const usedRouters = new Set<NativeObject>();
    for (const vs of of("VirtualService")) {
      const f = ctx.fields(vs);
      const host = f.take("/spec/awsName") ?? `${vs.name}.${vs.namespace}.svc.${ai.clusterDomain}`;
      let svc = serviceOfHostname(ai, host, vs.namespace);
      if (!svc) {
        // A Cloud Map name (`colorapp.ns.pvt.aws.local`): the destination is the service of its first label.
        const first = typeof host === "string" ? host.split(".")[0] : "";
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(first)) {
          report(ai, vs, "/spec/awsName", "warning", "import/unsupported-value", `awsName ${JSON.stringify(host)} names no service: not imported`);
          ctx.ignore(vs);
          continue;
        }
        svc = { namespace: vs.namespace, name: first };
        report(
          ai,
          vs,
          "/spec/awsName",
          "warning",
          "import/unsupported-value",
          `awsName ${JSON.stringify(host)} is not a Kubernetes Service name (<service>.<namespace>.svc.${ai.clusterDomain}; e.g. an AWS Cloud Map name): imported as Service ${svc.namespace}/${svc.name}, which callers reach on other meshes as ${svc.name}.${svc.namespace}.svc.${ai.clusterDomain}`,
        );
      }
      inferSelector(ai, vs, f, svc, nodeAt, routers);
      const d: Dest = { svc, vs, subsets: [] };
      for (const n of nodes.values()) {
        const sub = n.namespace === svc.namespace ? subsetOf(ai, n, svc) : undefined;
        if (!sub || "reason" in sub) continue;
        if (!sub.labels && (!d.identity || n.labels === undefined || n.podSelected)) d.identity = n;
        else if (sub.labels) d.subsets.push(n);
      }
      dests.push(d);
      const provider = f.get("/spec/provider");
      f.use("/spec/provider");
      const byNode = isObject(provider) && isObject(provider.virtualNode) ? provider.virtualNode : undefined;
      const byRouter = isObject(provider) && isObject(provider.virtualRouter) ? provider.virtualRouter : undefined;
      const ref = (x: Record<string, unknown> | undefined, key: string) => (isObject(x?.[key]) ? (x![key] as Record<string, unknown>) : undefined);
      if (byRouter) {
        const r = ref(byRouter, "virtualRouterRef");
        const ro = r && typeof r.name === "string" ? routers.get(`${typeof r.namespace === "string" ? r.namespace : vs.namespace}/${r.name}`) : undefined;
        if (!ro) {
          report(
            ai,
            vs,
            "/spec/provider/virtualRouter",
            "error",
            "import/unresolved",
            "its VirtualRouter is not among the inputs (virtualRouterARN, or a router not given): the routes cannot be imported",
          );
          continue;
        }
        usedRouters.add(ro);
        docs.push(...routerPolicies(ai, ro, svc, nodeAt));
      } else if (byNode) {
        const r = ref(byNode, "virtualNodeRef");
        const node = r && typeof r.name === "string" ? nodeAt(r.name, typeof r.namespace === "string" ? r.namespace : vs.namespace) : undefined;
        if (!node) {
          report(
            ai,
            vs,
            "/spec/provider/virtualNode",
            "error",
            "import/unresolved",
            "its VirtualNode is not among the inputs (virtualNodeARN, or a node not given)",
          );
          continue;
        }
        const sub = subsetOf(ai, node, svc);
        if ("reason" in sub)
          report(ai, vs, "/spec/provider/virtualNode", "error", "import/unsupported-value", `${sub.reason}: a model destination's requests go to its own pods`);
        else if (sub.labels) {
          docs.push({
            doc: trafficPolicy(vs.name, vs.namespace, {
              destination: { service: svc.name, ...(svc.namespace !== vs.namespace ? { namespace: svc.namespace } : {}) },
              routes: [{ split: [{ subset: sub.labels }] }],
            }),
            from: [vs],
          });
        }
        if (!ai.generated(vs)) {
          report(
            ai,
            vs,
            "/spec/provider/virtualNode",
            "info",
            "import/mesh-default",
            "a VirtualNode provider has no route: App Mesh's defaults apply to its requests (15s request timeout, 2 retries on 503, connection errors and resets), which the model leaves to the target mesh; give it a VirtualRouter route to state them",
          );
        }
      } else {
        report(ai, vs, "/spec/provider", "error", "import/invalid", "a VirtualService needs a provider (virtualNode or virtualRouter)");
      }
    }
    for (const ro of routers.values()) {
      if (usedRouters.has(ro)) continue;
      ctx.ignore(ro);
      report(
        ai,
        ro,
        "",
        "warning",
        "import/unsupported-kind",
        "no VirtualService among the inputs uses this VirtualRouter, so its routes apply to no host: not imported",
      );
    }
    // A Service a subset's VirtualNode is discovered through stands for that subset, not a service of its own.
    for (const d of dests) {
      for (const n of d.subsets) {
        if (!n.dnsService || !ctx.facts.declared(n.dnsService.namespace, n.dnsService.name)) continue;
        ctx.facts.retract(n.dnsService.namespace, n.dnsService.name);
        report(
          ai,
          n.native,
          "/spec/serviceDiscovery/dns/hostname",
          "info",
          "import/unresolved",
          `Service ${n.dnsService.namespace}/${n.dnsService.name}, through which App Mesh finds the pods of this VirtualNode, is a subset of ${d.svc.namespace}/${d.svc.name} in the model, not a service of its own: no MeshService is written for it`,
        );
      }
    }
    docs.push(...settings(ai, dests, docs));
    docs.push(...mtls(ai, dests));
    docs.push(...access(ai, dests, [...nodes.values()], egress));
    docs.push(...workloads(ai, [...nodes.values()], docs, dests));
    for (const [key, selector] of [...ai.inferred].sort((a, b) => cmp(a[0], b[0]))) {
      const [namespace, name] = key.split("/");
      const d = dests.find((x) => x.svc.namespace === namespace && x.svc.name === name);
      docs.push({ doc: { apiVersion: API_VERSION, kind: "MeshService", metadata: { name, namespace }, spec: { selector } }, from: d ? [d.vs] : [] });
    }
    for (const n of nodes.values()) listenerTimeouts(ai, n);
    return docs;
  },
};

// ------------------------------------------------------------------------------ destinations

/**
 * A destination no fact describes (no MeshService; a Service without selector, as in App Mesh's
 * walkthroughs, where the VirtualService name only has to resolve): its pods are those of the VirtualNodes
 * it routes to, so its selector is the labels they all share, when the convention (`app: <name>`) covers
 * none of them. A MeshService says so in the output.
 */
function inferSelector(
  ai: AppMeshImport,
  vs: NativeObject,
  f: NativeFields,
  svc: ServiceRef,
  nodeAt: (n: string, ns: string) => Node | undefined,
  routers: ReadonlyMap<string, NativeObject>,
): void {
  const key = `${svc.namespace}/${svc.name}`;
  if (ai.ctx.facts.declared(svc.namespace, svc.name) || ai.inferred.has(key)) return;
  const provider = f.get("/spec/provider");
  const targets: Node[] = [];
  const add = (ref: unknown, ns: string) => {
    if (!isObject(ref) || typeof ref.name !== "string") return;
    const n = nodeAt(ref.name, typeof ref.namespace === "string" ? ref.namespace : ns);
    if (n?.labels && n.namespace === svc.namespace) targets.push(n);
  };
  if (isObject(provider) && isObject(provider.virtualNode)) add(provider.virtualNode.virtualNodeRef, vs.namespace);
  if (isObject(provider) && isObject(provider.virtualRouter) && isObject(provider.virtualRouter.virtualRouterRef)) {
    const ref = provider.virtualRouter.virtualRouterRef;
    const ro = routers.get(`${typeof ref.namespace === "string" ? ref.namespace : vs.namespace}/${String(ref.name)}`);
    const routes = ro ? (ro.object.spec as Record<string, unknown>)?.routes : undefined;
    if (Array.isArray(routes)) {
      for (const r of routes) {
        if (!isObject(r)) continue;
        for (const k of ["httpRoute", "http2Route", "grpcRoute", "tcpRoute"]) {
          const body = r[k];
          const wt = isObject(body) && isObject(body.action) ? body.action.weightedTargets : undefined;
          if (Array.isArray(wt)) for (const t of wt) if (isObject(t)) add(t.virtualNodeRef, ro!.namespace);
        }
      }
    }
  }
  if (!targets.length) return;
  const convention = { app: svc.name };
  if (targets.some((n) => n.labels!.app === svc.name)) return;
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(targets[0].labels!)) if (targets.every((n) => n.labels![k] === v)) common[k] = v;
  if (!Object.keys(common).length) return;
  ai.inferred.set(key, common);
  report(
    ai,
    vs,
    "",
    "info",
    "import/unresolved",
    `no MeshService or Service selector describes the pods of ${key} (the convention would be ${JSON.stringify(convention)}): they are the pods of the VirtualNodes it routes to, ${JSON.stringify(common)} (a MeshService says so)`,
  );
}

// ------------------------------------------------------------------------------ Mesh

/** The egress filter of the Meshes given (DROP_ALL wins), or undefined when no Mesh is among the inputs. */
function meshEgress(ai: AppMeshImport, meshes: readonly NativeObject[]): "ALLOW_ALL" | "DROP_ALL" | undefined {
  let egress: "ALLOW_ALL" | "DROP_ALL" | undefined;
  for (const o of meshes) {
    const f = ai.ctx.fields(o);
    const t = f.take("/spec/egressFilter/type") ?? "ALLOW_ALL";
    f.use("/spec/namespaceSelector", "/spec/awsName");
    if (t === "DROP_ALL") egress = "DROP_ALL";
    else if (t === "ALLOW_ALL") egress ??= "ALLOW_ALL";
    else report(ai, o, "/spec/egressFilter/type", "error", "import/invalid", "egressFilter.type must be ALLOW_ALL or DROP_ALL");
  }
  return egress;
}

// ------------------------------------------------------------------------------ VirtualNode

type Node = NodeInfo & { f: NativeFields; podSelected?: boolean };

function readNode(ai: AppMeshImport, o: NativeObject, services: ReadonlyMap<string, Record<string, string>>, egress: string | undefined): Node {
  const f = ai.ctx.fields(o);
  const node: Node = { native: o, f, name: o.name, namespace: o.namespace, listeners: [], backends: [] };
  const sel = f.get("/spec/podSelector");
  if (sel !== undefined) {
    f.use("/spec/podSelector/matchLabels");
    const labels = isObject(sel) ? sel.matchLabels : undefined;
    if (isObject(sel) && sel.matchExpressions !== undefined) {
      f.use("/spec/podSelector/matchExpressions");
      report(ai, o, "/spec/podSelector/matchExpressions", "error", "import/unsupported-value", "matchExpressions: the model selects pods by labels only");
    } else if (isObject(labels) && Object.keys(labels).length) {
      node.labels = labels as Record<string, string>;
      node.labelsFrom = "podSelector";
      node.podSelected = true;
    }
  }
  const sd = f.get("/spec/serviceDiscovery");
  f.use("/spec/serviceDiscovery/dns/hostname", "/spec/serviceDiscovery/dns/responseType");
  if (isObject(sd) && isObject(sd.dns)) {
    const svc = serviceOfHostname(ai, sd.dns.hostname, o.namespace);
    if (svc) node.dnsService = svc;
    const selector = svc ? services.get(`${svc.namespace}/${svc.name}`) : undefined;
    if (selector && !node.labels) {
      node.labels = selector;
      node.labelsFrom = `Service ${svc!.namespace}/${svc!.name}`;
    }
  } else if (isObject(sd) && sd.awsCloudMap !== undefined) {
    f.use("/spec/serviceDiscovery/awsCloudMap");
    if (!node.labels)
      report(
        ai,
        o,
        "/spec/serviceDiscovery/awsCloudMap",
        "warning",
        "import/unresolved",
        "its pods are found through AWS Cloud Map, which the import cannot read: give the VirtualNode a podSelector to import routes to it",
      );
  }
  if (node.labels) node.service = ai.ctx.facts.serviceBySelector(o.namespace, node.labels);
  const listeners = f.get("/spec/listeners");
  if (Array.isArray(listeners)) {
    listeners.forEach((l, i) => {
      const p = `/spec/listeners/${i}`;
      if (!isObject(l) || !isObject(l.portMapping) || typeof l.portMapping.port !== "number") return;
      f.use(`${p}/portMapping`);
      node.listeners.push({ port: l.portMapping.port, protocol: String(l.portMapping.protocol ?? "http"), pointer: p });
    });
  }
  const backends = f.get("/spec/backends");
  if (Array.isArray(backends)) {
    backends.forEach((b, i) => {
      const p = `/spec/backends/${i}/virtualService`;
      const v = isObject(b) && isObject(b.virtualService) ? b.virtualService : undefined;
      f.use(`${p}/virtualServiceRef`, `${p}/clientPolicy`);
      const ref = v && isObject(v.virtualServiceRef) ? v.virtualServiceRef : undefined;
      if (ref && typeof ref.name === "string")
        node.backends.push({ name: ref.name, namespace: typeof ref.namespace === "string" ? ref.namespace : o.namespace });
      else if (v?.virtualServiceARN !== undefined) {
        f.use(`${p}/virtualServiceARN`);
        report(ai, o, `${p}/virtualServiceARN`, "warning", "import/unresolved", "a backend by ARN (another account's VirtualService) is outside the model");
      }
    });
  }
  f.use("/spec/backendDefaults/clientPolicy");
  if (f.get("/spec/backendGroups") !== undefined) {
    f.use("/spec/backendGroups");
    report(
      ai,
      o,
      "/spec/backendGroups",
      egress === "DROP_ALL" ? "error" : "warning",
      egress === "DROP_ALL" ? "import/looser" : "import/unsupported-field",
      egress === "DROP_ALL"
        ? "backendGroups let this VirtualNode call every VirtualService of the groups (DROP_ALL egress), which the import does not resolve: list them as backends"
        : "backendGroups (experimental) are not imported; with egressFilter ALLOW_ALL they restrict nothing",
    );
  }
  return node;
}

/** The services a VirtualNode may call, resolved to destinations (`<ns>/<name>` of the VirtualService's host). */
function backendServices(ai: AppMeshImport, n: NodeInfo, hosts: ReadonlyMap<string, ServiceRef>): Set<string> {
  const out = new Set<string>();
  for (const b of n.backends) {
    const svc = hosts.get(`${b.namespace}/${b.name}`);
    if (svc) out.add(`${svc.namespace}/${svc.name}`);
  }
  return out;
}

// ------------------------------------------------------------------------------ routes

/** The TrafficPolicies of a router's routes for destination `svc`: one per listener port the routes match. */
function routerPolicies(ai: AppMeshImport, ro: NativeObject, svc: ServiceRef, nodeAt: (n: string, ns: string) => NodeInfo | undefined): ImportedDocument[] {
  const f = ai.ctx.fields(ro);
  f.use("/spec/listeners", "/spec/routes");
  const listeners = (f.get("/spec/listeners") as unknown[] | undefined) ?? [];
  const multi = listeners.length > 1;
  let routes = routerRoutes(ai, ro, f, svc, nodeAt);
  const refs = generatedFrom(ro.object)?.filter((r) => r.kind === "TrafficPolicy") ?? [];
  const generated = ai.generated(ro);
  // The default routes unimesh appends (the model's implicit default route).
  if (generated) {
    const whole = (r: ImportedRoute) => !r.route.split || (r.route.split.length === 1 && Object.keys(r.route.split[0]).every((k) => k === "port"));
    routes = routes.filter((r) => !(r.name && /^default(-\d+)?$/.test(r.name) && !r.route.match && whole(r) && !r.route.retries && !r.route.timeout));
  }
  const groups = new Map<string, { name: string; namespace: string; port?: number; routes: ImportedRoute[] }>();
  let n = 0;
  // Routes named exactly after their policy: the implicit route of a policy without routes (`<policy>-<i>` is route i).
  const implicit = new Set<ImportedRoute>();
  for (const r of routes) {
    let name = ro.name;
    let namespace = ro.namespace;
    let key: string;
    let routeName: string | undefined;
    const ref =
      generated && r.name
        ? [...refs].sort((a, b) => b.name.length - a.name.length).find((p) => r.name === p.name || r.name!.startsWith(`${p.name}-`))
        : undefined;
    if (ref) {
      name = ref.name;
      namespace = ref.namespace;
      key = `policy:${ref.id}`;
      let rest = r.name === ref.name ? undefined : r.name!.slice(ref.name.length + 1);
      if (rest === undefined) implicit.add(r);
      if (rest !== undefined && multi && r.port !== undefined && rest.endsWith(`-${r.port}`)) rest = rest.slice(0, -String(r.port).length - 1);
      if (rest !== undefined && !/^\d+$/.test(rest)) routeName = rest;
    } else {
      key = `port:${r.port ?? ""}`;
      if (r.name && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(r.name)) routeName = r.name;
    }
    let g = groups.get(key);
    if (!g) {
      if (!ref) name = n++ === 0 ? name : `${name}-${r.port ?? n}`;
      groups.set(key, (g = { name, namespace, routes: [] }));
    }
    if (routeName) r.route = { name: routeName, ...r.route };
    g.routes.push(r);
  }
  const docs: ImportedDocument[] = [];
  for (const g of groups.values()) {
    // Routes repeated for every port of a multi-port router (a route for every port): one route.
    const seen = new Map<string, ImportedRoute>();
    const list: ImportedRoute[] = [];
    for (const r of g.routes) {
      const k = canonicalJson(r.route);
      const prev = seen.get(k);
      if (prev && generated) {
        prev.port = undefined;
        continue;
      }
      seen.set(k, r);
      list.push(r);
    }
    const ports = [...new Set(list.map((r) => r.port))];
    // A router with one listener routes that port only: the policy's port (the model guesses a service's
    // ports from the policies when no MeshService declares them).
    const single =
      listeners.length === 1 && isObject(listeners[0]) && isObject(listeners[0].portMapping) && typeof listeners[0].portMapping.port === "number"
        ? listeners[0].portMapping.port
        : undefined;
    const port = multi ? (ports.length === 1 ? ports[0] : undefined) : single;
    for (const r of list) stripTargetPorts(r, port);
    const spec: TrafficPolicySpec = {
      destination: { service: svc.name, ...(svc.namespace !== g.namespace ? { namespace: svc.namespace } : {}), ...(port !== undefined ? { port } : {}) },
    };
    if (list.length === 1 && implicit.has(list[0]) && !list[0].route.name && list[0].route.split === undefined && !list[0].route.match) {
      // The implicit route of a policy without routes: its settings at spec level.
      const r = list[0].route;
      for (const k of ["timeout", "retries"] as const) if (r[k] !== undefined) (spec as unknown as Record<string, unknown>)[k] = r[k];
    } else spec.routes = list.map((r) => r.route) as [Route, ...Route[]];
    docs.push({ doc: trafficPolicy(g.name, g.namespace, spec), from: [ro] });
  }
  return docs;
}

/** A split target's port equal to the route's port (what unimesh writes on multi-listener nodes) is implied. */
function stripTargetPorts(r: ImportedRoute, port: number | undefined): void {
  const split = r.route.split;
  if (!split) return;
  for (const t of split) if (t.port !== undefined && (t.port === port || t.port === r.port)) delete t.port;
  if (split.length === 1 && !Object.keys(split[0]).length) delete r.route.split;
}

function trafficPolicy(name: string, namespace: string, spec: TrafficPolicySpec): TrafficPolicy {
  return { apiVersion: API_VERSION, kind: "TrafficPolicy", metadata: { name, namespace }, spec };
}

// ------------------------------------------------------------------------------ destination settings

interface Dest {
  svc: ServiceRef;
  vs: NativeObject;
  identity?: Node;
  subsets: Node[];
}

function outlier(ai: AppMeshImport, n: Node, l: ListenerInfo): OutlierDetection | undefined {
  const v = n.f.get(`${l.pointer}/outlierDetection`);
  if (!isObject(v)) return undefined;
  n.f.use(`${l.pointer}/outlierDetection`);
  const interval = amDurationMs(v.interval);
  const base = amDurationMs(v.baseEjectionDuration);
  if (typeof v.maxServerErrors !== "number" || interval === undefined || base === undefined || typeof v.maxEjectionPercent !== "number") {
    report(
      ai,
      n.native,
      `${l.pointer}/outlierDetection`,
      "error",
      "import/invalid",
      "outlierDetection needs maxServerErrors, interval, baseEjectionDuration and maxEjectionPercent",
    );
    return undefined;
  }
  return {
    consecutive5xxErrors: v.maxServerErrors,
    interval: formatDuration(interval),
    baseEjectionTime: formatDuration(base),
    maxEjectionPercent: v.maxEjectionPercent,
  };
}

function pool(ai: AppMeshImport, n: Node, l: ListenerInfo): ConnectionPool | undefined {
  const v = n.f.get(`${l.pointer}/connectionPool`);
  if (!isObject(v)) return undefined;
  n.f.use(`${l.pointer}/connectionPool`);
  const out: ConnectionPool = {};
  const m = (isObject(v[l.protocol]) ? v[l.protocol] : undefined) as Record<string, unknown> | undefined;
  if (m) {
    if (typeof m.maxConnections === "number" && m.maxConnections < 2147483647) out.maxConnections = m.maxConnections;
    if (typeof m.maxPendingRequests === "number") out.maxPendingRequests = m.maxPendingRequests;
    if (typeof m.maxRequests === "number") out.maxRequests = m.maxRequests;
  }
  if (!ai.generated(n.native)) {
    report(
      ai,
      n.native,
      `${l.pointer}/connectionPool`,
      "warning",
      "import/unsupported-value",
      "App Mesh enforces this connection pool in each destination pod for all callers together (aws/aws-app-mesh-roadmap#6); the model's connectionPool limits each caller, so other meshes apply these numbers per calling proxy",
    );
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Outlier detection and connection pools of each destination's VirtualNodes, on a TrafficPolicy of the
 * destination: the identity node's (its pods are the whole service) at destination level, a subset node's
 * own (when it differs) in `subsetSettings` (the model's per-subset settings, which replace the
 * destination's for the requests routes send to the subset, as App Mesh applies a node's listener settings
 * to the requests sent to that node).
 */
function settings(ai: AppMeshImport, dests: readonly Dest[], docs: ImportedDocument[]): ImportedDocument[] {
  const out: ImportedDocument[] = [];
  const read = (n: Node) => {
    const od = n.listeners[0] ? outlier(ai, n, n.listeners[0]) : undefined;
    const cp = n.listeners[0] ? pool(ai, n, n.listeners[0]) : undefined;
    for (const l of n.listeners.slice(1)) {
      outlier(ai, n, l);
      pool(ai, n, l);
    }
    return { od, cp };
  };
  for (const d of dests) {
    const n = d.identity;
    const { od, cp } = n ? read(n) : { od: undefined, cp: undefined };
    const subsetSettings: NonNullable<TrafficPolicySpec["subsetSettings"]>[number][] = [];
    for (const s of d.subsets) {
      const own = read(s);
      const sub = subsetOf(ai, s, d.svc);
      if ("reason" in sub || !sub.labels) continue;
      const entry: NonNullable<TrafficPolicySpec["subsetSettings"]>[number] = { subset: sub.labels };
      if (own.od && canonicalJson(own.od) !== canonicalJson(od ?? null)) entry.outlierDetection = own.od;
      if (own.cp && canonicalJson(own.cp) !== canonicalJson(cp ?? null)) entry.connectionPool = own.cp;
      if (entry.outlierDetection || entry.connectionPool) subsetSettings.push(entry);
    }
    if (!od && !cp && !subsetSettings.length) continue;
    const owner = n ?? d.subsets[0];
    const refs = generatedFrom(owner.native.object)?.filter((r) => r.kind === "TrafficPolicy") ?? [];
    const mine = docs.filter(
      (x) =>
        x.doc.kind === "TrafficPolicy" &&
        (x.doc as TrafficPolicy).spec.destination.service === d.svc.name &&
        ((x.doc as TrafficPolicy).spec.destination.namespace ?? x.doc.metadata.namespace) === d.svc.namespace,
    );
    let holder = refs.length ? mine.find((x) => refs.some((r) => r.name === x.doc.metadata.name && r.namespace === x.doc.metadata.namespace)) : mine[0];
    if (!holder && refs.length) {
      const routed = new Set(mine.map((x) => x.doc.metadata.name));
      const ref = refs.find((r) => !routed.has(r.name)) ?? refs[0];
      holder = {
        doc: trafficPolicy(ref.name, ref.namespace, {
          destination: { service: d.svc.name, ...(ref.namespace !== d.svc.namespace ? { namespace: d.svc.namespace } : {}) },
        }),
        from: [owner.native],
      };
      out.push(holder);
    }
    if (!holder) {
      holder = { doc: trafficPolicy(owner.name, owner.namespace, { destination: { service: d.svc.name } }), from: [owner.native] };
      out.push(holder);
    }
    const spec = (holder.doc as TrafficPolicy).spec;
    if (od) spec.outlierDetection = od;
    if (cp) spec.connectionPool = cp;
    if (subsetSettings.length)
      spec.subsetSettings = subsetSettings.sort((a, b) => cmp(canonicalJson(a.subset), canonicalJson(b.subset))) as NonNullable<
        TrafficPolicySpec["subsetSettings"]
      >;
  }
  return out;
}

/**
 * Listener timeouts: App Mesh needs a request timeout above 15s on every VirtualNode of the conversation
 * (App Mesh API `HttpTimeout`); the model states it once, on the route (what unimesh writes: the raised
 * listener timeouts of its routes). Read, with a note on objects unimesh did not write.
 */
function listenerTimeouts(ai: AppMeshImport, n: Node): void {
  for (const l of n.listeners) {
    if (n.f.get(`${l.pointer}/timeout`) === undefined) continue;
    n.f.use(`${l.pointer}/timeout`);
    if (!ai.generated(n.native)) {
      report(
        ai,
        n.native,
        `${l.pointer}/timeout`,
        "info",
        "import/unsupported-field",
        "listener timeouts only let App Mesh routes run longer than its 15s default; the model's timeouts are the routes' (VirtualRouter routes[].timeout)",
      );
    }
  }
}

// ------------------------------------------------------------------------------ mTLS

function listenerMode(n: Node, l: ListenerInfo): Mode | undefined {
  const tls = n.f.get(`${l.pointer}/tls`);
  if (!isObject(tls)) return undefined;
  n.f.use(`${l.pointer}/tls/mode`, `${l.pointer}/tls/certificate`, `${l.pointer}/tls/validation`);
  return tls.mode === "STRICT" ? "strict" : tls.mode === "PERMISSIVE" ? "permissive" : tls.mode === "DISABLED" ? "disabled" : undefined;
}

/** An MTLSPolicy per destination whose VirtualNode listens with TLS (per Service port when listeners differ). */
function mtls(ai: AppMeshImport, dests: readonly Dest[]): ImportedDocument[] {
  const out: ImportedDocument[] = [];
  for (const d of dests) {
    let n = d.identity;
    const subsetModes = d.subsets.flatMap((s) => s.listeners.map((l) => listenerMode(s, l) ?? "disabled"));
    if (!n && d.subsets.length) {
      // No node selects the whole service: its pods are the subsets' (one mode for all of them in the model).
      const distinct = [...new Set(subsetModes)];
      if (distinct.length > 1) {
        const strictest = distinct.includes("strict") ? "strict" : distinct.includes("permissive") ? "permissive" : "disabled";
        report(
          ai,
          d.subsets[0].native,
          "/spec/listeners",
          "warning",
          "import/unsupported-value",
          `the VirtualNodes of the subsets of ${d.svc.namespace}/${d.svc.name} listen with different TLS modes (${distinct.join(", ")}); the model has one mode per service port, imported as the strictest, ${strictest}`,
        );
      }
      n = d.subsets[0];
    }
    if (!n || !n.listeners.length) continue;
    const modes =
      n === d.identity
        ? n.listeners.map((l) => listenerMode(n!, l) ?? "disabled")
        : n.listeners.map(() => (subsetModes.includes("strict") ? "strict" : subsetModes.includes("permissive") ? "permissive" : "disabled") as Mode);
    if (modes.every((m) => m === "disabled")) {
      if (!ai.generated(n.native)) {
        report(
          ai,
          n.native,
          "/spec/listeners",
          "info",
          "import/mesh-default",
          "no listener uses TLS (plaintext): the model leaves mTLS to the target mesh's default (Istio: permissive, Linkerd: always on between meshed pods); add an MTLSPolicy to choose",
        );
      }
      continue;
    }
    const counts = new Map<Mode, number>();
    for (const m of modes) counts.set(m, (counts.get(m) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0][0];
    const ports: Record<string, Mode> = {};
    n.listeners.forEach((l, i) => {
      if (modes[i] === top || n !== d.identity) return;
      for (const p of ai.ctx.facts.servicePorts(d.svc.namespace, d.svc.name, l.port).ports) ports[String(p)] = modes[i];
    });
    const ref = generatedFrom(n.native.object)?.find((r) => r.kind === "MTLSPolicy");
    const doc: MTLSPolicy = {
      apiVersion: API_VERSION,
      kind: "MTLSPolicy",
      metadata: { name: ref && ref.namespace === d.svc.namespace ? `${d.svc.name}-mtls` : `${d.svc.name}-mtls`, namespace: d.svc.namespace },
      spec: { destination: { service: d.svc.name }, mode: top, ...(Object.keys(ports).length ? { ports } : {}) },
    };
    out.push({ doc, from: [n.native] });
  }
  return out;
}

// ------------------------------------------------------------------------------ access

/** The SPIFFE IDs a listener's TLS validation accepts (`subjectAlternativeNames.match.exact`), or undefined for any. */
function sans(n: Node, l: ListenerInfo): string[] | undefined {
  const v = n.f.get(`${l.pointer}/tls/validation/subjectAlternativeNames/match/exact`);
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}

/** `spiffe://<td>/ns/<ns>/sa/<sa>` → `<ns>/<sa>`, or undefined. */
function serviceAccountOf(ai: AppMeshImport, id: string): string | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m && m[1] === ai.ctx.trustDomain ? `${m[2]}/${m[3]}` : undefined;
}

/**
 * Who may call each destination: the service accounts of the VirtualNodes listing it as a backend (with
 * DROP_ALL egress) that its TLS listeners' SANs accept; an AccessPolicy when that is not every known node.
 */
function access(ai: AppMeshImport, dests: readonly Dest[], nodes: readonly Node[], egress: string | undefined): ImportedDocument[] {
  const out: ImportedDocument[] = [];
  const hosts = new Map<string, ServiceRef>(dests.map((d) => [`${d.vs.namespace}/${d.vs.name}`, d.svc]));
  const identities = nodes.filter((n) => n.podSelected);
  const restricting = nodes.some((n) => n.backends.length);
  if (egress === undefined && restricting && dests.length) {
    report(
      ai,
      identities[0]?.native ?? dests[0].vs,
      "/spec/backends",
      "error",
      "import/unresolved",
      "the Mesh is not among the inputs: its egressFilter decides whether VirtualNode backends restrict who calls whom (DROP_ALL) or not (ALLOW_ALL); give the Mesh object with the inputs",
    );
    return out;
  }
  for (const d of dests) {
    const key = `${d.svc.namespace}/${d.svc.name}`;
    const n = d.identity;
    // The nodes whose listeners serve the destination: its identity node, else its subsets' nodes.
    const serving = n ? [n] : d.subsets;
    const strict = serving.length > 0 && serving.every((x) => x.listeners.length > 0 && x.listeners.every((l) => listenerMode(x, l) === "strict"));
    const perNode = serving.map((x) =>
      x.listeners
        .filter((l) => (listenerMode(x, l) ?? "disabled") !== "disabled")
        .map((l) => sans(x, l))
        .filter((v): v is string[] => !!v)
        .flat(),
    );
    if (new Set(perNode.map((l) => canonicalJson([...new Set(l)].sort()))).size > 1) {
      report(
        ai,
        serving[0].native,
        "/spec/listeners",
        "error",
        "import/unsupported-value",
        `the VirtualNodes serving ${key} accept different callers (listeners' tls.validation.subjectAlternativeNames), which the model's one rule set per service cannot say`,
      );
      continue;
    }
    const sanLists = perNode[0]?.length ? [perNode[0]] : [];
    // unimesh's "no caller is allowed" identity (features/access.ts noCallerSan) stands for nobody.
    const nobody = noCallerSan(ai.ctx.trustDomain);
    const bad = sanLists.flat().filter((x) => x !== nobody && !serviceAccountOf(ai, x));
    if (bad.length) {
      report(
        ai,
        serving[0].native,
        "/spec/listeners",
        "error",
        "import/unresolved",
        `${key} accepts only callers with the SPIFFE IDs ${bad.join(", ")} (tls.validation.subjectAlternativeNames), which are not Kubernetes service accounts of trust domain ${ai.ctx.trustDomain} (spiffe://${ai.ctx.trustDomain}/ns/<namespace>/sa/<service account>), the model's identities: left out, the destination would accept every caller. Register the workloads by service account (SPIRE), or --set trustDomain=..., or write the AccessPolicy by hand`,
      );
      continue;
    }
    let allowed: Set<string> | undefined; // undefined: everyone
    const unknown: string[] = [];
    if (egress === "DROP_ALL") {
      const callers = identities.filter((c) => backendServices(ai, c, hosts).has(key));
      if (callers.length < identities.length) {
        allowed = new Set();
        for (const c of callers) {
          if (!c.service) {
            unknown.push(`${c.namespace}/${c.name}`);
            continue;
          }
          allowed.add(`${c.namespace}/${ai.ctx.facts.serviceAccount(c.namespace, c.service)}`);
        }
      }
    }
    if (sanLists.length && strict) {
      const ids = new Set(
        sanLists
          .flat()
          .map((x) => serviceAccountOf(ai, x))
          .filter((x): x is string => !!x),
      );
      allowed = allowed ? new Set([...allowed].filter((x) => ids.has(x))) : ids;
    }
    if (unknown.length) {
      report(
        ai,
        d.vs,
        "",
        "error",
        "import/unresolved",
        `the service accounts of the pods of VirtualNodes ${unknown.join(", ")} (which may call ${key}) are not known: give their MeshServices or Services and Deployments with the inputs`,
      );
      continue;
    }
    if (!allowed) continue;
    const sas = [...allowed].sort().map((x) => (x.startsWith(`${d.svc.namespace}/`) ? x.slice(d.svc.namespace.length + 1) : x));
    const spec: AccessPolicy["spec"] = {
      destination: { service: d.svc.name },
      ...(sas.length ? { allow: [{ source: { serviceAccounts: sas as [string, ...string[]] } }] } : {}),
    };
    out.push({
      doc: { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name: `${d.svc.name}-callers`, namespace: d.svc.namespace }, spec },
      from: [d.identity?.native ?? d.vs],
    });
    if (!strict && !ai.generated(d.vs)) {
      report(
        ai,
        d.identity?.native ?? d.vs,
        "/spec/listeners",
        "warning",
        "import/unsupported-value",
        `${key} accepts plaintext (no STRICT TLS listener), so App Mesh lets pods without a sidecar call it whatever the backends say; the imported AccessPolicy admits only the VirtualNodes that list it, which is stricter`,
      );
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ workloads

/**
 * Every VirtualNode that selects pods is a workload of the mesh: one that no fact names (no MeshService,
 * no Service with this selector among the inputs) gets a MeshService, so the model knows it (e.g. a caller
 * only, which other meshes need for its identity).
 */
function workloads(ai: AppMeshImport, nodes: readonly Node[], docs: readonly ImportedDocument[], dests: readonly Dest[]): ImportedDocument[] {
  const named = new Set<string>(dests.map((d) => `${d.svc.namespace}/${d.svc.name}`));
  for (const d of docs) {
    const dest = (d.doc.spec as { destination?: { service: string; namespace?: string } }).destination;
    if (dest) named.add(`${dest.namespace ?? d.doc.metadata.namespace}/${dest.service}`);
  }
  const out: ImportedDocument[] = [];
  for (const n of nodes) {
    if (!n.podSelected || !n.labels) continue;
    const name = n.service ?? n.name;
    if (ai.ctx.facts.declared(n.namespace, name)) continue;
    // A destination of the policies whose pods the convention names already: nothing to add.
    if (named.has(`${n.namespace}/${name}`) && canonicalJson(n.labels) === canonicalJson({ app: name })) continue;
    out.push({
      doc: { apiVersion: API_VERSION, kind: "MeshService", metadata: { name, namespace: n.namespace }, spec: { selector: { ...n.labels } } },
      from: [n.native],
    });
  }
  return out;
}

// ------------------------------------------------------------------------------ outside the model

function outsideTheModel(
  ai: AppMeshImport,
  gateways: readonly NativeObject[],
  gatewayRoutes: readonly NativeObject[],
  groups: readonly NativeObject[],
  egress: string | undefined,
): void {
  for (const o of [...gateways, ...gatewayRoutes]) {
    ai.ctx.ignore(o);
    report(
      ai,
      o,
      "",
      "warning",
      "import/unsupported-kind",
      `${o.kind}: ingress gateways are outside the model (it describes traffic between the mesh's services); not imported`,
    );
  }
  for (const o of groups) {
    ai.ctx.ignore(o);
    report(
      ai,
      o,
      "",
      egress === "DROP_ALL" ? "error" : "warning",
      egress === "DROP_ALL" ? "import/looser" : "import/unsupported-kind",
      "BackendGroup (experimental) grants the VirtualNodes that name it every VirtualService of the group, which the import does not resolve; list them as backends",
    );
  }
}

export { appmeshImporter as importer };
