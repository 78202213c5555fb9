/**
 * Feature `scope` (namespace- and mesh-wide AccessPolicies and MTLSPolicies). App Mesh has no
 * namespace or mesh object for access or mTLS: the rules of every scope are applied per VirtualNode
 * (access.ts: a destination's callers; mtls.ts: its listeners), to the services unimesh knows
 * (MeshServices, destinations, callers by convention). A warning per scoped AccessPolicy says that
 * other workloads of the namespace or mesh are not covered (they get no VirtualNode).
 */
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import type { Tx } from "../context.js";
import type { ServiceIndex, ServiceNode } from "../services.js";

/** What App Mesh can do of `scope`. */
export const scopeFeature: FeatureModule = {
  features: ["scope"],
  capabilities: () => ({
    scope: partial(
      "VirtualNode.spec.backends[] and listeners[].tls of every VirtualNode in scope",
      "applied per VirtualNode: to the services unimesh knows (MeshServices, destinations), not to other workloads of the namespace or mesh",
    ),
  }),
};

/**
 * Says (warning: the scope is narrower than the policy asks) what a namespace- or mesh-wide AccessPolicy covers on App Mesh: the VirtualNodes unimesh
 * generates in its scope (MeshServices, destinations, callers by convention), each listing only the
 * callers the rules of every scope allow; other workloads of the namespace are not in the mesh.
 */
export function reportAccessScopes(tx: Tx, index: ServiceIndex): void {
  const { namespaces, mesh } = tx.model.accessScopes();
  const names = (nodes: readonly ServiceNode[], withNs: boolean) => nodes.map((n) => (withNs ? `${n.namespace}/${n.name}` : n.name)).join(", ") || "none";
  for (const [ns, policies] of namespaces) {
    for (const p of policies) {
      tx.report(p, "/spec", {
        feature: "scope",
        kind: "note",
        what: "namespace-wide",
        severity: "warning",
        message: `${tx.mesh} enforces access per VirtualNode, so this namespace-wide AccessPolicy covers the services unimesh knows in ${ns} (${names(index.inNamespace(ns), false)}): only the callers the rules allow list them as backends; other workloads of ${ns} get no VirtualNode and are not in the mesh: declare them as MeshServices`,
      });
    }
  }
  for (const p of mesh) {
    tx.report(p, "/spec", {
      feature: "scope",
      kind: "note",
      what: "mesh-wide",
      severity: "warning",
      message: `${tx.mesh} enforces access per VirtualNode, so this mesh-wide AccessPolicy covers the services unimesh knows (${names(index.nodes, true)}); other workloads get no VirtualNode and are not in the mesh: declare them as MeshServices`,
    });
  }
}
