/**
 * `explain(model, request)`: what happens to ONE request, decided by the built-in proxy's own decision
 * functions (src/proxy/decide.ts: route selection, upstream request, mTLS mode, access) over the model
 * compiled as `unimesh up` runs it, so `explain` and the running proxy cannot disagree. Then, per mesh,
 * whether that mesh would decide the same (from its adapter's diagnostics about the policies involved).
 *
 * The request travels as it does through the built-in proxy:
 * - from a workload (`--from <ns>/<serviceAccount>`): through its outbound listener, where the route is
 *   chosen (CORS preflight, fault abort, redirect and direct response are answered there), then over
 *   mutual TLS (plaintext when the destination's mode is `disabled`: the destination then sees no identity)
 *   to the destination's inbound listener: path normalization, request authentication (JWT), access;
 * - `unauthenticated`: in plaintext straight to the destination's inbound listener (no caller-side proxy,
 *   so no route): refused when the destination's mode is `strict`, else authentication and access.
 * The caller's pod labels (for routes with `source.workloads`) are the selector of the service that runs
 * as its service account, when exactly one does.
 */
import type { IncomingHttpHeaders } from "node:http";
import { UsageError } from "../api/diagnostics.js";
import type { EffectiveAccessRule, Model } from "../api/model.js";
import type { CompiledConfig, RtRoute, RtService } from "../proxy/config/compile.js";
import { appRequestHeaders } from "../proxy/net/http.js";
import { decideAccess, peerAtDestination, portMode, selectRoute, upstreamRequest } from "../proxy/decide.js";
import { normalizePath } from "../proxy/features/pathNormalization.js";
import { peerOf, type Peer } from "../proxy/features/trafficSource.js";
import { isPreflight } from "../proxy/features/cors.js";
import { redirectLocation } from "../proxy/features/redirect.js";
import { authenticate } from "../proxy/decide.js";
import { compileModel } from "./local-mesh.js";
import { type Origin, type RouteInfo, type RuleInfo, originOf, routeInfo, ruleInfo, unknownService, where } from "./describe.js";
import { type InvolvedPolicy, type MeshTarget, type MeshVerdict, translations, verdicts } from "./meshes.js";

/** The request to explain. */
export interface ExplainRequest {
  /** The calling workload's identity, or `unauthenticated` (plaintext, no mesh identity). */
  from: { namespace: string; serviceAccount: string } | "unauthenticated";
  /** The destination service and Service port (default: its only port, else 80, else its first). */
  to: { namespace: string; service: string; port?: number };
  method: string;
  /** Path as sent, with an optional `?query`. */
  path: string;
  /** Request headers (names case-insensitive). */
  headers?: Record<string, string>;
}

/** Options of {@link explain}. */
export interface ExplainOptions {
  /** Meshes to compare with (none: no comparison). */
  meshes?: readonly MeshTarget[];
}

/** The access decision at the destination. */
export interface AccessInfo {
  /** False when no AccessPolicy selects the destination (every request passes). */
  selected: boolean;
  allowed: boolean;
  /** The rule that decided; absent for the default deny (and when nothing is selected). */
  rule?: RuleInfo;
  /** True when no allow rule matched (deny by default). */
  defaultDeny: boolean;
  /** The AccessPolicies of the destination (ids). */
  policies: string[];
  reason: string;
}

/** The outcome for one backend of the chosen route (access is decided where the request arrives). */
export interface BackendOutcome {
  subset?: string;
  weight: number;
  decision: "allowed" | "denied";
  /** The HTTP status the destination's proxy answers with when it refuses (400, 401, 403). */
  status?: number;
  access?: AccessInfo;
  reason: string;
}

/** What {@link explain} says about a request. */
export interface Explanation {
  request: { from: string; to: string; port: number; method: string; path: string; normalizedPath?: string; headers: Record<string, string> };
  /** The caller's SPIFFE ID (none for `unauthenticated`) and the identity the destination sees. */
  caller: {
    identity?: string;
    seenAs: string;
    /** The pod labels routes see (`source.workloads`): the selector of the one service running as the identity. */
    labels?: Record<string, string>;
    /** False when no service the model knows runs as the identity (a typo?). */
    known: boolean;
  };
  /** mTLS mode of the destination port, and the policy field that sets it (none: the default, permissive). */
  mtls: { mode: string; origin?: Origin };
  /**
   * `allowed`: the request reaches the app (or is answered by a route: redirect, direct response, fault,
   * CORS preflight); `denied`: a proxy refuses it (access denied 403, invalid token 401, plaintext on a
   * strict port, a path that cannot be normalized 400). With several backends that decide differently,
   * `denied` when any does (see `backends`).
   */
  decision: "allowed" | "denied";
  /** Who answers: the app, the caller's proxy (routes' redirect, direct response, fault abort, no route), or the destination's proxy (refusals). */
  answeredBy: "app" | "caller-proxy" | "destination-proxy";
  /** The status a proxy answers with (absent when the app answers). */
  status?: number;
  reason: string;
  route?: RouteInfo & { rewrittenPath?: string; location?: string };
  /** Decisions at the destination, per backend of the route (one entry without a route). */
  backends: BackendOutcome[];
  /** Percent chances of the route's fault injection (a delay, an abort): informative, drawn per request. */
  faults?: { delayPercent?: number; abortPercent?: number; abortStatus?: number };
  meshes: MeshVerdict[];
}

/**
 * Explains one request against a model.
 * @throws UsageError for an unknown destination service or port; InvalidInputError when the builtin
 *   adapter cannot translate the model (the built-in proxy is the reference of the decision).
 */
export async function explain(model: Model, request: ExplainRequest, options: ExplainOptions = {}): Promise<Explanation> {
  const { compiled } = compileModel(model);
  const svc = findService(compiled, request.to.namespace, request.to.service);
  const sp = svc.portOf(request.to.port);
  if (!sp) throw new UsageError(`${svc.key} has no port ${request.to.port}; its ports: ${svc.ports.map((p) => p.port).join(", ")}`);
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) {
    const name = k.toLowerCase();
    headers[name] = headers[name] === undefined ? v : `${String(headers[name])},${v}`;
  }
  const q = request.path.indexOf("?");
  const rawPath = q < 0 ? request.path : request.path.slice(0, q);
  const query = q < 0 ? "" : request.path.slice(q + 1);
  const method = request.method.toUpperCase();
  const authority = `${svc.name}.${svc.namespace}:${sp.port}`;
  if (headers.host === undefined) headers.host = authority;

  const mode = portMode(compiled, svc, sp);
  const mtlsEffective = model.mtlsMode(svc.namespace, svc.name, sp.port);
  let caller: Peer;
  let labels: Record<string, string> | undefined;
  let known = true;
  if (request.from === "unauthenticated") caller = { label: "unknown", address: "127.0.0.1" };
  else {
    caller = peerOf(`spiffe://${compiled.settings.trustDomain}/ns/${request.from.namespace}/sa/${request.from.serviceAccount}`, "127.0.0.1");
    const runs = [...compiled.services.values()].filter(
      (s) =>
        s.namespace === (request.from as { namespace: string }).namespace && s.serviceAccount === (request.from as { serviceAccount: string }).serviceAccount,
    );
    if (runs.length === 1) caller = { ...caller, labels: (labels = { ...runs[0].selector }) };
    known = runs.length > 0;
  }
  const seen = request.from === "unauthenticated" ? caller : peerAtDestination(caller, mode);
  const np = normalizePath(rawPath);
  const out: Explanation = {
    request: {
      from: request.from === "unauthenticated" ? "unauthenticated" : `${request.from.namespace}/${request.from.serviceAccount}`,
      to: svc.key,
      port: sp.port,
      method,
      path: request.path,
      ...(np.ok ? { normalizedPath: np.path } : {}),
      headers: request.headers ?? {},
    },
    caller: { ...(caller.spiffe ? { identity: caller.spiffe } : {}), seenAs: seen.spiffe ?? "no identity (plaintext)", ...(labels ? { labels } : {}), known },
    mtls: { mode, ...(mtlsEffective ? { origin: originOf(model, mtlsEffective.policy, mtlsEffective.pointer) } : {}) },
    decision: "allowed",
    answeredBy: "app",
    reason: "",
    backends: [],
    meshes: [],
  };
  const involved: InvolvedPolicy[] = [];
  if (mtlsEffective) involved.push({ policy: mtlsEffective.policy.id });
  const finish = (): Explanation => {
    out.meshes = options.meshes?.length ? verdicts(translations(model, options.meshes), involved) : [];
    return out;
  };
  const refuse = (status: number | undefined, reason: string, who: Explanation["answeredBy"]) => {
    out.decision = "denied";
    out.answeredBy = who;
    out.reason = reason;
    if (status !== undefined) out.status = status;
    return finish();
  };

  // Unauthenticated: plaintext to the destination's inbound listener.
  if (request.from === "unauthenticated") {
    if (mode === "strict") {
      out.backends = [{ weight: 100, decision: "denied", reason: "plaintext connection refused: the port's mTLS mode is strict" }];
      return refuse(undefined, "plaintext connection refused: the port's mTLS mode is strict (a caller needs a mesh identity)", "destination-proxy");
    }
    const b = await atDestination(model, svc, sp, seen, method, rawPath, query, headers, authority, involved);
    out.backends = [{ weight: 100, ...b }];
    out.decision = b.decision;
    out.reason = b.reason;
    if (b.decision === "denied") {
      out.answeredBy = "destination-proxy";
      out.status = b.status;
    }
    return finish();
  }

  // From a workload: its outbound listener normalizes the path, then picks the route.
  if (!np.ok) return refuse(400, `the caller's proxy refuses the path: ${np.reason}`, "caller-proxy");
  const view = { method, path: np.path, query, headers };
  const route = selectRoute(svc.destination, sp.port, caller, view);
  if (!route) return refuse(404, "no route matched (the caller's proxy answers 404)", "caller-proxy");
  const effective = model.destination(svc.namespace, svc.name)?.routes.find((r) => `${r.policy.id}#${r.pointer}` === route.id);
  out.route = effective ? routeInfo(model, effective) : defaultRoute(route);
  if (effective) involved.push({ policy: effective.policy.id, only: effective.index === null ? [] : [effective.pointer] });
  const origin = typeof headers.origin === "string" ? headers.origin : undefined;
  if (route.cors && origin !== undefined && route.cors.allows(origin) && isPreflight(method, headers)) {
    out.answeredBy = "caller-proxy";
    out.status = 200;
    out.reason = "CORS preflight answered by the caller's proxy (route's cors)";
    return finish();
  }
  const f = route.faultInjection;
  if (f) {
    out.faults = {
      ...(f.delay ? { delayPercent: f.delay.percent } : {}),
      ...(f.abort ? { abortPercent: f.abort.percent, ...(f.abort.httpStatus !== undefined ? { abortStatus: f.abort.httpStatus } : {}) } : {}),
    };
    if (f.abort && f.abort.percent >= 100) {
      out.answeredBy = "caller-proxy";
      out.status = f.abort.httpStatus ?? 200;
      out.reason = `aborted by the route's fault injection (${out.status}, 100% of requests)`;
      return finish();
    }
  }
  if (route.redirect) {
    out.answeredBy = "caller-proxy";
    out.status = route.redirect.statusCode;
    out.route.location = redirectLocation(route.redirect, { scheme: "http", authority: String(headers.host), path: np.path, query });
    out.reason = `redirected by the caller's proxy (${out.status})`;
    return finish();
  }
  if (route.directResponse) {
    out.answeredBy = "caller-proxy";
    out.status = route.directResponse.status;
    out.reason = `answered by the caller's proxy with a direct response (${out.status})`;
    return finish();
  }
  if (route.totalWeight <= 0) return refuse(503, "no backend has weight (the caller's proxy answers 503)", "caller-proxy");

  // Forwarded: decided per backend where it arrives (the target's header changes may differ).
  for (let i = 0; i < route.targets.length; i++) {
    if (route.weights[i] <= 0) continue;
    const tgt = route.targets[i];
    const up = upstreamRequest(route, tgt, { authority: String(headers.host), path: np.path, query }, headers, () => "explain");
    if (i === 0 && up.path !== np.path + (query ? `?${query}` : "")) out.route.rewrittenPath = up.path;
    const uq = up.path.indexOf("?");
    const b = await atDestination(
      model,
      svc,
      sp,
      seen,
      method,
      uq < 0 ? up.path : up.path.slice(0, uq),
      uq < 0 ? "" : up.path.slice(uq + 1),
      up.headers as IncomingHttpHeaders,
      String(up.headers.host),
      involved,
    );
    out.backends.push({ ...(tgt.subset ? { subset: tgt.subset } : {}), weight: route.weights[i], ...b });
  }
  const denied = out.backends.find((b) => b.decision === "denied");
  const first = denied ?? out.backends[0];
  out.decision = first.decision;
  out.reason = first.reason;
  if (denied) {
    out.answeredBy = "destination-proxy";
    out.status = denied.status;
  }
  return finish();
}

/** The destination's inbound listener: normalization, request authentication, access. */
async function atDestination(
  model: Model,
  svc: RtService,
  sp: RtService["ports"][number],
  peer: Peer,
  method: string,
  rawPath: string,
  query: string,
  headers: IncomingHttpHeaders,
  authority: string,
  involved: InvolvedPolicy[],
): Promise<Omit<BackendOutcome, "weight" | "subset">> {
  const np = normalizePath(rawPath);
  if (!np.ok) return { decision: "denied", status: 400, reason: `the destination's proxy refuses the path: ${np.reason}` };
  const authn = await authenticate({ service: svc }, method, np.path, authority, headers, query);
  if ("status" in authn) return { decision: "denied", status: authn.status, reason: `the token is not valid (${authn.body.trim()})` };
  const d = decideAccess(svc.destination, {
    peer,
    method,
    path: np.path,
    headers: appRequestHeaders(headers, authority, svc.spiffe, peer.spiffe),
    servicePort: sp,
    servicePorts: svc.ports,
    ...(authn.user ? { user: authn.user } : {}),
  });
  if (!d)
    return {
      decision: "allowed",
      access: { selected: false, allowed: true, defaultDeny: false, policies: [], reason: "no AccessPolicy selects the destination" },
      reason: "allowed: no AccessPolicy selects the destination",
    };
  const rules = modelRules(model, svc.namespace, svc.name);
  for (const p of rules?.policies ?? []) if (!involved.some((i) => i.policy === p)) involved.push({ policy: p });
  const effective: EffectiveAccessRule | undefined = d.rule ? rules?.[d.rule.action][d.rule.index] : undefined;
  const access: AccessInfo = {
    selected: true,
    allowed: d.allowed,
    ...(effective ? { rule: ruleInfo(model, effective) } : {}),
    defaultDeny: !d.allowed && !d.rule,
    policies: rules?.policies ?? [],
    reason: d.reason,
  };
  const by = access.rule
    ? `${access.rule.action} rule ${access.rule.origin.pointer} of ${access.rule.origin.policy} (${where(access.rule.origin)})`
    : undefined;
  if (d.allowed) return { decision: "allowed", access, reason: by ? `allowed by the ${by}` : `allowed: ${d.reason}` };
  return {
    decision: "denied",
    status: 403,
    access,
    reason: by ? `denied by the ${by}` : `denied by default: no allow rule of ${access.policies.join(", ")} matches`,
  };
}

/** The model's rule lists the proxy's access of a service was compiled from (same order). */
function modelRules(
  model: Model,
  namespace: string,
  service: string,
): { allow: readonly EffectiveAccessRule[]; deny: readonly EffectiveAccessRule[]; policies: string[] } | undefined {
  const v = model.destination(namespace, service);
  if (v?.accessPolicies.length) return { allow: v.allow, deny: v.deny, policies: v.accessPolicies.map((p) => p.id) };
  const s = model.scopedAccess(namespace);
  if (!s) return undefined;
  const ns = model.accessScopes().namespaces.has(namespace);
  // Without namespace-wide policies the proxy runs the mesh-wide ones alone (`spec.meshAccess`).
  const keep = (r: EffectiveAccessRule) => ns || r.scope === "mesh";
  return { allow: s.allow.filter(keep), deny: s.deny.filter(keep), policies: s.policies.filter((p) => ns || p.doc.spec.scope === "mesh").map((p) => p.id) };
}

function defaultRoute(r: RtRoute): RouteInfo {
  return {
    id: r.id,
    source: "any caller (authenticated or not)",
    match: "every request",
    action: "forward",
    backends: [{ weight: 100 }],
  };
}

/**
 * The compiled service `namespace/name`.
 * @throws UsageError naming the known services (and the closest one) when there is none.
 */
export function findService(compiled: Pick<CompiledConfig, "services">, namespace: string, name: string): RtService {
  const svc = compiled.services.get(`${namespace}/${name}`);
  if (svc) return svc;
  throw unknownService(`${namespace}/${name}`, [...compiled.services.keys()]);
}
