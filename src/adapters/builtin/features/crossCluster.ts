/**
 * Feature `crossCluster` (a VirtualMesh's `split[].cluster`, `failover`, `source.clusters`) on the built-in
 * proxy, translated for one member (`model.member`), as `unimesh up` runs every member of a virtual mesh:
 * one proxy per member, each with its own registry, its own intermediate CA under the virtual mesh's root
 * (`unimesh trust`) and an east-west listener (`ProxyConfig.spec.eastWest`) through which the other
 * members reach its services.
 *
 * - `spec.member` and `spec.members` (the others: name, trust domain, gateway) let the proxy reach the
 *   other members and check every peer certificate against its trust domain's intermediate.
 * - A split share in another member → `Target.cluster`: the proxy sends it to that member's east-west
 *   listener with mutual TLS passed through by SNI (`outbound_.<port>_._.<service>.<namespace>.svc.cluster.local`,
 *   Istio's AUTO_PASSTHROUGH convention) to one of its instances, whose certificate must name the
 *   service's account in that member's trust domain.
 * - `failover.clusters` → `Destination.failover` (the members other than this one, in order): with the
 *   destination's outlier detection, requests to a local target go to the same target (service, subset) in
 *   the first listed member once no local instance is healthy, as the model (and Istio's translation) reads it.
 * - Sources: principals in the trust domain of every member `clusters` names, else the member's own
 *   (common.ts `sourceMatch`), and namespaces qualified by those trust domains.
 */
import type { Model } from "../../../api/model.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import type { ProxyConfig } from "../resources.js";
import type { DestinationFeature } from "./types.js";

/** What the built-in proxy can do of `crossCluster` (format version 1). */
export const crossClusterFeature: FeatureModule = {
  features: ["crossCluster"],
  capabilities: () => ({
    crossCluster: full(
      "ProxyConfig spec.member/members, Target.cluster, Destination.failover, SourceMatch principals and namespaceTrustDomains per member",
      "every member runs the built-in proxy (unimesh up): other members are reached through their east-west listener, mTLS passed through by SNI",
    ),
  }),
};

/** `spec.member` and `spec.members` (the other members, by name) of a member's ProxyConfig; nothing outside a virtual mesh. */
export function memberSpec(model: Model): Pick<ProxyConfig["spec"], "member" | "members"> {
  const vm = model.virtualMesh;
  if (!vm || model.member === undefined) return {};
  const others = vm.doc.spec.members.filter((m) => m.name !== model.member);
  return {
    member: model.member,
    ...(others.length
      ? {
          members: others.map((m) => ({
            name: m.name,
            trustDomain: m.trustDomain,
            ...(m.gateway ? { gateway: { address: m.gateway.address, ...(m.gateway.port ? { port: m.gateway.port } : {}) } } : {}),
          })),
        }
      : {}),
  };
}

/** `failover.clusters` → `Destination.failover`: the other members, in order. */
export const failover: DestinationFeature = (out, { model, dest }) => {
  const members = model.failoverMembers(dest);
  if (members.length) out.failover = { clusters: members.map((m) => m.name) as [string, ...string[]] };
};
