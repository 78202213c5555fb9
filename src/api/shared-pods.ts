/**
 * Services that share pods: what the model means, and where a mesh cannot follow it.
 *
 * The model's policies are per Service: an AccessPolicy or MTLSPolicy for `reviews-v2` governs requests
 * sent to `reviews-v2`. Meshes enforce access and mTLS at the pod, per pod port, where a request cannot
 * be told apart by the Service it was sent to (the Host header is the caller's to choose). When the
 * selectors of two Services pick the same pods (`reviews` = `{app: reviews}` and `reviews-v2` =
 * `{app: reviews, version: v2}`, the `<service>-<subset>` Services Linkerd's routing needs;
 * {@link Model.podSharers}; also selectors that MAY pick some of the same pods, `{app: reviews, tier: web}`
 * and `{app: reviews, version: v2}`: pod labels are not in the model, so a possible overlap is handled as a
 * real one), the pods enforce ONE rule set and ONE mTLS mode per pod port for both:
 * - mTLS: the strictest mode any of their Service ports asks for on that pod port
 *   ({@link Model.podPortMtls}); a Service port that asked for less gets a warning;
 * - access, on a pod port both reach: exact when only one of them has AccessPolicies there (the other's
 *   requests to the shared pods then follow them: a warning, they only tighten) or when both have the
 *   same rules there; otherwise an error, never a looser result. How the mesh combines two services'
 *   objects on one pod decides what "the same" must cover ({@link PodEnforcement}).
 * The built-in proxy has an inbound listener per service instance, so it enforces each Service's
 * policies exactly and needs none of this.
 */
import type { Severity } from "./diagnostics.js";
import { type DestinationView, type EffectiveAccessRule, type Entry, type Model, type PodSharer, canonicalJson, policyScope, servicePort } from "./model.js";

/**
 * How a mesh combines the access objects of two services on a pod both select:
 * - `union`: every object applies; a request is allowed when any ALLOW object allows it and no DENY
 *   object denies it (Istio AuthorizationPolicy). Extra allow rules of the other service widen: error;
 *   extra deny rules only tighten: warning.
 * - `one-wins`: one object applies, which one is not under unimesh's control (Linkerd: the oldest
 *   Server for a pod port). Any difference: error.
 */
export type PodEnforcement = "union" | "one-wins";

/** A finding about services that share pods: where to report, how bad, what to say (mesh-neutral). */
export interface SharedPodFinding {
  policy: Entry<any>;
  pointer: string;
  severity: Severity;
  message: string;
}

/** A pod port no known Service port names (a service whose ports are not known may use any). */
const OTHER = -1;

/**
 * The access findings of destination `v` against every service sharing its pods. Reported on `v`'s
 * first own AccessPolicy (`/spec/destination`), once per other service and kind; `how` says how the mesh
 * authorizes (e.g. `Istio authorizes at the pod (AuthorizationPolicy selector)`). The rules compared are
 * each service's whole rule set, namespace- and mesh-wide ones included (the same for both: they share a
 * namespace), so only the services' own AccessPolicies can make them differ. A destination without
 * AccessPolicies of its own has nothing to report: a sharer with its own reports what its policies do
 * to it (including where they would open what only the namespace- or mesh-wide ones govern).
 */
export function sharedPodAccess(model: Model, v: DestinationView, how: string, enforcement: PodEnforcement): SharedPodFinding[] {
  const own = v.accessPolicies.filter((p) => policyScope(p) === "service");
  if (!own.length) return [];
  const out: SharedPodFinding[] = [];
  const at = own[0];
  const me = `${v.namespace}/${v.service}`;
  const scoped = model.scopedAccess(v.namespace);
  for (const o of model.podSharers(v.namespace, v.service)) {
    const other = `${v.namespace}/${o.facts.name}`;
    const oPorts = model.servicePorts(v.namespace, o.facts.name);
    const tps = new Set<number>();
    for (const p of v.ports) tps.add(p.targetPort);
    for (const p of oPorts) tps.add(p.targetPort);
    if (!oPorts.length || !v.ports.length) tps.add(OTHER);
    const reachesO = (tp: number) => !oPorts.length || oPorts.some((p) => p.targetPort === tp);
    const reachesV = (tp: number) => !v.ports.length || v.ports.some((p) => p.targetPort === tp);
    // What governs requests sent to the other service: its view's rules (its own AccessPolicies and the
    // namespace- and mesh-wide ones), or without a view the namespace- and mesh-wide ones alone.
    const oOwn = !!o.view?.accessPolicies.some((p) => policyScope(p) === "service");
    const ov: AccessSide | undefined = o.view?.accessPolicies.length
      ? o.view
      : scoped
        ? { accessPolicies: scoped.policies, allow: scoped.allow, deny: scoped.deny, ports: oPorts }
        : undefined;
    const widen: number[] = [];
    const tighten: number[] = [];
    const denies: number[] = [];
    /** Pod ports where these rules admit requests the other's namespace- or mesh-wide rules do not. */
    const opensOther: number[] = [];
    /** Pod ports where these rules deny requests the other's namespace- or mesh-wide rules admit. */
    const closesOther: number[] = [];
    for (const tp of [...tps].sort((a, b) => a - b)) {
      if (!reachesO(tp) && !reachesV(tp)) continue;
      if (!governs(v, tp)) continue;
      const mine = rulesAt(v, tp);
      if (!ov || !governs(ov, tp)) {
        // Requests to the other service there follow these rules: they restrict it unless they allow everything.
        if (reachesO(tp) && !(mine.length === 1 && mine[0] === ALLOW_ALL)) tighten.push(tp);
        continue;
      }
      const theirs = rulesAt(ov, tp);
      if (!oOwn) {
        // The other service has no AccessPolicy of its own, only the namespace- and mesh-wide ones, which
        // these rules include: on the shared pods its requests follow these rules (the mesh applies them
        // there: Istio's selector picks the pods, Linkerd's Server is the only one). Its own view never
        // reports (nothing of its own), so both directions are said here.
        if (!reachesO(tp)) continue;
        const allowTheirs = new Set(theirs.filter((k) => k.startsWith(ALLOW)));
        if (!allowTheirs.has(ALLOW_ALL) && mine.some((k) => k.startsWith(ALLOW) && !allowTheirs.has(k))) opensOther.push(tp);
        else if (mine.some((k) => k.startsWith(DENY) && !theirs.includes(k))) closesOther.push(tp);
        continue;
      }
      if (enforcement === "one-wins") {
        if (mine.join("\n") !== theirs.join("\n")) widen.push(tp);
        continue;
      }
      // Their allow rules widen these unless each is one of these, or these allow every request.
      const allowMine = new Set(mine.filter((k) => k.startsWith(ALLOW)));
      if (!allowMine.has(ALLOW_ALL) && theirs.some((k) => k.startsWith(ALLOW) && !allowMine.has(k))) widen.push(tp);
      else if (reachesV(tp) && theirs.some((k) => k.startsWith(DENY) && !mine.includes(k))) denies.push(tp);
    }
    const ports = (xs: number[]) => {
      const named = xs.filter((x) => x !== OTHER);
      const text = named.length ? `pod port${named.length > 1 ? "s" : ""} ${named.join(", ")}` : "";
      return xs.includes(OTHER) ? (text ? `${text} and the pod ports not declared` : "the pod ports not declared") : text;
    };
    const shared = `${other} and ${me} ${o.relation === "overlap" ? "may select some of the same pods" : "select the same pods"} (${relationText(o, me, other, v.facts.selector)}), and ${how}`;
    const wide = () => scoped!.policies.map((p) => p.id).join(", ");
    if (widen.length) {
      out.push({
        policy: at,
        pointer: "/spec/destination",
        severity: "error",
        message:
          enforcement === "union"
            ? `${shared}: on ${ports(widen)} the AccessPolicies of ${other} allow requests those of ${me} do not, and the mesh would allow them on the shared pods for requests sent to ${me} too; give both services the same access rules, or selectors that cannot pick the same pod (a label both have, with different values)`
            : `${shared}: on ${ports(widen)} their AccessPolicies differ, and the mesh applies only one service's objects to a pod port (which one is not up to unimesh), so requests sent to ${me} could be decided by the rules of ${other}; give both services the same access rules, or selectors that cannot pick the same pod (a label both have, with different values)`,
      });
    }
    if (opensOther.length) {
      out.push({
        policy: at,
        pointer: "/spec/destination",
        severity: "error",
        message: `${shared}: ${other} has no AccessPolicy of its own, so only the namespace- and mesh-wide ones (${wide()}) govern it, and on ${ports(opensOther)} the AccessPolicies of ${me} allow requests those do not; the mesh would allow them on the shared pods for requests sent to ${other} too; give ${other} an AccessPolicy with the same rules as ${me}, or selectors that cannot pick the same pod (a label both have, with different values)`,
      });
    }
    if (tighten.length) {
      out.push({
        policy: at,
        pointer: "/spec/destination",
        severity: "warning",
        message: `${shared}: ${other} has no AccessPolicy on ${ports(tighten)}, so requests sent to ${other} that reach the shared pods there are decided by these AccessPolicies of ${me} too (only callers they allow pass); give ${other} an AccessPolicy with the rules you want for it (the same as ${me}'s is exact), or selectors that cannot pick the same pod`,
      });
    }
    if (closesOther.length) {
      out.push({
        policy: at,
        pointer: "/spec/destination",
        severity: "warning",
        message: `${shared}: ${other} has no AccessPolicy of its own (only the namespace- and mesh-wide ones: ${wide()}), so on ${ports(closesOther)} the deny rules of ${me}'s AccessPolicies also refuse requests sent to ${other} that reach the shared pods; give ${other} an AccessPolicy with the same rules as ${me} to make it explicit, or selectors that cannot pick the same pod`,
      });
    }
    if (denies.length) {
      out.push({
        policy: at,
        pointer: "/spec/destination",
        severity: "warning",
        message: `${shared}: on ${ports(denies)} the deny rules of ${other}'s AccessPolicies also refuse requests sent to ${me} that reach the shared pods; give both services the same deny rules to make it explicit, or selectors that cannot pick the same pod`,
      });
    }
  }
  return out;
}

/** The parts of a destination view the comparison reads (a service without a view: its scoped rules). */
interface AccessSide {
  readonly accessPolicies: readonly DestinationView["accessPolicies"][number][];
  readonly allow: readonly EffectiveAccessRule[];
  readonly deny: readonly EffectiveAccessRule[];
  readonly ports: DestinationView["ports"];
}

/** Says how the pods of two services relate, for a message. */
function relationText(o: PodSharer, me: string, other: string, mine: Record<string, string>): string {
  const sel = canonicalJson(o.facts.selector);
  switch (o.relation) {
    case "same":
      return `both select ${sel}`;
    case "wider":
      return `${other} selects ${sel}, every pod of ${me}`;
    case "narrower":
      return `every pod ${other} selects with ${sel} is a pod of ${me}`;
    case "overlap":
      return `${other} selects ${sel} and ${me} ${canonicalJson(mine)}: neither contains the other, but a pod carrying the labels of both is selected by both, and unimesh cannot see pod labels, so it assumes such pods exist`;
  }
}

/**
 * True when an AccessPolicy of the destination governs pod port `tp` (at the pod: a policy without
 * `destination.port`, namespace- and mesh-wide ones included, governs every pod port; a port-scoped one
 * the pod port of its Service port).
 */
export function governs(v: AccessSide, tp: number): boolean {
  for (const p of v.accessPolicies) {
    const port = p.doc.spec.destination?.port;
    if (port === undefined || (tp !== OTHER && servicePort(v, port).targetPort === tp)) return true;
  }
  return false;
}

const ALLOW = '{"action":"allow"';
const DENY = '{"action":"deny"';
/** The key of an allow rule without source and conditions: it allows every request. */
const ALLOW_ALL = '{"action":"allow","conditions":{},"source":null}';

/**
 * The access rules of a destination that apply at pod port `tp`, each as a canonical key (action,
 * resolved source, every condition but ports), sorted and without repeats: two services whose keys at
 * a pod port are equal admit exactly the same requests there.
 */
function rulesAt(v: AccessSide, tp: number): string[] {
  const keys = new Set<string>();
  for (const r of [...v.allow, ...v.deny]) if (appliesAt(v, r, tp)) keys.add(ruleKey(r));
  return [...keys].sort();
}

/** True when a rule's port condition (rule `ports`, the policy's port) admits pod port `tp`. */
function appliesAt(v: AccessSide, r: EffectiveAccessRule, tp: number): boolean {
  const own = r.rule.ports;
  const named = own ? (r.port === undefined ? own : own.filter((p) => p === r.port)) : r.port === undefined ? undefined : [r.port];
  if (!named) return true;
  return tp !== OTHER && named.some((p) => servicePort(v, p).targetPort === tp);
}

/** The canonical key of a rule (see {@link rulesAt}). */
function ruleKey(r: EffectiveAccessRule): string {
  // Every list of the resolved source (identities as `ns/sa` or `*`), sorted; the pointer is not a condition.
  let source: Record<string, unknown> | null = null;
  if (r.source) {
    source = {};
    for (const [k, v] of Object.entries(r.source)) {
      if (k === "pointer" || !Array.isArray(v)) continue;
      const items = (v as unknown[]).map((x) => {
        const id = x as { namespace?: string; serviceAccount?: string; any?: true };
        return id?.any ? "*" : id?.serviceAccount !== undefined ? `${id.namespace}/${id.serviceAccount}` : canonicalJson(x);
      });
      source[k] = items.sort();
    }
  }
  // Every condition of the rule but its ports (compared per pod port) and its own source (resolved above).
  const conditions: Record<string, unknown> = { ...r.rule };
  delete conditions.ports;
  delete conditions.source;
  // `action` first: rulesAt's readers tell allow and deny keys apart by their start.
  return `{"action":"${r.action}","conditions":${canonicalJson(conditions)},"source":${canonicalJson(source)}}`;
}
