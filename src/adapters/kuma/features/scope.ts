/**
 * Feature `scope`: namespace- and mesh-wide AccessPolicies → MeshTrafficPermission with `targetRef: Mesh`
 * in the namespace (a policy outside the system namespace selects only its namespace's proxies) or in the
 * system namespace (`systemNamespace` setting) for the mesh; MTLSPolicies likewise as MeshTLS (mtls.ts).
 * Kuma evaluates the rules of every MeshTrafficPermission of an inbound together (access.ts), so the
 * scopes form one rule set, as the model's.
 */
import type { AccessPolicy } from "../../../api/generated/model.js";
import { type Entry, policyScope } from "../../../api/model.js";
import type { KumaContext } from "../context.js";
import type { KumaObject } from "../resources.js";
import { admitsAll, meshTrafficPermission } from "./access.js";
import { type FeatureModule, featureModule, partial } from "./types.js";

export const scope: FeatureModule = featureModule("scope", () =>
  partial(
    "MeshTrafficPermission / MeshTLS with targetRef Mesh in the namespace, or in the system namespace (systemNamespace setting) for the mesh",
    "a namespace- or mesh-wide AccessPolicy needs strict mTLS on every service unimesh knows in its scope",
  ),
);

/**
 * The same for a namespace- or mesh-wide AccessPolicy: every workload of its scope must be strict, those
 * no document names included, so the namespace's (or, for the mesh, every namespace's and the mesh's)
 * MTLSPolicy must be strict, and so must every service MTLSPolicy in the scope.
 */
function requireStrictScope(kc: KumaContext, e: Entry<AccessPolicy>): void {
  const s = e.doc.spec;
  if ((s.allow ?? []).some((r) => admitsAll(r, s.source)) && !(s.deny ?? []).length) return;
  const model = kc.model;
  const mesh = policyScope(e) === "mesh";
  const namespaces = mesh
    ? [
        ...new Set([...model.mtlsPolicies.map((p) => p.namespace), ...model.services.map((x) => x.namespace), ...model.destinations().map((v) => v.namespace)]),
      ].sort()
    : [e.namespace];
  const looser: string[] = [];
  // The mode of a workload no MTLSPolicy names: "" is no service's name.
  const level = (ns: string) => model.mtlsMode(ns, "");
  const describe = (m: ReturnType<typeof level>) =>
    m
      ? `${m.policy.id} (${m.mode})`
      : "no MTLSPolicy (without a MeshTLS mode Kuma takes the Mesh's: Strict with a MeshIdentity, else its mTLS backend's, which may be PERMISSIVE)";
  if (mesh && level("\u0000")?.mode !== "strict") looser.push(`the mesh: ${describe(level("\u0000"))}`);
  for (const ns of namespaces) {
    const m = level(ns);
    if (m?.mode !== "strict") looser.push(`namespace ${ns}: ${describe(m)}`);
  }
  for (const p of model.mtlsPolicies) {
    if (policyScope(p) !== "service" || !namespaces.includes(p.namespace)) continue;
    const modes = [p.doc.spec.mode, ...Object.values(p.doc.spec.ports ?? {})];
    if (modes.some((m) => m !== "strict")) looser.push(`${p.id} (${modes.filter((m) => m !== "strict").join(", ")})`);
  }
  if (!looser.length) return;
  kc.report(e, "/spec", {
    feature: "scope",
    kind: "unsupported-value",
    what: "plaintext",
    severity: "error",
    message: `Kuma enforces MeshTrafficPermission on mutual-TLS connections only, and workloads this ${mesh ? "mesh" : "namespace"}-wide AccessPolicy covers accept plaintext: ${[...new Set(looser)].join("; ")}. Plaintext callers would get past its rules there: make mTLS strict in its whole scope`,
  });
}

/** Namespace- and mesh-wide AccessPolicies (each its own MeshTrafficPermission). */
export function scopedMeshTrafficPermissions(kc: KumaContext): KumaObject[] {
  const out: KumaObject[] = [];
  for (const e of kc.model.accessPolicies) {
    if (policyScope(e) === "service") continue;
    requireStrictScope(kc, e);
    const o = meshTrafficPermission(kc, e);
    if (o) out.push(o);
  }
  return out;
}
