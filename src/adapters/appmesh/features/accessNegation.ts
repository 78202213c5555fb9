/**
 * Feature `accessNegation` (the `not*` conditions of access rules and sources). `notServiceAccounts`
 * and `notNamespaces` are exact per service: a VirtualNode runs as one service account in one namespace,
 * so the excluded callers' VirtualNodes are left out of the destination's backends (access.ts
 * `resolve`) and their identities out of its listener SANs. Refused: `notIpBlocks` (no address-based
 * access control); `notMethods`, `notPaths`, `notHeaders`, `notPorts` (request conditions, accessL7.ts:
 * errors, or the `service-level-access` approximation).
 */
import { type ResolvedSource, onlyNegatives } from "../../../api/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { SERVICE_LEVEL_ACCESS, type Tx } from "../context.js";
import type { ServiceNode } from "../services.js";

/** What App Mesh can do of `accessNegation`. */
export const accessNegationFeature: FeatureModule = {
  features: ["accessNegation"],
  capabilities: () => ({
    accessNegation: partial(
      "VirtualNode.spec.backends[]",
      `notServiceAccounts/notNamespaces leave those callers' VirtualNodes out (per service); no notIpBlocks; notMethods/notPaths/notPorts/notHeaders: opt in with ${SERVICE_LEVEL_ACCESS}`,
    ),
  }),
};

/** Whether a SPIFFE ID is excluded by a source's notServiceAccounts / notNamespaces. */
export function excludedIds(tx: Tx, s: ResolvedSource): (id: string) => boolean {
  const anyIdentity = s.notIdentities.some((i) => "any" in i);
  const ids = new Set(s.notIdentities.flatMap((i) => ("any" in i ? [] : [tx.model.spiffeId(i)])));
  const prefixes = s.notNamespaces.map((ns) => `${tx.trustBundle}/ns/${ns}/sa/`);
  return (id) => anyIdentity || ids.has(id) || prefixes.some((p) => id.startsWith(p));
}

/** Whether a deny source with negative lists covers a SPIFFE ID (its positive part matches it, its negative part does not). */
export function denyCovers(tx: Tx, s: ResolvedSource): (id: string) => boolean {
  const excluded = excludedIds(tx, s);
  const all = onlyNegatives(s) || s.identities.some((i) => "any" in i);
  const ids = new Set(s.identities.flatMap((i) => ("any" in i ? [] : [tx.model.spiffeId(i)])));
  const prefixes = s.namespaces.map((ns) => `${tx.trustBundle}/ns/${ns}/sa/`);
  return (id) => (all || ids.has(id) || prefixes.some((p) => id.startsWith(p))) && !excluded(id);
}

/** Whether a VirtualNode is excluded by a source's notServiceAccounts / notNamespaces. */
export function excludedBy(s: ResolvedSource): (n: ServiceNode) => boolean {
  const anyIdentity = s.notIdentities.some((i) => "any" in i);
  const sas = new Set(s.notIdentities.flatMap((i) => ("any" in i ? [] : [`${i.namespace}/${i.serviceAccount}`])));
  const namespaces = new Set(s.notNamespaces);
  return (n) => anyIdentity || sas.has(`${n.namespace}/${n.facts.serviceAccount}`) || namespaces.has(n.namespace);
}
