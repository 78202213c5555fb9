/**
 * Merging: one ProxyConfig (compiled policies; optional) and ServiceRegistries (local instances) make
 * the complete configuration the proxy runs. Services merge by namespace and name: the registry's
 * serviceAccount, selector and ports win over the policies' facts, subsets are united, instances and ingresses
 * concatenated. Later registries win over earlier ones for trustDomain, admin and eastWest. A registry's trustDomain
 * must be the ProxyConfig's: its access rules name identities in that trust domain, and the CA would issue
 * them in another one, so no rule would ever match (`proxy/trust-domain`; translate with
 * `--set trustDomain=<td>`).
 */
import type { ProxyConfig, Service, ServiceRegistry } from "../../api/generated/proxyConfig.js";
import type { Diagnostic } from "../../api/diagnostics.js";
import type { ProxyDocumentEntry } from "./load.js";

/** Default namespace of services, ingresses and destinations without one. */
export const DEFAULT_NAMESPACE = "default";

/** Merges documents into one ProxyConfig. More than one ProxyConfig is an error (`proxy/several-configs`). */
export function mergeProxyDocuments(
  configs: ProxyDocumentEntry<ProxyConfig>[],
  registries: ProxyDocumentEntry<ServiceRegistry>[],
): { config: ProxyConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (configs.length > 1) {
    diagnostics.push({
      code: "proxy/several-configs",
      severity: "error",
      file: configs[1].file,
      documentIndex: configs[1].documentIndex,
      message: `only one ProxyConfig can run at a time (also in ${configs[0].file} [${configs[0].documentIndex}]); translate all policies together with \`unimesh translate --mesh builtin\``,
    });
  }
  const base: ProxyConfig = configs[0]?.doc ?? { apiVersion: "unimesh.io/v1alpha1", kind: "ProxyConfig", metadata: { name: "unimesh-proxy" }, spec: {} };
  const spec = structuredClone(base.spec);
  const services = new Map<string, Service>();
  for (const s of spec.services ?? []) services.set(key(s), s);
  const policyTrustDomain = configs.length ? (base.spec.trustDomain ?? "cluster.local") : undefined;
  for (const { doc, file, documentIndex } of registries) {
    const r = doc.spec;
    if (r.trustDomain && policyTrustDomain !== undefined && r.trustDomain !== policyTrustDomain) {
      diagnostics.push({
        code: "proxy/trust-domain",
        severity: "error",
        file,
        documentIndex,
        pointer: "/spec/trustDomain",
        message: `the ServiceRegistry sets trust domain ${r.trustDomain}, but the ProxyConfig's policies name identities in ${policyTrustDomain}, so no access rule or source would ever match; translate the policies with --set trustDomain=${r.trustDomain}, or remove trustDomain from the registry`,
      });
    }
    if (r.trustDomain) spec.trustDomain = r.trustDomain;
    if (r.admin) spec.admin = { ...spec.admin, ...r.admin };
    if (r.eastWest) spec.eastWest = { ...spec.eastWest, ...r.eastWest };
    for (const s of r.services ?? []) {
      const prev = services.get(key(s));
      if (!prev) {
        services.set(key(s), structuredClone(s));
        continue;
      }
      const subsets = [...(prev.subsets ?? [])];
      for (const x of s.subsets ?? []) if (!subsets.some((y) => y.name === x.name)) subsets.push(x);
      services.set(key(s), {
        ...prev,
        ...(s.serviceAccount ? { serviceAccount: s.serviceAccount } : {}),
        ...(s.selector ? { selector: { ...s.selector } } : {}),
        ...(s.ports ? { ports: structuredClone(s.ports) } : {}),
        ...(subsets.length ? { subsets } : {}),
        instances: [...(prev.instances ?? []), ...structuredClone(s.instances ?? [])],
      });
    }
    if (r.ingresses) spec.ingresses = [...(spec.ingresses ?? []), ...structuredClone(r.ingresses)];
  }
  spec.services = [...services.values()];
  return { config: { ...base, spec }, diagnostics };
}

function key(s: Service): string {
  return `${s.namespace ?? DEFAULT_NAMESPACE}/${s.name}`;
}
