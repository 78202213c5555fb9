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
 *
 * Ambient mode (`--set dataplane=ambient`, ambient/waypoint.ts): the destination is served through its
 * namespace's waypoint, and the WasmPlugin has `targetRefs: [{group: "", kind: Service, name: <svc>}]`
 * instead of `selector` and `match` ({@link waypointWasmPlugins}; istio.io
 * `docs/ambient/usage/extend-waypoint-wasm`, "At a waypoint, for a specific service"; istio/api
 * `wasm.proto` `targetRefs`: "`kind: Service` ... This type is only supported for waypoints", and
 * "Waypoint proxies are required to use this field for policies to apply; `selector` policies will be
 * ignored"). The field is in the WasmPlugin CRD of every supported release (1.22.8 and 1.30.3 checked);
 * istiod 1.22.0 did not apply a Service-attached WasmPlugin at the waypoint (istio/istio#51014, fixed by
 * #51018 in 1.22.1): warned for `istio@1.22`. `ports` are refused at a waypoint: istiod looks a
 * waypoint's WasmPlugins up without a port (`buildWaypointHTTPFilters`: `WasmPluginListenerInfo{Class,
 * Service}`), so a WasmPlugin with `match[].ports` would never run there (`matchPorts` compares with
 * port 0), and without them it runs on every port of the Service.
 */
import type { KubeObject } from "../../../api/adapter.js";
import { type FeatureModule, full, partial } from "../../../api/feature-module.js";
import type { Entry } from "../../../api/model.js";
import { servicePort } from "../../../api/model.js";
import type { WasmExtension } from "../../../api/generated/model.js";
import { objectMeta } from "../../../api/ownership.js";
import { wasmPluginName } from "../naming.js";
import { EXTENSIONS_V1ALPHA1, type IstioObject, type WasmPluginSpec } from "../resources.js";
import { compareVersions } from "../versions.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";

/** What Istio can do of `wasmExtension`, in every supported version (the WasmPlugin CRD of 1.22 to 1.30). */
export const wasmExtensionFeature: FeatureModule = {
  features: ["wasmExtension"],
  capabilities: () => ({
    wasmExtension: full(
      "WasmPlugin (extensions.istio.io/v1alpha1) {selector, url, sha256, pluginName, pluginConfig, phase, priority, match[{mode: SERVER, ports}]}",
      "sidecars (selector); a module given only as a local file is referenced as file:// on the proxy (warned)",
    ),
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
  const module = moduleFields(dc, e);
  const ports: number[] = [];
  let ok = true;
  (spec.ports ?? []).forEach((p, j) => {
    const sp = servicePort(view, p);
    if (!sp.declared) {
      ic.report(e, `/spec/ports/${j}`, {
        feature: "wasmExtension",
        kind: "missing-fact",
        what: "undeclared-ports",
        severity: "error",
        message: `port ${p} of ${view.namespace}/${view.service} is not declared by a MeshService: Istio matches WasmPlugin ports at the pod (match[].ports are pod ports), and a guessed pod port could leave the extension off the port it should run on; declare the service's ports (MeshService ${view.service}: spec.ports with targetPort)`,
      });
      ok = false;
      return;
    }
    if (!ports.includes(sp.targetPort)) ports.push(sp.targetPort);
  });
  if (!ok) return undefined;
  ports.sort((a, b) => a - b);
  return {
    apiVersion: EXTENSIONS_V1ALPHA1,
    kind: "WasmPlugin",
    metadata: objectMeta(wasmPluginName(view.service, e.name, namespaceOf(dc, e)), view.namespace, [e]),
    spec: {
      selector: { matchLabels: labels },
      ...module,
      match: [{ mode: "SERVER", ...(ports.length ? { ports: ports.map((number) => ({ number })) } : {}) }],
    },
  };
}

/** What Istio's ambient data plane can do of `wasmExtension` (WasmPlugins at waypoints), in every supported version. */
export const waypointWasmExtensionFeature: FeatureModule = {
  features: ["wasmExtension"],
  capabilities: () => ({
    wasmExtension: partial(
      "WasmPlugin with targetRefs Service, run by the service's waypoint (Gateway istio-waypoint + istio.io/use-waypoint label)",
      "no ports (a waypoint looks WasmPlugins up without a port); Alpha in ambient mode; Istio 1.22.0 does not apply Service-attached WasmPlugins (fixed in 1.22.1); the service's own access rules move to the waypoint, and ztunnel admits only the waypoint on its pods",
    ),
  }),
};

/**
 * Ambient mode: one WasmPlugin per WasmExtension of a destination served by its waypoint, attached to
 * the Service with `targetRefs` (see the module doc); none for an extension with `ports` (error).
 */
export function waypointWasmPlugins(dc: DestinationContext): KubeObject[] {
  const { view, ic } = dc;
  const out: KubeObject[] = [];
  if (view.wasmExtensions.length && compareVersions(ic.version, "1.23") < 0) {
    ic.report(view.wasmExtensions[0], "/spec/destination", {
      feature: "wasmExtension",
      kind: "note",
      what: "waypoint-1.22.0",
      severity: "warning",
      related: view.wasmExtensions.slice(1).map((e) => e.id),
      message: `Istio ${ic.version}: istiod 1.22.0 does not apply a WasmPlugin attached to a Service (targetRefs) at its waypoint (istio/istio#51014, fixed in 1.22.1), so the extensions of ${view.namespace}/${view.service} would not run; run Istio 1.22.1 or later`,
    });
  }
  for (const e of view.wasmExtensions) {
    const ports = e.doc.spec.ports;
    const module = moduleFields(dc, e);
    if (ports?.length) {
      ic.report(e, "/spec/ports", {
        feature: "wasmExtension",
        kind: "unsupported-value",
        what: "waypoint-ports",
        severity: "error",
        message: `ports: in ambient mode ${view.namespace}/${view.service}'s extensions run in its waypoint, and Istio's waypoint looks WasmPlugins up without a port: a WasmPlugin with match[].ports would never run there, and one without runs on every port of the Service; remove ports (the extension then runs on every port), or translate for the sidecar data plane (--set dataplane=sidecar)`,
      });
      continue;
    }
    out.push({
      apiVersion: EXTENSIONS_V1ALPHA1,
      kind: "WasmPlugin",
      metadata: objectMeta(wasmPluginName(view.service, e.name, namespaceOf(dc, e)), view.namespace, [e]),
      spec: { targetRefs: [{ group: "", kind: "Service", name: view.service }], ...module },
    } satisfies IstioObject<WasmPluginSpec>);
  }
  return out;
}

/** The extension's namespace when it is not the destination's (part of the WasmPlugin's name). */
function namespaceOf(dc: DestinationContext, e: Entry<WasmExtension>): string | undefined {
  return e.namespace === dc.view.namespace ? undefined : e.namespace;
}

/** `url`, `sha256`, `pluginName`, `pluginConfig`, `phase`, `priority`, `type` (the module's notes reported). */
function moduleFields(dc: DestinationContext, e: Entry<WasmExtension>): Omit<WasmPluginSpec, "selector" | "targetRefs" | "match"> {
  const { ic } = dc;
  const spec = e.doc.spec;
  const m = spec.module;
  let url = m.url;
  if (url === undefined) {
    url = `file:///${m.file!.replace(/^(\.\/)+/, "").replace(/^\/+/, "")}`;
    ic.report(e, "/spec/module/file", {
      feature: "wasmExtension",
      kind: "note",
      what: "file",
      severity: "warning",
      message: `module.file is a local file: the WasmPlugin references it as ${url}, which Istio's proxies read from their own container filesystem; for a cluster, publish the module (the same bytes, sha256 ${m.sha256}) at an oci:// or https:// URL and set module.url`,
    });
  } else if (m.sha256 === undefined) {
    ic.report(e, "/spec/module/url", {
      feature: "wasmExtension",
      kind: "note",
      what: "sha256",
      severity: "warning",
      message: `module.url ${url} without module.sha256: Istio's proxies run whatever the URL serves when they fetch it (an image tag can move); give the module's sha256 so they verify it`,
    });
  }
  return {
    url,
    ...(m.sha256 !== undefined ? { sha256: m.sha256 } : {}),
    ...(spec.pluginName !== undefined ? { pluginName: spec.pluginName } : {}),
    ...(spec.config !== undefined ? { pluginConfig: spec.config as Record<string, unknown> } : {}),
    ...(spec.phase !== undefined ? { phase: spec.phase } : {}),
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    type: "HTTP",
  };
}
