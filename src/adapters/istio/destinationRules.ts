/**
 * The DestinationRules of one translation, one per host (`DestinationRule.spec.host`, istio/api
 * `networking/v1alpha3/destination_rule.proto`). Destinations register their subsets first; routes and
 * mirrors then look subset names up here, so a mirror to another service's subset lands in THAT host's
 * DestinationRule (a `Destination.subset` must name a subset of the DestinationRule of its host).
 */
import type { KubeObject } from "../../api/adapter.js";
import type { Labels } from "../../api/generated/model.js";
import { type Entry, type ServiceFacts, type Subset, SubsetNamer, canonicalJson, cmp, shortHash } from "../../api/model.js";
import { objectMeta } from "../../api/ownership.js";
import { dnsLabel } from "../../api/names.js";
import type { IstioContext } from "./context.js";
import { destinationRuleName } from "./naming.js";
import { CLUSTER_LABEL, type DestinationRuleSpec, type IstioObject, NETWORKING_V1, type TrafficPolicy } from "./resources.js";

/** One DestinationRule being built. */
export interface DestinationRuleDraft {
  namespace: string;
  service: string;
  facts: ServiceFacts;
  subsets: Subset[];
  trafficPolicy: TrafficPolicy;
  /** `subsets[].trafficPolicy` by subset name (from `subsetSettings`). */
  subsetPolicies: Map<string, TrafficPolicy>;
  /** Ids of the policies whose settings are in this DestinationRule. */
  policies: Set<string>;
  /**
   * Subsets pinned to a cluster (crossCluster.ts) → the subset they pin, whose `subsetSettings` they
   * share (`subsets[].trafficPolicy`).
   */
  pinnedFrom: Map<string, string>;
}

/** Outcome of {@link DestinationRuleSet.subsetFor}. */
export type SubsetLookup = { ok: true; name: string } | { ok: false; reason: string };

/** DestinationRules by `namespace/service`. */
export class DestinationRuleSet {
  private readonly drafts = new Map<string, DestinationRuleDraft>();

  constructor(private readonly ic: IstioContext) {}

  /** The draft for a service, created empty when missing. */
  get(namespace: string, service: string): DestinationRuleDraft {
    const key = `${namespace}/${service}`;
    let d = this.drafts.get(key);
    if (!d) {
      d = {
        namespace,
        service,
        facts: this.ic.model.service(namespace, service),
        subsets: [],
        trafficPolicy: {},
        subsetPolicies: new Map(),
        policies: new Set(),
        pinnedFrom: new Map(),
      };
      this.drafts.set(key, d);
    }
    return d;
  }

  /** Registers subsets the model already named (`DestinationView.subsets`). */
  addSubsets(namespace: string, service: string, subsets: Subset[]): void {
    const d = this.get(namespace, service);
    for (const s of subsets) if (!d.subsets.some((x) => x.name === s.name)) d.subsets.push(s);
  }

  /**
   * The subset name for pod labels of a service, adding the subset when needed. A MeshService that
   * declares subsets must declare these labels (the model's rule for split targets, applied here to
   * mirrors of other services, which the core does not check).
   */
  subsetFor(namespace: string, service: string, labels: Labels, from: Entry<any>): SubsetLookup {
    const d = this.get(namespace, service);
    const key = canonicalJson(labels);
    const known = d.subsets.find((s) => canonicalJson(s.labels) === key);
    if (known) {
      d.policies.add(from.id);
      return { ok: true, name: known.name };
    }
    if (d.facts.subsets && !d.facts.subsets.some((s) => canonicalJson(s.labels) === key)) {
      return {
        ok: false,
        reason: `subset ${key} is not declared by MeshService ${namespace}/${service} (declared: ${d.facts.subsets.map((s) => `${s.name} ${canonicalJson(s.labels)}`).join(", ")})`,
      };
    }
    const namer = new SubsetNamer(d.facts);
    for (const s of d.subsets) namer.name(s.labels);
    let name = namer.name(labels).name;
    if (d.subsets.some((s) => s.name === name)) name = `${name.slice(0, 54)}-${shortHash(key)}`;
    d.subsets.push({ name, labels });
    d.policies.add(from.id);
    return { ok: true, name };
  }

  /**
   * The subset of a service's endpoints in one cluster of a multi-primary mesh: `base`'s labels (none:
   * the whole Service) plus `topology.istio.io/cluster: <cluster>` (istio.io "Partitioning Services"),
   * named `cluster-<cluster>` or `<base>-cluster-<cluster>` (a short hash added when that name is taken).
   */
  clusterSubset(namespace: string, service: string, cluster: string, base?: Subset): string {
    const d = this.get(namespace, service);
    const labels = { ...(base?.labels ?? {}), [CLUSTER_LABEL]: cluster };
    const key = canonicalJson(labels);
    const known = d.subsets.find((s) => canonicalJson(s.labels) === key);
    if (known) return known.name;
    let name = dnsLabel(base?.name, "cluster", cluster);
    if (d.subsets.some((s) => s.name === name)) name = `${name.slice(0, 54)}-${shortHash(key)}`;
    d.subsets.push({ name, labels });
    if (base) d.pinnedFrom.set(name, base.name);
    return name;
  }

  /** The DestinationRules that have something to say, sorted by namespace and service. */
  objects(): KubeObject[] {
    return [...this.drafts.values()]
      .filter((d) => d.subsets.length > 0 || Object.keys(d.trafficPolicy).length > 0)
      .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.service, b.service))
      .map((d): IstioObject<DestinationRuleSpec> => ({
        apiVersion: NETWORKING_V1,
        kind: "DestinationRule",
        metadata: objectMeta(destinationRuleName(d.service), d.namespace, d.policies),
        spec: {
          host: this.ic.host(d.service, d.namespace),
          ...(d.subsets.length
            ? {
                subsets: [...d.subsets]
                  .sort((a, b) => cmp(a.name, b.name))
                  .map((s) => {
                    const pinned = d.pinnedFrom.get(s.name);
                    const tp = d.subsetPolicies.get(s.name) ?? (pinned !== undefined ? d.subsetPolicies.get(pinned) : undefined);
                    return { name: s.name, labels: { ...s.labels }, ...(tp && Object.keys(tp).length ? { trafficPolicy: tp } : {}) };
                  }),
              }
            : {}),
          ...(Object.keys(d.trafficPolicy).length ? { trafficPolicy: d.trafficPolicy } : {}),
        },
      }));
  }
}
