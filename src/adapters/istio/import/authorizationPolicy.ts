/**
 * AuthorizationPolicy (`security.istio.io`, istio/api `security/v1beta1/authorization_policy.proto`) → the
 * rules of AccessPolicies, the reverse of the adapter's features/access.ts and accessL7.ts:
 *
 * - `selector.matchLabels` → the service whose pods they are (a MeshService with exactly that selector, or
 *   `app: <name>`); no selector → every workload of the namespace (`destination` omitted), in Istio's root
 *   namespace → `scope: mesh`. `targetRef(s)` (gateways, waypoints) cannot be imported: error.
 * - `action` ALLOW → `allow` rules (no rules: Istio's allow-nothing, an AccessPolicy without allow rules),
 *   DENY → `deny` rules; AUDIT decides nothing (info, not imported); CUSTOM (an external authorizer) has no
 *   model equivalent: error.
 * - A rule is `from[]` (ORed) × `to[]` (ORed) × `when[]` (ANDed). Each `from` entry × `to` entry is a model
 *   rule, with the `when` conditions; `from` entries that differ only in their one positive list (what
 *   unimesh writes: one entry per list) are one model source again.
 *   - `source`: `principals` `<trust domain>/ns/<ns>/sa/<sa>` → `serviceAccounts` (`*` → `*`,
 *     `.../ns/<ns>/sa/*` → `namespaces`), Istio's `serviceAccounts` (`ns/sa`) → `serviceAccounts`,
 *     `namespaces`, `ipBlocks` (a lone address → `/32` or `/128`), and the `not*` forms. `principals` with
 *     `namespaces` in one entry → the principals of those namespaces. Request principals (JWT), remote IP
 *     blocks, trust domains, other combinations of lists and other wildcards: error.
 *   - `operation`: `methods`, `paths` (Istio's `/a` + `/a/*` → the model's `/a/*`; a lone `/a/*` is the
 *     string prefix `/a/`, which the model cannot say: error in allow rules, a warning in deny rules, which
 *     then also deny `/a`), `ports` (pod ports → the Service ports that reach them), and the `not*` forms;
 *     `hosts`/`notHosts`: error.
 *   - `when`: `request.headers[<name>]` values/notValues → `headers`/`notHeaders` (exact values only),
 *     `destination.port` → `ports`/`notPorts`; other keys: error.
 *
 * Every construct the model cannot state exactly is an error: in an allow rule it would admit or refuse
 * other requests, in a deny rule dropping it would let requests through (`import/looser`).
 */
import type { AccessRule, AccessSource } from "../../../api/generated/model.js";
import { type NativeFields, type NativeObject, isObject } from "../../../api/import-contract.js";
import { escapePointerToken } from "../../../api/diagnostics.js";
import { canonicalJson } from "../../../api/model.js";
import type { PolicyRef } from "../../../api/ownership.js";
import { type IstioImport, labelsAt, report, serviceAccountOfPrincipal, sourcePolicies, strings } from "./context.js";

/** One AuthorizationPolicy, read. */
export interface ImportedAuthz {
  native: NativeObject;
  scope: "service" | "namespace" | "mesh";
  /** The policy's namespace (the root namespace for `mesh`). */
  namespace: string;
  /** The destination service (scope `service`). */
  service?: string;
  action: "allow" | "deny";
  rules: AccessRule[];
  /** The AccessPolicies a generated object came from. */
  generated?: PolicyRef[];
}

/** Reads every AuthorizationPolicy that can be imported (the others are reported). */
export function authorizationPolicies(ii: IstioImport, objects: readonly NativeObject[]): ImportedAuthz[] {
  const out: ImportedAuthz[] = [];
  for (const o of objects) {
    const f = ii.ctx.fields(o);
    if (isObject(o.object.spec) && !Object.keys(o.object.spec).length) f.use("/spec"); // {}: allow-nothing
    const action = f.take("/spec/action") ?? "ALLOW";
    if (action === "AUDIT") {
      ii.ctx.ignore(o);
      report(ii, o, "/spec/action", "info", "import/unsupported-kind", "action AUDIT only logs (it never allows or denies a request): not imported");
      continue;
    }
    if (action !== "ALLOW" && action !== "DENY") {
      ii.ctx.ignore(o);
      report(
        ii,
        o,
        "/spec/action",
        "error",
        "import/looser",
        action === "CUSTOM"
          ? "action CUSTOM delegates the decision to an external authorizer (provider), which the model has no equivalent for: without it, requests the authorizer denies would get through"
          : `action ${JSON.stringify(action)} is not ALLOW, DENY, AUDIT or CUSTOM`,
      );
      continue;
    }
    const allow = action === "ALLOW";
    for (const k of ["targetRef", "targetRefs"]) {
      if (f.get(`/spec/${k}`) === undefined) continue;
      f.use(`/spec/${k}`);
      report(
        ii,
        o,
        `/spec/${k}`,
        "error",
        allow ? "import/unsupported-value" : "import/looser",
        `${k} attaches the policy to a gateway or waypoint, which the model has no equivalent for (it governs the destination's workloads: use selector)`,
      );
    }
    let scope: ImportedAuthz["scope"];
    let service: string | undefined;
    let namespace = o.namespace;
    const sel = f.get("/spec/selector");
    if (sel !== undefined) {
      f.use("/spec/selector");
      const labels = labelsAt(f, "/spec/selector/matchLabels");
      service = labels && Object.keys(labels).length ? ii.ctx.facts.serviceBySelector(o.namespace, labels) : undefined;
      if (!service) {
        ii.ctx.ignore(o);
        report(
          ii,
          o,
          "/spec/selector",
          "error",
          allow ? "import/unresolved" : "import/looser",
          `selector ${JSON.stringify(labels ?? sel)} picks no service the import knows (a MeshService with exactly this selector, or {app: <service>}): the model governs services, so this policy cannot be attached; give the MeshServices (unimesh discover) or the Services with the inputs`,
        );
        continue;
      }
      if (o.namespace === ii.rootNamespace) {
        ii.ctx.ignore(o);
        report(
          ii,
          o,
          "/spec/selector",
          "error",
          allow ? "import/unsupported-value" : "import/looser",
          `${o.namespace} is Istio's root namespace, where a selector picks workloads of EVERY namespace: the model has no such scope`,
        );
        continue;
      }
      scope = "service";
    } else if (o.namespace === ii.rootNamespace) {
      scope = "mesh";
      namespace = ii.rootNamespace;
    } else scope = "namespace";
    const target: RuleTarget = { scope, namespace, ...(service ? { service } : {}), allow };
    const rules = readRules(ii, o, f, target);
    if (!rules) {
      ii.ctx.ignore(o);
      continue;
    }
    const generated = sourcePolicies(o, "AccessPolicy");
    out.push({ native: o, scope, namespace, ...(service ? { service } : {}), action: allow ? "allow" : "deny", rules, ...(generated ? { generated } : {}) });
  }
  return out;
}

interface RuleTarget {
  scope: ImportedAuthz["scope"];
  namespace: string;
  service?: string;
  allow: boolean;
}

/** The model rules of a policy; undefined when one cannot be imported (reported). */
function readRules(ii: IstioImport, o: NativeObject, f: NativeFields, t: RuleTarget): AccessRule[] | undefined {
  const rules = f.get("/spec/rules");
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) {
    report(ii, o, "/spec/rules", "error", "import/invalid", "rules must be a list");
    return undefined;
  }
  const out: AccessRule[] = [];
  let ok = true;
  rules.forEach((r, i) => {
    const p = `/spec/rules/${i}`;
    if (!isObject(r)) {
      report(ii, o, p, "error", "import/invalid", "a rule must be a mapping");
      ok = false;
      return;
    }
    if (!Object.keys(r).length) f.use(p); // {}: matches every request
    const got = rule(ii, o, f, p, r, t);
    if (got) out.push(...got);
    else ok = false;
  });
  return ok ? out : undefined;
}

/** Severity and code of a construct the model cannot state in this policy. */
function cannot(t: RuleTarget, negated = false): { code: "import/unsupported-value" | "import/looser"; severity: "error" } {
  // In a deny rule (or a negated condition of an allow rule) leaving a condition out lets requests through.
  return { code: t.allow !== negated ? "import/unsupported-value" : "import/looser", severity: "error" };
}

function rule(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, r: Record<string, unknown>, t: RuleTarget): AccessRule[] | undefined {
  let ok = true;
  const fail = (at: string, why: string, negated = false) => {
    const c = cannot(t, negated);
    f.use(at);
    report(ii, o, at, c.severity, c.code, why);
    ok = false;
  };
  // from[] → sources (undefined: any caller).
  let sources: FromEntry[] = [{ user: {} }];
  if (r.from !== undefined) {
    if (!Array.isArray(r.from)) fail(`${p}/from`, "from must be a list");
    else {
      const read: FromEntry[] = [];
      r.from.forEach((e, j) => {
        const s = isObject(e) && isObject(e.source) ? source(ii, o, f, `${p}/from/${j}/source`, e.source, t, fail) : undefined;
        if (s && s !== "never") read.push(s);
        else if (!isObject(e) || !isObject(e.source)) fail(`${p}/from/${j}`, "a from entry needs a source");
      });
      // Every entry matching nobody: the rule matches nothing.
      sources = read.length ? mergeSources(read) : [];
    }
  }
  // to[] → operations.
  let ops: Partial<AccessRule>[] = [{}];
  if (r.to !== undefined) {
    if (!Array.isArray(r.to)) fail(`${p}/to`, "to must be a list");
    else {
      ops = [];
      r.to.forEach((e, j) => {
        const op = isObject(e) && isObject(e.operation) ? operation(ii, o, f, `${p}/to/${j}/operation`, e.operation, t, fail) : undefined;
        if (op) ops.push(op);
        else if (!isObject(e) || !isObject(e.operation)) fail(`${p}/to/${j}`, "a to entry needs an operation");
      });
    }
  }
  const cond = r.when !== undefined ? conditions(ii, o, f, `${p}/when`, r.when, t, fail) : {};
  if (!ok || !cond) return undefined;
  const out: AccessRule[] = [];
  for (const s of sources) {
    for (const op of ops) {
      const merged = and(op, cond);
      if (!merged) continue; // never matches (e.g. disjoint ports): nothing to import
      // End-user conditions of the from entry and of when: both must hold.
      const user: Partial<AccessRule> = {};
      for (const k of ["requestPrincipals", "notRequestPrincipals"] as const) {
        const a = s.user[k];
        const b = merged[k];
        if (a && b && canonicalJson(a) !== canonicalJson(b)) {
          fail(
            `${p}/when`,
            `${k} given both in from and in when (request.auth.principal) with different values: the model has one ${k} list per rule`,
            k.startsWith("not"),
          );
          return undefined;
        }
        if (a ?? b) user[k] = (a ?? b) as [string, ...string[]];
      }
      out.push({ ...(s.source ? { source: s.source } : {}), ...merged, ...user });
    }
  }
  if (!out.length) {
    report(ii, o, p, "info", "import/unsupported-value", "this rule can never match (its conditions exclude each other): not imported");
  }
  return out;
}

/** The conjunction of an operation and the `when` conditions; undefined when they exclude each other. */
function and(op: Partial<AccessRule>, cond: Partial<AccessRule>): Partial<AccessRule> | undefined {
  const out: Partial<AccessRule> = { ...op };
  if (cond.ports) {
    const ports = out.ports ? out.ports.filter((x) => cond.ports!.includes(x)) : cond.ports;
    if (!ports.length) return undefined;
    out.ports = ports as [number, ...number[]];
  }
  if (cond.notPorts) out.notPorts = [...new Set([...(out.notPorts ?? []), ...cond.notPorts])].sort((a, b) => a - b) as [number, ...number[]];
  if (cond.headers) out.headers = cond.headers;
  if (cond.notHeaders) out.notHeaders = cond.notHeaders;
  for (const k of ["claims", "notClaims", "requestPrincipals", "notRequestPrincipals"] as const) if (cond[k]) (out as Record<string, unknown>)[k] = cond[k];
  return out;
}

/**
 * `from` entries → model sources. Every source read is a disjunction of its positive lists (a source that
 * would need an AND of lists is an error), minus its negative lists, so entries with the same negative lists
 * are one source (their lists ORed; what unimesh writes: one entry per list); otherwise one source per entry
 * (one model rule each).
 */
function mergeSources(read: FromEntry[]): FromEntry[] {
  if (read.length <= 1) return read;
  const positives = (s: AccessSource | undefined) => (["serviceAccounts", "namespaces", "ipBlocks"] as const).filter((k) => s?.[k]);
  const negatives = (s: AccessSource | undefined) =>
    canonicalJson({ a: s?.notServiceAccounts ?? null, b: s?.notNamespaces ?? null, c: s?.notIpBlocks ?? null });
  const key = (e: FromEntry) => canonicalJson({ n: negatives(e.source), u: e.user });
  if (!read.every((e) => key(e) === key(read[0]))) return read;
  // An entry without positive lists matches every caller the others could: it alone.
  const open = read.find((e) => positives(e.source).length === 0);
  if (open) return [open];
  const merged: AccessSource = {};
  for (const e of read) {
    for (const k of ["serviceAccounts", "namespaces", "ipBlocks"] as const) {
      const v = e.source?.[k];
      if (v) merged[k] = [...new Set([...(merged[k] ?? []), ...v])] as [string, ...string[]];
    }
  }
  const first = read[0].source!;
  if (first.notServiceAccounts) merged.notServiceAccounts = first.notServiceAccounts;
  if (first.notNamespaces) merged.notNamespaces = first.notNamespaces;
  if (first.notIpBlocks) merged.notIpBlocks = first.notIpBlocks;
  return [{ source: merged, user: read[0].user }];
}

/** One `from` entry: the callers (undefined: any), and the end-user (JWT) conditions ANDed with them. */
interface FromEntry {
  source?: AccessSource;
  user: Pick<AccessRule, "requestPrincipals" | "notRequestPrincipals">;
}

type Fail = (at: string, why: string, negated?: boolean) => void;

/** One `from[].source` → a model source; undefined when it cannot be stated (reported), `never` when it matches nobody. */
function source(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  s: Record<string, unknown>,
  t: RuleTarget,
  fail: Fail,
): FromEntry | "never" | undefined {
  let ok = true;
  const bad = (at: string, why: string, negated = false) => {
    fail(at, why, negated);
    ok = false;
  };
  // The end user's token (RequestAuthentication): the same syntax and matching as the model's.
  const user: FromEntry["user"] = {};
  for (const k of ["requestPrincipals", "notRequestPrincipals"] as const) {
    if (s[k] === undefined) continue;
    const l = strings(s[k]);
    if (!l?.length) {
      bad(`${p}/${k}`, `${k} must be a non-empty list of strings`, k.startsWith("not"));
      continue;
    }
    user[k] = [...new Set(l)] as [string, ...string[]];
    f.use(`${p}/${k}`);
  }
  for (const k of ["remoteIpBlocks", "notRemoteIpBlocks"]) {
    if (s[k] !== undefined)
      bad(
        `${p}/${k}`,
        `${k} (the original client address from X-Forwarded-For or PROXY protocol) has no model equivalent; the model's ipBlocks are the direct peer's address`,
        k.startsWith("not"),
      );
  }
  for (const k of ["trustDomains", "notTrustDomains"]) {
    if (s[k] !== undefined)
      bad(`${p}/${k}`, `${k} has no model equivalent (identities are in the import's trust domain, --set trustDomain)`, k.startsWith("not"));
  }
  const out: AccessSource = {};
  const principals = (key: "principals" | "notPrincipals"): { sas: string[]; nss: string[] } | undefined => {
    const list = s[key];
    if (list === undefined) return undefined;
    const l = strings(list);
    if (!l) {
      bad(`${p}/${key}`, `${key} must be a list of strings`, key === "notPrincipals");
      return undefined;
    }
    const sas: string[] = [];
    const nss: string[] = [];
    l.forEach((x, i) => {
      const r = serviceAccountOfPrincipal(ii, x, t.namespace);
      if ("sa" in r) sas.push(r.sa);
      else if ("namespaceOf" in r) nss.push(r.namespaceOf);
      else bad(`${p}/${key}/${i}`, `${key}: ${r.reason}`, key === "notPrincipals");
    });
    f.use(`${p}/${key}`);
    return { sas, nss };
  };
  const list = (key: string, negated: boolean, check?: (x: string) => string | undefined): string[] | undefined => {
    const v = s[key];
    if (v === undefined) return undefined;
    const l = strings(v);
    if (!l || !l.length) {
      bad(`${p}/${key}`, `${key} must be a non-empty list of strings`, negated);
      return undefined;
    }
    const outl: string[] = [];
    l.forEach((x, i) => {
      const why = check?.(x);
      if (why) bad(`${p}/${key}/${i}`, `${key}: ${why}`, negated);
      else outl.push(normalize(key, x));
    });
    f.use(`${p}/${key}`);
    return outl;
  };
  const noWildcard = (x: string) => (x.includes("*") ? `"${x}": a wildcard namespace has no model equivalent` : undefined);
  const ip = (x: string) => (/^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(x) ? undefined : `"${x}" is not an IP address or CIDR block`);
  const sa = (x: string) =>
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(x) ? undefined : `"${x}" is not <namespace>/<service account>`;
  const pos = principals("principals");
  const namespaces = list("namespaces", false, noWildcard);
  const istioSas = list("serviceAccounts", false, sa);
  const ipBlocks = list("ipBlocks", false, ip);
  const neg = principals("notPrincipals");
  const notNamespaces = list("notNamespaces", true, noWildcard);
  const notSas = list("notServiceAccounts", true, sa);
  const notIpBlocks = list("notIpBlocks", true, ip);
  if (!ok) return undefined;
  // Positive lists of one entry are ANDed.
  const short = (x: string) => (x.startsWith(`${t.namespace}/`) ? x.slice(t.namespace.length + 1) : x);
  let sas = [...(pos?.sas ?? []), ...(istioSas ?? []).map(short)];
  let nss = [...(pos?.nss ?? [])];
  const present = [pos || istioSas ? "principals" : undefined, namespaces ? "namespaces" : undefined, ipBlocks ? "ipBlocks" : undefined].filter(Boolean);
  if (present.length > 1) {
    if (present.length === 2 && namespaces && (pos || istioSas)) {
      // principals AND namespaces: the principals of those namespaces.
      const nsOf = (x: string) => (x === "*" ? undefined : x.includes("/") ? x.slice(0, x.indexOf("/")) : t.namespace);
      if (sas.includes("*")) {
        sas = sas.filter((x) => x !== "*");
        nss = [...nss, ...namespaces];
      } else {
        sas = sas.filter((x) => namespaces.includes(nsOf(x)!));
        nss = nss.filter((x) => namespaces.includes(x));
      }
      if (!sas.length && !nss.length) {
        report(ii, o, p, "info", "import/unsupported-value", "principals and namespaces of this source exclude each other: it matches no caller");
        return "never";
      }
    } else {
      bad(p, `this source requires ${present.join(" AND ")} at once; model source lists are alternatives (ORed), so it cannot be stated`);
      return undefined;
    }
  } else if (namespaces) nss = [...nss, ...namespaces];
  if (sas.length) out.serviceAccounts = [...new Set(sas)] as [string, ...string[]];
  if (nss.length) out.namespaces = [...new Set(nss)] as [string, ...string[]];
  if (ipBlocks && !(present.length > 1)) out.ipBlocks = ipBlocks as [string, ...string[]];
  const nsas = [...(neg?.sas ?? []), ...(notSas ?? []).map(short)];
  const nnss = [...(neg?.nss ?? []), ...(notNamespaces ?? [])];
  if (nsas.length) out.notServiceAccounts = [...new Set(nsas)] as [string, ...string[]];
  if (nnss.length) out.notNamespaces = [...new Set(nnss)] as [string, ...string[]];
  if (notIpBlocks) out.notIpBlocks = notIpBlocks as [string, ...string[]];
  if (istioSas || notSas) {
    report(
      ii,
      o,
      p,
      "info",
      "import/unsupported-value",
      `serviceAccounts (${[...(istioSas ?? []), ...(notSas ?? [])].join(", ")}) are imported as service accounts of the trust domain ${ii.ctx.trustDomain}`,
    );
  }
  return { ...(Object.keys(out).length ? { source: out } : {}), user };
}

/** A lone IP address as a CIDR block (`/32`, `/128`). */
function normalize(key: string, x: string): string {
  if (!/ipBlocks$/i.test(key) || x.includes("/")) return x;
  return x.includes(":") ? `${x}/128` : `${x}/32`;
}

/** One `to[].operation` → methods, paths, ports and their negations; undefined when it cannot be stated. */
function operation(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  op: Record<string, unknown>,
  t: RuleTarget,
  fail: Fail,
): Partial<AccessRule> | undefined {
  let ok = true;
  const bad = (at: string, why: string, negated = false) => {
    fail(at, why, negated);
    ok = false;
  };
  const out: Partial<AccessRule> = {};
  for (const k of ["hosts", "notHosts"]) {
    if (op[k] !== undefined)
      bad(`${p}/${k}`, `${k} (the request's Host) has no model condition: the model's rules are per destination service`, k === "notHosts");
  }
  for (const [k, negated] of [
    ["methods", false],
    ["notMethods", true],
  ] as const) {
    if (op[k] === undefined) continue;
    const l = strings(op[k]);
    if (!l?.length) {
      bad(`${p}/${k}`, `${k} must be a non-empty list`, negated);
      continue;
    }
    if (l.includes("*")) {
      if (!negated) {
        f.use(`${p}/${k}`);
        continue;
      }
      bad(`${p}/${k}`, `${k}: "*" (every method) excludes every request`, negated);
      continue;
    }
    out[k] = [...new Set(l)] as [string, ...string[]];
    f.use(`${p}/${k}`);
  }
  for (const [k, negated] of [
    ["paths", false],
    ["notPaths", true],
  ] as const) {
    if (op[k] === undefined) continue;
    const l = strings(op[k]);
    if (!l?.length) {
      bad(`${p}/${k}`, `${k} must be a non-empty list`, negated);
      continue;
    }
    const paths = modelPaths(l, (i, why, widens) => {
      // A widened path condition admits more in an allow rule (and in a deny rule's notPaths): looser, an
      // error; it only denies more in a deny rule (and in an allow rule's notPaths): a warning.
      if (!widens) return bad(`${p}/${k}/${i}`, why, negated);
      if (t.allow !== negated) {
        f.use(`${p}/${k}/${i}`);
        report(
          ii,
          o,
          `${p}/${k}/${i}`,
          "error",
          "import/looser",
          `${why}: imported so, the rule would ${t.allow ? "admit" : "exclude from the deny"} more requests`,
        );
        ok = false;
      } else
        report(
          ii,
          o,
          `${p}/${k}/${i}`,
          "warning",
          "import/unsupported-value",
          `${why}; imported so, the rule ${t.allow ? "admits fewer" : "denies more"} requests`,
        );
    });
    if (paths) out[k] = paths as [string, ...string[]];
    f.use(`${p}/${k}`);
  }
  for (const [k, negated] of [
    ["ports", false],
    ["notPorts", true],
  ] as const) {
    if (op[k] === undefined) continue;
    const l = op[k];
    const list = Array.isArray(l) ? l.map((x) => (typeof x === "number" ? String(x) : x)) : undefined;
    const ports = strings(list);
    if (!ports?.length) {
      bad(`${p}/${k}`, `${k} must be a non-empty list of ports`, negated);
      continue;
    }
    const got = servicePorts(ii, ports, t, (i, why) => bad(`${p}/${k}/${i}`, why, negated));
    if (got) out[k] = got as [number, ...number[]];
    f.use(`${p}/${k}`);
  }
  return ok ? out : undefined;
}

/**
 * Istio `paths` → model access paths (`src/api/access-path.ts`): exact `/a`, prefix `/a*`, suffix `*.png`
 * and `*` are the same; `/a` with `/a/*` is the model's `/a/*`; a lone `/a/*` (the string prefix `/a/`)
 * becomes `/a/*`, which also matches `/a` (reported through `widened`: `widens` true). Path templates
 * (`{*}`, `{**}`): reported, left out.
 */
export function modelPaths(paths: readonly string[], widened: (i: number, why: string, widens: boolean) => void): string[] {
  const out: string[] = [];
  const exact = new Set(paths.filter((x) => !x.startsWith("*") && !x.endsWith("*")));
  paths.forEach((x, i) => {
    if (/\{\*\*?\}/.test(x)) {
      widened(i, `"${x}" is an Istio path template, which the model has no equivalent for`, false);
      return;
    }
    let m = x;
    if (x !== "*" && x.endsWith("/*") && !x.startsWith("*")) {
      const dir = x.slice(0, -2);
      if (dir && !exact.has(dir)) {
        widened(
          i,
          `"${x}" is the string prefix "${dir}/"; the model's "${x}" also matches "${dir}" itself (a segment prefix), and the model cannot say "${dir}/" alone`,
          true,
        );
      }
      m = x;
    } else if (exact.has(x) && paths.includes(`${x}/*`)) return; // folded into "<x>/*"
    if (!out.includes(m)) out.push(m);
  });
  return out;
}

/** Pod ports (strings) → the Service ports that reach them; undefined when one cannot be mapped (reported). */
function servicePorts(ii: IstioImport, ports: readonly string[], t: RuleTarget, bad: (i: number, why: string) => void): number[] | undefined {
  if (t.scope !== "service") {
    bad(
      0,
      "ports in a policy without selector: the model's namespace- and mesh-wide rules name no ports (rule/scope-ports), since they apply to services whose ports differ",
    );
    return undefined;
  }
  const out: number[] = [];
  let ok = true;
  ports.forEach((x, i) => {
    const n = Number(x);
    if (!/^[0-9]+$/.test(x) || n < 1 || n > 65535) {
      bad(i, `"${x}" is not a port number`);
      ok = false;
      return;
    }
    const sp = ii.ctx.facts.servicePorts(t.namespace, t.service!, n);
    if (!sp.ports.length) {
      bad(i, `pod port ${n} is the target of no port of Service ${t.service} (ports are Service ports in the model)`);
      ok = false;
      return;
    }
    for (const s of sp.ports) if (!out.includes(s)) out.push(s);
  });
  return ok ? out.sort((a, b) => a - b) : undefined;
}

/** `when[]` → headers, notHeaders, ports, notPorts (ANDed); undefined when one cannot be stated. */
function conditions(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, when: unknown, t: RuleTarget, fail: Fail): Partial<AccessRule> | undefined {
  if (!Array.isArray(when)) {
    fail(p, "when must be a list");
    return undefined;
  }
  let ok = true;
  const out: Partial<AccessRule> = {};
  when.forEach((c, i) => {
    const cp = `${p}/${i}`;
    if (!isObject(c) || typeof c.key !== "string") {
      fail(cp, "a condition needs a key");
      ok = false;
      return;
    }
    const values = c.values !== undefined ? strings(c.values) : undefined;
    const notValues = c.notValues !== undefined ? strings(c.notValues) : undefined;
    if ((c.values !== undefined && !values?.length) || (c.notValues !== undefined && !notValues?.length) || (!values && !notValues)) {
      fail(cp, "a condition needs values or notValues (non-empty lists of strings)");
      ok = false;
      return;
    }
    const header = /^request\.headers\[(.+)\]$/.exec(c.key);
    if (header) {
      const name = header[1];
      for (const [list, key, negated] of [
        [values, "values", false],
        [notValues, "notValues", true],
      ] as const) {
        if (!list) continue;
        const wild = list.findIndex((v) => v.startsWith("*") || v.endsWith("*"));
        if (wild >= 0) {
          fail(
            `${cp}/${key}/${wild}`,
            `"${list[wild]}": Istio reads a leading or trailing * as a wildcard (prefix, suffix or presence match), and the model matches header values exactly`,
            negated,
          );
          ok = false;
          continue;
        }
        const target = negated ? (out.notHeaders ??= {}) : (out.headers ??= {});
        const prev = target[name];
        if (prev && !negated) {
          // Two conditions on one header: both must hold.
          const both = prev.filter((v) => list.includes(v));
          if (!both.length) {
            fail(cp, `header ${name} is required to have values of two disjoint lists: the rule never matches`, false);
            ok = false;
            continue;
          }
          target[name] = both as [string, ...string[]];
        } else target[name] = [...new Set([...(prev ?? []), ...list])] as [string, ...string[]];
      }
      f.use(cp);
      return;
    }
    if (c.key === "destination.port") {
      for (const [list, key, negated] of [
        [values, "ports", false],
        [notValues, "notPorts", true],
      ] as const) {
        if (!list) continue;
        const got = servicePorts(ii, list, t, (j, why) => fail(`${cp}/${negated ? "notValues" : "values"}/${j}`, why, negated));
        if (!got) {
          ok = false;
          continue;
        }
        if (key === "ports") {
          const prev = out.ports;
          const both = prev ? got.filter((x) => prev.includes(x)) : got;
          if (!both.length) {
            fail(cp, "destination.port conditions that exclude each other: the rule never matches");
            ok = false;
            continue;
          }
          out.ports = both as [number, ...number[]];
        } else out.notPorts = [...new Set([...(out.notPorts ?? []), ...got])].sort((a, b) => a - b) as [number, ...number[]];
      }
      f.use(cp);
      return;
    }
    const claim = /^request\.auth\.claims((?:\[[^[\]]+\])+)$/.exec(c.key);
    const auth = claim
      ? [...claim[1].matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1])
      : c.key === "request.auth.audiences"
        ? ["aud"]
        : c.key === "request.auth.presenter"
          ? ["azp"]
          : undefined;
    if (auth) {
      // The end user's claims: Istio's matching is the model's (string or list element; *, prefix, suffix).
      for (const [list, key] of [
        [values, "claims"],
        [notValues, "notClaims"],
      ] as const) {
        if (!list) continue;
        let tree = (out[key] ??= {}) as Record<string, unknown>;
        for (const name of auth.slice(0, -1)) tree = (tree[name] ??= {}) as Record<string, unknown>;
        const last = auth[auth.length - 1];
        if (tree[last] !== undefined) {
          fail(cp, `claim ${auth.join(".")} is conditioned twice: the model has one list of values per claim`, key === "notClaims");
          ok = false;
          continue;
        }
        tree[last] = [...new Set(list)];
      }
      f.use(cp);
      return;
    }
    if (c.key === "request.auth.principal") {
      if (values) out.requestPrincipals = [...new Set(values)] as [string, ...string[]];
      if (notValues) out.notRequestPrincipals = [...new Set(notValues)] as [string, ...string[]];
      f.use(cp);
      return;
    }
    fail(
      `${cp}/key`,
      `condition ${c.key} has no model equivalent (the model's rule conditions are request headers, destination ports and the end user's token)`,
      !!notValues && !values,
    );
    ok = false;
  });
  void escapePointerToken;
  return ok ? out : undefined;
}
