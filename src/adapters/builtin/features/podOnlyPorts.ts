/**
 * Pod-only ports (MeshService `ports[].podOnly`: a metrics or admin port no Service port reaches, dialled
 * on a pod's own address). The built-in proxy has no pod addresses: callers reach an instance only
 * through a service's ports (its outbound listener routes by `Host: <service>:<port>`; each instance has
 * one inbound listener, for the Service port it serves), and the app's own ports on its machine are
 * outside the local mesh (trusted as a sidecar trusts its pod). So a policy that names a pod-only port
 * cannot be enforced there: an error at the field, never a silent drop. A policy for every port (or a
 * namespace mode) leaves the pod-only ports to the app, which the translator notes once per port.
 */
import type { Entry, Model } from "../../../api/model.js";
import type { TranslateContext } from "../../../api/adapter.js";
import { podOnlyPorts } from "../../shared/pod-only-ports.js";
import type { DestinationFeature } from "./types.js";
import { adapterCode } from "../../../api/diagnostics.js";

const WHY =
  "the built-in proxy has no pod addresses: callers reach an instance only through its service's ports (the outbound listener routes by Host <service>:<port> to the inbound listener of the Service port the instance serves), so nothing it proxies arrives at a port no Service port reaches";

/** Errors for every field of the destination's policies that names one of its pod-only ports. */
export const podOnly: DestinationFeature = (_out, { ctx, dest }) => {
  const podOnly = new Set(dest.ports.filter((p) => p.podOnly).map((p) => p.port));
  if (!podOnly.size) return;
  const refuse = (e: Entry<any>, pointer: string, port: number, what: string) =>
    ctx.report(e, pointer, {
      code: adapterCode("unsupported-value", what === "mTLS mode" ? "mtls" : "access", "pod-only-port"),
      severity: "error",
      feature: what === "mTLS mode" ? "mtls" : "access",
      message: `port ${port} of ${dest.namespace}/${dest.service} is podOnly and ${WHY}; this ${what} cannot be enforced locally: run it on a mesh (--mesh istio or linkerd), or leave the pod port out of the policies you run with unimesh up`,
    });
  for (const p of dest.accessPolicies) {
    const port = p.doc.spec.destination?.port;
    if (port !== undefined && podOnly.has(port)) refuse(p, "/spec/destination/port", port, "AccessPolicy");
  }
  for (const r of [...dest.allow, ...dest.deny]) {
    for (const key of ["ports", "notPorts"] as const) {
      r.rule[key]?.forEach((port, j) => {
        if (podOnly.has(port)) refuse(r.policy, `${r.pointer}/${key}/${j}`, port, `${r.action} rule`);
      });
    }
  }
  const m = dest.mtls;
  for (const k of Object.keys(m?.doc.spec.ports ?? {})) if (podOnly.has(Number(k))) refuse(m!, `/spec/ports/${k}`, Number(k), "mTLS mode");
};

/** An info note per declared pod-only port: the built-in proxy leaves it to the app (see the module doc). */
export function notePodOnlyPorts(model: Model, ctx: TranslateContext): void {
  for (const p of podOnlyPorts(model)) {
    const governed = !!p.mtls || !!model.destination(p.namespace, p.service)?.accessPolicies.length;
    ctx.report(p.entry, p.pointer, {
      code: adapterCode("note", undefined, "pod-only-port"),
      severity: "info",
      message: `pod port ${p.port} of ${p.namespace}/${p.service} is not proxied: ${WHY}; the app serves it directly on its machine${governed ? ", so the AccessPolicies and mTLS modes that cover every port of the service apply only to its Service ports here" : ""}`,
    });
  }
}
