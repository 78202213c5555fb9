/**
 * VirtualService (`networking.istio.io`, istio/api `networking/v1alpha3/virtual_service.proto`) → the routes
 * of TrafficPolicies, the reverse of the adapter's translator.ts and features/*.ts:
 *
 * - `hosts[]`: each host that names a Service of the mesh (`reviews`, `reviews.ns`, `reviews.ns.svc.<domain>`)
 *   is a destination; wildcards and external hosts (ServiceEntry hosts) are not imported (warning).
 * - `gateways`: omitted or `[mesh]` (sidecars); a VirtualService bound to ingress gateways only is not
 *   imported (the model describes traffic between the mesh's services), other gateways next to `mesh` are
 *   reported.
 * - `http[]` in order (Istio takes the first match): each `HTTPRoute` → one model route per distinct
 *   request condition of its `match[]` entries (entries are ORed; the source part of an entry is the
 *   policy's `source`):
 *   - `uri` exact/prefix/regex → `match.path` (a regex unimesh wrote for a segmentPrefix, `/v2(/.*)?`, back as that); `method.exact` → `match.method`; `headers` → `match.headers`
 *     (`{}` → `present: true`); `withoutHeaders.<h>: {}` → `present: false`; `queryParams` → `match.queryParams`;
 *     `port` → the policy's `destination.port`; `sourceNamespace` → `source.namespaces`, `sourceLabels` with
 *     `sourceNamespace` → `source.workloads` (with the service accounts they stand for, for objects unimesh
 *     generated). `authority`, `scheme`, `ignoreUriCase: true`, `sourceLabels` without `sourceNamespace` and
 *     non-exact methods select requests the model cannot select: error.
 *   - `route[]` {destination {host, subset, port}, weight, headers} → `split[]` {subset (the DestinationRule's
 *     labels), port, weight, headers}: only to the VirtualService's own host (the model splits a destination
 *     across its own subsets); weights are made to sum to 100;
 *   - `redirect`, `directResponse`, `rewrite`, `timeout`, `retries`, `fault`, `mirror` (+ percentage),
 *     `headers`, `corsPolicy` → the route's fields of the same meaning; `delegate`: error.
 *   - No `retries`: Istio retries twice (`connect-failure,refused-stream,unavailable,cancelled,
 *     retriable-status-codes`, pilot `route/retry/retry.go`), written out explicitly (info
 *     `import/mesh-default`); `attempts: 0` is the model's "no retries".
 * - `tcp[]` routes → routes of declared TCP ports (MeshService `protocol: tcp`), split only.
 *
 * Objects unimesh generated are mapped back: route names `<policy>[.<route>]` name the TrafficPolicy each
 * route came from (`unimesh.io/policies`), the `unimesh-default` route is the model's implicit default
 * route, and tcp routes repeating a catch-all http route are the translation of that route.
 */
import type {
  Cors,
  FaultInjection,
  HeaderMatch,
  HeaderOps,
  Headers,
  Match,
  Mirror,
  Redirect,
  Retries,
  Rewrite,
  Route,
  Source,
  SplitTarget,
  StringMatch,
  Workload,
} from "../../../api/generated/model.js";
import { type NativeFields, type NativeObject, isObject, nativeDurationMs, percents } from "../../../api/import-contract.js";
import { escapePointerToken } from "../../../api/diagnostics.js";
import { canonicalJson } from "../../../api/model.js";
import { segmentPrefixFromRegex, segmentPrefixReplacementFromRewrite } from "../../../api/segment-prefix.js";
import type { PolicyRef } from "../../../api/ownership.js";
import { DEFAULT_ROUTE_NAME } from "../naming.js";
import { FULL_PATH_PATTERN } from "../features/rewrite.js";
import { type IstioImport, type ServiceRef, duration, report, serviceOfHost, sourcePolicies, strings } from "./context.js";
import type { HostRules } from "./destinationRule.js";

/** One model route read from a VirtualService. */
export interface ImportedRoute {
  native: NativeObject;
  /** Pointer of the http (or tcp) route in the object. */
  pointer: string;
  /** Position in the VirtualService (its http routes, then its tcp routes). */
  order: number;
  /** The callers the route applies to (undefined: every caller). */
  source?: Source;
  /** The Service port it applies to (undefined: every port). */
  port?: number;
  /** The model route (its `match`, action and settings; `name` when known). */
  route: Route;
  /** For a VirtualService unimesh generated: the TrafficPolicy the route came from. */
  from?: { policy: string; implicit: boolean };
}

/** The routes a VirtualService gives one destination. */
export interface HostRoutes {
  service: ServiceRef;
  native: NativeObject;
  routes: ImportedRoute[];
  /** True when a route catches every request to every port from every caller (no 404 "no route"). */
  catchAll: boolean;
  /** The TrafficPolicies a generated VirtualService came from. */
  generated?: PolicyRef[];
}

/** Istio's retry policy for a route without `retries` (pilot `route/retry/retry.go` `DefaultPolicy`). */
export const ISTIO_DEFAULT_RETRIES: Retries = { attempts: 2, retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled"] };

/** Retry conditions on gRPC statuses. */
const GRPC_CONDITIONS = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** Reads every VirtualService; `drs` are the DestinationRules by `namespace/service` (subset labels). */
export function virtualServices(ii: IstioImport, objects: readonly NativeObject[], drs: ReadonlyMap<string, HostRules>): HostRoutes[] {
  const out: HostRoutes[] = [];
  const seen = new Map<string, NativeObject>();
  for (const o of objects) {
    const f = ii.ctx.fields(o);
    if (!meshGateway(ii, o, f)) continue;
    const hosts = strings(f.take("/spec/hosts"));
    if (!hosts?.length) {
      report(ii, o, "/spec/hosts", "error", "import/invalid", "a VirtualService needs hosts (a list of host names)");
      continue;
    }
    const services: ServiceRef[] = [];
    hosts.forEach((h, i) => {
      const svc = serviceOfHost(ii, h, o.namespace);
      if (!svc) {
        report(
          ii,
          o,
          `/spec/hosts/${i}`,
          "warning",
          "import/unsupported-value",
          `host ${JSON.stringify(h)} is not a Service of the mesh (a wildcard or an external host, e.g. of a ServiceEntry): the model describes routes to the mesh's services only; its routes are not imported for it`,
        );
        return;
      }
      const key = `${svc.namespace}/${svc.name}`;
      const prev = seen.get(key);
      if (prev && prev !== o) {
        report(
          ii,
          o,
          `/spec/hosts/${i}`,
          "error",
          "import/conflict",
          `${prev.id} is also for host ${svc.name}.${svc.namespace}; for sidecars Istio does not merge VirtualServices of one host (it applies one of them, IST0109), so merge them into one before importing`,
        );
        return;
      }
      seen.set(key, o);
      services.push(svc);
    });
    if (!services.length) {
      f.use("/spec");
      continue;
    }
    if (f.get("/spec/exportTo") !== undefined) {
      f.use("/spec/exportTo");
      report(
        ii,
        o,
        "/spec/exportTo",
        "warning",
        "import/unsupported-field",
        "exportTo (which namespaces see this VirtualService) has no equivalent in the model: the imported routes apply to the callers of every namespace",
      );
    }
    const generated = sourcePolicies(o, "TrafficPolicy");
    for (const svc of services) {
      const hr: HostRoutes = { service: svc, native: o, routes: [], catchAll: false, ...(generated ? { generated } : {}) };
      readHttp(ii, o, f, hr, drs, services.length === 1);
      readTcp(ii, o, f, hr, drs);
      out.push(hr);
    }
  }
  return out;
}

/** False (reported, object ignored) when the VirtualService does not apply to sidecars. */
function meshGateway(ii: IstioImport, o: NativeObject, f: NativeFields): boolean {
  const gateways = f.take("/spec/gateways");
  if (gateways === undefined) return true;
  const list = strings(gateways);
  if (!list) {
    report(ii, o, "/spec/gateways", "error", "import/invalid", "gateways must be a list of gateway names");
    return false;
  }
  if (!list.length || list.includes("mesh")) {
    if (list.some((g) => g !== "mesh")) {
      report(
        ii,
        o,
        "/spec/gateways",
        "warning",
        "import/unsupported-value",
        `gateways ${list.filter((g) => g !== "mesh").join(", ")}: ingress and egress gateways are outside the model; only the routes for the mesh (sidecars) are imported`,
      );
    }
    return true;
  }
  ii.ctx.ignore(o);
  report(
    ii,
    o,
    "/spec/gateways",
    "warning",
    "import/unsupported-kind",
    `this VirtualService is bound to gateways (${list.join(", ")}) and not to the mesh's sidecars: ingress and egress gateways are outside the model, so it is not imported`,
  );
  return false;
}

// ------------------------------------------------------------------------------ http routes

/** Identifies a generated route: `<policy>.<route name or index>` or `<policy>` (an implicit route). */
function generatedRoute(name: unknown, policies: readonly PolicyRef[] | undefined): { policy: string; route?: string } | undefined {
  if (typeof name !== "string" || !policies?.length) return undefined;
  let best: string | undefined;
  for (const p of policies) {
    if ((name === p.name || name.startsWith(`${p.name}.`)) && (!best || p.name.length > best.length)) best = p.name;
  }
  if (!best) return undefined;
  return name === best ? { policy: best } : { policy: best, route: name.slice(best.length + 1) };
}

function readHttp(ii: IstioImport, o: NativeObject, f: NativeFields, hr: HostRoutes, drs: ReadonlyMap<string, HostRules>, onlyHost: boolean): void {
  const http = f.get("/spec/http");
  if (http === undefined) return;
  if (!Array.isArray(http)) {
    report(ii, o, "/spec/http", "error", "import/invalid", "http must be a list of routes");
    return;
  }
  const perPolicyIndex = new Map<string, number>();
  http.forEach((h, i) => {
    const p = `/spec/http/${i}`;
    if (!isObject(h)) {
      report(ii, o, p, "error", "import/invalid", "an http route must be a mapping");
      return;
    }
    const gen = generatedRoute(h.name, hr.generated);
    // The default route unimesh appends (the model's, added again by translation).
    if (hr.generated && h.name === DEFAULT_ROUTE_NAME && isDefaultRoute(ii, h, hr.service, o.namespace)) {
      markAll(f, p);
      hr.catchAll = true;
      return;
    }
    const entries = matchEntries(ii, o, f, p, hr, gen !== undefined);
    const body = routeBody(ii, o, f, p, h, hr, drs, onlyHost);
    if (!entries.length || !body) return;
    // Catches every request: no condition, for every port (or the service's only declared port).
    const declared = ii.ctx.facts.ports(hr.service.namespace, hr.service.name);
    const onlyPort = declared?.length === 1 ? declared[0].port : undefined;
    if (entries.some((e) => !e.match && (e.port === undefined || e.port === onlyPort) && !e.source)) hr.catchAll = true;
    // Entries with the same request conditions (port and match) are one model route with the sources
    // of all of them (any caller when one has none).
    const groups: { key: string; match?: Match; port?: number; sources: (SourceEntry | undefined)[] }[] = [];
    for (const e of entries) {
      const key = canonicalJson({ m: e.match ?? null, p: e.port ?? null });
      let g = groups.find((x) => x.key === key);
      if (!g) groups.push((g = { key, ...(e.match ? { match: e.match } : {}), ...(e.port !== undefined ? { port: e.port } : {}), sources: [] }));
      g.sources.push(e.source);
    }
    const name = typeof h.name === "string" ? h.name : undefined;
    f.use(`${p}/name`);
    groups.forEach((g, k) => {
      const route: Route = {};
      let from: ImportedRoute["from"];
      if (gen) {
        from = { policy: gen.policy, implicit: gen.route === undefined };
        const index = perPolicyIndex.get(gen.policy) ?? 0;
        perPolicyIndex.set(gen.policy, index + 1);
        if (gen.route !== undefined && gen.route !== String(index) && k === 0) route.name = gen.route;
      } else if (name !== undefined && k === 0) {
        if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) route.name = name;
        else
          report(
            ii,
            o,
            `${p}/name`,
            "info",
            "import/unsupported-value",
            `route name ${JSON.stringify(name)} is not a DNS-1123 label, which model route names are: left out (it only names the route in logs and stats)`,
          );
      }
      if (g.match) route.match = g.match;
      Object.assign(route, body);
      const source = g.sources.includes(undefined) ? undefined : modelSource(ii, g.sources as SourceEntry[], o, !!hr.generated);
      hr.routes.push({
        native: o,
        pointer: p,
        order: hr.routes.length,
        route,
        ...(source ? { source } : {}),
        ...(g.port !== undefined ? { port: g.port } : {}),
        ...(from ? { from } : {}),
      });
    });
  });
}

/** Marks a field and everything below it as read. */
function markAll(f: NativeFields, p: string): void {
  f.use(p);
}

/** The default route unimesh appends: no match, the whole host, `retries: {attempts: 0}`, nothing else. */
function isDefaultRoute(ii: IstioImport, h: Record<string, unknown>, svc: ServiceRef, ns: string): boolean {
  const keys = Object.keys(h).sort().join(",");
  if (keys !== "name,retries,route" || !Array.isArray(h.route) || h.route.length !== 1) return false;
  const d = h.route[0] as Record<string, unknown>;
  if (!isObject(d) || Object.keys(d).join(",") !== "destination" || !isObject(d.destination) || Object.keys(d.destination).join(",") !== "host") return false;
  const target = serviceOfHost(ii, d.destination.host, ns);
  return !!target && target.name === svc.name && target.namespace === svc.namespace && canonicalJson(h.retries) === canonicalJson({ attempts: 0 });
}

/** The source part of one match entry. */
interface SourceEntry {
  namespace: string;
  labels?: Record<string, string>;
}

/** One match entry, read. */
interface Entry {
  match?: Match;
  port?: number;
  source?: SourceEntry;
}

/** The match entries of a route (`[{}]` without `match`); entries that cannot be read are reported and left out. */
function matchEntries(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, hr: HostRoutes, generated: boolean): Entry[] {
  const list = f.get(`${p}/match`);
  if (list === undefined) return [{}];
  if (!Array.isArray(list) || !list.length) {
    if (Array.isArray(list)) {
      f.use(`${p}/match`);
      return [{}];
    }
    report(ii, o, `${p}/match`, "error", "import/invalid", "match must be a list of conditions");
    return [];
  }
  const out: Entry[] = [];
  list.forEach((m, j) => {
    const mp = `${p}/match/${j}`;
    if (!isObject(m)) {
      report(ii, o, mp, "error", "import/invalid", "a match entry must be a mapping");
      return;
    }
    const e = matchEntry(ii, o, f, mp, m, hr);
    if (e) out.push(e);
  });
  void generated;
  return out;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);

function matchEntry(ii: IstioImport, o: NativeObject, f: NativeFields, mp: string, m: Record<string, unknown>, hr: HostRoutes): Entry | undefined {
  let ok = true;
  const bad = (field: string, why: string) => {
    f.use(`${mp}/${field}`);
    report(ii, o, `${mp}/${field}`, "error", "import/unsupported-value", why);
    ok = false;
  };
  const match: Match = {};
  const gateways = strings(f.take(`${mp}/gateways`));
  if (gateways && gateways.length && !gateways.includes("mesh")) {
    report(
      ii,
      o,
      `${mp}/gateways`,
      "warning",
      "import/unsupported-value",
      `this match entry applies to gateways (${gateways.join(", ")}) only, not to the mesh's sidecars: not imported`,
    );
    f.use(mp);
    return undefined;
  }
  if (m.uri !== undefined) {
    const s = stringMatch(m.uri);
    // The regex unimesh writes for a segmentPrefix (`/v2(/.*)?`) is read back as one.
    const segment = s?.regex !== undefined ? segmentPrefixFromRegex(s.regex) : undefined;
    if (s) {
      match.path = segment !== undefined ? { segmentPrefix: segment } : s;
      f.use(`${mp}/uri`);
    } else bad("uri", "uri must have exactly one of exact, prefix, regex");
  }
  if (m.method !== undefined) {
    const s = stringMatch(m.method);
    if (s?.exact !== undefined && METHODS.has(s.exact)) {
      match.method = s.exact as Match["method"];
      f.use(`${mp}/method`);
    } else
      bad(
        "method",
        `method ${JSON.stringify(m.method)}: the model matches one standard method exactly (${[...METHODS].join(", ")}); a prefix, regex or extension method would select other requests`,
      );
  }
  for (const key of ["headers", "withoutHeaders"] as const) {
    const hs = m[key];
    if (hs === undefined) continue;
    if (!isObject(hs)) {
      bad(key, `${key} must be a mapping of header names to string matches`);
      continue;
    }
    for (const [name, v] of Object.entries(hs)) {
      const hp = `${mp}/${key}/${escapePointerToken(name)}`;
      const lower = name.toLowerCase();
      if ((match.headers ??= {})[lower] !== undefined) {
        bad(`${key}/${escapePointerToken(name)}`, `header ${name} is matched twice (names are case-insensitive)`);
        continue;
      }
      let hm: HeaderMatch | undefined;
      if (isObject(v) && Object.keys(v).length === 0) hm = { present: key === "headers" };
      else if (key === "headers") {
        const s = stringMatch(v);
        if (s) hm = s;
      }
      if (!hm) {
        bad(
          `${key}/${escapePointerToken(name)}`,
          key === "withoutHeaders"
            ? `withoutHeaders.${name} with a value (the header is absent OR has another value) has no model equivalent; only withoutHeaders.${name}: {} (absent) has`
            : `headers.${name} must have exactly one of exact, prefix, regex, or be {} (present)`,
        );
        continue;
      }
      match.headers[lower] = hm;
      f.use(hp);
    }
    if (match.headers && !Object.keys(match.headers).length) delete match.headers;
  }
  if (m.queryParams !== undefined) {
    if (!isObject(m.queryParams)) bad("queryParams", "queryParams must be a mapping of parameter names to string matches");
    else {
      for (const [name, v] of Object.entries(m.queryParams)) {
        const s = stringMatch(v);
        if (!s) {
          bad(
            `queryParams/${escapePointerToken(name)}`,
            `queryParams.${name} must have exactly one of exact, prefix, regex (the model has no presence match for query parameters)`,
          );
          continue;
        }
        (match.queryParams ??= {})[name] = s;
        f.use(`${mp}/queryParams/${escapePointerToken(name)}`);
      }
    }
  }
  for (const k of ["authority", "scheme"] as const) {
    if (m[k] !== undefined) bad(k, `${k}: the model has no ${k} condition, so the route would also select requests with another ${k}`);
  }
  if (m.ignoreUriCase !== undefined) {
    if (m.ignoreUriCase === true) bad("ignoreUriCase", "ignoreUriCase: model path matches are case-sensitive, so the route would select fewer requests");
    else f.use(`${mp}/ignoreUriCase`);
  }
  let port: number | undefined;
  if (m.port !== undefined) {
    if (typeof m.port === "number" && Number.isInteger(m.port) && m.port >= 1 && m.port <= 65535) {
      port = m.port;
      f.use(`${mp}/port`);
    } else bad("port", "port must be a port number");
  }
  let source: SourceEntry | undefined;
  const labels = m.sourceLabels;
  const ns = m.sourceNamespace;
  if (labels !== undefined || ns !== undefined) {
    if (ns !== undefined && typeof ns !== "string") bad("sourceNamespace", "sourceNamespace must be a namespace name");
    else if (labels !== undefined && (!isObject(labels) || !Object.values(labels).every((x) => typeof x === "string") || !Object.keys(labels).length))
      bad("sourceLabels", "sourceLabels must be a non-empty map of labels");
    else if (labels !== undefined && ns === undefined) {
      bad(
        "sourceLabels",
        "sourceLabels without sourceNamespace selects the pods with these labels in EVERY namespace, and a model workload is in one namespace (the policy's by default); add sourceNamespace",
      );
    } else {
      source = { namespace: ns as string, ...(labels ? { labels: labels as Record<string, string> } : {}) };
      f.use(`${mp}/sourceLabels`, `${mp}/sourceNamespace`);
    }
  }
  for (const k of ["name", "statPrefix"] as const) {
    if (m[k] === undefined) continue;
    f.use(`${mp}/${k}`);
    if (!hr.generated) report(ii, o, `${mp}/${k}`, "info", "import/unsupported-field", `match ${k} only labels the match in logs and stats: not kept`);
  }
  if (!ok) return undefined;
  return { ...(Object.keys(match).length ? { match } : {}), ...(port !== undefined ? { port } : {}), ...(source ? { source } : {}) };
}

/** `{exact|prefix|regex: string}` (exactly one), else undefined. */
function stringMatch(v: unknown): StringMatch | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1 || !["exact", "prefix", "regex"].includes(keys[0]) || typeof v[keys[0]] !== "string") return undefined;
  return { [keys[0]]: v[keys[0]] } as StringMatch;
}

/**
 * A TrafficPolicy source for the source parts of match entries: `sourceNamespace` alone → `namespaces`,
 * with `sourceLabels` → `workloads`; for a generated object, the label sets that are exactly the workloads
 * of a service account (the MeshServices given, else the convention `app: <sa>`) → `serviceAccounts`.
 */
function modelSource(ii: IstioImport, entries: readonly SourceEntry[], o: NativeObject, generated: boolean): Source {
  const namespaces: string[] = [];
  let workloads: Workload[] = [];
  for (const e of entries) {
    if (!e.labels) {
      if (!namespaces.includes(e.namespace)) namespaces.push(e.namespace);
      continue;
    }
    const w: Workload = { labels: e.labels, ...(e.namespace !== o.namespace ? { namespace: e.namespace } : {}) };
    if (!workloads.some((x) => canonicalJson(x) === canonicalJson(w))) workloads.push(w);
  }
  const serviceAccounts: string[] = [];
  if (generated) {
    for (const w of [...workloads]) {
      const ns = w.namespace ?? o.namespace;
      const svc = ii.ctx.facts.serviceBySelector(ns, w.labels);
      if (!svc) continue;
      const sa = ii.ctx.facts.serviceAccount(ns, svc);
      const all = ii.ctx.facts.workloadsOf(ns, sa).map((l) => canonicalJson(l));
      const have = workloads.filter((x) => (x.namespace ?? o.namespace) === ns).map((x) => canonicalJson(x.labels));
      if (!all.every((k) => have.includes(k))) continue;
      workloads = workloads.filter((x) => (x.namespace ?? o.namespace) !== ns || !all.includes(canonicalJson(x.labels)));
      const name = ns === o.namespace ? sa : `${ns}/${sa}`;
      if (!serviceAccounts.includes(name)) serviceAccounts.push(name);
    }
  }
  return {
    ...(serviceAccounts.length ? { serviceAccounts: serviceAccounts as [string, ...string[]] } : {}),
    ...(namespaces.length ? { namespaces: namespaces as [string, ...string[]] } : {}),
    ...(workloads.length ? { workloads: workloads as [Workload, ...Workload[]] } : {}),
  };
}

// ------------------------------------------------------------------------------ route body

/** A route's action and settings (everything but `match` and `name`); undefined when it cannot be imported (reported). */
function routeBody(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  h: Record<string, unknown>,
  hr: HostRoutes,
  drs: ReadonlyMap<string, HostRules>,
  onlyHost: boolean,
): Omit<Route, "match" | "name"> | undefined {
  const out: Omit<Route, "match" | "name"> = {};
  let ok = true;
  const actions = ["route", "redirect", "directResponse", "delegate"].filter((k) => h[k] !== undefined);
  if (h.delegate !== undefined) {
    f.use(`${p}/delegate`);
    report(
      ii,
      o,
      `${p}/delegate`,
      "error",
      "import/unsupported-value",
      "delegate (routes in another VirtualService) has no model equivalent; inline the delegate's routes",
    );
    return undefined;
  }
  if (actions.length !== 1) {
    report(ii, o, p, "error", "import/invalid", "an http route needs exactly one of route, redirect, directResponse");
    f.use(p);
    return undefined;
  }
  if (h.route !== undefined) {
    const split = splitTargets(ii, o, f, `${p}/route`, h.route, hr, drs, onlyHost);
    if (!split) ok = false;
    else if (split.length > 1 || Object.keys(split[0]).length) out.split = split as [SplitTarget, ...SplitTarget[]];
  } else if (h.redirect !== undefined) {
    const r = redirect(ii, o, f, `${p}/redirect`, h.redirect);
    if (r) out.redirect = r;
    else ok = false;
  } else {
    const d = h.directResponse;
    const dp = `${p}/directResponse`;
    f.use(`${dp}/status`);
    if (!isObject(d) || typeof d.status !== "number" || !Number.isInteger(d.status)) {
      report(ii, o, dp, "error", "import/invalid", "directResponse needs a status");
      ok = false;
    } else {
      out.directResponse = { status: d.status };
      if (d.body !== undefined) {
        const body = isObject(d.body) ? d.body : {};
        if (typeof body.string === "string") {
          out.directResponse.body = body.string;
          f.use(`${dp}/body/string`);
        } else if (typeof body.bytes === "string") {
          const text = Buffer.from(body.bytes, "base64").toString("utf8");
          if (Buffer.from(text, "utf8").toString("base64").replace(/=+$/, "") === body.bytes.replace(/=+$/, "")) {
            out.directResponse.body = text;
            f.use(`${dp}/body/bytes`);
          } else report(ii, o, `${dp}/body/bytes`, "error", "import/unsupported-value", "body.bytes is not UTF-8 text, and a model body is text");
        }
      }
    }
  }
  const forwards = h.route !== undefined;
  if (h.rewrite !== undefined) {
    const rw = rewrite(ii, o, f, `${p}/rewrite`, h);
    if (rw) out.rewrite = rw;
    else ok = false;
  }
  if (forwards) {
    if (h.timeout !== undefined) {
      const t = nativeDurationMs(h.timeout);
      if (t && t.ms > 0 && h.timeout !== "0s") {
        const d = duration(ii, o, f, `${p}/timeout`);
        if (d) out.timeout = d;
      } else if (typeof h.timeout === "string" && /^0+(\.0*)?[a-zµ]*$/.test(h.timeout))
        f.use(`${p}/timeout`); // 0s: no timeout, the model's default
      else duration(ii, o, f, `${p}/timeout`);
    }
    const retries = readRetries(ii, o, f, `${p}/retries`, h.retries, grpcPorts(ii, hr, h));
    if (retries === null) ok = false;
    else if (retries) out.retries = retries;
  } else {
    for (const k of ["timeout", "retries", "mirror", "mirrors", "mirrorPercentage", "mirrorPercent", "mirror_percent"]) {
      if (h[k] === undefined) continue;
      f.use(`${p}/${k}`);
      if (k === "retries" && isObject(h.retries) && !h.retries.attempts) continue; // no retries, as the model means
      report(
        ii,
        o,
        `${p}/${k}`,
        "info",
        "import/unsupported-field",
        `${k} on a route that answers itself (redirect or directResponse) has no effect in Istio: not imported`,
      );
    }
  }
  if (h.fault !== undefined) {
    const fi = fault(ii, o, f, `${p}/fault`, h.fault);
    if (fi) out.faultInjection = fi;
  }
  if (forwards) {
    const m = mirror(ii, o, f, p, h, hr, drs);
    if (m === null) ok = false;
    else if (m) out.mirror = m;
  }
  if (h.headers !== undefined) {
    const hd = headers(ii, o, f, `${p}/headers`, h.headers);
    if (hd) out.headers = hd;
    else ok = false;
  }
  if (h.corsPolicy !== undefined) {
    const c = cors(ii, o, f, `${p}/corsPolicy`, h.corsPolicy);
    if (c) out.cors = c;
  }
  return ok ? out : undefined;
}

/**
 * `route[]` → split targets (`{}` for the whole destination); undefined when a target cannot be imported.
 * Weights: Istio's are relative (`HTTPRouteDestination.weight`), the model's are percents summing to 100.
 */
function splitTargets(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  route: unknown,
  hr: HostRoutes,
  drs: ReadonlyMap<string, HostRules>,
  onlyHost: boolean,
  tcp = false,
): SplitTarget[] | undefined {
  if (!Array.isArray(route) || !route.length) {
    report(ii, o, p, "error", "import/invalid", "route must be a non-empty list of destinations");
    f.use(p);
    return undefined;
  }
  const out: SplitTarget[] = [];
  const weights: number[] = [];
  let ok = true;
  route.forEach((d, k) => {
    const dp = `${p}/${k}`;
    if (!isObject(d) || !isObject(d.destination)) {
      report(ii, o, dp, "error", "import/invalid", "a route destination needs destination.host");
      ok = false;
      return;
    }
    const target = destination(ii, o, f, `${dp}/destination`, d.destination, hr, drs, onlyHost);
    if (!target) {
      ok = false;
      return;
    }
    const w = f.take(`${dp}/weight`);
    weights.push(typeof w === "number" ? w : w === undefined ? (route.length === 1 ? 100 : 0) : NaN);
    if (!tcp && d.headers !== undefined) {
      const hd = headers(ii, o, f, `${dp}/headers`, d.headers);
      if (hd) target.headers = hd;
      else ok = false;
    }
    out.push(target);
  });
  if (!ok) return undefined;
  if (out.length === 1) return out;
  if (weights.some((w) => !Number.isInteger(w) || w < 0)) {
    report(ii, o, p, "error", "import/invalid", "route weights must be non-negative integers");
    return undefined;
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) {
    report(ii, o, p, "error", "import/invalid", "the route weights sum to 0: Istio sends no request anywhere");
    return undefined;
  }
  const scaled = percents(weights);
  if (total !== 100) {
    const exact = weights.every((w) => (w * 100) % total === 0);
    report(
      ii,
      o,
      p,
      exact ? "info" : "warning",
      "import/unsupported-value",
      `Istio route weights are relative (${weights.join(", ")} of ${total}); the model's are percents summing to 100: ${scaled.join(", ")}${exact ? "" : " (rounded)"}`,
    );
  }
  out.forEach((t, k) => {
    t.weight = scaled[k];
  });
  return out;
}

/** One `Destination` {host, subset, port} of the VirtualService's own host → a split target. */
function destination(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  dp: string,
  d: Record<string, unknown>,
  hr: HostRoutes,
  drs: ReadonlyMap<string, HostRules>,
  onlyHost: boolean,
): SplitTarget | undefined {
  f.use(`${dp}/host`);
  const svc = serviceOfHost(ii, d.host, o.namespace);
  // Another Service of the destination's namespace, whole: a split target `service` (not with a subset).
  const other = !!svc && svc.namespace === hr.service.namespace && svc.name !== hr.service.name && d.subset === undefined;
  if (!svc || (!other && (svc.name !== hr.service.name || svc.namespace !== hr.service.namespace))) {
    report(
      ii,
      o,
      `${dp}/host`,
      "error",
      "import/unsupported-value",
      `this route sends requests for ${hr.service.name}.${hr.service.namespace} to ${JSON.stringify(d.host)}${d.subset !== undefined ? ` (subset ${JSON.stringify(d.subset)})` : ""}: a model route splits a destination's requests across its own subsets and other whole Services of its namespace only${onlyHost ? "" : " (this VirtualService has several hosts)"}; give ${JSON.stringify(d.host)} its own routes, or route to a subset of ${hr.service.name}`,
    );
    return undefined;
  }
  const t: SplitTarget = {};
  if (other) t.service = svc.name;
  if (d.subset !== undefined) {
    f.use(`${dp}/subset`);
    const labels = subsetLabels(ii, o, `${dp}/subset`, d.subset, svc, drs);
    if (!labels) return undefined;
    t.subset = labels;
  }
  if (d.port !== undefined) {
    const n = isObject(d.port) ? d.port.number : undefined;
    if (typeof n === "number" && Number.isInteger(n)) {
      t.port = n;
      f.use(`${dp}/port/number`);
    }
  }
  return t;
}

/** The pod labels of a DestinationRule subset; undefined (reported) when no DestinationRule defines it. */
function subsetLabels(
  ii: IstioImport,
  o: NativeObject,
  p: string,
  name: unknown,
  svc: ServiceRef,
  drs: ReadonlyMap<string, HostRules>,
): Record<string, string> | undefined {
  const dr = drs.get(`${svc.namespace}/${svc.name}`);
  const labels = typeof name === "string" ? dr?.subsets.get(name) : undefined;
  if (labels) {
    dr!.used.add(name as string);
    return labels;
  }
  report(
    ii,
    o,
    p,
    "error",
    "import/unresolved",
    `subset ${JSON.stringify(name)} of ${svc.name}.${svc.namespace} is not defined by any DestinationRule among the inputs${dr ? ` (${dr.native.id} defines ${[...dr.subsets.keys()].join(", ") || "none"})` : ""}: Istio answers 503 for it; give the DestinationRule with the inputs`,
  );
  return undefined;
}

function redirect(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, v: unknown): Redirect | undefined {
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "redirect must be a mapping");
    return undefined;
  }
  const r: Redirect = {};
  if (typeof v.uri === "string") {
    r.path = v.uri;
    f.use(`${p}/uri`);
  }
  if (typeof v.authority === "string") {
    r.authority = v.authority;
    f.use(`${p}/authority`);
  }
  if (v.scheme === "http" || v.scheme === "https") {
    r.scheme = v.scheme;
    f.use(`${p}/scheme`);
  }
  if (typeof v.port === "number") {
    r.port = v.port;
    f.use(`${p}/port`);
  }
  const code = v.redirectCode ?? 301;
  if ([301, 302, 303, 307, 308].includes(code as number)) {
    f.use(`${p}/redirectCode`);
    if (code !== 301) r.statusCode = code as Redirect["statusCode"];
  } else {
    f.use(`${p}/redirectCode`);
    report(
      ii,
      o,
      `${p}/redirectCode`,
      "error",
      "import/unsupported-value",
      `redirectCode ${JSON.stringify(code)}: the model redirects with 301, 302, 303, 307 or 308`,
    );
    return undefined;
  }
  if (v.derivePort !== undefined) {
    f.use(`${p}/derivePort`);
    report(ii, o, `${p}/derivePort`, "error", "import/unsupported-value", "derivePort (the port of the request's scheme) has no model equivalent; set port");
    return undefined;
  }
  return r;
}

/**
 * True when the route may carry gRPC: a port it matches (or, without one, any port of the service) is
 * declared grpc or http2, or the service's protocols are not known.
 */
function grpcPorts(ii: IstioImport, hr: HostRoutes, h: Record<string, unknown>): boolean {
  const declared = ii.ctx.facts.ports(hr.service.namespace, hr.service.name);
  if (!declared) return true;
  const matched = Array.isArray(h.match) ? h.match.map((m) => (isObject(m) && typeof m.port === "number" ? m.port : undefined)) : [undefined];
  const ports = matched.includes(undefined) ? declared : declared.filter((d) => matched.includes(d.port));
  return ports.some((d) => d.protocol === "grpc" || d.protocol === "http2");
}

/** `rewrite` {uri, uriRegexRewrite, authority}; `uri` needs the route's prefix match (Envoy prefix_rewrite). */
function rewrite(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, h: Record<string, unknown>): Rewrite | undefined {
  const v = h.rewrite;
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "rewrite must be a mapping");
    return undefined;
  }
  const r: Rewrite = {};
  if (typeof v.authority === "string") {
    r.authority = v.authority;
    f.use(`${p}/authority`);
  }
  if (typeof v.uri === "string") {
    f.use(`${p}/uri`);
    const matches = Array.isArray(h.match) && h.match.length ? h.match : [{}];
    const prefixOnly = matches.every((m) => isObject(m) && isObject(m.uri) && typeof m.uri.prefix === "string");
    if (!prefixOnly) {
      report(
        ii,
        o,
        `${p}/uri`,
        "error",
        "import/unsupported-value",
        "rewrite.uri replaces the part of the path a uri.prefix match matched (Envoy prefix_rewrite); the model's replacePrefixMatch needs a prefix match on every match entry of the route",
      );
      return undefined;
    }
    r.path = { replacePrefixMatch: v.uri };
  }
  if (v.uriRegexRewrite !== undefined) {
    f.use(`${p}/uriRegexRewrite`);
    const x = v.uriRegexRewrite;
    // After segmentPrefix matches (all with one prefix), the rewrite unimesh writes for replacePrefixMatch.
    const matches = Array.isArray(h.match) && h.match.length ? h.match : [{}];
    const prefixes = new Set(
      matches.map((m) => (isObject(m) && isObject(m.uri) && typeof m.uri.regex === "string" ? segmentPrefixFromRegex(m.uri.regex) : undefined)),
    );
    const [prefix] = prefixes;
    const replacement =
      prefixes.size === 1 && prefix !== undefined && isObject(x) && !r.path
        ? segmentPrefixReplacementFromRewrite(prefix, x as { match: unknown; rewrite: unknown })
        : undefined;
    if (replacement !== undefined) {
      r.path = { replacePrefixMatch: replacement };
      return r;
    }
    if (!isObject(x) || x.match !== FULL_PATH_PATTERN || typeof x.rewrite !== "string" || /\\[0-9]/.test(x.rewrite.replace(/\\\\/g, ""))) {
      report(
        ii,
        o,
        `${p}/uriRegexRewrite`,
        "error",
        "import/unsupported-value",
        `uriRegexRewrite: the model rewrites a path prefix or the whole path (uriRegexRewrite {match: "${FULL_PATH_PATTERN}", rewrite: <path>}), not by a regular expression with capture groups`,
      );
      return undefined;
    }
    if (r.path) {
      report(ii, o, `${p}/uriRegexRewrite`, "error", "import/invalid", "uri and uriRegexRewrite together");
      return undefined;
    }
    r.path = { replaceFullPath: x.rewrite.replace(/\\\\/g, "\\") };
  }
  return r;
}

/**
 * `retries` → the model's retries; `undefined` for `attempts: 0` (no retries); Istio's default retries when
 * unset (info); `null` when they cannot be imported (reported).
 */
function readRetries(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, v: unknown, grpc: boolean): Retries | undefined | null {
  if (v === undefined) {
    // unavailable and cancelled are gRPC statuses (grpc-status): they never occur on plain HTTP.
    const on = ISTIO_DEFAULT_RETRIES.retryOn!.filter((c) => grpc || !GRPC_CONDITIONS.has(c));
    const what = `Istio retries a route without retries ${ISTIO_DEFAULT_RETRIES.attempts} times on ${ISTIO_DEFAULT_RETRIES.retryOn!.join(", ")} (its default; pilot route/retry/retry.go)`;
    if (ii.ctx.meshDefaults === "omit") {
      report(
        ii,
        o,
        p.replace(/\/retries$/, ""),
        "warning",
        "import/mesh-default",
        `${what}; imported without retries (--mesh-defaults omit): this route no longer retries`,
      );
      return undefined;
    }
    report(
      ii,
      o,
      p.replace(/\/retries$/, ""),
      "info",
      "import/mesh-default",
      `${what}: written out as the route's retries${grpc ? "" : " (without unavailable and cancelled, gRPC statuses that plain HTTP responses never carry)"}, since the model's omitted retries mean none; --mesh-defaults omit leaves them out`,
    );
    return { attempts: ISTIO_DEFAULT_RETRIES.attempts, retryOn: on as [string, ...string[]] };
  }
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "retries must be a mapping");
    return null;
  }
  const attempts = f.take(`${p}/attempts`) ?? 0;
  if (typeof attempts !== "number" || !Number.isInteger(attempts) || attempts < 0) {
    report(ii, o, `${p}/attempts`, "error", "import/invalid", "attempts must be a non-negative integer");
    return null;
  }
  if (attempts === 0) {
    f.use(p); // Istio ignores the rest (ConvertPolicy returns no policy)
    return undefined;
  }
  if (attempts > 10) {
    report(ii, o, `${p}/attempts`, "error", "import/unsupported-value", `attempts ${attempts}: the model allows at most 10 retries`);
    return null;
  }
  const r: Retries = { attempts };
  const per = duration(ii, o, f, `${p}/perTryTimeout`);
  if (per) r.perTryTimeout = per;
  const backoff = duration(ii, o, f, `${p}/backoff`);
  if (backoff) r.backoff = backoff;
  const on = f.take(`${p}/retryOn`);
  const tokens =
    typeof on === "string"
      ? on
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean)
      : [...ISTIO_DEFAULT_RETRIES.retryOn!];
  const known =
    /^(5xx|gateway-error|reset|connect-failure|refused-stream|retriable-4xx|retriable-status-codes|cancelled|deadline-exceeded|internal|resource-exhausted|unavailable|[1-5][0-9][0-9])$/;
  const kept = [...new Set(tokens.filter((t) => known.test(t)))];
  const dropped = tokens.filter((t) => !known.test(t));
  if (dropped.length) {
    report(
      ii,
      o,
      `${p}/retryOn`,
      "warning",
      "import/unsupported-value",
      `retryOn ${dropped.join(", ")}: not among the model's retry conditions, so the imported route does not retry on ${dropped.length === 1 ? "it" : "them"}`,
    );
  }
  if (on === undefined) {
    report(ii, o, `${p}/retryOn`, "info", "import/mesh-default", `no retryOn: Istio retries on its default conditions, written out: ${kept.join(", ")}`);
  }
  if (!kept.length) {
    report(ii, o, `${p}/retryOn`, "error", "import/unsupported-value", "no retry condition the model knows is left");
    return null;
  }
  r.retryOn = kept as [string, ...string[]];
  return r;
}

function percentOf(f: NativeFields, p: string, v: Record<string, unknown>): number | undefined {
  if (isObject(v.percentage) && typeof v.percentage.value === "number") {
    f.use(`${p}/percentage`);
    return v.percentage.value;
  }
  if (typeof v.percent === "number") {
    f.use(`${p}/percent`);
    return v.percent;
  }
  return undefined;
}

/** `fault` {delay {fixedDelay, percentage}, abort {httpStatus|grpcStatus, percentage}}. */
function fault(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, v: unknown): FaultInjection | undefined {
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "fault must be a mapping");
    return undefined;
  }
  const out: FaultInjection = {};
  const unset = (what: string, at: string) =>
    report(
      ii,
      o,
      at,
      "warning",
      "import/unsupported-value",
      `${what} without percentage: Istio injects it into no request (pilot TranslateFault: 0%), written as percent: 0`,
    );
  if (isObject(v.delay)) {
    const dp = `${p}/delay`;
    const fixed = duration(ii, o, f, `${dp}/fixedDelay`);
    if (fixed) {
      let percent = percentOf(f, dp, v.delay);
      if (percent === undefined) {
        unset("delay", dp);
        percent = 0;
      }
      out.delay = { fixedDelay: fixed, ...(percent !== 100 ? { percent } : {}) };
    }
  }
  if (isObject(v.abort)) {
    const ap = `${p}/abort`;
    const a = v.abort;
    let percent = percentOf(f, ap, a);
    if (typeof a.httpStatus === "number" || typeof a.grpcStatus === "string") {
      if (percent === undefined) {
        unset("abort", ap);
        percent = 0;
      }
      const status =
        typeof a.httpStatus === "number" ? { httpStatus: a.httpStatus } : { grpcStatus: a.grpcStatus as NonNullable<FaultInjection["abort"]>["grpcStatus"] };
      f.use(`${ap}/httpStatus`, `${ap}/grpcStatus`);
      out.abort = { ...status, ...(percent !== 100 ? { percent } : {}) };
    }
  }
  return out.delay || out.abort ? out : undefined;
}

/**
 * `mirror` (+ `mirrorPercentage`, `mirrorPercent`, `mirror_percent`) or a one-entry `mirrors[]`; undefined
 * when none, `null` when it cannot be imported (reported).
 */
function mirror(
  ii: IstioImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  h: Record<string, unknown>,
  hr: HostRoutes,
  drs: ReadonlyMap<string, HostRules>,
): Mirror | undefined | null {
  let dest: unknown;
  let dp: string;
  let percent: number | undefined;
  if (h.mirrors !== undefined) {
    if (!Array.isArray(h.mirrors) || h.mirrors.length !== 1 || h.mirror !== undefined) {
      f.use(`${p}/mirrors`);
      report(ii, o, `${p}/mirrors`, "warning", "import/unsupported-value", "the model mirrors to one destination per route: these mirrors are not imported");
      return undefined;
    }
    const m = h.mirrors[0] as Record<string, unknown>;
    dest = m?.destination;
    dp = `${p}/mirrors/0/destination`;
    if (isObject(m?.percentage) && typeof m.percentage.value === "number") {
      percent = m.percentage.value;
      f.use(`${p}/mirrors/0/percentage`);
    }
  } else if (h.mirror !== undefined) {
    dest = h.mirror;
    dp = `${p}/mirror`;
    if (isObject(h.mirrorPercentage) && typeof h.mirrorPercentage.value === "number") {
      percent = h.mirrorPercentage.value;
      f.use(`${p}/mirrorPercentage`);
    } else
      for (const k of ["mirrorPercent", "mirror_percent"])
        if (typeof h[k] === "number") {
          percent = h[k] as number;
          f.use(`${p}/${k}`);
        }
  } else return undefined;
  if (!isObject(dest) || typeof dest.host !== "string") {
    report(ii, o, dp, "error", "import/invalid", "a mirror needs a destination host");
    return null;
  }
  f.use(`${dp}/host`);
  const svc = serviceOfHost(ii, dest.host, o.namespace);
  if (!svc) {
    report(ii, o, `${dp}/host`, "warning", "import/unsupported-value", `mirror host ${dest.host} is not a Service of the mesh: the mirror is not imported`);
    return undefined;
  }
  const m: Mirror = {};
  if (svc.name !== hr.service.name || svc.namespace !== hr.service.namespace) {
    m.service = svc.name;
    if (svc.namespace !== hr.service.namespace) m.namespace = svc.namespace;
  }
  if (dest.subset !== undefined) {
    f.use(`${dp}/subset`);
    const labels = subsetLabels(ii, o, `${dp}/subset`, dest.subset, svc, drs);
    if (!labels) return null;
    m.subset = labels;
  }
  if (isObject(dest.port) && typeof dest.port.number === "number") {
    m.port = dest.port.number;
    f.use(`${dp}/port/number`);
  }
  if (percent !== undefined && percent !== 100) m.percent = percent;
  return m;
}

/** `headers` {request, response} {set, add, remove} → the same shape. */
function headers(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, v: unknown): Headers | undefined {
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "headers must be a mapping");
    return undefined;
  }
  const out: Headers = {};
  for (const side of ["request", "response"] as const) {
    const ops = v[side];
    if (ops === undefined) continue;
    if (!isObject(ops)) {
      report(ii, o, `${p}/${side}`, "error", "import/invalid", `headers.${side} must be a mapping`);
      return undefined;
    }
    const h: HeaderOps = {};
    for (const op of ["set", "add"] as const) {
      const m = ops[op];
      if (m === undefined) continue;
      if (!isObject(m) || !Object.values(m).every((x) => typeof x === "string")) {
        report(ii, o, `${p}/${side}/${op}`, "error", "import/invalid", `headers.${side}.${op} must map header names to strings`);
        return undefined;
      }
      if (Object.keys(m).length) h[op] = { ...(m as Record<string, string>) };
      f.use(`${p}/${side}/${op}`);
    }
    if (ops.remove !== undefined) {
      const r = strings(ops.remove);
      if (!r) {
        report(ii, o, `${p}/${side}/remove`, "error", "import/invalid", `headers.${side}.remove must be a list of header names`);
        return undefined;
      }
      if (r.length) h.remove = [...new Set(r)] as [string, ...string[]];
      f.use(`${p}/${side}/remove`);
    }
    if (Object.keys(h).length) out[side] = h;
  }
  return out.request || out.response ? out : undefined;
}

/** `corsPolicy` → `cors`. */
function cors(ii: IstioImport, o: NativeObject, f: NativeFields, p: string, v: unknown): Cors | undefined {
  if (!isObject(v)) {
    report(ii, o, p, "error", "import/invalid", "corsPolicy must be a mapping");
    return undefined;
  }
  const origins: StringMatch[] = [];
  if (Array.isArray(v.allowOrigins)) {
    v.allowOrigins.forEach((x, i) => {
      const s = stringMatch(x);
      if (s) {
        origins.push(s);
        f.use(`${p}/allowOrigins/${i}`);
      }
    });
  }
  const legacy = strings(v.allowOrigin);
  if (legacy) {
    for (const x of legacy) origins.push(x === "*" ? { regex: ".*" } : { exact: x });
    f.use(`${p}/allowOrigin`);
  }
  if (!origins.length) {
    report(ii, o, p, "warning", "import/unsupported-value", "a CORS policy without allowed origins allows no cross-origin request: not imported");
    f.use(p);
    return undefined;
  }
  const c: Cors = { allowOrigins: origins as [StringMatch, ...StringMatch[]] };
  for (const k of ["allowMethods", "allowHeaders", "exposeHeaders"] as const) {
    const l = strings(v[k]);
    if (l?.length) {
      c[k] = [...new Set(l)] as [string, ...string[]];
      f.use(`${p}/${k}`);
    }
  }
  const age = duration(ii, o, f, `${p}/maxAge`);
  if (age) c.maxAge = age;
  if (typeof v.allowCredentials === "boolean") {
    c.allowCredentials = v.allowCredentials;
    f.use(`${p}/allowCredentials`);
  }
  return c;
}

// ------------------------------------------------------------------------------ tcp routes

function readTcp(ii: IstioImport, o: NativeObject, f: NativeFields, hr: HostRoutes, drs: ReadonlyMap<string, HostRules>): void {
  const tcp = f.get("/spec/tcp");
  if (tcp === undefined) return;
  if (!Array.isArray(tcp)) {
    report(ii, o, "/spec/tcp", "error", "import/invalid", "tcp must be a list of routes");
    return;
  }
  const declared = ii.ctx.facts.ports(hr.service.namespace, hr.service.name) ?? [];
  tcp.forEach((t, i) => {
    const p = `/spec/tcp/${i}`;
    if (!isObject(t)) return;
    const split = splitTargets(ii, o, f, `${p}/route`, t.route, hr, drs, true, true);
    if (!split) return;
    const list = Array.isArray(t.match) && t.match.length ? t.match : [{}];
    list.forEach((m, j) => {
      const mp = `${p}/match/${j}`;
      if (!isObject(m)) return;
      for (const k of ["destinationSubnets", "sourceSubnet"]) {
        if (m[k] !== undefined) {
          f.use(`${mp}/${k}`);
          report(ii, o, `${mp}/${k}`, "error", "import/unsupported-value", `${k}: the model has no address condition on routes`);
          return;
        }
      }
      const e = matchEntry(ii, o, f, mp, m, hr);
      if (!e) return;
      const ports = e.port !== undefined ? [e.port] : declared.filter((x) => x.protocol === "tcp").map((x) => x.port);
      if (!ports.length || ports.some((x) => declared.find((d) => d.port === x)?.protocol !== "tcp")) {
        report(
          ii,
          o,
          Array.isArray(t.match) ? `${mp}/port` : p,
          "error",
          "import/unresolved",
          `a tcp route ${e.port !== undefined ? `for port ${e.port}` : ""} of ${hr.service.name}.${hr.service.namespace}: the model routes TCP connections of ports a MeshService declares protocol: tcp; give the service's MeshService (unimesh discover writes it) with the inputs`,
        );
        return;
      }
      const targets = split
        .map((x) => ({ ...x, ...(x.port !== undefined && ports.length === 1 && x.port === ports[0] ? { port: undefined } : {}) }))
        .map((x) => JSON.parse(JSON.stringify(x)) as SplitTarget);
      // A tcp route repeating a catch-all http route of a generated object is that route's translation.
      if (hr.generated && e.port !== undefined) {
        const twin = hr.routes.find(
          (r) =>
            !r.route.match &&
            r.port === undefined &&
            canonicalJson(r.route.split ?? [{}]) === canonicalJson(targets.length === 1 && !Object.keys(targets[0]).length ? [{}] : targets),
        );
        if (twin) return;
      }
      for (const port of ports) {
        const route: Route = {};
        if (targets.length > 1 || Object.keys(targets[0]).length) route.split = targets as [SplitTarget, ...SplitTarget[]];
        const source = e.source ? modelSource(ii, [e.source], o, !!hr.generated) : undefined;
        const from = hr.generated?.length === 1 ? { policy: hr.generated[0].name, implicit: false } : undefined;
        hr.routes.push({ native: o, pointer: p, order: hr.routes.length, route, port, ...(source ? { source } : {}), ...(from ? { from } : {}) });
      }
    });
  });
}
