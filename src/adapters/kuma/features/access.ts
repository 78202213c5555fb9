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
 * `spiffe://<trustDomain>/ns/<ns>/sa`, `*` and no source → Prefix `spiffe://<trustDomain>` (every caller:
 * with Strict mTLS every caller has an identity, of the one trust domain the Mesh trusts; a warning says
 * that callers of trust domains federated with MeshTrust match no rule). These are the IDs of a MeshIdentity with Kuma's
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
import { type FeatureModule, none, partial } from "./types.js";

export const access: FeatureModule = {
  feature: "access",
  capability: () => partial("MeshTrafficPermission rules[].default {allow, deny}[].spiffeID (targetRef Dataplane)",
    "callers by SPIFFE ID of a MeshIdentity (/ns/<ns>/sa/<sa>; --set trustDomain to its trust domain); destinations need strict mTLS (plaintext skips MeshTrafficPermission); no ipBlocks; port-specific policies only for a service's one declared port"),
};
export const accessL7: FeatureModule = { feature: "accessL7", capability: () => none("MeshTrafficPermission matches caller identities (SPIFFE ID, SNI) only: no methods, paths, headers or ports.") };
export const accessNegation: FeatureModule = { feature: "accessNegation", capability: () => none("MeshTrafficPermission has no negative matches.") };
export const scope: FeatureModule = {
  feature: "scope",
  capability: () => partial("MeshTrafficPermission / MeshTLS with targetRef Mesh in the namespace, or in the system namespace (systemNamespace setting) for the mesh",
    "a namespace- or mesh-wide AccessPolicy needs strict mTLS on every service unimesh knows in its scope"),
};

type Match = { spiffeID: { type: "Exact" | "Prefix"; value: string } };

const L7 = ["methods", "paths", "headers", "ports"] as const;
const NEGATIVE = ["notMethods", "notPaths", "notPorts", "notHeaders"] as const;

/** The SPIFFE ID matches of a resolved source; undefined when something cannot be expressed (reported). */
function sourceMatches(kc: KumaContext, e: Entry<AccessPolicy>, src: ResolvedSource | undefined): Match[] | undefined {
  const td = kc.model.trustDomain;
  if (!src) return [{ spiffeID: { type: "Prefix", value: `spiffe://${td}` } }];
  let ok = true;
  const refuse = (field: string, feature: "access" | "accessNegation", why: string) => {
    ok = false;
    kc.report(e, `${src.pointer}/${field}`, feature, "error", feature === "access" ? "adapter/unsupported-value" : "adapter/unsupported-feature", why);
  };
  if (src.ipBlocks.length) refuse("ipBlocks", "access", "Kuma's MeshTrafficPermission matches caller identities (SPIFFE ID) only, not IP addresses; name the callers' service accounts or namespaces");
  if (src.notIdentities.length) refuse("notServiceAccounts", "accessNegation", "Kuma's MeshTrafficPermission has no negative matches; list the allowed callers, or deny the excluded ones with a deny rule");
  if (src.notNamespaces.length) refuse("notNamespaces", "accessNegation", "Kuma's MeshTrafficPermission has no negative matches; list the allowed namespaces, or deny the excluded ones with a deny rule");
  if (src.notIpBlocks.length) refuse("notIpBlocks", "accessNegation", "Kuma's MeshTrafficPermission has no negative matches or IP addresses");
  if (!ok) return undefined;
  const out: Match[] = [];
  for (const id of src.identities) {
    out.push("any" in id ? { spiffeID: { type: "Prefix", value: `spiffe://${td}` } } : { spiffeID: { type: "Exact", value: kc.spiffeId(id.namespace, id.serviceAccount) } });
  }
  for (const ns of src.namespaces) out.push({ spiffeID: { type: "Prefix", value: `spiffe://${td}/ns/${ns}/sa` } });
  if (!out.length) out.push({ spiffeID: { type: "Prefix", value: `spiffe://${td}` } });
  return out;
}

function sortMatches(ms: Match[]): Match[] {
  const seen = new Map<string, Match>();
  for (const m of ms) seen.set(`${m.spiffeID.type} ${m.spiffeID.value}`, m);
  return [...seen.keys()].sort().map((k) => seen.get(k)!);
}

/** True when a rule admits every request: no condition, and no source of its own or of its policy. */
function admitsAll(r: AccessRule, policySource: unknown): boolean {
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
      for (const f of L7) {
        if (rule[f] === undefined) continue;
        ok = false;
        kc.report(e, `${pointer}/${f}`, "accessL7", "error", "adapter/unsupported-feature",
          `Kuma's MeshTrafficPermission matches the caller's identity only (SPIFFE ID or SNI), not ${f}; translated without it, this ${action} rule would ${action === "allow" ? "admit every request of its callers" : "deny every request of its callers"}. Allow or deny whole callers, or use --mesh istio`);
      }
      for (const f of NEGATIVE) {
        if (rule[f] === undefined) continue;
        ok = false;
        kc.report(e, `${pointer}/${f}`, "accessNegation", "error", "adapter/unsupported-feature", `Kuma's MeshTrafficPermission has no ${f} (no request conditions at all); use --mesh istio`);
      }
      // A rule without its own source takes the policy's (spec.source), as the model resolves it.
      const src = rule.source ? kc.model.resolveSource(rule.source, e.namespace, `${pointer}/source`) : kc.model.resolveSource(s.source, e.namespace, "/spec/source");
      const m = sourceMatches(kc, e, src);
      if (!m) ok = false;
      else lists[action].push(...m);
    });
  }
  if (s.destination?.port !== undefined && view) {
    const ports = view.ports;
    if (!(view.portsDeclared && ports.length === 1 && ports[0].port === s.destination.port)) {
      ok = false;
      kc.report(e, "/spec/destination/port", "access", "error", "adapter/unsupported-value",
        `Kuma selects one inbound of a Dataplane by its name (targetRef sectionName), which unimesh does not know for Kubernetes pods, so an AccessPolicy for one port of ${view.namespace}/${view.service} is only translated when the MeshService declares that port alone; drop the port (the policy then covers the whole service) or declare the service's ports`);
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
    apiVersion: KUMA_V1ALPHA1, kind: "MeshTrafficPermission",
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
    kc.report(f.policy, f.pointer, "access", f.severity, f.severity === "error" ? "adapter/unsupported-value" : "adapter/conflict", f.message);
  }
  const how = "Kuma authorizes at the pod: every MeshTrafficPermission whose Dataplane labels pick a pod applies to all requests it receives (denies first, then allows, the rest denied)";
  for (const f of sharedPodAccess(kc.model, view, how, "union")) {
    kc.report(f.policy, f.pointer, "access", f.severity, f.severity === "error" ? "adapter/unsupported-value" : "adapter/conflict", f.message);
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
    kc.report(e, "/spec", "access", "error", "adapter/unsupported-value",
      `Kuma enforces MeshTrafficPermission on mutual-TLS connections only, and ${view.namespace}/${view.service} ${m ? `accepts plaintext (MTLSPolicy ${m.policy.id} mode ${m.mode})` : "has no MTLSPolicy (Kuma's default MeshTLS mode is Permissive)"}: plaintext callers would get past every rule. Add an MTLSPolicy with mode strict for it (or its namespace)`);
  }
}

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
    ? [...new Set([...model.mtlsPolicies.map((p) => p.namespace), ...model.services.map((x) => x.namespace), ...model.destinations().map((v) => v.namespace)])].sort()
    : [e.namespace];
  const looser: string[] = [];
  // The mode of a workload no MTLSPolicy names: "" is no service's name.
  const level = (ns: string) => model.mtlsMode(ns, "");
  const describe = (m: ReturnType<typeof level>) => (m ? `${m.policy.id} (${m.mode})` : "no MTLSPolicy (Kuma's default MeshTLS mode is Permissive)");
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
  kc.report(e, "/spec", "scope", "error", "adapter/unsupported-value",
    `Kuma enforces MeshTrafficPermission on mutual-TLS connections only, and workloads this ${mesh ? "mesh" : "namespace"}-wide AccessPolicy covers accept plaintext: ${[...new Set(looser)].join("; ")}. Plaintext callers would get past its rules there: make mTLS strict in its whole scope`);
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
