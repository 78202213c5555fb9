/**
 * The builtin translator: ONE ProxyConfig document for the whole model. Per destination it compiles
 * the route table (already ordered by the model) route by route, each feature module filling its own
 * fields, then the destination-level settings; then the service facts and namespace-wide mTLS modes.
 * Instances are not the model's business: a ServiceRegistry supplies them when the proxy runs.
 */
import type { TranslateContext, KubeObject } from "../../api/adapter.js";
import type { DestinationView, Model, ServiceFacts } from "../../api/model.js";
import { objectMeta } from "../../api/ownership.js";
import { PROXY_API_VERSION, PROXY_CONFIG_NAME, type Destination, type ProxyConfig, type Route, type Service } from "./resources.js";
import type { DestinationFeature, FeatureEnv, RouteFeature } from "./features/types.js";
import { match } from "./features/match.js";
import { trafficSource } from "./features/trafficSource.js";
import { split } from "./features/split.js";
import { redirect } from "./features/redirect.js";
import { directResponse } from "./features/directResponse.js";
import { rewrite } from "./features/rewrite.js";
import { timeout } from "./features/timeout.js";
import { retries } from "./features/retries.js";
import { faultInjection } from "./features/faultInjection.js";
import { mirror } from "./features/mirror.js";
import { headers } from "./features/headers.js";
import { cors } from "./features/cors.js";
import { outlierDetection } from "./features/outlierDetection.js";
import { connectionPool } from "./features/connectionPool.js";
import { loadBalancer } from "./features/loadBalancer.js";
import { rateLimit } from "./features/rateLimit.js";
import { subsetSettings } from "./features/subsetSettings.js";
import { MESH_ONLY, access, scopedAccess } from "./features/access.js";
import { requestAuthentication } from "./features/requestAuthentication.js";
import { wasmExtension } from "./features/wasmExtension.js";
import { mtls, mtlsNamespaces } from "./features/mtls.js";
import { notePodOnlyPorts, podOnly } from "./features/podOnlyPorts.js";
import { adapterCode } from "../../api/diagnostics.js";
import { failover, memberSpec } from "./features/crossCluster.js";

/** Route features, in the order they fill a route. */
export const ROUTE_FEATURES: readonly RouteFeature[] = [
  trafficSource,
  match,
  split,
  redirect,
  directResponse,
  rewrite,
  timeout,
  retries,
  faultInjection,
  mirror,
  headers,
  cors,
];

/** Destination features, in order. */
export const DESTINATION_FEATURES: readonly DestinationFeature[] = [
  outlierDetection,
  connectionPool,
  loadBalancer,
  rateLimit,
  failover,
  subsetSettings,
  requestAuthentication,
  wasmExtension,
  access,
  mtls,
  podOnly,
];

/** Id of the default route the proxy appends when no route catches every request. */
export const DEFAULT_ROUTE_ID = "default";

/** Translates the model into the one ProxyConfig document. */
export function translateBuiltin(model: Model, ctx: TranslateContext): KubeObject[] {
  const destinations = model.destinations().map((dest) => destination(model, ctx, dest));
  notePodOnlyPorts(model, ctx);
  const policies = model.policies;
  const meshMtls = model.meshMtls;
  const { namespaces: accessNamespaces, mesh: meshAccess } = model.accessScopes();
  const spec: ProxyConfig["spec"] = {
    trustDomain: model.trustDomain,
    ...memberSpec(model),
    ...(meshMtls ? { defaultMtlsMode: meshMtls.doc.spec.mode } : {}),
    ...(model.namespaceMtls.length ? { mtlsNamespaces: mtlsNamespaces(model) } : {}),
    ...(accessNamespaces.size
      ? { namespaceAccess: [...accessNamespaces.keys()].sort().map((namespace) => ({ namespace, access: scopedAccess(model, namespace)! })) }
      : {}),
    ...(meshAccess.length ? { meshAccess: scopedAccess(model, MESH_ONLY)! } : {}),
    services: services(model, ctx),
    destinations,
  };
  const doc: ProxyConfig = {
    apiVersion: PROXY_API_VERSION,
    kind: "ProxyConfig",
    metadata: objectMeta(PROXY_CONFIG_NAME, undefined, policies) as ProxyConfig["metadata"],
    spec,
  };
  return [doc as unknown as KubeObject];
}

function destination(model: Model, ctx: TranslateContext, dest: DestinationView): Destination {
  const env: FeatureEnv = { model, ctx, dest };
  const routes: Route[] = dest.routes.map((r) => {
    const out: Route = { id: `${r.policy.id}#${r.pointer}`, ...(r.name ? { name: r.name } : {}), policy: r.policy.id };
    for (const f of ROUTE_FEATURES) f(r, out, env);
    return out;
  });
  if (dest.needsDefaultRoute) routes.push({ id: DEFAULT_ROUTE_ID, forward: { targets: [{ weight: 100 }] } });
  const out: Destination = {
    namespace: dest.namespace,
    service: dest.service,
    policies: [
      ...new Set(
        [...dest.trafficPolicies, ...dest.accessPolicies, ...(dest.mtls ? [dest.mtls] : []), ...dest.requestAuthentications, ...dest.wasmExtensions].map(
          (p) => p.id,
        ),
      ),
    ].sort(),
    routes,
  };
  for (const f of DESTINATION_FEATURES) f(out, env);
  return out;
}

/**
 * Facts of every service the model knows (declared MeshServices, destinations, mirror targets): service
 * account, pod selector (when not the convention `{app: <name>}`, the proxy's default too: callers'
 * pod labels for `source.workloads`), ports and protocol, subsets. Ports with protocol `tcp` are left out
 * with a warning: the built-in proxy forwards HTTP only; pod-only ports (no Service port) are left out too.
 */
function services(model: Model, ctx: TranslateContext): Service[] {
  const keys = new Map<string, ServiceFacts>();
  const add = (ns: string, name: string) => {
    const k = `${ns}/${name}`;
    if (!keys.has(k)) keys.set(k, model.service(ns, name));
  };
  for (const e of model.services) add(e.namespace, e.name);
  for (const d of model.destinations()) {
    add(d.namespace, d.service);
    for (const r of d.routes) if (r.mirror) add(r.mirror.value.serviceResolved.namespace, r.mirror.value.serviceResolved.name);
  }
  return [...keys.values()]
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => {
      const ports = (f.ports ?? []).filter((p, i) => {
        if (p.podOnly) return false; // no Service port: see features/podOnlyPorts.ts
        if (p.protocol !== "tcp") return true;
        if (f.declaredBy) {
          ctx.report(f.declaredBy, `/spec/ports/${i}/protocol`, {
            code: adapterCode("unsupported-value", undefined, "tcp-port"),
            severity: "warning",
            message: `port ${p.port} of ${f.namespace}/${f.name} is plain TCP: the built-in proxy forwards HTTP (HTTP/1.1, HTTP/2, gRPC) only, so it leaves this port out; call it directly`,
          });
        }
        return false;
      });
      const subsets = f.subsets ?? [];
      return {
        name: f.name,
        namespace: f.namespace,
        serviceAccount: f.serviceAccount,
        ...(isConventionalSelector(f) ? {} : { selector: { ...f.selector } }),
        ...(ports.length
          ? {
              ports: ports.map((p) => ({
                port: p.port,
                ...(p.targetPort && p.targetPort !== p.port ? { targetPort: p.targetPort } : {}),
                protocol: (p.protocol ?? "http") as "http" | "http2" | "grpc",
              })) as Service["ports"],
            }
          : {}),
        ...(subsets.length ? { subsets: subsets.map((s) => ({ name: s.name, labels: { ...s.labels } })) } : {}),
      };
    });
}

/** True when a service's pod selector is the convention `{app: <name>}` (the proxy's default). */
function isConventionalSelector(f: ServiceFacts): boolean {
  const keys = Object.keys(f.selector);
  return keys.length === 1 && keys[0] === "app" && f.selector.app === f.name;
}
