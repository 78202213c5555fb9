/**
 * Callers: the `source` of routes (`trafficSource`) and of access rules. A caller is the verified peer
 * identity (SPIFFE ID) and its address; on an instance's outbound listener also its pod labels (routes
 * may select callers by them: `workloads`; access rules never do, labels are not an identity). A source
 * matches when any entry of any of its lists matches; an omitted source matches every caller, with or
 * without an identity.
 */
import { BlockList, isIPv6 } from "node:net";
import type { SourceMatch } from "../../api/generated/proxyConfig.js";

/** Who is calling. */
export interface Peer {
  /** Verified SPIFFE ID, when the caller presented a valid certificate (or is a local listener). */
  spiffe?: string;
  /** Namespace of the identity. */
  namespace?: string;
  /** Trust domain of the identity (a virtual mesh's members each have their own). */
  trustDomain?: string;
  /** `namespace/serviceAccount`, or `unknown`, for metrics and logs. */
  label: string;
  /** Source address. */
  address: string;
  /**
   * Pod labels of the calling instance (its service's selector plus its own labels), known only on the
   * instance's own outbound listener; undefined elsewhere (an ingress, a peer seen on an inbound listener).
   */
  labels?: Readonly<Record<string, string>>;
}

/** Parses `spiffe://<td>/ns/<ns>/sa/<sa>`. */
export function parseSpiffe(id: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m ? { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : undefined;
}

/** A peer from a verified SPIFFE ID (or none). */
export function peerOf(spiffe: string | undefined, address: string): Peer {
  const p = spiffe ? parseSpiffe(spiffe) : undefined;
  return p
    ? { spiffe, trustDomain: p.trustDomain, namespace: p.namespace, label: `${p.namespace}/${p.serviceAccount}`, address }
    : { label: "unknown", address };
}

/**
 * Compiles a source; `undefined` matches every caller. Positive lists are ORed (none: every caller);
 * then a caller matching any negative list (`notPrincipals`, `notAnyIdentity`, `notNamespaces`,
 * `notIpBlocks`: access rules only) does not match. A caller without a verified identity is in no
 * principal and no namespace, negative ones included (as Istio's `notPrincipals` / `notNamespaces`).
 * In a virtual mesh, `namespaceTrustDomains` / `notNamespaceTrustDomains` say whose namespaces they are:
 * a namespace of another member's trust domain is another namespace.
 */
export function compileSource(s: SourceMatch | undefined): (p: Peer) => boolean {
  if (!s) return () => true;
  const included = callerTest(s.principals, s.anyIdentity, s.namespaces, s.ipBlocks, s.workloads, s.namespaceTrustDomains);
  const excluded = callerTest(s.notPrincipals, s.notAnyIdentity, s.notNamespaces, s.notIpBlocks, undefined, s.notNamespaceTrustDomains);
  if (!excluded) return included ?? (() => true);
  if (!included) return (p) => !excluded(p);
  return (p) => included(p) && !excluded(p);
}

/** Matches a caller in any of the lists; undefined when all are empty. */
function callerTest(
  principalList: string[] | undefined,
  anyIdentity: boolean | undefined,
  namespaceList: string[] | undefined,
  ipBlocks: string[] | undefined,
  workloadList: SourceMatch["workloads"],
  namespaceTrustDomains: string[] | undefined,
): ((p: Peer) => boolean) | undefined {
  if (!principalList?.length && !anyIdentity && !namespaceList?.length && !ipBlocks?.length && !workloadList?.length) return undefined;
  const principals = new Set(principalList ?? []);
  const namespaces = new Set(namespaceList ?? []);
  const any = anyIdentity === true;
  const domains = namespaceTrustDomains ? new Set(namespaceTrustDomains) : undefined;
  const workloads = workloadList ?? [];
  let blocks: BlockList | undefined;
  if (ipBlocks?.length) {
    blocks = new BlockList();
    for (const b of ipBlocks) {
      const [addr, bits] = b.split("/");
      const type = isIPv6(addr) ? "ipv6" : "ipv4";
      if (bits === undefined) blocks.addAddress(addr, type);
      else blocks.addSubnet(addr, Number(bits), type);
    }
  }
  return (p) => {
    if (p.spiffe) {
      if (any || principals.has(p.spiffe)) return true;
      if (p.namespace !== undefined && namespaces.has(p.namespace) && (!domains || (p.trustDomain !== undefined && domains.has(p.trustDomain)))) return true;
    }
    // By pod labels: the calling instance's namespace (of its identity) and labels, never a remote peer's.
    if (workloads.length && p.labels && p.namespace !== undefined) {
      const labels = p.labels;
      for (const w of workloads) {
        if (w.namespace !== p.namespace) continue;
        let all = true;
        for (const k in w.labels)
          if (labels[k] !== w.labels[k]) {
            all = false;
            break;
          }
        if (all) return true;
      }
    }
    if (blocks) {
      const a = p.address.startsWith("::ffff:") ? p.address.slice(7) : p.address;
      if (blocks.check(a, isIPv6(a) ? "ipv6" : "ipv4")) return true;
    }
    return false;
  };
}
