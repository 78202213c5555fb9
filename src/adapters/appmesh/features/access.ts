/**
 * Access control → the callers' `VirtualNode.spec.backends[]` (with `Mesh.spec.egressFilter: DROP_ALL`).
 *
 * App Mesh has no authorization object: an Envoy receives routes only for the VirtualServices its
 * VirtualNode lists as backends, and with the DROP_ALL egress filter everything else is blocked
 * (`virtualnode_types.go` `Backends`; `mesh_types.go` `EgressFilter`; MESHES.md §3.3). So:
 *
 * - a destination without AccessPolicy may be called by anyone: every VirtualNode lists it (the
 *   "allow all" of SuperGloo's App Mesh translator, `solo-io/gloo-mesh@v0.3.25
 *   pkg/translator/appmesh/README.md`);
 * - with AccessPolicies, only the allowed callers' VirtualNodes list it. A service account stands for
 *   the services running as it (`ServiceFacts.serviceAccount`), `*` for every VirtualNode, a namespace
 *   for the VirtualNodes unimesh generates there (App Mesh cannot select by namespace: warning), a rule
 *   without source for every VirtualNode. Deny rules remove callers the same way (exact at service level:
 *   a VirtualNode runs as one service account). `ipBlocks` cannot be expressed (error).
 * - methods, paths, headers and ports (and a port-specific policy on a multi-port service) cannot be
 *   checked: an error per field, unless the user accepts the `service-level-access` approximation, which
 *   allows the caller on the whole service and drops deny rules that carry such conditions (a warning per
 *   rule).
 * - the destination checks who the caller is over mutual TLS: its listeners' `tls.validation`
 *   `subjectAlternativeNames.match.exact` lists the SPIFFE IDs of the allowed callers (as App Mesh's
 *   own SDS walkthrough does, aws-app-mesh-examples `walkthroughs/howto-k8s-mtls-sds-based`). App Mesh
 *   matches SANs exactly: every caller or every authenticated caller (`*`) → no SAN list (any certificate
 *   of the trust bundle); `*` or any caller minus denied identities, and namespaces, → the identities of
 *   the services unimesh knows (stricter: a warning); nobody → an identity no workload has (an empty
 *   list would accept every certificate).
 * - plaintext carries no identity: pods without an App Mesh sidecar are stopped only when the
 *   destination accepts only mutual TLS. When an AccessPolicy admits only some callers and the
 *   destination is not strict on every (declared) port, that is an error, unless the user accepts the
 *   `caller-side-access` approximation (then a warning per AccessPolicy).
 */
import { type EffectiveAccessRule, type Entry, type ResolvedSource, hasNegatives, onlyNegatives } from "../../../api/model.js";
import type { AccessPolicy } from "../../../api/generated/model.js";
import { CALLER_SIDE_ACCESS, SERVICE_LEVEL_ACCESS, type Tx } from "../context.js";
import type { ServiceIndex, ServiceNode } from "../services.js";
import { listenerModes, strictOnly } from "./mtls.js";
import { conditions, reportCondition } from "./accessL7.js";
import { denyCovers, excludedBy, excludedIds } from "./accessNegation.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** What App Mesh can do of `access`. */
export const accessFeature: FeatureModule = {
  features: ["access"],
  capabilities: () => ({
    access: partial(
      "VirtualNode.spec.backends[], VirtualNode.spec.listeners[].tls.validation.subjectAlternativeNames, Mesh.spec.egressFilter",
      `per service: the callers' VirtualNode backends (egressFilter DROP_ALL) and the destination listener's subjectAlternativeNames (exact SPIFFE IDs); restricted callers need strict mTLS on every port (else opt in with ${CALLER_SIDE_ACCESS}); namespaces and "*" minus denies stand for the services unimesh knows; no ipBlocks`,
    ),
  }),
};

/** Who may call a destination. */
export interface AccessDecision {
  /** VirtualNodes that list the destination as a backend (each once, in no particular order). */
  callers: Iterable<ServiceNode>;
  /** How many `callers` there are. */
  size: number;
  /** The AccessPolicies that decided it (none: open to every caller). */
  policies: Entry<AccessPolicy>[];
  /**
   * The callers' SPIFFE IDs the destination's TLS listeners accept
   * (`listeners[].tls.validation.subjectAlternativeNames.match.exact`), sorted; undefined: any
   * certificate of the trust domain (no AccessPolicy, or every caller / every authenticated caller).
   */
  sans?: string[];
}

/**
 * The SAN a listener accepts when no caller may call: an identity outside the model's
 * `spiffe://<trustDomain>/ns/<ns>/sa/<sa>` scheme, which no workload is given, because an empty `exact`
 * list would accept every certificate of the trust bundle.
 */
export function noCallerSan(trustDomain: string): string {
  return `spiffe://${trustDomain}/unimesh/no-caller-is-allowed`;
}

/** The AccessPolicies of a service and their rules, every scope together. */
export interface AccessRules {
  readonly accessPolicies: readonly Entry<AccessPolicy>[];
  readonly allow: readonly EffectiveAccessRule[];
  readonly deny: readonly EffectiveAccessRule[];
}

/**
 * The access rules of a service's VirtualNode: its destination view's (every scope), or for a service
 * no policy names, the namespace- and mesh-wide AccessPolicies of its namespace (`model.scopedAccess`);
 * undefined when none selects it (open to every caller).
 */
export function accessOf(tx: Tx, dest: ServiceNode): AccessRules | undefined {
  const v = dest.view;
  if (v?.accessPolicies.length) return v;
  const s = tx.model.scopedAccess(dest.namespace);
  return s && { accessPolicies: s.policies, allow: s.allow, deny: s.deny };
}

/** Where to report about a whole AccessPolicy: its destination, or its spec when it is namespace- or mesh-wide. */
export function policyPointer(p: Entry<AccessPolicy>): string {
  return p.doc.spec.destination ? "/spec/destination" : "/spec";
}

/** The callers of `dest`, reporting what App Mesh cannot express. */
export function allowedCallers(tx: Tx, index: ServiceIndex, dest: ServiceNode): AccessDecision {
  const v = accessOf(tx, dest);
  // Open to every caller: the index's own list (a Set of every node per open destination would be
  // built and thrown away once per destination).
  if (!v) return { callers: index.nodes, size: index.nodes.length, policies: [] };
  const approx = tx.ctx.allows(SERVICE_LEVEL_ACCESS);
  const allowed = new Set<ServiceNode>();
  let anyCaller = false; // callers without a mesh identity are allowed too
  let anyAuthenticated = false; // `*`: every mesh identity, also of workloads unimesh does not know
  /** SPIFFE IDs named by allow rules (also of service accounts no known service runs as). */
  const named = new Set<string>();
  /** Denied identities and namespaces (deny rules without conditions). */
  const deniedIds = new Set<string>();
  const deniedNamespaces = new Set<string>();
  let denies = false;
  /** Callers without a mesh identity are allowed by a source of negative lists only. */
  let plaintext = false;
  /** Some allowed set is a wildcard minus exclusions: the SANs must list the known identities. */
  let partial = false;
  for (const rule of v.allow) {
    const conds = conditions(tx, dest, rule);
    if (conds.length) {
      if (!approx) {
        for (const c of conds) reportCondition(tx, dest, rule, c);
        continue;
      }
      tx.report(rule.policy, rule.pointer, {
        feature: "accessL7",
        kind: "approximation",
        what: "allow-service-level",
        severity: "warning",
        message: `allow: approximated (${SERVICE_LEVEL_ACCESS}): ${who(rule.source)} may call every method, path and port of ${dest.namespace}/${dest.name}, because ${tx.mesh} allows callers per whole VirtualService (VirtualNode backends) and cannot check ${conds.map((c) => c.field).join(", ")}`,
      });
    }
    const src = rule.source;
    if (!src) anyCaller = true;
    else if (hasNegatives(src)) {
      // "Every caller (or these) but those": exact for the listed identities not excluded; the wildcards
      // (every caller, every identity, a namespace) minus the excluded become the known services'
      // identities (`allowed`, which resolve() fills without the excluded nodes): `partial`.
      const excluded = excludedIds(tx, src);
      for (const id of src.identities) if (!("any" in id) && !excluded(tx.model.spiffeId(id))) named.add(tx.model.spiffeId(id));
      if (onlyNegatives(src)) plaintext = true;
      if (onlyNegatives(src) || src.identities.some((i) => "any" in i) || src.namespaces.length) partial = true;
    } else {
      for (const id of src.identities) {
        if ("any" in id) anyAuthenticated = true;
        else named.add(tx.model.spiffeId(id));
      }
    }
    resolve(tx, index, rule, (n) => allowed.add(n));
  }
  for (const rule of v.deny) {
    const conds = conditions(tx, dest, rule);
    if (conds.length) {
      if (!approx) {
        for (const c of conds) reportCondition(tx, dest, rule, c);
        continue;
      }
      tx.report(rule.policy, rule.pointer, {
        feature: "accessL7",
        kind: "approximation",
        what: "deny-not-enforced",
        severity: "warning",
        message: `deny: approximated (${SERVICE_LEVEL_ACCESS}): this deny rule is NOT enforced, because ${tx.mesh} can only deny a caller the whole VirtualService, not only some ${conds.map((c) => c.field).join(", ")}; deny at service level (drop the conditions) or enforce it in the application`,
      });
      continue;
    }
    const src = rule.source;
    if (!src) {
      allowed.clear();
      named.clear();
      anyCaller = anyAuthenticated = false;
      continue;
    }
    denies = true;
    if (hasNegatives(src)) {
      // "These callers but not those": the listed identities that the deny really covers leave `named`,
      // the wildcards it covers (every identity, a namespace) are left to the known services' identities
      // (`allowed`, from which resolve() removes exactly the covered nodes).
      if (anyCaller || anyAuthenticated) partial = true;
      const covers = denyCovers(tx, src);
      for (const id of [...named]) if (covers(id)) named.delete(id);
      if (onlyNegatives(src) || src.identities.some((i) => "any" in i)) anyAuthenticated = false;
      // A source of negative lists only also denies callers without a mesh identity.
      if (onlyNegatives(src)) anyCaller = false;
    } else {
      for (const id of src.identities) {
        if ("any" in id) {
          anyAuthenticated = false;
          named.clear();
        } else deniedIds.add(tx.model.spiffeId(id));
      }
      for (const ns of src.namespaces) deniedNamespaces.add(ns);
    }
    resolve(tx, index, rule, (n) => allowed.delete(n));
  }
  dest.sans = listenerSans(tx, dest, v, { allowed, named, deniedIds, deniedNamespaces, anyCaller, anyAuthenticated, denies, partial });
  if (!anyCaller && !plaintext && !strictOnly(tx, dest)) {
    const approxSide = tx.ctx.allows(CALLER_SIDE_ACCESS);
    for (const p of v.accessPolicies) {
      const why = `${tx.mesh} checks a caller's identity only over mutual TLS (the destination listener's subjectAlternativeNames) and in the callers' own Envoys (VirtualNode backends, Mesh egressFilter DROP_ALL), and ${dest.namespace}/${dest.name} ${strictness(tx, dest)}, so a pod without an App Mesh sidecar reaches it in plaintext, unchecked, where this AccessPolicy admits only some callers`;
      if (approxSide)
        tx.report(p, policyPointer(p), {
          feature: "access",
          kind: "approximation",
          severity: "warning",
          message: `destination: approximated (${CALLER_SIDE_ACCESS}): ${why}`,
        });
      else
        tx.report(p, policyPointer(p), {
          feature: "access",
          kind: "unsupported-value",
          what: "not-strict-mtls",
          severity: "error",
          message: `destination: ${why}; add an MTLSPolicy with mode strict for ${dest.namespace}/${dest.name} (or its namespace; with its ports declared in a MeshService) so App Mesh refuses callers without a mesh certificate, or accept it with allowApproximations ["${CALLER_SIDE_ACCESS}"] (--allow ${CALLER_SIDE_ACCESS})`,
        });
    }
  }
  return { callers: allowed, size: allowed.size, policies: [...v.accessPolicies], ...(dest.sans ? { sans: dest.sans } : {}) };
}

/** Why a destination is not strict on every port, for a message. */
function strictness(tx: Tx, dest: ServiceNode): string {
  if (!dest.facts.ports?.length) return "has no declared ports (a MeshService with ports), so its listeners cannot all be known to accept only mutual TLS";
  const modes = listenerModes(tx, dest);
  const loose: string[] = [];
  dest.listeners.forEach((l, i) => {
    if (modes[i]?.mode !== "strict") loose.push(`${l.port} (${modes[i]?.mode ?? "no MTLSPolicy: plaintext"})`);
  });
  return `accepts plaintext on pod port${loose.length > 1 ? "s" : ""} ${loose.join(", ")}`;
}

/** What {@link listenerSans} needs from the access rules. */
interface SanInputs {
  allowed: Set<ServiceNode>;
  named: Set<string>;
  deniedIds: Set<string>;
  deniedNamespaces: Set<string>;
  anyCaller: boolean;
  anyAuthenticated: boolean;
  denies: boolean;
  /** A wildcard minus exclusions (negative source lists) was allowed or denied. */
  partial: boolean;
}

/**
 * The SPIFFE IDs the destination's TLS listeners accept (App Mesh SAN matching is exact only,
 * `SubjectAlternativeNameMatchers.exact`): undefined when every caller or every authenticated caller
 * may call (any certificate of the trust bundle); else the identities of the allowed callers: those named
 * by service account, and for `*` or a namespace the known services' (the ones App Mesh has VirtualNodes
 * for; a warning says the listener refuses the other identities those stand for), minus the denied ones.
 * No identity at all: {@link noCallerSan} (an empty list would accept every certificate).
 */
function listenerSans(tx: Tx, dest: ServiceNode, rules: AccessRules, a: SanInputs): string[] | undefined {
  if ((a.anyCaller || a.anyAuthenticated) && !a.denies && !a.partial) return undefined;
  const ids = new Set<string>(a.named);
  for (const n of a.allowed) ids.add(n.spiffeId);
  const nsOf = (id: string) => id.slice(tx.trustBundle.length + "/ns/".length).split("/")[0];
  const out = [...ids].filter((id) => !a.deniedIds.has(id) && !a.deniedNamespaces.has(nsOf(id))).sort();
  // Said only where a listener checks them (uses TLS).
  if ((a.anyCaller || a.anyAuthenticated || a.partial) && listenerModes(tx, dest).some((m) => m?.mode === "strict" || m?.mode === "permissive")) {
    for (const p of rules.accessPolicies) {
      tx.report(p, policyPointer(p), {
        feature: "access",
        kind: "unsupported-value",
        what: "exact-identities",
        severity: "warning",
        message: `destination: ${tx.mesh} matches caller identities exactly (listeners[].tls.validation.subjectAlternativeNames.match.exact, no wildcard and no exception), so "${a.anyCaller ? "any caller" : a.anyAuthenticated ? "any authenticated caller" : "every caller"} except the ${a.partial ? "denied or excluded" : "denied"} ones" becomes the identities of the services unimesh knows (${out.join(", ") || "none"}); mutual TLS callers with any other identity are refused (stricter than the policy); declare other callers as MeshServices`,
      });
    }
  }
  return out.length ? out : [noCallerSan(tx.model.trustDomain)];
}

/**
 * Calls `apply` with each VirtualNode a rule's source stands for (no source: every VirtualNode); a
 * node may come more than once. Applied directly (`allowed.add` / `allowed.delete`) rather than
 * collected into a temporary set first: this runs for every rule of every destination. Negative lists
 * are exact at this level too: a VirtualNode runs as one service account in one namespace, so the nodes
 * of `notServiceAccounts` / `notNamespaces` are left out (`*`: every node, all of which have an identity);
 * a source of negative lists only stands for every other node.
 */
function resolve(tx: Tx, index: ServiceIndex, rule: EffectiveAccessRule, apply: (n: ServiceNode) => void): void {
  const s = rule.source;
  if (!s) {
    for (const n of index.nodes) apply(n);
    return;
  }
  if (hasNegatives(s)) {
    if (s.notIpBlocks.length) {
      tx.report(rule.policy, `${s.pointer}/notIpBlocks`, {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "notIpBlocks",
        severity: "error",
        message: `notIpBlocks: ${tx.mesh} has no address-based access control (callers are VirtualNodes); select the callers by serviceAccounts, or use --mesh istio`,
      });
    }
    for (const ns of s.notNamespaces) {
      tx.report(rule.policy, `${s.pointer}/notNamespaces`, {
        feature: "accessNegation",
        kind: "unsupported-value",
        what: "notNamespaces",
        severity: "warning",
        message: `notNamespaces: ${tx.mesh} cannot select callers by namespace, so "${ns}" stands for the VirtualNodes unimesh generates there (${
          index
            .inNamespace(ns)
            .map((n) => n.name)
            .join(", ") || "none"
        }), which are left out; other workloads in ${ns} get no VirtualNode and are not in the mesh: declare them as MeshServices`,
      });
    }
    const excluded = excludedBy(s);
    const inner = apply;
    apply = (n) => {
      if (!excluded(n)) inner(n);
    };
    if (onlyNegatives(s)) {
      for (const n of index.nodes) apply(n);
      return;
    }
  }
  for (const id of s.identities) {
    if ("any" in id) for (const n of index.nodes) apply(n);
    else {
      const found = index.bySa(id.namespace, id.serviceAccount);
      if (!found.length) {
        tx.report(rule.policy, `${s.pointer}/serviceAccounts`, {
          feature: "access",
          kind: "unsupported-value",
          what: "serviceAccounts",
          severity: "warning",
          message: `serviceAccounts: no service unimesh knows runs as ${id.namespace}/${id.serviceAccount}, so ${tx.mesh} has no VirtualNode to list ${rule.action === "allow" ? "as an allowed caller" : "as denied"}; declare a MeshService with serviceAccount: ${id.serviceAccount}`,
        });
      }
      for (const n of found) apply(n);
    }
  }
  for (const ns of s.namespaces) {
    const found = index.inNamespace(ns);
    for (const n of found) apply(n);
    tx.report(rule.policy, `${s.pointer}/namespaces`, {
      feature: "access",
      kind: "unsupported-value",
      what: "namespaces",
      severity: "warning",
      message: `namespaces: ${tx.mesh} cannot select callers by namespace, so "${ns}" stands for the VirtualNodes unimesh generates there (${found.map((n) => n.name).join(", ") || "none"}); other workloads in ${ns} get no VirtualNode and are not in the mesh: declare them as MeshServices`,
    });
  }
  if (s.ipBlocks.length) {
    tx.report(rule.policy, `${s.pointer}/ipBlocks`, {
      feature: "access",
      kind: "unsupported-value",
      what: "ipBlocks",
      severity: "error",
      message: `ipBlocks: ${tx.mesh} has no address-based access control (callers are VirtualNodes); select the callers by serviceAccounts, or use --mesh istio`,
    });
  }
}

function who(s: ResolvedSource | undefined): string {
  if (!s) return "every caller";
  const ids = (ids: ResolvedSource["identities"], namespaces: string[], blocks: string[]) =>
    [
      ...ids.map((i) => ("any" in i ? "any authenticated caller" : `service account ${i.namespace}/${i.serviceAccount}`)),
      ...namespaces.map((n) => `namespace ${n}`),
      ...blocks,
    ].join(", ");
  const included = onlyNegatives(s) ? "every caller" : ids(s.identities, s.namespaces, s.ipBlocks);
  return hasNegatives(s) ? `${included} except ${ids(s.notIdentities, s.notNamespaces, s.notIpBlocks)}` : included;
}
