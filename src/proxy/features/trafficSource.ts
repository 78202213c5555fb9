/**
 * Callers: the `source` of routes (`trafficSource`) and of access rules. A caller is the verified peer
 * identity (SPIFFE ID) and its address. A source matches when any entry of any of its lists matches;
 * an omitted source matches every caller, with or without an identity.
 */
import { BlockList, isIPv6 } from "node:net";
import type { SourceMatch } from "../../api/generated/proxyConfig.js";

/** Who is calling. */
export interface Peer {
  /** Verified SPIFFE ID, when the caller presented a valid certificate (or is a local listener). */
  spiffe?: string;
  /** Namespace of the identity. */
  namespace?: string;
  /** `namespace/serviceAccount`, or `unknown`, for metrics and logs. */
  label: string;
  /** Source address. */
  address: string;
}

/** Parses `spiffe://<td>/ns/<ns>/sa/<sa>`. */
export function parseSpiffe(id: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(id);
  return m ? { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : undefined;
}

/** A peer from a verified SPIFFE ID (or none). */
export function peerOf(spiffe: string | undefined, address: string): Peer {
  const p = spiffe ? parseSpiffe(spiffe) : undefined;
  return p ? { spiffe, namespace: p.namespace, label: `${p.namespace}/${p.serviceAccount}`, address } : { label: "unknown", address };
}

/** Compiles a source; `undefined` matches every caller. */
export function compileSource(s: SourceMatch | undefined): (p: Peer) => boolean {
  if (!s) return () => true;
  const principals = new Set(s.principals ?? []);
  const namespaces = new Set(s.namespaces ?? []);
  const any = s.anyIdentity === true;
  let blocks: BlockList | undefined;
  if (s.ipBlocks?.length) {
    blocks = new BlockList();
    for (const b of s.ipBlocks) {
      const [addr, bits] = b.split("/");
      const type = isIPv6(addr) ? "ipv6" : "ipv4";
      if (bits === undefined) blocks.addAddress(addr, type);
      else blocks.addSubnet(addr, Number(bits), type);
    }
  }
  return (p) => {
    if (p.spiffe) {
      if (any || principals.has(p.spiffe)) return true;
      if (p.namespace !== undefined && namespaces.has(p.namespace)) return true;
    }
    if (blocks) {
      const a = p.address.startsWith("::ffff:") ? p.address.slice(7) : p.address;
      if (blocks.check(a, isIPv6(a) ? "ipv6" : "ipv4")) return true;
    }
    return false;
  };
}
