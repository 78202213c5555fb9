/**
 * Routing and traffic policy at waypoints (Istio ambient mode): a destination with TrafficPolicies is
 * served through its namespace's waypoint (ambient/waypoint.ts), which reads
 *
 * - Gateway API routes with the Service as `parentRef` ("Attach to a specific service",
 *   istio.io `content/en/docs/ambient/usage/l7-features/index.md`: `HTTPRoute` Beta, `parentRefs`
 *   Service, e.g. reviews → `reviews-v1` 90 / `reviews-v2` 10). They are built by the Gateway API
 *   adapter's GAMMA translation ({@link gammaRoutes}, one implementation for both adapters): matches,
 *   splits (a subset is the Service `<service>-<subset>`, as istio.io's bookinfo-versions.yaml has
 *   `reviews-v1`...`reviews-v3`), timeouts, retries, mirrors, header changes, rewrites, redirects, CORS;
 * - `DestinationRule` traffic policy (outlier detection, connection pool, load balancing) for the
 *   Service and for each subset's Service (a split target's Service is its own host at the waypoint).
 *   Waypoints apply it (istio/istio `tests/integration/ambient/baseline_test.go` runs DestinationRule
 *   connectionPool / TLS cases through waypoints); istio.io calls these classic APIs Alpha in ambient
 *   mode, which a warning says.
 *
 * Which route fields a waypoint honors depends on the Istio release: istiod converts HTTPRoute rules to
 * its internal routes (istio/istio `pilot/pkg/config/kube/gateway/conversion.go` at each tag) and ignores
 * what its conversion does not read. Read at the tags 1.22.0 ... 1.30.0:
 *
 * | field | Istio |
 * |---|---|
 * | `rules[].timeouts` {request, backendRequest} | 1.22+ |
 * | `RequestMirror` `percent` / `fraction` | 1.24+ (1.22-1.23 mirror every request) |
 * | `rules[].retry` {attempts, codes} | 1.25+ (istio/istio#54800; earlier releases ignore it) |
 * | `rules[].retry.backoff` | 1.26+ (1.25: "Istio does not currently implement the Backoff field") |
 * | `CORS` filter | 1.26+ |
 *
 * and the fields must be in the cluster's Gateway API CRDs: the release each Istio version is built
 * against (`sigs.k8s.io/gateway-api` in istio/istio `go.mod`, the CRDs istio.io tells users to
 * install), in the channel of the `channel` setting (standard by default; `retry` is experimental only).
 *
 * A destination whose routes inject faults or answer directly (HTTPRoute has neither) gets a VirtualService
 * instead of HTTPRoutes (ambient/virtualService.ts). What neither has a field for is an error at its
 * field: local rate limits (an EnvoyFilter, which istio.io says waypoints do not support), source-specific
 * routes (a route attached to a Service applies to every caller; waypoints drop VirtualService
 * `sourceLabels`).
 */
import type { KubeObject } from "../../../api/adapter.js";
import { compareVersions } from "../../../api/versions.js";
import { type FeatureModule, full, partial, refusedFeature } from "../../../api/feature-module.js";
import type { DestinationView, EffectiveRoute } from "../../../api/model.js";
import { adapterCode } from "../../shared/report.js";
import { type GatewayContext, type RouteReader, createContext as gatewayContext } from "../../shared/gamma/context.js";
import { subsetServiceName } from "../../shared/gamma/features/split.js";
import type { CrossNamespaceRef } from "../../shared/gamma/features/mirror.js";
import { gammaRoutes } from "../../shared/gamma/routes.js";
import { type Channel, type GatewayField, CHANNELS, hasField, whereAvailable } from "../../shared/gamma/versions.js";
import type { IstioContext } from "../context.js";
import type { DestinationRuleSet } from "../destinationRules.js";
import { applyConnectionPool } from "../features/connectionPool.js";
import { applyLoadBalancer } from "../features/loadBalancer.js";
import { applyOutlierDetection } from "../features/outlierDetection.js";
import type { DestinationContext } from "../features/types.js";

/** The Gateway API release each Istio minor is built against (`sigs.k8s.io/gateway-api` in istio/istio `go.mod` at `<minor>.0`). */
export const GATEWAY_API_OF_ISTIO: Readonly<Record<string, string>> = {
  "1.22": "1.1",
  "1.23": "1.1",
  "1.24": "1.2",
  "1.25": "1.2",
  "1.26": "1.3",
  "1.27": "1.3",
  "1.28": "1.4",
  "1.29": "1.4",
  "1.30": "1.5",
};

/** The first Istio minor whose HTTPRoute conversion reads a field (absent: every supported minor). */
export const ISTIO_READS_SINCE: Readonly<Partial<Record<GatewayField, string>>> = {
  "HTTPRequestMirrorFilter.percent": "1.24",
  "HTTPRoute.rules[].retry": "1.25",
  "HTTPRoute.rules[].retry.backoff": "1.26",
  "HTTPRouteFilter.cors": "1.26",
};

/** The Gateway API release of an Istio minor (the newest known for a newer minor). */
export function gatewayApiOf(istio: string): string {
  return GATEWAY_API_OF_ISTIO[istio] ?? Object.values(GATEWAY_API_OF_ISTIO).sort(compareVersions).pop()!;
}

/** True when Istio `version`'s waypoints honor `field` written in a Gateway API `release`/`channel` route. */
export function waypointHas(version: string, channel: Channel, field: GatewayField): boolean {
  const since = ISTIO_READS_SINCE[field];
  return hasField(gatewayApiOf(version), channel, field) && (since === undefined || compareVersions(version, since) >= 0);
}

/** The routes' reader for Istio `version` (see the module doc); a bad `channel` value is an error (standard is used). */
export function waypointReader(ic: IstioContext): RouteReader {
  let channel = (ic.ctx.options.settings?.channel ?? "standard") as Channel;
  if (!CHANNELS.includes(channel)) {
    ic.ctx.reportGlobal({
      code: adapterCode("unsupported-value", undefined, "settings.channel"),
      severity: "error",
      message: `setting channel "${channel}" is not a Gateway API release channel; use standard or experimental`,
    });
    channel = "standard";
  }
  const gw = gatewayApiOf(ic.version);
  const release = `Istio ${ic.version} waypoints (Gateway API ${gw}, ${channel} channel)`;
  return {
    version: gw,
    channel,
    release,
    has: (field) => waypointHas(ic.version, channel, field),
    needs: (field) => {
      if (!hasField(gw, channel, field)) {
        return `${field} is not in the Gateway API ${gw} CRDs (${channel} channel) that Istio ${ic.version} is built against; it is in ${whereAvailable(field)}`;
      }
      return `Istio ${ic.version} does not read ${field} at waypoints (istiod's HTTPRoute conversion ignores it; read from Istio ${ISTIO_READS_SINCE[field]})`;
    },
    regexPaths: `Istio ${ic.version} waypoints: RE2 over the whole path`,
    withoutRetry: `Istio's waypoint applies Istio's default retry policy (2 retries on connect-failure, refused-stream, unavailable, cancelled and 503: istio/istio pilot/pkg/networking/core/route/retry, meshConfig.defaultHttpRetryPolicy)`,
  };
}

/** The Gateway API context of an ambient translation (the GAMMA feature modules report through it). */
export function waypointGatewayContext(ic: IstioContext): GatewayContext {
  return gatewayContext(ic.model, ic.ctx, waypointReader(ic));
}

/**
 * Reports what waypoint routes cannot express (errors) and returns the destination's routes to write:
 * a source-specific route is left out (reported), the others are kept (their refused parts reported).
 */
export function waypointRouteRefusals(ic: IstioContext, v: DestinationView): EffectiveRoute[] {
  const kept: EffectiveRoute[] = [];
  for (const r of v.routes) {
    // Fault injection and direct responses: a VirtualService (ambient/virtualService.ts).
    if (r.source) {
      ic.report(r.policy, r.source.pointer, {
        feature: "trafficSource",
        kind: "unsupported-feature",
        what: "waypoint",
        severity: "error",
        message: `source at a waypoint: an HTTPRoute attached to a Service (parentRefs Service) applies to every caller, and HTTPRoute matches have no caller identity or labels; remove source, or translate for the sidecar data plane (--set dataplane=sidecar)`,
      });
      continue;
    }
    kept.push(r);
  }
  if (v.rateLimit) {
    ic.report(v.rateLimit.policy, v.rateLimit.pointer, {
      feature: "rateLimit",
      kind: "unsupported-feature",
      what: "waypoint",
      severity: "error",
      message: `rateLimit at a waypoint: Gateway API has no rate limit, and Istio's local rate limit is an EnvoyFilter, which istio.io marks Alpha for waypoints (targetRefs; docs/ambient/usage/l7-features); translate for the sidecar data plane (--set dataplane=sidecar)`,
    });
  }
  return kept;
}

/** The waypoint routes of one destination (HTTPRoute / GRPCRoute with the Service as parentRef). */
export function waypointRoutes(gc: GatewayContext, v: DestinationView, routes: EffectiveRoute[], refs: CrossNamespaceRef[]): KubeObject[] {
  return gammaRoutes(gc, v, routes, refs);
}

/**
 * The destination's traffic policy (outlier detection, connection pool, load balancing) in the
 * DestinationRule of its Service and of every subset's Service (`<service>-<subset>`, the hosts the
 * waypoint sends split traffic to): a subset's own settings (`subsetSettings`) replace the destination's
 * setting of the same kind there, as `subsets[].trafficPolicy` overrides it in sidecar mode.
 */
export function waypointDestinationRules(dc: DestinationContext, drs: DestinationRuleSet): void {
  const { ic, view: v } = dc;
  const dr = drs.get(v.namespace, v.service);
  for (const apply of [applyOutlierDetection, applyConnectionPool, applyLoadBalancer]) apply(dc, dr);
  const names = new Set<string>([...v.subsets.map((s) => s.name), ...dr.subsetPolicies.keys()]);
  for (const name of [...names].sort()) {
    const subset = v.subsets.find((s) => s.name === name) ?? v.subsetSettings.find((s) => s.subset.name === name)?.subset;
    if (!subset) continue;
    const own = dr.subsetPolicies.get(name) ?? {};
    const tp = { ...dr.trafficPolicy, ...own };
    if (!Object.keys(tp).length) continue;
    const d = drs.get(v.namespace, subsetServiceName(v.service, subset));
    d.trafficPolicy = tp;
    for (const id of dr.policies) d.policies.add(id);
  }
  dr.subsetPolicies.clear();
  const kinds = ["outlierDetection", "connectionPool", "loadBalancer"] as const;
  const first = [...kinds.map((k) => [k, v[k]] as const), ...v.subsetSettings.flatMap((s) => kinds.map((k) => ["subsetSettings", s[k]] as const))].find(
    ([, x]) => x !== undefined,
  );
  if (first?.[1]) {
    ic.report(first[1].policy, first[1].pointer, {
      feature: first[0],
      kind: "note",
      what: "waypoint-destination-rule",
      severity: "warning",
      message: `${v.namespace}/${v.service}'s traffic policy is a DestinationRule applied by its waypoint: istio.io marks Istio's classic traffic-management APIs (DestinationRule) Alpha in ambient mode (docs/ambient/usage/l7-features)`,
    });
  }
}

/** Traffic policy at waypoints (DestinationRule) and what waypoint routes refuse, per feature. */
export const ROUTE_FEATURES: readonly FeatureModule[] = [
  {
    features: ["faultInjection", "directResponse"],
    capabilities: () => ({
      faultInjection: full(
        "VirtualService.http[].fault {delay, abort}.percentage for the Service's host, read by its waypoint (the destination's routes are then a VirtualService, not HTTPRoutes)",
        "VirtualService with waypoints is Alpha (istio.io), a warning; injected at the waypoint; not on redirect/directResponse routes",
      ),
      directResponse: full(
        "VirtualService.http[].directResponse read by the waypoint; a final catch-all 404 without body (answer 404 for the rest) is the HTTPRoute's own answer to unmatched requests",
        "VirtualService with waypoints is Alpha (istio.io), a warning",
      ),
    }),
  },
  refusedFeature("rateLimit", "A local rate limit is an EnvoyFilter, Alpha at waypoints."),
  refusedFeature("trafficSource", "An HTTPRoute attached to a Service applies to every caller."),
  {
    features: ["outlierDetection", "connectionPool", "loadBalancer"],
    capabilities: () => ({
      outlierDetection: full("DestinationRule.trafficPolicy.outlierDetection, applied by the waypoint", "DestinationRule is Alpha in ambient mode (istio.io)."),
      connectionPool: full(
        "DestinationRule.trafficPolicy.connectionPool {tcp, http}, applied by the waypoint",
        "DestinationRule is Alpha in ambient mode (istio.io).",
      ),
      loadBalancer: partial(
        "DestinationRule.trafficPolicy.loadBalancer {simple, consistentHash}, applied by the waypoint",
        "cookie hashing needs a ttl (Istio requires httpCookie.ttl); DestinationRule is Alpha in ambient mode (istio.io).",
      ),
    }),
  },
  {
    features: ["subsetSettings"],
    capabilities: () => ({
      subsetSettings: full(
        "DestinationRule of the subset's Service <service>-<subset> (the waypoint's split backend)",
        "DestinationRule is Alpha in ambient mode (istio.io).",
      ),
    }),
  },
];
