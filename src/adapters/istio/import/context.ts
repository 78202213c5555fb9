/**
 * What every part of the Istio importer shares: the import context, host and principal parsing (the
 * reverse of the adapter's `ic.host` and `principal`), durations, and the objects' generated-by-unimesh
 * provenance.
 */
import { type ImportContext, type ImportReport, type NativeFields, type NativeObject, isObject, nativeDurationMs } from "../../../api/import-contract.js";
import { formatDuration } from "../../../api/duration.js";
import { type PolicyRef, generatedFrom } from "../../../api/ownership.js";

/** The Istio importer's view of one import. */
export interface IstioImport {
  readonly ctx: ImportContext;
  /** `clusterDomain` setting (host suffix `svc.<clusterDomain>`). @default "cluster.local" */
  readonly clusterDomain: string;
  /** `rootNamespace` setting: policies there apply to the whole mesh. @default "istio-system" */
  readonly rootNamespace: string;
}

/** A service of the mesh. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/** Builds the importer's context from the import context. */
export function istioImport(ctx: ImportContext): IstioImport {
  return { ctx, clusterDomain: ctx.settings.clusterDomain ?? "cluster.local", rootNamespace: ctx.settings.rootNamespace ?? "istio-system" };
}

/**
 * The service a host names, as Istio resolves VirtualService/DestinationRule hosts: a short name is in
 * the object's namespace (`reviews`), `reviews.bookinfo` and `reviews.bookinfo.svc` and the FQDN
 * `reviews.bookinfo.svc.<clusterDomain>` name Service `reviews` of namespace `bookinfo`. Undefined for
 * wildcards and hosts outside the cluster (ServiceEntry hosts, e.g. `www.googleapis.com`).
 */
export function serviceOfHost(ii: IstioImport, host: unknown, objectNamespace: string): ServiceRef | undefined {
  if (typeof host !== "string" || host.includes("*")) return undefined;
  const parts = host.split(".");
  const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  if (!parts.every((p) => label.test(p))) return undefined;
  if (parts.length === 1) return { namespace: objectNamespace, name: parts[0] };
  if (parts.length === 2) return { namespace: parts[1], name: parts[0] };
  if (parts[2] !== "svc") return undefined;
  const rest = parts.slice(3).join(".");
  if (rest !== "" && rest !== ii.clusterDomain) return undefined;
  return { namespace: parts[1], name: parts[0] };
}

/** `reviews.bookinfo.svc.cluster.local` (the adapter's host form). */
export function hostOf(ii: IstioImport, s: ServiceRef): string {
  return `${s.name}.${s.namespace}.svc.${ii.clusterDomain}`;
}

/**
 * A service account reference (`sa` in the policy's namespace, `ns/sa` elsewhere) for an Istio
 * principal `<trustDomain>/ns/<ns>/sa/<sa>`; `*` for `*`; otherwise the reason it cannot be read.
 */
export function serviceAccountOfPrincipal(ii: IstioImport, p: unknown, policyNamespace: string): { sa: string } | { namespaceOf: string } | { reason: string } {
  if (typeof p !== "string") return { reason: "is not a string" };
  if (p === "*") return { sa: "*" };
  const m = /^([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p);
  if (!m)
    return {
      reason: `"${p}" is not a principal of the form <trust domain>/ns/<namespace>/sa/<service account> (prefix and suffix wildcards such as "*/ns/foo/*" have no model equivalent)`,
    };
  const [, td, ns, sa] = m;
  if (td !== ii.ctx.trustDomain) {
    return {
      reason: `"${p}" is in trust domain ${td === "*" ? "*" : `"${td}"`}, not the import's ${ii.ctx.trustDomain}${td === "*" ? "" : ` (give --set trustDomain=${td} if that is the mesh's trust domain)`}`,
    };
  }
  if (ns.includes("*")) return { reason: `"${p}": a wildcard namespace has no model equivalent` };
  if (sa === "*") return { namespaceOf: ns };
  if (sa.includes("*")) return { reason: `"${p}": a service-account wildcard has no model equivalent` };
  return { sa: ns === policyNamespace ? sa : `${ns}/${sa}` };
}

/** A model duration for a native one, reporting a rounding at `pointer`; undefined (reported) when invalid. */
export function duration(ii: IstioImport, o: NativeObject, f: NativeFields, pointer: string): string | undefined {
  const v = f.take(pointer);
  if (v === undefined) return undefined;
  const d = nativeDurationMs(v);
  if (!d) {
    report(ii, o, pointer, "error", "import/invalid", `${JSON.stringify(v)} is not a duration`);
    return undefined;
  }
  if (!d.exact) report(ii, o, pointer, "warning", "import/unsupported-value", `${v} is written ${formatDuration(d.ms)}: the model counts whole milliseconds`);
  return formatDuration(d.ms);
}

/** Shorthand for `ctx.report`. */
export function report(
  ii: IstioImport,
  o: NativeObject,
  pointer: string,
  severity: ImportReport["severity"],
  code: ImportReport["code"],
  message: string,
): void {
  ii.ctx.report(o, pointer, { code, severity, message });
}

/** The policies a generated object came from (see `generatedFrom`), of one kind. */
export function sourcePolicies(o: NativeObject, kind: string): PolicyRef[] | undefined {
  const refs = generatedFrom(o.object);
  return refs?.filter((r) => r.kind === kind);
}

/** The labels of a `selector.matchLabels` (or EnvoyFilter `workloadSelector.labels`), when a string map. */
export function labelsAt(f: NativeFields, pointer: string): Record<string, string> | undefined {
  const v = f.get(pointer);
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === "string")) return undefined;
  return v as Record<string, string>;
}

/** The string values of a list field, or undefined when it is not a list of strings. */
export function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}
