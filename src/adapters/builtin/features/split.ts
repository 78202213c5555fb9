/**
 * `split` → `Route.forward.targets`: weighted backends, each a subset's labels (or every instance), with
 * the target's own header changes.
 */
import { nonEmpty } from "./common.js";
import { headerChanges } from "./headers.js";
import type { RouteFeature } from "./types.js";

export const split: RouteFeature = (r, out) => {
  if (r.action.kind !== "split") return;
  out.forward = {
    targets: nonEmpty(r.action.targets.map((t) => ({
      ...(t.subset ? { subset: t.subset.name, labels: { ...t.subset.labels } } : {}),
      weight: t.weight,
      ...(t.port ? { port: t.port } : {}),
      ...(t.headers ? { headers: headerChanges(t.headers.value) } : {}),
    }))),
  };
};
