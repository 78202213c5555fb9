/**
 * Feature `wasmExtension` → `WasmPlugin` (`extensions.istio.io/v1alpha1`, istio/api
 * `extensions/v1alpha1/wasm.proto`; the CRD of every supported release, 1.22.8 and 1.30.3 checked), one
 * per WasmExtension, in the destination's namespace, named `<svc>-wasm-<extension>` (plus the
 * extension's namespace when it differs), for the destination's sidecars:
 * - `selector.matchLabels`: the service's pod labels (an empty selector or the root namespace: error,
 *   selector.ts). `targetRefs` (kind Service, Gateway) attach a WasmPlugin to ambient waypoints and
 *   gateways, not to sidecars, so this sidecar-mode adapter uses `selector` in every version;
 * - `match: [{mode: SERVER, ports}]`: the model's extension runs on the requests the destination
 *   RECEIVES; without a match Istio would also run it on the pods' outbound calls (CLIENT_AND_SERVER).
 *   `ports[].number` are the pod ports of the model's Service `ports` (Istio matches the inbound
 *   listener's port), so a port the MeshService does not declare is an error (a guessed pod port could
 *   leave the extension off the port it should guard);
 * - `url`: `module.url` (oci://, https://, http://), else `file:///<module.file>` (Istio reads
 *   `file://` from the proxy container's filesystem: warned, a cluster needs the module published at an
 *   oci:// or https:// URL); `sha256`, `pluginName`, `pluginConfig` (the model's `config`), `phase`,
 *   `priority` as written; `type: HTTP`. `failStrategy` is left to Istio's default FAIL_CLOSE, the
 *   model's semantics. A `url` without `sha256` is a warning (a tag can change under the proxies).
 */
import type { KubeObject } from "../../../api/adapter.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";
import type { Entry } from "../../../api/model.js";
import { servicePort } from "../../../api/model.js";
import type { WasmExtension } from "../../../api/generated/model.js";
import { objectMeta } from "../../../api/ownership.js";
import { wasmPluginName } from "../naming.js";
import { EXTENSIONS_V1ALPHA1, type IstioObject, type WasmPluginSpec } from "../resources.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";

/** What Istio can do of `wasmExtension`, in every supported version (the WasmPlugin CRD of 1.22 to 1.30). */
export const wasmExtensionFeature: FeatureModule = {
  features: ["wasmExtension"],
  capabilities: () => ({
    wasmExtension: full("WasmPlugin (extensions.istio.io/v1alpha1) {selector, url, sha256, pluginName, pluginConfig, phase, priority, match[{mode: SERVER, ports}]}",
      "sidecars (selector); a module given only as a local file is referenced as file:// on the proxy (warned)"),
  }),
};

/** One WasmPlugin per WasmExtension of the destination (none when one cannot be expressed: reported). */
export function wasmPlugins(dc: DestinationContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const e of dc.view.wasmExtensions) {
    const o = wasmPlugin(dc, e);
    if (o) out.push(o);
  }
  return out;
}

function wasmPlugin(dc: DestinationContext, e: Entry<WasmExtension>): IstioObject<WasmPluginSpec> | undefined {
  const { view, ic } = dc;
  const spec = e.doc.spec;
  const labels = workloadLabels(dc, e, "/spec/destination", "wasmExtension", "WasmPlugin");
  if (!labels) return undefined;
  const m = spec.module;
  let url = m.url;
  if (url === undefined) {
    url = `file:///${m.file!.replace(/^(\.\/)+/, "").replace(/^\/+/, "")}`;
    ic.report(e, "/spec/module/file", { feature: "wasmExtension", kind: "note", what: "file", severity: "warning",
      message: `module.file is a local file: the WasmPlugin references it as ${url}, which Istio's proxies read from their own container filesystem; for a cluster, publish the module (the same bytes, sha256 ${m.sha256}) at an oci:// or https:// URL and set module.url` });
  } else if (m.sha256 === undefined) {
    ic.report(e, "/spec/module/url", { feature: "wasmExtension", kind: "note", what: "sha256", severity: "warning",
      message: `module.url ${url} without module.sha256: Istio's proxies run whatever the URL serves when they fetch it (an image tag can move); give the module's sha256 so they verify it` });
  }
  const ports: number[] = [];
  let ok = true;
  (spec.ports ?? []).forEach((p, j) => {
    const sp = servicePort(view, p);
    if (!sp.declared) {
      ic.report(e, `/spec/ports/${j}`, { feature: "wasmExtension", kind: "missing-fact", what: "undeclared-ports", severity: "error",
        message: `port ${p} of ${view.namespace}/${view.service} is not declared by a MeshService: Istio matches WasmPlugin ports at the pod (match[].ports are pod ports), and a guessed pod port could leave the extension off the port it should run on; declare the service's ports (MeshService ${view.service}: spec.ports with targetPort)` });
      ok = false;
      return;
    }
    if (!ports.includes(sp.targetPort)) ports.push(sp.targetPort);
  });
  if (!ok) return undefined;
  ports.sort((a, b) => a - b);
  const ns = e.namespace === view.namespace ? undefined : e.namespace;
  return {
    apiVersion: EXTENSIONS_V1ALPHA1,
    kind: "WasmPlugin",
    metadata: objectMeta(wasmPluginName(view.service, e.name, ns), view.namespace, [e]),
    spec: {
      selector: { matchLabels: labels },
      url,
      ...(m.sha256 !== undefined ? { sha256: m.sha256 } : {}),
      ...(spec.pluginName !== undefined ? { pluginName: spec.pluginName } : {}),
      ...(spec.config !== undefined ? { pluginConfig: spec.config as Record<string, unknown> } : {}),
      ...(spec.phase !== undefined ? { phase: spec.phase } : {}),
      ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
      type: "HTTP",
      match: [{ mode: "SERVER", ...(ports.length ? { ports: ports.map((number) => ({ number })) } : {}) }],
    },
  };
}
