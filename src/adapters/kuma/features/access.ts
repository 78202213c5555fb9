/**
 * Features `access`, `accessL7`, `accessNegation` and `scope` → `MeshTrafficPermission` with `rules`
 * (Kuma 2.14, kuma `pkg/plugins/policies/meshtrafficpermission`), one per AccessPolicy:
 * service scope on the destination's pods (`targetRef: Dataplane` with the Service's pod labels),
 * namespace scope `targetRef: Mesh` in the namespace, mesh scope `targetRef: Mesh` in the system namespace.
 *
 * Why this is the model's semantics: for an inbound that some MeshTrafficPermission `rules` select, Kuma
 * builds one RBAC matcher from the rules of EVERY such policy, all deny matches first, then all allow
 * matches, and denies whatever matches none (`xds/rbac_configurer.go` `createMatcher`: OnNoMatch DENY):
 * any allow admits, any deny wins, deny by default once selected, all scopes one rule set. Such an inbound
 * ignores the older `from` MeshTrafficPermissions and legacy TrafficPermissions (`plugin.go` uses the
 * `rules` when present and the RBAC configurer drops the legacy filter), so the allow-all that some
 * installations create (`allow-all-<mesh>` TrafficPermission, or a `from: Mesh` Allow MeshTrafficPermission)
 * is neutralised for every workload an AccessPolicy selects. A `rules` MeshTrafficPermission of the user's
 * that selects the same workloads would add its allows: a warning says so.
 *
 * Sources match the caller's SPIFFE ID (`rules[].default.allow|deny[].spiffeID` Exact/Prefix, a string
 * match on the certificate's URI SAN whose value Kuma requires to be a valid SPIFFE ID, so no trailing
 * `/`): service account → Exact `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`, namespace → Prefix
 * `spiffe://<trustDomain>/ns/<ns>/sa`, `*` and no source → Prefix `spiffe://<trustDomain>/ns` (every caller:
 * with Strict mTLS every caller has an identity; a warning says that callers of trust domains federated
 * with MeshTrust match no rule. Not the bare `spiffe://<trustDomain>`: as a string prefix it would also
 * match a federated trust domain whose name begins with this one, `spiffe://cluster.local2/...`). These are the IDs of a MeshIdentity with Kuma's
 * Kubernetes path template (`/ns/{{ .Namespace }}/sa/{{ .ServiceAccount }}`); `--set trustDomain` must be
 * its trust domain (Kuma's default `{{ .Mesh }}.{{ .Zone }}.mesh.local`). IDs that match no certificate
 * deny: never looser.
 *
 * Kuma applies MeshTrafficPermission only to mutual-TLS connections (`plugin.go`: RBAC on the filter chains
 * with Kuma's TLS; none at all without mTLS in the Mesh), so a destination whose pods accept plaintext
 * (MTLSPolicy not strict) would let plaintext callers past every rule: an error, unless its rules admit
 * everyone anyway. Method, path, header and port conditions have no MeshTrafficPermission field (identity
 * only), nor negative conditions or IP blocks: errors.
 * @see https://kuma.io/docs/2.14.x/policies/meshtrafficpermission/
 */
import type { AccessPolicy, AccessRule } from "../../../api/generated/model.js";
import { type DestinationView, type Entry, type ResolvedSource, policyScope } from "../../../api/model.js";
import { dnsLabel } from "../../../api/names.js";
import { sharedPodAccess } from "../../../api/shared-pods.js";
import { sharedPodPortRules } from "../../shared/shared-pod-ports.js";
import { type KumaContext, workloadTarget } from "../context.js";
import { KUMA_V1ALPHA1, type KumaObject, type TargetRef } from "../resources.js";
import { accessConditionsOk as requestConditionsOk } from "./accessL7.js";
import { negationsOk, sourceNegationsOk } from "./accessNegation.js";
import { type FeatureModule, featureModule, partial } from "./types.js";

export const access: FeatureModule = featureModule("access", () =>
  partial(
    "MeshTrafficPermission rules[].default {allow, deny}[].spiffeID (targetRef Dataplane)",
    "callers by SPIFFE ID of a MeshIdentity (/ns/<ns>/sa/<sa>; --set trustDomain to its trust domain); destinations need strict mTLS (plaintext skips MeshTrafficPermission); no ipBlocks; port-specific policies only for a service's one declared port, on pods no other service shares with other ports; with a MeshIdentity Kuma denies workloads no AccessPolicy selects (a warning names them)",
  ),
);

type Match = { spiffeID: { type: "Exact" | "Prefix"; value: string } };

/** The SPIFFE ID matches of a resolved source; undefined when something cannot be expressed (reported). */
function sourceMatches(kc: KumaContext, e: Entry<AccessPolicy>, src: ResolvedSource | undefined): Match[] | undefined {
  const td = kc.model.trustDomain;
  if (!src) return [{ spiffeID: { type: "Prefix", value: `spiffe://${td}/ns` } }];
  let ok = true;
  if (src.ipBlocks.length) {
    ok = false;
    kc.report(e, `${src.pointer}/ipBlocks`, {
      feature: "access",
      kind: "unsupported-value",
      what: "ipBlocks",
      severity: "error",
      message: "Kuma's MeshTrafficPermission matches caller identities (SPIFFE ID) only, not IP addresses; name the callers' service accounts or namespaces",
    });
  }
  if (!sourceNegationsOk(kc, e, src)) ok = false;
  if (!ok) return undefined;
  const out: Match[] = [];
  for (const id of src.identities) {
    out.push(
      "any" in id
        ? { spiffeID: { type: "Prefix", value: `spiffe://${td}/ns` } }
        : { spiffeID: { type: "Exact", value: kc.spiffeId(id.namespace, id.serviceAccount) } },
    );
  }
  for (const ns of src.namespaces) out.push({ spiffeID: { type: "Prefix", value: `spiffe://${td}/ns/${ns}/sa` } });
  if (!out.length) out.push({ spiffeID: { type: "Prefix", value: `spiffe://${td}/ns` } });
  return out;
}

function sortMatches(ms: Match[]): Match[] {
  const seen = new Map<string, Match>();
  for (const m of ms) seen.set(`${m.spiffeID.type} ${m.spiffeID.value}`, m);
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}

/** True when a rule admits every request: no condition, and no source of its own or of its policy. */
export function admitsAll(r: AccessRule, policySource: unknown): boolean {
  return Object.keys(r).length === 0 && policySource === undefined;
}

/**
 * The MeshTrafficPermission of one AccessPolicy; undefined when any rule cannot be expressed (reported).
 * `view`: the destination of a service-scoped policy.
 */
export function meshTrafficPermission(kc: KumaContext, e: Entry<AccessPolicy>, view?: DestinationView): KumaObject | undefined {
  const s = e.doc.spec;
  let ok = true;
  const lists: { allow: Match[]; deny: Match[] } = { allow: [], deny: [] };
  for (const action of ["allow", "deny"] as const) {
    (s[action] ?? []).forEach((rule, i) => {
      const pointer = `/spec/${action}/${i}`;
      if (!requestConditionsOk(kc, e, rule, pointer, action)) ok = false;
      if (!negationsOk(kc, e, rule, pointer)) ok = false;
      // A rule without its own source takes the policy's (spec.source), as the model resolves it.
      const src = rule.source
        ? kc.model.resolveSource(rule.source, e.namespace, `${pointer}/source`)
        : kc.model.resolveSource(s.source, e.namespace, "/spec/source");
      const m = sourceMatches(kc, e, src);
      if (!m) ok = false;
      else lists[action].push(...m);
    });
  }
  if (s.destination?.port !== undefined && view) {
    const ports = view.ports;
    // The policy selects the pods (Dataplane labels, no sectionName): every inbound of them. That is the
    // port's inbound alone only when the service has that one port and every service sharing its pods
    // reaches the same pod port (else it would also govern, and add its allows to, the others' ports).
    const tp = ports.length === 1 ? ports[0].targetPort : undefined;
    const sharers = kc.model.podSharers(view.namespace, view.service).filter((o) => {
      const theirs = kc.model.servicePorts(view.namespace, o.facts.name);
      return !theirs.length || theirs.some((p) => p.targetPort !== tp);
    });
    if (sharers.length && view.portsDeclared && ports.length === 1 && ports[0].port === s.destination.port) {
      ok = false;
      const names = sharers.map((o) => `${view.namespace}/${o.facts.name}`).join(", ");
      kc.report(e, "/spec/destination/port", {
        feature: "access",
        kind: "unsupported-value",
        what: "port-scoped",
        severity: "error",
        message: `Kuma's MeshTrafficPermission selects pods (targetRef Dataplane labels), so this policy for port ${s.destination.port} of ${view.namespace}/${view.service} would govern every inbound of its pods, and ${names} select${sharers.length > 1 ? "" : "s"} some of the same pods with other (or undeclared) pod ports: there its rules would join theirs (its allows admitting callers they do not); drop the port (the policy then covers the whole service, which the shared-pod checks compare), or give the services selectors that cannot pick the same pod`,
      });
    } else if (!(view.portsDeclared && ports.length === 1 && ports[0].port === s.destination.port)) {
      ok = false;
      kc.report(e, "/spec/destination/port", {
        feature: "access",
        kind: "unsupported-value",
        what: "port-scoped",
        severity: "error",
        message: `Kuma selects one inbound of a Dataplane by its name (targetRef sectionName), which unimesh does not know for Kubernetes pods, so an AccessPolicy for one port of ${view.namespace}/${view.service} is only translated when the MeshService declares that port alone; drop the port (the policy then covers the whole service) or declare the service's ports`,
      });
    }
  }
  if (!ok) return undefined;
  const sc = policyScope(e);
  let targetRef: TargetRef, ns: string;
  if (view) {
    targetRef = workloadTarget(view);
    ns = view.namespace;
  } else {
    targetRef = { kind: "Mesh" };
    ns = sc === "mesh" ? kc.systemNamespace : e.namespace;
  }
  const conf: Record<string, Match[]> = {};
  if (lists.allow.length) conf.allow = sortMatches(lists.allow);
  if (lists.deny.length) conf.deny = sortMatches(lists.deny);
  // A policy without rules admits nothing by itself, but must still select the inbound (then unmatched
  // requests are denied). Kuma refuses a rule with empty lists (validator.go: "at least one of 'allow',
  // 'allowWithShadowDeny', 'deny' has to be defined"), so it denies an identity no workload has: a deny
  // only ever tightens.
  if (!lists.allow.length && !lists.deny.length) conf.deny = [{ spiffeID: { type: "Exact", value: `spiffe://${kc.model.trustDomain}/unimesh/allow-nothing` } }];
  return {
    apiVersion: KUMA_V1ALPHA1,
    kind: "MeshTrafficPermission",
    metadata: kc.meta(ns === e.namespace ? dnsLabel(e.name) : dnsLabel(e.namespace, e.name), ns, [e]),
    spec: { targetRef, rules: [{ default: conf }] },
  };
}

/**
 * Services that share pods: Kuma applies every MeshTrafficPermission whose Dataplane labels pick a pod to
 * all requests it receives, deny first, then allow: the union the model's shared-pod rules describe
 * (`src/api/shared-pods.ts`).
 */
export function sharedPods(kc: KumaContext, view: DestinationView): void {
  for (const f of sharedPodPortRules(view, "Kuma authorizes per Dataplane inbound (the pod port)")) {
    kc.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pod-port",
      severity: f.severity,
      message: f.message,
    });
  }
  const how =
    "Kuma authorizes at the pod: every MeshTrafficPermission whose Dataplane labels pick a pod applies to all requests it receives (denies first, then allows, the rest denied)";
  for (const f of sharedPodAccess(kc.model, view, how, "union")) {
    kc.report(f.policy, f.pointer, {
      feature: "access",
      kind: f.severity === "error" ? "unsupported-value" : "conflict",
      what: "shared-pods",
      severity: f.severity,
      message: f.message,
    });
  }
}

/**
 * Error when a destination selected by AccessPolicies accepts plaintext (its effective mTLS mode is not
 * strict): Kuma applies MeshTrafficPermission to mutual-TLS connections only. Not when the rules admit
 * every request anyway (an allow without conditions and no deny).
 */
export function requireStrictMtls(kc: KumaContext, view: DestinationView): void {
  if (!view.accessPolicies.length) return;
  if (view.allow.some((r) => admitsAll(r.rule, r.policy.doc.spec.source)) && !view.deny.length) return;
  // The mode the pods enforce: the strictest of the services sharing them (model groupMtls; see mtls.ts).
  const m = kc.model.groupMtls(view)?.effective;
  if (m?.mode === "strict") return;
  for (const e of view.accessPolicies) {
    if (policyScope(e) !== "service") continue; // requireStrictScope checks the others
    kc.report(e, "/spec", {
      feature: "access",
      kind: "unsupported-value",
      what: "plaintext",
      severity: "error",
      message: `Kuma enforces MeshTrafficPermission on mutual-TLS connections only, and ${view.namespace}/${view.service} ${m ? `accepts plaintext (MTLSPolicy ${m.policy.id} mode ${m.mode})` : "has no MTLSPolicy (without a MeshTLS mode Kuma takes the Mesh's: Strict with a MeshIdentity, else its mTLS backend's, which may be PERMISSIVE)"}: plaintext callers would get past every rule. Add an MTLSPolicy with mode strict for it (or its namespace)`,
    });
  }
}
