/**
 * The Kuma translation (Kuma 2.14, Kubernetes, `kuma.io/v1alpha1` targetRef policies). Per destination
 * (`model.destinations()`, sorted), one object per Kuma policy kind, in the destination's namespace and
 * labelled `kuma.io/mesh: <meshName>`:
 * - outbound ("producer") policies, `targetRef: Mesh` + `to: [{targetRef: MeshService}]`, which Kuma applies
 *   to every caller of the MeshService: MeshHTTPRoute / MeshTCPRoute (routes), MeshTimeout (timeout,
 *   connection timeouts), MeshRetry (retries; always, to switch Kuma's default retries off),
 *   MeshCircuitBreaker (outlierDetection, connectionPool), MeshLoadBalancingStrategy (loadBalancer);
 * - inbound policies on the destination's pods, `targetRef: Dataplane` with the Service's pod labels:
 *   MeshFaultInjection, MeshRateLimit, MeshTrafficPermission (one per AccessPolicy), MeshTLS;
 * - namespace- and mesh-wide AccessPolicies and MTLSPolicies: `targetRef: Mesh` in the namespace or in the
 *   system namespace (features/access.ts, features/mtls.ts).
 * Kuma merges policies of one kind by targetRef specificity (Mesh < MeshService < MeshHTTPRoute outbound;
 * Mesh in the system namespace < Mesh in a namespace < Dataplane inbound) field by field; unimesh writes
 * every field whose Kuma default differs from the model's (retries, per-try timeout), so the merge with
 * Kuma's default policies gives the model's values.
 * @see https://kuma.io/docs/2.14.x/policies/introduction/
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { Model } from "../../api/model.js";
import { adapterCode } from "../../api/diagnostics.js";
import { dnsLabel } from "../../api/names.js";
import { createContext, type DestinationContext, type KumaContext } from "./context.js";
import { meshTrafficPermission, requireStrictMtls, sharedPods } from "./features/access.js";
import { scopedMeshTrafficPermissions } from "./features/scope.js";
import { kumaConnectionPool } from "./features/connectionPool.js";
import { faultInjectionPolicy } from "./features/faultInjection.js";
import { kumaLoadBalancer } from "./features/loadBalancer.js";
import { meshTls } from "./features/mtls.js";
import { kumaOutlierDetection } from "./features/outlierDetection.js";
import { rateLimitPolicy } from "./features/rateLimit.js";
import { NO_RETRIES, retryDefault, routeRetries } from "./features/retries.js";
import { destinationTarget, routePolicies } from "./features/routes.js";
import { effectiveTimeout, timeoutDefault } from "./features/timeout.js";
import { uniformity } from "./features/uniform.js";
import { refuseSubsetSettings } from "./features/subsetSettings.js";
import { refuseJwt } from "./features/requestAuthentication.js";
import { refuseWasm } from "./features/wasmExtension.js";
import { KUMA_V1ALPHA1, type KumaObject, type TargetRef } from "./resources.js";
import { canonicalJson, policyScope } from "../../api/model.js";
import { refuseCrossClusterUses } from "./features/crossCluster.js";

/** Translates a model to Kuma policies (see the module doc). Pure; reports through `ctx`. */
export function translateKuma(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterUses(model, ctx);
  const kc = createContext(model, ctx);
  refuseJwt(model, ctx);
  refuseWasm(model, ctx);
  const out: KubeObject[] = [];
  for (const view of model.destinations()) {
    const dc: DestinationContext = { kc, view };
    if (view.trafficPolicies.length) out.push(...trafficObjects(dc));
    requireStrictMtls(kc, view);
    if (view.accessPolicies.some((e) => policyScope(e) === "service")) sharedPods(kc, view);
    for (const e of view.accessPolicies) {
      if (policyScope(e) !== "service" || e.doc.spec.destination?.service !== view.service || e.namespace !== view.namespace) continue;
      const o = meshTrafficPermission(kc, e, view);
      if (o) out.push(o);
    }
    if (view.mtls) {
      const o = meshTls(kc, view.mtls, view);
      if (o) out.push(o);
    }
  }
  out.push(...scopedMeshTrafficPermissions(kc));
  for (const e of model.mtlsPolicies) {
    if (policyScope(e) === "service") continue;
    const o = meshTls(kc, e);
    if (o) out.push(o);
  }
  preconditions(kc, out);
  return out;
}

/** The objects of a destination's TrafficPolicies. */
function trafficObjects(dc: DestinationContext): KumaObject[] {
  const { view, kc } = dc;
  const out: KumaObject[] = [];
  refuseSubsetSettings(dc);
  const target = destinationTarget(dc);
  if (!target) return out;
  const name = dnsLabel(view.service);
  const producer = (kind: string, def: Record<string, unknown>, from = view.trafficPolicies, ref: TargetRef = target.ref): KumaObject => ({
    apiVersion: KUMA_V1ALPHA1,
    kind,
    metadata: kc.meta(name, view.namespace, from),
    spec: { targetRef: { kind: "Mesh" }, to: [{ targetRef: ref, default: def }] },
  });
  // Route-level timeouts and retries: one policy for the MeshService when every request gets the same,
  // else one MeshHTTPRoute per route for MeshTimeout and MeshRetry to target (features/uniform.ts).
  const tU = uniformity(dc, effectiveTimeout);
  const rU = uniformity(dc, routeRetries);
  const perRoute = !tU.uniform || !rU.uniform;
  const routes = routePolicies(dc, target, perRoute);
  out.push(...routes.objects);
  const byRoute = (i: number): TargetRef => ({ kind: "MeshHTTPRoute", name: routes.names![i] });
  const perRouteOk = perRoute && !!routes.names;
  // Destination-level settings apply to the whole service (every port): no sectionName.
  const whole: TargetRef = { kind: "MeshService", name: view.service };
  const cb: Record<string, unknown> = {};
  const cbFrom = new Set<string>();
  const timeouts: { targetRef: TargetRef; default: Record<string, unknown> }[] = [];
  if (tU.uniform && tU.route) timeouts.push({ targetRef: target.ref, default: timeoutDefault(tU.route)! });
  if (view.connectionPool) {
    const p = kumaConnectionPool(dc, view.connectionPool);
    if (p.limits) cb.connectionLimits = p.limits;
    if (Object.keys(p.timeouts).length) {
      const same = timeouts.find((x) => canonicalJson(x.targetRef) === canonicalJson(whole));
      if (same) Object.assign(same.default, p.timeouts);
      else timeouts.push({ targetRef: whole, default: p.timeouts });
    }
    cbFrom.add(view.connectionPool.policy.id);
  }
  if (!tU.uniform && perRouteOk)
    view.routes.forEach((r, i) => {
      const d = timeoutDefault(r);
      if (d) timeouts.push({ targetRef: byRoute(i), default: d });
    });
  if (timeouts.length) {
    out.push({
      apiVersion: KUMA_V1ALPHA1,
      kind: "MeshTimeout",
      metadata: kc.meta(name, view.namespace, view.trafficPolicies),
      spec: { targetRef: { kind: "Mesh" }, to: timeouts },
    });
  }
  const retries: { targetRef: TargetRef; default: Record<string, unknown> }[] = [];
  let retriesOk = true;
  if (rU.uniform) {
    const d = rU.route ? retryDefault(dc, rU.route) : NO_RETRIES;
    if (d) retries.push({ targetRef: target.ref, default: d });
    else retriesOk = false;
  } else if (perRouteOk) {
    retries.push({ targetRef: target.ref, default: NO_RETRIES });
    view.routes.forEach((r, i) => {
      if (!routeRetries(r)) return;
      const d = retryDefault(dc, r);
      if (d) retries.push({ targetRef: byRoute(i), default: d });
      else retriesOk = false;
    });
  }
  if (retriesOk && retries.length) {
    out.push({
      apiVersion: KUMA_V1ALPHA1,
      kind: "MeshRetry",
      metadata: kc.meta(name, view.namespace, view.trafficPolicies),
      spec: { targetRef: { kind: "Mesh" }, to: retries },
    });
  }
  if (view.outlierDetection) {
    cb.outlierDetection = kumaOutlierDetection(view.outlierDetection.value);
    cbFrom.add(view.outlierDetection.policy.id);
  }
  if (Object.keys(cb).length)
    out.push(
      producer(
        "MeshCircuitBreaker",
        cb,
        view.trafficPolicies.filter((p) => cbFrom.has(p.id)),
        whole,
      ),
    );
  const lb = view.loadBalancer && kumaLoadBalancer(view.loadBalancer.value);
  if (lb) out.push(producer("MeshLoadBalancingStrategy", { loadBalancer: lb }, [view.loadBalancer!.policy], whole));
  const fi = faultInjectionPolicy(dc, name);
  if (fi) out.push(fi);
  const rl = rateLimitPolicy(dc, name);
  if (rl) out.push(rl);
  return out;
}

/**
 * What unimesh cannot see from the policies but the translation relies on (warnings, once per run):
 * MeshTrafficPermission and MeshTLS act only when the Mesh has mTLS or the workloads a MeshIdentity; the
 * callers' SPIFFE IDs must be those of a MeshIdentity with the trust domain unimesh writes. And what such a
 * MeshIdentity changes for the workloads the model leaves open (kuma v2.14.3): Kuma denies every mutual-TLS
 * request to an inbound no MeshTrafficPermission with `rules` selects ("By default, if no policy is
 * present, all requests are denied", kuma-website policies/meshtrafficpermission_experimental.md;
 * meshtrafficpermission plugin.go configures the deny-all RBAC under a workload identity and ignores
 * `from` policies and TrafficPermissions), and an inbound no MeshTLS gives a mode is Strict (meshtls
 * plugin.go getMeshTLSMode), where the model admits every request to a destination no AccessPolicy
 * selects and plaintext where no MTLSPolicy applies (permissive): each a warning naming the services
 * unimesh knows (MeshServices and the destinations of policies) that it applies to.
 */
function preconditions(kc: KumaContext, out: KubeObject[]): void {
  const kinds = new Set(out.map((o) => o.kind));
  if (!kinds.has("MeshTrafficPermission") && !kinds.has("MeshTLS")) return;
  kc.ctx.reportGlobal({
    code: adapterCode("note", undefined, "mtls-preconditions"),
    severity: "warning",
    message: `Kuma applies MeshTLS and MeshTrafficPermission only when Mesh "${kc.meshName}" has mTLS (spec.mtls.enabledBackend) or the workloads have a MeshIdentity; without either, no access rule is enforced. MeshTrafficPermission rules match SPIFFE IDs spiffe://${kc.model.trustDomain}/ns/<namespace>/sa/<service account>: the MeshIdentity must use that trust domain (Kuma's default is <mesh>.<zone>.mesh.local: --set trustDomain=...) and the path /ns/{{ .Namespace }}/sa/{{ .ServiceAccount }}; rules for every caller or any authenticated caller match that trust domain only, so callers of trust domains federated with MeshTrust are not covered by them. With a MeshIdentity, Kuma denies every mutual-TLS request to a workload no MeshTrafficPermission with 'rules' selects ('from' MeshTrafficPermissions and TrafficPermissions, such as an installation's allow-all, are ignored), and a workload no MeshTLS gives a mode is Strict; another 'rules' MeshTrafficPermission selecting these workloads would add its allows`,
  });
  const model = kc.model;
  const known = new Map<string, { namespace: string; name: string }>();
  for (const e of model.services) known.set(`${e.namespace}/${e.name}`, { namespace: e.namespace, name: e.name });
  for (const v of model.destinations()) known.set(`${v.namespace}/${v.service}`, { namespace: v.namespace, name: v.service });
  const keys = [...known.keys()].sort();
  const open = keys.filter((k) => {
    const { namespace, name } = known.get(k)!;
    return !model.destination(namespace, name)?.accessPolicies.length && !model.scopedAccess(namespace)?.policies.length;
  });
  if (open.length)
    kc.ctx.reportGlobal({
      code: adapterCode("conflict", "access", "default-deny"),
      severity: "warning",
      message: `no AccessPolicy selects ${open.join(", ")}, so the model admits every request to ${open.length > 1 ? "them" : "it"}, but with a MeshIdentity (which the MeshTrafficPermission rules unimesh writes need) Kuma denies every mutual-TLS request to a workload no MeshTrafficPermission with 'rules' selects ("By default, if no policy is present, all requests are denied"; an installation's allow-all TrafficPermission or 'from' MeshTrafficPermission is ignored there): give ${open.length > 1 ? "each" : "it"} an AccessPolicy that allows every caller (allow: [{}]) to keep ${open.length > 1 ? "them" : "it"} open, or the rules meant for ${open.length > 1 ? "them" : "it"}`,
    });
  const plain = keys.filter((k) => !model.mtlsMode(known.get(k)!.namespace, known.get(k)!.name));
  if (plain.length)
    kc.ctx.reportGlobal({
      code: adapterCode("conflict", "mtls", "default-strict"),
      severity: "warning",
      message: `no MTLSPolicy applies to ${plain.join(", ")}, so the model accepts plaintext callers there (permissive), but with a MeshIdentity Kuma makes an inbound no MeshTLS gives a mode Strict (plaintext refused) unless another service's MeshTLS selects the same pods: give ${plain.length > 1 ? "them" : "it"} an MTLSPolicy (mode permissive keeps plaintext callers, strict makes it explicit)`,
    });
}
