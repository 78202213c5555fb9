/**
 * The cluster-scoped `Mesh` (`mesh_types.go`: `namespaceSelector`, `egressFilter.type`) and the
 * end-of-support notice.
 *
 * - Name: the `meshName` setting, default `unimesh` (a Mesh spans namespaces, so no namespace name fits).
 * - `namespaceSelector.matchLabels: {mesh: <name>}`: the namespaces of the generated resources must
 *   carry the label `mesh=<name>`, and `appmesh.k8s.aws/sidecarInjectorWebhook=enabled` for sidecar
 *   injection (aws-app-mesh-examples walkthroughs); the Mesh's `unimesh.io/setup` annotation lists them,
 *   and says that callers must use the full service names (the VirtualService `awsName`s: App Mesh
 *   routes by the exact name) and what DROP_ALL and mTLS need.
 *   The controller fills `meshRef` of the other kinds from this selector, so they carry none.
 * - `egressFilter`: `DROP_ALL` when the model has an AccessPolicy, because with `ALLOW_ALL` a VirtualNode
 *   reaches services it does not list as backends through App Mesh's passthrough cluster
 *   (`mesh-allow-all`), which would defeat the allow-lists; `ALLOW_ALL` otherwise, so that pods keep
 *   reaching services outside the mesh. DROP_ALL still lets `*.amazonaws.com` through
 *   (aws/aws-app-mesh-roadmap#2). The `egressFilter` setting overrides it.
 * - AWS discontinued App Mesh on 2026-09-30 (AWS blog "Migrating from AWS App Mesh to Amazon VPC
 *   Lattice"; App Mesh user guide end-of-support notice). Every translation reports it as an `info`
 *   diagnostic `adapter/deprecated-mesh` (not a warning, so that `--strict` stays usable for users who
 *   knowingly target App Mesh, e.g. to migrate) and the Mesh carries it as the `unimesh.io/deprecation`
 *   annotation, so it travels with the manifests.
 */
import { objectMeta } from "../../../api/ownership.js";
import type { Tx } from "../context.js";
import { APPMESH_API_VERSION, type MeshObject } from "../resources.js";
import type { ServiceNode } from "../services.js";
import { adapterCode } from "../../../api/diagnostics.js";

/** How refusals point to other targets. */
export const OTHER_MESHES = "use --mesh istio (or Gateway API)";

/** The end-of-support notice, in the diagnostic and the Mesh annotation. */
export const DEPRECATION_NOTICE =
  "AWS discontinued App Mesh on 2026-09-30: after that date App Mesh resources can no longer be accessed, " +
  "so use these manifests only for existing meshes and migration; migrate with `unimesh translate --mesh istio` " +
  "or `--mesh linkerd`, or to Amazon VPC Lattice through Gateway API (AWS Gateway API Controller)";

/** Annotation carrying {@link DEPRECATION_NOTICE} on the Mesh. */
export const DEPRECATION_ANNOTATION = "unimesh.io/deprecation";
/** Annotation saying which namespaces to label. */
export const SETUP_ANNOTATION = "unimesh.io/setup";

/** Reports {@link DEPRECATION_NOTICE} once per translation (`adapter/deprecated-mesh`, info). */
export function reportDeprecation(tx: Tx): void {
  tx.ctx.reportGlobal({ code: "adapter/deprecated-mesh", severity: "info", message: DEPRECATION_NOTICE });
}

/** The egress filter: the setting, else DROP_ALL when any AccessPolicy exists. */
export function egressFilter(tx: Tx): "ALLOW_ALL" | "DROP_ALL" {
  return tx.settings.egressFilter ?? (tx.model.accessPolicies.length ? "DROP_ALL" : "ALLOW_ALL");
}

/**
 * `egressFilter=ALLOW_ALL` cannot enforce AccessPolicies: an error for each. DROP_ALL chosen by unimesh
 * (because of AccessPolicies, no `egressFilter` setting) blocks every meshed pod's traffic to anything
 * outside the mesh: a warning that says so and how to let a host through (App Mesh's egress walkthrough:
 * a VirtualNode with `serviceDiscovery.dns.hostname` and a VirtualService listed as a backend), or
 * `--set egressFilter=DROP_ALL` to acknowledge it.
 */
export function checkAccessEgress(tx: Tx, namespaces: readonly string[]): void {
  if (egressFilter(tx) === "DROP_ALL" && !tx.settings.egressFilter) {
    const n = tx.model.accessPolicies.length;
    tx.ctx.reportGlobal({
      code: adapterCode("note", "access", "egress-drop-all"),
      severity: "warning",
      feature: "access",
      message: `${tx.mesh}: the Mesh gets egressFilter DROP_ALL because the model has ${n} AccessPolic${n > 1 ? "ies" : "y"} (with ALLOW_ALL a VirtualNode reaches services it does not list as backends through the mesh-allow-all passthrough, which would defeat them); so meshed pods (namespaces ${namespaces.join(", ") || "(none)"}) reach only this mesh's VirtualServices and *.amazonaws.com: every other destination outside the mesh (external APIs, databases, Services of unmeshed namespaces) is blocked. To let one through, give it a VirtualNode with serviceDiscovery.dns.hostname set to its host and a VirtualService for it listed in the callers' VirtualNode backends (aws-app-mesh-examples walkthroughs/howto-k8s-egress; unimesh does not generate these); --set egressFilter=DROP_ALL acknowledges this and silences this warning`,
    });
  }
  if (egressFilter(tx) !== "ALLOW_ALL") return;
  for (const p of tx.model.accessPolicies) {
    tx.report(p, "/spec", {
      feature: "access",
      kind: "unsupported-value",
      what: "egress-allow-all",
      severity: "error",
      message: `${tx.mesh} with egressFilter ALLOW_ALL (setting egressFilter) lets every VirtualNode reach services it does not list as backends through the mesh-allow-all passthrough, so this AccessPolicy could not deny anyone; remove the egressFilter=ALLOW_ALL setting`,
    });
  }
}

/** The Mesh for the namespaces of the generated resources. */
export function meshObject(tx: Tx, nodes: ServiceNode[]): MeshObject {
  const name = tx.settings.meshName;
  const namespaces = [...new Set(nodes.map((n) => n.namespace))].sort();
  const filter = egressFilter(tx);
  const from = filter === "DROP_ALL" && !tx.settings.egressFilter ? tx.model.accessPolicies : [];
  return {
    apiVersion: APPMESH_API_VERSION,
    kind: "Mesh",
    metadata: objectMeta(name, undefined, from, {
      annotations: {
        [DEPRECATION_ANNOTATION]: DEPRECATION_NOTICE,
        [SETUP_ANNOTATION]: [
          `label the namespaces ${namespaces.join(", ") || "(none)"} with mesh=${name} and appmesh.k8s.aws/sidecarInjectorWebhook=enabled`,
          `callers must use the full service names (<service>.<namespace>.svc.${tx.settings.clusterDomain}), the VirtualService names`,
          ...(filter === "DROP_ALL" ? ["egressFilter DROP_ALL: meshed pods reach only this mesh's VirtualServices and *.amazonaws.com"] : []),
          ...(tx.model.mtlsPolicies.length ? ["mTLS uses SPIRE certificates over SDS (controller flag --enable-sds=true)"] : []),
        ].join("; "),
      },
    }),
    spec: { egressFilter: { type: filter }, namespaceSelector: { matchLabels: { mesh: name } } },
  };
}
