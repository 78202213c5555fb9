/**
 * `ServiceProfile` (linkerd.io/v1alpha2) → a TrafficPolicy for the Service it is named after
 * (`<svc>.<ns>.svc.<clusterDomain>`), the reverse of the adapter's features/serviceProfile.ts
 * (`2.14/reference/service-profiles.md`):
 * - `routes[]` are matched in order, first match wins, as the model's routes: `condition` {pathRegex
 *   (anchored by Linkerd), method, all} → match; `any` and `not` have no model equivalent (error: the route
 *   would match other requests);
 * - `timeout` → route timeout; `isRetryable` → retries on 5xx. A ServiceProfile has no attempt count (a
 *   retry budget bounds the retries of the whole Service: `retryBudget`), so the imported routes retry
 *   `attempts: 1` per request, with a warning; `responseClasses` (what counts as a failure) have no
 *   model equivalent (warning);
 * - `dstOverrides` (weighted `authority`s, Linkerd's older traffic split) → a split of every route to the
 *   subsets the authorities name (`<service>-<subset>`), as routes.ts reads backendRefs;
 * - while a ServiceProfile exists, Linkerd ignores the Service's HTTPRoutes and its retry, timeout and
 *   failure-accrual annotations: those are reported and not imported (see index.ts).
 */
import type { Match, Route, SplitTarget, TrafficPolicy, TrafficPolicySpec } from "../../../api/generated/model.js";
import { type NativeObject, isObject } from "../../../api/import-contract.js";
import { type LinkerdImport, type ServiceRef, duration, readRegex, report, sourcePolicies } from "./context.js";
import { subsetOfBackend } from "./routes.js";

const API_VERSION = "unimesh.io/v1alpha1" as const;

/** The Service a ServiceProfile is named after, or undefined. */
export function profiledService(li: LinkerdImport, o: NativeObject): ServiceRef | undefined {
  const suffix = `.svc.${li.clusterDomain}`;
  if (!o.name.endsWith(suffix)) return undefined;
  const parts = o.name.slice(0, -suffix.length).split(".");
  if (parts.length !== 2 || parts[1] !== o.namespace) return undefined;
  return { namespace: parts[1], name: parts[0] };
}

/** Imports the ServiceProfiles; returns the TrafficPolicies. */
export function serviceProfiles(li: LinkerdImport, profiles: readonly NativeObject[]): { doc: TrafficPolicy; from: NativeObject[] }[] {
  const out: { doc: TrafficPolicy; from: NativeObject[] }[] = [];
  for (const o of profiles) {
    const f = li.ctx.fields(o);
    const svc = profiledService(li, o);
    if (!svc) {
      li.ctx.ignore(o);
      report(
        li,
        o,
        "/metadata/name",
        "warning",
        "import/ignored",
        `a ServiceProfile applies to the Service whose FQDN is its name (<service>.<namespace>.svc.${li.clusterDomain}, in that namespace); ${o.name} in namespace ${o.namespace} names none, so Linkerd never uses it: not imported`,
      );
      continue;
    }
    const spec = (o.object.spec ?? {}) as Record<string, unknown>;
    f.use("/spec/retryBudget");
    if (Array.isArray(spec.routes) && spec.routes.some((r) => isObject(r) && r.isRetryable)) {
      report(
        li,
        o,
        spec.retryBudget !== undefined ? "/spec/retryBudget" : "/spec",
        "warning",
        "import/unsupported-value",
        `a retry budget (${spec.retryBudget !== undefined ? "retryRatio, minRetriesPerSecond, ttl" : "Linkerd's default: 20% more requests plus 10 retries per second"}) bounds the retries of the whole Service, with no count per request, which the model cannot say: the imported retryable routes retry once per request (attempts: 1)`,
      );
    }
    const routes: Route[] = [];
    f.use("/spec/routes");
    const list = Array.isArray(spec.routes) ? spec.routes : [];
    list.forEach((r, i) => {
      const at = `/spec/routes/${i}`;
      if (!isObject(r)) return report(li, o, at, "error", "import/invalid", "a route is not a mapping");
      for (const k of Object.keys(r)) {
        if (k === "responseClasses")
          report(
            li,
            o,
            `${at}/responseClasses`,
            "warning",
            "import/unsupported-field",
            "responseClasses (which responses count as failures, for retries and metrics) have no model equivalent: the imported retries count 5xx as failures",
          );
        else if (!["name", "condition", "timeout", "isRetryable"].includes(k))
          report(li, o, `${at}/${k}`, "warning", "import/unsupported-field", `routes[].${k} has no model equivalent`);
      }
      const match = condition(li, o, `${at}/condition`, r.condition);
      if (match === null) return;
      const route: Route = {};
      if (typeof r.name === "string" && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(r.name)) route.name = r.name;
      if (Object.keys(match).length) route.match = match;
      const t = duration(li, o, f, `${at}/timeout`, r.timeout);
      if (t) route.timeout = t;
      if (r.isRetryable === true) route.retries = { attempts: 1, retryOn: ["5xx"] };
      routes.push(route);
    });
    // Routes that only name requests (for per-route metrics) change nothing at their end of the table.
    while (routes.length && !routes[routes.length - 1].timeout && !routes[routes.length - 1].retries) routes.pop();
    if (list.length && !routes.length)
      report(
        li,
        o,
        "/spec/routes",
        "info",
        "import/ignored",
        "no route sets a timeout or retries: these routes only name requests for Linkerd's per-route metrics, which the model does not carry",
      );
    const split = dstOverrides(li, o, svc, spec.dstOverrides);
    f.use("/spec/dstOverrides");
    if (split) for (const r of routes) r.split = split;
    if (spec.opaquePorts !== undefined)
      report(
        li,
        o,
        "/spec/opaquePorts",
        "warning",
        "import/unsupported-field",
        "opaquePorts (ports proxied as opaque TCP) are outside the model: not imported",
      );
    f.use("/spec/opaquePorts");
    const ref = sourcePolicies(o, "TrafficPolicy")?.[0];
    const ts: TrafficPolicySpec = { destination: { service: svc.name } };
    if (routes.length) ts.routes = routes as [Route, ...Route[]];
    else if (split) ts.routes = [{ split }];
    else continue;
    out.push({
      doc: { apiVersion: API_VERSION, kind: "TrafficPolicy", metadata: { name: ref?.name ?? svc.name, namespace: ref?.namespace ?? svc.namespace }, spec: ts },
      from: [o],
    });
  }
  return out;
}

/** A ServiceProfile condition → model match; null when it cannot be carried (reported). */
function condition(li: LinkerdImport, o: NativeObject, at: string, c: unknown): Match | null {
  if (!isObject(c)) {
    report(li, o, at, "error", "import/invalid", "a route needs a condition");
    return null;
  }
  const parts: [Record<string, unknown>, string][] = [];
  const flatten = (x: Record<string, unknown>, p: string): boolean => {
    for (const k of Object.keys(x)) {
      if (k === "all" && Array.isArray(x.all)) {
        for (const [i, y] of x.all.entries()) if (!isObject(y) || !flatten(y, `${p}/all/${i}`)) return false;
      } else if (k === "pathRegex" || k === "method") parts.push([{ [k]: x[k] }, `${p}/${k}`]);
      else {
        report(
          li,
          o,
          `${p}/${k}`,
          "error",
          "import/unsupported-value",
          `a condition with ${k} has no model equivalent (a route matches one path and one method, ANDed): the route is not imported`,
        );
        return false;
      }
    }
    return true;
  };
  if (!flatten(c, at)) return null;
  const m: Match = {};
  for (const [p, ptr] of parts) {
    if (p.method !== undefined) {
      if (m.method && m.method !== p.method) {
        report(li, o, ptr, "error", "import/unsupported-value", "two methods ANDed match nothing");
        return null;
      }
      m.method = p.method as Match["method"];
    } else {
      if (m.path) {
        report(li, o, ptr, "error", "import/unsupported-value", "two path conditions ANDed: the model matches one path");
        return null;
      }
      const re = String(p.pathRegex);
      // Linkerd anchors pathRegex (^...$).
      const r = readRegex(re.startsWith("^") ? re : `^${re}$`.replace(/\$\$$/, "$"));
      if (r.kind === "exact") m.path = { exact: r.value };
      else if (r.kind === "prefix") {
        if (r.value && r.value !== "/") m.path = { prefix: r.value };
      } else if (r.kind === "suffix") m.path = { regex: `.*${re.replace(/^\^\.\*/, "").replace(/\$$/, "")}` };
      else m.path = { regex: r.value };
    }
  }
  return m;
}

/** dstOverrides → split targets (subsets of the service, other Services of its namespace); undefined when none or only the service itself. */
function dstOverrides(li: LinkerdImport, o: NativeObject, svc: ServiceRef, v: unknown): Route["split"] | undefined {
  if (!Array.isArray(v) || !v.length) return undefined;
  const suffix = `.${svc.namespace}.svc.${li.clusterDomain}`;
  const targets: { name: string; weight: number; port?: number }[] = [];
  for (const [i, d] of v.entries()) {
    const at = `/spec/dstOverrides/${i}`;
    if (!isObject(d) || typeof d.authority !== "string") {
      report(li, o, at, "error", "import/invalid", "a dstOverride needs an authority");
      return undefined;
    }
    const [host, port] = d.authority.split(":");
    if (!host.endsWith(suffix)) {
      report(
        li,
        o,
        `${at}/authority`,
        "error",
        "import/unsupported-value",
        `${d.authority} is not a Service of namespace ${svc.namespace}: the model splits between subsets of the destination and other Services of its namespace`,
      );
      return undefined;
    }
    const w =
      typeof d.weight === "string"
        ? /^([0-9]+)m$/.exec(d.weight)
          ? Number(d.weight.slice(0, -1)) / 10
          : Number(d.weight) * 100
        : typeof d.weight === "number"
          ? d.weight * 100
          : NaN;
    if (!Number.isFinite(w)) {
      report(li, o, `${at}/weight`, "error", "import/invalid", "weight is not a quantity (e.g. 500m)");
      return undefined;
    }
    targets.push({ name: host.slice(0, -suffix.length), weight: w, ...(port ? { port: Number(port) } : {}) });
  }
  const total = targets.reduce((s, t) => s + t.weight, 0) || 1;
  const split: SplitTarget[] = [];
  for (const t of targets) {
    const pct = Math.round((t.weight * 100) / total);
    if (t.name === svc.name) {
      split.push({ weight: pct });
      continue;
    }
    const sub = subsetOfBackend(li, svc, t.name);
    if ("service" in sub) {
      split.push({ service: sub.service, weight: pct });
      continue;
    }
    if (sub.guessed)
      report(
        li,
        o,
        "/spec/dstOverrides",
        "warning",
        "import/unresolved",
        `${t.name} is read as the pods of ${svc.name} labelled version: ${t.name.slice(svc.name.length + 1)} (unimesh's convention), since nothing says which pods it selects: give the Service ${t.name} with the inputs`,
      );
    split.push({ subset: sub.ref, weight: pct });
  }
  if (split.length === 1 && !split[0].subset && !split[0].service) return undefined;
  return split as Route["split"];
}
