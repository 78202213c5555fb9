/**
 * Request matching: `VirtualRouter.spec.routes[].httpRoute.match` / `http2Route.match`
 * {prefix, path{exact|regex}, method, headers[]{name, match{exact|prefix|regex|suffix|range}, invert},
 * queryParameters[]{name, match{exact}}, port}, `grpcRoute.match` {serviceName, methodName,
 * metadata[], port} and `tcpRoute.match` {port} (aws-app-mesh-controller-for-k8s
 * `apis/appmesh/v1beta2/virtualrouter_types.go`; limits from the v1.13.3 CRD: at most 10 headers and
 * 10 query parameters, header names of 1-50 characters, values and paths of 1-255 characters).
 *
 * - path `prefix` → `prefix`; `exact` / `regex` → `path.exact` / `path.regex`; no path → `prefix: /`
 *   (every request).
 * - header `exact` / `prefix` / `regex` → `match.exact` / `.prefix` / `.regex`; `present: true` → a
 *   header without `match` (App Mesh matches it when present, as in aws-app-mesh-examples
 *   `walkthroughs/howto-k8s-http-headers`); `present: false` → the same with `invert: true`. Names are
 *   lower-cased (HTTP header names are case-insensitive; Envoy sees them lower-case).
 * - query parameters: only `exact` (`HTTPQueryParameters.match` has no other member).
 * - gRPC: `path.exact: /<service>/<method>` → serviceName + methodName, `path.prefix: /<service>/` →
 *   serviceName, headers → metadata, method POST is implied.
 */
import type { EffectiveRoute } from "../../../api/model.js";
import type { HeaderMatch, Match } from "../../../api/generated/model.js";
import { escapePointerToken as esc } from "../../../api/diagnostics.js";
import type { Tx } from "../context.js";
import type { GrpcRouteMatch, HttpRouteMatch, RouteHeader } from "../resources.js";

const MAX_ITEMS = 10;
const MAX_NAME = 50;
const MAX_VALUE = 255;

/** The `httpRoute.match` of a route, or undefined when part of it cannot be expressed (reported). */
export function httpMatch(tx: Tx, r: EffectiveRoute, port: number | undefined): HttpRouteMatch | undefined {
  const m: Match = r.match?.value ?? {};
  const base = r.match?.pointer ?? r.pointer;
  let ok = true;
  const out: HttpRouteMatch = {};
  const p = m.path;
  if (p?.exact !== undefined || p?.regex !== undefined) {
    const kind = p.exact !== undefined ? "exact" : "regex";
    const value = (p.exact ?? p.regex)!;
    if (value.length > MAX_VALUE) ok = tooLong(tx, r, `${base}/path/${kind}`, `path.${kind}`, MAX_VALUE);
    out.path = { [kind]: value };
  } else {
    out.prefix = p?.prefix ?? "/";
  }
  if (m.method) out.method = m.method;
  const headers = routeHeaders(tx, r, m.headers, `${base}/headers`, "headers");
  if (headers === null) ok = false;
  else if (headers) out.headers = headers;
  if (m.queryParams) {
    const names = Object.keys(m.queryParams);
    if (names.length > MAX_ITEMS) ok = tooMany(tx, r, `${base}/queryParams`, "queryParams", "HTTPRouteMatch.queryParameters");
    const qs: NonNullable<HttpRouteMatch["queryParameters"]> = [];
    for (const name of names) {
      const sm = m.queryParams[name];
      if (sm.exact === undefined) {
        const kind = sm.prefix !== undefined ? "prefix" : "regex";
        tx.unsupportedValue(r.policy, `${base}/queryParams/${esc(name)}/${kind}`, "match",
          `queryParams.${name}.${kind}: ${tx.mesh} matches query parameters only exactly (HTTPQueryParameters.match has only exact); use exact values, or match on the path or a header instead`);
        ok = false;
        continue;
      }
      qs.push({ name, match: { exact: sm.exact } });
    }
    if (qs.length) out.queryParameters = qs;
  }
  if (port !== undefined) out.port = port;
  return ok ? out : undefined;
}

/** The `grpcRoute.match` of a route, or undefined when part of it cannot be expressed (reported). */
export function grpcMatch(tx: Tx, r: EffectiveRoute, port: number | undefined): GrpcRouteMatch | undefined {
  const m: Match = r.match?.value ?? {};
  const base = r.match?.pointer ?? r.pointer;
  let ok = true;
  const out: GrpcRouteMatch = {};
  const p = m.path;
  if (p) {
    const exact = p.exact !== undefined ? /^\/([^/]+)\/([^/]+)$/.exec(p.exact) : null;
    const prefix = p.prefix !== undefined ? /^\/(?:([^/]+)\/)?$/.exec(p.prefix) : null;
    if (exact && exact[2].length <= MAX_NAME) {
      out.serviceName = exact[1];
      out.methodName = exact[2];
    } else if (prefix) {
      if (prefix[1]) out.serviceName = prefix[1];
    } else {
      const kind = p.exact !== undefined ? "exact" : p.prefix !== undefined ? "prefix" : "regex";
      tx.unsupportedValue(r.policy, `${base}/path/${kind}`, "match",
        `path.${kind}: ${tx.mesh} gRPC routes match a service and method name (grpcRoute.match.serviceName/methodName), not an arbitrary path; use path.exact /<package.Service>/<Method> (method name at most ${MAX_NAME} characters) or path.prefix /<package.Service>/`);
      ok = false;
    }
  }
  if (m.method && m.method !== "POST") {
    tx.unsupportedValue(r.policy, `${base}/method`, "match",
      `method: every gRPC call is a POST, so a ${m.method} route never matches and ${tx.mesh} grpcRoute has no method field; remove the method (or use POST)`);
    ok = false;
  }
  if (m.queryParams) {
    tx.unsupportedValue(r.policy, `${base}/queryParams`, "match",
      `queryParams: ${tx.mesh} gRPC routes cannot match query parameters (grpcRoute.match has serviceName, methodName and metadata); match on metadata (headers) instead`);
    ok = false;
  }
  const metadata = routeHeaders(tx, r, m.headers, `${base}/headers`, "headers");
  if (metadata === null) ok = false;
  else if (metadata) out.metadata = metadata;
  if (port !== undefined) out.port = port;
  return ok ? out : undefined;
}

/** TCP routes match only the port: any request condition is an error. Returns false when reported. */
export function checkTcpMatch(tx: Tx, r: EffectiveRoute): boolean {
  if (!r.match) return true;
  const m = r.match.value;
  if (!m.path && !m.method && !m.headers && !m.queryParams) return true;
  tx.unsupportedValue(r.policy, r.match.pointer, "match",
    `match: the destination port speaks tcp, and ${tx.mesh} tcpRoute.match has only a port; remove the HTTP conditions, or declare the port's protocol (http, http2, grpc) in the MeshService`);
  return false;
}

/** Headers → `headers[]` / `metadata[]`; null when one cannot be expressed (reported), undefined when none. */
function routeHeaders(tx: Tx, r: EffectiveRoute, headers: Record<string, HeaderMatch> | undefined, ptr: string, field: string): RouteHeader[] | null | undefined {
  if (!headers) return undefined;
  let ok = true;
  const names = Object.keys(headers);
  if (names.length > MAX_ITEMS) ok = tooMany(tx, r, ptr, field, "HTTPRouteMatch.headers");
  const out: RouteHeader[] = [];
  for (const raw of names) {
    const h = headers[raw];
    const name = raw.toLowerCase();
    const hp = `${ptr}/${esc(raw)}`;
    if (name.length > MAX_NAME) {
      tx.unsupportedValue(r.policy, hp, "match", `${field}.${raw}: ${tx.mesh} header names are at most ${MAX_NAME} characters (HTTPRouteHeader.name); match on a shorter header`);
      ok = false;
      continue;
    }
    if (h.present !== undefined) {
      out.push(h.present ? { name } : { name, invert: true });
      continue;
    }
    const kind = h.exact !== undefined ? "exact" : h.prefix !== undefined ? "prefix" : "regex";
    const value = (h.exact ?? h.prefix ?? h.regex)!;
    if (kind === "prefix" && value === "") {
      out.push({ name }); // every value starts with "": the header is present
      continue;
    }
    if (value === "") {
      tx.unsupportedValue(r.policy, `${hp}/exact`, "match", `${field}.${raw}.exact: ${tx.mesh} cannot match an empty header value (HeaderMatchMethod.exact needs 1-255 characters); match on presence or a regex instead`);
      ok = false;
      continue;
    }
    if (value.length > MAX_VALUE) {
      ok = tooLong(tx, r, `${hp}/${kind}`, `${field}.${raw}.${kind}`, MAX_VALUE);
      continue;
    }
    out.push({ name, match: { [kind]: value } });
  }
  return ok ? out : null;
}

function tooLong(tx: Tx, r: EffectiveRoute, ptr: string, field: string, max: number): false {
  tx.unsupportedValue(r.policy, ptr, "match", `${field}: ${tx.mesh} accepts at most ${max} characters here; shorten it (for example with a prefix or regex match)`);
  return false;
}

function tooMany(tx: Tx, r: EffectiveRoute, ptr: string, field: string, upstream: string): false {
  tx.unsupportedValue(r.policy, ptr, "match", `${field}: ${tx.mesh} matches at most ${MAX_ITEMS} of them per route (${upstream}, maxItems ${MAX_ITEMS}); split the route or match on fewer`);
  return false;
}
