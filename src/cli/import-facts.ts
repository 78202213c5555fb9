/**
 * The facts an import needs about services (selectors, ports, service accounts: MeshService documents),
 * from what the inputs hold besides mesh objects: MeshService documents (e.g. `unimesh discover` output),
 * and native Services with the workloads that run their pods (Pods, or Deployments, StatefulSets,
 * DaemonSets, ReplicaSets, Jobs and their pod templates), read as `discover` reads a cluster
 * (`meshServiceOf`). A MeshService given wins over one derived from a Service of the same name.
 */
import type { Diagnostic } from "../api/diagnostics.js";
import type { MeshService } from "../api/generated/model.js";
import { type NativeObject, nativeDiagnostic } from "../api/import.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../api/ownership.js";
import { CONTEXTS_ANNOTATION, type PodObject, type ServiceObject, meshServiceOf } from "../kube/discover.js";

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/** A pod for each workload of the inputs: its template's labels and spec, in its namespace. */
export function podsOf(objects: readonly NativeObject[]): PodObject[] {
  const pods: PodObject[] = [];
  for (const o of objects) {
    const obj = o.object as Record<string, any>;
    if (o.group === "" && o.kind === "Pod") pods.push({ ...obj, metadata: { ...obj.metadata, namespace: o.namespace } } as PodObject);
    else if (WORKLOADS.has(o.kind) && (o.group === "apps" || o.group === "batch" || o.group === "extensions")) {
      const t = obj.spec?.template;
      if (t)
        pods.push({ metadata: { name: o.name, namespace: o.namespace, labels: t.metadata?.labels ?? {} }, spec: t.spec ?? {}, status: { phase: "Running" } });
    }
  }
  return pods;
}

/**
 * MeshServices for the native Services among the objects (given MeshServices win), and info diagnostics
 * with what `meshServiceOf` noted.
 */
export function servicesOf(
  objects: readonly NativeObject[],
  given: readonly MeshService[],
  pods: readonly PodObject[],
  context = "",
): { services: MeshService[]; diagnostics: Diagnostic[] } {
  const have = new Set(given.map((s) => `${s.metadata.namespace ?? "default"}/${s.metadata.name}`));
  const services: MeshService[] = [...given];
  const diagnostics: Diagnostic[] = [];
  for (const o of objects) {
    if (o.group !== "" || o.kind !== "Service" || have.has(`${o.namespace}/${o.name}`)) continue;
    // Services unimesh generated (App Mesh's headless <node>-appmesh) are the mesh's, not the application's.
    if (o.object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) continue;
    const svc = { ...(o.object as unknown as ServiceObject), metadata: { ...(o.object as unknown as ServiceObject).metadata, namespace: o.namespace } };
    const d = meshServiceOf(svc, pods, context);
    if (!d) continue;
    if (!context) delete d.doc.metadata.annotations?.[CONTEXTS_ANNOTATION];
    if (d.doc.metadata.annotations && !Object.keys(d.doc.metadata.annotations).length) delete d.doc.metadata.annotations;
    services.push(d.doc);
    have.add(`${o.namespace}/${o.name}`);
    for (const n of d.notes)
      diagnostics.push(nativeDiagnostic(o, "", { code: "import/unresolved", severity: "info", message: `facts of Service ${o.namespace}/${o.name}: ${n}` }));
  }
  return { services, diagnostics };
}
