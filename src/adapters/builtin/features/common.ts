/** Helpers shared by the builtin adapter's feature modules. */
import type { Model, ResolvedSource } from "../../../api/model.js";
import { parseDuration } from "../../../api/duration.js";
import type { SourceMatch } from "../resources.js";

/** A model duration (already validated) in whole milliseconds, at least 1. */
export function ms(duration: string): number {
  return Math.max(1, Math.ceil(parseDuration(duration) ?? 0));
}

/**
 * A resolved source as the proxy matches it: SPIFFE IDs of the service accounts (`*` becomes
 * `anyIdentity`), namespaces, workloads (pod labels and namespace, matched against the calling
 * instance's labels), IP blocks, and the negative lists the same way (`notPrincipals`, `notAnyIdentity`,
 * `notNamespaces`, `notIpBlocks`). `undefined` stays `undefined` (any caller).
 *
 * For a member of a virtual mesh, identities and namespaces are those of the members the source's
 * `clusters` names, else of the member's own trust domain (the negative lists: the member's own, as
 * `clusters` never qualifies them): principals in each of those trust domains, and namespaces with
 * `namespaceTrustDomains` / `notNamespaceTrustDomains`, since every member's certificates chain to one
 * root and a namespace of another member is another namespace. A `*` service account stays any
 * identity of the virtual mesh.
 */
export function sourceMatch(model: Model, source: ResolvedSource | undefined): SourceMatch | undefined {
  if (!source) return undefined;
  const virtual = model.member !== undefined;
  const domains = source.clusters ? [...new Set(source.clusters.map((m) => m.trustDomain))] : [model.trustDomain];
  const principals = [
    ...new Set(
      source.identities.flatMap((i) =>
        "any" in i ? [] : domains.map((td) => (td === model.trustDomain ? model.spiffeId(i) : `spiffe://${td}/ns/${i.namespace}/sa/${i.serviceAccount}`)),
      ),
    ),
  ];
  const any = source.identities.some((i) => "any" in i);
  const notPrincipals = source.notIdentities.flatMap((i) => ("any" in i ? [] : [model.spiffeId(i)]));
  const notAny = source.notIdentities.some((i) => "any" in i);
  return {
    ...(principals.length ? { principals } : {}),
    ...(any ? { anyIdentity: true } : {}),
    ...(source.namespaces.length ? { namespaces: source.namespaces, ...(virtual ? { namespaceTrustDomains: domains } : {}) } : {}),
    ...(source.workloads.length ? { workloads: source.workloads.map((w) => ({ namespace: w.namespace, labels: { ...w.labels } })) } : {}),
    ...(source.ipBlocks.length ? { ipBlocks: source.ipBlocks } : {}),
    ...(notPrincipals.length ? { notPrincipals } : {}),
    ...(notAny ? { notAnyIdentity: true } : {}),
    ...(source.notNamespaces.length ? { notNamespaces: source.notNamespaces, ...(virtual ? { notNamespaceTrustDomains: [model.trustDomain] } : {}) } : {}),
    ...(source.notIpBlocks.length ? { notIpBlocks: source.notIpBlocks } : {}),
  };
}

/** Lower-cases the keys of a header map (HTTP header names are case-insensitive; the proxy compares lower-case). */
export function lowerKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Types a list the model guarantees non-empty as the schema's non-empty tuple. */
export function nonEmpty<T>(a: T[]): [T, ...T[]] {
  return a as [T, ...T[]];
}
