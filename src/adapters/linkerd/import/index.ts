/**
 * The Linkerd importer (`unimesh import --from linkerd`, the Linkerd adapter's `importer` hook): Linkerd's
 * native objects → unimesh documents, the reverse of the adapter's translation (see ../README.md).
 *
 * - Outbound routes (routes.ts): Gateway API HTTPRoute/GRPCRoute and policy.linkerd.io HTTPRoute with a
 *   Service parent, their `retry.linkerd.io/*` / `timeout.linkerd.io/*` annotations and the Service's →
 *   TrafficPolicy routes, in Linkerd's most-specific-first order.
 * - ServiceProfile (serviceProfile.ts) → TrafficPolicy routes, timeouts, retries; while one exists,
 *   Linkerd ignores the Service's HTTPRoutes and annotations, which are then reported, not imported.
 * - Access (access.ts): Server, AuthorizationPolicy (and the deprecated ServerAuthorization),
 *   MeshTLSAuthentication, NetworkAuthentication,
 *   inbound HTTPRoutes (Server parent), the namespace annotation `config.linkerd.io/default-inbound-policy`
 *   → AccessPolicy / MTLSPolicy; never a looser rule (`import/looser`).
 * - Service annotations `balancer.linkerd.io/failure-accrual*` → `outlierDetection`;
 *   HTTPLocalRateLimitPolicy → `rateLimit`.
 * - Objects outside the model (Gateway API Gateways, TCPRoute/TLSRoute, SMI TrafficSplit, EgressNetwork,
 *   ExternalWorkload) are reported.
 *
 * Names: a generated object's documents are named after the policies of its `unimesh.io/policies`
 * annotation; other documents after the native object or the service.
 */
import type { MeshService, OutlierDetection, RateLimit, TrafficPolicy } from "../../../api/generated/model.js";
import type { ImportContext, ImportedDocument, MeshImporter, NativeKind, NativeObject } from "../../../api/import-contract.js";
import { isObject } from "../../../api/import-contract.js";
import { cmp } from "../../../api/model.js";
import { SubsetNamer } from "../../../api/model.js";
import { formatDuration } from "../../../api/duration.js";
import { access } from "./access.js";
import { type LinkerdImport, linkerdDurationMs, linkerdImport, report, sourcePolicies } from "./context.js";
import { type ImportedOutbound, type NeededSubset, outboundRoutes } from "./routes.js";
import { profiledService, serviceProfiles } from "./serviceProfile.js";

const POLICY = "policy.linkerd.io";
const GATEWAY = "gateway.networking.k8s.io";
const API_VERSION = "unimesh.io/v1alpha1" as const;

/** The kinds `unimesh import --from linkerd --context` lists. */
const KINDS: readonly NativeKind[] = [
  ...[
    "Server",
    "ServerAuthorization",
    "AuthorizationPolicy",
    "MeshTLSAuthentication",
    "NetworkAuthentication",
    "HTTPRoute",
    "HTTPLocalRateLimitPolicy",
    "EgressNetwork",
  ].map((kind) => ({ group: POLICY, kind })),
  { group: "linkerd.io", kind: "ServiceProfile" },
  ...["HTTPRoute", "GRPCRoute"].map((kind) => ({ group: GATEWAY, kind })),
  { group: "", kind: "Service" },
  { group: "", kind: "Namespace" },
];

const ACCRUAL = "balancer.linkerd.io/failure-accrual";

/** The Linkerd importer. */
export const linkerdImporter: MeshImporter = {
  kinds: KINDS,
  import(objects: readonly NativeObject[], ctx: ImportContext): ImportedDocument[] {
    const li = linkerdImport(ctx);
    const of = (group: string, kind: string) => objects.filter((o) => o.group === group && o.kind === kind);
    const services = new Map<string, NativeObject>();
    for (const s of of("", "Service")) {
      const ann = s.object.metadata.annotations ?? {};
      if (!Object.keys(ann).some((k) => /(^|\.)linkerd\.io\//.test(k))) {
        ctx.ignore(s);
        continue;
      }
      ctx.fields(s).use("/spec");
      services.set(`${s.namespace}/${s.name}`, s);
    }
    for (const n of of("", "Namespace")) {
      if (n.object.metadata.annotations?.["config.linkerd.io/default-inbound-policy"] === undefined) ctx.ignore(n);
    }
    const profiles = of("linkerd.io", "ServiceProfile");
    const profiled = new Set(
      profiles
        .map((p) => profiledService(li, p))
        .filter((s) => s !== undefined)
        .map((s) => `${s.namespace}/${s.name}`),
    );
    const routeObjects = [...of(POLICY, "HTTPRoute"), ...of(GATEWAY, "HTTPRoute"), ...of(GATEWAY, "GRPCRoute")];
    const outbound = outboundRoutes(li, routeObjects, services, profiled);
    const sp = serviceProfiles(li, profiles);
    const acc = access(li, objects, of("", "Namespace"));
    const traffic: { doc: TrafficPolicy; from: NativeObject[] }[] = [...outbound.docs, ...sp];
    failureAccrual(li, services, profiled, traffic);
    rateLimits(li, of(POLICY, "HTTPLocalRateLimitPolicy"), acc.servers, traffic);
    outsideTheModel(li, objects);
    return [...traffic, ...meshServices(li, outbound.subsets, outbound.grpcPorts, traffic), ...acc.docs];
  },
};

/** The TrafficPolicy that carries destination settings of a service (created when there is none). */
function holder(
  traffic: { doc: TrafficPolicy; from: NativeObject[] }[],
  svc: { namespace: string; name: string },
  native: NativeObject,
  fallbackName: string,
): { doc: TrafficPolicy; from: NativeObject[] } {
  const ref = sourcePolicies(native, "TrafficPolicy")?.[0];
  const mine = traffic.filter(
    (t) => t.doc.spec.destination.service === svc.name && (t.doc.spec.destination.namespace ?? t.doc.metadata.namespace) === svc.namespace,
  );
  const found =
    (ref && mine.find((t) => t.doc.metadata.name === ref.name && t.doc.metadata.namespace === ref.namespace)) ??
    (ref ? undefined : (mine.find((t) => t.doc.spec.destination.port === undefined) ?? mine[0]));
  if (found) {
    found.from.push(native);
    return found;
  }
  const d = {
    doc: {
      apiVersion: API_VERSION,
      kind: "TrafficPolicy",
      metadata: { name: ref?.name ?? fallbackName, namespace: ref?.namespace ?? svc.namespace },
      spec: { destination: { service: svc.name, ...(ref && ref.namespace !== svc.namespace ? { namespace: svc.namespace } : {}) } },
    } as TrafficPolicy,
    from: [native],
  };
  traffic.push(d);
  return d;
}

/**
 * Service annotations `balancer.linkerd.io/failure-accrual: consecutive` (+ `-consecutive-max-failures`,
 * `-min-penalty`, `-max-penalty`, `-jitter-ratio`) → outlierDetection (the reverse of the adapter's
 * features/outlierDetection.ts): Linkerd's defaults (7 failures, 1s min penalty, 1m max penalty) are
 * written out; Linkerd has no ejection cap (maxEjectionPercent 100); the max penalty is exact only when
 * it is max(min penalty, 300s), Envoy's default cap of the ejection time.
 */
function failureAccrual(
  li: LinkerdImport,
  services: Map<string, NativeObject>,
  profiled: ReadonlySet<string>,
  traffic: { doc: TrafficPolicy; from: NativeObject[] }[],
): void {
  for (const [key, s] of [...services].sort((a, b) => cmp(a[0], b[0]))) {
    const ann = s.object.metadata.annotations ?? {};
    const mode = ann[ACCRUAL];
    if (mode === undefined) continue;
    const at = (k: string) => `/metadata/annotations/${k.replace(/\//g, "~1")}`;
    if (profiled.has(key)) {
      report(
        li,
        s,
        at(ACCRUAL),
        "warning",
        "import/ignored",
        "a ServiceProfile routes this Service, and while it exists Linkerd balances without failure accrual: not imported",
      );
      continue;
    }
    if (mode !== "consecutive") {
      report(
        li,
        s,
        at(ACCRUAL),
        "warning",
        "import/unsupported-value",
        `failure accrual ${mode} has no model equivalent (the model ejects after consecutive errors): not imported`,
      );
      continue;
    }
    const num = (k: string, d: number) => {
      const v = ann[`${ACCRUAL}-consecutive-${k}`];
      return v === undefined ? { v: d, given: false } : { v: Number(v), given: true };
    };
    const dur = (k: string, d: number) => {
      const v = ann[`${ACCRUAL}-consecutive-${k}`];
      const ms = v === undefined ? d : linkerdDurationMs(v);
      if (ms === undefined) report(li, s, at(`${ACCRUAL}-consecutive-${k}`), "error", "import/invalid", `${JSON.stringify(v)} is not a duration`);
      return { v: ms ?? d, given: v !== undefined };
    };
    const max = num("max-failures", 7);
    const min = dur("min-penalty", 1000);
    const cap = dur("max-penalty", 60_000);
    if (!Number.isInteger(max.v) || max.v < 1) {
      report(li, s, at(`${ACCRUAL}-consecutive-max-failures`), "error", "import/invalid", "max-failures is not a positive integer");
      continue;
    }
    if (!max.given || !min.given) {
      report(
        li,
        s,
        at(ACCRUAL),
        "info",
        "import/mesh-default",
        `Linkerd's defaults written out: ${!max.given ? "7 consecutive failures" : ""}${!max.given && !min.given ? ", " : ""}${!min.given ? "a 1s minimum penalty" : ""}`,
      );
    }
    if (cap.v !== Math.max(min.v, 300_000)) {
      report(
        li,
        s,
        at(`${ACCRUAL}-consecutive-max-penalty`),
        "warning",
        "import/unsupported-value",
        `a maximum penalty of ${formatDuration(cap.v)}: the model's baseEjectionTime grows with each ejection up to 300s (Envoy's cap), which is what Linkerd does with a max-penalty of max(min-penalty, 300s); the imported policy backs off up to that instead`,
      );
    }
    if (ann[`${ACCRUAL}-consecutive-jitter-ratio`] !== undefined) {
      report(
        li,
        s,
        at(`${ACCRUAL}-consecutive-jitter-ratio`),
        "warning",
        "import/unsupported-field",
        "the jitter of the probe back-off has no model equivalent: not imported",
      );
    }
    const od: OutlierDetection = { consecutive5xxErrors: max.v, baseEjectionTime: formatDuration(min.v), maxEjectionPercent: 100 };
    const d = holder(traffic, { namespace: s.namespace, name: s.name }, s, `${s.name}-failure-accrual`);
    d.doc.spec.outlierDetection = od;
  }
}

/** HTTPLocalRateLimitPolicy (targetRef a Server) → `rateLimit` of the Server's service. */
function rateLimits(
  li: LinkerdImport,
  policies: readonly NativeObject[],
  servers: Map<string, { service: string; namespace: string }>,
  traffic: { doc: TrafficPolicy; from: NativeObject[] }[],
): void {
  const seen = new Map<string, NativeObject>();
  for (const o of policies) {
    const f = li.ctx.fields(o);
    const spec = (o.object.spec ?? {}) as Record<string, unknown>;
    f.use("/spec/targetRef", "/spec/total", "/spec/identity", "/spec/overrides");
    const t = spec.targetRef;
    const server = isObject(t) && t.kind === "Server" ? servers.get(`${o.namespace}/${String(t.name)}`) : undefined;
    if (!server) {
      report(li, o, "/spec/targetRef", "warning", "import/unresolved", "its Server is not among the inputs (or could not be imported): not imported");
      continue;
    }
    const key = `${server.namespace}/${server.service}`;
    if (seen.has(key)) {
      report(
        li,
        o,
        "/spec/targetRef",
        "error",
        "import/conflict",
        `${seen.get(key)!.id} also limits ${server.service}: the model has one rate limit per service (one budget for all its ports)`,
      );
      continue;
    }
    seen.set(key, o);
    const total = isObject(spec.total) ? spec.total.requestsPerSecond : undefined;
    if (typeof total !== "number") {
      report(
        li,
        o,
        "/spec/total",
        "warning",
        "import/unsupported-value",
        "a rate limit without a total has no model equivalent (the model's requestsPerSecond is required): not imported",
      );
      continue;
    }
    const rl: RateLimit = { requestsPerSecond: total };
    if (isObject(spec.identity) && typeof spec.identity.requestsPerSecond === "number") rl.perIdentity = spec.identity.requestsPerSecond;
    if (Array.isArray(spec.overrides)) {
      const overrides: NonNullable<RateLimit["overrides"]>[number][] = [];
      spec.overrides.forEach((ov, i) => {
        if (!isObject(ov) || typeof ov.requestsPerSecond !== "number" || !Array.isArray(ov.clientRefs))
          return report(li, o, `/spec/overrides/${i}`, "error", "import/invalid", "an override needs requestsPerSecond and clientRefs");
        const sas: string[] = [];
        for (const c of ov.clientRefs) {
          if (!isObject(c) || c.kind !== "ServiceAccount" || typeof c.name !== "string") {
            report(
              li,
              o,
              `/spec/overrides/${i}/clientRefs`,
              "warning",
              "import/unsupported-value",
              "only ServiceAccount clientRefs have a model equivalent: not imported",
            );
            continue;
          }
          const ns = typeof c.namespace === "string" ? c.namespace : o.namespace;
          sas.push(ns === server.namespace ? c.name : `${ns}/${c.name}`);
        }
        if (sas.length > 1)
          report(
            li,
            o,
            `/spec/overrides/${i}/clientRefs`,
            "warning",
            "import/unsupported-value",
            "the clientRefs of one override share one bucket in Linkerd; the model gives each service account its own: each may now send the override's rate",
          );
        if (sas.length) overrides.push({ serviceAccounts: sas as [string, ...string[]], requestsPerSecond: ov.requestsPerSecond });
      });
      // The adapter writes one override per service account: those of one rate merge back.
      const merged = new Map<number, string[]>();
      for (const ov of overrides) merged.set(ov.requestsPerSecond, [...(merged.get(ov.requestsPerSecond) ?? []), ...ov.serviceAccounts]);
      if (merged.size)
        rl.overrides = [...merged].map(([requestsPerSecond, sas]) => ({
          serviceAccounts: sas as [string, ...string[]],
          requestsPerSecond,
        })) as RateLimit["overrides"];
    }
    const d = holder(traffic, { namespace: server.namespace, name: server.service }, o, `${server.service}-rate-limit`);
    d.doc.spec.rateLimit = rl;
  }
}

/**
 * MeshServices for what the routes need and the facts do not say: the subsets split targets name (when
 * their names are not the derived ones), and the ports GRPCRoutes attach to, declared `protocol: grpc` (the
 * model routes gRPC where the MeshService says so). A given MeshService is completed.
 */
function meshServices(
  li: LinkerdImport,
  needed: readonly NeededSubset[],
  grpcPorts: ImportedOutbound["grpcPorts"],
  traffic: readonly { doc: TrafficPolicy }[],
): ImportedDocument[] {
  const by = new Map<string, { subsets: NeededSubset[]; grpc: ImportedOutbound["grpcPorts"] }>();
  const entry = (s: { namespace: string; name: string }) => {
    const k = `${s.namespace}/${s.name}`;
    let e = by.get(k);
    if (!e) by.set(k, (e = { subsets: [], grpc: [] }));
    return e;
  };
  for (const n of needed) entry(n.service).subsets.push(n);
  for (const g of grpcPorts) entry(g.service).grpc.push(g);
  const out: ImportedDocument[] = [];
  for (const [key, e] of [...by].sort((a, b) => cmp(a[0], b[0]))) {
    const [namespace, name] = key.split("/");
    const namer = new SubsetNamer({});
    const given = li.ctx.facts.declared(namespace, name);
    const subsetsNeeded = !e.subsets.every((n) => namer.name(n.labels).name === n.name);
    // Without declared ports, the ports the routes name (a MeshService that declares some must declare all it is called on).
    const named = given?.spec.ports
      ? []
      : [
          ...new Set(
            traffic
              .filter(
                (t) =>
                  t.doc.spec.destination.service === name &&
                  (t.doc.spec.destination.namespace ?? t.doc.metadata.namespace) === namespace &&
                  t.doc.spec.destination.port !== undefined,
              )
              .map((t) => t.doc.spec.destination.port!),
          ),
        ];
    const ports: NonNullable<MeshService["spec"]["ports"]>[number][] = given?.spec.ports
      ? given.spec.ports.map((p) => ({ ...p }))
      : named.map((port) => ({ port }));
    let portsChanged = false;
    for (const g of e.grpc) {
      const p = ports.find((x) => x.port === g.port);
      if (p?.protocol === "grpc") continue;
      if (p) p.protocol = "grpc";
      else ports.push({ port: g.port, protocol: "grpc" });
      portsChanged = true;
      report(
        li,
        g.native,
        "/spec/parentRefs",
        "info",
        "import/unresolved",
        `port ${g.port} of ${name} is declared grpc in the imported MeshService (a GRPCRoute routes it)`,
      );
    }
    if (!subsetsNeeded && !portsChanged) continue;
    const spec: MeshService["spec"] = { ...(given?.spec ?? {}) };
    if (portsChanged) spec.ports = ports.sort((a, b) => a.port - b.port) as MeshService["spec"]["ports"];
    if (subsetsNeeded) {
      const subsets = [...new Map(e.subsets.map((n) => [n.name, { name: n.name, labels: n.labels }])).values()].sort((a, b) => cmp(a.name, b.name));
      spec.subsets = subsets as NonNullable<MeshService["spec"]["subsets"]>;
    }
    out.push({
      doc: { apiVersion: API_VERSION, kind: "MeshService", metadata: { name, namespace }, spec },
      from: [...e.subsets.map((n) => n.native), ...e.grpc.map((g) => g.native)],
    });
  }
  return out;
}

/** Kinds outside the model: reported, not imported. */
function outsideTheModel(li: LinkerdImport, objects: readonly NativeObject[]): void {
  const why: Record<string, string> = {
    Gateway: "ingress and egress gateways are outside the model (it describes traffic between the mesh's services)",
    GatewayClass: "gateways are outside the model",
    ReferenceGrant: "gateways are outside the model",
    TCPRoute: "TCP routing is outside the model (its routes are HTTP)",
    TLSRoute: "TLS routing is outside the model (its routes are HTTP)",
    UDPRoute: "UDP routing is outside the model",
    TrafficSplit: "SMI TrafficSplit needs the linkerd-smi extension; write the split as an HTTPRoute (Linkerd 2.12+) to import it",
    EgressNetwork: "egress to networks outside the cluster is outside the model",
    ExternalWorkload: "workloads outside Kubernetes are outside the model",
    ExternalEndpoint: "workloads outside Kubernetes are outside the model",
    Link: "multicluster links are outside the model",
  };
  for (const o of objects) {
    if ((o.group === POLICY || o.group === GATEWAY || o.group.endsWith("linkerd.io") || o.group === "split.smi-spec.io") && why[o.kind]) {
      li.ctx.ignore(o);
      report(li, o, "", "warning", "import/unsupported-kind", `${o.kind}: ${why[o.kind]}; not imported`);
    } else if ((o.kind === "HTTPRoute" || o.kind === "GRPCRoute") && (o.group === POLICY || o.group === GATEWAY)) {
      const parents = Array.isArray((o.object.spec as Record<string, unknown> | undefined)?.parentRefs)
        ? (o.object.spec as { parentRefs: unknown[] }).parentRefs
        : [];
      const mesh = parents.some((p) => isObject(p) && (p.kind === "Service" || p.kind === "Server"));
      if (!mesh) li.ctx.ignore(o);
      parents.forEach((p, i) => {
        if (isObject(p) && (p.kind === "Service" || p.kind === "Server")) return;
        if (mesh) li.ctx.fields(o).use(`/spec/parentRefs/${i}`);
        report(
          li,
          o,
          `/spec/parentRefs/${i}`,
          "warning",
          "import/unsupported-value",
          `a route attached to ${isObject(p) ? String(p.kind ?? "Gateway") : "?"} ${isObject(p) ? String(p.name) : ""} (a gateway's route, not the mesh's) is outside the model: not imported for this parent`,
        );
      });
      if (!parents.length) {
        li.ctx.ignore(o);
        report(li, o, "/spec/parentRefs", "warning", "import/unsupported-value", "a route without parentRefs applies to nothing: not imported");
      }
    }
  }
}

export { linkerdImporter as importer };
