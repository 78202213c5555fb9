/**
 * Feature `trafficSource`: a source-scoped TrafficPolicy → `HTTPMatchRequest.sourceLabels` +
 * `sourceNamespace` (`VirtualService.http[].match[]`, istio/api `networking/v1alpha3/virtual_service.proto`).
 *
 * Istio evaluates these in the CALLER's sidecar against the caller's own pod labels and namespace
 * (`sourceMatchHTTP` in pilot `route.go`): an entry applies when its `sourceLabels` are a subset of the
 * caller pod's labels AND (when set) `sourceNamespace` is the caller's namespace.
 *
 * - Each service account `ns/sa` → one match entry per workload label set running as it
 *   (`model.workloadsOf(ns, sa)`: MeshService selectors, else the convention `app: <sa>`), each with
 *   `sourceNamespace: ns` so a same-labelled pod in another namespace does not match.
 * - Each namespace → one entry with `sourceNamespace` only.
 * - Each workload (`source.workloads`: pod labels and namespace) → one entry with exactly those
 *   `sourceLabels` and `sourceNamespace` (the namespace is always written: `sourceLabels` alone would
 *   match same-labelled pods of every namespace).
 * - The lists of a source are ORed, so the entries are ORed: the route's `match` becomes the cross
 *   product (route conditions AND one source entry).
 * - `serviceAccounts: ["*"]` (any authenticated caller) has no VirtualService equivalent (the match is by
 *   labels, not identity): error `adapter/unsupported-value`.
 *
 * Note: this is selection by pod labels and namespace, not by verified identity. That is what Istio
 * offers for routing; access control (AccessPolicy) is by identity.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { canonicalJson } from "../../../api/model.js";
import type { HTTPMatchRequest } from "../resources.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What Istio can do of `trafficSource`, per version. */
export const trafficSourceFeature: FeatureModule = {
  features: ["trafficSource"],
  capabilities: () => ({
    trafficSource: partial(
      "VirtualService.http[].match[].sourceLabels + sourceNamespace",
      'callers selected by pod labels and namespace, not identity; serviceAccounts "*" is not expressible',
    ),
  }),
};

/**
 * The source part of each match entry of a route: `[{}]` when the route has no source (any caller),
 * `[]` when nothing of the source can be expressed (the route must then be left out; a diagnostic says why).
 */
export function sourceMatches(r: EffectiveRoute, dc: DestinationContext): Pick<HTTPMatchRequest, "sourceLabels" | "sourceNamespace">[] {
  const src = r.source;
  if (!src) return [{}];
  const out: Pick<HTTPMatchRequest, "sourceLabels" | "sourceNamespace">[] = [];
  const seen = new Set<string>();
  const push = (e: Pick<HTTPMatchRequest, "sourceLabels" | "sourceNamespace">) => {
    const k = canonicalJson(e);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(e);
    }
  };
  src.identities.forEach((id, i) => {
    const ptr = `${src.pointer}/serviceAccounts/${i}`;
    if ("any" in id) {
      dc.ic.report(r.policy, ptr, {
        feature: "trafficSource",
        kind: "unsupported-value",
        what: "any-identity",
        severity: "error",
        message:
          'serviceAccounts "*" (any authenticated caller) cannot be expressed in an Istio VirtualService, which selects callers by pod labels (match.sourceLabels) and namespace (match.sourceNamespace), not by identity; list the service accounts, namespaces or workloads instead',
      });
      return;
    }
    for (const labels of dc.ic.model.workloadsOf(id.namespace, id.serviceAccount)) {
      if (Object.keys(labels).length === 0) {
        dc.ic.report(r.policy, ptr, {
          feature: "trafficSource",
          kind: "unsupported-value",
          what: "empty-selector",
          severity: "error",
          message: `the workloads of service account ${id.namespace}/${id.serviceAccount} have an empty pod selector, so match.sourceLabels would select every pod of namespace ${id.namespace}; give their MeshService a selector`,
        });
        continue;
      }
      push({ sourceLabels: { ...labels }, sourceNamespace: id.namespace });
    }
  });
  for (const ns of src.namespaces) push({ sourceNamespace: ns });
  for (const w of src.workloads) push({ sourceLabels: { ...w.labels }, sourceNamespace: w.namespace });
  if (src.ipBlocks.length) {
    dc.ic.report(r.policy, `${src.pointer}/ipBlocks`, {
      feature: "trafficSource",
      kind: "unsupported-value",
      what: "ipBlocks",
      severity: "error",
      message: "ipBlocks cannot select callers of an Istio VirtualService route; use serviceAccounts or namespaces",
    });
  }
  if (out.length === 0 && src.identities.length === 0 && src.namespaces.length === 0 && src.workloads.length === 0 && src.ipBlocks.length === 0) {
    dc.ic.report(r.policy, src.pointer, {
      feature: "trafficSource",
      kind: "unsupported-value",
      what: "empty-source",
      severity: "warning",
      message: "this source lists no caller, so its routes apply to nobody and are left out of the VirtualService; omit source for every caller",
    });
  }
  return out;
}
