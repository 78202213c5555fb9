/**
 * Outbound routes: Gateway API `HTTPRoute` / `GRPCRoute` and `policy.linkerd.io` `HTTPRoute` whose
 * parent is a Service (Linkerd's "producer" routes), with their `retry.linkerd.io/*` and
 * `timeout.linkerd.io/*` annotations (and the parent Service's, which a route without its own inherits)
 * → TrafficPolicy routes, the reverse of the adapter's translator.ts and features/{split,headers,
 * redirect,retries}.ts.
 *
 * - One TrafficPolicy per Service port (one per Service when the parentRef names no port): the model's
 *   route table of one policy is first-match, Linkerd's is most-specific-match across every rule of every
 *   route of the port (`../matching.ts`). The rules are put in Linkerd's order (most specific first,
 *   ties by route age then name, then rule order); a pair of overlapping rules whose winner depends on
 *   the request is an `import/route-order` error.
 * - A rule with several matches becomes one model route per match (same action).
 * - backendRefs: the parent Service itself → no split target subset; `<service>-<subset>` (the adapter's
 *   subset Services) → that subset of the service, when a MeshService declares it or the Service is
 *   among the inputs (its selector beyond the service's is the subset's labels); any other Service of the
 *   namespace → a split target `service` (Linkerd's dynamic request routing: `backend-b-podinfo` for
 *   `backend-a-podinfo`); a Service `<service>-<x>` nothing describes is read as the subset `version: x`
 *   (the adapter's convention), with a warning.
 * - A final rule that forwards every request unchanged is the model's implicit default route; without a
 *   rule matching every request, Linkerd answers 404 to the rest (linkerd2-proxy#2109): a final catch-all
 *   route `directResponse: {status: 404}` ("answer 404 for the rest").
 * - A ServiceProfile for the Service makes Linkerd ignore these routes: each is then reported and not
 *   imported (serviceProfile.ts).
 */
import type { Headers, HeaderOps, Match, Redirect, Retries, Route, SplitTarget, TrafficPolicy, TrafficPolicySpec } from "../../../api/generated/model.js";
import { type NativeFields, type NativeObject, isObject } from "../../../api/import-contract.js";
import { describeField } from "../../../api/import.js";
import { canonicalJson, cmp } from "../../../api/model.js";
import { grpcCompareOutcomes, grpcMayOverlap, mayOverlap, type MatchSpec } from "../matching.js";
import {
  type LinkerdImport,
  type PathScore,
  type ServiceRef,
  duration,
  linkerdOutcomes,
  pathScore,
  rankedSpec,
  headerMatchOf,
  isEmptyMatch,
  linkerdDurationMs,
  pathMatchOf,
  report,
  sourcePolicies,
  specOf,
  stringMatchOf,
} from "./context.js";
import { formatDuration } from "../../../api/duration.js";

const API_VERSION = "unimesh.io/v1alpha1" as const;

/** A subset a split target needs (added to the service's MeshService when its name is not the derived one). */
export interface NeededSubset {
  service: ServiceRef;
  name: string;
  labels: Record<string, string>;
  native: NativeObject;
}

/** One rule's route, with where it came from. */
interface RuleRoute {
  route: Route;
  spec: MatchSpec;
  /** How Linkerd scores the native path match. */
  score: PathScore;
  native: NativeObject;
  /** Pointer of the rule's match (or of the rule). */
  pointer: string;
  /** Tie-break order: route age (creation time, then name), rule, match. */
  order: [string, string, number, number];
}

/** The routes of one Service port, gathered from every route object that attaches to it. */
interface PortRoutes {
  service: ServiceRef;
  port?: number;
  grpc: boolean;
  rules: RuleRoute[];
  natives: NativeObject[];
  /** Policies the generated objects came from. */
  policies: string[];
}

/** What the outbound routes gave. */
export interface ImportedOutbound {
  docs: { doc: TrafficPolicy; from: NativeObject[] }[];
  subsets: NeededSubset[];
  /** Service ports GRPCRoutes attach to (the model routes them as gRPC when its MeshService says so). */
  grpcPorts: { service: ServiceRef; port: number; native: NativeObject }[];
}

const RETRY_KEYS = ["retry.linkerd.io/limit", "retry.linkerd.io/http", "retry.linkerd.io/grpc", "retry.linkerd.io/timeout"];
const TIMEOUT_KEYS = ["timeout.linkerd.io/request", "timeout.linkerd.io/response", "timeout.linkerd.io/idle"];
const GRPC_CONDITIONS = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** True for a parentRef to a Service (group `core` or empty). */
export function isServiceParent(p: unknown): p is Record<string, unknown> {
  return isObject(p) && p.kind === "Service" && (p.group === undefined || p.group === "" || p.group === "core");
}

/** True for a parentRef to a Linkerd Server. */
export function isServerParent(p: unknown): p is Record<string, unknown> {
  return isObject(p) && p.kind === "Server" && p.group === "policy.linkerd.io";
}

/**
 * Reads the outbound routes. `services` holds the Services among the inputs (for their retry/timeout
 * annotations); `profiled` the services a ServiceProfile routes (their routes are ignored by Linkerd).
 */
export function outboundRoutes(
  li: LinkerdImport,
  routes: readonly NativeObject[],
  services: ReadonlyMap<string, NativeObject>,
  profiled: ReadonlySet<string>,
): ImportedOutbound {
  const byPort = new Map<string, PortRoutes>();
  const subsets: NeededSubset[] = [];
  const grpcPorts: ImportedOutbound["grpcPorts"] = [];
  for (const o of routes) {
    const parents =
      o.object.spec && isObject(o.object.spec) && Array.isArray((o.object.spec as Record<string, unknown>).parentRefs)
        ? (o.object.spec as { parentRefs: unknown[] }).parentRefs
        : [];
    const serviceParents = parents.map((p, i) => ({ p, i })).filter((x): x is { p: Record<string, unknown>; i: number } => isServiceParent(x.p));
    if (!serviceParents.length) continue; // inbound (Server parent) or other parents: access.ts / index.ts
    const f = li.ctx.fields(o);
    const grpc = o.kind === "GRPCRoute";
    const spec = (o.object.spec ?? {}) as Record<string, unknown>;
    for (const { p, i } of serviceParents) {
      f.use(`/spec/parentRefs/${i}`);
      const ns = typeof p.namespace === "string" ? p.namespace : o.namespace;
      const name = String(p.name ?? "");
      if (ns !== o.namespace) {
        report(
          li,
          o,
          `/spec/parentRefs/${i}/namespace`,
          "error",
          "import/unsupported-value",
          `a route in namespace ${o.namespace} for Service ${ns}/${name} applies only to the clients of namespace ${o.namespace} (a Linkerd "consumer route"); the model's routes apply to every client of the service: move the route to namespace ${ns}`,
        );
        continue;
      }
      if (profiled.has(`${ns}/${name}`)) {
        li.ctx.ignore(o);
        report(
          li,
          o,
          `/spec/parentRefs/${i}`,
          "warning",
          "import/ignored",
          `a ServiceProfile routes Service ${ns}/${name}, and while it exists Linkerd ignores this ${o.kind} (and the Service's retry and timeout annotations): not imported`,
        );
        continue;
      }
      const port = typeof p.port === "number" ? p.port : undefined;
      if (grpc && port !== undefined) grpcPorts.push({ service: { namespace: ns, name }, port, native: o });
      else if (grpc)
        report(
          li,
          o,
          `/spec/parentRefs/${i}`,
          "warning",
          "import/unsupported-value",
          "a GRPCRoute for every port of the Service: the model routes gRPC on the ports its MeshService declares grpc; declare them (or give the parentRef a port)",
        );
      const key = `${ns}/${name}/${port ?? ""}/${grpc}`;
      let pr = byPort.get(key);
      if (!pr) byPort.set(key, (pr = { service: { namespace: ns, name }, port, grpc, rules: [], natives: [], policies: [] }));
      pr.natives.push(o);
      for (const ref of sourcePolicies(o, "TrafficPolicy") ?? []) if (!pr.policies.includes(ref.id)) pr.policies.push(ref.id);
      for (const r of rulesOf(li, o, f, pr, services.get(`${ns}/${name}`), subsets)) pr.rules.push(r);
    }
    if (spec.hostnames !== undefined) {
      f.use("/spec/hostnames");
      report(
        li,
        o,
        "/spec/hostnames",
        "warning",
        "import/unsupported-field",
        "Linkerd ignores hostnames on routes with a Service parent (they match every request to the Service), and so does the model: not imported",
      );
    }
  }
  const docs: ImportedOutbound["docs"] = [];
  const parentPorts = new Set([...byPort.values()].filter((p) => p.port !== undefined).map((p) => `${p.service.namespace}/${p.service.name}`));
  for (const pr of [...byPort.values()].sort(
    (a, b) => cmp(`${a.service.namespace}/${a.service.name}`, `${b.service.namespace}/${b.service.name}`) || (a.port ?? 0) - (b.port ?? 0),
  )) {
    if (pr.port === undefined && parentPorts.has(`${pr.service.namespace}/${pr.service.name}`)) {
      report(
        li,
        pr.natives[0],
        "/spec/parentRefs",
        "warning",
        "import/unsupported-value",
        `routes for every port of ${pr.service.name} and routes for one of its ports: Linkerd uses the port's own routes there; the model merges both into one route table per port, most specific first, which may order them otherwise`,
      );
    }
    const doc = trafficPolicy(li, pr);
    if (doc) docs.push({ doc, from: pr.natives });
  }
  // Services with retry/timeout annotations and no route of their own: Linkerd's default route carries them.
  for (const [key, svc] of [...services].sort((a, b) => cmp(a[0], b[0]))) {
    if ([...byPort.values()].some((p) => `${p.service.namespace}/${p.service.name}` === key) || profiled.has(key)) continue;
    const ann = svc.object.metadata.annotations ?? {};
    if (![...RETRY_KEYS, ...TIMEOUT_KEYS].some((k) => ann[k] !== undefined)) continue;
    const f = li.ctx.fields(svc);
    const settings = annotationSettings(li, svc, f, ann, false);
    const spec: TrafficPolicySpec = { destination: { service: svc.name } };
    if (settings.timeout) spec.timeout = settings.timeout;
    if (settings.retries) spec.retries = settings.retries;
    if (settings.timeout || settings.retries)
      docs.push({
        doc: { apiVersion: API_VERSION, kind: "TrafficPolicy", metadata: { name: `${svc.name}-defaults`, namespace: svc.namespace }, spec },
        from: [svc],
      });
  }
  return { docs, subsets, grpcPorts };
}

/** The routes of one route object's rules for one parent. */
function rulesOf(li: LinkerdImport, o: NativeObject, f: NativeFields, pr: PortRoutes, service: NativeObject | undefined, subsets: NeededSubset[]): RuleRoute[] {
  const out: RuleRoute[] = [];
  const ann = o.object.metadata.annotations ?? {};
  const own = RETRY_KEYS.some((k) => ann[k] !== undefined);
  const ownTimeout = TIMEOUT_KEYS.some((k) => ann[k] !== undefined);
  const settings = annotationSettings(li, o, f, ann, pr.grpc);
  // A route without retry (timeout) annotations of its own inherits the Service's.
  if (service && (!own || !ownTimeout)) {
    const inherited = serviceSettings(li, service, pr.grpc);
    if (!own && inherited.retries) settings.retries = inherited.retries;
    if (!ownTimeout && inherited.timeout) settings.timeout = inherited.timeout;
  }
  const created = typeof o.object.metadata.creationTimestamp === "string" ? o.object.metadata.creationTimestamp : "";
  const rules = (o.object.spec as Record<string, unknown>).rules;
  f.use("/spec/rules");
  if (rules === undefined) {
    // No rules: one rule matching every request, to the parent Service.
    out.push({
      route: withSettings({}, settings),
      spec: specOf(undefined),
      score: { kind: "none" },
      native: o,
      pointer: "/spec",
      order: [created, o.name, 0, 0],
    });
    return out;
  }
  if (!Array.isArray(rules)) {
    report(li, o, "/spec/rules", "error", "import/invalid", "rules is not a list");
    return out;
  }
  rules.forEach((rule, ri) => {
    const at = `/spec/rules/${ri}`;
    if (!isObject(rule)) return report(li, o, at, "error", "import/invalid", "a rule is not a mapping");
    const rf = new Set(["matches", "filters", "backendRefs", "timeouts"]);
    for (const k of Object.keys(rule)) {
      if (rf.has(k)) continue;
      report(
        li,
        o,
        `${at}/${k}`,
        "warning",
        "import/unsupported-field",
        `${describeField(`${at}/${k}`)} has no equivalent in the unimesh model: the imported route behaves as if it were not set`,
      );
    }
    const base: Route = {};
    // Filters: header changes and redirects.
    if (rule.filters !== undefined) readFilters(li, o, `${at}/filters`, rule.filters, base, pr.grpc);
    // Backends.
    if (rule.backendRefs !== undefined) {
      const split = backends(li, o, `${at}/backendRefs`, rule.backendRefs, pr, subsets);
      if (split === null) return;
      if (split && base.redirect) report(li, o, `${at}/backendRefs`, "error", "import/invalid", "a rule that redirects has no backendRefs (Gateway API)");
      else if (split) base.split = split as Route["split"];
    }
    // Timeouts (Gateway API GEP-1742; policy.linkerd.io v1beta3).
    let ruleTimeout: string | undefined;
    if (isObject(rule.timeouts)) {
      ruleTimeout = duration(li, o, f, `${at}/timeouts/request`, rule.timeouts.request);
      if (rule.timeouts.backendRequest !== undefined) {
        report(
          li,
          o,
          `${at}/timeouts/backendRequest`,
          "warning",
          "import/unsupported-field",
          "timeouts.backendRequest (the timeout of each request to a backend, retries apart) has no model equivalent outside retries (perTryTimeout): not imported",
        );
      }
    }
    const s = { ...settings, ...(ruleTimeout ? { timeout: ruleTimeout } : {}) };
    if (ruleTimeout && settings.timeout && ruleTimeout !== settings.timeout) {
      report(
        li,
        o,
        `${at}/timeouts/request`,
        "warning",
        "import/conflict",
        `both timeouts.request (${ruleTimeout}) and timeout.linkerd.io/request (${settings.timeout}): imported ${ruleTimeout}`,
      );
    }
    const matches = rule.matches;
    const list: { match?: Match; pointer: string; score: PathScore }[] = [];
    if (matches === undefined || (Array.isArray(matches) && !matches.length)) list.push({ pointer: at, score: { kind: "none" } });
    else if (!Array.isArray(matches)) return report(li, o, `${at}/matches`, "error", "import/invalid", "matches is not a list");
    else {
      matches.forEach((m, mi) => {
        const mm = pr.grpc ? grpcMatch(li, o, `${at}/matches/${mi}`, m) : httpMatch(li, o, `${at}/matches/${mi}`, m);
        // GRPCRoute method matches are exact paths (/service/method) or prefixes (/service/) to Linkerd.
        const score: PathScore = pr.grpc ? (mm?.path ? { kind: "len" } : { kind: "none" }) : pathScore(isObject(m) ? m.path : undefined);
        if (mm !== null) list.push({ match: mm, pointer: `${at}/matches/${mi}`, score });
      });
      if (!list.length) return;
    }
    list.forEach(({ match, pointer, score }, mi) => {
      const route: Route = withSettings(JSON.parse(JSON.stringify(base)) as Route, s);
      if (match && !isEmptyMatch(match)) route.match = match;
      const nativePath = !pr.grpc && Array.isArray(matches) && isObject(matches[mi]) ? (matches[mi] as Record<string, unknown>).path : undefined;
      out.push({ route, spec: rankedSpec(specOf(route.match), nativePath), score, native: o, pointer, order: [created, o.name, ri, mi] });
    });
  });
  return out;
}

/** A route with the timeout and retries of its rule/route object. */
function withSettings(r: Route, s: { timeout?: string; retries?: Retries }): Route {
  if (s.timeout && !r.redirect) r.timeout = s.timeout;
  if (s.retries && !r.redirect) r.retries = s.retries;
  return r;
}

/** An HTTPRouteMatch → model match; null when it cannot be read (reported). */
function httpMatch(li: LinkerdImport, o: NativeObject, at: string, m: unknown): Match | null {
  if (!isObject(m)) {
    report(li, o, at, "error", "import/invalid", "a match is not a mapping");
    return null;
  }
  const out: Match = {};
  let ok = true;
  for (const k of Object.keys(m)) {
    if (k === "path") {
      const p = pathMatchOf(m.path);
      if ("reason" in p) {
        report(li, o, `${at}/path`, "error", "import/unsupported-value", `this path match ${p.reason}`);
        ok = false;
        continue;
      }
      if (p.path) out.path = p.path;
      if (p.alternation) alternationNote(li, o, `${at}/path/value`);
    } else if (k === "method") {
      out.method = m.method as Match["method"];
    } else if (k === "headers" || k === "queryParams") {
      const list = m[k];
      if (!Array.isArray(list)) {
        report(li, o, `${at}/${k}`, "error", "import/invalid", `${k} is not a list`);
        ok = false;
        continue;
      }
      const into: Record<string, NonNullable<Match["headers"]>[string]> = {};
      list.forEach((h, hi) => {
        if (!isObject(h) || typeof h.name !== "string") {
          report(li, o, `${at}/${k}/${hi}`, "error", "import/invalid", "a header or query-parameter match needs a name");
          ok = false;
          return;
        }
        const v = k === "headers" ? headerMatchOf(h.type, h.value) : stringMatchOf(h.type, h.value);
        if ("reason" in v) {
          report(li, o, `${at}/${k}/${hi}`, "error", "import/unsupported-value", `this match ${v.reason}`);
          ok = false;
          return;
        }
        if (v.alternation) alternationNote(li, o, `${at}/${k}/${hi}/value`);
        const name = k === "headers" ? h.name.toLowerCase() : h.name;
        if (into[name]) {
          report(li, o, `${at}/${k}/${hi}`, "error", "import/unsupported-value", `a second match on ${h.name}: the model matches one condition per name`);
          ok = false;
          return;
        }
        into[name] = v.match;
      });
      if (Object.keys(into).length) (out as Record<string, unknown>)[k] = into;
    } else {
      report(
        li,
        o,
        `${at}/${k}`,
        "warning",
        "import/unsupported-field",
        `${describeField(`${at}/${k}`)} has no equivalent in the unimesh model: the route matches as if it were not set`,
      );
    }
  }
  return ok ? out : null;
}

/** A GRPCRouteMatch → model match (gRPC paths are `/<service>/<method>`); null when it cannot be read. */
function grpcMatch(li: LinkerdImport, o: NativeObject, at: string, m: unknown): Match | null {
  if (!isObject(m)) {
    report(li, o, at, "error", "import/invalid", "a match is not a mapping");
    return null;
  }
  const out: Match = {};
  let ok = true;
  if (m.method !== undefined) {
    const gm = m.method;
    if (!isObject(gm) || (gm.type !== undefined && gm.type !== "Exact")) {
      report(
        li,
        o,
        `${at}/method`,
        "error",
        "import/unsupported-value",
        "only Exact gRPC method matches are imported (a path regex over /<service>/<method> would be a different precedence for Linkerd)",
      );
      ok = false;
    } else if (typeof gm.service === "string" && typeof gm.method === "string") out.path = { exact: `/${gm.service}/${gm.method}` };
    else if (typeof gm.service === "string") out.path = { prefix: `/${gm.service}/` };
    else if (typeof gm.method === "string") out.path = { regex: `/[^/]+/${gm.method.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}` };
  }
  if (m.headers !== undefined) {
    const h = httpMatch(li, o, at, { headers: m.headers });
    if (h === null) ok = false;
    else if (h.headers) out.headers = h.headers;
  }
  for (const k of Object.keys(m))
    if (k !== "method" && k !== "headers")
      report(li, o, `${at}/${k}`, "warning", "import/unsupported-field", `${describeField(`${at}/${k}`)} has no equivalent in the unimesh model`);
  return ok ? out : null;
}

function alternationNote(li: LinkerdImport, o: NativeObject, at: string): void {
  report(
    li,
    o,
    at,
    "warning",
    "import/unsupported-value",
    "Linkerd takes the leftmost-first match of this regular expression and requires it to span the value, so a top-level alternation (a|ab) may not match where the model's whole-value match does: check the imported regex (wrap it as ^(?:...)$ to mean a whole-value match)",
  );
}

/** Route filters → the route's headers and redirect (reported when something cannot be carried). */
function readFilters(li: LinkerdImport, o: NativeObject, at: string, filters: unknown, route: Route, grpc: boolean): void {
  if (!Array.isArray(filters)) return report(li, o, at, "error", "import/invalid", "filters is not a list");
  const headers: Headers = {};
  filters.forEach((flt, i) => {
    const p = `${at}/${i}`;
    if (!isObject(flt)) return report(li, o, p, "error", "import/invalid", "a filter is not a mapping");
    if (flt.type === "RequestHeaderModifier" || flt.type === "ResponseHeaderModifier") {
      const side = flt.type === "RequestHeaderModifier" ? "request" : "response";
      const ops = headerOps(flt[side === "request" ? "requestHeaderModifier" : "responseHeaderModifier"]);
      if (!ops) return report(li, o, p, "error", "import/invalid", `${flt.type} without its settings`);
      if (headers[side])
        return report(li, o, p, "error", "import/unsupported-value", `a second ${flt.type}: the model has one set of ${side} header changes per route`);
      headers[side] = ops;
    } else if (flt.type === "RequestRedirect" && !grpc) {
      const r = redirectOf(li, o, `${p}/requestRedirect`, flt.requestRedirect);
      if (r) route.redirect = r;
    } else {
      const why =
        flt.type === "URLRewrite" || flt.type === "RequestMirror" || flt.type === "ExtensionRef"
          ? `Linkerd's policy controller rejects a route with a ${flt.type} filter (the route is not applied at all)`
          : `a ${String(flt.type)} filter has no model equivalent`;
      report(li, o, p, "error", "import/unsupported-value", `${why}: not imported; remove it`);
    }
  });
  if (headers.request || headers.response) route.headers = headers;
}

function headerOps(v: unknown): HeaderOps | undefined {
  if (!isObject(v)) return undefined;
  const out: HeaderOps = {};
  const pairs = (l: unknown) => (Array.isArray(l) ? Object.fromEntries(l.filter(isObject).map((x) => [String(x.name), String(x.value ?? "")])) : undefined);
  const set = pairs(v.set);
  const add = pairs(v.add);
  if (set && Object.keys(set).length) out.set = set;
  if (add && Object.keys(add).length) out.add = add;
  if (Array.isArray(v.remove) && v.remove.length) out.remove = v.remove.map(String) as HeaderOps["remove"];
  return out;
}

function redirectOf(li: LinkerdImport, o: NativeObject, at: string, v: unknown): Redirect | undefined {
  if (!isObject(v)) {
    report(li, o, at, "error", "import/invalid", "RequestRedirect without its settings");
    return undefined;
  }
  const r: Redirect = {};
  if (typeof v.scheme === "string") {
    if (v.scheme !== "http" && v.scheme !== "https") {
      report(li, o, `${at}/scheme`, "error", "import/unsupported-value", `scheme ${v.scheme}: the model redirects to http or https`);
      return undefined;
    }
    r.scheme = v.scheme;
  }
  if (typeof v.hostname === "string") r.authority = v.hostname;
  if (typeof v.port === "number") r.port = v.port;
  if (v.path !== undefined) {
    const p = v.path as Record<string, unknown>;
    if (p?.type === "ReplaceFullPath" && typeof p.replaceFullPath === "string") r.path = p.replaceFullPath;
    else {
      report(
        li,
        o,
        `${at}/path`,
        "error",
        "import/unsupported-value",
        "only ReplaceFullPath redirects are imported (the model's redirect path replaces the whole path)",
      );
      return undefined;
    }
  }
  // Gateway API's default status is 302; the model's is 301: always written.
  const status = typeof v.statusCode === "number" ? v.statusCode : 302;
  if (![301, 302, 303, 307, 308].includes(status)) {
    report(li, o, `${at}/statusCode`, "error", "import/unsupported-value", `status ${status} is not a redirect status the model has`);
    return undefined;
  }
  r.statusCode = status as Redirect["statusCode"];
  return r;
}

/**
 * backendRefs → split targets; undefined for "the parent Service" (no split), null when a backend cannot
 * be carried (reported).
 */
function backends(li: LinkerdImport, o: NativeObject, at: string, refs: unknown, pr: PortRoutes, subsets: NeededSubset[]): SplitTarget[] | undefined | null {
  if (!Array.isArray(refs)) {
    report(li, o, at, "error", "import/invalid", "backendRefs is not a list");
    return null;
  }
  if (!refs.length) return undefined;
  const { namespace, name: service } = pr.service;
  const targets: { t: SplitTarget; weight: number }[] = [];
  let ok = true;
  refs.forEach((b, i) => {
    const p = `${at}/${i}`;
    if (!isObject(b) || typeof b.name !== "string") {
      report(li, o, p, "error", "import/invalid", "a backendRef needs a name");
      ok = false;
      return;
    }
    if ((b.kind !== undefined && b.kind !== "Service") || (b.group !== undefined && b.group !== "" && b.group !== "core")) {
      report(li, o, p, "error", "import/unsupported-value", `a backend of kind ${String(b.kind)} (not a Service) has no model equivalent`);
      ok = false;
      return;
    }
    if (b.namespace !== undefined && b.namespace !== namespace) {
      report(
        li,
        o,
        `${p}/namespace`,
        "error",
        "import/unsupported-value",
        `a backend in namespace ${String(b.namespace)}: the model splits between subsets of the destination ${namespace}/${service} and other Services of its namespace`,
      );
      ok = false;
      return;
    }
    const t: SplitTarget = {};
    if (b.name !== service) {
      const subset = subsetOfBackend(li, pr.service, b.name);
      if ("service" in subset) t.service = subset.service;
      else {
        t.subset = subset.ref;
        if (subset.guessed) {
          report(
            li,
            o,
            `${p}/name`,
            "warning",
            "import/unresolved",
            `backend Service ${b.name} is read as the subset ${b.name.slice(service.length + 1)} of ${service} (the pods labelled version: ${b.name.slice(service.length + 1)}, unimesh's convention), since nothing says which pods it selects: give the Service ${b.name} with the inputs to read its selector (a Service that is not a subset of ${service} is read as a split target service)`,
          );
        }
        if (subset.needed) subsets.push({ service: pr.service, name: subset.needed.name, labels: subset.needed.labels, native: o });
      }
    }
    const port = typeof b.port === "number" ? b.port : pr.port;
    if (port !== undefined && port !== pr.port) t.port = port;
    if (b.filters !== undefined) {
      const r: Route = {};
      readFilters(li, o, `${p}/filters`, b.filters, r, pr.grpc);
      if (r.headers) t.headers = r.headers;
      if (r.redirect) report(li, o, `${p}/filters`, "error", "import/unsupported-value", "a redirect of one backend has no model equivalent");
    }
    for (const k of Object.keys(b)) {
      if (!["name", "kind", "group", "namespace", "port", "weight", "filters"].includes(k))
        report(li, o, `${p}/${k}`, "warning", "import/unsupported-field", `${describeField(`${p}/${k}`)} has no equivalent in the unimesh model`);
    }
    targets.push({ t, weight: typeof b.weight === "number" ? b.weight : 1 });
  });
  if (!ok) return null;
  if (targets.length === 1 && !Object.keys(targets[0].t).length) return undefined;
  const total = targets.reduce((s, x) => s + x.weight, 0);
  if (targets.length === 1) return [targets[0].t];
  if (total === 0) {
    report(
      li,
      o,
      at,
      "error",
      "import/unsupported-value",
      "every backend has weight 0: Linkerd answers these requests with an error, which the model cannot say",
    );
    return null;
  }
  const percents = targets.map((x) => Math.round((x.weight * 100) / total));
  const diff = 100 - percents.reduce((s, x) => s + x, 0);
  percents[percents.indexOf(Math.max(...percents))] += diff;
  if (targets.some((x, i) => (x.weight * 100) / total !== percents[i])) {
    report(
      li,
      o,
      at,
      "warning",
      "import/unsupported-value",
      `the weights ${targets.map((x) => x.weight).join(", ")} are written as the percents ${percents.join(", ")}: the model's weights are whole percents`,
    );
  }
  return targets.map((x, i) => ({ ...x.t, weight: percents[i] }));
}

/**
 * What a backend Service of the destination's namespace stands for: a subset of the destination (the
 * adapter's `<service>-<subset>` Services; `needed`: a subset name to declare), or another Service
 * (`service`: a split target `service`) when nothing makes it a subset.
 */
export function subsetOfBackend(
  li: LinkerdImport,
  svc: ServiceRef,
  backend: string,
): { ref: SplitTarget["subset"]; needed?: { name: string; labels: Record<string, string> }; guessed?: boolean } | { service: string } {
  const facts = li.ctx.facts;
  const declared = facts.declared(svc.namespace, svc.name)?.spec.subsets;
  const prefix = `${svc.name}-`;
  const name = backend.startsWith(prefix) ? backend.slice(prefix.length) : undefined;
  if (name && declared?.some((s) => s.name === name)) return { ref: name };
  const other = facts.declared(svc.namespace, backend);
  if (other) {
    // A Service of the inputs: a subset when its selector is the destination's plus labels, else itself.
    const sel = other.spec.selector;
    const base = facts.selector(svc.namespace, svc.name);
    if (sel && Object.entries(base).every(([k, v]) => sel[k] === v)) {
      const labels = Object.fromEntries(Object.entries(sel).filter(([k]) => base[k] === undefined));
      if (Object.keys(labels).length) {
        const found = declared?.find((s) => canonicalJson(s.labels) === canonicalJson(labels));
        if (found) return { ref: found.name };
        return { ref: labels, ...(name ? { needed: { name, labels } } : {}) };
      }
    }
    return { service: backend };
  }
  if (name && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) && !declared) {
    // The adapter's convention (and discover's): Service <service>-<subset> for the pods labelled version: <subset>.
    return { ref: { version: name }, guessed: true };
  }
  return { service: backend };
}

/** The Service's retry/timeout annotations, read (and reported) once per Service and route kind. */
const serviceMemo = new WeakMap<NativeObject, Map<boolean, { timeout?: string; retries?: Retries }>>();
function serviceSettings(li: LinkerdImport, service: NativeObject, grpc: boolean): { timeout?: string; retries?: Retries } {
  let m = serviceMemo.get(service);
  if (!m) serviceMemo.set(service, (m = new Map()));
  let v = m.get(grpc);
  if (!v) m.set(grpc, (v = annotationSettings(li, service, li.ctx.fields(service), service.object.metadata.annotations ?? {}, grpc)));
  return { ...v };
}

/** `timeout.linkerd.io/*` and `retry.linkerd.io/*` annotations → route timeout and retries. */
function annotationSettings(
  li: LinkerdImport,
  o: NativeObject,
  f: NativeFields,
  ann: Record<string, string>,
  grpc: boolean,
): { timeout?: string; retries?: Retries } {
  const at = (k: string) => `/metadata/annotations/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  const out: { timeout?: string; retries?: Retries } = {};
  if (ann["timeout.linkerd.io/request"] !== undefined) out.timeout = duration(li, o, f, at("timeout.linkerd.io/request"), ann["timeout.linkerd.io/request"]);
  for (const k of ["timeout.linkerd.io/response", "timeout.linkerd.io/idle"]) {
    if (ann[k] !== undefined)
      report(
        li,
        o,
        at(k),
        "warning",
        "import/unsupported-field",
        `${k} (${k.endsWith("response") ? "the time to the response headers" : "the idle time of a request"}) has no model equivalent (the model's timeout bounds the whole request): not imported`,
      );
  }
  if (out.timeout === "0ms") delete out.timeout;
  if (!RETRY_KEYS.some((k) => ann[k] !== undefined)) return out;
  const limitText = ann["retry.linkerd.io/limit"];
  let attempts = 1;
  if (limitText !== undefined) {
    if (!/^[0-9]+$/.test(limitText.trim())) {
      report(li, o, at("retry.linkerd.io/limit"), "error", "import/invalid", `retry.linkerd.io/limit ${JSON.stringify(limitText)} is not a number`);
      return out;
    }
    attempts = Number(limitText.trim());
    if (attempts > 10) {
      report(li, o, at("retry.linkerd.io/limit"), "warning", "import/unsupported-value", `${attempts} retries: the model allows at most 10, written 10`);
      attempts = 10;
    }
  }
  const retryOn: string[] = [];
  const httpText = ann["retry.linkerd.io/http"];
  const grpcText = ann["retry.linkerd.io/grpc"];
  if (httpText !== undefined) {
    if (grpc)
      report(li, o, at("retry.linkerd.io/http"), "warning", "import/ignored", "Linkerd does not read retry.linkerd.io/http on a GRPCRoute: not imported");
    else
      for (const c of httpText.split(",").map((x) => x.trim().toLowerCase())) {
        const codes = statusCondition(c);
        if (!codes) {
          report(
            li,
            o,
            at("retry.linkerd.io/http"),
            "error",
            "import/invalid",
            `"${c}" is not a retry condition Linkerd reads (5xx, gateway-error, a status code or a range such as 500-504)`,
          );
          return out;
        }
        retryOn.push(...codes);
      }
  }
  if (grpcText !== undefined) {
    if (!grpc && o.kind !== "Service")
      report(li, o, at("retry.linkerd.io/grpc"), "warning", "import/ignored", "Linkerd reads retry.linkerd.io/grpc on GRPCRoutes only: not imported");
    else if (grpc)
      for (const c of grpcText.split(",").map((x) => x.trim().toLowerCase())) {
        if (!GRPC_CONDITIONS.has(c)) {
          report(li, o, at("retry.linkerd.io/grpc"), "error", "import/invalid", `"${c}" is not a gRPC retry condition Linkerd reads`);
          return out;
        }
        retryOn.push(c);
      }
  }
  f.use(at("retry.linkerd.io/limit"));
  if (attempts === 0) return out;
  const rt: Retries = { attempts };
  const per = ann["retry.linkerd.io/timeout"];
  if (per !== undefined) {
    const ms = linkerdDurationMs(per);
    if (ms === undefined) report(li, o, at("retry.linkerd.io/timeout"), "error", "import/invalid", `${JSON.stringify(per)} is not a duration Linkerd reads`);
    else if (ms > 0) rt.perTryTimeout = formatDuration(ms);
  }
  if (!retryOn.length) {
    retryOn.push(...(grpc ? ["cancelled", "deadline-exceeded", "resource-exhausted", "unavailable"] : ["5xx"]));
    report(
      li,
      o,
      at(grpc ? "retry.linkerd.io/grpc" : "retry.linkerd.io/http").replace(/\/[^/]*$/, ""),
      "warning",
      "import/mesh-default",
      `retries without retry.linkerd.io/${grpc ? "grpc" : "http"}: Linkerd retries on its proxy's default conditions, imported as retryOn ${retryOn.join(", ")}; write the conditions on the route to be sure`,
    );
  }
  // Linkerd always retries HTTP/2 REFUSED_STREAM once retries are on.
  rt.retryOn = [...new Set([...retryOn, "refused-stream"])] as unknown as Retries["retryOn"];
  out.retries = rt;
  return out;
}

/** A retry.linkerd.io/http condition as model retryOn entries; undefined when invalid. */
function statusCondition(c: string): string[] | undefined {
  if (c === "5xx" || c === "gateway-error") return [c];
  const code = (s: string) => (/^[0-9]{3}$/.test(s) && Number(s) >= 100 && Number(s) < 600 ? Number(s) : undefined);
  if (code(c) !== undefined) return [c];
  const m = /^([0-9]+)-([0-9]+)$/.exec(c);
  if (!m) return undefined;
  const a = code(m[1]);
  const b = code(m[2]);
  if (a === undefined || b === undefined || a > b) return undefined;
  if (a === 500 && b === 599) return ["5xx"];
  if (a === 502 && b === 504) return ["gateway-error"];
  if (b - a > 20) return undefined;
  return Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
}

/** The TrafficPolicy of one Service port: its rules in Linkerd's order. */
function trafficPolicy(li: LinkerdImport, pr: PortRoutes): TrafficPolicy | undefined {
  const rules = linkerdOrder(li, pr);
  // The implicit default route: a last rule matching every request, forwarding unchanged.
  // Without a rule matching every request, Linkerd answers 404 to the requests none matches
  // (linkerd2-proxy#2109): the model's "answer 404 for the rest".
  const notFound = rules.length > 0 && !rules.some((r) => isEmptyMatch(r.route.match));
  const last = rules[rules.length - 1];
  if (last && isEmptyMatch(last.route.match) && !last.route.split && !last.route.redirect && !last.route.headers && !last.route.timeout && !last.route.retries)
    rules.pop();
  const ref = pr.policies[0] ? /^TrafficPolicy\/([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(pr.policies[0]) : null;
  const name = ref?.[2] ?? pr.natives[0].name;
  const namespace = ref?.[1] ?? pr.service.namespace;
  const spec: TrafficPolicySpec = {
    destination: {
      service: pr.service.name,
      ...(namespace !== pr.service.namespace ? { namespace: pr.service.namespace } : {}),
      ...(pr.port !== undefined ? { port: pr.port } : {}),
    },
  };
  const routes = rules.map((r) => r.route);
  if (notFound) routes.push({ directResponse: { status: 404 } });
  if (!routes.length) {
    // Only the default route: its settings are the policy's (a route without match carrying them).
    if (last && (last.route.timeout || last.route.retries)) {
      if (last.route.timeout) spec.timeout = last.route.timeout;
      if (last.route.retries) spec.retries = last.route.retries;
    } else return undefined;
  } else {
    // A last route that only carries settings (timeout, retries) for every other request.
    spec.routes = routes as [Route, ...Route[]];
  }
  return { apiVersion: API_VERSION, kind: "TrafficPolicy", metadata: { name, namespace }, spec };
}

/**
 * The rules in the order Linkerd chooses between them: for a pair that can match one request, the one
 * Linkerd always prefers first; ties by route age, then rule and match order. Pairs whose winner depends
 * on the request are `import/route-order` errors.
 */
function linkerdOrder(li: LinkerdImport, pr: PortRoutes): RuleRoute[] {
  const overlap = pr.grpc ? grpcMayOverlap : mayOverlap;
  const outcomes = (a: RuleRoute, b: RuleRoute) => (pr.grpc ? grpcCompareOutcomes(a.spec, b.spec) : linkerdOutcomes(a, b));
  const tie = (a: RuleRoute, b: RuleRoute) => cmp(a.order[0], b.order[0]) || cmp(a.order[1], b.order[1]) || a.order[2] - b.order[2] || a.order[3] - b.order[3];
  const list = [...pr.rules].sort(tie);
  // Move a rule before every earlier overlapping rule Linkerd never prefers over it (bounded passes).
  for (let pass = 0, moved = true; moved && pass < list.length * list.length; pass++) {
    moved = false;
    for (let j = 1; j < list.length && !moved; j++) {
      for (let i = 0; i < j; i++) {
        if (!overlap(list[i].spec, list[j].spec)) continue;
        const o = outcomes(list[i], list[j]);
        if (o.size === 1 && o.has("y")) {
          const [x] = list.splice(j, 1);
          list.splice(i, 0, x);
          moved = true;
          break;
        }
      }
    }
  }
  for (let j = 1; j < list.length; j++) {
    for (let i = 0; i < j; i++) {
      if (!overlap(list[i].spec, list[j].spec)) continue;
      const o = outcomes(list[i], list[j]);
      const ok = !o.has("y") && (!o.has("tie") || tie(list[i], list[j]) < 0);
      if (ok) continue;
      report(
        li,
        list[j].native,
        list[j].pointer,
        "error",
        "import/route-order",
        `Linkerd picks the most specific of the rules that match a request (longest path match, then method, header and query-parameter counts, then the older route); between this rule and ${list[i].native.id}${list[i].pointer} the winner depends on the request, which the model's first-match route table cannot say. Make the matches disjoint or one clearly more specific`,
      );
      break;
    }
  }
  return list;
}
