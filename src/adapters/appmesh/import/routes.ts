/**
 * VirtualRouter routes (`appmesh.k8s.aws/v1beta2`, aws-app-mesh-controller-for-k8s
 * `apis/appmesh/v1beta2/virtualrouter_types.go`) → model routes, the reverse of the adapter's
 * translator.ts `buildRoute` and features/match.ts, retries.ts, timeout.ts:
 *
 * - order: `priority` ascending (0 first), then routes without priority (App Mesh orders those itself,
 *   by match length: overlapping ones are reported);
 * - `httpRoute` / `http2Route` `match` {prefix, path{exact|regex}, method, headers[]{name, match{exact|
 *   prefix|regex}, invert}, queryParameters[]{name, match.exact}, port} → `match` (`prefix: /` is every
 *   request; a header without match is `present`, inverted `absent`; suffix, range and other inverted
 *   matches, and `scheme`, have no model equivalent: error); `grpcRoute` `match` {serviceName, methodName,
 *   metadata[]} → path `/<service>/<method>` (exact) or `/<service>/` (prefix) and headers; `tcpRoute`;
 * - `action.weightedTargets[]` {virtualNodeRef, weight, port} → `split[]` {subset, weight, port}: the
 *   target VirtualNode's pods are the destination's pods narrowed by the subset's labels (weights made to
 *   sum to 100);
 * - `retryPolicy` {maxRetries, perRetryTimeout, httpRetryEvents, tcpRetryEvents, grpcRetryEvents} →
 *   `retries` (server-error → 5xx, gateway-error, client-error → retriable-4xx, stream-error →
 *   refused-stream, connection-error → connect-failure, gRPC events by name); `maxRetries: 0` is none; no
 *   retry policy is App Mesh's default (2 retries on 503, connection errors, refused streams and resets,
 *   gRPC UNAVAILABLE: App Mesh user guide `envoy-defaults.md`), written out (`--mesh-defaults`);
 * - `timeout.perRequest` → `timeout`; none is App Mesh's 15s default, written out (`--mesh-defaults`).
 */
import type { Match, Retries, Route, SplitTarget, HeaderMatch } from "../../../api/generated/model.js";
import { type NativeFields, type NativeObject, isObject, percents } from "../../../api/import-contract.js";
import { formatDuration } from "../../../api/duration.js";
import { type AppMeshImport, type NodeInfo, type ServiceRef, report, subsetOf } from "./context.js";

/** App Mesh's default request timeout (`envoy-defaults.md`). */
export const APPMESH_DEFAULT_TIMEOUT = "15s";

/** One model route read from a VirtualRouter. */
export interface ImportedRoute {
  native: NativeObject;
  pointer: string;
  /** Position in priority order. */
  order: number;
  /** The router listener port it matches (`match.port`), when it names one. */
  port?: number;
  route: Route;
  /** The route name as written (`VirtualRouter.spec.routes[].name`). */
  name?: string;
  /** A generated `default` route (the model's implicit one). */
  defaultRoute?: boolean;
}

/** `{unit, value}` → milliseconds, or undefined. */
export function amDurationMs(v: unknown): number | undefined {
  if (!isObject(v) || typeof v.value !== "number" || v.value < 0) return undefined;
  return v.unit === "ms" ? v.value : v.unit === "s" ? v.value * 1000 : undefined;
}

/** The routes of a router for destination `dest` in App Mesh's order; routes that cannot be imported are reported. */
export function routerRoutes(
  ai: AppMeshImport,
  o: NativeObject,
  f: NativeFields,
  dest: ServiceRef,
  nodes: (name: string, ns: string) => NodeInfo | undefined,
): ImportedRoute[] {
  const routes = f.get("/spec/routes");
  if (!Array.isArray(routes)) return [];
  const indexed = routes.map((r, i) => ({ r, i, prio: isObject(r) && typeof r.priority === "number" ? r.priority : undefined }));
  indexed.sort((a, b) => (a.prio ?? Infinity) - (b.prio ?? Infinity) || a.i - b.i);
  const unprioritized = indexed.filter((x) => x.prio === undefined);
  if (unprioritized.length > 1) {
    report(
      ai,
      o,
      "/spec/routes",
      "warning",
      "import/route-order",
      `${unprioritized.length} routes have no priority (${unprioritized.map((x) => `routes[${x.i}]`).join(", ")}): App Mesh orders them itself (by match length, aws/aws-app-mesh-roadmap#77), the import keeps their written order; give them priorities if they overlap`,
    );
  }
  const out: ImportedRoute[] = [];
  for (const { r, i } of indexed) {
    const p = `/spec/routes/${i}`;
    if (!isObject(r)) continue;
    f.use(`${p}/priority`, `${p}/name`);
    const kinds = ["httpRoute", "http2Route", "grpcRoute", "tcpRoute"].filter((k) => r[k] !== undefined);
    if (kinds.length !== 1) {
      report(ai, o, p, "error", "import/invalid", "a route needs exactly one of httpRoute, http2Route, grpcRoute, tcpRoute");
      f.use(p);
      continue;
    }
    const kind = kinds[0];
    const body = r[kind] as Record<string, unknown>;
    const bp = `${p}/${kind}`;
    const got = route(ai, o, f, bp, kind, body, dest, nodes);
    if (!got) continue;
    out.push({ native: o, pointer: p, order: out.length, ...got, ...(typeof r.name === "string" ? { name: r.name } : {}) });
  }
  return out;
}

function route(
  ai: AppMeshImport,
  o: NativeObject,
  f: NativeFields,
  bp: string,
  kind: string,
  body: Record<string, unknown>,
  dest: ServiceRef,
  nodes: (name: string, ns: string) => NodeInfo | undefined,
): Omit<ImportedRoute, "native" | "pointer" | "order" | "name"> | undefined {
  if (!isObject(body)) return undefined;
  const out: Route = {};
  let port: number | undefined;
  let ok = true;
  const m = isObject(body.match) ? body.match : {};
  if (typeof m.port === "number") {
    port = m.port;
    f.use(`${bp}/match/port`);
  }
  if (kind === "grpcRoute") {
    const match = grpcMatch(ai, o, f, `${bp}/match`, m);
    if (match === null) ok = false;
    else if (match) out.match = match;
  } else if (kind !== "tcpRoute") {
    const match = httpMatch(ai, o, f, `${bp}/match`, m);
    if (match === null) ok = false;
    else if (match) out.match = match;
  }
  const targets = weightedTargets(ai, o, f, `${bp}/action/weightedTargets`, isObject(body.action) ? body.action.weightedTargets : undefined, dest, nodes);
  if (!targets) ok = false;
  else if (targets.length > 1 || Object.keys(targets[0]).length) out.split = targets as [SplitTarget, ...SplitTarget[]];
  if (kind !== "tcpRoute") {
    const retries = retryPolicy(ai, o, f, `${bp}/retryPolicy`, body.retryPolicy, kind === "grpcRoute");
    if (retries === null) ok = false;
    else if (retries) out.retries = retries;
    const timeout = isObject(body.timeout) ? body.timeout : undefined;
    const ms = amDurationMs(timeout?.perRequest);
    if (timeout?.perRequest !== undefined) {
      f.use(`${bp}/timeout/perRequest`);
      if (ms === undefined) {
        report(ai, o, `${bp}/timeout/perRequest`, "error", "import/invalid", "perRequest must be {unit: s|ms, value}");
        ok = false;
      } else if (ms > 0) out.timeout = formatDuration(ms);
    } else if (!ai.generated(o)) {
      if (ai.ctx.meshDefaults === "omit") {
        report(
          ai,
          o,
          bp,
          "warning",
          "import/mesh-default",
          `no timeout: App Mesh bounds such a route with its ${APPMESH_DEFAULT_TIMEOUT} default (it cannot be switched off); imported without timeout (--mesh-defaults omit)`,
        );
      } else {
        out.timeout = APPMESH_DEFAULT_TIMEOUT;
        report(
          ai,
          o,
          bp,
          "info",
          "import/mesh-default",
          `no timeout: App Mesh bounds such a route with its ${APPMESH_DEFAULT_TIMEOUT} default request timeout, written out (the model's omitted timeout means none)`,
        );
      }
    }
  }
  return ok ? { route: out, ...(port !== undefined ? { port } : {}) } : undefined;
}

function httpMatch(ai: AppMeshImport, o: NativeObject, f: NativeFields, p: string, m: Record<string, unknown>): Match | undefined | null {
  const out: Match = {};
  let ok = true;
  const bad = (at: string, why: string) => {
    f.use(at);
    report(ai, o, at, "error", "import/unsupported-value", why);
    ok = false;
  };
  if (typeof m.prefix === "string") {
    f.use(`${p}/prefix`);
    if (m.prefix !== "/") out.path = { prefix: m.prefix };
  }
  if (isObject(m.path)) {
    if (typeof m.path.exact === "string") {
      out.path = { exact: m.path.exact };
      f.use(`${p}/path/exact`);
    } else if (typeof m.path.regex === "string") {
      out.path = { regex: m.path.regex };
      f.use(`${p}/path/regex`);
    }
  }
  if (typeof m.method === "string") {
    out.method = m.method as Match["method"];
    f.use(`${p}/method`);
  }
  if (m.scheme !== undefined) bad(`${p}/scheme`, "scheme: the model has no scheme condition, so the route would also select requests of the other scheme");
  if (Array.isArray(m.headers)) {
    m.headers.forEach((h, i) => {
      const hp = `${p}/headers/${i}`;
      if (!isObject(h) || typeof h.name !== "string") return bad(hp, "a header match needs a name");
      const name = h.name.toLowerCase();
      const hm = headerMatch(h.match, h.invert === true);
      if (!hm)
        return bad(
          hp,
          `header ${h.name}: ${h.invert === true ? "an inverted value match" : "a suffix or range match"} has no model equivalent (the model matches exact, prefix, regex, present, absent)`,
        );
      (out.headers ??= {})[name] = hm;
      f.use(hp);
    });
  }
  if (Array.isArray(m.queryParameters)) {
    m.queryParameters.forEach((q, i) => {
      const qp = `${p}/queryParameters/${i}`;
      if (!isObject(q) || typeof q.name !== "string") return bad(qp, "a query parameter match needs a name");
      if (isObject(q.match) && typeof q.match.exact === "string") (out.queryParams ??= {})[q.name] = { exact: q.match.exact };
      else return bad(qp, `query parameter ${q.name}: only an exact match has a model equivalent (a parameter present with any value has none)`);
      f.use(qp);
    });
  }
  if (!ok) return null;
  return Object.keys(out).length ? out : undefined;
}

function headerMatch(v: unknown, invert: boolean): HeaderMatch | undefined {
  if (v === undefined) return { present: !invert };
  if (!isObject(v) || invert) return undefined;
  for (const k of ["exact", "prefix", "regex"] as const) if (typeof v[k] === "string") return { [k]: v[k] } as HeaderMatch;
  return undefined;
}

function grpcMatch(ai: AppMeshImport, o: NativeObject, f: NativeFields, p: string, m: Record<string, unknown>): Match | undefined | null {
  const out: Match = {};
  if (typeof m.serviceName === "string") {
    f.use(`${p}/serviceName`, `${p}/methodName`);
    out.path = typeof m.methodName === "string" ? { exact: `/${m.serviceName}/${m.methodName}` } : { prefix: `/${m.serviceName}/` };
  } else if (m.methodName !== undefined) {
    f.use(`${p}/methodName`);
    report(ai, o, `${p}/methodName`, "error", "import/invalid", "methodName needs serviceName");
    return null;
  }
  if (Array.isArray(m.metadata)) {
    let ok = true;
    m.metadata.forEach((h, i) => {
      const hp = `${p}/metadata/${i}`;
      const hm = isObject(h) && typeof h.name === "string" ? headerMatch(h.match, h.invert === true) : undefined;
      f.use(hp);
      if (!hm || !isObject(h)) {
        report(ai, o, hp, "error", "import/unsupported-value", "a metadata match the model cannot say (suffix, range or an inverted value)");
        ok = false;
        return;
      }
      (out.headers ??= {})[(h.name as string).toLowerCase()] = hm;
    });
    if (!ok) return null;
  }
  return Object.keys(out).length ? out : undefined;
}

/** `weightedTargets` → split targets (`[{}]` for the whole destination); undefined when one cannot be imported. */
function weightedTargets(
  ai: AppMeshImport,
  o: NativeObject,
  f: NativeFields,
  p: string,
  list: unknown,
  dest: ServiceRef,
  nodes: (name: string, ns: string) => NodeInfo | undefined,
): SplitTarget[] | undefined {
  if (!Array.isArray(list) || !list.length) {
    report(ai, o, p, "error", "import/invalid", "a route needs weightedTargets");
    f.use(p);
    return undefined;
  }
  const out: SplitTarget[] = [];
  const weights: number[] = [];
  let ok = true;
  list.forEach((t, i) => {
    const tp = `${p}/${i}`;
    f.use(`${tp}/virtualNodeRef`, `${tp}/weight`, `${tp}/port`);
    if (!isObject(t) || !isObject(t.virtualNodeRef) || typeof t.virtualNodeRef.name !== "string") {
      report(
        ai,
        o,
        tp,
        "error",
        t && isObject(t) && t.virtualNodeARN ? "import/unresolved" : "import/invalid",
        isObject(t) && t.virtualNodeARN
          ? "virtualNodeARN: a VirtualNode of another account (or outside Kubernetes) is outside the model"
          : "a weighted target needs virtualNodeRef.name",
      );
      ok = false;
      return;
    }
    const ns = typeof t.virtualNodeRef.namespace === "string" ? t.virtualNodeRef.namespace : o.namespace;
    const node = nodes(t.virtualNodeRef.name, ns);
    if (!node) {
      report(ai, o, `${tp}/virtualNodeRef`, "error", "import/unresolved", `VirtualNode ${ns}/${t.virtualNodeRef.name} is not among the inputs`);
      ok = false;
      return;
    }
    const sub = subsetOf(ai, node, dest);
    // A VirtualNode standing for another whole Service of the destination's namespace: a split target `service`.
    const other = "reason" in sub && node.service && node.service !== dest.name && node.namespace === dest.namespace ? node.service : undefined;
    if ("reason" in sub && !other) {
      report(
        ai,
        o,
        `${tp}/virtualNodeRef`,
        "error",
        "import/unsupported-value",
        `${sub.reason}: a model route splits a destination's requests across its own subsets and other whole Services of its namespace only`,
      );
      ok = false;
      return;
    }
    const target: SplitTarget = {};
    if (other) target.service = other;
    else if (!("reason" in sub) && sub.labels) target.subset = sub.labels;
    const owner = other ?? dest.name;
    if (typeof t.port === "number") {
      // The target's VirtualNode listener: a pod port, which the model names by the Service port reaching it.
      const sp = ai.ctx.facts.servicePorts(dest.namespace, owner, t.port);
      if (sp.ports.length > 1) {
        report(
          ai,
          o,
          `${tp}/port`,
          "error",
          "import/unsupported-value",
          `pod port ${t.port} is reached by several Service ports of ${dest.namespace}/${owner} (${sp.ports.join(", ")}); the model names a split target's port by its Service port`,
        );
        ok = false;
        return;
      }
      target.port = sp.ports[0] ?? t.port;
    }
    weights.push(typeof t.weight === "number" ? t.weight : 0);
    out.push(target);
  });
  if (!ok) return undefined;
  if (out.length === 1) return out;
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) {
    report(ai, o, p, "error", "import/invalid", "the target weights sum to 0");
    return undefined;
  }
  const scaled = percents(weights);
  if (total !== 100) {
    const exact = weights.every((w) => (w * 100) % total === 0);
    report(
      ai,
      o,
      p,
      exact ? "info" : "warning",
      "import/unsupported-value",
      `App Mesh weights are relative (${weights.join(", ")} of ${total}); the model's are percents: ${scaled.join(", ")}${exact ? "" : " (rounded)"}`,
    );
  }
  out.forEach((t, i) => {
    t.weight = scaled[i];
  });
  return out;
}

const HTTP_EVENTS: Record<string, string> = {
  "server-error": "5xx",
  "gateway-error": "gateway-error",
  "client-error": "retriable-4xx",
  "stream-error": "refused-stream",
};
const GRPC_EVENTS = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** `retryPolicy` → retries; undefined for none (`maxRetries: 0`); null when it cannot be imported. */
function retryPolicy(ai: AppMeshImport, o: NativeObject, f: NativeFields, p: string, v: unknown, grpc: boolean): Retries | undefined | null {
  if (v === undefined) {
    const what = `no retryPolicy: App Mesh retries such a route twice on 503, connection errors, refused streams and resets${grpc ? " and gRPC UNAVAILABLE" : ""} (its default policy, App Mesh user guide envoy-defaults.md)`;
    if (ai.ctx.meshDefaults === "omit") {
      report(ai, o, p.replace(/\/retryPolicy$/, ""), "warning", "import/mesh-default", `${what}; imported without retries (--mesh-defaults omit)`);
      return undefined;
    }
    report(ai, o, p.replace(/\/retryPolicy$/, ""), "info", "import/mesh-default", `${what}: written out as the route's retries`);
    return { attempts: 2, retryOn: ["503", "connect-failure", "refused-stream", "reset", ...(grpc ? ["unavailable"] : [])] as [string, ...string[]] };
  }
  if (!isObject(v)) return null;
  const max = f.take(`${p}/maxRetries`);
  if (typeof max !== "number" || !Number.isInteger(max) || max < 0) {
    report(ai, o, `${p}/maxRetries`, "error", "import/invalid", "maxRetries must be a non-negative integer");
    return null;
  }
  if (max === 0) {
    f.use(p);
    return undefined;
  }
  if (max > 10) {
    report(ai, o, `${p}/maxRetries`, "error", "import/unsupported-value", `maxRetries ${max}: the model allows at most 10 retries`);
    return null;
  }
  const on: string[] = [];
  const events = (key: string, map: (e: string) => string | undefined) => {
    const list = v[key];
    if (!Array.isArray(list)) return;
    f.use(`${p}/${key}`);
    for (const e of list) {
      const m = typeof e === "string" ? map(e) : undefined;
      if (m) {
        if (!on.includes(m)) on.push(m);
      } else
        report(
          ai,
          o,
          `${p}/${key}`,
          "warning",
          "import/unsupported-value",
          `retry event ${JSON.stringify(e)} has no model equivalent: the imported route does not retry on it`,
        );
    }
  };
  events("httpRetryEvents", (e) => HTTP_EVENTS[e]);
  events("tcpRetryEvents", (e) => (e === "connection-error" ? "connect-failure" : undefined));
  events("grpcRetryEvents", (e) => (GRPC_EVENTS.has(e) ? e : undefined));
  if (!on.length) {
    report(ai, o, p, "error", "import/invalid", "a retry policy needs at least one retry event");
    return null;
  }
  const r: Retries = { attempts: max, retryOn: on as [string, ...string[]] };
  const per = amDurationMs(v.perRetryTimeout);
  if (per !== undefined) {
    r.perTryTimeout = formatDuration(per);
    f.use(`${p}/perRetryTimeout`);
  }
  return r;
}
