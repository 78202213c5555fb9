/**
 * `inspect(model, service)`: every policy that applies to one service, from the model (offline, from the
 * files): as a destination, its route table in effective order (splits, timeouts, retries, faults,
 * mirrors, header changes), its destination settings, its access rules and who may call it, its mTLS
 * mode per port and its JWT issuers; as a source, what it may call and the routes chosen for it. Each
 * item carries its origin (policy, file:line, JSON pointer). With meshes, the native objects carrying
 * the policies (from the `unimesh.io/policies` annotation every adapter's objects carry), the native
 * fields per feature (the adapter's capabilities) and that mesh's diagnostics about them.
 */
import type { Diagnostic } from "../api/diagnostics.js";
import type { Feature } from "../api/features.js";
import { featureUses } from "../api/feature-use.js";
import type { Model, ResolvedSource, EffectiveAccessRule, DestinationPort, ServiceFacts } from "../api/model.js";
import { exposedPorts } from "../api/model.js";
import { generatedFrom } from "../api/ownership.js";
import { sourceMatch } from "../adapters/builtin/features/common.js";
import { compileSource, peerOf, type Peer } from "../proxy/features/trafficSource.js";
import { type Origin, type RouteInfo, type RuleInfo, originOf, routeInfo, ruleInfo, unknownService } from "./describe.js";
import { type MeshTarget, translations } from "./meshes.js";

/** A caller of a destination, and whether its identity is admitted by some allow rule. */
export interface CallerAccess {
  /** `namespace/serviceAccount` (the services running as it in brackets), or `unauthenticated`. */
  caller: string;
  allowed: boolean;
  /** The allow rules admitting it (one line each). */
  rules: string[];
  reason: string;
}

/** What {@link inspect} finds about one service. */
export interface Inspection {
  service: string;
  facts: {
    selector: Record<string, string>;
    serviceAccount: string;
    identity: string;
    ports: { port: number; targetPort: number; protocol?: string }[];
    portsDeclared: boolean;
    declaredBy?: Origin;
  };
  destination: {
    /** The route table, most specific first (first match wins). */
    routes: RouteInfo[];
    /** True when requests no route catches go to the service unchanged (the adapters' default route). */
    defaultRoute: boolean;
    settings: { kind: string; subset?: string; value: unknown; origin: Origin }[];
    access: {
      mode: "open" | "deny-by-default";
      policies: string[];
      /** Service ports the deny-by-default is limited to (when every AccessPolicy names one). */
      ports?: number[];
      rules: RuleInfo[];
      /** Known workloads (and unauthenticated callers): who may call it at all. */
      callers: CallerAccess[];
    };
    mtls: { port?: number; mode: string; origin?: Origin }[];
    jwt: { issuer: string; audiences?: string[]; origin: Origin }[];
  };
  source: {
    /** Destinations whose policies name this service as a caller, or deny it by default. */
    calls: { destination: string; access: string; rules: RuleInfo[]; routes: RouteInfo[] }[];
  };
  meshes: {
    mesh: string;
    ok: boolean;
    objects: { kind: string; namespace?: string; name: string; policies: string[] }[];
    /** Per feature the policies use: how the mesh carries it (its adapter's capabilities). */
    carriers: { feature: Feature; support: string; via?: string; note?: string }[];
    diagnostics: Diagnostic[];
  }[];
}

/** The services the model knows: MeshServices, destinations, mirror targets, and those running as a caller's identity. */
export function knownServices(model: Model): Map<string, ServiceFacts> {
  const out = new Map<string, ServiceFacts>();
  const add = (ns: string, name: string) => {
    const k = `${ns}/${name}`;
    if (!out.has(k)) out.set(k, model.service(ns, name));
  };
  for (const e of model.services) add(e.namespace, e.name);
  for (const d of model.destinations()) {
    add(d.namespace, d.service);
    for (const r of d.routes) if (r.mirror) add(r.mirror.value.serviceResolved.namespace, r.mirror.value.serviceResolved.name);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A workload's peer as its own proxy sees it (identity, namespace, pod labels). */
export function peerOfService(model: Model, f: ServiceFacts): Peer {
  return { ...peerOf(model.spiffeId({ namespace: f.namespace, serviceAccount: f.serviceAccount }), "127.0.0.1"), labels: { ...f.selector } };
}

/** The access rules of a service, its own destination's or its namespace's/the mesh's (same rule set as the proxy's). */
export function accessOf(
  model: Model,
  namespace: string,
  service: string,
): { allow: readonly EffectiveAccessRule[]; deny: readonly EffectiveAccessRule[]; policies: string[]; ports?: number[] } | undefined {
  const v = model.destination(namespace, service);
  if (v?.accessPolicies.length) {
    const ports = v.accessPolicies.map((p) => p.doc.spec.destination?.port);
    const all = ports.every((p): p is number => p !== undefined);
    return { allow: v.allow, deny: v.deny, policies: v.accessPolicies.map((p) => p.id), ...(all ? { ports: [...new Set(ports)].sort((a, b) => a - b) } : {}) };
  }
  const s = model.scopedAccess(namespace);
  return s ? { allow: s.allow, deny: s.deny, policies: s.policies.map((p) => p.id) } : undefined;
}

const sourceTests = new WeakMap<object, (p: Peer) => boolean>();
/** Whether a resolved source admits a peer: the built-in proxy's own source matching (compileSource). */
export function admits(model: Model, s: ResolvedSource | undefined, p: Peer): boolean {
  if (!s) return true;
  let t = sourceTests.get(s);
  if (!t) sourceTests.set(s, (t = compileSource(sourceMatch(model, s))));
  return t(p);
}

/** True when an access rule has no request condition (its source alone decides). */
function sourceOnly(r: EffectiveAccessRule): boolean {
  const x = r.rule as Record<string, unknown>;
  return r.port === undefined && Object.keys(x).every((k) => k === "source");
}

/**
 * How the access rules treat one caller: `allowed` with the allow rules admitting it (by identity: their
 * request conditions are listed, not evaluated), or denied (a source-only deny rule, or no allow rule).
 */
export function callerAccess(
  model: Model,
  rules: { allow: readonly EffectiveAccessRule[]; deny: readonly EffectiveAccessRule[] },
  p: Peer,
): { allowed: boolean; allow: EffectiveAccessRule[]; deny: EffectiveAccessRule[]; reason: string } {
  const deny = rules.deny.filter((r) => admits(model, r.source, p));
  const full = deny.find(sourceOnly);
  const allow = rules.allow.filter((r) => admits(model, r.source, p));
  if (full) return { allowed: false, allow: [], deny, reason: `denied by the deny rule ${full.pointer} of ${full.policy.id}` };
  if (!allow.length) return { allowed: false, allow, deny, reason: "denied by default (no allow rule admits it)" };
  return { allowed: true, allow, deny, reason: "allowed" };
}

/**
 * Inspects `namespace/service`.
 * @throws UsageError naming the known services when the model does not know it.
 */
export function inspect(model: Model, ref: { namespace: string; service: string }, options: { meshes?: readonly MeshTarget[] } = {}): Inspection {
  const known = knownServices(model);
  const key = `${ref.namespace}/${ref.service}`;
  const facts = known.get(key);
  if (!facts) throw unknownService(key, [...known.keys()]);
  const view = model.destination(ref.namespace, ref.service);
  const ports: readonly DestinationPort[] = view?.ports ?? model.servicePorts(ref.namespace, ref.service);
  const declared = facts.declaredBy;
  const out: Inspection = {
    service: key,
    facts: {
      selector: { ...facts.selector },
      serviceAccount: facts.serviceAccount,
      identity: model.spiffeId({ namespace: facts.namespace, serviceAccount: facts.serviceAccount }),
      ports: ports.map((p) => ({ port: p.port, targetPort: p.targetPort, ...(p.protocol ? { protocol: p.protocol } : {}) })),
      portsDeclared: view?.portsDeclared ?? !!facts.ports?.length,
      ...(declared ? { declaredBy: originOf(model, declared, "/spec") } : {}),
    },
    destination: { routes: [], defaultRoute: true, settings: [], access: { mode: "open", policies: [], rules: [], callers: [] }, mtls: [], jwt: [] },
    source: { calls: [] },
    meshes: [],
  };
  const policies = new Set<string>();
  if (view) {
    out.destination.routes = view.routes.map((r) => routeInfo(model, r));
    out.destination.defaultRoute = view.needsDefaultRoute;
    for (const k of ["outlierDetection", "connectionPool", "loadBalancer", "rateLimit"] as const) {
      const s = view[k];
      if (s) out.destination.settings.push({ kind: k, value: s.value, origin: originOf(model, s.policy, s.pointer) });
    }
    for (const ss of view.subsetSettings) {
      for (const k of ["outlierDetection", "connectionPool", "loadBalancer"] as const) {
        const s = ss[k];
        if (s) out.destination.settings.push({ kind: k, subset: ss.subset.name, value: s.value, origin: originOf(model, s.policy, s.pointer) });
      }
    }
    for (const p of view.trafficPolicies) policies.add(p.id);
    for (const p of view.requestAuthentications) policies.add(p.id);
    for (const p of view.wasmExtensions) policies.add(p.id);
    out.destination.jwt = view.jwtIssuers.map((j) => ({
      issuer: j.issuer.issuer,
      ...(j.issuer.audiences ? { audiences: [...j.issuer.audiences] } : {}),
      origin: originOf(model, j.policy, j.pointer),
    }));
  }
  const rules = accessOf(model, ref.namespace, ref.service);
  if (rules) {
    for (const p of rules.policies) policies.add(p);
    const a = out.destination.access;
    a.mode = "deny-by-default";
    a.policies = rules.policies;
    if (rules.ports) a.ports = rules.ports;
    a.rules = [...rules.allow, ...rules.deny].map((r) => ruleInfo(model, r));
    const identities = new Map<string, ServiceFacts[]>();
    for (const f of known.values()) {
      const id = `${f.namespace}/${f.serviceAccount}`;
      identities.set(id, [...(identities.get(id) ?? []), f]);
    }
    for (const [id, fs] of identities) {
      const c = callerAccess(model, rules, peerOfService(model, fs[0]));
      a.callers.push({
        caller: `${id} (${fs.map((f) => f.name).join(", ")})`,
        allowed: c.allowed,
        reason: c.reason,
        rules: c.allow.map((r) => {
          const i = ruleInfo(model, r);
          return `${i.request}: ${i.origin.policy} ${i.origin.pointer}`;
        }),
      });
    }
    const anon = callerAccess(model, rules, { label: "unknown", address: "127.0.0.1" });
    a.callers.push({
      caller: "unauthenticated",
      allowed: anon.allowed,
      reason: anon.reason,
      rules: anon.allow.map((r) => {
        const i = ruleInfo(model, r);
        return `${i.request}: ${i.origin.policy} ${i.origin.pointer}`;
      }),
    });
  }
  const modePorts = exposedPorts(ports).length || ports.length ? ports.map((p) => p.port) : [];
  const mtlsOf = (port?: number) => {
    const m = model.mtlsMode(ref.namespace, ref.service, port);
    if (m) policies.add(m.policy.id);
    return { ...(port !== undefined ? { port } : {}), mode: m?.mode ?? "permissive", ...(m ? { origin: originOf(model, m.policy, m.pointer) } : {}) };
  };
  out.destination.mtls = modePorts.length ? modePorts.map(mtlsOf) : [mtlsOf()];

  // As a source.
  const me = peerOfService(model, facts);
  for (const [dk, df] of known) {
    const dv = model.destination(df.namespace, df.name);
    const routes = (dv?.routes ?? []).filter((r) => r.source && admits(model, r.source, me)).map((r) => routeInfo(model, r));
    const dr = accessOf(model, df.namespace, df.name);
    const c = dr ? callerAccess(model, dr, me) : undefined;
    if (!routes.length && !c) continue;
    const named = c && (c.allow.some((r) => r.source) || c.deny.length);
    if (!routes.length && c && c.allowed && !named) continue; // open to any caller by rules that do not name it: not about this service
    out.source.calls.push({
      destination: dk,
      access: !c ? "open (no AccessPolicy)" : c.allowed ? "allowed" : c.reason,
      rules: c ? [...c.allow, ...c.deny].map((r) => ruleInfo(model, r)) : [],
      routes,
    });
    for (const r of dv?.routes ?? []) if (r.source && admits(model, r.source, me)) policies.add(r.policy.id);
  }

  if (options.meshes?.length) {
    const uses = featureUses(model).filter((u) => policies.has(u.entry.id));
    const features = [...new Set(uses.map((u) => u.feature))];
    const results = translations(model, options.meshes);
    out.meshes = results.map((r, i) => {
      const m = options.meshes![i];
      const caps = m.adapter.capabilities(r.mesh.slice(r.mesh.indexOf("@") + 1), m.settings);
      return {
        mesh: r.mesh,
        ok: r.ok,
        objects: r.resources.flatMap((o) => {
          const ps = (generatedFrom(o) ?? []).map((p) => p.id).filter((id) => policies.has(id));
          return ps.length ? [{ kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name, policies: ps }] : [];
        }),
        carriers: features.map((f) => ({
          feature: f,
          support: caps[f].support,
          ...(caps[f].via ? { via: caps[f].via } : {}),
          ...(caps[f].note ? { note: caps[f].note } : {}),
        })),
        diagnostics: r.diagnostics.filter(
          (d) => d.severity !== "info" && [d.policy, ...(d.relatedPolicies ?? [])].some((p) => p !== undefined && policies.has(p)),
        ),
      };
    });
  }
  return out;
}
