/**
 * Feature `mtls` (MTLSPolicy modes). Meshed Linkerd pods always talk mTLS to each other; what the model's
 * modes change is whether a pod port also admits plaintext (unmeshed) clients:
 * - a service-level MTLSPolicy → a Server per pod port of the service (inbound.ts) whose default is
 *   `accessPolicy: all-authenticated` (strict) or `all-unauthenticated` (permissive) on 2.16+; on
 *   2.14–2.15, whose Server has no accessPolicy, an AuthorizationPolicy for every caller (or every
 *   meshed caller) instead. With AccessPolicies, strict turns "any caller" into "any meshed identity"
 *   and IP blocks into IP blocks AND a meshed identity (callers.ts `authorizations`).
 * - a namespace-wide MTLSPolicy → the namespace's default inbound policy (scope.ts).
 * - a pod port reached by several Service ports (or Services sharing pods) gets the strictest mode of
 *   them (model `podPortMtls`): a warning for each that asked for less.
 *
 * Refused (every version): `disabled` (mTLS between meshed pods cannot be turned off), a service-level
 * mode on undeclared ports (a Server per pod port needs the ports), and mesh-wide MTLSPolicies (scope.ts).
 */
import type { DestinationPort, DestinationView, EffectiveMtls, Entry, PortMtls } from "../../../api/model.js";
import type { MTLSPolicy } from "../../../api/generated/model.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";
import { describePortMtls, servicePort } from "../../../api/model.js";
import type { LinkerdContext } from "../context.js";
import { versionFacts } from "../versions.js";

/** What Linkerd can do of `mtls`, per version. */
export const mtlsFeature: FeatureModule = {
  features: ["mtls"],
  capabilities: (version) => ({
    mtls: partial(
      versionFacts(version).serverAccessPolicy
        ? "namespace annotation config.linkerd.io/default-inbound-policy (patch); Server accessPolicy"
        : "namespace annotation config.linkerd.io/default-inbound-policy (patch); Server + AuthorizationPolicy",
      "mTLS between meshed pods is always on: disabled cannot be expressed; the namespace annotation applies to pods created after it.",
    ),
  }),
};

/**
 * The effective mTLS mode of a pod port: model `podPortMtls` (the strictest of the Service ports behind
 * it, so no Service port is served more loosely than asked; undefined: no MTLSPolicy). Service ports
 * behind it that asked for less get a warning: Linkerd's Server is per pod port.
 */
export function mtlsMode(lc: LinkerdContext, v: DestinationView, targetPort: number): EffectiveMtls | undefined {
  const m = lc.model.podPortMtls(v, targetPort);
  if (!m) return undefined;
  for (const l of m.looser) {
    const name = (p: PortMtls) => (p.service ? describePortMtls(p) : `Service port ${p.port} of ${v.service}`);
    lc.report(l.effective.policy, l.effective.pointer, {
      feature: "mtls",
      kind: "conflict",
      severity: "warning",
      message:
        l.service || m.from?.service
          ? `${name(l)} (namespace ${v.namespace}) asks for mTLS mode ${l.effective.mode}, but pod port ${targetPort} is also reached by ${m.from ? name(m.from) : `a Service port of ${v.service}`}, which asks for ${m.effective.mode}, on pods both services select; Linkerd ${lc.version} sets the inbound policy per pod port (one Server, the oldest when several select it), so pod port ${targetPort} gets the strictest, ${m.effective.mode}, for all of them`
          : `Service port ${l.port} asks for mTLS mode ${l.effective.mode}, but it reaches pod port ${targetPort} like a Service port that asks for ${m.effective.mode}; Linkerd ${lc.version} sets the inbound policy per pod port (one Server), so pod port ${targetPort} gets the strictest, ${m.effective.mode}`,
    });
  }
  if (m.effective.mode === "strict") warnSharersWithoutMode(lc, v, targetPort, m.effective);
  return m.effective;
}

/**
 * Services sharing the destination's pods that have no MTLSPolicy at all (nor their namespace): in the
 * model they are permissive (the default), and `podPortMtls` does not list them as looser, but on the
 * shared pods pod port `targetPort` has ONE Server (the oldest when several select it) with the strict
 * mode, so their plaintext callers are refused there: a warning, as for a sharer that asked for less.
 * Only sharers that may receive requests on that pod port (ports not known, or one reaching it).
 */
function warnSharersWithoutMode(lc: LinkerdContext, v: DestinationView, targetPort: number, strict: EffectiveMtls): void {
  for (const o of lc.model.podSharers(v.namespace, v.service)) {
    const name = o.facts.name;
    if (lc.model.mtlsMode(v.namespace, name)) continue;
    const ports = lc.model.servicePorts(v.namespace, name);
    if (ports.length && !ports.some((p) => p.targetPort === targetPort)) continue;
    lc.report(strict.policy, strict.pointer, {
      feature: "mtls",
      kind: "conflict",
      what: "shared-pods",
      severity: "warning",
      message: `${v.namespace}/${name} has no MTLSPolicy (nor does its namespace), so it accepts plaintext in the model, but it selects some of the same pods as ${v.namespace}/${v.service}, whose pod port ${targetPort} is strict; Linkerd ${lc.version} sets the inbound policy per pod port (one Server, the oldest when several select it), so requests sent to ${name} that reach pod port ${targetPort} of the shared pods must be mTLS (plaintext clients are refused); give ${name} an MTLSPolicy strict to make it explicit`,
    });
  }
}

/** The error message for an `mtls: disabled` Linkerd cannot express. */
export function mtlsOffMessage(ver: string): string {
  return `${ver} cannot turn mTLS off: meshed pods always talk mTLS to each other (plaintext only reaches a pod from unmeshed clients or through ports the proxy skips, config.linkerd.io/skip-inbound-ports, which unimesh does not manage). Use permissive`;
}

/**
 * The pod ports that need a Server for the destination's own MTLSPolicy (its mode applies to EVERY
 * port of the service: validation rejects destination.port), sorted; none (errors reported) when the
 * ports are not declared or a port's mode is `disabled`.
 * @param guessed the sentence naming the guessed ports, for the error when they are not declared.
 */
export function serviceMtlsPorts(
  lc: LinkerdContext,
  v: DestinationView,
  ports: readonly DestinationPort[],
  guessed: () => string,
  declareIt: string,
): number[] {
  const svcMtls = v.mtls as Entry<MTLSPolicy> | undefined;
  if (!svcMtls) return [];
  const ver = `Linkerd ${lc.version}`;
  if (!v.portsDeclared) {
    lc.report(svcMtls, "/spec/mode", {
      feature: "mtls",
      kind: "unsupported-value",
      what: "undeclared-ports",
      severity: "error",
      message: `the mode of this MTLSPolicy applies to every port of ${v.namespace}/${v.service}, and ${ver} sets a service's inbound policy per pod port (a Server; a port without one keeps the default inbound policy), but the service's ports are not declared${guessed()}: ${declareIt}`,
    });
    for (const [k, own] of Object.entries(svcMtls.doc.spec.ports ?? {})) {
      if (own === "disabled")
        lc.report(svcMtls, `/spec/ports/${k}`, {
          feature: "mtls",
          kind: "unsupported-value",
          what: "disabled",
          severity: "error",
          message: mtlsOffMessage(ver),
        });
    }
    return [];
  }
  const out: number[] = [];
  const tps = new Set(ports.map((x) => x.targetPort));
  for (const k of Object.keys(svcMtls.doc.spec.ports ?? {})) tps.add(servicePort(v, Number(k)).targetPort);
  for (const tp of [...tps].sort((a, b) => a - b)) {
    const m = mtlsMode(lc, v, tp)!;
    if (m.mode === "disabled") {
      lc.report(svcMtls, m.pointer, { feature: "mtls", kind: "unsupported-value", what: "disabled", severity: "error", message: mtlsOffMessage(ver) });
      continue;
    }
    out.push(tp);
  }
  return out;
}
