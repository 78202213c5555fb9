/**
 * mTLS mode → `VirtualNode.spec.listeners[].tls` {mode STRICT|PERMISSIVE, certificate, validation}
 * on the destination, and `VirtualNode.spec.backends[].virtualService.clientPolicy.tls` {enforce,
 * ports, certificate, validation{trust, subjectAlternativeNames}} on every caller
 * (`ListenerTLS` / `ClientPolicyTLS` in `virtualnode_types.go`).
 *
 * App Mesh has no mesh-issued identity: every TLS setting needs a certificate source (ACM, file or
 * SDS). The model carries none, so unimesh uses SDS as App Mesh does with SPIRE
 * (aws-app-mesh-examples `walkthroughs/howto-k8s-mtls-sds-based`): each VirtualNode presents the
 * SVID whose SPIFFE ID is the model's identity of its service account
 * (`spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`) and trusts the bundle
 * `spiffe://<trustDomain>`. This needs SPIRE registering pods by service account and the controller
 * started with `--enable-sds=true`.
 *
 * - strict → `mode: STRICT` with `validation` (client certificates required: mutual TLS only);
 * - permissive → `mode: PERMISSIVE` with `validation` (mutual TLS or plaintext);
 * - `validation.subjectAlternativeNames`: the SPIFFE IDs of the callers the AccessPolicies allow (see
 *   features/access.ts), so the destination itself checks who the caller is;
 * - disabled → no `tls` (plaintext).
 * Callers of a destination with a TLS listener originate mutual TLS to it (`enforce: true`, limited to
 * the TLS ports when only some are), and check its SPIFFE ID (`subjectAlternativeNames.match.exact`).
 */
import { type MtlsMode, policyScope } from "../../../api/model.js";
import { podOnlyPorts } from "../../shared/pod-only-ports.js";
import type { Tx } from "../context.js";
import type { ClientPolicyTls, ListenerTls } from "../resources.js";
import { type ListenerMtls, type ServiceIndex, type ServiceNode, allPorts } from "../services.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What App Mesh can do of `mtls`. */
export const mtlsFeature: FeatureModule = {
  features: ["mtls"],
  capabilities: () => ({
    mtls: partial(
      "VirtualNode.spec.listeners[].tls, VirtualNode.spec.backends[].virtualService.clientPolicy.tls",
      "needs SPIRE certificates over SDS (controller --enable-sds=true); per VirtualNode listener",
    ),
  }),
};

export type { MtlsMode } from "../../../api/model.js";

export type { ListenerMtls } from "../services.js";

/**
 * The modes of the Service ports whose traffic reaches one listener (pod port), in Service port order
 * (model `mtlsMode` of each): for the message when they differ.
 */
function serviceModes(tx: Tx, node: ServiceNode, listenerPort: number): { port: number; mode: MtlsMode }[] {
  const out: { port: number; mode: MtlsMode }[] = [];
  for (const p of allPorts(node)) {
    if (p.targetPort === listenerPort) out.push({ port: p.port, mode: tx.model.mtlsMode(node.namespace, node.name, p.port)!.mode });
  }
  return out;
}

/**
 * The mode of one listener (pod port) of a service, and the policy that set it; undefined: no policy.
 * Model `podPortMtls`: the keys of `MTLSPolicy.spec.ports` are Service ports, each mapped to its pod
 * port (the listener) through the service's ports (`targetPort`); a listener behind several Service
 * ports with different modes gets the strictest (reported by `checkMtlsPolicies`), so no Service port is
 * ever served more loosely than asked. Without a service MTLSPolicy: the namespace-wide one.
 */
export function mtlsMode(tx: Tx, node: ServiceNode, listenerPort: number): ListenerMtls | undefined {
  // A service without a destination view (a caller only) has no service MTLSPolicy: the namespace's mode.
  const m = node.view ? tx.model.podPortMtls(node.view, listenerPort)?.effective : tx.model.mtlsMode(node.namespace, node.name);
  return m ? { mode: m.mode, policy: m.policy } : undefined;
}

/**
 * {@link mtlsMode} of each listener of a service, in `node.listeners` order. Computed once per service
 * (memo on the node): every VirtualNode of the service and every caller's backend asks for it.
 */
export function listenerModes(tx: Tx, node: ServiceNode): readonly (ListenerMtls | undefined)[] {
  return (node.listenerModes ??= node.listeners.map((l) => mtlsMode(tx, node, l.port)));
}

/** True when a listener in this mode uses TLS ({@link listenerTls} gives it a `tls`). */
function usesTls(mode: MtlsMode | undefined): boolean {
  return mode === "strict" || mode === "permissive";
}

/**
 * `listeners[].tls` for a mode (undefined for disabled or no policy). Keys in canonical (sorted) order.
 * `validation.subjectAlternativeNames.match.exact` lists the SPIFFE IDs of the callers the service's
 * AccessPolicies allow (`node.sans`, set by the access step), as App Mesh's own SDS mTLS walkthrough
 * does (aws-app-mesh-examples `walkthroughs/howto-k8s-mtls-sds-based`): the destination's Envoy then
 * refuses a mutual TLS caller with another identity; without them it would trust every certificate of
 * the bundle.
 */
export function listenerTls(tx: Tx, node: ServiceNode, mode: MtlsMode | undefined): ListenerTls | undefined {
  if (!usesTls(mode)) return undefined;
  const trust = { sds: { secretName: tx.trustBundle } };
  return {
    certificate: { sds: { secretName: node.spiffeId } },
    mode: mode === "strict" ? "STRICT" : "PERMISSIVE",
    validation: node.sans ? { subjectAlternativeNames: { match: { exact: [...node.sans] } }, trust } : { trust },
  };
}

/**
 * `clientPolicy.tls` of `caller` towards `dest`, or undefined when no listener of `dest` uses TLS.
 * Keys in canonical (sorted) order; the TLS ports of `dest` are computed once (memo on the node), since
 * every caller asks for them.
 */
export function clientPolicyTls(tx: Tx, caller: ServiceNode, dest: ServiceNode): ClientPolicyTls | undefined {
  let tlsPorts = dest.tlsPorts;
  if (!tlsPorts) {
    // The listeners callers reach through the VirtualService: a pod-only port's is never a backend's.
    const modes = listenerModes(tx, dest);
    tlsPorts = dest.tlsPorts = dest.listeners.filter((l, i) => !l.podOnly && usesTls(modes[i]?.mode)).map((l) => l.port);
  }
  if (!tlsPorts.length) return undefined;
  const certificate = { sds: { secretName: caller.spiffeId } };
  const validation = { subjectAlternativeNames: { match: { exact: [dest.spiffeId] } }, trust: { sds: { secretName: tx.trustBundle } } };
  return tlsPorts.length < routedListeners(dest)
    ? { certificate, enforce: true, ports: [...tlsPorts], validation }
    : { certificate, enforce: true, validation };
}

/** How many listeners of a service callers reach through its VirtualService (all but pod-only ports'). */
function routedListeners(node: ServiceNode): number {
  let n = 0;
  for (const l of node.listeners) if (!l.podOnly) n++;
  return n;
}

/**
 * Pod-only ports (MeshService `ports[].podOnly`) become VirtualNode listeners, so the pods' Envoys
 * enforce their TLS mode and the allowed callers' identities (`subjectAlternativeNames`), but App Mesh
 * routes only to VirtualServices: callers' Envoys never send to such a port (and with egressFilter
 * DROP_ALL they reach no pod address at all), so it is reached from outside App Mesh's routing, by pods
 * without an App Mesh sidecar (plaintext) or by clients presenting a certificate of the trust bundle
 * themselves. Said once per port: a warning when strict (only the latter get through), else info.
 */
export function notePodOnlyPorts(tx: Tx): void {
  for (const p of podOnlyPorts(tx.model)) {
    const strict = p.mtls?.mode === "strict";
    tx.report(p.entry, p.pointer, {
      feature: "mtls",
      kind: "note",
      severity: strict ? "warning" : "info",
      message: `pod port ${p.port} of ${p.namespace}/${p.service} is a listener of its VirtualNode (its Envoy enforces ${p.mtls ? `mTLS mode ${p.mtls.mode}` : "no TLS"} there${p.mtls ? "" : ", plaintext"} and checks the callers' identities only over mutual TLS), but ${tx.mesh} routes only to VirtualServices (Service ports): callers' Envoys never send to it, and with egressFilter DROP_ALL they cannot reach a pod's address at all; ${strict ? "being strict, it is reached only by clients that present a certificate of the trust bundle themselves (not through an App Mesh sidecar)" : "it is reached by pods without an App Mesh sidecar, in plaintext"}`,
    });
  }
}

/** True when every listener of the service accepts only mutual TLS. */
export function strictOnly(tx: Tx, node: ServiceNode): boolean {
  // Only when the ports are declared: guessed listeners are not all the service's ports.
  return node.listeners.length > 0 && !!node.facts.ports?.length && listenerModes(tx, node).every((m) => m?.mode === "strict");
}

/**
 * Reports MTLSPolicies App Mesh cannot apply: a service-level policy for a service without known ports
 * (TLS is set per VirtualNode listener), per-port modes for ports the service does not have, and (info)
 * what a namespace-wide policy covers: only the VirtualNodes unimesh generates.
 */
export function checkMtlsPolicies(tx: Tx, index: ServiceIndex): void {
  for (const e of tx.model.mtlsPolicies) {
    const d = e.doc.spec.destination;
    if (d) {
      const node = index.get(d.namespace ?? e.namespace, d.service);
      if (!node?.listeners.length) {
        tx.report(e, "/spec/destination", {
          feature: "mtls",
          kind: "unsupported-value",
          what: "no-port",
          severity: "error",
          message: `destination: ${tx.mesh} sets TLS on VirtualNode listeners (listeners[].tls), and no port of ${d.namespace ?? e.namespace}/${d.service} is known; declare its ports in a MeshService`,
        });
        continue;
      }
      if (!node.facts.ports?.length) {
        // Guessed ports come from the policies: the mode would cover only them, and a port the policies do
        // not name would keep no TLS at all, silently.
        tx.report(e, "/spec/mode", {
          feature: "mtls",
          kind: "unsupported-value",
          what: "undeclared-ports",
          severity: "error",
          message: `mode: this MTLSPolicy applies to every port of ${node.namespace}/${node.name}, and ${tx.mesh} sets TLS per VirtualNode listener (listeners[].tls), but the service's ports are not declared (the policies name ${node.ports.map((p) => p.port).join(", ")}), so any other port would get no TLS; declare the service's ports in a MeshService`,
        });
        continue;
      }
      for (const p of Object.keys(e.doc.spec.ports ?? {})) {
        const n = Number(p);
        // Keys are Service ports (or declared pod-only ports); the targetPort of a Service port is not one.
        const ports = allPorts(node);
        if (!ports.some((x) => x.port === n)) {
          tx.report(e, `/spec/ports/${p}`, {
            feature: "mtls",
            kind: "unsupported-value",
            what: "unknown-port",
            severity: "warning",
            message: `ports.${p}: ${node.namespace}/${node.name} has no Service port ${p} (ports: ${ports.map((x) => x.port).join(", ")}; the keys of ports are Service ports, not pod ports), so ${tx.mesh} has no listener to set it on; fix the port or declare it in the MeshService`,
          });
        }
      }
      if (e !== node.view?.mtls) continue;
      for (const l of node.listeners) {
        const modes = serviceModes(tx, node, l.port);
        if (new Set(modes.map((m) => m.mode)).size < 2) continue;
        const strictest = mtlsMode(tx, node, l.port)!.mode;
        const looser = modes.filter((m) => m.mode !== strictest && String(m.port) in (e.doc.spec.ports ?? {}));
        for (const m of looser) {
          tx.report(e, `/spec/ports/${m.port}`, {
            feature: "mtls",
            kind: "conflict",
            severity: "warning",
            message: `ports.${m.port}: Service ports ${modes.map((x) => `${x.port} (${x.mode})`).join(", ")} of ${node.namespace}/${node.name} all reach pod port ${l.port}, and ${tx.mesh} sets TLS once per VirtualNode listener (listeners[].tls), so pod port ${l.port} uses the strictest mode, ${strictest}; give these Service ports the same mode, or send them to different pod ports`,
          });
        }
      }
    } else {
      // Namespace-wide: the namespace's services without their own policy; mesh-wide: those of every
      // namespace without a namespace-wide one either.
      const mesh = policyScope(e) === "mesh";
      const covered = (mesh ? index.nodes : index.inNamespace(e.namespace)).filter(
        (n) => n.listeners.length && !n.view?.mtls && (!mesh || !tx.model.namespaceMtlsPolicy(n.namespace)),
      );
      const where = mesh ? "the mesh" : e.namespace;
      tx.report(e, "/spec/mode", {
        feature: mesh ? "scope" : "mtls",
        kind: "unsupported-value",
        what: "scoped",
        severity: "info",
        message: `mode: ${tx.mesh} sets TLS per VirtualNode listener, so this ${mesh ? "mesh" : "namespace"}-wide policy covers the services unimesh knows in ${where} (${covered.map((n) => (mesh ? `${n.namespace}/${n.name}` : n.name)).join(", ") || "none"}); declare other workloads as MeshServices (with ports) to cover them; certificates come from SPIRE over SDS (controller flag --enable-sds=true)`,
      });
      // Not silent: a service whose ports are only guessed gets TLS on those ports alone.
      const guessed = covered.filter((n) => !n.facts.ports?.length);
      if (guessed.length) {
        tx.report(e, "/spec/mode", {
          feature: "mtls",
          kind: "unsupported-value",
          what: "guessed-ports",
          severity: "warning",
          message: `mode: the ports of ${guessed.map((n) => `${n.name} (${n.ports.map((p) => p.port).join(", ")})`).join(", ")} in ${where} are only guessed from the policies, so ${tx.mesh} sets TLS on those listeners alone and any other port of them keeps no TLS; declare their ports in MeshServices`,
        });
      }
    }
  }
}
