/**
 * PeerAuthentication (`security.istio.io`, istio/api `security/v1beta1/peer_authentication.proto`) →
 * MTLSPolicy, the reverse of the adapter's features/mtls.ts:
 *
 * - `selector.matchLabels` → `destination` (the service whose pods they are); no selector → the namespace
 *   (`destination` omitted); in Istio's root namespace → `scope: mesh`.
 * - `mtls.mode` STRICT / PERMISSIVE / DISABLE → `mode` strict / permissive / disabled. UNSET (or no
 *   `mtls`) inherits: a namespace-wide one from the mesh-wide policy (nothing to import), a workload one
 *   from the namespace's, else the mesh's, else PERMISSIVE (Istio's default), written out (info).
 * - `portLevelMtls` (pod ports) → `ports` (the Service ports that reach them).
 *
 * Two policies of one scope (two namespace-wide ones, two for one workload) are an error: Istio applies the
 * oldest, which the import cannot know.
 */
import type { MTLSPolicy } from "../../../api/generated/model.js";
import { type NativeObject, isObject } from "../../../api/import-contract.js";
import type { PolicyRef } from "../../../api/ownership.js";
import { type IstioImport, labelsAt, report, sourcePolicies } from "./context.js";

type Mode = MTLSPolicy["spec"]["mode"];
const MODES: Record<string, Mode> = { STRICT: "strict", PERMISSIVE: "permissive", DISABLE: "disabled" };

/** One PeerAuthentication, read. */
export interface ImportedPeerAuthentication {
  native: NativeObject;
  scope: "service" | "namespace" | "mesh";
  namespace: string;
  service?: string;
  /** Undefined: UNSET (inherits). */
  mode?: Mode;
  /** Service port → mode. */
  ports?: Record<string, Mode>;
  generated?: PolicyRef[];
}

/** Reads every PeerAuthentication; workload ones with UNSET mode get the mode they inherit. */
export function peerAuthentications(ii: IstioImport, objects: readonly NativeObject[]): ImportedPeerAuthentication[] {
  const out: ImportedPeerAuthentication[] = [];
  const byScope = new Map<string, NativeObject>();
  for (const o of objects) {
    const f = ii.ctx.fields(o);
    if (isObject(o.object.spec) && !Object.keys(o.object.spec).length) f.use("/spec"); // {}: UNSET
    let scope: ImportedPeerAuthentication["scope"];
    let service: string | undefined;
    let namespace = o.namespace;
    if (f.get("/spec/selector") !== undefined) {
      f.use("/spec/selector");
      const labels = labelsAt(f, "/spec/selector/matchLabels");
      service = labels && Object.keys(labels).length ? ii.ctx.facts.serviceBySelector(o.namespace, labels) : undefined;
      if (!service || o.namespace === ii.rootNamespace) {
        report(
          ii,
          o,
          "/spec/selector",
          "error",
          "import/unresolved",
          o.namespace === ii.rootNamespace
            ? `${o.namespace} is Istio's root namespace, where a selector picks workloads of every namespace: the model has no such scope`
            : `selector ${JSON.stringify(labels)} picks no service the import knows (a MeshService with exactly this selector, or {app: <service>}); give the MeshServices (unimesh discover) or the Services with the inputs`,
        );
        ii.ctx.ignore(o);
        continue;
      }
      scope = "service";
    } else if (o.namespace === ii.rootNamespace) {
      scope = "mesh";
    } else scope = "namespace";
    const key = `${scope}/${namespace}/${service ?? ""}`;
    const prev = byScope.get(key);
    if (prev) {
      report(
        ii,
        o,
        "/metadata/name",
        "error",
        "import/conflict",
        `${prev.id} is for the same ${scope === "service" ? `workloads (${service})` : scope}: Istio applies only the oldest of them; keep one`,
      );
      ii.ctx.ignore(o);
      continue;
    }
    byScope.set(key, o);
    const raw = f.take("/spec/mtls/mode") ?? "UNSET";
    f.use("/spec/mtls");
    let mode: Mode | undefined;
    if (raw !== "UNSET") {
      mode = MODES[String(raw)];
      if (!mode) {
        report(ii, o, "/spec/mtls/mode", "error", "import/invalid", `mode ${JSON.stringify(raw)} is not STRICT, PERMISSIVE, DISABLE or UNSET`);
        continue;
      }
    }
    let ports: Record<string, Mode> | undefined;
    const levels = f.get("/spec/portLevelMtls");
    if (levels !== undefined) {
      f.use("/spec/portLevelMtls");
      if (scope !== "service") {
        report(ii, o, "/spec/portLevelMtls", "error", "import/invalid", "portLevelMtls needs a selector (Istio ignores it otherwise)");
        continue;
      }
      if (!isObject(levels)) continue;
      let bad = false;
      for (const [pod, v] of Object.entries(levels)) {
        const m = isObject(v) ? (v.mode === "UNSET" || v.mode === undefined ? "UNSET" : MODES[String(v.mode)]) : undefined;
        if (!m || !/^[0-9]+$/.test(pod)) {
          report(ii, o, `/spec/portLevelMtls/${pod}`, "error", "import/invalid", "portLevelMtls maps pod ports to {mode}");
          bad = true;
          continue;
        }
        if (m === "UNSET") continue; // the workload's mode applies
        const sp = ii.ctx.facts.servicePorts(namespace, service!, Number(pod));
        if (!sp.ports.length) {
          report(
            ii,
            o,
            `/spec/portLevelMtls/${pod}`,
            "error",
            "import/unresolved",
            `pod port ${pod} is the target of no port of Service ${service} (the model's ports are Service ports)`,
          );
          bad = true;
          continue;
        }
        for (const p of sp.ports) (ports ??= {})[String(p)] = m;
      }
      if (bad) continue;
    }
    if (scope === "mesh") namespace = ii.rootNamespace;
    const generated = sourcePolicies(o, "MTLSPolicy");
    out.push({
      native: o,
      scope,
      namespace,
      ...(service ? { service } : {}),
      ...(mode ? { mode } : {}),
      ...(ports ? { ports } : {}),
      ...(generated ? { generated } : {}),
    });
  }
  // UNSET modes: a namespace-wide or mesh-wide one inherits (nothing to say); a workload one gets the
  // namespace's mode, else the mesh's, else PERMISSIVE.
  const mesh = out.find((p) => p.scope === "mesh")?.mode;
  for (const p of out) {
    if (p.mode || p.scope !== "service") continue;
    const ns = out.find((x) => x.scope === "namespace" && x.namespace === p.namespace)?.mode;
    p.mode = ns ?? mesh ?? "permissive";
    report(
      ii,
      p.native,
      "/spec/mtls",
      "info",
      "import/mesh-default",
      `mode UNSET inherits ${ns ? `the namespace's mode (${ns})` : mesh ? `the mesh-wide mode (${mesh})` : "PERMISSIVE (Istio's default: no namespace- or mesh-wide PeerAuthentication among the inputs)"}: written out`,
    );
  }
  return out.filter((p) => {
    if (p.mode) return true;
    report(
      ii,
      p.native,
      "/spec/mtls",
      "info",
      "import/mesh-default",
      `mode UNSET ${p.scope === "mesh" ? "is PERMISSIVE, Istio's default" : "inherits the mesh-wide mode"}: nothing to import`,
    );
    return false;
  });
}
