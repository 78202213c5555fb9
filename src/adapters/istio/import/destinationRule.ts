/**
 * DestinationRule (`networking.istio.io`, istio/api `networking/v1alpha3/destination_rule.proto`) → the
 * subsets a VirtualService names and a TrafficPolicy's destination-level settings, the reverse of the
 * adapter's features/outlierDetection.ts, connectionPool.ts, loadBalancer.ts and destinationRules.ts:
 *
 * - `subsets[]` {name, labels} → the pod labels of each subset name (split targets and mirrors are
 *   written with labels; the names are kept as the declared subsets of a MeshService, so translation
 *   gives them the same names);
 * - `trafficPolicy.outlierDetection` {consecutive5xxErrors, consecutiveGatewayErrors, interval,
 *   baseEjectionTime, maxEjectionPercent} → `outlierDetection` (same names and defaults);
 * - `trafficPolicy.connectionPool` tcp {maxConnections, connectTimeout, idleTimeout}, http
 *   {http1MaxPendingRequests, http2MaxRequests, maxRequestsPerConnection, maxRetries, idleTimeout} →
 *   `connectionPool` {maxConnections, connectTimeout, idleTimeout, maxPendingRequests, maxRequests,
 *   maxRequestsPerConnection, maxRetries};
 * - `trafficPolicy.loadBalancer` simple ROUND_ROBIN / LEAST_REQUEST (LEAST_CONN) / RANDOM and
 *   consistentHash {httpHeaderName, httpCookie {name, ttl}, useSourceIp, httpQueryParameterName} →
 *   `loadBalancer`;
 * - `subsets[].trafficPolicy` {outlierDetection, connectionPool, loadBalancer} → `subsetSettings[]` (Istio
 *   `MergeTrafficPolicy` replaces each whole field for the subset, as the model does);
 * - `trafficPolicy.tls` ISTIO_MUTUAL / DISABLE (the client side of mTLS, istio/api ClientTLSSettings
 *   `mode`) and `portLevelSettings[]` {`port.number`, `tls.mode`} that only repeat the destination's
 *   settings with such a `tls` (what unimesh writes) → {@link HostRules.clientTls}: the model derives the
 *   client side from the destination's MTLSPolicy, so they are read with the PeerAuthentication it came
 *   from (peerAuthentication.ts `combineClientTls`) when unimesh generated both, and otherwise not imported
 *   (an info says so).
 *
 * Everything else (other port-level settings, locality settings, TLS origination, `exportTo`,
 * `workloadSelector`) is reported as unsupported.
 */
import type { ConnectionPool, LoadBalancer, OutlierDetection } from "../../../api/generated/model.js";
import { type NativeFields, type NativeObject, isObject } from "../../../api/import-contract.js";
import { canonicalJson } from "../../../api/model.js";
import type { PolicyRef } from "../../../api/ownership.js";
import { type IstioImport, type ServiceRef, duration, report, serviceOfHost, sourcePolicies } from "./context.js";

/** What one host's DestinationRule says. */
export interface HostRules {
  service: ServiceRef;
  native: NativeObject;
  /** Subset name → pod labels. */
  subsets: Map<string, Record<string, string>>;
  /** The subset names routes and mirrors use. */
  used: Set<string>;
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
  /** Subset name → its own settings (`subsets[].trafficPolicy`). */
  subsetSettings: Map<string, SubsetPolicy>;
  /** The TrafficPolicies it came from, when unimesh generated it. */
  generated?: PolicyRef[];
  /** The client TLS settings it has (`trafficPolicy.tls`, `portLevelSettings[].tls`), when any. */
  clientTls?: ClientTls;
}

/** The client side of mTLS that unimesh writes: `tls.mode` alone, DISABLE or ISTIO_MUTUAL. */
export type ClientTlsMode = "DISABLE" | "ISTIO_MUTUAL";

/**
 * A DestinationRule's client TLS settings. A port with an entry in `portLevelSettings` takes ITS `tls` (or
 * none): Istio does not inherit destination-level settings into a port-level entry (TrafficPolicy
 * `portLevelSettings`: "default values will be applied to fields omitted in port-level traffic policies").
 */
export interface ClientTls {
  /** `trafficPolicy.tls.mode` (undefined: none, or another setting than unimesh writes). */
  mode?: ClientTlsMode;
  /** Pointer of `trafficPolicy.tls`. */
  pointer: string;
  /**
   * Service port (`portLevelSettings[].port.number`) → its entry's mode (undefined: no `tls`, or another
   * setting than unimesh writes) and the entry's `tls` pointer; the first entry of a port (as Istio).
   */
  ports: Map<number, { mode?: ClientTlsMode; pointer: string }>;
  /** The MTLSPolicies the DestinationRule came from, when unimesh generated it. */
  generated?: PolicyRef[];
}

/** The settings of one subset (`subsets[].trafficPolicy`). */
export interface SubsetPolicy {
  outlierDetection?: OutlierDetection;
  connectionPool?: ConnectionPool;
  loadBalancer?: LoadBalancer;
}

/** Reads every DestinationRule, one per host (a second one for a host is reported and skipped). */
export function destinationRules(ii: IstioImport, objects: readonly NativeObject[]): Map<string, HostRules> {
  const out = new Map<string, HostRules>();
  for (const o of objects) {
    const f = ii.ctx.fields(o);
    const host = f.take("/spec/host");
    const svc = serviceOfHost(ii, host, o.namespace);
    if (!svc) {
      ii.ctx.ignore(o);
      report(
        ii,
        o,
        "/spec/host",
        "warning",
        "import/unsupported-kind",
        `host ${JSON.stringify(host)} is not a Service of the mesh (a wildcard or an external host, e.g. of a ServiceEntry): the model describes policies between the mesh's services only; this DestinationRule is not imported`,
      );
      continue;
    }
    const key = `${svc.namespace}/${svc.name}`;
    const prev = out.get(key);
    if (prev) {
      ii.ctx.ignore(o);
      report(
        ii,
        o,
        "/spec/host",
        "error",
        "import/conflict",
        `another DestinationRule (${prev.native.id}) is for the same host ${svc.name}.${svc.namespace}; Istio merges them only in limited cases (and otherwise uses the oldest), so merge them into one before importing`,
      );
      continue;
    }
    const rules: HostRules = { service: svc, native: o, subsets: new Map(), used: new Set(), subsetSettings: new Map() };
    const generated = sourcePolicies(o, "TrafficPolicy");
    if (generated?.length) rules.generated = generated;
    readSubsets(ii, o, f, rules);
    const tp = f.get("/spec/trafficPolicy");
    if (tp !== undefined) {
      if (!isObject(tp)) report(ii, o, "/spec/trafficPolicy", "error", "import/invalid", "trafficPolicy must be a mapping");
      else readTrafficPolicy(ii, o, f, rules);
    }
    out.set(key, rules);
  }
  return out;
}

function readSubsets(ii: IstioImport, o: NativeObject, f: NativeFields, rules: HostRules): void {
  const subsets = f.get("/spec/subsets");
  if (subsets === undefined) return;
  if (!Array.isArray(subsets)) {
    report(ii, o, "/spec/subsets", "error", "import/invalid", "subsets must be a list");
    f.use("/spec/subsets");
    return;
  }
  subsets.forEach((s, i) => {
    const p = `/spec/subsets/${i}`;
    const name = f.take(`${p}/name`);
    const labels = f.take(`${p}/labels`);
    if (typeof name !== "string" || !isObject(labels) || !Object.values(labels).every((v) => typeof v === "string") || !Object.keys(labels).length) {
      report(ii, o, p, "error", "import/invalid", "a subset needs a name and non-empty labels");
      return;
    }
    rules.subsets.set(name, labels as Record<string, string>);
    const tp = f.get(`${p}/trafficPolicy`);
    if (tp === undefined) return;
    if (!isObject(tp)) {
      report(ii, o, `${p}/trafficPolicy`, "error", "import/invalid", "trafficPolicy must be a mapping");
      return;
    }
    const own: SubsetPolicy = {};
    const base = `${p}/trafficPolicy`;
    if (tp.outlierDetection !== undefined) own.outlierDetection = outlierDetection(ii, o, f, `${base}/outlierDetection`);
    if (tp.connectionPool !== undefined) own.connectionPool = connectionPool(ii, o, f, `${base}/connectionPool`);
    if (tp.loadBalancer !== undefined) own.loadBalancer = loadBalancer(ii, o, f, `${base}/loadBalancer`);
    if (Object.keys(own).length) rules.subsetSettings.set(name, own);
  });
}

function readTrafficPolicy(ii: IstioImport, o: NativeObject, f: NativeFields, rules: HostRules): void {
  const base = "/spec/trafficPolicy";
  if (f.get(`${base}/outlierDetection`) !== undefined) rules.outlierDetection = outlierDetection(ii, o, f, `${base}/outlierDetection`);
  if (f.get(`${base}/connectionPool`) !== undefined) rules.connectionPool = connectionPool(ii, o, f, `${base}/connectionPool`);
  if (f.get(`${base}/loadBalancer`) !== undefined) rules.loadBalancer = loadBalancer(ii, o, f, `${base}/loadBalancer`);
  const tls: ClientTls = { pointer: `${base}/tls`, ports: new Map() };
  const top = clientTls(f, `${base}/tls`);
  if (top) tls.mode = top;
  const levels = f.get(`${base}/portLevelSettings`);
  if (Array.isArray(levels)) {
    const settings = f.get(base) as Record<string, unknown>;
    levels.forEach((l, i) => {
      const p = `${base}/portLevelSettings/${i}`;
      if (!isObject(l)) return;
      const number = isObject(l.port) ? l.port.number : undefined;
      if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 65535) return; // left for the leftover report
      // What unimesh writes: the destination's settings copied (Istio replaces them wholesale per port)
      // plus the client TLS mode of that port.
      const same = ["connectionPool", "loadBalancer", "outlierDetection"].every((k) => canonicalJson(l[k] ?? null) === canonicalJson(settings[k] ?? null));
      let mode: ClientTlsMode | undefined;
      if (same) {
        f.use(`${p}/port`, `${p}/connectionPool`, `${p}/loadBalancer`, `${p}/outlierDetection`);
        mode = clientTls(f, `${p}/tls`);
      }
      // Every port with an entry: its client side is the entry's, not the destination-level `tls`.
      if (!tls.ports.has(number)) tls.ports.set(number, { ...(mode ? { mode } : {}), pointer: `${p}/tls` });
    });
  }
  if (tls.mode || [...tls.ports.values()].some((x) => x.mode)) {
    const generated = sourcePolicies(o, "MTLSPolicy");
    if (generated?.length) tls.generated = generated;
    rules.clientTls = tls;
  }
}

/** `tls` {mode: ISTIO_MUTUAL / DISABLE} alone (the client side of mTLS), marked as read; else undefined (left for the leftover report). */
function clientTls(f: NativeFields, p: string): ClientTlsMode | undefined {
  const tls = f.get(p);
  if (!isObject(tls)) return undefined;
  if (Object.keys(tls).length === 1 && (tls.mode === "ISTIO_MUTUAL" || tls.mode === "DISABLE")) {
    f.use(p);
    return tls.mode;
  }
  return undefined;
}

function outlierDetection(ii: IstioImport, o: NativeObject, f: NativeFields, p: string): OutlierDetection {
  const out: OutlierDetection = {};
  for (const k of ["consecutive5xxErrors", "consecutiveGatewayErrors", "maxEjectionPercent"] as const) {
    const v = f.take(`${p}/${k}`);
    if (v === undefined) continue;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) out[k] = v;
    else report(ii, o, `${p}/${k}`, "error", "import/invalid", `${k} must be a non-negative integer`);
  }
  for (const k of ["interval", "baseEjectionTime"] as const) {
    const d = duration(ii, o, f, `${p}/${k}`);
    if (d) out[k] = d;
  }
  return out;
}

function connectionPool(ii: IstioImport, o: NativeObject, f: NativeFields, p: string): ConnectionPool {
  const out: ConnectionPool = {};
  const int = (ptr: string, k: "maxConnections" | "maxPendingRequests" | "maxRequests" | "maxRequestsPerConnection" | "maxRetries") => {
    const v = f.take(ptr);
    if (v === undefined) return;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) out[k] = v;
    else report(ii, o, ptr, "error", "import/invalid", "must be a non-negative integer");
  };
  int(`${p}/tcp/maxConnections`, "maxConnections");
  int(`${p}/http/http1MaxPendingRequests`, "maxPendingRequests");
  int(`${p}/http/http2MaxRequests`, "maxRequests");
  int(`${p}/http/maxRequestsPerConnection`, "maxRequestsPerConnection");
  int(`${p}/http/maxRetries`, "maxRetries");
  const connect = duration(ii, o, f, `${p}/tcp/connectTimeout`);
  if (connect) out.connectTimeout = connect;
  // The model's idleTimeout sets both (HTTP pools and TCP proxying): import it when they agree.
  const httpIdle = f.get(`${p}/http/idleTimeout`);
  const tcpIdle = f.get(`${p}/tcp/idleTimeout`);
  if (httpIdle !== undefined && (tcpIdle === undefined || tcpIdle === httpIdle)) {
    const d = duration(ii, o, f, `${p}/http/idleTimeout`);
    if (d) out.idleTimeout = d;
    if (tcpIdle !== undefined) f.use(`${p}/tcp/idleTimeout`);
    else
      report(
        ii,
        o,
        `${p}/http/idleTimeout`,
        "warning",
        "import/unsupported-value",
        "http.idleTimeout is imported as connectionPool.idleTimeout, which also sets tcp.idleTimeout (TCP proxying) when translated",
      );
  }
  return out;
}

function loadBalancer(ii: IstioImport, o: NativeObject, f: NativeFields, p: string): LoadBalancer | undefined {
  const simple = f.get(`${p}/simple`);
  if (simple !== undefined) {
    const algorithm = ({ ROUND_ROBIN: "round-robin", LEAST_REQUEST: "least-request", LEAST_CONN: "least-request", RANDOM: "random" } as const)[
      String(simple) as "RANDOM"
    ];
    if (algorithm) {
      f.use(`${p}/simple`);
      return { algorithm };
    }
    return undefined; // PASSTHROUGH, UNSPECIFIED: left for the leftover report
  }
  const h = f.get(`${p}/consistentHash`);
  if (!isObject(h)) return undefined;
  const c = `${p}/consistentHash`;
  if (typeof h.httpHeaderName === "string") {
    f.use(`${c}/httpHeaderName`);
    return { algorithm: "consistent-hash", consistentHash: { header: h.httpHeaderName } };
  }
  if (typeof h.httpQueryParameterName === "string") {
    f.use(`${c}/httpQueryParameterName`);
    return { algorithm: "consistent-hash", consistentHash: { queryParam: h.httpQueryParameterName } };
  }
  if (h.useSourceIp === true) {
    f.use(`${c}/useSourceIp`);
    return { algorithm: "consistent-hash", consistentHash: { sourceIp: true } };
  }
  if (isObject(h.httpCookie) && typeof h.httpCookie.name === "string") {
    f.use(`${c}/httpCookie/name`);
    const ttl = duration(ii, o, f, `${c}/httpCookie/ttl`);
    return { algorithm: "consistent-hash", consistentHash: { cookie: { name: h.httpCookie.name, ...(ttl ? { ttl } : {}) } } };
  }
  return undefined;
}
