/** `mirror` → `Route.mirror`: the service resolved (default: the destination), subset labels, percent (default 100). */
import type { RouteFeature } from "./types.js";

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
