/**
 * Feature `split` → `MeshHTTPRoute.to[].rules[].default.backendRefs[]` {kind: MeshService, name, port,
 * weight}. Kuma (with MeshServices, the default on Kubernetes since 2.9) routes between Services, not pod
 * label subsets: a subset is reached through the Service `<service>-<subset>` (same namespace and ports,
 * selecting the subset's pod labels), which must exist — unimesh does not create Services (an info note
 * lists them). A rule to the whole service gets no backendRefs (Kuma's default backend: the MeshService
 * itself). A target that is another Service of the namespace (`split[].service`) is that MeshService's
 * backendRef (`{kind: MeshService, name, port}`, resolved by name in the policy's namespace: kuma
 * `pkg/plugins/policies/core/rules/resolve/backendref.go`), on the same port unless the target names one.
 * `split[].headers` has no Kuma field (backendRefs carry no filters): error.
 */
import type { EffectiveRoute, ResolvedTarget } from "../../../api/model.js";
import { canonicalJson } from "../../../api/model.js";
import { dnsLabel } from "../../../api/names.js";
import { type DestinationContext, backendPort } from "../context.js";
import type { BackendRef } from "../resources.js";
import { type FeatureModule, featureModule, full } from "./types.js";

export const split: FeatureModule = featureModule("split", () =>
  full(
    "MeshHTTPRoute.to[].rules[].default.backendRefs[].weight (MeshTCPRoute on TCP ports)",
    "Subsets are Services named <service>-<subset>, which must exist (unimesh does not create Services); other Services are MeshService backendRefs; split[].headers is not expressible",
  ),
);

/** The Service standing for a subset. */
export function subsetServiceName(service: string, subset: string): string {
  return dnsLabel(service, subset);
}

/** backendRefs of a split route; `undefined` for the whole service (Kuma's default backend) or when reported. */
export function backendRefs(
  dc: DestinationContext,
  r: EffectiveRoute,
  targets: readonly ResolvedTarget[],
  pointer: string,
  entryPort?: number,
): BackendRef[] | undefined {
  const { view, kc } = dc;
  if (targets.length === 1 && !targets[0].subset && !targets[0].service && (targets[0].port === undefined || targets[0].port === (r.port ?? entryPort)))
    return undefined;
  const refs: BackendRef[] = [];
  targets.forEach((t, i) => {
    if (t.headers) {
      kc.report(r.policy, t.headers.pointer, {
        feature: "headers",
        kind: "unsupported-value",
        what: "split-target",
        severity: "error",
        message:
          "Kuma's MeshHTTPRoute backendRefs carry no filters, so header changes for one split target cannot be expressed; change the headers on the whole route instead",
      });
    }
    const port = t.port ?? entryPort ?? backendPort(view, r.port);
    if (port === undefined) {
      kc.report(r.policy, `${pointer}/${i}`, {
        feature: "split",
        kind: "missing-fact",
        what: "port",
        severity: "error",
        message: `Kuma needs the port of each MeshService backendRef; ${view.namespace}/${view.service} has ${view.portsDeclared ? "several ports" : "no declared ports"}: set destination.port (or the target's port), or declare the ports in a MeshService`,
      });
      return;
    }
    refs.push({ kind: "MeshService", name: t.subset ? subsetServiceName(view.service, t.subset.name) : (t.service ?? view.service), port, weight: t.weight });
  });
  return refs;
}

/** Info: the Services the subsets of a destination are reached through (split targets and mirrors). */
export function subsetServicesNote(dc: DestinationContext): void {
  const { view, kc } = dc;
  const used = new Map<string, { r: EffectiveRoute; labels: Record<string, string> }>();
  for (const r of view.routes) {
    if (r.action.kind !== "split") continue;
    for (const t of r.action.targets) if (t.subset && !used.has(t.subset.name)) used.set(t.subset.name, { r, labels: t.subset.labels });
    const m = r.mirror?.value;
    if (m?.subsetResolved && !used.has(m.subsetResolved.name)) used.set(m.subsetResolved.name, { r, labels: m.subsetResolved.labels });
  }
  if (!used.size) return;
  const names = [...used.keys()].sort();
  const first = used.get(names[0])!.r;
  kc.report(
    first.policy,
    first.action.kind === "split" && first.action.targets.some((t) => t.subset) ? first.action.pointer : (first.mirror?.pointer ?? first.pointer),
    {
      feature: "split",
      kind: "note",
      what: "subset-services",
      severity: "info",
      message: `Kuma routes between Services, not pod subsets: the subsets of ${view.namespace}/${view.service} are reached through the Services ${names.map((n) => `${subsetServiceName(view.service, n)} (selector ${canonicalJson({ ...view.facts.selector, ...used.get(n)!.labels })})`).join(", ")} in namespace ${view.namespace}, with the same ports as ${view.service}. They must exist: unimesh does not create or change Services`,
    },
  );
}
