/**
 * `unimesh top`'s data (issue 16, section 2): the golden metrics per service pair, read from any
 * Prometheus that evaluates unimesh's recording rules (src/metrics/golden.ts), through Prometheus' HTTP API
 * (https://prometheus.io/docs/prometheus/latest/querying/api/: `GET /api/v1/query` instant queries,
 * `GET /api/v1/rules?type=record` the loaded recording rules).
 *
 * One snapshot is five instant queries of the recorded series of one window W (the rules' `--window`):
 * `sum without (response_class) (unimesh:requests:rate<W>)`, `unimesh:request_success_ratio:rate<W>` and
 * `unimesh:request_duration_seconds:p50_<W>|p90_<W>|p99_<W>`, joined on the {@link GOLDEN_LABELS} (one row per
 * mesh, source, destination and route). When none of them has a series, the loaded recording rules tell
 * whether the rules are missing (an error naming the missing series) or there were no requests in the window
 * (an empty snapshot).
 *
 * Prometheus' answers are untrusted input: bounded in size ({@link MAX_RESPONSE_BYTES}) and time, checked
 * field by field (a malformed answer is a {@link PrometheusError}, never a crash), and label values are
 * stripped of control characters before they reach a terminal ({@link renderTopTable}).
 */
import { request } from "undici";
import { UnimeshError, UsageError } from "../api/diagnostics.js";
import { GOLDEN_LABELS, PROMETHEUS_DURATION, goldenSeries } from "./golden.js";

/** The largest Prometheus answer read (bytes); a larger one is an error, not a memory problem. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The default Prometheus (`kubectl -n monitoring port-forward svc/prometheus 9090` listens there). */
export const DEFAULT_PROMETHEUS = "http://127.0.0.1:9090";

/**
 * Prometheus could not be reached, answered with an HTTP or API error, or answered something that is not
 * what its HTTP API documents. The message names the URL and what was wrong.
 */
export class PrometheusError extends UnimeshError {
  override name = "PrometheusError";
}

/**
 * Prometheus answers, but the unimesh recording rules of the window are not loaded there (some or all of
 * their series are missing). `missing` lists the series names, in the rules' order.
 */
export class MissingRulesError extends UnimeshError {
  override name = "MissingRulesError";
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
  }
}

/** One service pair (and route) of a snapshot; numbers are `undefined` where Prometheus has no value (or NaN). */
export interface TopRow {
  /** The unimesh adapter name the series come from (istio, linkerd, appmesh, kuma, builtin). */
  mesh: string;
  source: { namespace: string; workload: string };
  destination: { namespace: string; service: string };
  /** The route id (the built-in proxy only; `""` where the mesh's metrics have no route). */
  route: string;
  /** Requests per second over the window. */
  requestsPerSecond: number;
  /** Share of requests answered 1xx-4xx, 0..1. */
  successRatio?: number;
  /** Latency percentiles, in seconds. */
  latencySeconds: { p50?: number; p90?: number; p99?: number };
}

/** What one refresh read. */
export interface TopSnapshot {
  /** The Prometheus base URL (without credentials). */
  prometheus: string;
  /** The rules' rate window (PromQL duration). */
  window: string;
  /** Evaluation time of the queries (Prometheus' sample timestamp), ISO 8601. */
  time: string;
  /** Rows, busiest first (requests per second descending, then by mesh, source, destination, route). */
  rows: TopRow[];
  /** Problems that leave columns empty (some recording rules missing). */
  warnings: string[];
}

/** Options of {@link readTop}. */
export interface TopOptions {
  /** Prometheus base URL (http or https; may carry a path prefix and `user:password@` for basic auth). */
  prometheus: string;
  /** The rules' rate window, as passed to `unimesh metrics rules --window`. @default "5m" */
  window?: string;
  /** Time limit of each HTTP request, in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Aborts the requests in flight (Ctrl-C). */
  signal?: AbortSignal;
}

/** A checked Prometheus endpoint: base URL with a trailing slash, and the basic-auth header if any. */
interface Endpoint {
  base: URL;
  shown: string;
  headers: Record<string, string>;
}

/**
 * Parses `--prometheus`: an absolute http(s) URL, optionally with a path prefix and credentials.
 * @throws UsageError for anything else.
 */
export function prometheusEndpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--prometheus ${JSON.stringify(url)} is not a URL (e.g. ${DEFAULT_PROMETHEUS})`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UsageError(`--prometheus ${JSON.stringify(url)}: only http and https URLs (e.g. ${DEFAULT_PROMETHEUS})`);
  if (u.search || u.hash) throw new UsageError(`--prometheus ${JSON.stringify(url)}: give the base URL, without a query or fragment`);
  const headers: Record<string, string> = {};
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
  }
  if (!u.pathname.endsWith("/")) u.pathname += "/";
  return { base: u, shown: u.href.replace(/\/$/, ""), headers };
}

/** GET `path` (relative to the base) and return its JSON, bounded in size and time. */
async function getJson(ep: Endpoint, path: string, params: Record<string, string>, opts: TopOptions): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, ep.base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let res;
  try {
    res = await request(url, {
      method: "GET",
      headers: { accept: "application/json", ...ep.headers },
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw new PrometheusError(`Prometheus at ${ep.shown} could not be reached: ${reason(e, timeoutMs)}`);
  }
  const length = Number(res.headers["content-length"]);
  if (length > MAX_RESPONSE_BYTES) {
    res.body.destroy();
    throw new PrometheusError(`Prometheus at ${ep.shown} answered ${path} with ${length} bytes, more than unimesh reads (${MAX_RESPONSE_BYTES})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        throw new PrometheusError(`Prometheus at ${ep.shown} answered ${path} with more than ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof PrometheusError || opts.signal?.aborted) throw e;
    throw new PrometheusError(`Prometheus at ${ep.shown} broke off its answer to ${path}: ${reason(e, timeoutMs)}`);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return { status: res.statusCode, body: JSON.parse(text) };
  } catch {
    const what = res.statusCode >= 400 ? `HTTP ${res.statusCode}` : "something that is not JSON";
    throw new PrometheusError(`Prometheus at ${ep.shown} answered ${path} with ${what}${text ? `: ${excerpt(text)}` : ""} (is it a Prometheus HTTP API?)`);
  }
}

function reason(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError" || err?.code === "UND_ERR_HEADERS_TIMEOUT" || err?.code === "UND_ERR_BODY_TIMEOUT")
    return `no answer within ${timeoutMs / 1000} s`;
  const code = err?.code ?? err?.cause?.code;
  const message = err?.cause?.message ?? err?.message ?? String(e);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** A short, printable excerpt of an untrusted text. */
function excerpt(text: string): string {
  const clean = printable(text.trim());
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** `s` with control characters (C0, DEL, C1: terminal escapes) replaced by `?`. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks an API envelope (`{status: "success", data}` or `{status: "error", errorType, error}`); returns `data`. */
function apiData(ep: Endpoint, what: string, r: { status: number; body: unknown }): unknown {
  const b = r.body;
  if (!isRecord(b) || (b.status !== "success" && b.status !== "error")) {
    throw new PrometheusError(
      `Prometheus at ${ep.shown} answered ${what} with ${r.status >= 400 ? `HTTP ${r.status} and ` : ""}JSON that is not a Prometheus API answer (no status "success" or "error")`,
    );
  }
  if (b.status === "error" || r.status >= 400) {
    const type = typeof b.errorType === "string" ? `${printable(b.errorType)}: ` : "";
    const msg = typeof b.error === "string" ? excerpt(b.error) : "no error message";
    throw new PrometheusError(`Prometheus at ${ep.shown} refused ${what} (HTTP ${r.status}, ${type}${msg})`);
  }
  return b.data;
}

/** One sample of an instant vector. */
interface Sample {
  labels: Record<string, string>;
  value: number;
  time: number;
}

/** Runs an instant query; checks the answer is a vector of well-formed samples. */
async function instantQuery(ep: Endpoint, query: string, opts: TopOptions): Promise<Sample[]> {
  const what = `the query ${query}`;
  const data = apiData(ep, what, await getJson(ep, "api/v1/query", { query }, opts));
  const bad = (why: string) => new PrometheusError(`Prometheus at ${ep.shown} answered ${what} with a malformed result: ${why}`);
  if (!isRecord(data)) throw bad("no data object");
  if (data.resultType !== "vector") throw bad(`resultType ${excerpt(JSON.stringify(data.resultType) ?? "undefined")}, expected "vector"`);
  if (!Array.isArray(data.result)) throw bad("result is not a list");
  return data.result.map((s, i) => {
    if (!isRecord(s) || !isRecord(s.metric)) throw bad(`result[${i}] has no metric object`);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.metric)) {
      if (typeof v !== "string") throw bad(`result[${i}].metric.${printable(k)} is not a string`);
      labels[k] = v;
    }
    const v = s.value;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "number" || !Number.isFinite(v[0]) || typeof v[1] !== "string") {
      throw bad(`result[${i}].value is not [<unix time>, "<number>"]`);
    }
    const value = sampleValue(v[1]);
    if (value === undefined) throw bad(`result[${i}].value ${excerpt(JSON.stringify(v[1]))} is not a number`);
    return { labels, value, time: v[0] };
  });
}

/** A sample value as Prometheus writes it (a float, `NaN`, `+Inf`, `-Inf`); `undefined` if it is none. */
function sampleValue(s: string): number | undefined {
  if (s === "NaN") return NaN;
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** The names of the loaded recording rules, or `undefined` when this Prometheus does not list them. */
async function recordedNames(ep: Endpoint, opts: TopOptions): Promise<Set<string> | undefined> {
  let r: { status: number; body: unknown };
  try {
    r = await getJson(ep, "api/v1/rules", { type: "record" }, opts);
  } catch (e) {
    if (e instanceof PrometheusError) return undefined;
    throw e;
  }
  if (r.status >= 400) return undefined;
  const data = apiData(ep, "the list of rules", r);
  if (!isRecord(data) || !Array.isArray(data.groups))
    throw new PrometheusError(`Prometheus at ${ep.shown} answered the list of rules with a malformed result: no groups list`);
  const names = new Set<string>();
  for (const g of data.groups) {
    if (!isRecord(g) || !Array.isArray(g.rules)) continue;
    for (const rule of g.rules) if (isRecord(rule) && typeof rule.name === "string" && rule.type !== "alerting") names.add(rule.name);
  }
  return names;
}

/** The key of a row: its GOLDEN_LABELS values. */
function rowKey(labels: Record<string, string>): string {
  return JSON.stringify(GOLDEN_LABELS.map((l) => labels[l] ?? ""));
}

/** A finite number or undefined (NaN: histogram_quantile without requests in the window). */
function finite(v: number | undefined): number | undefined {
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/**
 * Reads one snapshot of the golden metrics (see the module doc).
 * @throws UsageError for a bad URL or window; PrometheusError when Prometheus cannot be reached, refuses a
 *   query or answers malformed JSON; MissingRulesError when the window's recording rules are not loaded.
 */
export async function readTop(opts: TopOptions): Promise<TopSnapshot> {
  const window = opts.window ?? "5m";
  if (!PROMETHEUS_DURATION.test(window)) throw new UsageError(`--window ${JSON.stringify(window)} is not a Prometheus duration (e.g. 30s, 5m, 1h)`);
  const ep = prometheusEndpoint(opts.prometheus);
  const s = goldenSeries(window);
  const [requests, ratio, p50, p90, p99] = await Promise.all([
    instantQuery(ep, `sum without (response_class) (${s.requests})`, opts),
    instantQuery(ep, s.successRatio, opts),
    instantQuery(ep, s.latency.p50, opts),
    instantQuery(ep, s.latency.p90, opts),
    instantQuery(ep, s.latency.p99, opts),
  ]);
  const all = [s.requests, s.successRatio, s.latency.p50, s.latency.p90, s.latency.p99];
  const results = [requests, ratio, p50, p90, p99];
  const warnings: string[] = [];
  if (results.every((r) => !r.length)) await checkRules(ep, window, all, opts);
  else if (results.some((r) => !r.length)) {
    // Some series have samples, others none: rules missing (a warning naming them), or nothing to record yet.
    const loaded = await recordedNames(ep, opts);
    const missing = all.filter((n, i) => !results[i].length && loaded && !loaded.has(n));
    if (missing.length)
      warnings.push(
        `Prometheus at ${ep.shown} has no recording rules ${missing.join(", ")}: their columns stay empty; load every rule of unimesh metrics rules --window ${window}`,
      );
  }
  const rows = new Map<string, TopRow>();
  for (const x of requests) {
    const l = x.labels;
    rows.set(rowKey(l), {
      mesh: l.mesh ?? "",
      source: { namespace: l.source_namespace ?? "", workload: l.source_workload ?? "" },
      destination: { namespace: l.destination_namespace ?? "", service: l.destination_service ?? "" },
      route: l.route ?? "",
      requestsPerSecond: x.value,
      latencySeconds: {},
    });
  }
  const fill = (samples: Sample[], set: (row: TopRow, v: number | undefined) => void) => {
    for (const x of samples) {
      const row = rows.get(rowKey(x.labels));
      if (row) set(row, finite(x.value));
    }
  };
  fill(ratio, (row, v) => {
    if (v !== undefined) row.successRatio = v;
  });
  fill(p50, (row, v) => {
    if (v !== undefined) row.latencySeconds.p50 = v;
  });
  fill(p90, (row, v) => {
    if (v !== undefined) row.latencySeconds.p90 = v;
  });
  fill(p99, (row, v) => {
    if (v !== undefined) row.latencySeconds.p99 = v;
  });
  const time = results.flat()[0]?.time ?? Date.now() / 1000;
  const sorted = [...rows.entries()]
    .sort(([ka, a], [kb, b]) => b.requestsPerSecond - a.requestsPerSecond || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([, r]) => r);
  return { prometheus: ep.shown, window, time: new Date(time * 1000).toISOString(), rows: sorted, warnings };
}

/** No series at all: missing rules (an error) or no requests in the window (returns). */
async function checkRules(ep: Endpoint, window: string, series: readonly string[], opts: TopOptions): Promise<void> {
  const loaded = await recordedNames(ep, opts);
  const hint = `load them: unimesh metrics rules --mesh <mesh> --window ${window} (a rules file for rule_files:, or -o prometheusrule)`;
  if (!loaded) {
    throw new MissingRulesError(
      `Prometheus at ${ep.shown} has no series ${series.join(", ")}, and does not list its rules (GET /api/v1/rules): the unimesh recording rules of window ${window} are not loaded there, or they are evaluated elsewhere; ${hint}`,
      series,
    );
  }
  const missing = series.filter((n) => !loaded.has(n));
  if (!missing.length) return; // the rules are loaded: no requests in the window
  const windows = [...new Set([...loaded].map((n) => /^unimesh:requests:rate(.+)$/.exec(n)?.[1]).filter((w): w is string => !!w))].sort();
  const other = windows.length ? ` (this Prometheus has the rules of window ${windows.join(", ")}: pass --window ${windows[0]})` : "";
  throw new MissingRulesError(`Prometheus at ${ep.shown} has no recording rules ${missing.join(", ")}${other}; ${hint}`, missing);
}

/** Options of {@link renderTopTable}. */
export interface RenderOptions {
  /** Terminal width in columns: the ROUTE column is shortened to fit. Default: no limit. */
  columns?: number;
  /** At most this many rows (a last line says how many more). Default: all. */
  maxRows?: number;
}

/** Requests per second: 2 decimals under 100, none above. */
function fmtRate(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** A duration in seconds as ms (under 1 s) or s. */
function fmtSeconds(v: number | undefined): string {
  if (v === undefined) return "-";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-";
  return v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 2 : 1)}ms` : `${v.toFixed(2)}s`;
}

function fmtRatio(v: number | undefined): string {
  return v === undefined ? "-" : `${(v * 100).toFixed(1)}%`;
}

/**
 * The snapshot as a text table: MESH, SOURCE (`<namespace>/<workload>`), DESTINATION
 * (`<namespace>/<service>`), ROUTE (only when some row has one), RPS, SUCCESS (percent), P50, P99 (ms or s;
 * `-` where Prometheus has no value). Label values are printable (control characters replaced).
 */
export function renderTopTable(snap: TopSnapshot, opts: RenderOptions = {}): string {
  const withRoute = snap.rows.some((r) => r.route);
  const head = ["MESH", "SOURCE", "DESTINATION", ...(withRoute ? ["ROUTE"] : []), "RPS", "SUCCESS", "P50", "P99"];
  const numeric = new Set(["RPS", "SUCCESS", "P50", "P99"]);
  const shown = opts.maxRows !== undefined && snap.rows.length > opts.maxRows ? snap.rows.slice(0, Math.max(0, opts.maxRows)) : snap.rows;
  const cells = shown.map((r) => [
    printable(r.mesh),
    printable(`${r.source.namespace}/${r.source.workload}`),
    printable(`${r.destination.namespace}/${r.destination.service}`),
    ...(withRoute ? [printable(r.route) || "-"] : []),
    fmtRate(r.requestsPerSecond),
    fmtRatio(r.successRatio),
    fmtSeconds(r.latencySeconds.p50),
    fmtSeconds(r.latencySeconds.p99),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => [...c[i]].length)));
  if (withRoute && opts.columns !== undefined) {
    const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    const over = total - opts.columns;
    if (over > 0) widths[3] = Math.max(head[3].length, widths[3] - over);
  }
  const fit = (s: string, w: number) => ([...s].length > w ? `${[...s].slice(0, Math.max(0, w - 1)).join("")}…` : s);
  const line = (row: string[]) =>
    row
      .map((c, i) => {
        const s = fit(c, widths[i]);
        return numeric.has(head[i]) ? s.padStart(widths[i]) : i === row.length - 1 ? s : s.padEnd(widths[i]);
      })
      .join("  ")
      .trimEnd();
  const out = [line(head), ...cells.map(line)];
  if (!snap.rows.length) out.push(`(no requests in the last ${snap.window})`);
  if (shown.length < snap.rows.length) out.push(`… ${snap.rows.length - shown.length} more`);
  return out.join("\n") + "\n";
}

/** The snapshot as JSON (`--output json`): `null` where Prometheus has no value. */
export function topJson(snap: TopSnapshot): string {
  return (
    JSON.stringify(
      {
        prometheus: snap.prometheus,
        window: snap.window,
        time: snap.time,
        warnings: snap.warnings,
        rows: snap.rows.map((r) => ({
          mesh: r.mesh,
          source: r.source,
          destination: r.destination,
          route: r.route || null,
          requestsPerSecond: r.requestsPerSecond,
          successRatio: r.successRatio ?? null,
          latencySeconds: { p50: r.latencySeconds.p50 ?? null, p90: r.latencySeconds.p90 ?? null, p99: r.latencySeconds.p99 ?? null },
        })),
      },
      (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
      2,
    ) + "\n"
  );
}
