/**
 * Features App Mesh (controller 1.13, `appmesh.k8s.aws/v1beta2`) has no API for. Each occurrence is
 * one `adapter/unsupported-feature` error naming the field, the mesh version, the upstream limit and
 * what to do instead. Sources: MESHES.md §3.3; fault injection aws/aws-app-mesh-roadmap#36 (open);
 * rate limiting aws/aws-app-mesh-roadmap#107 (open); rewrites exist only on ingress `GatewayRoute`s
 * (`gatewayroute_types.go`), not on east-west `VirtualRouter` routes (`virtualrouter_types.go`).
 */
import type { DestinationView, EffectiveRoute } from "../../../api/model.js";
import type { Tx } from "../context.js";

const OTHER_MESHES = "use --mesh istio (or Gateway API)";

/** Reports every route-level feature App Mesh cannot express. Returns false when the route cannot be emitted at all. */
export function checkRouteFeatures(tx: Tx, r: EffectiveRoute): boolean {
  const p = r.policy;
  const m = tx.mesh;
  if (r.source) {
    tx.unsupportedFeature(p, r.source.pointer, "trafficSource",
      `source: ${m} routes apply to every caller of a VirtualService (VirtualRouter routes cannot match the calling VirtualNode), so source-specific routes cannot be expressed; drop spec.source for --mesh appmesh, or use --mesh istio`);
  }
  if (r.faultInjection) {
    tx.unsupportedFeature(p, r.faultInjection.pointer, "faultInjection",
      `faultInjection: ${m} has no fault injection (aws/aws-app-mesh-roadmap#36); remove it for --mesh appmesh, or run the resilience test with --mesh istio`);
  }
  if (r.mirror) {
    tx.unsupportedFeature(p, r.mirror.pointer, "mirror",
      `mirror: ${m} cannot mirror traffic (VirtualRouter routes only have weightedTargets); remove it for --mesh appmesh, or ${OTHER_MESHES}`);
  }
  if (r.headers) {
    tx.unsupportedFeature(p, r.headers.pointer, "headers",
      `headers: ${m} cannot change request or response headers on VirtualRouter routes; change them in the application, or ${OTHER_MESHES} / --mesh linkerd`);
  }
  if (r.action.kind === "split") {
    for (const t of r.action.targets) {
      if (!t.headers) continue;
      tx.unsupportedFeature(p, t.headers.pointer, "headers",
        `headers: ${m} cannot change request or response headers, for a route or for one of its weightedTargets; change them in the application, or ${OTHER_MESHES} / --mesh linkerd`);
    }
  }
  if (r.cors) {
    tx.unsupportedFeature(p, r.cors.pointer, "cors",
      `cors: ${m} has no CORS policy; answer CORS in the application, or ${OTHER_MESHES}`);
  }
  if (r.rewrite) {
    tx.unsupportedFeature(p, r.rewrite.pointer, "rewrite",
      `rewrite: ${m} rewrites only at ingress (GatewayRoute.spec.httpRoute.action.rewrite on a VirtualGateway), not between services; rewrite in the application, or ${OTHER_MESHES}`);
  }
  if (r.action.kind === "redirect") {
    tx.unsupportedFeature(p, r.action.pointer, "redirect",
      `redirect: ${m} VirtualRouter routes can only forward to weightedTargets, not answer with a redirect; redirect in the application, or ${OTHER_MESHES}`);
    return false;
  }
  if (r.action.kind === "directResponse") {
    tx.unsupportedFeature(p, r.action.pointer, "directResponse",
      `directResponse: ${m} VirtualRouter routes can only forward to weightedTargets, not answer directly; answer in the application, or ${OTHER_MESHES}`);
    return false;
  }
  return !r.source;
}

/**
 * Reports destination-level settings App Mesh cannot express (loadBalancer, rateLimit), and a subset's
 * own loadBalancer or connectionPool: App Mesh enforces connection pools in the destination pods' own
 * Envoys (VirtualNode listeners[].connectionPool, for the VirtualNode the pods belong to), and a subset's
 * routing VirtualNode has no pods of its own, so a pool for the requests routed to one subset has no place.
 */
export function checkDestinationFeatures(tx: Tx, v: DestinationView): void {
  const m = tx.mesh;
  for (const s of v.subsetSettings) {
    if (s.loadBalancer) {
      tx.unsupportedFeature(s.loadBalancer.policy, s.loadBalancer.pointer, "loadBalancer",
        `loadBalancer: ${m} does not expose Envoy's load-balancing policy, for a service or for one of its subsets; remove it for --mesh appmesh, or ${OTHER_MESHES}`);
    }
    if (s.connectionPool) {
      tx.unsupportedValue(s.connectionPool.policy, s.connectionPool.pointer, "connectionPool",
        `connectionPool: ${m} applies connection pools in each destination pod's own Envoy (VirtualNode listeners[].connectionPool of the node its pods belong to, ${v.namespace}/${v.service}), for all requests; the routing VirtualNode of subset ${s.subset.name} has no pods of its own, so a pool for the requests routed to that subset cannot be expressed; remove it, or ${OTHER_MESHES}`);
    }
  }
  if (v.loadBalancer) {
    tx.unsupportedFeature(v.loadBalancer.policy, v.loadBalancer.pointer, "loadBalancer",
      `loadBalancer: ${m} does not expose Envoy's load-balancing policy (no field on VirtualNode or VirtualRouter); remove it for --mesh appmesh, or ${OTHER_MESHES}`);
  }
  if (v.rateLimit) {
    tx.unsupportedFeature(v.rateLimit.policy, v.rateLimit.pointer, "rateLimit",
      `rateLimit: ${m} has no rate limiting (aws/aws-app-mesh-roadmap#107); limit in the application, or use --mesh linkerd (HTTPLocalRateLimitPolicy)`);
  }
}
