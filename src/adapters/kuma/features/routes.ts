/**
 * The destination's routes → ONE `MeshHTTPRoute` (producer policy in the destination's namespace:
 * `targetRef: Mesh`, `to: [{targetRef: MeshService (+ sectionName for one port of several)}]`), its rules in
 * the model's order with their matches (match.ts), backendRefs (split.ts) and filters (headers, redirect,
 * rewrite, mirror). Kuma sorts the rules itself (match.ts `checkOrder` reports orders it would change) and
 * sends requests no rule matches to the MeshService unchanged, as the model does. Routes of a declared TCP
 * port → `MeshTCPRoute` (backendRefs only). Routes for different ports of one destination are not merged
 * into one MeshHTTPRoute: an error.
 * @see https://kuma.io/docs/2.14.x/policies/meshhttproute/
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { exposedPorts } from "../../../api/model.js";
import { dnsLabel } from "../../../api/names.js";
import { type DestinationContext, backendPort, serviceTarget } from "../context.js";
import { type HttpRouteFilter, type HttpRouteRule, KUMA_V1ALPHA1, type KumaObject, type TargetRef } from "../resources.js";
import { headerFilters } from "./headers.js";
import { checkOrder, kumaMatch } from "./match.js";
import { mirrorFilter } from "./mirror.js";
import { redirectFilter } from "./redirect.js";
import { rewriteFilter } from "./rewrite.js";
import { backendRefs, subsetServicesNote } from "./split.js";
import { refuseCors } from "./cors.js";
import { refuseDirectResponse } from "./directResponse.js";
import { refuseTrafficSource } from "./trafficSource.js";

/**
 * The `to[].targetRef` every outbound policy of the destination uses (the port of its TrafficPolicies),
 * or undefined when it cannot be told (reported).
 */
export function destinationTarget(dc: DestinationContext): { ref: TargetRef; port?: number } | undefined {
  const { view, kc } = dc;
  const ports = [...new Set(view.trafficPolicies.map((p) => p.doc.spec.destination.port))];
  if (ports.length > 1) {
    for (const p of view.trafficPolicies) {
      kc.report(p, "/spec/destination/port", {
        kind: "unsupported-value",
        what: "several-ports",
        severity: "error",
        message: `the TrafficPolicies of ${view.namespace}/${view.service} are for different ports (${ports.map((x) => x ?? "all").join(", ")}); unimesh gives a Kuma MeshService one set of outbound policies: write them for one port, or for the whole service`,
      });
    }
    return undefined;
  }
  const port = ports[0];
  const t = serviceTarget(view, port);
  const p = view.trafficPolicies[0];
  if (!t) {
    kc.report(p, "/spec/destination/port", {
      kind: "missing-fact",
      what: "port-name",
      severity: "error",
      message: `Kuma names one port of a MeshService by its name (targetRef sectionName: the port's name, or its number when unnamed); declare the ports of ${view.namespace}/${view.service} (port ${port} with its name) in a MeshService`,
    });
    return undefined;
  }
  if (t.guessed) {
    kc.report(p, "/spec/destination/port", {
      kind: "note",
      what: "undeclared-ports",
      severity: "warning",
      message: `the ports of ${view.namespace}/${view.service} are not declared, so Kuma's outbound policies for it target the whole MeshService (every port), not port ${port} alone (Kuma names a port by its name, which unimesh does not know); declare the service's ports in a MeshService to limit them to port ${port}`,
    });
  }
  return { ref: t.ref, port };
}

/**
 * The `to` entries of the routes: the destination's target and port, or, for policies of a whole service
 * with several declared ports, one entry per port (`sectionName` its name, or number when unnamed).
 */
function portEntries(dc: DestinationContext, target: { ref: TargetRef; port?: number }): { ref: TargetRef; port?: number }[] {
  const { view } = dc;
  const ports = exposedPorts(view.ports);
  if (target.port !== undefined || !view.portsDeclared || ports.length < 2) return [{ ref: target.ref, port: backendPort(view, target.port) }];
  const tcp = ports.filter((p) => p.protocol === "tcp");
  if (tcp.length) {
    dc.kc.report(view.trafficPolicies[0], "/spec/destination", {
      feature: "split",
      kind: "unsupported-value",
      what: "tcp-port",
      severity: "error",
      message: `the routes of ${view.namespace}/${view.service} apply to all its ports, and port ${tcp.map((p) => p.port).join(", ")} is TCP: Kuma routes TCP ports with MeshTCPRoute (no matches, no filters), not MeshHTTPRoute; write the policy for one port (destination.port)`,
    });
  }
  return ports.map((p) => ({ ref: { ...target.ref, sectionName: p.name ?? String(p.port) }, port: p.port }));
}

/** True when the routes concern declared TCP ports only. */
function isTcp(dc: DestinationContext, port: number | undefined): boolean {
  const ports = exposedPorts(dc.view.ports).filter((p) => port === undefined || p.port === port);
  return dc.view.portsDeclared && ports.length > 0 && ports.every((p) => p.protocol === "tcp");
}

/** The rule of one model route (no backendRefs: Kuma's default backend, the MeshService). */
function rule(dc: DestinationContext, r: EffectiveRoute, m: ReturnType<typeof kumaMatch>, port: number | undefined): HttpRouteRule {
  refuseTrafficSource(dc, r);
  refuseCors(dc, r);
  refuseDirectResponse(dc, r);
  const filters: HttpRouteFilter[] = [];
  const out: HttpRouteRule = { matches: [m.match], default: {} };
  if (r.action.kind === "redirect") filters.push(redirectFilter(r.action.redirect));
  else if (r.action.kind === "split") {
    const refs = backendRefs(dc, r, r.action.targets, r.action.pointer, port);
    if (refs) out.default.backendRefs = refs;
  }
  filters.push(...headerFilters(dc, r), ...rewriteFilter(dc, r));
  if (r.action.kind === "split") filters.push(...mirrorFilter(dc, r, port));
  if (filters.length) out.default.filters = filters;
  return out;
}

/**
 * The destination's MeshHTTPRoute(s) or MeshTCPRoute. `perRoute`: one MeshHTTPRoute per model route
 * (`<service>-<policy>-<route>`), so that route-specific MeshTimeout and MeshRetry entries can target it;
 * `names` then holds each route's object name. Otherwise one MeshHTTPRoute `<service>`, none when no rule
 * changes anything (Kuma's default route already sends every request to the MeshService).
 */
export function routePolicies(
  dc: DestinationContext,
  target: { ref: TargetRef; port?: number },
  perRoute: boolean,
): { objects: KumaObject[]; names?: string[] } {
  const { view, kc } = dc;
  const routes = view.routes;
  if (!routes.length) return { objects: [] };
  if (isTcp(dc, target.port)) {
    const r = routes[0];
    if (r.action.kind !== "split") return { objects: [] };
    const refs = backendRefs(dc, r, r.action.targets, r.action.pointer);
    if (!refs) return { objects: [] };
    return {
      objects: [
        {
          apiVersion: KUMA_V1ALPHA1,
          kind: "MeshTCPRoute",
          metadata: kc.meta(dnsLabel(view.service), view.namespace, view.trafficPolicies),
          spec: { targetRef: { kind: "Mesh" }, to: [{ targetRef: target.ref, rules: [{ default: { backendRefs: refs } }] }] },
        },
      ],
    };
  }
  const matches = routes.map(kumaMatch);
  checkOrder(dc, routes, matches, !perRoute);
  subsetServicesNote(dc);
  // Policies for every port of a service with several declared ports: one `to` entry per port, since a
  // MeshService backendRef names one port (kuma `resolve/backendref.go`: the port is its sectionName).
  const entries = portEntries(dc, target);
  const object = (name: string, from: EffectiveRoute["policy"][], pick: (i: number) => boolean): KumaObject => ({
    apiVersion: KUMA_V1ALPHA1,
    kind: "MeshHTTPRoute",
    metadata: kc.meta(name, view.namespace, from),
    spec: {
      targetRef: { kind: "Mesh" },
      to: entries.map((e) => ({ targetRef: e.ref, rules: routes.flatMap((r, i) => (pick(i) ? [rule(dc, r, matches[i], e.port)] : [])) })),
    },
  });
  const rules = routes.map((r, i) => rule(dc, r, matches[i], entries[0].port));
  if (perRoute) {
    const names = routes.map((r) => dnsLabel(view.service, r.policy.name, r.index === null ? undefined : (r.name ?? String(r.index))));
    return { objects: routes.map((r, i) => object(names[i], [r.policy], (j) => j === i)), names };
  }
  // A table that only sends everything to the service unchanged is Kuma's own default route: no object.
  if (rules.every((x) => !x.default.backendRefs && !x.default.filters) && routes.every((r) => r.action.kind === "split")) return { objects: [] };
  return { objects: [object(dnsLabel(view.service), view.trafficPolicies, () => true)] };
}
