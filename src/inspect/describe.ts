/**
 * Shared pieces of `inspect`, `explain` and `graph`: where a policy field was written (file:line), and
 * the model's routes, access rules and sources as plain data and one-line texts.
 */
import type { Labels, Match, AccessRule, StringMatch, HeaderOps } from "../api/generated/model.js";
import { type EffectiveAccessRule, type EffectiveRoute, type Entry, type Model, type ResolvedSource, DEFAULT_NAMESPACE } from "../api/model.js";
import { UsageError } from "../api/diagnostics.js";

/** Where an item was written: the policy (`Kind/namespace/name`), its file, line and JSON pointer. */
export interface Origin {
  policy: string;
  file: string;
  /** 1-based; absent for documents built in memory without text (and for policies read from a cluster). */
  line?: number;
  pointer: string;
  /**
   * Live mode (`inspect --applied`): the policy was read back from these cluster objects
   * (`Kind/namespace/name`, e.g. `VirtualService/bookinfo/reviews`) by the mesh's importer; `file` is
   * then `context/<name>` and `pointer` points into the policy as read back (`unimesh import` prints it).
   */
  objects?: string[];
}

const readBack = new WeakMap<Model, { context: string; sources: ReadonlyMap<string, readonly string[]> }>();

/**
 * Live mode (`inspect --applied`): marks a model as read back from a cluster, so that {@link originOf}
 * names the cluster objects instead of file:line. `sources` maps each input `file` of the model to the
 * objects (`Kind/namespace/name`) its document was read from.
 */
export function markReadBack(model: Model, context: string, sources: ReadonlyMap<string, readonly string[]>): void {
  readBack.set(model, { context, sources });
}

/** The origin of `pointer` in an entry's document. */
export function originOf(model: Model, entry: Entry<any>, pointer: string): Origin {
  const rb = readBack.get(model);
  const objects = rb?.sources.get(entry.origin.file);
  if (rb && objects) return { policy: entry.id, file: `context/${rb.context}`, pointer, objects: [...objects] };
  const pos = model.locate(entry.origin, pointer);
  return { policy: entry.id, file: entry.origin.file, ...(pos ? { line: pos.line } : {}), pointer };
}

/** `file:line` (or `file#pointer` when the line is unknown; `context/<name> Kind/ns/name, ...#pointer` for a policy read from a cluster). */
export function where(o: Origin): string {
  if (o.objects) return `${o.file} ${o.objects.join(", ")}#${o.pointer}`;
  return o.line !== undefined ? `${o.file}:${o.line}` : `${o.file}#${o.pointer}`;
}

/** A value of a policy with where it was written. */
export interface Located<T> {
  value: T;
  origin: Origin;
}

/** `{version: v2}` → `version=v2`. */
export function labelsText(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(",");
}

function stringMatchText(m: StringMatch | { present?: boolean }): string {
  const s = m as StringMatch & { present?: boolean };
  if (s.exact !== undefined) return `= ${JSON.stringify(s.exact)}`;
  if (s.prefix !== undefined) return `prefix ${JSON.stringify(s.prefix)}`;
  if (s.regex !== undefined) return `~ /${s.regex}/`;
  return s.present ? "present" : "absent";
}

/** A route match in one line (`path prefix "/a" and header end-user = "jason"`); `every request` when empty. */
export function matchText(m: Match | undefined): string {
  if (!m) return "every request";
  const parts: string[] = [];
  if (m.method) parts.push(`method ${m.method}`);
  if (m.path) parts.push(`path ${stringMatchText(m.path)}`);
  for (const k of Object.keys(m.headers ?? {}).sort()) parts.push(`header ${k} ${stringMatchText(m.headers![k])}`);
  for (const k of Object.keys(m.queryParams ?? {}).sort()) parts.push(`query ${k} ${stringMatchText(m.queryParams![k])}`);
  return parts.length ? parts.join(" and ") : "every request";
}

/** A resolved source in one line: `any caller`, `bookinfo/bookinfo-productpage`, `namespace ops`, ... */
export function sourceText(s: ResolvedSource | undefined): string {
  if (!s) return "any caller (authenticated or not)";
  const pos = [
    ...s.identities.map((i) => ("any" in i ? "any authenticated caller" : `${i.namespace}/${i.serviceAccount}`)),
    ...s.namespaces.map((n) => `namespace ${n}`),
    ...s.workloads.map((w) => `pods {${labelsText(w.labels)}} in ${w.namespace}`),
    ...s.ipBlocks.map((b) => `ip ${b}`),
  ];
  const neg = [
    ...s.notIdentities.map((i) => ("any" in i ? "any authenticated caller" : `${i.namespace}/${i.serviceAccount}`)),
    ...s.notNamespaces.map((n) => `namespace ${n}`),
    ...s.notIpBlocks.map((b) => `ip ${b}`),
  ];
  const head = pos.length ? pos.join(" or ") : "any caller";
  return neg.length ? `${head}, except ${neg.join(", ")}` : head;
}

/** The request conditions of an access rule in one line (`GET on /reviews/*`), `any request` when none. */
export function ruleConditionsText(r: AccessRule, port?: number): string {
  const parts: string[] = [];
  if (r.methods) parts.push(r.methods.join("|"));
  if (r.notMethods) parts.push(`not ${r.notMethods.join("|")}`);
  if (r.paths) parts.push(`on ${r.paths.join(" ")}`);
  if (r.notPaths) parts.push(`not on ${r.notPaths.join(" ")}`);
  if (port !== undefined) parts.push(`port ${port}`);
  if (r.ports) parts.push(`ports ${r.ports.join(",")}`);
  if (r.notPorts) parts.push(`not ports ${r.notPorts.join(",")}`);
  for (const k of Object.keys(r.headers ?? {}).sort()) parts.push(`header ${k} in [${r.headers![k].join(", ")}]`);
  for (const k of Object.keys(r.notHeaders ?? {}).sort()) parts.push(`header ${k} not in [${r.notHeaders![k].join(", ")}]`);
  if (r.requestPrincipals) parts.push(`token principal ${r.requestPrincipals.join(" or ")}`);
  if (r.notRequestPrincipals) parts.push(`token principal not ${r.notRequestPrincipals.join(", ")}`);
  if (r.claims) parts.push(`claims ${JSON.stringify(r.claims)}`);
  if (r.notClaims) parts.push(`not claims ${JSON.stringify(r.notClaims)}`);
  return parts.length ? parts.join(", ") : "any request";
}

/** An access rule as data: action, who, what, and where it was written. */
export interface RuleInfo {
  action: "allow" | "deny";
  /** `service`, `namespace` or `mesh`: the scope of its policy. */
  scope: string;
  source: string;
  request: string;
  origin: Origin;
}

/** Describes an effective access rule. */
export function ruleInfo(model: Model, r: EffectiveAccessRule): RuleInfo {
  return {
    action: r.action,
    scope: r.scope,
    source: sourceText(r.source),
    request: ruleConditionsText(r.rule, r.port),
    origin: originOf(model, r.policy, r.pointer),
  };
}

/** One backend of a route: subset (name and labels) or the whole service, weight in percent, port. */
export interface BackendInfo {
  subset?: string;
  labels?: Labels;
  weight: number;
  port?: number;
  headers?: { request?: HeaderOps; response?: HeaderOps };
}

/** A route of a destination's table as data (settings with their origins). */
export interface RouteInfo {
  /** The built-in proxy's route id (`<policy id>#<pointer>`; `default` for the implicit default route). */
  id: string;
  name?: string;
  origin?: Origin;
  port?: number;
  source: string;
  match: string;
  action: "forward" | "redirect" | "directResponse";
  backends?: BackendInfo[];
  redirect?: Located<unknown>;
  directResponse?: Located<unknown>;
  timeout?: Located<string>;
  retries?: Located<unknown>;
  faultInjection?: Located<unknown>;
  mirror?: Located<unknown>;
  headers?: Located<unknown>;
  rewrite?: Located<unknown>;
  cors?: Located<unknown>;
}

/** The id the builtin adapter gives a route (`src/adapters/builtin/translator.ts`). */
export function routeId(r: EffectiveRoute): string {
  return `${r.policy.id}#${r.pointer}`;
}

/** Describes an effective route. Durations are shown as written in the policy. */
export function routeInfo(model: Model, r: EffectiveRoute): RouteInfo {
  const at = <T>(x: { value: T; pointer: string } | undefined): Located<T> | undefined =>
    x ? { value: x.value, origin: originOf(model, r.policy, x.pointer) } : undefined;
  const raw = (ptr: string): unknown => {
    let v: unknown = r.policy.doc;
    for (const k of ptr.split("/").slice(1)) v = (v as Record<string, unknown> | undefined)?.[k.replace(/~1/g, "/").replace(/~0/g, "~")];
    return v;
  };
  const a = r.action;
  const out: RouteInfo = {
    id: routeId(r),
    ...(r.name ? { name: r.name } : {}),
    origin: originOf(model, r.policy, r.pointer),
    ...(r.port !== undefined ? { port: r.port } : {}),
    source: sourceText(r.source),
    match: matchText(r.match?.value),
    action: a.kind === "split" ? "forward" : a.kind,
  };
  if (a.kind === "split") {
    out.backends = a.targets.map((t) => ({
      ...(t.subset ? { subset: t.subset.name, labels: t.subset.labels } : {}),
      weight: t.weight,
      ...(t.port !== undefined ? { port: t.port } : {}),
      ...(t.headers ? { headers: t.headers.value } : {}),
    }));
  } else if (a.kind === "redirect") out.redirect = { value: a.redirect, origin: originOf(model, r.policy, a.pointer) };
  else out.directResponse = { value: a.directResponse, origin: originOf(model, r.policy, a.pointer) };
  // The timeout as written (`3s`), not in milliseconds.
  if (r.timeout) out.timeout = { value: String(raw(r.timeout.pointer) ?? `${r.timeout.value}ms`), origin: originOf(model, r.policy, r.timeout.pointer) };
  for (const k of ["retries", "faultInjection", "mirror", "headers", "rewrite", "cors"] as const) {
    const v = at(r[k] as { value: unknown; pointer: string } | undefined);
    if (v) out[k] = v;
  }
  return out;
}

/** Compact JSON of a value for text output (`{attempts: 2, ...}` style, keys as written). */
export function brief(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v !== "object" || v === null) return String(v);
  if (Array.isArray(v)) return `[${v.map(brief).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${k}: ${brief(x)}`)
    .join(", ")}}`;
}

/** One line for a backend: `subset v1 (version=v1) 90%`. */
export function backendText(b: BackendInfo): string {
  const what = b.subset ? `subset ${b.subset} (${labelsText(b.labels ?? {})})` : "all endpoints";
  return `${what}${b.port !== undefined ? ` port ${b.port}` : ""} ${b.weight}%${b.headers ? ` headers ${brief(b.headers)}` : ""}`;
}

/** The error for an unknown `namespace/service`: the known ones, the closest first when there is one. */
export function unknownService(key: string, known: readonly string[]): UsageError {
  const sorted = [...known].sort();
  const close = sorted
    .map((k) => [k, distance(k, key)] as const)
    .filter(([, d]) => d <= 3)
    .sort((a, b) => a[1] - b[1])[0]?.[0];
  return new UsageError(`unknown service ${key}${close ? ` (did you mean ${close}?)` : ""}; the model knows: ${sorted.join(", ") || "no service"}`);
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** Parses `<namespace>/<name>` (namespace optional: `default`). @throws UsageError naming the flag. */
export function parseRef(value: string, what: string): { namespace: string; name: string } {
  const m = /^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
  if (!m) throw new UsageError(`${what} "${value}": expected <namespace>/<name> (DNS-1123 names, e.g. bookinfo/reviews)`);
  return { namespace: m[1] ?? DEFAULT_NAMESPACE, name: m[3] };
}
