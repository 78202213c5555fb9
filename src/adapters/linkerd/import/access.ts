/**
 * The receiving side: `Server`, `AuthorizationPolicy`, `MeshTLSAuthentication`, `NetworkAuthentication`,
 * inbound `HTTPRoute`s (parent Server) and the namespace annotation
 * `config.linkerd.io/default-inbound-policy` → AccessPolicy and MTLSPolicy, the reverse of the adapter's
 * features/access.ts and callers.ts (`2-edge/reference/authorization-policy.md`).
 *
 * - A Server covers one pod port of the pods its `podSelector` picks; it must be the selector of a known
 *   service (a MeshService given, or `app: <name>`), else the authorizations cannot be placed and
 *   dropping them would open the port: an `import/looser` error. A named port is an error for the same
 *   reason (the pods' container port names are not known).
 * - Callers: the union of the AuthorizationPolicies targeting the Server (or its namespace), each
 *   admitting the clients that satisfy ALL its `requiredAuthenticationRefs`; the Server's `accessPolicy`
 *   (default `deny`) admits more: `all-authenticated` any meshed client, `all-unauthenticated` anyone.
 *   `cluster-*` (clients from the install's clusterNetworks) and `audit` cannot be said exactly: errors.
 * - With inbound routes, a request goes to the most specific route (`../matching.ts`) and only that
 *   route's authorizations (and the Server's) apply; a request no route matches is refused. Each route
 *   becomes allow rules (methods, paths, headers) for its callers; where a more specific route admits
 *   fewer callers, the difference is a deny rule on that route's requests, or an `import/looser` error
 *   when it cannot be written (a wildcard minus some of its members).
 * - An identity, CIDR or match the model cannot say makes an allow rule narrower (a warning: the imported
 *   policy admits less); never wider.
 * - The namespace's default inbound policy: `deny` → a namespace-wide AccessPolicy without allow rules;
 *   `all-authenticated` → a namespace-wide MTLSPolicy strict; `all-unauthenticated` → nothing (every
 *   caller); objects unimesh generated map back to the policies they name.
 */
import type { AccessPolicy, AccessRule, AccessSource, MTLSPolicy } from "../../../api/generated/model.js";
import { type NativeObject, isObject } from "../../../api/import-contract.js";
import { DEFAULT_NAMESPACE, canonicalJson, cmp } from "../../../api/model.js";
import { covers, intersectSpecs, mayOverlap, type MatchSpec } from "../matching.js";
import {
  type ImportedCallers,
  type LinkerdImport,
  NOBODY,
  callersMinus,
  callersWithin,
  describeImportedCallers,
  noCallers,
  normalizeCallers,
  type PathScore,
  linkerdOutcomes,
  parseIdentity,
  pathScore,
  rankedSpec,
  readRegex,
  report,
  sourcePolicies,
  unionCallers,
  pathMatchOf,
  specOf,
} from "./context.js";
import { isServerParent } from "./routes.js";

const API_VERSION = "unimesh.io/v1alpha1" as const;
const POLICY = "policy.linkerd.io";

/** One imported Server. */
export interface ImportedServer {
  native: NativeObject;
  service: string;
  namespace: string;
  podPort: number;
  /** The Service ports that reach the pod port. */
  servicePorts: number[];
  portsDeclared: boolean;
}

/** An authentication's callers; `requiresMtls` for the adapter's `*` ANDed with networks. */
interface Auth {
  callers: ImportedCallers;
  mtlsOnly?: boolean;
  networksOnly?: boolean;
  /** Not imported (an error reported): the policies using it admit nobody. */
  invalid?: boolean;
}

/** Access conditions of one inbound match, as model access-rule fields. */
interface Cond {
  methods?: string[];
  paths?: string[];
  headers?: Record<string, string[]>;
}

interface InboundMatch {
  spec: MatchSpec;
  score: PathScore;
  cond?: Cond;
  pointer: string;
}

interface InboundRoute {
  native: NativeObject;
  matches: InboundMatch[];
  callers: ImportedCallers;
}

export interface ImportedAccess {
  docs: { doc: AccessPolicy | MTLSPolicy; from: NativeObject[] }[];
  servers: Map<string, ImportedServer>;
}

/** Reads the receiving side. */
export function access(li: LinkerdImport, objects: readonly NativeObject[], namespaces: readonly NativeObject[]): ImportedAccess {
  const of = (kind: string) => objects.filter((o) => o.group === POLICY && o.kind === kind);
  const auths = authentications(li, [...of("MeshTLSAuthentication"), ...of("NetworkAuthentication")]);
  const servers = new Map<string, ImportedServer>();
  for (const o of of("Server")) {
    const s = server(li, o);
    if (s) servers.set(`${o.namespace}/${o.name}`, s);
  }
  // Inbound routes (parent Server) by Server.
  const routesOf = new Map<string, NativeObject[]>();
  for (const o of objects.filter((x) => x.kind === "HTTPRoute" || x.kind === "GRPCRoute")) {
    const parents = Array.isArray((o.object.spec as Record<string, unknown> | undefined)?.parentRefs)
      ? (o.object.spec as { parentRefs: unknown[] }).parentRefs
      : [];
    parents.forEach((p, i) => {
      if (!isServerParent(p)) return;
      const f = li.ctx.fields(o);
      f.use(`/spec/parentRefs/${i}`);
      const key = `${typeof p.namespace === "string" ? p.namespace : o.namespace}/${String(p.name)}`;
      let l = routesOf.get(key);
      if (!l) routesOf.set(key, (l = []));
      l.push(o);
    });
  }
  // AuthorizationPolicies by target.
  const authz = new Map<string, { native: NativeObject; callers: ImportedCallers }[]>();
  for (const o of of("AuthorizationPolicy")) {
    const f = li.ctx.fields(o);
    const spec = (o.object.spec ?? {}) as Record<string, unknown>;
    f.use("/spec/targetRef", "/spec/requiredAuthenticationRefs");
    const t = spec.targetRef;
    if (!isObject(t) || typeof t.kind !== "string" || typeof t.name !== "string") {
      report(li, o, "/spec/targetRef", "error", "import/invalid", "targetRef needs a kind and a name");
      continue;
    }
    const callers = policyCallers(li, o, spec.requiredAuthenticationRefs, auths, servers);
    const key = `${t.kind}/${o.namespace}/${t.name}`;
    if (t.kind === "Namespace" && t.name !== o.namespace)
      report(li, o, "/spec/targetRef/name", "warning", "import/ignored", `an AuthorizationPolicy can target only its own namespace: Linkerd ignores this one`);
    if (!["Server", "HTTPRoute", "GRPCRoute", "Namespace"].includes(t.kind)) {
      report(
        li,
        o,
        "/spec/targetRef/kind",
        "warning",
        "import/unsupported-value",
        `an AuthorizationPolicy for a ${t.kind} is outside the model (it authorizes nothing the model's AccessPolicies govern): not imported`,
      );
      continue;
    }
    let l = authz.get(key);
    if (!l) authz.set(key, (l = []));
    l.push({ native: o, callers });
  }
  for (const o of of("ServerAuthorization")) serverAuthorization(li, o, of("Server"), authz);
  for (const [key, list] of authz) {
    const [kind, ns, name] = key.split("/");
    const exists =
      kind === "Server"
        ? servers.has(`${ns}/${name}`) || of("Server").some((s) => s.namespace === ns && s.name === name)
        : kind === "Namespace"
          ? true
          : objects.some((o) => o.kind === kind && o.namespace === ns && o.name === name);
    if (!exists)
      for (const a of list)
        report(
          li,
          a.native,
          "/spec/targetRef",
          "warning",
          "import/unresolved",
          `the ${kind} ${ns}/${name} it authorizes is not among the inputs: not imported`,
        );
  }

  const defaults = namespaceDefaults(li, namespaces);
  const docs: ImportedAccess["docs"] = [...defaults.docs];
  // Per service: the rules of each of its Servers.
  const byService = new Map<
    string,
    {
      rules: AccessRule[];
      deny: AccessRule[];
      from: NativeObject[];
      refs: string[];
      mtls: { port: number[]; mode: "strict" | "permissive" }[];
      accessServers: number;
      servers: ImportedServer[];
    }
  >();
  for (const s of [...servers.values()].sort((a, b) => cmp(a.native.id, b.native.id))) {
    const key = `${s.namespace}/${s.service}`;
    let e = byService.get(key);
    if (!e) byService.set(key, (e = { rules: [], deny: [], from: [], refs: [], mtls: [], accessServers: 0, servers: [] }));
    e.servers.push(s);
    e.from.push(s.native);
    const spec = (s.native.object.spec ?? {}) as Record<string, unknown>;
    const ap = spec.accessPolicy ?? "deny";
    const refs = sourcePolicies(s.native) ?? [];
    const serverAuthz = [...(authz.get(`Server/${s.namespace}/${s.native.name}`) ?? []), ...(authz.get(`Namespace/${s.namespace}/${s.namespace}`) ?? [])];
    const inbound = routesOf.get(`${s.namespace}/${s.native.name}`) ?? [];
    for (const a of serverAuthz) e.from.push(a.native);
    // A Server unimesh made for an mTLS mode (or a rate limit) alone: no access rules.
    const onlyMtls = refs.length > 0 && refs.every((r) => r.kind === "MTLSPolicy" || r.kind === "TrafficPolicy") && !serverAuthz.length && !inbound.length;
    if (onlyMtls) {
      if (refs.some((r) => r.kind === "MTLSPolicy") && (ap === "all-authenticated" || ap === "all-unauthenticated"))
        e.mtls.push({ port: s.servicePorts, mode: ap === "all-authenticated" ? "strict" : "permissive" });
      for (const r of refs) if (!e.refs.includes(r.id)) e.refs.push(r.id);
      continue;
    }
    e.accessServers++;
    for (const r of refs) if (!e.refs.includes(r.id)) e.refs.push(r.id);
    let serverCallers = NOBODY;
    for (const a of serverAuthz) serverCallers = unionCallers(serverCallers, a.callers);
    const apCallers = accessPolicyCallers(li, s.native, ap);
    if (apCallers === undefined) continue;
    serverCallers = unionCallers(serverCallers, apCallers);
    const portCond = portsOf(s);
    if (!inbound.length) {
      if (!noCallers(serverCallers)) e.rules.push(...rulesFor(serverCallers, {}, portCond));
      continue;
    }
    const routes: InboundRoute[] = inbound.map((o) => {
      e!.from.push(o);
      let callers = serverCallers;
      for (const a of [...(authz.get(`HTTPRoute/${o.namespace}/${o.name}`) ?? []), ...(authz.get(`GRPCRoute/${o.namespace}/${o.name}`) ?? [])]) {
        callers = unionCallers(callers, a.callers);
        e!.from.push(a.native);
      }
      return { native: o, matches: inboundMatches(li, o), callers };
    });
    const rr = routeRules(li, routes, portCond);
    e.rules.push(...rr.allow);
    e.deny.push(...rr.deny);
  }
  for (const [key, e] of [...byService].sort((a, b) => cmp(a[0], b[0]))) {
    const [namespace, service] = key.split("/");
    const ref = (kind: string) => e.refs.map((id) => /^(\w+)\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(id)).find((m) => m?.[1] === kind);
    if (e.accessServers) {
      const r = ref("AccessPolicy");
      const name = r?.[3] ?? e.servers.find((s) => !sourcePolicies(s.native))?.native.name ?? service;
      const pns = r?.[2] ?? namespace;
      const everyPort = (li.ctx.facts.ports(namespace, service) ?? []).map((p) => p.port);
      const noPorts = (rs: AccessRule[]) =>
        rs.map((r) => (r.ports && everyPort.length && everyPort.every((p) => r.ports!.includes(p)) ? (({ ports: _, ...rest }) => rest)(r) : r));
      const rules = dedupe(noPorts(dedupe(e.rules)));
      const deny = dedupe(noPorts(dedupe(e.deny)));
      const spec: AccessPolicy["spec"] = {
        destination: { service, ...(pns !== namespace ? { namespace } : {}) },
        ...(rules.length ? { allow: rules } : {}),
        ...(deny.length ? { deny } : {}),
      };
      docs.push({ doc: { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name, namespace: pns }, spec }, from: e.from });
      const declared = li.ctx.facts.ports(namespace, service);
      const covered = new Set(e.servers.flatMap((s) => s.servicePorts));
      const open = declared?.filter((p) => !covered.has(p.port)).map((p) => p.port) ?? [];
      if (open.length) {
        const d = defaults.byNamespace.get(namespace);
        const dc =
          d === undefined || d === "all-unauthenticated"
            ? { ...NOBODY, anyone: true }
            : d === "all-authenticated"
              ? { ...NOBODY, authenticated: true }
              : NOBODY;
        if (!noCallers(dc)) spec.allow = [...(spec.allow ?? []), ...rulesFor(dc, {}, { ports: open, namespace })];
        report(
          li,
          e.servers[0].native,
          "",
          "info",
          "import/mesh-default",
          `port${open.length > 1 ? "s" : ""} ${open.join(", ")} of ${service} ha${open.length > 1 ? "ve" : "s"} no Server: Linkerd applies the namespace's default inbound policy (${d ?? "all-unauthenticated, the usual cluster default"}) there, which the imported AccessPolicy states for ${open.length > 1 ? "them" : "it"} (${describeImportedCallers(dc)})`,
        );
      } else if (!declared) {
        report(
          li,
          e.servers[0].native,
          "",
          "warning",
          "import/unresolved",
          `the ports of ${namespace}/${service} are not known (give its Service or a MeshService with the inputs): its ports without a Server keep Linkerd's default inbound policy, while the imported AccessPolicy denies every port it does not name`,
        );
      }
    }
    if (e.mtls.length) {
      const r = ref("MTLSPolicy");
      const modes = new Set(e.mtls.map((m) => m.mode));
      const declared = li.ctx.facts.ports(namespace, service);
      const all = modes.size === 1 && (!declared || declared.every((p) => e.mtls.some((m) => m.port.includes(p.port))));
      const spec: MTLSPolicy["spec"] = all
        ? { destination: { service }, mode: [...modes][0] }
        : {
            destination: { service },
            mode: "permissive",
            ports: Object.fromEntries(e.mtls.flatMap((m) => m.port.map((p) => [String(p), m.mode]))) as MTLSPolicy["spec"]["ports"],
          };
      docs.push({
        doc: { apiVersion: API_VERSION, kind: "MTLSPolicy", metadata: { name: r?.[3] ?? service, namespace: r?.[2] ?? namespace }, spec },
        from: e.from,
      });
    }
  }
  return { docs, servers };
}

/** Model rules for callers and conditions. */
function rulesFor(c: ImportedCallers, cond: Cond, ports: { ports?: number[]; namespace?: string }): AccessRule[] {
  const rule: AccessRule = {};
  const src = sourceOf(c, ports.namespace);
  if (src) rule.source = src;
  if (cond.methods) rule.methods = [...cond.methods] as AccessRule["methods"];
  if (cond.paths) rule.paths = [...cond.paths] as AccessRule["paths"];
  if (cond.headers) rule.headers = cond.headers as AccessRule["headers"];
  if (ports.ports) rule.ports = ports.ports as AccessRule["ports"];
  return [rule];
}

/** The model source of a caller set; undefined for any caller. */
function sourceOf(c: ImportedCallers, namespace?: string): AccessSource | undefined {
  if (c.anyone) return undefined;
  const s: AccessSource = {};
  if (c.authenticated) s.serviceAccounts = ["*"];
  else if (c.sas.length)
    s.serviceAccounts = c.sas.map((x) => (namespace && x.startsWith(`${namespace}/`) ? x.slice(namespace.length + 1) : x)) as AccessSource["serviceAccounts"];
  if (!c.authenticated && c.namespaces.length) s.namespaces = c.namespaces as AccessSource["namespaces"];
  if (c.ipBlocks.length) s.ipBlocks = c.ipBlocks as AccessSource["ipBlocks"];
  return s;
}

/** The rule `ports` of a Server's rules: the Service ports reaching its pod port, when the service has others. */
function portsOf(s: ImportedServer): { ports?: number[]; namespace: string } {
  if (!s.portsDeclared) return { namespace: s.namespace };
  return { ports: s.servicePorts, namespace: s.namespace };
}

function dedupe(rules: AccessRule[]): AccessRule[] {
  // Rules equal but for their ports merge; then a rule whose ports cover every declared port loses them.
  const out: AccessRule[] = [];
  const seen = new Map<string, AccessRule>();
  for (const r of rules) {
    const { ports, ...rest } = r;
    const key = canonicalJson(rest);
    const prev = seen.get(key);
    if (prev) {
      if (prev.ports && ports) prev.ports = [...new Set([...prev.ports, ...ports])].sort((a, b) => a - b) as AccessRule["ports"];
      else delete prev.ports;
      continue;
    }
    const copy = { ...r };
    seen.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Reads the authentications: `ns/Kind/name` → callers. */
function authentications(li: LinkerdImport, objs: readonly NativeObject[]): Map<string, Auth> {
  const out = new Map<string, Auth>();
  for (const o of objs) {
    const f = li.ctx.fields(o);
    const spec = (o.object.spec ?? {}) as Record<string, unknown>;
    const c: ImportedCallers = { ...NOBODY, sas: [], namespaces: [], ipBlocks: [] };
    if (o.kind === "MeshTLSAuthentication") {
      f.use("/spec/identities", "/spec/identityRefs");
      (Array.isArray(spec.identities) ? spec.identities : []).forEach((id, i) => {
        const p = parseIdentity(li, id);
        if ("reason" in p)
          return report(
            li,
            o,
            `/spec/identities/${i}`,
            "warning",
            "import/unsupported-value",
            `identity ${p.reason}: not imported, so the policies using it admit fewer callers (never more)`,
          );
        if ("any" in p) c.authenticated = true;
        else if ("sa" in p) c.sas.push(p.sa);
        else c.namespaces.push(p.namespace);
      });
      (Array.isArray(spec.identityRefs) ? spec.identityRefs : []).forEach((r, i) => {
        if (!isObject(r)) return;
        const ns = typeof r.namespace === "string" ? r.namespace : o.namespace;
        if (r.kind === "ServiceAccount" && typeof r.name === "string" && r.name !== "*") c.sas.push(`${ns}/${r.name}`);
        else if (r.kind === "Namespace" && typeof r.name === "string" && r.name !== "*") c.namespaces.push(r.name);
        else if ((r.kind === "ServiceAccount" || r.kind === "Namespace") && r.name === "*") c.authenticated = true;
        else
          report(
            li,
            o,
            `/spec/identityRefs/${i}`,
            "warning",
            "import/unsupported-value",
            `an identity reference to ${String(r.kind)} ${String(r.name)} has no model equivalent: not imported (the policies using it admit fewer callers)`,
          );
      });
      out.set(`${o.namespace}/MeshTLSAuthentication/${o.name}`, {
        callers: normalizeCallers(c),
        mtlsOnly: c.authenticated && !c.sas.length && !c.namespaces.length,
      });
    } else {
      f.use("/spec/networks");
      let ok = true;
      (Array.isArray(spec.networks) ? spec.networks : []).forEach((n, i) => {
        const at = `/spec/networks/${i}`;
        if (!isObject(n) || typeof n.cidr !== "string") {
          report(li, o, at, "error", "import/invalid", "a network needs a cidr");
          ok = false;
          return;
        }
        if (n.except !== undefined && (!Array.isArray(n.except) || n.except.length)) {
          report(
            li,
            o,
            `${at}/except`,
            "error",
            "import/looser",
            `the networks excluded from ${n.cidr} cannot be said in the model's caller lists (ipBlocks are allow-lists): importing ${n.cidr} without them would admit the excluded clients. Split the network into the CIDRs it admits`,
          );
          ok = false;
          return;
        }
        if (!/^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(n.cidr)) {
          report(li, o, `${at}/cidr`, "error", "import/looser", `${n.cidr} is not a CIDR the model can say (address/prefix length)`);
          ok = false;
          return;
        }
        if (n.cidr === "0.0.0.0/0" || n.cidr === "::/0") c.anyone = true;
        else c.ipBlocks.push(n.cidr);
      });
      // 0.0.0.0/0 alone (without ::/0) is not every caller: the model's ipBlocks can say it.
      const nets = (Array.isArray(spec.networks) ? spec.networks : []).filter(isObject).map((n) => n.cidr);
      if (c.anyone && !(nets.includes("0.0.0.0/0") && nets.includes("::/0"))) {
        c.anyone = false;
        c.ipBlocks.push(...nets.filter((x): x is string => x === "0.0.0.0/0" || x === "::/0"));
      }
      out.set(
        `${o.namespace}/NetworkAuthentication/${o.name}`,
        ok ? { callers: normalizeCallers(c), networksOnly: true } : { callers: NOBODY, networksOnly: true, invalid: true },
      );
    }
  }
  return out;
}

/**
 * A ServerAuthorization (policy.linkerd.io/v1beta1, deprecated since 2.13, still in Linkerd's
 * restricting-access guide): `server` {name | selector} → the Servers it authorizes; `client`
 * {meshTLS {serviceAccounts, identities, unauthenticatedTLS}, unauthenticated, networks} → callers.
 * Identities ANDed with explicit networks, networks with `except`, and unauthenticated clients limited to
 * the default (the cluster's) networks cannot be said: the first is stricter (warning), the others would
 * be looser (errors).
 */
function serverAuthorization(
  li: LinkerdImport,
  o: NativeObject,
  servers: readonly NativeObject[],
  authz: Map<string, { native: NativeObject; callers: ImportedCallers }[]>,
): void {
  const f = li.ctx.fields(o);
  f.use("/spec/server", "/spec/client");
  const spec = (o.object.spec ?? {}) as Record<string, unknown>;
  const server = isObject(spec.server) ? spec.server : {};
  let targets: NativeObject[] = [];
  if (typeof server.name === "string") targets = servers.filter((s) => s.namespace === o.namespace && s.name === server.name);
  else if (isObject(server.selector)) {
    const sel = server.selector;
    if (sel.matchExpressions !== undefined) {
      report(
        li,
        o,
        "/spec/server/selector/matchExpressions",
        "warning",
        "import/unsupported-value",
        "a Server selector with matchExpressions is not imported: the callers it admits are missing (stricter)",
      );
      return;
    }
    const ml = isObject(sel.matchLabels) ? sel.matchLabels : {};
    targets = servers.filter((s) => s.namespace === o.namespace && Object.entries(ml).every(([k, v]) => s.object.metadata.labels?.[k] === v));
  }
  const client = isObject(spec.client) ? spec.client : {};
  const mesh = isObject(client.meshTLS) ? client.meshTLS : undefined;
  let c: ImportedCallers = { ...NOBODY, sas: [], namespaces: [], ipBlocks: [] };
  const nets = Array.isArray(client.networks) ? client.networks.filter(isObject) : undefined;
  if (nets?.some((n) => Array.isArray(n.except) && n.except.length)) {
    report(
      li,
      o,
      "/spec/client/networks",
      "error",
      "import/looser",
      "networks with except cannot be said in the model's caller lists (ipBlocks are allow-lists): importing them without the exceptions would admit the excluded clients",
    );
    return;
  }
  const cidrs = nets?.map((n) => String(n.cidr)) ?? [];
  const everywhere = cidrs.includes("0.0.0.0/0") && cidrs.includes("::/0");
  if (client.unauthenticated === true) {
    if (!nets) {
      report(
        li,
        o,
        "/spec/client/unauthenticated",
        "error",
        "import/looser",
        "unauthenticated clients from the cluster's networks (clusterNetworks, set at install) cannot be named in the model: importing them as every caller would be looser; list the networks (client.networks)",
      );
      return;
    }
    c = everywhere ? { ...NOBODY, anyone: true } : { ...NOBODY, ipBlocks: cidrs };
  } else if (mesh) {
    if (nets && !everywhere) {
      report(
        li,
        o,
        "/spec/client/networks",
        "warning",
        "import/unsupported-value",
        "identities AND networks cannot be said in the model (its caller lists are ORed): imported as admitting nobody (stricter)",
      );
      c = NOBODY;
    } else if (mesh.unauthenticatedTLS === true) {
      report(
        li,
        o,
        "/spec/client/meshTLS/unauthenticatedTLS",
        "error",
        "import/looser",
        "TLS clients without a mesh identity have no model equivalent: importing them as every caller would be looser",
      );
      return;
    } else {
      (Array.isArray(mesh.serviceAccounts) ? mesh.serviceAccounts : []).forEach((sa) => {
        if (isObject(sa) && typeof sa.name === "string") c.sas.push(`${typeof sa.namespace === "string" ? sa.namespace : o.namespace}/${sa.name}`);
      });
      (Array.isArray(mesh.identities) ? mesh.identities : []).forEach((id, i) => {
        const p = parseIdentity(li, id);
        if ("reason" in p)
          return report(li, o, `/spec/client/meshTLS/identities/${i}`, "warning", "import/unsupported-value", `identity ${p.reason}: not imported (stricter)`);
        if ("any" in p) c.authenticated = true;
        else if ("sa" in p) c.sas.push(p.sa);
        else c.namespaces.push(p.namespace);
      });
      c = normalizeCallers(c);
    }
  }
  if (!targets.length) report(li, o, "/spec/server", "warning", "import/unresolved", "no Server among the inputs is the one it authorizes: not imported");
  for (const t of targets) {
    const key = `Server/${t.namespace}/${t.name}`;
    let l = authz.get(key);
    if (!l) authz.set(key, (l = []));
    l.push({ native: o, callers: c });
  }
}

/** The callers an AuthorizationPolicy admits (all its required authentications, ANDed). */
function policyCallers(li: LinkerdImport, o: NativeObject, refs: unknown, auths: Map<string, Auth>, _servers: Map<string, ImportedServer>): ImportedCallers {
  if (refs === undefined || (Array.isArray(refs) && !refs.length)) return { ...NOBODY, anyone: true };
  if (!Array.isArray(refs)) return NOBODY;
  const parts: Auth[] = [];
  for (const [i, r] of refs.entries()) {
    if (!isObject(r)) return NOBODY;
    const ns = typeof r.namespace === "string" ? r.namespace : o.namespace;
    if (r.kind === "ServiceAccount" && typeof r.name === "string") {
      parts.push({ callers: { ...NOBODY, sas: [`${ns}/${r.name}`] } });
      continue;
    }
    const a = auths.get(`${ns}/${String(r.kind)}/${String(r.name)}`);
    if (!a) {
      report(
        li,
        o,
        `/spec/requiredAuthenticationRefs/${i}`,
        "warning",
        "import/unresolved",
        `${String(r.kind)} ${ns}/${String(r.name)} is not among the inputs: this policy is imported as admitting nobody`,
      );
      return NOBODY;
    }
    if (a.invalid) return NOBODY; // reported (an error) on the authentication
    parts.push(a);
  }
  if (parts.length === 1) return parts[0].callers;
  // The adapter's strict-mode networks: any meshed identity AND networks = those networks, mTLS only.
  const mtls = parts.filter((p) => p.mtlsOnly);
  const nets = parts.filter((p) => p.networksOnly);
  if (parts.length === 2 && mtls.length === 1 && nets.length === 1) {
    return { ...NOBODY, ipBlocks: nets[0].callers.anyone ? [] : nets[0].callers.ipBlocks, authenticated: nets[0].callers.anyone };
  }
  report(
    li,
    o,
    "/spec/requiredAuthenticationRefs",
    "warning",
    "import/unsupported-value",
    "clients must satisfy every authentication listed (identities AND networks), which the model's caller lists (ORed) cannot say: imported as admitting nobody (stricter); write one AuthorizationPolicy per authentication if either should admit",
  );
  return NOBODY;
}

/** The callers a Server's accessPolicy admits besides its authorizations; undefined when it cannot be said (reported). */
function accessPolicyCallers(li: LinkerdImport, o: NativeObject, ap: unknown): ImportedCallers | undefined {
  if (ap === "deny") return NOBODY;
  if (ap === "all-authenticated") return { ...NOBODY, authenticated: true };
  if (ap === "all-unauthenticated") return { ...NOBODY, anyone: true };
  if (ap === "audit") {
    report(
      li,
      o,
      "/spec/accessPolicy",
      "warning",
      "import/unsupported-value",
      "accessPolicy audit admits every request and logs the ones it would deny: imported as admitting every caller (the model has no audit mode)",
    );
    return { ...NOBODY, anyone: true };
  }
  report(
    li,
    o,
    "/spec/accessPolicy",
    "error",
    "import/looser",
    `accessPolicy ${String(ap)} admits clients from the cluster's networks (clusterNetworks, set at install), which the model cannot name: importing it as every caller would be looser. Write the networks in a NetworkAuthentication, or use deny / all-authenticated`,
  );
  return undefined;
}

/** A Server → the service whose pods it selects and its pod port; undefined (an error reported) when not. */
function server(li: LinkerdImport, o: NativeObject): ImportedServer | undefined {
  const f = li.ctx.fields(o);
  const spec = (o.object.spec ?? {}) as Record<string, unknown>;
  f.use("/spec/podSelector", "/spec/port", "/spec/accessPolicy", "/spec/proxyProtocol");
  if (spec.proxyProtocol !== undefined && !["unknown", "HTTP/1", "HTTP/2", "gRPC"].includes(String(spec.proxyProtocol))) {
    report(
      li,
      o,
      "/spec/proxyProtocol",
      "warning",
      "import/unsupported-value",
      `proxyProtocol ${String(spec.proxyProtocol)} (the model's port protocol belongs to the MeshService): not imported`,
    );
  }
  const looser = (pointer: string, why: string) => {
    report(
      li,
      o,
      pointer,
      "error",
      "import/looser",
      `${why}; this Server's port is denied except to the callers its authorizations admit, and without it the model would admit more. Give a MeshService whose selector is exactly these labels with the inputs`,
    );
    return undefined;
  };
  const sel = spec.podSelector;
  if (spec.externalWorkloadSelector !== undefined)
    return looser("/spec/externalWorkloadSelector", "a Server for external workloads (outside Kubernetes) is outside the model");
  if (!isObject(sel)) return looser("/spec/podSelector", "this Server has no pod selector");
  if (sel.matchExpressions !== undefined)
    return looser("/spec/podSelector/matchExpressions", "a pod selector with matchExpressions cannot be the selector of a model service");
  const labels = isObject(sel.matchLabels) ? (sel.matchLabels as Record<string, string>) : {};
  if (!Object.keys(labels).length) return looser("/spec/podSelector", "this Server selects every pod of the namespace, which no model service is");
  let service = li.ctx.facts.serviceBySelector(o.namespace, labels);
  if (!service) {
    // A Server may select the pods of a service by more labels than the Service does (booksapp's
    // authors-server: {app: authors, project: booksapp} for the Service's {app: authors}): the rules then
    // also restrict the service's pods without the extra labels, if any (stricter, never looser).
    const wider = li.ctx.facts.services.filter(
      (s) =>
        (s.metadata.namespace ?? DEFAULT_NAMESPACE) === o.namespace &&
        s.spec.selector &&
        Object.keys(s.spec.selector).length &&
        Object.entries(s.spec.selector).every(([k, v]) => labels[k] === v),
    );
    if (wider.length !== 1)
      return looser(
        "/spec/podSelector/matchLabels",
        wider.length
          ? `the services ${wider.map((s) => s.metadata.name).join(", ")} all select pods with ${JSON.stringify(labels)}, so which one this Server protects is ambiguous`
          : `no service is known to select exactly ${JSON.stringify(labels)}`,
      );
    service = wider[0].metadata.name;
    report(
      li,
      o,
      "/spec/podSelector/matchLabels",
      "warning",
      "import/unresolved",
      `this Server selects the pods of ${service} with more labels (${JSON.stringify(labels)}) than the service does (${JSON.stringify(wider[0].spec.selector)}): imported as ${service}'s policy, which also restricts any pod of ${service} without the extra labels (stricter)`,
    );
  }
  let podPort: number;
  if (typeof spec.port === "number") podPort = spec.port;
  else {
    // A named port: the container port of that name, which by convention is the Service port of that name.
    const named = li.ctx.facts.ports(o.namespace, service)?.find((p) => p.name === spec.port);
    if (!named)
      return looser(
        "/spec/port",
        `port ${JSON.stringify(spec.port)} is a container port name, and no declared port of ${service} has that name (the pods' container ports are not known)`,
      );
    podPort = named.targetPort ?? named.port;
    report(
      li,
      o,
      "/spec/port",
      "info",
      "import/unresolved",
      `container port ${spec.port} read as pod port ${podPort}, the target of ${service}'s Service port named ${spec.port}`,
    );
  }
  const sp = li.ctx.facts.servicePorts(o.namespace, service, podPort);
  if (sp.declared && !sp.ports.length) {
    const declared = li.ctx.facts.ports(o.namespace, service)?.find((p) => p.podOnly && (p.targetPort ?? p.port) === podPort);
    if (!declared)
      return looser(
        "/spec/port",
        `no declared port of ${service} reaches pod port ${podPort} (declare it in the MeshService, podOnly if no Service port exposes it)`,
      );
    sp.ports.push(declared.port);
  }
  return { native: o, service, namespace: o.namespace, podPort, servicePorts: sp.ports, portsDeclared: sp.declared };
}

/** The matches of an inbound route, with their model access conditions (undefined when not expressible). */
function inboundMatches(li: LinkerdImport, o: NativeObject): InboundMatch[] {
  const f = li.ctx.fields(o);
  const out: InboundMatch[] = [];
  const rules = (o.object.spec as Record<string, unknown>).rules;
  f.use("/spec/rules");
  const list = Array.isArray(rules) ? rules : [{}];
  list.forEach((rule, ri) => {
    const at = `/spec/rules/${ri}`;
    if (!isObject(rule)) return;
    for (const k of Object.keys(rule))
      if (k !== "matches")
        report(
          li,
          o,
          `${at}/${k}`,
          "warning",
          "import/unsupported-field",
          `rules[].${k} of an inbound route (parent Server) has no model equivalent: not imported`,
        );
    const matches = Array.isArray(rule.matches) && rule.matches.length ? rule.matches : [{ path: { type: "PathPrefix", value: "/" } }];
    matches.forEach((m, mi) => {
      const p = `${at}/matches/${mi}`;
      const { cond, spec, why } = accessCond(m);
      if (why)
        report(
          li,
          o,
          p,
          "warning",
          "import/unsupported-value",
          `${why}: the requests of this match are not admitted by the imported policy (stricter); write the match as exact values, a path prefix or suffix`,
        );
      out.push({ spec, score: pathScore(isObject(m) ? m.path : undefined), cond, pointer: p });
    });
  });
  return out;
}

/** One inbound match → access conditions and Linkerd's MatchSpec. */
function accessCond(m: unknown): { cond?: Cond; spec: MatchSpec; why?: string } {
  if (!isObject(m)) return { spec: specOf(undefined), why: "a match that is not a mapping" };
  const cond: Cond = {};
  let why: string | undefined;
  const pm = pathMatchOf(m.path);
  const model = "reason" in pm ? undefined : pm.path;
  const spec = rankedSpec(specOf({ ...(model ? { path: model } : {}), ...(typeof m.method === "string" ? { method: m.method as "GET" } : {}) }), m.path);
  if (isObject(m.path)) {
    const type = m.path.type ?? "PathPrefix";
    const value = String(m.path.value ?? "/");
    if (type === "Exact") cond.paths = [value];
    else if (type === "PathPrefix") {
      const base = value.replace(/\/+$/, "");
      if (base) cond.paths = [`${base}/*`];
    } else if (type === "RegularExpression") {
      const r = readRegex(value);
      if (r.kind === "exact") cond.paths = [r.value];
      else if (r.kind === "prefix") {
        if (r.value !== "/" && r.value) cond.paths = [`${r.value}*`];
      } else if (r.kind === "suffix") cond.paths = [`*${r.value}`];
      else why = `the path regex ${value} has no access-rule equivalent (access rules match exact paths, prefixes and suffixes)`;
    } else why = `path match type ${String(type)}`;
  }
  if (typeof m.method === "string") cond.methods = [m.method];
  if (Array.isArray(m.headers)) {
    const h: Record<string, string[]> = {};
    for (const x of m.headers) {
      if (!isObject(x) || typeof x.name !== "string") {
        why = "a header match without a name";
        continue;
      }
      const v = String(x.value ?? "");
      if (x.type === undefined || x.type === "Exact") {
        h[x.name.toLowerCase()] = [v];
        spec.headers.push({ name: x.name.toLowerCase(), cond: { kind: "exact", value: v } });
        continue;
      }
      const alt = /^\^\(\?:(.*)\)\$$/.exec(v);
      const lits = alt ? alt[1].split(/(?<!\\)\|/).map((s) => readRegex(`^${s}$`)) : [readRegex(v)];
      if (lits.every((l) => l.kind === "exact")) {
        h[x.name.toLowerCase()] = lits.map((l) => l.value);
        spec.headers.push({ name: x.name.toLowerCase(), cond: { kind: "oneOf", values: lits.map((l) => l.value) } });
      } else {
        why = `the header match ${x.name} ~ ${v} has no access-rule equivalent (access rules match exact header values)`;
        spec.headers.push({ name: x.name.toLowerCase(), cond: { kind: "regex", value: v } });
      }
    }
    if (Object.keys(h).length) cond.headers = h;
  }
  if (m.queryParams !== undefined) why = "query-parameter matches have no access-rule equivalent";
  return why ? { spec, why } : { cond, spec };
}

/**
 * The allow and deny rules of a Server's inbound routes. Each route admits its callers on its matches
 * (rules merged as products of methods × paths per header set); where a route Linkerd may prefer
 * admits fewer callers than one it overlaps, those callers are denied on the preferred route's matches.
 */
function routeRules(li: LinkerdImport, routes: InboundRoute[], ports: { ports?: number[]; namespace: string }): { allow: AccessRule[]; deny: AccessRule[] } {
  const allow: AccessRule[] = [];
  const deny: AccessRule[] = [];
  for (const r of routes) {
    if (noCallers(r.callers)) continue;
    for (const c of mergeConds(r.matches.filter((m) => m.cond).map((m) => m.cond!))) allow.push(...rulesFor(r.callers, c, ports));
  }
  const denied = new Set<string>();
  for (const loser of routes) {
    if (noCallers(loser.callers)) continue;
    for (const winner of routes) {
      if (winner === loser || callersWithin(loser.callers, winner.callers)) continue;
      // Where the winner takes requests of the loser, unless a third route that admits the loser's
      // callers takes them first (the adapter's route for the overlap of two allow rules).
      const shadowed = (w: InboundMatch, l: InboundMatch): boolean => {
        const both = intersectSpecs(w.spec, l.spec);
        return (
          !!both &&
          routes.some(
            (v) =>
              v !== winner &&
              v !== loser &&
              callersWithin(loser.callers, v.callers) &&
              v.matches.some((m) => covers(m.spec, both) && !linkerdOutcomes(m, w).has("y") && !linkerdOutcomes(m, w).has("tie")),
          )
        );
      };
      const overlaps = winner.matches.some((w) => loser.matches.some((l) => mayOverlap(w.spec, l.spec) && linkerdOutcomes(w, l).has("x") && !shadowed(w, l)));
      if (!overlaps) continue;
      const minus = callersMinus(loser.callers, winner.callers);
      const winMatches = winner.matches.filter((w) =>
        loser.matches.some((l) => mayOverlap(w.spec, l.spec) && linkerdOutcomes(w, l).has("x") && !shadowed(w, l)),
      );
      if (!minus || winMatches.some((w) => !w.cond)) {
        report(
          li,
          winner.native,
          "/spec/rules",
          "error",
          "import/looser",
          `Linkerd sends the requests this route matches to it rather than to ${loser.native.name}, and this route admits fewer callers (${describeImportedCallers(winner.callers)} against ${describeImportedCallers(loser.callers)}); the model's allow rules are a union, so the difference must be denied on this route's requests, which ${minus ? "its matches" : "those callers"} cannot say exactly: not importing it would admit more. List the callers individually, or give both routes the same callers`,
        );
        continue;
      }
      for (const c of mergeConds(winMatches.map((w) => w.cond!))) {
        const rules = rulesFor(minus, c, ports);
        for (const rule of rules) {
          const key = canonicalJson(rule);
          if (denied.has(key)) continue;
          denied.add(key);
          deny.push(rule);
        }
      }
    }
  }
  return { allow, deny };
}

/** Conditions merged where exact: paths of the same methods and headers, then methods of the same paths. */
function mergeConds(conds: Cond[]): Cond[] {
  const key = (c: Cond, omit: "paths" | "methods") => canonicalJson({ ...c, [omit]: undefined });
  const byRest = new Map<string, Cond>();
  for (const c of conds) {
    const k = key(c, "paths");
    const prev = byRest.get(k);
    if (prev && prev.paths && c.paths) prev.paths = [...new Set([...prev.paths, ...c.paths])];
    else if (prev) {
      if (!c.paths) delete prev.paths;
    } else byRest.set(k, { ...c, ...(c.paths ? { paths: [...c.paths] } : {}) });
  }
  // An exact path and its segment prefix spelled twice (`/x`, `/x/*`) are `/x/*`.
  for (const c of byRest.values()) if (c.paths) c.paths = c.paths.filter((p) => !c.paths!.includes(`${p}/*`));
  const byPaths = new Map<string, Cond>();
  for (const c of byRest.values()) {
    const k = key(c, "methods");
    const prev = byPaths.get(k);
    if (prev && prev.methods && c.methods) prev.methods = [...new Set([...prev.methods, ...c.methods])];
    else if (prev) {
      if (!c.methods) delete prev.methods;
    } else byPaths.set(k, { ...c, ...(c.methods ? { methods: [...c.methods] } : {}) });
  }
  return [...byPaths.values()];
}

/** The namespaces' default inbound policies → namespace-wide AccessPolicies / MTLSPolicies. */
function namespaceDefaults(li: LinkerdImport, namespaces: readonly NativeObject[]): { docs: ImportedAccess["docs"]; byNamespace: Map<string, string> } {
  const docs: ImportedAccess["docs"] = [];
  const byNamespace = new Map<string, string>();
  const KEY = "config.linkerd.io/default-inbound-policy";
  for (const o of namespaces) {
    const v = o.object.metadata.annotations?.[KEY];
    const ns = o.name;
    if (v === undefined) continue;
    li.ctx.fields(o).use("/spec");
    byNamespace.set(ns, v);
    const refs = sourcePolicies(o) ?? [];
    const access = refs.find((r) => r.kind === "AccessPolicy");
    const mtls = refs.find((r) => r.kind === "MTLSPolicy");
    const at = `/metadata/annotations/${KEY.replace(/\//g, "~1")}`;
    if (v === "deny") {
      docs.push({
        doc: { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name: access?.name ?? "default-inbound-policy", namespace: ns }, spec: {} },
        from: [o],
      });
      if (mtls)
        docs.push({ doc: { apiVersion: API_VERSION, kind: "MTLSPolicy", metadata: { name: mtls.name, namespace: ns }, spec: { mode: "strict" } }, from: [o] });
    } else if (v === "all-authenticated") {
      if (access && !mtls)
        docs.push({
          doc: {
            apiVersion: API_VERSION,
            kind: "AccessPolicy",
            metadata: { name: access.name, namespace: ns },
            spec: { allow: [{ source: { serviceAccounts: ["*"] } }] },
          },
          from: [o],
        });
      else
        docs.push({
          doc: {
            apiVersion: API_VERSION,
            kind: "MTLSPolicy",
            metadata: { name: mtls?.name ?? "default-inbound-policy", namespace: ns },
            spec: { mode: "strict" },
          },
          from: [o],
        });
    } else if (v === "all-unauthenticated") {
      if (mtls)
        docs.push({
          doc: { apiVersion: API_VERSION, kind: "MTLSPolicy", metadata: { name: mtls.name, namespace: ns }, spec: { mode: "permissive" } },
          from: [o],
        });
      else if (access)
        docs.push({ doc: { apiVersion: API_VERSION, kind: "AccessPolicy", metadata: { name: access.name, namespace: ns }, spec: { allow: [{}] } }, from: [o] });
      else
        report(
          li,
          o,
          at,
          "info",
          "import/mesh-default",
          "all-unauthenticated admits every caller on ports without a Server, as the model does without AccessPolicies: nothing to import",
        );
    } else if (v === "audit") {
      report(
        li,
        o,
        at,
        "warning",
        "import/unsupported-value",
        "audit admits every request (and logs the ones it would deny), as the model does without AccessPolicies; the audit logging is not imported",
      );
    } else {
      report(
        li,
        o,
        at,
        "error",
        "import/looser",
        `${v} admits clients from the cluster's networks (clusterNetworks, set at install), which the model cannot name: importing it as every caller would be looser. Use deny or all-authenticated, or write per-service policies with NetworkAuthentications`,
      );
    }
  }
  return { docs, byNamespace };
}

export { DEFAULT_NAMESPACE };
