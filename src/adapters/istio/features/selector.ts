/**
 * The destination's pod labels (`ServiceFacts.selector`), for the workload-scoped kinds:
 * `AuthorizationPolicy.selector.matchLabels`, `PeerAuthentication.selector.matchLabels`,
 * `EnvoyFilter.workloadSelector.labels`. An EMPTY selector would widen any of them to the whole namespace
 * (an AuthorizationPolicy, for instance, would then govern every workload there), so it is an error.
 * So is a destination in Istio's root namespace (`istio-system` unless the `rootNamespace` setting says
 * otherwise): there Istio applies these kinds to the matching workloads of EVERY namespace.
 */
import type { Feature } from "../../../api/features.js";
import type { Entry } from "../../../api/model.js";
import type { DestinationContext } from "./types.js";

/** The pod labels of the destination, or `undefined` (error reported at `pointer`) when the selector is empty. */
export function workloadLabels(dc: DestinationContext, entry: Entry<any>, pointer: string, feature: Feature, kind: string): Record<string, string> | undefined {
  if (dc.view.namespace === dc.ic.rootNamespace) {
    dc.ic.report(entry, pointer, {
      feature: feature,
      kind: "unsupported-value",
      what: "root-namespace",
      severity: "error",
      message: `${dc.view.namespace} is Istio's root namespace, where a ${kind} applies to the workloads of every namespace, not just to ${dc.view.service}; unimesh does not generate it there`,
    });
    return undefined;
  }
  const labels = dc.view.facts.selector;
  if (Object.keys(labels).length > 0) return { ...labels };
  dc.ic.report(entry, pointer, {
    feature: feature,
    kind: "unsupported-value",
    what: "empty-selector",
    severity: "error",
    message: `the pods of ${dc.view.namespace}/${dc.view.service} are selected by an empty selector, so the ${kind} would apply to every workload of namespace ${dc.view.namespace}; give the MeshService a selector`,
  });
  return undefined;
}
