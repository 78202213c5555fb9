/**
 * Routes on TCP ports (a MeshService port with `protocol: tcp`). Istio applies `VirtualService.http[]`
 * only to HTTP traffic, so an http route would silently not apply there. For TCP ports the adapter writes
 * `VirtualService.tcp[]` (istio/api `networking/v1alpha3/virtual_service.proto` `TCPRoute`: `match[]`
 * {port, sourceLabels, sourceNamespace}, `route[]` {destination, weight}), which carries the `split` (and
 * `trafficSource`) of a route and nothing else:
 *
 * - a route for a TCP port (`destination.port` declared tcp): HTTP match conditions, redirect,
 *   directResponse and HTTP-only settings (timeout, retries with attempts > 0, faultInjection, mirror,
 *   headers, a split target's headers, cors, rewrite) cannot apply to TCP: error;
 * - a route for every port of a service that has TCP ports: with HTTP match conditions it matches no
 *   TCP connection anyway; when it matches every request and only splits, it is also written as a tcp
 *   route for each TCP port; when it matches every request but has HTTP-only parts, it applies to the
 *   HTTP ports only, which is reported as a warning.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { exposedPorts, isCatchAll } from "../../../api/model.js";
import type { HTTPMatchRequest, TCPRoute } from "../resources.js";
import type { DestinationContext } from "./types.js";

/** The declared TCP Service ports of the destination (not its pod-only ports: no route reaches them). */
export function tcpPorts(dc: DestinationContext): number[] {
  return exposedPorts(dc.view.facts.ports ?? [])
    .filter((p) => p.protocol === "tcp")
    .map((p) => p.port)
    .sort((a, b) => a - b);
}

/** True when the route is for one declared TCP port (and so gets no http route). */
export function isTcpRoute(r: EffectiveRoute, dc: DestinationContext): boolean {
  return r.port !== undefined && tcpPorts(dc).includes(r.port);
}

/** HTTP-only parts of a route, as pointer → name. */
function httpOnly(r: EffectiveRoute): [string, string][] {
  const out: [string, string][] = [];
  if (!isCatchAll(r)) out.push([r.match!.pointer, "match conditions"]);
  if (r.action.kind !== "split") out.push([r.action.pointer, r.action.kind]);
  if (r.timeout) out.push([r.timeout.pointer, "timeout"]);
  if (r.retries && r.retries.value.attempts > 0) out.push([r.retries.pointer, "retries"]);
  for (const k of ["faultInjection", "mirror", "headers", "cors", "rewrite"] as const) {
    const v = r[k];
    if (v) out.push([v.pointer, k]);
  }
  if (r.action.kind === "split") for (const t of r.action.targets) if (t.headers) out.push([t.headers.pointer, "headers"]);
  return out;
}

/**
 * The tcp routes of one model route (`[]` when none), reporting what TCP cannot carry.
 * @param sources the source part of each match entry (see trafficSource.ts)
 */
export function tcpRoutes(r: EffectiveRoute, dc: DestinationContext, sources: Pick<HTTPMatchRequest, "sourceLabels" | "sourceNamespace">[]): TCPRoute[] {
  const ports = tcpPorts(dc);
  if (!ports.length || !sources.length) return [];
  const bad = httpOnly(r);
  if (isTcpRoute(r, dc)) {
    for (const [ptr, what] of bad) {
      dc.ic.report(r.policy, ptr, {
        feature: "split",
        kind: "unsupported-value",
        what: "tcp-port",
        severity: "error",
        message: `port ${r.port} of ${dc.view.namespace}/${dc.view.service} is declared tcp: Istio routes TCP connections with VirtualService tcp routes, which have no ${what}; remove it or declare the port http`,
      });
    }
    if (bad.length) return [];
    noteName(r, dc);
    return [tcpRoute(r, dc, r.port!, sources)];
  }
  // A route for every port: with HTTP conditions it matches no TCP connection (nothing to write).
  if (r.port !== undefined || !isCatchAll(r)) return [];
  if (bad.length) {
    dc.ic.report(r.policy, r.pointer, {
      feature: "split",
      kind: "unsupported-value",
      what: "tcp-port",
      severity: "warning",
      message: `this route has HTTP-only parts (${bad.map((b) => b.at(1)).join(", ")}), so on the tcp port(s) ${ports.join(", ")} of ${dc.view.namespace}/${dc.view.service} it does not apply; Istio applies it to the HTTP ports only`,
    });
    return [];
  }
  noteName(r, dc);
  return ports.map((p) => tcpRoute(r, dc, p, sources));
}

/**
 * `Route.name` on a tcp route: Istio's `TCPRoute` has no `name` (only `HTTPRoute.name` exists), so the
 * name appears in the http route only; said in an info (it names nothing that changes traffic).
 */
function noteName(r: EffectiveRoute, dc: DestinationContext): void {
  if (!r.name) return;
  dc.ic.report(r.policy, `${r.pointer}/name`, {
    feature: "split",
    kind: "unsupported-value",
    what: "name",
    severity: "info",
    message: `name: Istio VirtualService tcp routes have no name (TCPRoute has match and route only), so the tcp route${r.port === undefined ? "s" : ""} of this route on ${dc.view.namespace}/${dc.view.service} carry no name; it only labels the route, traffic is unchanged`,
  });
}

function tcpRoute(r: EffectiveRoute, dc: DestinationContext, port: number, sources: Pick<HTTPMatchRequest, "sourceLabels" | "sourceNamespace">[]): TCPRoute {
  const host = dc.ic.host(dc.view.service, dc.view.namespace);
  const targets = r.action.kind === "split" ? r.action.targets : [];
  return {
    match: sources.map((s) => ({ port, ...s })),
    route: targets.map((t) => ({
      destination: {
        host: t.service ? dc.ic.host(t.service, dc.view.namespace) : host,
        ...(t.subset ? { subset: t.subset.name } : {}),
        port: { number: t.port ?? port },
      },
      ...(targets.length > 1 ? { weight: t.weight } : {}),
    })),
  };
}
