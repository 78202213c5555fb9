/**
 * The Istio translation (sidecar data plane; `--set dataplane=ambient`: ambient/translator.ts). Per destination (`model.destinations()`, sorted): a skeleton VirtualService and
 * DestinationRule, then one feature module per model feature fills its own fields, in a fixed order.
 *
 * - ONE VirtualService per destination host (`<svc>.<ns>.svc.<clusterDomain>`, in the destination's
 *   namespace, `gateways` omitted = `mesh`: Istio does not merge several VirtualServices of one host for
 *   sidecars, IST0109) with every route of `DestinationView.routes` in that order (the model already sorted
 *   them most specific first; Istio takes the first match), then a plain default route to the service when
 *   `needsDefaultRoute`. Every route carries `retries` (see features/retries.ts). Routes of declared TCP
 *   ports go to `tcp[]` instead (features/tcp.ts).
 * - ONE DestinationRule per host with the subsets (`DestinationView.subsets`) and the destination-level
 *   traffic policy (outlierDetection, connectionPool, loadBalancer, client TLS for mTLS).
 * - RequestAuthentications, AuthorizationPolicies, PeerAuthentications and the rate-limit EnvoyFilter per
 *   destination; the namespace- and mesh-wide AccessPolicies and MTLSPolicies as policies without selector
 *   (in the root namespace for the mesh).
 */
import type { KubeObject, TranslateContext } from "../../api/adapter.js";
import type { Model } from "../../api/model.js";
import { translateAmbient } from "./ambient/translator.js";
import { createContext } from "./context.js";
import { type DestinationRuleDraft, DestinationRuleSet } from "./destinationRules.js";
import { authorizationPolicies, scopedAuthorizationPolicies } from "./features/access.js";
import { applyConnectionPool } from "./features/connectionPool.js";
import { applyLoadBalancer } from "./features/loadBalancer.js";
import { applyClientTls, namespacePeerAuthentications, podOnlyPortNotes, servicePeerAuthentication } from "./features/mtls.js";
import { applyOutlierDetection } from "./features/outlierDetection.js";
import { rateLimitFilter } from "./features/rateLimit.js";
import { requestAuthentication } from "./features/requestAuthentication.js";
import { wasmPlugins } from "./features/wasmExtension.js";
import type { DestinationContext } from "./features/types.js";
import { applyFailover, pinnedToClusters, refuseCrossClusterSplits, registerIncomingClusterSubset } from "./features/crossCluster.js";
import { virtualService } from "./virtualService.js";

/** Destination-level features filling `DestinationRule.spec.trafficPolicy`. */
const DESTINATION_FEATURES: readonly ((dc: DestinationContext, dr: DestinationRuleDraft) => void)[] = [
  applyOutlierDetection,
  applyConnectionPool,
  applyLoadBalancer,
  applyFailover,
];

/** Translates a model to Istio objects (see the module doc). Pure; reports through `ctx`. */
export function translateIstio(model: Model, ctx: TranslateContext): KubeObject[] {
  refuseCrossClusterSplits(model, ctx);
  const ic = createContext(model, ctx);
  if (ic.dataplane === "ambient") return translateAmbient(ic);
  const drs = new DestinationRuleSet(ic);
  const views = model.destinations();
  // Subsets first: routes and mirrors of any destination may name subsets of any host.
  for (const v of views) if (v.trafficPolicies.length) drs.addSubsets(v.namespace, v.service, v.subsets);
  const out: KubeObject[] = [];
  for (const view of views) {
    const dc: DestinationContext = { ic, view, drs };
    if (view.trafficPolicies.length) {
      out.push(virtualService(dc));
      const dr = drs.get(view.namespace, view.service);
      const pinned = pinnedToClusters(view);
      for (const r of view.routes) {
        if (r.action.kind === "split" && (pinned || r.action.targets.some((t) => t.subset))) dr.policies.add(r.policy.id);
        if (r.mirror?.value.subsetResolved) dr.policies.add(r.policy.id);
      }
      for (const apply of DESTINATION_FEATURES) apply(dc, dr);
      registerIncomingClusterSubset(dc, dr);
    }
    if (view.mtls) {
      applyClientTls(dc, drs.get(view.namespace, view.service));
      const pa = servicePeerAuthentication(dc);
      if (pa) out.push(pa);
    }
    out.push(...requestAuthentication(dc));
    out.push(...wasmPlugins(dc));
    out.push(...authorizationPolicies(dc));
    const rl = rateLimitFilter(dc);
    if (rl) out.push(rl);
  }
  out.push(...scopedAuthorizationPolicies(ic));
  out.push(...namespacePeerAuthentications(ic));
  podOnlyPortNotes(ic);
  out.push(...drs.objects());
  return out;
}
