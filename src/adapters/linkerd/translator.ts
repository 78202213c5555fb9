/**
 * The Linkerd translation: namespace-level policies first (features/scope.ts), then per destination
 * (sorted by namespace and service): the refusals of what Linkerd cannot express at all, the calling
 * side (routes: Gateway API HTTPRoute/GRPCRoute with route annotations on 2.16+, outbound.ts;
 * policy.linkerd.io HTTPRoute or ServiceProfile on 2.14–2.15), failure accrual (a Service patch), then
 * the receiving side (Servers, authorizations, inbound routes, rate limits: inbound.ts). Each feature's
 * translation and refusals live in features/<feature>.ts.
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { DestinationView, EffectiveRoute, Model } from "../../api/model.js";
import { exposedPorts } from "../../api/model.js";
import { type LinkerdContext, createContext } from "./context.js";
import { translateInbound } from "./inbound.js";
import { outbound } from "./outbound.js";
import { refuseConnectionPool } from "./features/connectionPool.js";
import { refuseCors } from "./features/cors.js";
import { refuseDirectResponse } from "./features/directResponse.js";
import { refuseFaultInjection } from "./features/faultInjection.js";
import { refuseLoadBalancer } from "./features/loadBalancer.js";
import { matchOf } from "./features/match.js";
import { refuseMirror } from "./features/mirror.js";
import { outlierDetectionPatch } from "./features/outlierDetection.js";
import { refuseRequestAuthentication } from "./features/requestAuthentication.js";
import { refuseWasm } from "./features/wasmExtension.js";
import { hasRetries } from "./features/retries.js";
import { refuseRewrite } from "./features/rewrite.js";
import { namespaceDefaults } from "./features/scope.js";
import { serviceProfile } from "./features/serviceProfile.js";
import { reportSubsetServices } from "./features/split.js";
import { refuseSubsetSettings } from "./features/subsetSettings.js";
import { refuseTrafficSource } from "./features/trafficSource.js";
import { exportPatches, mergeServicePatches, refuseCrossClusterUses, reportMirroredServices } from "./features/crossCluster.js";

/** Route-level features Linkerd cannot express in any version: each reports its use on a route. */
const ROUTE_REFUSALS: readonly ((lc: LinkerdContext, r: EffectiveRoute) => void)[] = [
  refuseFaultInjection,
  refuseMirror,
  refuseRewrite,
  refuseCors,
  refuseDirectResponse,
];

/** Destination-level features Linkerd cannot express in any version. */
const DESTINATION_REFUSALS: readonly ((lc: LinkerdContext, v: DestinationView) => void)[] = [refuseSubsetSettings, refuseConnectionPool, refuseLoadBalancer];

/** Translates a model for one Linkerd version. */
export function translateLinkerd(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterUses(model, ctx);
  const lc = createContext(model, ctx);
  refuseRequestAuthentication(model, ctx);
  refuseWasm(model, ctx);
  namespaceDefaults(lc);
  for (const v of model.destinations()) translateDestination(lc, v);
  mergeServicePatches(lc.out, exportPatches(model, ctx));
  return lc.out;
}

function translateDestination(lc: LinkerdContext, v: DestinationView): void {
  const ports = v.ports;
  // Routes attach to Service ports (parentRefs[].port): a pod-only port has none (the model's podOnly).
  const routed = exposedPorts(ports);
  for (const refuse of DESTINATION_REFUSALS) refuse(lc, v);
  const routes: EffectiveRoute[] = [];
  for (const r of v.routes) {
    for (const refuse of ROUTE_REFUSALS) refuse(lc, r);
    if (!refuseTrafficSource(lc, r)) routes.push(r);
  }
  let profile = false;
  if (routes.length) {
    reportSubsetServices(lc, v, routes);
    reportMirroredServices(lc, v, routes);
    profile = lc.facts.legacy && routes.some(hasRetries);
    if (profile) {
      const specs = routes.map((r) => matchOf(lc, r));
      serviceProfile(lc, v, routes, specs, routed.length);
    } else outbound(lc, v, routes, routed);
  }
  if (v.outlierDetection) {
    if (profile) {
      lc.report(v.outlierDetection.policy, v.outlierDetection.pointer, {
        feature: "outlierDetection",
        kind: "conflict",
        severity: "error",
        message: `Linkerd ${lc.version} needs a ServiceProfile for the retries of ${v.namespace}/${v.service}, and with a ServiceProfile the proxy balances without failure accrual, so this outlier detection would be ignored; target Linkerd 2.16+, or remove the retries`,
      });
    } else {
      const patch = outlierDetectionPatch(lc, v);
      if (patch) lc.emit(patch);
    }
  }
  translateInbound(lc, v, ports);
}
