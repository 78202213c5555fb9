/**
 * Feature `mirror` → `rules[].filters[]` `RequestMirror` {backendRef {name, namespace, port}, percent |
 * fraction} (Gateway API `HTTPRequestMirrorFilter`, extended support; GRPCRoute has it too).
 *
 * - The mirror's service (default: the destination) and port (default: the route's port); a subset →
 *   the Service `<service>-<subset>` (see split.ts).
 * - `percent` → `percent` (whole percents) or `fraction` (decimals: `12.5` → 125/1000); both need
 *   Gateway API 1.3 (standard) or 1.2 (experimental); 100 or omitted writes neither (every request).
 * - A mirror in another namespace needs that namespace's permission: a `ReferenceGrant` there (from
 *   HTTPRoute/GRPCRoute in the route's namespace to that Service), which unimesh emits.
 */
import type { DestinationView, EffectiveRoute } from "../../../../api/model.js";
import { type FeatureModule, full, partial } from "../../../../api/feature-module.js";
import { hasField, whereAvailable } from "../versions.js";
import type { GatewayContext } from "../context.js";
import type { RequestMirror, RouteFilter } from "../resources.js";
import { subsetServiceName } from "./split.js";

/** A Service in another namespace that a route refers to, for its ReferenceGrant. */
export interface CrossNamespaceRef {
  fromNamespace: string;
  fromKind: "HTTPRoute" | "GRPCRoute";
  namespace: string;
  service: string;
  route: EffectiveRoute;
}

/** The `RequestMirror` filter of a route on `port`, or undefined (no mirror, or reported). */
export function mirrorFilter(
  gc: GatewayContext,
  v: DestinationView,
  r: EffectiveRoute,
  port: number,
  grpc: boolean,
  refs: CrossNamespaceRef[],
): RouteFilter | undefined {
  const m = r.mirror;
  if (!m) return undefined;
  const svc = m.value.serviceResolved;
  const name = m.value.subsetResolved ? subsetServiceName(svc.name, m.value.subsetResolved) : m.value.subset ? undefined : svc.name;
  if (name === undefined) {
    gc.report(r.policy, `${m.pointer}/subset`, {
      feature: "mirror",
      kind: "unsupported-value",
      what: "subset",
      severity: "error",
      message: `Gateway API mirrors to a Service, not to pod subsets, and unimesh names a subset's Service (<service>-<subset>) only for subsets of the destination itself; mirror to a Service that selects these pods instead`,
    });
    return undefined;
  }
  const out: RequestMirror = { backendRef: { name, ...(svc.namespace !== v.namespace ? { namespace: svc.namespace } : {}), port: m.value.port ?? port } };
  const pct = m.value.percent;
  if (pct !== undefined && pct < 100) {
    if (!gc.has("HTTPRequestMirrorFilter.percent")) {
      gc.report(r.policy, `${m.pointer}/percent`, {
        feature: "mirror",
        kind: "unsupported-value",
        what: "percent",
        severity: "error",
        message: `mirroring a share of requests: ${gc.needs("HTTPRequestMirrorFilter.percent")}`,
      });
      return undefined;
    }
    if (Number.isInteger(pct)) out.percent = pct;
    else {
      const scale = 10 ** Math.min((String(pct).split(".")[1] ?? "").length, 6);
      out.fraction = { denominator: 100 * scale, numerator: Math.round(pct * scale) };
    }
  }
  if (svc.namespace !== v.namespace)
    refs.push({ fromNamespace: v.namespace, fromKind: grpc ? "GRPCRoute" : "HTTPRoute", namespace: svc.namespace, service: name, route: r });
  if (m.value.subsetResolved && m.value.serviceResolved.name === v.service) {
    gc.report(r.policy, `${m.pointer}/subset`, {
      feature: "mirror",
      kind: "note",
      what: "subset",
      severity: "info",
      message: `Gateway API mirrors to a Service, not a pod subset: the Service ${name} (selector of ${svc.name} plus the subset's labels, same ports) must exist; unimesh does not create Services`,
    });
  }
  return { requestMirror: out, type: "RequestMirror" };
}

/** `mirror`: the RequestMirror filter. */
export const mirrorFeature: FeatureModule = {
  features: ["mirror"],
  capabilities: (version) => ({
    mirror: hasField(version, "standard", "HTTPRequestMirrorFilter.percent")
      ? full(
          "rules[].filters[] RequestMirror {backendRef, percent | fraction}",
          "to a Service (a subset's: <service>-<subset>); another namespace gets a ReferenceGrant",
        )
      : partial("rules[].filters[] RequestMirror {backendRef}", `a share of requests (percent) needs ${whereAvailable("HTTPRequestMirrorFilter.percent")}`),
  }),
};
