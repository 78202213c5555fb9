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
 *
 * The client side (`combineClientTls`): the adapter writes a PeerAuthentication's modes per POD port, the
 * strictest of the Service ports reaching it, and raised to PERMISSIVE where a service sharing the pods
 * without MTLSPolicy may receive requests; what the model said of each Service port, the adapter keeps in
 * the DestinationRule's client TLS (istio/api ClientTLSSettings `mode`, at `trafficPolicy.tls` or per
 * Service port at `portLevelSettings[].port.number` + `.tls`): DISABLE where a Service port is disabled and
 * callers would otherwise send mutual TLS, ISTIO_MUTUAL where it is strict or permissive and they would
 * send plaintext. So for a DestinationRule unimesh generated from the same MTLSPolicy as the
 * PeerAuthentication, a port's mode is the PeerAuthentication's, but `disabled` where the DestinationRule
 * says DISABLE and the PeerAuthentication PERMISSIVE (the adapter's raise: callers send plaintext there,
 * which is what `disabled` says). Where the two disagree otherwise, the evidence is ambiguous and the
 * stricter mode is imported, with a warning: DISABLE on a STRICT port (the adapter writes it for a
 * disabled service whose pods a strict sharer makes strict, and then ISTIO_MUTUAL on each Service port it
 * knows, which a strict port would get too), ISTIO_MUTUAL on a DISABLE one (never written). ISTIO_MUTUAL
 * never raises permissive to strict: the model's callers send mutual TLS to both. A port with a
 * `portLevelSettings` entry takes that entry's `tls` alone (Istio does not inherit the destination-level
 * one into it). DestinationRules unimesh did not generate are not read for it (an info), nor is one whose
 * MTLSPolicy's PeerAuthentication is not among the inputs (a warning).
 */
import type { MTLSPolicy } from "../../../api/generated/model.js";
import { type NativeObject, isObject } from "../../../api/import-contract.js";
import type { PolicyRef } from "../../../api/ownership.js";
import { type IstioImport, labelsAt, report, sourcePolicies } from "./context.js";
import type { ClientTlsMode, HostRules } from "./destinationRule.js";

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
  /** The DestinationRule whose client TLS settings were read with it (`combineClientTls`). */
  clientTls?: NativeObject;
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

/**
 * Reads the client TLS settings of the DestinationRules unimesh generated together with the PeerAuthentication
 * of the same MTLSPolicy and service (see the module doc); reports those it does not read.
 */
export function combineClientTls(ii: IstioImport, peers: readonly ImportedPeerAuthentication[], drs: ReadonlyMap<string, HostRules>): void {
  for (const dr of drs.values()) {
    const tls = dr.clientTls;
    if (!tls) continue;
    const settings = [
      ...(tls.mode ? [{ mode: tls.mode, pointer: tls.pointer }] : []),
      ...[...tls.ports.values()].filter((x): x is { mode: ClientTlsMode; pointer: string } => !!x.mode),
    ];
    const { namespace, name } = dr.service;
    const peer = peers.find((p) => p.scope === "service" && p.namespace === namespace && p.service === name);
    const policy = tls.generated?.find((r) => peer?.generated?.some((g) => g.id === r.id));
    if (!peer || !policy) {
      // Not unimesh's (or not with the PeerAuthentication of its MTLSPolicy): what the adapter would make of
      // the imported MTLSPolicy decides what callers send, never this object.
      for (const s of settings) {
        report(
          ii,
          dr.native,
          s.pointer,
          tls.generated?.length ? "warning" : "info",
          tls.generated?.length ? "import/unsupported-field" : "import/mesh-default",
          tls.generated?.length
            ? `tls.mode ${s.mode} (the client side of mTLS) comes from ${tls.generated.map((r) => r.id).join(", ")}, and no PeerAuthentication unimesh generated from it for ${name}.${namespace} is among the inputs: not imported, the imported model's callers send what the mode of ${name} among the inputs says (give that PeerAuthentication to import the MTLSPolicy)`
            : `tls.mode ${s.mode} (the client side of mTLS) is not imported: unimesh derives what callers send from the destination's MTLSPolicy (Istio auto mTLS, plus this setting where a service's mode needs it), and unimesh did not generate this DestinationRule`,
        );
      }
      continue;
    }
    const reported = new Set<string>();
    const combine = (server: Mode, client: ClientTlsMode | undefined, pointer: string, what: string): Mode => {
      if (!client) return server;
      let mode = server;
      let message: string | undefined;
      let severity: "info" | "warning" = "warning";
      if (client === "DISABLE" && server === "permissive") {
        mode = "disabled";
        severity = "info";
        message = `${what}: tls.mode DISABLE here and PERMISSIVE in ${peer.native.id} (from ${policy.id}) is how unimesh writes a disabled mode on pods a service without MTLSPolicy shares, or on a pod port a permissive Service port also reaches: imported as disabled`;
      } else if (client === "DISABLE" && server === "strict") {
        message = `${what}: tls.mode DISABLE here but STRICT in ${peer.native.id} (from ${policy.id}), so callers sending plaintext are refused: unimesh writes this for a disabled service whose pods enforce strict for a service sharing them (its Service ports then say ISTIO_MUTUAL, as for a strict port); imported as strict, the stricter of the two (the imported model's callers send mutual TLS)`;
      } else if (client === "ISTIO_MUTUAL" && server === "disabled") {
        mode = "permissive";
        message = `${what}: tls.mode ISTIO_MUTUAL here but DISABLE in ${peer.native.id} (from ${policy.id}): callers sending mutual TLS to a port that does not terminate it fail, which unimesh does not write; imported as permissive, the stricter of the two (the pods accept mutual TLS and plaintext)`;
      }
      if (message && !reported.has(`${pointer} ${message}`)) {
        reported.add(`${pointer} ${message}`);
        report(ii, dr.native, pointer, severity, severity === "info" ? "import/generated" : "import/conflict", message);
      }
      return mode;
    };
    const top = combine(peer.mode!, tls.mode, tls.pointer, `the mode of ${name}`);
    const ports: Record<string, Mode> = {};
    const keys = new Set([...Object.keys(peer.ports ?? {}), ...[...tls.ports.keys()].map(String)]);
    for (const key of [...keys].sort((a, b) => Number(a) - Number(b))) {
      const server = peer.ports?.[key] ?? peer.mode!;
      const entry = tls.ports.get(Number(key));
      const mode = entry ? combine(server, entry.mode, entry.pointer, `Service port ${key}`) : combine(server, tls.mode, tls.pointer, `Service port ${key}`);
      if (peer.ports?.[key] !== undefined || mode !== top) ports[key] = mode;
    }
    peer.mode = top;
    if (Object.keys(ports).length) peer.ports = ports;
    else delete peer.ports;
    peer.clientTls = dr.native;
  }
}
