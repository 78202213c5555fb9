/**
 * Feature `rateLimit` → `HTTPLocalRateLimitPolicy` (policy.linkerd.io/v1alpha1, Linkerd 2.17+;
 * `2-edge/reference/rate-limiting.md`) targeting the Server of the service's one pod port (inbound.ts
 * makes that Server): `requestsPerSecond` → `total.requestsPerSecond`, `perIdentity` →
 * `identity.requestsPerSecond`, `overrides[]` → `overrides[]` {clientRefs: one ServiceAccount each,
 * requestsPerSecond} (Linkerd shares one bucket among the clientRefs of an override).
 *
 * Refused: every rate limit before 2.17 (no such resource); `burst` other than requestsPerSecond
 * (Linkerd's GCRA quota allows exactly one second's worth); an override for `*`; a limit on a service
 * with several pod ports (one bucket per Server) or with undeclared ports, only pod-only ports, or a
 * tcp port.
 */
import type { DestinationPort, DestinationView } from "../../../api/model.js";
import { type FeatureModule, none, partial } from "../../../api/feature-module.js";
import { exposedPorts } from "../../../api/model.js";
import { objectMeta } from "../../../api/ownership.js";
import type { LinkerdContext } from "../context.js";
import { POLICY_V1ALPHA1, type TargetRef } from "../resources.js";
import { versionFacts } from "../versions.js";

/** What Linkerd can do of `rateLimit`, per version. */
export const rateLimitFeature: FeatureModule = {
  features: ["rateLimit"],
  capabilities: (version) => ({
    rateLimit: versionFacts(version).rateLimit
      ? partial(
          "HTTPLocalRateLimitPolicy on a Server",
          "Burst equals requestsPerSecond; one port per limit; the Server admits every caller (or only meshed ones when strict).",
        )
      : none("HTTPLocalRateLimitPolicy exists from Linkerd 2.17."),
  }),
};

/**
 * The pod port whose Server carries the destination's rate limit, or undefined (an error reported, or
 * no rate limit).
 * @param guessed the sentence naming the guessed ports, for the error when they are not declared.
 * @param protocolOf the declared protocol of a pod port.
 */
export function rateLimitPort(
  lc: LinkerdContext,
  v: DestinationView,
  ports: readonly DestinationPort[],
  guessed: () => string,
  protocolOf: (tp: number) => DestinationPort["protocol"],
): number | undefined {
  const rl = v.rateLimit;
  if (!rl) return undefined;
  const ver = `Linkerd ${lc.version}`;
  if (!lc.facts.rateLimit) {
    lc.report(rl.policy, rl.pointer, {
      feature: "rateLimit",
      kind: "unsupported-feature",
      severity: "error",
      message: `${ver} has no rate limiting: HTTPLocalRateLimitPolicy exists from Linkerd 2.17. Target Linkerd 2.17+ or remove rateLimit`,
    });
    return undefined;
  }
  if (!v.portsDeclared) {
    // The model's rate limit is destination-level: for the whole service, whatever destination.port says.
    lc.report(rl.policy, rl.pointer, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "undeclared-ports",
      severity: "error",
      message: `this rate limit is one budget for every port of ${v.namespace}/${v.service} (even in a policy with destination.port), and ${ver} limits the rate per Server, i.e. per pod port, so it can express it only for a service with a single port; the service's ports are not declared${guessed()}: declare the service's ports in a MeshService`,
    });
    return undefined;
  }
  // The Service ports' pod ports: a rate limit leaves pod-only ports alone (no Server for them here).
  const limited = exposedPorts(ports);
  const tps = [...new Set(limited.map((x) => x.targetPort))];
  if (!tps.length) {
    lc.report(rl.policy, rl.pointer, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "pod-only-ports",
      severity: "error",
      message: `${v.namespace}/${v.service} declares only pod-only ports, and a rate limit applies to requests sent to its Service ports: there is nothing to limit`,
    });
    return undefined;
  }
  if (tps.length > 1) {
    lc.report(rl.policy, rl.pointer, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "several-ports",
      severity: "error",
      message: `${ver} limits the rate per Server, i.e. per pod port, with one bucket each, but this limit is one budget for every port of ${v.namespace}/${v.service} (${limited.map((x) => x.port).join(", ")}); Linkerd can express it only for a service with a single port`,
    });
    return undefined;
  }
  if (protocolOf(tps[0]) === "tcp") {
    lc.report(rl.policy, rl.pointer, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "tcp-port",
      severity: "error",
      message: `${ver} rate-limits HTTP requests, and port ${tps[0]} is declared tcp`,
    });
    return undefined;
  }
  return tps[0];
}

/** HTTPLocalRateLimitPolicy (policy.linkerd.io/v1alpha1, 2.17+) on the Server. */
export function rateLimitPolicy(lc: LinkerdContext, v: DestinationView, server: string, serverRef: TargetRef): void {
  const rl = v.rateLimit!;
  const r = rl.value;
  const ver = `Linkerd ${lc.version}`;
  if (r.burst !== undefined && r.burst !== r.requestsPerSecond) {
    lc.report(rl.policy, `${rl.pointer}/burst`, {
      feature: "rateLimit",
      kind: "unsupported-value",
      what: "burst",
      severity: "error",
      message: `${ver}'s rate limiter allows bursts of exactly requestsPerSecond (a GCRA quota per second), not ${r.burst}; remove burst or set it to ${r.requestsPerSecond}`,
    });
  }
  // Keys of the spec and its parts in sorted order: translate() keeps them as they are.
  const overrides: { clientRefs: TargetRef[]; requestsPerSecond: number }[] = [];
  (r.overrides ?? []).forEach((o, i) => {
    for (const [j, sa] of o.serviceAccounts.entries()) {
      if (sa === "*") {
        lc.report(rl.policy, `${rl.pointer}/overrides/${i}/serviceAccounts/${j}`, {
          feature: "rateLimit",
          kind: "unsupported-value",
          what: "overrides",
          severity: "error",
          message: `an HTTPLocalRateLimitPolicy override names service accounts (clientRefs), not "any identity"; use perIdentity instead`,
        });
        continue;
      }
      const k = sa.indexOf("/");
      const ns = k < 0 ? rl.policy.namespace : sa.slice(0, k);
      const name = k < 0 ? sa : sa.slice(k + 1);
      // One override per service account: Linkerd shares one bucket among the clientRefs of an override.
      overrides.push({ clientRefs: [{ kind: "ServiceAccount", name, namespace: ns }], requestsPerSecond: o.requestsPerSecond });
    }
  });
  lc.emit({
    apiVersion: POLICY_V1ALPHA1,
    kind: "HTTPLocalRateLimitPolicy",
    metadata: objectMeta(server, v.namespace, [rl.policy]),
    spec: {
      ...(r.perIdentity !== undefined ? { identity: { requestsPerSecond: r.perIdentity } } : {}),
      ...(overrides.length ? { overrides } : {}),
      targetRef: serverRef,
      total: { requestsPerSecond: r.requestsPerSecond },
    },
  });
}
