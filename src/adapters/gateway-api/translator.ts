/**
 * The Gateway API translation (GAMMA, "Gateway API for service mesh"): per destination and Service
 * port, an `HTTPRoute` (or a `GRPCRoute` for a port declared grpc) in the Service's namespace with
 * `parentRefs: [{group: "", kind: Service, name, port}]` (a producer route: it applies to every client),
 * whose rules are the model's route table in order.
 *
 * - Order. Gateway API does not take the first matching rule: it ranks matches (features/match.ts).
 *   The rules are written in the model's order (which already puts more specific routes first) and the
 *   adapter proves that the ranking picks the same rule for every request, or reports the routes where
 *   it would not.
 * - Requests no rule matches. "When no rules matching a request have been successfully attached to the
 *   parent a request is coming from, a HTTP 404 status code MUST be returned" (HTTPRoute `rules[].matches`):
 *   once a route attaches to a Service port, unmatched requests get 404, while the model forwards them
 *   unchanged. So a final catch-all rule forwards them to the Service, unless a route of the table
 *   already catches every request. A policy that says "answer 404 for the rest" (a final catch-all
 *   `directResponse: {status: 404}` without body) gets no such rule: Gateway API's own 404 is exactly it
 *   (routes after a catch-all never match in the model, so none is written after it either).
 * - A table that only forwards unchanged (no settings) emits nothing: without a route, GAMMA
 *   implementations forward to the Service.
 * - At most 16 rules per route object (a CRD limit): longer tables are split into `<name>-part-<n>`
 *   objects, and rules that tie across them are errors (the older object would win).
 * - Backends in another namespace (mirrors) get a `ReferenceGrant` in that namespace.
 *
 * The route building is shared with Istio's ambient waypoints (src/adapters/shared/gamma/routes.ts); this
 * adapter refuses what no Gateway API release has a field for, then writes the routes.
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { DestinationView, EffectiveRoute, Model } from "../../api/model.js";
import { type GatewayContext, createContext } from "../shared/gamma/context.js";
import type { CrossNamespaceRef } from "../shared/gamma/features/mirror.js";
import { gammaRoutes, referenceGrants } from "../shared/gamma/routes.js";
import { refuseAccess } from "./features/access.js";
import { refuseConnectionPool } from "./features/connectionPool.js";
import { refuseDirectResponse } from "./features/directResponse.js";
import { refuseFaultInjection } from "./features/faultInjection.js";
import { refuseLoadBalancer } from "./features/loadBalancer.js";
import { refuseMtls } from "./features/mtls.js";
import { refuseOutlierDetection } from "./features/outlierDetection.js";
import { refuseRateLimit } from "./features/rateLimit.js";
import { refuseRequestAuthentication } from "./features/requestAuthentication.js";
import { refuseSubsetSettings } from "./features/subsetSettings.js";
import { refuseTrafficSource } from "./features/trafficSource.js";
import { refuseWasmExtension } from "./features/wasmExtension.js";
import { refuseCrossClusterUses } from "./features/crossCluster.js";

/** Policy kinds Gateway API has no API for (AccessPolicy, MTLSPolicy, RequestAuthentication, WasmExtension): each refused. */
const MODEL_REFUSALS: readonly ((gc: GatewayContext, model: Model) => void)[] = [refuseAccess, refuseMtls, refuseRequestAuthentication, refuseWasmExtension];

/** Destination-level features Gateway API has no field for, in any release. */
const DESTINATION_REFUSALS: readonly ((gc: GatewayContext, v: DestinationView) => void)[] = [
  refuseOutlierDetection,
  refuseConnectionPool,
  refuseLoadBalancer,
  refuseRateLimit,
  refuseSubsetSettings,
];

/** Route-level features Gateway API has no filter for, in any release. */
const ROUTE_REFUSALS: readonly ((gc: GatewayContext, r: EffectiveRoute) => void)[] = [refuseFaultInjection, refuseDirectResponse];

/** Translates a model to Gateway API routes (see the module doc). Pure; reports through `ctx`. */
export function translateGatewayApi(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterUses(model, ctx);
  const gc = createContext(model, ctx);
  for (const refuse of MODEL_REFUSALS) refuse(gc, model);
  const out: KubeObject[] = [];
  const refs: CrossNamespaceRef[] = [];
  for (const v of model.destinations()) translateDestination(gc, v, out, refs);
  out.push(...referenceGrants(refs));
  return out;
}

function translateDestination(gc: GatewayContext, v: DestinationView, out: KubeObject[], refs: CrossNamespaceRef[]): void {
  for (const refuse of DESTINATION_REFUSALS) refuse(gc, v);
  const routes: EffectiveRoute[] = [];
  for (const r of v.routes) {
    for (const refuse of ROUTE_REFUSALS) refuse(gc, r);
    if (!refuseTrafficSource(gc, r)) routes.push(r);
  }
  out.push(...gammaRoutes(gc, v, routes, refs));
}
