/** `mirror` → `Route.mirror`: the service resolved (default: the destination), subset labels, percent (default 100). */
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `mirror` (format version 1). */
export const mirrorFeature: FeatureModule = {
  features: ["mirror"],
  capabilities: () => ({ mirror: full("Route.mirror") }),
};

export const mirror: RouteFeature = (r, out) => {
  const m = r.mirror?.value;
  if (!m) return;
  out.mirror = {
    service: m.serviceResolved.name,
    namespace: m.serviceResolved.namespace,
    ...(m.subsetResolved ? { subset: m.subsetResolved.name } : {}),
    ...(m.subset ? { labels: { ...m.subset } } : {}),
    ...(m.port ? { port: m.port } : {}),
    percent: m.percent ?? 100,
  };
};
