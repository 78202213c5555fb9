/**
 * Where the policies use each model feature, and the core's side of the feature contract: a feature an
 * adapter declares `none` for (in `capabilities(version)`) is an `adapter/unsupported-feature` error
 * wherever a policy uses it, when the adapter itself said nothing about that use. So an adapter (a
 * third-party one included) that forgets a feature it cannot express never drops it silently.
 */
import type { Capabilities } from "./adapter.js";
import { type Diagnostic, adapterCode } from "./diagnostics.js";
import { FEATURES, type Feature } from "./features.js";
import type { AccessPolicy, MTLSPolicy, RequestAuthentication, TrafficPolicy, WasmExtension } from "./generated/model.js";
import type { Entry, Model } from "./model.js";

/** One use of a feature: the policy and the JSON pointer (in its document) of the field that asks for it. */
export interface FeatureUse {
  feature: Feature;
  entry: Entry<TrafficPolicy | AccessPolicy | MTLSPolicy | RequestAuthentication | WasmExtension>;
  pointer: string;
}

/** Settings a TrafficPolicy may set for every route (`spec.<k>`) and per route (`spec.routes[].<k>`). */
const ROUTE_SETTINGS = ["timeout", "retries", "faultInjection", "mirror", "headers", "cors"] as const satisfies readonly Feature[];
/** Per-route only. */
const ROUTE_ACTIONS = ["match", "split", "redirect", "directResponse", "rewrite"] as const satisfies readonly Feature[];
/** Destination-level settings of a TrafficPolicy (`spec.<k>`). */
const DESTINATION_SETTINGS = ["outlierDetection", "connectionPool", "loadBalancer", "rateLimit", "subsetSettings"] as const satisfies readonly Feature[];
const NEGATIVE_SOURCE = ["notServiceAccounts", "notNamespaces", "notIpBlocks"] as const;
const NEGATIVE_RULE = ["notMethods", "notPaths", "notPorts", "notHeaders"] as const;
const L7_RULE = ["methods", "paths", "ports", "headers"] as const;
const JWT_RULE = ["requestPrincipals", "notRequestPrincipals", "claims", "notClaims"] as const;

/**
 * Every feature {@link featureUses} finds, each once: a new `Feature` does not compile until it is found
 * here (and a test checks each on its golden case).
 */
const FOUND: Readonly<Record<Feature, true>> = {
  match: true,
  split: true,
  timeout: true,
  retries: true,
  faultInjection: true,
  mirror: true,
  headers: true,
  cors: true,
  rewrite: true,
  redirect: true,
  directResponse: true,
  outlierDetection: true,
  connectionPool: true,
  loadBalancer: true,
  rateLimit: true,
  mtls: true,
  access: true,
  accessL7: true,
  accessNegation: true,
  scope: true,
  requestAuthentication: true,
  trafficSource: true,
  subsetSettings: true,
  crossCluster: true,
  wasmExtension: true,
};

const has = (o: object | undefined, k: string) => !!o && (o as Record<string, unknown>)[k] !== undefined;

/**
 * The uses of `only` (default: every feature) in the model's policies, in document order:
 * - TrafficPolicy: `spec.source` (trafficSource); `spec.<setting>` and `spec.routes[i].<setting>` of the
 *   route settings; `spec.routes[i].{match, split, redirect, directResponse, rewrite}`;
 *   `spec.routes[i].split[j].headers` (headers); the destination settings (outlierDetection,
 *   connectionPool, loadBalancer, rateLimit, subsetSettings);
 * - AccessPolicy: the policy (`/spec`: access); `methods`, `paths`, `ports`, `headers` of its rules
 *   (accessL7); the `not*` lists of its sources and rules (accessNegation); `requestPrincipals`,
 *   `notRequestPrincipals`, `claims`, `notClaims` of its rules (requestAuthentication);
 * - crossCluster: a split target in another member than the one translated for (`.../split/<j>/cluster`),
 *   a TrafficPolicy `failover` naming another member (`/spec/failover`),
 *   an AccessPolicy source whose `clusters` name another member (`.../source/clusters`);
 * - RequestAuthentication: the policy (`/spec`: requestAuthentication);
 * - WasmExtension: the policy (`/spec`: wasmExtension);
 * - MTLSPolicy: the policy (`/spec`: mtls);
 * - an AccessPolicy or MTLSPolicy without destination (namespace- or mesh-wide): scope, at `/spec/scope`
 *   when it says `scope: mesh`, else `/spec`.
 */
export function featureUses(model: Model, only: ReadonlySet<Feature> = new Set(Object.keys(FOUND) as Feature[])): FeatureUse[] {
  const out: FeatureUse[] = [];
  const use = (feature: Feature, entry: FeatureUse["entry"], pointer: string) => {
    if (only.has(feature)) out.push({ feature, entry, pointer });
  };
  for (const e of model.trafficPolicies) {
    const spec = e.doc.spec;
    if (spec.source) use("trafficSource", e, "/spec/source");
    for (const k of ROUTE_SETTINGS) if (has(spec, k)) use(k, e, `/spec/${k}`);
    (spec.routes ?? []).forEach((r, i) => {
      for (const k of ROUTE_ACTIONS) if (has(r, k)) use(k, e, `/spec/routes/${i}/${k}`);
      for (const k of ROUTE_SETTINGS) if (has(r, k)) use(k, e, `/spec/routes/${i}/${k}`);
      (r.split ?? []).forEach((t, j) => {
        if (t.headers) use("headers", e, `/spec/routes/${i}/split/${j}/headers`);
        if (model.remoteMember(t.cluster)) use("crossCluster", e, `/spec/routes/${i}/split/${j}/cluster`);
      });
    });
    for (const k of DESTINATION_SETTINGS) if (has(spec, k)) use(k, e, `/spec/${k}`);
    if (spec.failover?.clusters.some((c) => model.remoteMember(c))) use("crossCluster", e, "/spec/failover");
  }
  for (const e of model.accessPolicies) {
    const spec = e.doc.spec;
    use("access", e, "/spec");
    if (!spec.destination) use("scope", e, spec.scope !== undefined ? "/spec/scope" : "/spec");
    for (const k of NEGATIVE_SOURCE) if (has(spec.source, k)) use("accessNegation", e, `/spec/source/${k}`);
    if (remoteClusters(model, spec.source?.clusters)) use("crossCluster", e, "/spec/source/clusters");
    for (const action of ["allow", "deny"] as const) {
      (spec[action] ?? []).forEach((rule, i) => {
        const at = `/spec/${action}/${i}`;
        for (const k of L7_RULE) if (has(rule, k)) use("accessL7", e, `${at}/${k}`);
        for (const k of NEGATIVE_SOURCE) if (has(rule.source, k)) use("accessNegation", e, `${at}/source/${k}`);
        if (remoteClusters(model, rule.source?.clusters)) use("crossCluster", e, `${at}/source/clusters`);
        for (const k of NEGATIVE_RULE) if (has(rule, k)) use("accessNegation", e, `${at}/${k}`);
        for (const k of JWT_RULE) if (has(rule, k)) use("requestAuthentication", e, `${at}/${k}`);
      });
    }
  }
  for (const e of model.mtlsPolicies) {
    use("mtls", e, "/spec");
    if (!e.doc.spec.destination) use("scope", e, e.doc.spec.scope !== undefined ? "/spec/scope" : "/spec");
  }
  for (const e of model.requestAuthentications) use("requestAuthentication", e, "/spec");
  for (const e of model.wasmExtensions) use("wasmExtension", e, "/spec");
  return out;
}

/** True when `source.clusters` names another member than the one translated for (`*` does when there is one). */
export function remoteClusters(model: Model, names: readonly string[] | undefined): boolean {
  if (!names) return false;
  return (model.virtualMesh?.doc.spec.members ?? []).some((m) => m.name !== model.member && (names.includes("*") || names.includes(m.name)));
}

/** True when `a` is `b`, or one contains the other (`/spec/routes/0` and `/spec/routes/0/retries`). */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(b + "/") || b.startsWith(a + "/");
}

/**
 * The `adapter/unsupported-feature` errors the core adds for one translation: one per use of a feature
 * the adapter declares `none` for (or does not declare: an adapter written before the feature existed),
 * unless the adapter reported about that use itself (an error or a
 * warning — e.g. an approximation the user opted into — about that policy, tagged with the feature or at
 * a pointer that contains or is contained in the use's).
 * @param reported the adapter's diagnostics for this translation.
 * @param mesh `name@version`, for the message and `Diagnostic.adapter`.
 */
export function undeclaredUses(model: Model, capabilities: Partial<Capabilities>, reported: readonly Diagnostic[], mesh: string): Diagnostic[] {
  // A feature the adapter does not declare at all (an adapter older than the feature) counts as `none`.
  const none = new Set(FEATURES.filter((f) => (capabilities[f]?.support ?? "none") === "none"));
  if (!none.size) return [];
  const uses = featureUses(model, none);
  if (!uses.length) return [];
  const byPolicy = new Map<string, Diagnostic[]>();
  for (const d of reported) {
    if (d.severity === "info") continue;
    for (const p of [d.policy, ...(d.relatedPolicies ?? [])]) {
      if (p === undefined) continue;
      const list = byPolicy.get(p);
      if (list) list.push(d);
      else byPolicy.set(p, [d]);
    }
  }
  const out: Diagnostic[] = [];
  for (const u of uses) {
    const said = (byPolicy.get(u.entry.id) ?? []).some((d) => d.feature === u.feature || (d.pointer !== undefined && overlaps(d.pointer, u.pointer)));
    if (said) continue;
    const note = capabilities[u.feature]?.note;
    const d = model.diagnostic(u.entry, u.pointer, {
      code: adapterCode("unsupported-feature", u.feature),
      severity: "error",
      message: `${u.feature}: ${mesh} does not support it (its adapter declares no support for ${u.feature}${note ? `: ${note}` : ""}), so this policy cannot be translated for it; remove the field or target another mesh (see \`unimesh meshes\`)`,
      feature: u.feature,
    });
    d.adapter = mesh;
    out.push(d);
  }
  return out;
}
