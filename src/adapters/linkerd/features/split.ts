/**
 * Feature `split` → `HTTPRoute.rules[].backendRefs[]` {name, port, weight} (Gateway API
 * `HTTPBackendRef`; Linkerd `2-edge/reference/httproute.md`, dynamic request routing since 2.13).
 *
 * Linkerd splits traffic between Services, never between pod label subsets (no DestinationRule-like
 * object). A split target with a subset goes to the Service `<service>-<subset>` (same namespace, same
 * port): the convention of Linkerd canaries (Flagger's `<app>-primary`/`<app>-canary`, Linkerd's
 * traffic-shifting docs). unimesh does not create those Services: Services are user-owned (deploy them
 * with the subset's Deployment, selecting the subset's pod labels with the destination's ports), and
 * `unimesh apply` never creates `v1` objects. An info diagnostic names each Service that must exist.
 * A target that is another Service (`split[].service`) is that Service's backendRef, as in Linkerd's
 * dynamic request routing example (`backend-a-podinfo` traffic to `backend-b-podinfo`).
 * A target in another member of a virtual mesh goes to the Service Linkerd's service mirror creates for
 * it, `<service>-<member>` (crossCluster.ts).
 */
import type { DestinationView, EffectiveRoute, ResolvedTarget, Subset } from "../../../api/model.js";
import { canonicalJson } from "../../../api/model.js";
import { dnsLabel } from "../../../api/names.js";
import type { LinkerdContext } from "../context.js";
import type { BackendRef } from "../resources.js";
import { backendHeaderFilters } from "./headers.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import { routeVia } from "./match.js";
import { mirroredServiceName } from "./crossCluster.js";

/** What Linkerd can do of `split`, per version. */
export const splitFeature: FeatureModule = {
  features: ["split"],
  capabilities: (version) => ({
    split: full(
      `${routeVia(version)} rules[].backendRefs[].weight`,
      "Subsets are Services named <service>-<subset>, which must exist (unimesh does not create Services).",
    ),
  }),
};

/** Name of the Service that stands for a subset: `<service>-<subset>` (a DNS-1123 label). */
export function subsetServiceName(service: string, subset: Subset): string {
  return dnsLabel(service, subset.name);
}

/**
 * The backendRefs of a split route on port `port` of the destination; a target's header changes become
 * the backendRef's `filters` (features/headers.ts). Keys in sorted order (filters, name, port, weight).
 */
export function backendRefs(lc: LinkerdContext, v: DestinationView, r: EffectiveRoute, targets: ResolvedTarget[], port: number): BackendRef[] {
  const out: BackendRef[] = [];
  for (const t of targets) {
    const ref = {} as BackendRef;
    if (t.headers) {
      const filters = backendHeaderFilters(lc, r, t);
      if (filters.length) ref.filters = filters;
    }
    ref.name = t.cluster
      ? mirroredServiceName(t.service ?? v.service, t.cluster.name)
      : t.subset
        ? subsetServiceName(v.service, t.subset)
        : (t.service ?? v.service);
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
  return t.length === 1 && !t[0].subset && !t[0].service && !t[0].cluster && !t[0].headers && (t[0].port ?? port) === port;
}

/** Info: which Services must exist for the subsets this destination's routes split to. */
export function reportSubsetServices(lc: LinkerdContext, v: DestinationView, routes: EffectiveRoute[]): void {
  // The first route (and target) that uses each subset, in table order.
  const used = new Map<string, { subset: Subset; route: EffectiveRoute; index: number }>();
  for (const r of routes) {
    if (r.action.kind !== "split") continue;
    const targets = r.action.targets;
    for (let i = 0; i < targets.length; i++) {
      const s = targets[i].subset;
      if (s && !used.has(s.name)) used.set(s.name, { subset: s, route: r, index: i });
    }
  }
  if (!used.size) return;
  const uses = [...used.values()];
  const first = uses[0];
  const pointer = `${first.route.action.pointer}${first.route.index !== null && first.route.action.pointer.endsWith("/split") ? `/${first.index}` : ""}`;
  if (uses.length > 1) uses.sort((a, b) => (a.subset.name < b.subset.name ? -1 : 1));
  let list = "";
  for (const { subset } of uses) {
    list += `${list ? ", " : ""}${subsetServiceName(v.service, subset)} (selector ${canonicalJson({ ...v.facts.selector, ...subset.labels })})`;
  }
  lc.report(first.route.policy, pointer, {
    feature: "split",
    kind: "note",
    severity: "info",
    message: `Linkerd splits traffic between Services, not pod subsets: the subsets of ${v.namespace}/${v.service} are reached through the Services ${list} in namespace ${v.namespace}, with the same ports as ${v.service}. They must exist: unimesh does not create or change Services`,
  });
}
