/**
 * Feature `mtls` → `PeerAuthentication` (`security.istio.io/v1`, istio/api
 * `security/v1beta1/peer_authentication.proto`), plus the client side in the DestinationRule where Istio's
 * automatic mTLS would otherwise pick the wrong mode.
 *
 * Server side:
 * - A namespace-wide MTLSPolicy → PeerAuthentication `default` in that namespace, no selector,
 *   `mtls.mode` (strict → STRICT, permissive → PERMISSIVE, disabled → DISABLE). Not in Istio's root
 *   namespace, where it would set the mode of the whole mesh: error. The mesh-wide one (`scope: mesh`) →
 *   PeerAuthentication `default` in the root namespace (`rootNamespace` setting).
 * - A service MTLSPolicy → PeerAuthentication `<svc>-mtls` with `selector.matchLabels` = the service's pod
 *   labels (Istio: workload policy > namespace policy > mesh policy). `ports` → `portLevelMtls`, keyed by
 *   the WORKLOAD port: the MTLSPolicy names Service ports, mapped to their `targetPort` (model
 *   `servicePort`: MeshService facts; the same number, assumed, without them). Istio accepts
 *   `portLevelMtls` only with a selector (CRD CEL rule). A pod port reached by several Service ports gets
 *   the strictest of their modes (model `podPortMtls`, a warning on the looser one); a mode on a guessed
 *   pod port that differs from the service's is an error (a wrong guess changes another port's security).
 * - Services whose selectors pick the same pods (model `podGroup`): Istio applies ONE workload
 *   PeerAuthentication to a pod (the oldest when several select it), so every PeerAuthentication of the
 *   group states the same modes: `mtls.mode` the strictest service mode of the group (model `groupMtls`),
 *   `portLevelMtls` each known pod port of the group whose strictest mode (`podPortMtls` across the
 *   group) differs. Looser Service ports get a warning, and so does a service of the group without any
 *   MTLSPolicy (its requests to the shared pods get these modes).
 * - Pod-only ports (MeshService `ports[].podOnly`): their own `ports` key is already a pod port, so it goes
 *   to `portLevelMtls` as it is; they get no DestinationRule `portLevelSettings` (no Service port to name),
 *   and strict there is said to refuse sidecar callers, who reach a pod address in plaintext
 *   (`podOnlyPortNotes`).
 *
 * Client side (decision): Istio's auto mTLS decides per destination whether the caller's sidecar sends
 * mTLS, from the NAMESPACE/mesh PeerAuthentication only (`BestEffortInferServiceMTLSMode` "ignores
 * workload & port level policies"): it sends mTLS unless the namespace mode (else the mesh-wide mode) is
 * DISABLE. So when a service or
 * port mode disagrees with that inference, the DestinationRule of the service sets `trafficPolicy.tls.mode`
 * (whole service) or `portLevelSettings[].tls.mode` (per Service port):
 * - server `disabled` while callers would send mTLS → `DISABLE` (else every call fails the handshake);
 * - server `strict` or `permissive` while callers would send plaintext (namespace `disabled`, or the
 *   service's own `disabled` in the DestinationRule for a permissive port) → `ISTIO_MUTUAL`.
 * `permissive` accepts both, but the model's callers send mutual TLS there (the built-in proxy's do), so
 * the port sees their identities: a caller in plaintext would pass as one without identity, past deny
 * rules naming it. Istio replaces the destination-level connectionPool,
 * loadBalancer and outlierDetection wholesale for a port with port-level settings, so those are copied into
 * each port-level entry. A PeerAuthentication in the root namespace that unimesh did not write is outside
 * the model and not taken into account.
 */
import type { KubeObject } from "../../../api/adapter.js";
import type { MTLSPolicy } from "../../../api/generated/model.js";
import { type PodPortMtls, type PortMtls, describePortMtls, servicePort } from "../../../api/model.js";
import { objectMeta } from "../../../api/ownership.js";
import { podOnlyPorts } from "../../shared/pod-only-ports.js";
import type { IstioContext } from "../context.js";
import type { DestinationRuleDraft } from "../destinationRules.js";
import { NAMESPACE_PEER_AUTHENTICATION_NAME, servicePeerAuthenticationName } from "../naming.js";
import { type ClientTLSSettings, type IstioObject, type PeerAuthenticationSpec, type PeerMtlsMode, type PortTrafficPolicy, SECURITY_V1 } from "../resources.js";
import { workloadLabels } from "./selector.js";
import type { DestinationContext } from "./types.js";
import { type FeatureModule, full } from "../../../api/feature-module.js";

/** What Istio can do of `mtls`, per version. */
export const mtlsFeature: FeatureModule = {
  features: ["mtls"],
  capabilities: () => ({
    mtls: full("PeerAuthentication {mtls, portLevelMtls} + DestinationRule.trafficPolicy.tls where auto mTLS would disagree"),
  }),
};

type Mode = MTLSPolicy["spec"]["mode"];
const MODE: Record<Mode, PeerMtlsMode> = { strict: "STRICT", permissive: "PERMISSIVE", disabled: "DISABLE" };
const STRICTNESS: Record<Mode, number> = { disabled: 0, permissive: 1, strict: 2 };

/**
 * PeerAuthentication `default` for each namespace-wide MTLSPolicy, and `default` in Istio's root
 * namespace (`rootNamespace` setting) for the mesh-wide one (`scope: mesh`), Istio's mesh-wide policy
 * (peer_authentication.proto: "the policy in the root namespace ... applies to all workloads in the
 * mesh"; workload > namespace > mesh, as the model's precedence).
 */
export function namespacePeerAuthentications(ic: IstioContext): KubeObject[] {
  const inRoot = ic.model.namespaceMtls.filter((e) => e.namespace === ic.rootNamespace);
  for (const e of inRoot) {
    ic.report(e, "/spec", {
      feature: "mtls",
      kind: "unsupported-value",
      what: "root-namespace",
      severity: "error",
      message: `${e.namespace} is Istio's root namespace: a PeerAuthentication there sets the mode of the whole mesh, not of one namespace; write scope: mesh for the mesh-wide mode`,
    });
  }
  const pa = (namespace: string, e: (typeof inRoot)[number]): IstioObject<PeerAuthenticationSpec> => ({
    apiVersion: SECURITY_V1,
    kind: "PeerAuthentication",
    metadata: objectMeta(NAMESPACE_PEER_AUTHENTICATION_NAME, namespace, [e]),
    spec: { mtls: { mode: MODE[e.doc.spec.mode] } },
  });
  const out = ic.model.namespaceMtls.filter((e) => e.namespace !== ic.rootNamespace).map((e) => pa(e.namespace, e));
  const mesh = ic.model.meshMtls;
  if (mesh && !inRoot.length) out.push(pa(ic.rootNamespace, mesh));
  return out;
}

/** What to do when a Service port's pod port is not declared (the end of every such diagnostic). */
export function declarePortsHint(dc: DestinationContext, port: number): string {
  return `declare the service's ports (MeshService spec.ports with targetPort) so unimesh can map Service port ${port} of ${dc.view.namespace}/${dc.view.service} to its pod port`;
}

/** PeerAuthentication `<svc>-mtls` for the destination's service MTLSPolicy. */
export function servicePeerAuthentication(dc: DestinationContext): IstioObject<PeerAuthenticationSpec> | undefined {
  const e = dc.view.mtls;
  if (!e) return undefined;
  const labels = workloadLabels(dc, e, "/spec/destination", "mtls", "PeerAuthentication");
  if (!labels) return undefined;
  const model = dc.ic.model;
  // Services sharing these pods (model podGroup): the pods enforce one mode per pod port for all of them,
  // and Istio applies ONE workload PeerAuthentication to a pod (the oldest when several select it), so
  // every PeerAuthentication of the group states the same modes: the strictest of the group.
  const group = model.podGroup(dc.view.namespace, dc.view.service);
  const top = group.length > 1 ? atLeastDefault(dc, model.groupMtls(dc.view)?.effective.mode ?? e.doc.spec.mode, undefined, e) : e.doc.spec.mode;
  const spec: PeerAuthenticationSpec = { selector: { matchLabels: labels }, mtls: { mode: MODE[top] } };
  const targets: number[] = [];
  for (const [key, mode] of Object.entries(e.doc.spec.ports ?? {})) {
    const port = Number(key);
    const { targetPort: tp, declared } = servicePort(dc.view, port);
    if (!declared) {
      // A wrong guess sets the mode on another pod port and leaves the real one at the service mode: a
      // security change in both directions (a weaker mode lands elsewhere, a stricter one is not applied),
      // so only a port mode equal to the service mode (which changes nothing) is let through, with a warning.
      const same = mode === e.doc.spec.mode;
      dc.ic.report(e, `/spec/ports/${key}`, {
        feature: "mtls",
        kind: "unsupported-value",
        what: "guessed-pod-port",
        severity: same ? "warning" : "error",
        message: `ports.${key}: PeerAuthentication portLevelMtls is keyed by pod port, and the pod port of Service port ${port} is not known, so unimesh ${same ? "assumes" : "would assume"} pod port ${port}; if the Service sends port ${port} elsewhere (e.g. 80 → 8080), ${same ? `mode ${mode} (the service's mode) lands on the wrong pod port, which changes nothing` : `mode ${mode} would apply to the wrong pod port and the real one would stay ${e.doc.spec.mode}`}; ${declarePortsHint(dc, port)}`,
      });
      if (!same) continue;
    }
    if (!targets.includes(tp)) targets.push(tp);
  }
  // In a group: every known pod port of the group whose mode is not the top one.
  const grouped: number[] = [];
  if (group.length > 1) {
    for (const m of group)
      for (const p of model.servicePorts(m.namespace, m.name))
        if (!targets.includes(p.targetPort) && !grouped.includes(p.targetPort)) grouped.push(p.targetPort);
    // A pod port only Service ports without MTLSPolicy reach (podPortMtls undefined) has the model's
    // default mode, permissive, not this policy's.
    for (const tp of grouped) if (atLeastDefault(dc, model.podPortMtls(dc.view, tp)?.effective.mode ?? "permissive", tp) !== top) targets.push(tp);
    for (const tp of grouped) warnLooser(dc, tp);
    // A service of the group without any MTLSPolicy (the mesh default applies to it in the model): on the
    // shared pods its requests get this policy's modes.
    // So does one whose mode (its own, its namespace's or the mesh's) is looser than these.
    for (const m of group) {
      if (m.name === dc.view.service) continue;
      const inherited = model.mtlsMode(m.namespace, m.name);
      if (inherited && STRICTNESS[inherited.mode] >= STRICTNESS[top]) continue;
      const has = !inherited
        ? "has no MTLSPolicy (nor does its namespace)"
        : inherited.policy.doc.spec.destination
          ? `asks for mTLS mode ${inherited.mode} (${inherited.policy.id})`
          : `has no MTLSPolicy of its own (its ${inherited.policy.doc.spec.scope === "mesh" ? "mesh-wide" : "namespace-wide"} one says ${inherited.mode})`;
      dc.ic.report(e, "/spec/destination", {
        feature: "mtls",
        kind: "conflict",
        what: "shared-pods",
        severity: "warning",
        message: `${m.namespace}/${m.name} ${has}, but it selects some of the same pods (${sharesWith(dc)}), and Istio applies one workload PeerAuthentication per pod: requests sent to ${m.name} that reach the shared pods get this policy's mTLS modes (${top}${targets.length ? " and the port-level ones" : ""}); give ${m.name} an MTLSPolicy with the same modes to make it explicit`,
      });
    }
  }
  if (targets.length) {
    // Per pod port, the strictest mode of the Service ports reaching it (model podPortMtls): never looser than asked.
    targets.sort((a, b) => a - b);
    const levels: Record<string, { mode: PeerMtlsMode }> = {};
    for (const tp of targets) {
      const m = warnLooser(dc, tp);
      levels[String(tp)] = { mode: MODE[atLeastDefault(dc, m?.effective.mode ?? "permissive", tp, e)] };
    }
    spec.portLevelMtls = levels;
  }
  return {
    apiVersion: SECURITY_V1,
    kind: "PeerAuthentication",
    metadata: objectMeta(servicePeerAuthenticationName(dc.view.service), dc.view.namespace, [e]),
    spec,
  };
}

/**
 * `mode` for a pod port of the destination's pods (`tp`; undefined: the pod ports no known Service port
 * reaches), raised to permissive where a service of its pod group without any MTLSPolicy (nor namespace-
 * or mesh-wide one) may receive requests: the model's default mode, permissive, applies to them, and
 * `disabled` there would take their callers' identities away (plaintext), past deny rules naming them.
 * Such a service reaches the pod ports of its known Service ports, or every pod port when they are not
 * known. With `report`, a warning on it that a `disabled` was not applied (found by the access
 * differential test: `reviews` disabled on a port, `reviews-v2` sharing the pods without MTLSPolicy).
 */
function atLeastDefault(dc: DestinationContext, mode: Mode, tp?: number, report?: NonNullable<DestinationContext["view"]["mtls"]>): Mode {
  if (mode !== "disabled") return mode;
  const model = dc.ic.model;
  for (const m of model.podGroup(dc.view.namespace, dc.view.service)) {
    if (model.mtlsMode(m.namespace, m.name)) continue;
    const ports = model.servicePorts(m.namespace, m.name);
    if (ports.length && (tp === undefined || !ports.some((p) => p.targetPort === tp))) continue;
    if (report)
      dc.ic.report(report, "/spec/destination", {
        feature: "mtls",
        kind: "conflict",
        what: "shared-pods",
        severity: "warning",
        message: `${m.namespace}/${m.name} has no MTLSPolicy (nor does its namespace), so it has the default mode, permissive, and it may receive requests on ${tp === undefined ? "the pod ports" : `pod port ${tp}`} of the pods it shares with ${dc.view.service}: ${tp === undefined ? "they enforce" : "that pod port enforces"} permissive, not disabled (Istio sets one mode per pod port); give ${m.name} an MTLSPolicy with mode disabled there to disable mTLS on it`,
      });
    return "permissive";
  }
  return mode;
}

/**
 * The mode of pod port `tp` of the destination's pods (model podPortMtls: the strictest of the Service
 * ports reaching it, those of services sharing the pods included), with a warning for each Service port
 * behind it that asked for less.
 */
function warnLooser(dc: DestinationContext, tp: number): PodPortMtls | undefined {
  const m = dc.ic.model.podPortMtls(dc.view, tp);
  if (!m) return undefined;
  for (const l of m.looser) {
    const shared = l.service || m.from?.service;
    const name = (p: PortMtls) => (p.service ? describePortMtls(p) : `Service port ${p.port} of ${dc.view.service}`);
    dc.ic.report(l.effective.policy, l.effective.pointer, {
      feature: "mtls",
      kind: "conflict",
      what: "shared-pod-port",
      severity: "warning",
      message: shared
        ? `${name(l)} (namespace ${dc.view.namespace}) asks for mTLS mode ${l.effective.mode}, but pod port ${tp} is also reached by ${m.from ? name(m.from) : `a Service port of ${dc.view.service}`}, which asks for ${m.effective.mode}, on pods both services select; Istio applies one workload PeerAuthentication per pod and sets the mode per pod port, so pod port ${tp} gets the strictest, ${m.effective.mode}, for all of them`
        : `Service port ${l.port} asks for mTLS mode ${l.effective.mode}, but it reaches pod port ${tp} like a Service port that asks for ${m.effective.mode}; PeerAuthentication portLevelMtls sets the mode per pod port, so pod port ${tp} gets the strictest, ${m.effective.mode}`,
    });
  }
  return m;
}

/**
 * Pod-only ports (MeshService `ports[].podOnly`) that enforce strict mTLS: the PeerAuthentication sets it
 * exactly (`portLevelMtls` is keyed by pod port), but a caller's sidecar sends requests to a pod address
 * on a port no Service declares through `PassthroughCluster`, in plaintext (istio/istio#37431, "Pod to Pod
 * access is blocked with STRICT mtls"), so only callers presenting an Istio certificate themselves get
 * through (e.g. Prometheus with Istio's certificates mounted, as Istio's Prometheus integration does).
 * A warning per such port: what the policy says is enforced; who can still reach the port changes.
 */
export function podOnlyPortNotes(ic: IstioContext): void {
  for (const p of podOnlyPorts(ic.model)) {
    if (p.mtls?.mode !== "strict") continue;
    ic.report(p.entry, p.pointer, {
      feature: "mtls",
      kind: "note",
      severity: "warning",
      message: `pod port ${p.port} of ${p.namespace}/${p.service} enforces strict mutual TLS (${p.mtls.policy.id}), but no Service port reaches it, and Istio's sidecars send requests to a pod's address on such a port through PassthroughCluster in plaintext (istio/istio#37431), which strict refuses: only callers that present an Istio certificate themselves (e.g. Prometheus with Istio's certificates mounted) reach it; for sidecar callers, make the port permissive (MTLSPolicy ports) or call it through a Service port`,
    });
  }
}

/** `reviews shares pods with reviews-v2, ...`: the destination's pod group, for a message. */
function sharesWith(dc: DestinationContext): string {
  const others = dc.ic.model
    .podGroup(dc.view.namespace, dc.view.service)
    .filter((x) => x.name !== dc.view.service)
    .map((x) => x.name);
  return `${dc.view.service} shares pods with ${others.join(", ")}`;
}

type Client = "mtls" | "plaintext";

/**
 * The client TLS setting that makes callers send what the model's callers send to a port of mode
 * `server` (plaintext to `disabled`, mutual TLS to `permissive` and `strict`: a permissive port sees its
 * callers' identities, and access rules on them decide), when `client` is what they would send otherwise.
 * Permissive too: a caller sending plaintext there would pass as one without identity, past deny rules
 * naming it (found by the access differential test).
 */
function clientTls(server: Mode, client: Client): ClientTLSSettings["mode"] | undefined {
  const want: Client = server === "disabled" ? "plaintext" : "mtls";
  if (want === client) return undefined;
  return want === "plaintext" ? "DISABLE" : "ISTIO_MUTUAL";
}

/**
 * Sets `trafficPolicy.tls` / `portLevelSettings[].tls` in the destination's DestinationRule where auto
 * mTLS would pick the wrong client mode. Call after the destination-level features filled the policy.
 */
export function applyClientTls(dc: DestinationContext, dr: DestinationRuleDraft): void {
  const e = dc.view.mtls;
  if (!e) return;
  // Auto mTLS infers from the namespace policy, else the mesh-wide one (the root namespace's).
  const ns = dc.ic.model.namespaceMtlsPolicy(dc.view.namespace) ?? dc.ic.model.meshMtls;
  const auto: Client = ns?.doc.spec.mode === "disabled" ? "plaintext" : "mtls";
  const tp = dr.trafficPolicy;
  const top = clientTls(e.doc.spec.mode, auto);
  if (top) tp.tls = { mode: top };
  const effective: Client = top === "DISABLE" ? "plaintext" : top === "ISTIO_MUTUAL" ? "mtls" : auto;
  const levels: PortTrafficPolicy[] = [];
  // Every Service port whose pod port enforces another mode than the service's: its own `ports` key, or
  // a port sharing its pod port with one (the pod port enforces the strictest: model podPortMtls).
  const ports = new Set<number>(Object.keys(e.doc.spec.ports ?? {}).map(Number));
  for (const p of dc.view.ports) ports.add(p.port);
  for (const port of [...ports].sort((a, b) => a - b)) {
    // A pod-only port has no Service port for a DestinationRule to name (see podOnlyPortNotes).
    if (servicePort(dc.view, port).podOnly) continue;
    // What the model's callers send to this Service port follows its own mode (plaintext only to
    // `disabled`), which its pod port accepts unless that enforces `strict` for a Service port sharing it
    // (warned): then mutual TLS, or every call would be refused.
    const own = dc.ic.model.mtlsMode(dc.view.namespace, dc.view.service, port)?.mode ?? e.doc.spec.mode;
    const pod = dc.ic.model.podPortMtls(dc.view, servicePort(dc.view, port).targetPort)?.effective.mode ?? own;
    const t = clientTls(own === "disabled" && pod === "strict" ? "strict" : own, effective);
    if (!t) continue;
    levels.push({
      port: { number: port },
      ...(tp.connectionPool ? { connectionPool: tp.connectionPool } : {}),
      ...(tp.loadBalancer ? { loadBalancer: tp.loadBalancer } : {}),
      ...(tp.outlierDetection ? { outlierDetection: tp.outlierDetection } : {}),
      tls: { mode: t },
    });
  }
  if (levels.length) tp.portLevelSettings = levels;
  if (top || levels.length) dr.policies.add(e.id);
}
