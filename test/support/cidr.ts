/**
 * Address-in-block for the mesh oracles (test/support/*-authz-oracle.ts): node:net's BlockList, not our
 * proxy's code (features/trafficSource.ts), so the oracles stay independent of what they check.
 */
import { BlockList, isIP } from "node:net";

/**
 * Whether `ip` is in `block`: a CIDR (`10.0.0.0/8`, `::/0`) or a bare address (equal only). IPv4 and IPv6
 * never match each other (`127.0.0.1` is not in `::/0`), as Istio's and Linkerd's matchers compare within one
 * family. Not an address: false. Throws on a prefix length out of range for its family.
 */
export function inCidr(ip: string, block: string): boolean {
  const [base, bits] = block.split("/");
  const family = isIP(ip);
  if (!family || family !== isIP(base)) return false;
  const type = family === 6 ? "ipv6" : "ipv4";
  const list = new BlockList();
  if (bits === undefined) list.addAddress(base, type);
  else list.addSubnet(base, Number(bits), type);
  return list.check(ip, type);
}
