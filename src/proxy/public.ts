/**
 * The proxy API exported by the package root. The runtime (undici, X.509) is imported only when a
 * proxy is started, so `import "unimesh"` stays light for translation-only use.
 *
 * ```ts
 * import { loadProxyDocuments, mergeProxyDocuments, startProxy } from "unimesh";
 * const docs = loadProxyDocuments(["proxy.yaml", "registry.yaml"]);
 * const { config } = mergeProxyDocuments(docs.configs, docs.registries);
 * const proxy = await startProxy(config);   // proxy.listeners(), proxy.reload(next), proxy.stop()
 * ```
 */
import type { ProxyConfig } from "../api/generated/proxyConfig.js";
import type { ProxyRuntime, StartOptions } from "./runtime.js";

export { loadProxyDocuments, parseProxyDocuments, type LoadedProxyDocuments, type ProxyDocumentEntry } from "./config/load.js";
export { mergeProxyDocuments } from "./config/merge.js";
export type { ProxyRuntime, StartOptions, ProxyEvent } from "./runtime.js";
export type { ProxyConfig, ServiceRegistry, ProxyDocument } from "../api/generated/proxyConfig.js";

/**
 * Compiles and starts the built-in proxy for a merged configuration.
 * @throws ProxyConfigError (with `diagnostics`) when the configuration has errors; the listen error
 *   (e.g. EADDRINUSE) when a port is taken.
 */
export async function startProxy(config: ProxyConfig, options?: StartOptions): Promise<ProxyRuntime> {
  const { startProxy: start } = await import("./runtime.js");
  return start(config, options);
}
