/**
 * Feature `split` → `HTTPRoute.rules[].backendRefs[]` {name, port, weight} (Gateway API `HTTPBackendRef`,
 * `GRPCBackendRef`; GAMMA: a Service parentRef's rules send to Service backends).
 *
 * Gateway API splits traffic between Services, never between pod label subsets: a split target with a
 * subset goes to the Service `<service>-<subset>` (same namespace, same port), the convention of GAMMA
 * canaries (Flagger's `<app>-primary` / `<app>-canary`). unimesh does not create Services: an info
 * diagnostic names each one that must exist (selecting the subset's pods, with the destination's ports).
 * A target that is another Service (`split[].service`) is that Service's backendRef ("10% of web to
 * web-next", as Gateway API's mesh conformance tests route `echo` to `echo-v1`/`echo-v2`).
 * `weight` is written when a rule has several backends (Gateway API's default weight is 1 each).
 */
import type { DestinationView, EffectiveRoute, ResolvedTarget, Subset } from "../../../../api/model.js";
import { canonicalJson } from "../../../../api/model.js";
import { dnsLabel } from "../../../../api/names.js";
import { type FeatureModule, full } from "../../../../api/feature-module.js";
import type { GatewayContext } from "../context.js";
import type { BackendRef } from "../resources.js";
import { backendHeaderFilters } from "./headers.js";

/** The Service that stands for a subset: `<service>-<subset>` (a DNS-1123 label). */
export function subsetServiceName(service: string, subset: Subset): string {
  return dnsLabel(service, subset.name);
}

/** The backendRefs of a split route on `port` (keys sorted: filters, name, port, weight). */
export function backendRefs(gc: GatewayContext, v: DestinationView, r: EffectiveRoute, targets: ResolvedTarget[], port: number, grpc: boolean): BackendRef[] {
  const out: BackendRef[] = [];
  for (const t of targets) {
    const ref = {} as BackendRef;
    const filters = backendHeaderFilters(gc, r, t, grpc);
    if (filters.length) ref.filters = filters;
    ref.name = t.subset ? subsetServiceName(v.service, t.subset) : (t.service ?? v.service);
    ref.port = t.port ?? port;
    if (targets.length > 1) ref.weight = t.weight;
    out.push(ref);
  }
  return out;
}

/** True when a route forwards every request to the destination Service itself, on the same port, unchanged. */
export function isPlainForward(r: EffectiveRoute, port: number): boolean {
  if (r.action.kind !== "split") return false;
  const t = r.action.targets;
  return t.length === 1 && !t[0].subset && !t[0].service && !t[0].headers && (t[0].port ?? port) === port;
}

/** Info: the Services that must exist for the subsets this destination's routes and mirrors send to. */
export function reportSubsetServices(gc: GatewayContext, v: DestinationView, routes: EffectiveRoute[]): void {
  const used = new Map<string, { subset: Subset; route: EffectiveRoute; pointer: string }>();
  for (const r of routes) {
    if (r.action.kind === "split") {
      r.action.targets.forEach((t, i) => {
        if (t.subset && !used.has(t.subset.name)) {
          const pointer = `${r.action.pointer}${r.index !== null && r.action.pointer.endsWith("/split") ? `/${i}` : ""}`;
          used.set(t.subset.name, { subset: t.subset, route: r, pointer });
        }
      });
    }
  }
  if (!used.size) return;
  const uses = [...used.values()].sort((a, b) => (a.subset.name < b.subset.name ? -1 : 1));
  const list = uses
    .map(({ subset }) => `${subsetServiceName(v.service, subset)} (selector ${canonicalJson({ ...v.facts.selector, ...subset.labels })})`)
    .join(", ");
  const first = [...used.values()][0];
  gc.report(first.route.policy, first.pointer, {
    feature: "split",
    kind: "note",
    severity: "info",
    message: `Gateway API routes send traffic to Services, not pod subsets: the subsets of ${v.namespace}/${v.service} are reached through the Services ${list} in namespace ${v.namespace}, with the same ports as ${v.service}. They must exist: unimesh does not create or change Services`,
  });
}

/** `split`: backendRefs to Services. */
export const splitFeature: FeatureModule = {
  features: ["split"],
  capabilities: () => ({ split: full("rules[].backendRefs[] {name, port, weight}", "Subsets are Services named <service>-<subset>, which must exist.") }),
};
