/**
 * The Istio importer (`unimesh import --from istio`, the Istio adapter's `importer` hook): Istio's native
 * objects → unimesh documents, the reverse of the adapter's translation.
 *
 * - VirtualService (virtualService.ts) → TrafficPolicy routes; DestinationRule (destinationRule.ts) → the
 *   subsets they name and the destination-level settings; EnvoyFilter local rate limits (rateLimit.ts) →
 *   `rateLimit`. The routes of one VirtualService become one TrafficPolicy per caller set and port (a
 *   model policy has one source and one destination port); a generated VirtualService gives back the
 *   policies its route names name. The model's route table (routes of several policies merged most
 *   specific first) must keep Istio's first-match order: a route the model would try earlier than Istio
 *   does is an `import/route-order` error.
 * - AuthorizationPolicy (authorizationPolicy.ts) → AccessPolicy; a DENY policy on workloads no ALLOW policy
 *   selects gets `allow: [{}]` (Istio allows what no DENY denies there; the model denies by default once an
 *   AccessPolicy selects a workload).
 * - PeerAuthentication (peerAuthentication.ts) → MTLSPolicy, with the client TLS settings of the
 *   DestinationRule unimesh generated from the same MTLSPolicy (what the model said of a Service port
 *   whose pod port the PeerAuthentication had to set otherwise).
 * - RequestAuthentication (requestAuthentication.ts) → RequestAuthentication; Sidecar egress restrictions:
 *   an error; Gateway, ServiceEntry, WorkloadEntry, WorkloadGroup, Telemetry,
 *   WasmPlugin, ProxyConfig: warnings (outside the model).
 *
 * Names: a generated object's documents are named after the policies of its `unimesh.io/policies`
 * annotation (the first, when it came from several: their rules come back in one document); other
 * documents after the native object.
 */
import type { AccessPolicy, AccessRule, MTLSPolicy, MeshService, Route, TrafficPolicy, TrafficPolicySpec } from "../../../api/generated/model.js";
import type { ImportContext, ImportedDocument, MeshImporter, NativeKind, NativeObject } from "../../../api/import-contract.js";
import { DEFAULT_NAMESPACE, SubsetNamer, canonicalJson, cmp } from "../../../api/model.js";
import { validateDocuments } from "../../../api/validate.js";
import type { SourceDocument } from "../../../api/load.js";
import { type ImportedAuthz, authorizationPolicies } from "./authorizationPolicy.js";
import { type IstioImport, istioImport, report } from "./context.js";
import { type HostRules, destinationRules } from "./destinationRule.js";
import { type ImportedPeerAuthentication, combineClientTls, peerAuthentications } from "./peerAuthentication.js";
import { type ImportedRateLimit, rateLimits } from "./rateLimit.js";
import { requestAuthentications } from "./requestAuthentication.js";
import { type HostRoutes, type ImportedRoute, virtualServices } from "./virtualService.js";

const NETWORKING = "networking.istio.io";
const SECURITY = "security.istio.io";
const API_VERSION = "unimesh.io/v1alpha1" as const;

/** The kinds `unimesh import --from istio --context` lists. */
const KINDS: readonly NativeKind[] = [
  ...["VirtualService", "DestinationRule", "EnvoyFilter", "Gateway", "ServiceEntry", "Sidecar", "WorkloadEntry", "WorkloadGroup"].map((kind) => ({
    group: NETWORKING,
    kind,
  })),
  ...["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"].map((kind) => ({ group: SECURITY, kind })),
];

/** Route settings that a policy without routes carries at `spec` level. */
const ROUTE_SETTINGS = ["timeout", "retries", "faultInjection", "mirror", "headers", "cors"] as const;

/** The Istio importer. */
export const istioImporter: MeshImporter = {
  kinds: KINDS,
  import(objects: readonly NativeObject[], ctx: ImportContext): ImportedDocument[] {
    const ii = istioImport(ctx);
    const of = (group: string, kind: string) => objects.filter((o) => o.group === group && o.kind === kind);
    const drs = destinationRules(ii, of(NETWORKING, "DestinationRule"));
    const hosts = virtualServices(ii, of(NETWORKING, "VirtualService"), drs);
    const limits = rateLimits(ii, of(NETWORKING, "EnvoyFilter"));
    const authz = authorizationPolicies(ii, of(SECURITY, "AuthorizationPolicy"));
    const peers = peerAuthentications(ii, of(SECURITY, "PeerAuthentication"));
    combineClientTls(ii, peers, drs);
    const jwt = requestAuthentications(ii, of(SECURITY, "RequestAuthentication"));
    outsideTheModel(ii, objects);
    const traffic = trafficPolicies(ii, hosts, drs, limits);
    const docs: ImportedDocument[] = [...traffic.docs, ...meshServices(ii, drs), ...accessPolicies(ii, authz), ...mtlsPolicies(peers), ...jwt];
    checkRouteOrder(ii, docs, traffic.routes);
    return docs;
  },
};

// ------------------------------------------------------------------------------ TrafficPolicy

/** Where each imported route went: `TrafficPolicy/<ns>/<name>#<index>` (`#-` for a policy's implicit route). */
type RouteIndex = Map<string, ImportedRoute>;

function trafficPolicies(
  ii: IstioImport,
  hosts: readonly HostRoutes[],
  drs: ReadonlyMap<string, HostRules>,
  limits: readonly ImportedRateLimit[],
): { docs: ImportedDocument[]; routes: RouteIndex } {
  const docs: ImportedDocument[] = [];
  const routes: RouteIndex = new Map();
  const byDest = new Map<string, ImportedDocument[]>();
  const add = (dest: string, d: ImportedDocument) => {
    docs.push(d);
    let l = byDest.get(dest);
    if (!l) byDest.set(dest, (l = []));
    l.push(d);
  };
  for (const hr of hosts) {
    const dest = `${hr.service.namespace}/${hr.service.name}`;
    if (hr.routes.length && !hr.catchAll) {
      report(
        ii,
        hr.native,
        "/spec/http",
        "warning",
        "import/unsupported-value",
        `no route of ${hr.service.name}.${hr.service.namespace} matches every request: Istio answers 404 (no route) to the requests none matches, the model sends them to the service unchanged; add a last route without match (or one answering 404 with directResponse) to keep Istio's behaviour`,
      );
    }
    const groups = new Map<string, { name: string; namespace: string; routes: ImportedRoute[] }>();
    let n = 0;
    for (const r of hr.routes) {
      let key: string;
      let name: string;
      let namespace = hr.native.namespace;
      if (r.from) {
        const ref = hr.generated!.find((p) => p.name === r.from!.policy)!;
        key = `policy:${ref.id}`;
        name = ref.name;
        namespace = ref.namespace;
      } else {
        key = canonicalJson({ s: r.source ?? null, p: r.port ?? null });
        name = hr.native.name;
      }
      let g = groups.get(key);
      if (!g) {
        if (!r.from) name = n++ === 0 ? name : `${name}-${n}`;
        groups.set(key, (g = { name, namespace, routes: [] }));
      }
      g.routes.push(r);
    }
    for (const g of groups.values()) {
      for (const r of g.routes) normalizeSplit(r);
      const first = g.routes[0];
      const spec: TrafficPolicySpec = { destination: destinationOf(hr.service, g.namespace, first.port) };
      if (first.source) spec.source = first.source;
      const id = `TrafficPolicy/${g.namespace}/${g.name}`;
      const implicit =
        g.routes.length === 1 &&
        first.from?.implicit &&
        !first.route.match &&
        !first.route.split &&
        !first.route.redirect &&
        !first.route.directResponse &&
        !first.route.rewrite;
      if (implicit) {
        for (const k of ROUTE_SETTINGS) if (first.route[k] !== undefined) (spec as unknown as Record<string, unknown>)[k] = first.route[k];
        routes.set(`${id}#-`, first);
      } else {
        spec.routes = g.routes.map((r) => r.route) as [Route, ...Route[]];
        g.routes.forEach((r, i) => routes.set(`${id}#${i}`, r));
      }
      add(dest, { doc: trafficPolicy(g.name, g.namespace, spec), from: [hr.native] });
    }
  }
  // Destination-level settings (DestinationRule, rate-limit EnvoyFilter) on a policy of their destination.
  const holder = (
    svc: { namespace: string; name: string },
    native: NativeObject,
    generated: readonly { name: string; namespace: string; id: string }[] | undefined,
  ): ImportedDocument => {
    const dest = `${svc.namespace}/${svc.name}`;
    const mine = byDest.get(dest) ?? [];
    if (generated?.length) {
      // The policy that set them: one of the object's policies without routes, else the first.
      const routed = new Set(
        mine
          .filter((d) => (d.doc.spec as TrafficPolicySpec).routes || ROUTE_SETTINGS.some((k) => (d.doc.spec as TrafficPolicySpec)[k]))
          .map((d) => `${d.doc.metadata.namespace}/${d.doc.metadata.name}`),
      );
      const ref = generated.find((p) => !routed.has(`${p.namespace}/${p.name}`)) ?? generated[0];
      const found = mine.find((d) => d.doc.metadata.name === ref.name && d.doc.metadata.namespace === ref.namespace);
      if (found) {
        found.from = [...found.from, native];
        return found;
      }
      const d = { doc: trafficPolicy(ref.name, ref.namespace, { destination: destinationOf(svc, ref.namespace) }), from: [native] };
      add(dest, d);
      return d;
    }
    if (mine.length) {
      mine[0].from = [...mine[0].from, native];
      return mine[0];
    }
    const d = { doc: trafficPolicy(native.name, native.namespace, { destination: destinationOf(svc, native.namespace) }), from: [native] };
    add(dest, d);
    return d;
  };
  for (const dr of [...drs.values()].sort((a, b) => cmp(a.native.id, b.native.id))) {
    const settings = dr.outlierDetection || dr.connectionPool || dr.loadBalancer || dr.subsetSettings.size;
    if (!settings) continue;
    const d = holder(dr.service, dr.native, dr.generated);
    const spec = d.doc.spec as TrafficPolicySpec;
    if (dr.outlierDetection) spec.outlierDetection = dr.outlierDetection;
    if (dr.connectionPool) spec.connectionPool = dr.connectionPool;
    if (dr.loadBalancer) spec.loadBalancer = dr.loadBalancer;
    const subsets = [...dr.subsetSettings].sort((a, b) => cmp(a[0], b[0]));
    if (subsets.length) {
      spec.subsetSettings = subsets.map(([name, s]) => {
        dr.used.add(name);
        return { subset: dr.subsets.get(name)!, ...s };
      }) as NonNullable<TrafficPolicySpec["subsetSettings"]>;
    }
  }
  const limited = new Map<string, ImportedRateLimit>();
  for (const rl of limits) {
    const key = `${rl.service.namespace}/${rl.service.name}`;
    const prev = limited.get(key);
    if (prev) {
      report(
        ii,
        rl.native,
        "/spec/workloadSelector",
        "error",
        "import/conflict",
        `${prev.native.id} also limits the rate of ${rl.service.name}: Envoy would apply both filters, which the model's one rateLimit cannot say; keep one`,
      );
      continue;
    }
    limited.set(key, rl);
    const refs = rl.native.object.metadata.annotations?.["unimesh.io/policies"] !== undefined ? refsOf(rl.native) : undefined;
    const d = holder(rl.service, rl.native, refs);
    (d.doc.spec as TrafficPolicySpec).rateLimit = rl.rateLimit;
  }
  for (const dr of drs.values()) {
    const unused = [...dr.subsets.keys()].filter((s) => !dr.used.has(s));
    if (unused.length && !dr.generated) {
      report(
        ii,
        dr.native,
        "/spec/subsets",
        "info",
        "import/unsupported-value",
        `subset${unused.length === 1 ? "" : "s"} ${unused.join(", ")} ${unused.length === 1 ? "is" : "are"} used by no route among the inputs: not imported (the model defines a subset where a route or setting uses it)`,
      );
    }
  }
  return { docs, routes };
}

/** The TrafficPolicy refs of a generated object (any kind of the annotation's ids, for EnvoyFilters). */
function refsOf(o: NativeObject): { name: string; namespace: string; id: string }[] | undefined {
  const ids = o.object.metadata.annotations?.["unimesh.io/policies"];
  if (!ids || o.object.metadata.labels?.["app.kubernetes.io/managed-by"] !== "unimesh") return undefined;
  const out = ids
    .split(",")
    .map((id) => /^TrafficPolicy\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(id.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ namespace: m[1], name: m[2], id: m[0] }));
  return out.length ? out : undefined;
}

/**
 * A split target's port is the policy's destination port unless it says another (Istio writes the port on
 * every destination of a port's route): left out when equal; a lone target to the whole service is no split.
 */
function normalizeSplit(r: ImportedRoute): void {
  const split = r.route.split;
  if (!split) return;
  for (const t of split) if (t.port !== undefined && t.port === r.port) delete t.port;
  if (split.length === 1 && !Object.keys(split[0]).length) delete r.route.split;
}

function destinationOf(svc: { namespace: string; name: string }, policyNamespace: string, port?: number): TrafficPolicySpec["destination"] {
  return { service: svc.name, ...(svc.namespace !== policyNamespace ? { namespace: svc.namespace } : {}), ...(port !== undefined ? { port } : {}) };
}

function trafficPolicy(name: string, namespace: string, spec: TrafficPolicySpec): TrafficPolicy {
  return { apiVersion: API_VERSION, kind: "TrafficPolicy", metadata: { name, namespace }, spec };
}

/**
 * MeshServices that declare the DestinationRule subsets routes use, when their names are not the model's
 * (label values, `v2`), so translation gives them the same names; and a given MeshService that declares
 * subsets gets the ones it lacks.
 */
function meshServices(ii: IstioImport, drs: ReadonlyMap<string, HostRules>): ImportedDocument[] {
  const out: ImportedDocument[] = [];
  for (const dr of drs.values()) {
    const used = [...dr.subsets].filter(([n]) => dr.used.has(n));
    if (!used.length) continue;
    const { namespace, name } = dr.service;
    const given = ii.ctx.facts.declared(namespace, name);
    const declared = given?.spec.subsets;
    let subsets: { name: string; labels: Record<string, string> }[];
    if (declared) {
      const missing = used.filter(([, l]) => !declared.some((s) => canonicalJson(s.labels) === canonicalJson(l)));
      if (!missing.length) continue;
      subsets = [...declared];
      for (const [n, l] of missing) {
        subsets.push({ name: subsets.some((s) => s.name === n) ? `${n}-${Object.values(l).join("-")}`.slice(0, 63) : n, labels: l });
      }
      report(
        ii,
        dr.native,
        "/spec/subsets",
        "info",
        "import/unresolved",
        `the MeshService ${namespace}/${name} given declares subsets without ${missing.map(([n]) => n).join(", ")}, which routes use: added to it`,
      );
    } else {
      const namer = new SubsetNamer({});
      if (used.every(([n, l]) => namer.name(l).name === n)) continue;
      subsets = [...dr.subsets].sort((a, b) => cmp(a[0], b[0])).map(([n, l]) => ({ name: n, labels: l }));
    }
    const doc: MeshService = {
      apiVersion: API_VERSION,
      kind: "MeshService",
      metadata: { name, namespace },
      spec: { ...(given?.spec ?? {}), subsets: subsets as NonNullable<MeshService["spec"]["subsets"]> },
    };
    out.push({ doc, from: [dr.native] });
  }
  return out;
}

// ------------------------------------------------------------------------------ AccessPolicy

function accessPolicies(ii: IstioImport, authz: readonly ImportedAuthz[]): ImportedDocument[] {
  const allows = authz.filter((a) => a.action === "allow");
  const hasAllow = (a: ImportedAuthz): boolean | "others" => {
    if (allows.some((x) => x.scope === "mesh")) return true;
    if (a.scope !== "mesh" && allows.some((x) => x.scope === "namespace" && x.namespace === a.namespace)) return true;
    if (a.scope === "service") return allows.some((x) => x.scope === "service" && x.namespace === a.namespace && x.service === a.service);
    const others = allows.some((x) => a.scope === "mesh" || x.namespace === a.namespace);
    return others ? "others" : false;
  };
  const docs = new Map<string, ImportedDocument>();
  for (const a of authz) {
    const ref = a.generated?.[0];
    const name = ref?.name ?? a.native.name;
    const namespace = ref?.namespace ?? a.namespace;
    if (a.action === "deny" && !a.rules.length) {
      report(ii, a.native, "/spec", "info", "import/unsupported-value", "a DENY policy without rules denies nothing: not imported");
      continue;
    }
    let allowAll = false;
    if (a.action === "deny") {
      const has = hasAllow(a);
      if (has === "others") {
        report(
          ii,
          a.native,
          "/spec",
          "error",
          "import/unsupported-value",
          `this ${a.scope === "mesh" ? "mesh" : "namespace"}-wide DENY policy applies to workloads of which some have ALLOW policies and others have none: Istio allows what no DENY denies on the latter, while the model denies by default every workload an AccessPolicy selects; an imported allow-all rule would open the former. Give the workloads without ALLOW policies their own ALLOW policy (e.g. rules: [{}]) before importing`,
        );
        continue;
      }
      if (!has) {
        allowAll = true;
        report(
          ii,
          a.native,
          "/spec",
          "info",
          "import/mesh-default",
          "no ALLOW policy selects these workloads, so Istio allows every request this DENY policy does not deny; the model denies by default once an AccessPolicy selects a workload, so the imported policy allows every other request explicitly (allow: [{}])",
        );
      }
    }
    const key = `${namespace}/${name}/${a.scope}/${a.service ?? ""}`;
    let d = docs.get(key);
    if (!d) {
      const spec: AccessPolicy["spec"] = {
        ...(a.scope === "service" ? { destination: { service: a.service!, ...(a.namespace !== namespace ? { namespace: a.namespace } : {}) } } : {}),
        ...(a.scope === "mesh" ? { scope: "mesh" as const } : {}),
      };
      d = { doc: { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name, namespace }, spec }, from: [] };
      docs.set(key, d);
    }
    d.from = [...d.from, a.native];
    const spec = (d.doc as AccessPolicy).spec;
    if (a.action === "allow") {
      if (a.rules.length) spec.allow = [...(spec.allow ?? []), ...a.rules];
    } else {
      spec.deny = [...(spec.deny ?? []), ...a.rules];
      if (allowAll && !spec.allow?.some((r) => !Object.keys(r).length)) spec.allow = [...(spec.allow ?? []), {} as AccessRule];
    }
  }
  // An AccessPolicy with deny rules and an empty allow list is `allow` omitted.
  return [...docs.values()];
}

// ------------------------------------------------------------------------------ MTLSPolicy

function mtlsPolicies(peers: readonly ImportedPeerAuthentication[]): ImportedDocument[] {
  return peers.map((p) => {
    const ref = p.generated?.[0];
    const spec: MTLSPolicy["spec"] = {
      ...(p.scope === "service" ? { destination: { service: p.service!, ...(ref && ref.namespace !== p.namespace ? { namespace: p.namespace } : {}) } } : {}),
      ...(p.scope === "mesh" ? { scope: "mesh" as const } : {}),
      mode: p.mode!,
      ...(p.ports ? { ports: p.ports } : {}),
    };
    const doc: MTLSPolicy = {
      apiVersion: API_VERSION,
      kind: "MTLSPolicy",
      metadata: { name: ref?.name ?? p.native.name, namespace: ref?.namespace ?? p.namespace },
      spec,
    };
    return { doc, from: p.clientTls ? [p.native, p.clientTls] : [p.native] };
  });
}

// ------------------------------------------------------------------------------ kinds outside the model

function outsideTheModel(ii: IstioImport, objects: readonly NativeObject[]): void {
  const why: Record<string, string> = {
    Gateway: "ingress and egress gateways are outside the model (it describes traffic between the mesh's services)",
    ServiceEntry: "services outside the mesh (and egress to them) are outside the model",
    WorkloadEntry: "workloads outside Kubernetes are outside the model",
    WorkloadGroup: "workloads outside Kubernetes are outside the model",
    Telemetry: "telemetry (metrics, traces, access logs) is outside the model",
    WasmPlugin: "Wasm extensions are outside the model; review what it does (it may also allow or deny requests)",
    ProxyConfig: "proxy settings are outside the model",
  };
  for (const o of objects) {
    if (o.group === SECURITY && o.kind === "RequestAuthentication") {
      continue; // requestAuthentication.ts
    } else if (o.group === NETWORKING && o.kind === "Sidecar") {
      ii.ctx.ignore(o);
      const spec = (o.object.spec ?? {}) as Record<string, unknown>;
      const mode = (spec.outboundTrafficPolicy as Record<string, unknown> | undefined)?.mode;
      const restricts = mode === "REGISTRY_ONLY" || spec.egress !== undefined;
      report(
        ii,
        o,
        restricts ? (mode === "REGISTRY_ONLY" ? "/spec/outboundTrafficPolicy/mode" : "/spec/egress") : "",
        restricts ? "error" : "warning",
        restricts ? "import/looser" : "import/unsupported-kind",
        restricts
          ? "this Sidecar restricts which hosts its workloads can reach (egress hosts or outboundTrafficPolicy REGISTRY_ONLY), which the model cannot say: without it they could reach more"
          : "Sidecar (proxy scoping and inbound settings) is outside the model: not imported",
      );
    } else if ((o.group === NETWORKING || o.group.endsWith(".istio.io")) && why[o.kind]) {
      ii.ctx.ignore(o);
      report(ii, o, "", "warning", "import/unsupported-kind", `${o.kind}: ${why[o.kind]}; not imported`);
    }
  }
}

// ------------------------------------------------------------------------------ route order

/**
 * The model merges the routes of several TrafficPolicies of a destination most specific first; Istio takes
 * a VirtualService's routes in written order. Two routes that can match one request and come in another
 * order in the model than in the VirtualService are an error.
 */
function checkRouteOrder(ii: IstioImport, docs: readonly ImportedDocument[], routes: RouteIndex): void {
  const sources: SourceDocument[] = docs.map((d, index) => ({ file: "<import>", index, startLine: 1, text: "", value: d.doc }));
  const facts = ii.ctx.facts.services.filter(
    (s) =>
      !docs.some(
        (d) =>
          d.doc.kind === "MeshService" &&
          d.doc.metadata.name === s.metadata.name &&
          (d.doc.metadata.namespace ?? DEFAULT_NAMESPACE) === (s.metadata.namespace ?? DEFAULT_NAMESPACE),
      ),
  );
  facts.forEach((s, i) => sources.push({ file: "<facts>", index: docs.length + i, startLine: 1, text: "", value: s }));
  let views;
  try {
    views = validateDocuments(sources, { trustDomain: ii.ctx.trustDomain }).model.destinations();
  } catch {
    return; // an invalid model is reported by the core's validation
  }
  for (const v of views) {
    const table = v.routes.map((r) => routes.get(`${r.policy.id}#${r.index ?? "-"}`));
    for (let i = 0; i < table.length; i++) {
      for (let j = i + 1; j < table.length; j++) {
        const a = table[i];
        const b = table[j];
        if (!a || !b || a.native !== b.native || a.order < b.order || disjoint(a, b)) continue;
        report(
          ii,
          b.native,
          a.pointer,
          "error",
          "import/route-order",
          `the model's route table (the routes of several policies merged most specific first) would try this route before ${b.pointer.slice(1).replace(/\//g, ".")}, which comes first here and can match the same requests; Istio takes the first match in written order. Split the VirtualService's routes so that each caller set and port keeps its order, or make the routes disjoint`,
        );
      }
    }
  }
}

/** True when no request can match both routes (a sufficient test: different ports, exact paths, methods). */
function disjoint(a: ImportedRoute, b: ImportedRoute): boolean {
  if (a.port !== undefined && b.port !== undefined && a.port !== b.port) return true;
  const pa = a.route.match?.path?.exact;
  const pb = b.route.match?.path?.exact;
  if (pa !== undefined && pb !== undefined && pa !== pb) return true;
  const ma = a.route.match?.method;
  const mb = b.route.match?.method;
  return ma !== undefined && mb !== undefined && ma !== mb;
}

export { istioImporter as importer };
