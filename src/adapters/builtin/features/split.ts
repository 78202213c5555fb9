/**
 * `split` → `Route.forward.targets`: weighted backends, each a subset's labels (or every instance), or
 * another service of the registry (`service`, `namespace`: the destination's), or the service in another
 * member of the virtual mesh (`cluster`: features/crossCluster.ts), with the target's own header changes.
 */
import { nonEmpty } from "./common.js";
import { headerChanges } from "./headers.js";
import type { RouteFeature } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `split` (format version 1). */
export const splitFeature: FeatureModule = {
  features: ["split"],
  capabilities: () => ({ split: full("Route.forward.targets") }),
};

export const split: RouteFeature = (r, out, { dest }) => {
  if (r.action.kind !== "split") return;
  out.forward = {
    targets: nonEmpty(
      r.action.targets.map((t) => ({
        ...(t.service ? { namespace: dest.namespace, service: t.service } : {}),
        ...(t.cluster ? { cluster: t.cluster.name } : {}),
        ...(t.subset ? { subset: t.subset.name, labels: { ...t.subset.labels } } : {}),
        weight: t.weight,
        ...(t.port ? { port: t.port } : {}),
        ...(t.headers ? { headers: headerChanges(t.headers.value) } : {}),
      })),
    ),
  };
};
