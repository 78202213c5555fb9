/** `split` → `Route.forward.targets`: weighted backends, each a subset's labels (or every instance). */
import { nonEmpty } from "./common.js";
import type { RouteFeature } from "./types.js";

export const split: RouteFeature = (r, out) => {
  if (r.action.kind !== "split") return;
  out.forward = {
    targets: nonEmpty(r.action.targets.map((t) => ({
      ...(t.subset ? { subset: t.subset.name, labels: { ...t.subset.labels } } : {}),
      weight: t.weight,
      ...(t.port ? { port: t.port } : {}),
    }))),
  };
};
