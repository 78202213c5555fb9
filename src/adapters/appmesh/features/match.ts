/**
 * Request matching: `VirtualRouter.spec.routes[].httpRoute.match` / `http2Route.match`
 * {prefix, path{exact|regex}, method, headers[]{name, match{exact|prefix|regex|suffix|range}, invert},
 * queryParameters[]{name, match{exact}}, port}, `grpcRoute.match` {serviceName, methodName,
 * metadata[], port} and `tcpRoute.match` {port} (aws-app-mesh-controller-for-k8s
 * `apis/appmesh/v1beta2/virtualrouter_types.go`; limits from the v1.13.3 CRD: at most 10 headers and
 * 10 query parameters, header names of 1-50 characters, values and paths of 1-255 characters).
 *
 * - path `prefix` → `prefix`; `exact` / `regex` → `path.exact` / `path.regex`; `segmentPrefix` `/v2` →
 *   `path.regex` `/v2(/.*)?` (App Mesh's prefix is a string prefix); no path → `prefix: /` (every request).
 * - header `exact` / `prefix` / `regex` → `match.exact` / `.prefix` / `.regex`; `present: true` → a
 *   header without `match` (App Mesh matches it when present, as in aws-app-mesh-examples
 *   `walkthroughs/howto-k8s-http-headers`); `present: false` → the same with `invert: true`. Names are
 *   lower-cased (HTTP header names are case-insensitive; Envoy sees them lower-case).
 * - query parameters: only `exact` (`HTTPQueryParameters.match` has no other member).
 * - gRPC: `path.exact: /<service>/<method>` → serviceName + methodName, `path.prefix: /<service>/` →
 *   serviceName (so is `path.segmentPrefix: /<service>`), headers → metadata, method POST is implied.
 *
 * Path normalization: the model's routes see the normalized path (README). App Mesh documents no
 * `normalize_path` / `merge_slashes` for the Envoy configuration its control plane generates (neither the
 * App Mesh API reference nor aws-app-mesh-controller-for-k8s nor aws-app-mesh-examples mention them;
 * Envoy's own default is off), so a route for `/a` may not see `/x/../a`. That only changes which route a request takes; no
 * access rule depends on it, because App Mesh cannot check paths in access rules at all (access.ts:
 * an error, or the service-level-access approximation, which admits whole services).
 */
import type { EffectiveRoute } from "../../../api/model.js";
import { segmentPrefixRegex } from "../../../api/segment-prefix.js";
import type { HeaderMatch, Match } from "../../../api/generated/model.js";
import { escapePointerToken as esc } from "../../../api/diagnostics.js";
import type { Tx } from "../context.js";
import type { GrpcRouteMatch, HttpRouteMatch, RouteHeader } from "../resources.js";
import { type FeatureModule, partial } from "../../../api/feature-module.js";

/** How capability notes name App Mesh routes. */
export const VR = "VirtualRouter.spec.routes[]";

/** What App Mesh can do of `match`. */
export const matchFeature: FeatureModule = {
  features: ["match"],
  capabilities: () => ({
    match: partial(
      `${VR}.httpRoute.match`,
      "path prefix/exact/regex, method, headers (exact/prefix/regex/present/absent), query parameters exact only; at most 10 headers and 10 query parameters; gRPC ports: /service/method paths and metadata",
    ),
  }),
};

/** The match of a route without one (read only). */
const NO_MATCH: Match = Object.freeze({});

const MAX_ITEMS = 10;
const MAX_NAME = 50;
const MAX_VALUE = 255;

/**
 * The `httpRoute.match` of a route, or undefined when part of it cannot be expressed (reported).
 * Keys in sorted order (see translator.ts); the parts are checked (and reported) path, method, headers,
 * query parameters.
 */
export function httpMatch(tx: Tx, r: EffectiveRoute, port: number | undefined): HttpRouteMatch | undefined {
  const m: Match = r.match?.value ?? NO_MATCH;
  const base = r.match?.pointer ?? r.pointer;
  let ok = true;
  let path: HttpRouteMatch["path"];
  let prefix: string | undefined;
  const p = m.path;
  const segmentRegex = p?.segmentPrefix !== undefined ? segmentPrefixRegex(p.segmentPrefix) : undefined;
  if (p?.exact !== undefined || p?.regex !== undefined || segmentRegex !== undefined) {
    const kind = p!.exact !== undefined ? "exact" : p!.regex !== undefined ? "regex" : "segmentPrefix";
    const value = (p!.exact ?? p!.regex ?? segmentRegex)!;
    if (value.length > MAX_VALUE) ok = tooLong(tx, r, `${base}/path/${kind}`, `path.${kind}`, MAX_VALUE);
    path = kind === "exact" ? { exact: value } : { regex: value };
  } else {
    prefix = p?.prefix ?? "/";
  }
  const headers = routeHeaders(tx, r, m.headers, base, "headers");
  if (headers === null) ok = false;
  let queryParameters: HttpRouteMatch["queryParameters"];
  if (m.queryParams) {
    const names = Object.keys(m.queryParams);
    if (names.length > MAX_ITEMS) ok = tooMany(tx, r, `${base}/queryParams`, "queryParams", "HTTPRouteMatch.queryParameters");
    const qs: NonNullable<HttpRouteMatch["queryParameters"]> = [];
    for (const name of names) {
      const sm = m.queryParams[name];
      if (sm.exact === undefined) {
        const kind = sm.prefix !== undefined ? "prefix" : "regex";
        tx.report(r.policy, `${base}/queryParams/${esc(name)}/${kind}`, {
          feature: "match",
          kind: "unsupported-value",
          what: "query-not-exact",
          severity: "error",
          message: `queryParams.${name}.${kind}: ${tx.mesh} matches query parameters only exactly (HTTPQueryParameters.match has only exact); use exact values, or match on the path or a header instead`,
        });
        ok = false;
        continue;
      }
      qs.push({ match: { exact: sm.exact }, name });
    }
    if (qs.length) queryParameters = qs;
  }
  if (!ok) return undefined;
  const out: HttpRouteMatch = {};
  if (headers) out.headers = headers;
  if (m.method) out.method = m.method;
  if (path) out.path = path;
  if (port !== undefined) out.port = port;
  if (prefix !== undefined) out.prefix = prefix;
  if (queryParameters) out.queryParameters = queryParameters;
  return out;
}

/**
 * The `grpcRoute.match` of a route, or undefined when part of it cannot be expressed (reported).
 * Keys in sorted order (see translator.ts).
 */
export function grpcMatch(tx: Tx, r: EffectiveRoute, port: number | undefined): GrpcRouteMatch | undefined {
  const m: Match = r.match?.value ?? NO_MATCH;
  const base = r.match?.pointer ?? r.pointer;
  let ok = true;
  let serviceName: string | undefined;
  let methodName: string | undefined;
  const p = m.path;
  if (p) {
    const exact = p.exact !== undefined ? /^\/([^/]+)\/([^/]+)$/.exec(p.exact) : null;
    const prefix =
      p.prefix !== undefined ? /^\/(?:([^/]+)\/)?$/.exec(p.prefix) : p.segmentPrefix !== undefined ? /^\/([^/]+)?\/?$/.exec(p.segmentPrefix) : null;
    if (exact && exact[2].length <= MAX_NAME) {
      serviceName = exact[1];
      methodName = exact[2];
    } else if (prefix) {
      if (prefix[1]) serviceName = prefix[1];
    } else {
      const kind = p.exact !== undefined ? "exact" : p.prefix !== undefined ? "prefix" : p.segmentPrefix !== undefined ? "segmentPrefix" : "regex";
      tx.report(r.policy, `${base}/path/${kind}`, {
        feature: "match",
        kind: "unsupported-value",
        what: "grpc-path",
        severity: "error",
        message: `path.${kind}: ${tx.mesh} gRPC routes match a service and method name (grpcRoute.match.serviceName/methodName), not an arbitrary path; use path.exact /<package.Service>/<Method> (method name at most ${MAX_NAME} characters) or path.prefix /<package.Service>/`,
      });
      ok = false;
    }
  }
  if (m.method && m.method !== "POST") {
    tx.report(r.policy, `${base}/method`, {
      feature: "match",
      kind: "unsupported-value",
      what: "method",
      severity: "error",
      message: `method: every gRPC call is a POST, so a ${m.method} route never matches and ${tx.mesh} grpcRoute has no method field; remove the method (or use POST)`,
    });
    ok = false;
  }
  if (m.queryParams) {
    tx.report(r.policy, `${base}/queryParams`, {
      feature: "match",
      kind: "unsupported-value",
      what: "queryParams",
      severity: "error",
      message: `queryParams: ${tx.mesh} gRPC routes cannot match query parameters (grpcRoute.match has serviceName, methodName and metadata); match on metadata (headers) instead`,
    });
    ok = false;
  }
  const metadata = routeHeaders(tx, r, m.headers, base, "headers");
  if (metadata === null || !ok) return undefined;
  const out: GrpcRouteMatch = {};
  if (metadata) out.metadata = metadata;
  if (methodName !== undefined) out.methodName = methodName;
  if (port !== undefined) out.port = port;
  if (serviceName !== undefined) out.serviceName = serviceName;
  return out;
}

/** TCP routes match only the port: any request condition is an error. Returns false when reported. */
export function checkTcpMatch(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.match) return true;
  const m = r.match.value;
  if (!m.path && !m.method && !m.headers && !m.queryParams) return true;
  tx.report(r.policy, r.match.pointer, {
    feature: "match",
    kind: "unsupported-value",
    what: "tcp-port",
    severity: "error",
    message: `match: the destination port speaks tcp, and ${tx.mesh} tcpRoute.match has only a port; remove the HTTP conditions, or declare the port's protocol (http, http2, grpc) in the MeshService`,
  });
  return false;
}

/**
 * Headers → `headers[]` / `metadata[]`; null when one cannot be expressed (reported), undefined when none.
 * Entries' keys in sorted order (`invert`, `match`, `name`).
 */
function routeHeaders(
  tx: Tx,
  r: EffectiveRoute,
  headers: Record<string, HeaderMatch> | undefined,
  base: string,
  field: string,
): RouteHeader[] | null | undefined {
  if (!headers) return undefined;
  let ok = true;
  // Pointers are built only for reports (see headerPointer).
  const names = Object.keys(headers);
  if (names.length > MAX_ITEMS) ok = tooMany(tx, r, `${base}/headers`, field, "HTTPRouteMatch.headers");
  const out: RouteHeader[] = [];
  for (const raw of names) {
    const h = headers[raw];
    const name = raw.toLowerCase();
    if (name.length > MAX_NAME) {
      tx.report(r.policy, headerPointer(base, raw), {
        feature: "match",
        kind: "unsupported-value",
        what: "header",
        severity: "error",
        message: `${field}.${raw}: ${tx.mesh} header names are at most ${MAX_NAME} characters (HTTPRouteHeader.name); match on a shorter header`,
      });
      ok = false;
      continue;
    }
    if (h.present !== undefined) {
      out.push(h.present ? { name } : { invert: true, name });
      continue;
    }
    const kind = h.exact !== undefined ? "exact" : h.prefix !== undefined ? "prefix" : "regex";
    const value = (h.exact ?? h.prefix ?? h.regex)!;
    if (kind === "prefix" && value === "") {
      out.push({ name }); // every value starts with "": the header is present
      continue;
    }
    if (value === "") {
      tx.report(r.policy, `${headerPointer(base, raw)}/exact`, {
        feature: "match",
        kind: "unsupported-value",
        what: "exact",
        severity: "error",
        message: `${field}.${raw}.exact: ${tx.mesh} cannot match an empty header value (HeaderMatchMethod.exact needs 1-255 characters); match on presence or a regex instead`,
      });
      ok = false;
      continue;
    }
    if (value.length > MAX_VALUE) {
      ok = tooLong(tx, r, `${headerPointer(base, raw)}/${kind}`, `${field}.${raw}.${kind}`, MAX_VALUE);
      continue;
    }
    out.push({ match: kind === "exact" ? { exact: value } : kind === "prefix" ? { prefix: value } : { regex: value }, name });
  }
  return ok ? out : null;
}

/** Pointer of one header of a match (`base` is the match's pointer). */
function headerPointer(base: string, raw: string): string {
  return `${base}/headers/${esc(raw)}`;
}

function tooLong(tx: Tx, r: EffectiveRoute, ptr: string, field: string, max: number): false {
  tx.report(r.policy, ptr, {
    feature: "match",
    kind: "unsupported-value",
    what: "too-long",
    severity: "error",
    message: `${field}: ${tx.mesh} accepts at most ${max} characters here; shorten it (for example with a prefix or regex match)`,
  });
  return false;
}

function tooMany(tx: Tx, r: EffectiveRoute, ptr: string, field: string, upstream: string): false {
  tx.report(r.policy, ptr, {
    feature: "match",
    kind: "unsupported-value",
    what: "too-many",
    severity: "error",
    message: `${field}: ${tx.mesh} matches at most ${MAX_ITEMS} of them per route (${upstream}, maxItems ${MAX_ITEMS}); split the route or match on fewer`,
  });
  return false;
}
