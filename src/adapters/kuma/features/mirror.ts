/**
 * Feature `mirror` → `MeshHTTPRoute` filter `RequestMirror` {backendRef: MeshService + port, percentage}.
 * A subset of the mirror's service is the Service `<service>-<subset>` (see split.ts).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { exposedPorts } from "../../../api/model.js";
import { type DestinationContext, backendPort } from "../context.js";
import type { HttpRouteFilter } from "../resources.js";
import { subsetServiceName } from "./split.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const mirror: FeatureModule = featureModule("mirror", () =>
  full("MeshHTTPRoute filter RequestMirror {backendRef, percentage}", "a subset is the Service <service>-<subset>"),
);

/** Kuma percentages are int-or-string: integers as numbers, decimals as text. */
export function percentage(p: number): string {
  return String(p);
}

/** The RequestMirror filter of a route. */
export function mirrorFilter(dc: DestinationContext, r: EffectiveRoute, entryPort?: number): HttpRouteFilter[] {
  const m = r.mirror;
  if (!m) return [];
  const { view, kc } = dc;
  const svc = m.value.serviceResolved;
  const self = svc.name === view.service && svc.namespace === view.namespace;
  let port = m.value.port ?? (self ? (entryPort ?? backendPort(view, r.port)) : undefined);
  if (port === undefined && !self) {
    const ports = exposedPorts(kc.model.servicePorts(svc.namespace, svc.name));
    if (ports.length === 1 && ports[0].declared) port = ports[0].port;
  }
  if (port === undefined) {
    kc.report(r.policy, m.pointer, {
      feature: "mirror",
      kind: "missing-fact",
      what: "port",
      severity: "error",
      message: `Kuma's RequestMirror backendRef needs the port of ${svc.namespace}/${svc.name}: set mirror.port, or declare the service's one port in a MeshService`,
    });
    return [];
  }
  if (m.value.subset && !m.value.subsetResolved) {
    kc.report(r.policy, `${m.pointer}/subset`, {
      feature: "mirror",
      kind: "unsupported-value",
      what: "subset",
      severity: "error",
      message: `Kuma mirrors to Services, and a subset of another service (${svc.namespace}/${svc.name}) has no Service name unimesh knows; mirror to a Service that selects those pods`,
    });
    return [];
  }
  const name = m.value.subsetResolved ? subsetServiceName(svc.name, m.value.subsetResolved.name) : svc.name;
  return [
    {
      type: "RequestMirror",
      requestMirror: {
        backendRef: { kind: "MeshService", name, ...(svc.namespace !== view.namespace ? { namespace: svc.namespace } : {}), port },
        ...(m.value.percent !== undefined && m.value.percent !== 100 ? { percentage: percentage(m.value.percent) } : {}),
      },
    },
  ];
}
