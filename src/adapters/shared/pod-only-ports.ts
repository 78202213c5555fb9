/**
 * Pod ports no Service port reaches (`MeshService.spec.ports[].podOnly`): a metrics or admin port, or any
 * port callers dial on a pod's own address. The model governs them with AccessPolicies and MTLSPolicies
 * like Service ports (meshes enforce both at the pod port); what differs from one mesh to the next is
 * whether the callers' sidecars carry mutual TLS there, which each adapter says with the list below.
 */
import type { MeshService } from "../../api/generated/model.js";
import type { EffectiveMtls, Entry, Model } from "../../api/model.js";

/** One declared pod-only port and the mTLS mode the pods enforce on it. */
export interface PodOnlyPort {
  /** The MeshService that declares it. */
  entry: Entry<MeshService>;
  /** JSON pointer of its `podOnly` field (`/spec/ports/<i>/podOnly`). */
  pointer: string;
  namespace: string;
  service: string;
  /** The pod port. */
  port: number;
  /**
   * The mode pod port `port` enforces: `Model.podPortMtls` when a policy names the service (services
   * sharing its pods included), else its MTLSPolicies' (`Model.mtlsMode`); undefined: the mesh default.
   */
  mtls?: EffectiveMtls;
}

/** Every declared pod-only port of the model, in MeshService id order, then port order as declared. */
export function podOnlyPorts(model: Model): PodOnlyPort[] {
  const out: PodOnlyPort[] = [];
  for (const e of model.services) {
    const ports = e.doc.spec.ports;
    if (!ports) continue;
    for (let i = 0; i < ports.length; i++) {
      if (!ports[i].podOnly) continue;
      const port = ports[i].port;
      const view = model.destination(e.namespace, e.name);
      const mtls = view ? model.podPortMtls(view, port)?.effective : model.mtlsMode(e.namespace, e.name, port);
      out.push({ entry: e, pointer: `/spec/ports/${i}/podOnly`, namespace: e.namespace, service: e.name, port, ...(mtls ? { mtls } : {}) });
    }
  }
  return out;
}
