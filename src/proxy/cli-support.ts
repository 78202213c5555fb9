/**
 * What `unimesh proxy` and `unimesh up` share: reading proxy documents into one configuration, a
 * human summary of the listeners, and running until stopped. Kept here so the command files only
 * parse flags, call, print and return.
 */
import { dirname, resolve } from "node:path";
import type { ProxyConfig, ServiceRegistry } from "../api/generated/proxyConfig.js";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../api/diagnostics.js";
import { loadProxyDocuments, type ProxyDocumentEntry } from "./config/load.js";
import { mergeProxyDocuments } from "./config/merge.js";
import type { ProxyRuntime } from "./runtime.js";

/** Reads proxy documents (ProxyConfig and ServiceRegistry) from files and merges them. */
export function configFromFiles(
  files: string[],
  extraConfigs: ProxyDocumentEntry<ProxyConfig>[] = [],
): { config?: ProxyConfig; diagnostics: Diagnostic[]; registries: ProxyDocumentEntry<ServiceRegistry>[] } {
  const docs = loadProxyDocuments(files);
  if (hasErrors(docs.diagnostics)) return { diagnostics: docs.diagnostics, registries: docs.registries };
  const configs = [...extraConfigs, ...docs.configs];
  if (!configs.length && !docs.registries.length) {
    return {
      diagnostics: [
        ...docs.diagnostics,
        { code: "input/no-documents", severity: "error", message: "no ProxyConfig or ServiceRegistry document in the inputs" },
      ],
      registries: [],
    };
  }
  const merged = mergeProxyDocuments(configs, docs.registries);
  return { config: merged.config, diagnostics: [...docs.diagnostics, ...merged.diagnostics], registries: docs.registries };
}

/**
 * The trust domain the registries set (the last one that sets it wins, as when they are merged), or
 * undefined. Unreadable or invalid files are left to {@link configFromFiles} to report.
 */
export function registryTrustDomain(files: string[]): string | undefined {
  let td: string | undefined;
  for (const r of loadProxyDocuments(files).registries) td = r.doc.spec.trustDomain ?? td;
  return td;
}

/** The directory `run` paths are relative to: the first registry file's. */
export function registryDir(registries: ProxyDocumentEntry<ServiceRegistry>[], cwd: string): string {
  return registries.length ? dirname(resolve(cwd, registries[0].file)) : cwd;
}

/** Prints diagnostics, one grep-friendly line each. */
export function printDiagnostics(write: (s: string) => void, diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) write(formatDiagnostic(d) + "\n");
}

/** A few lines telling where everything listens. */
export function summary(proxy: ProxyRuntime): string {
  const lines: string[] = [];
  const l = proxy.listeners();
  const cfg = proxy.config;
  lines.push(
    `  admin     http://${l.admin.address}:${l.admin.port}  (GET /metrics /healthz /ready /config /listeners /clusters /certs; POST /reload /quitquitquit)`,
  );
  for (const plan of cfg.listeners) {
    const b = l[plan.key];
    if (!b || plan.kind === "admin") continue;
    const url = `${b.address}:${b.port}`;
    if (plan.kind === "ingress")
      lines.push(`  ingress   http://${url}  ${plan.name}${plan.destination ? ` → ${plan.destination.service.key}` : ""} (as ${plan.identity.spiffe})`);
    else if (plan.kind === "eastwest") lines.push(`  eastwest  ${url}  other members' mTLS to this member's services (passed through by SNI)`);
    else {
      const i = plan.instance;
      const labels = Object.entries(i.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const who = `${i.service.key}${labels ? ` {${labels}}` : ""} app ${i.address}:${i.port}`;
      lines.push(plan.kind === "outbound" ? `  outbound  http://${url}  ${who} (HTTP_PROXY of the app)` : `  inbound   ${url}  ${who} (mTLS ${i.mode})`);
    }
  }
  return lines.join("\n") + "\n";
}
