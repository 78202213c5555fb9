/**
 * WasmExtensions → `Destination.wasm[]`, in the order the proxy runs them (`DestinationView.wasmExtensions`:
 * phase, priority, id), run by the destination's inbound listeners (src/proxy/wasm/). The built-in
 * proxy loads `module.file` (a relative file is taken relative to the directory of the policy file that
 * names it, so the configuration works from wherever the policies were translated), after checking its
 * `sha256`. An extension given only by `module.url` is an error: the built-in proxy does not fetch OCI
 * images or URLs (that would run code the user never built or checked locally). `ports` are the Service
 * ports of the listener. `config` becomes JSON text (`proxy_on_configure`), as Istio's `pluginConfig`.
 */
import { posix } from "node:path";
import { adapterCode } from "../../../api/diagnostics.js";
import type { WasmPlugin } from "../resources.js";
import type { DestinationFeature } from "./types.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What the built-in proxy can do of `wasmExtension` (format version 1). */
export const wasmExtensionFeature: FeatureModule = {
  features: ["wasmExtension"],
  capabilities: () => ({
    wasmExtension: partial(
      "Destination.wasm (proxy-wasm ABI 0.2.x in worker threads)",
      "local module files only (module.file + sha256; no OCI/URL fetch); bodies buffered up to 1 MiB; no timers, shared data, metrics or HTTP/gRPC callouts (a module calling them fails closed)",
    ),
  }),
};

export const wasmExtension: DestinationFeature = (out, { dest, ctx }) => {
  if (!dest.wasmExtensions.length) return;
  const plugins: WasmPlugin[] = [];
  for (const e of dest.wasmExtensions) {
    const s = e.doc.spec;
    const m = s.module;
    if (m.file === undefined || m.sha256 === undefined) {
      ctx.report(e, "/spec/module", {
        code: adapterCode("unsupported-value", "wasmExtension", "url"),
        severity: "error",
        feature: "wasmExtension",
        message: `module.url ${m.url}: the built-in proxy runs local modules only (it fetches no OCI image or URL); build or download the module and give it as module.file with its sha256 (the url stays for meshes)`,
      });
      continue;
    }
    const file = m.file.startsWith("/") ? m.file : posix.join(posix.dirname(e.origin.file.replace(/\\/g, "/")), m.file);
    plugins.push({
      policy: e.id,
      file,
      sha256: m.sha256,
      ...(s.pluginName !== undefined ? { rootId: s.pluginName } : {}),
      ...(s.config !== undefined ? { config: JSON.stringify(s.config) } : {}),
      ...(s.phase !== undefined ? { phase: s.phase } : {}),
      ...(s.ports ? { ports: [...s.ports].sort((a, b) => a - b) } : {}),
    });
  }
  if (plugins.length) out.wasm = plugins;
};
