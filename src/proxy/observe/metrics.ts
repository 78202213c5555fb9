/**
 * Prometheus metrics in the text exposition format (version 0.0.4), served on the admin port's
 * /metrics. Counters and histograms are keyed by their label values; no dependency.
 */

type Labels = Record<string, string>;

/** One series of a {@link Counter}: its label values and value. */
interface CounterSeries {
  labels: string[];
  value: number;
}

/** One series of a {@link Histogram}: its label values, per-bucket counts (not cumulative), sum and count. */
interface HistogramSeries {
  labels: string[];
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Label names whose empty value is not written (a series without that label, as Prometheus reads it). */
const OPTIONAL_LABELS = new Set(["route"]);

function renderLabels(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) if (values[i] !== "" || !OPTIONAL_LABELS.has(names[i])) parts.push(`${names[i]}="${escapeLabel(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** A counter with fixed label names. */
export class Counter {
  private readonly values = new Map<string, CounterSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The series of key `k` (`labels` joined by NUL), created at 0: a caller may keep it and add to its value. */
  series(k: string, labels: readonly string[]): CounterSeries {
    let v = this.values.get(k);
    if (!v) this.values.set(k, (v = { labels: [...labels], value: 0 }));
    return v;
  }

  /** Adds `n` (default 1) for the given label values (in `labelNames` order). */
  inc(labels: readonly string[], n = 1): void {
    this.incKey(labels.join("\u0000"), labels, n);
  }

  /** {@link inc} with the series key (`labels` joined by NUL) already computed. */
  incKey(k: string, labels: readonly string[], n = 1): void {
    const v = this.values.get(k);
    if (v) v.value += n;
    else this.values.set(k, { labels: [...labels], value: n });
  }

  /** The value for some labels (tests and /clusters). */
  get(labels: Labels): number {
    let sum = 0;
    for (const v of this.values.values()) {
      if (this.labelNames.every((n, i) => labels[n] === undefined || labels[n] === v.labels[i])) sum += v.value;
    }
    return sum;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const v of this.values.values()) lines.push(`${this.name}${renderLabels(this.labelNames, v.labels)} ${v.value}`);
    return lines.join("\n");
  }
}

/** A gauge computed when scraped. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly collect: () => [string[], number][],
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.collect()) lines.push(`${this.name}${renderLabels(this.labelNames, labels)} ${value}`);
    return lines.join("\n");
  }
}

/** Default latency buckets, in seconds (0.5 ms to 60 s). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A histogram with fixed label names and buckets. */
export class Histogram {
  private readonly values = new Map<string, HistogramSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[] = LATENCY_BUCKETS,
  ) {}

  observe(labels: readonly string[], value: number): void {
    this.observeKey(labels.join("\u0000"), labels, value);
  }

  /** {@link observe} with the series key already computed. */
  observeKey(k: string, labels: readonly string[], value: number): void {
    this.observeSeries(this.series(k, labels), value);
  }

  /** The series of key `k` (`labels` joined by NUL), created empty: a caller may keep it for {@link observeSeries}. */
  series(k: string, labels: readonly string[]): HistogramSeries {
    let v = this.values.get(k);
    if (!v) this.values.set(k, (v = { labels: [...labels], counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    return v;
  }

  /** Observes `value` in a series of this histogram (from {@link series}). */
  observeSeries(v: HistogramSeries, value: number): void {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++)
      if (value <= b[i]) {
        v.counts[i]++;
        break;
      }
    v.sum += value;
    v.count++;
  }

  /** Number of observations for some labels (tests). */
  count(labels: Labels): number {
    let n = 0;
    for (const v of this.values.values()) if (this.labelNames.every((l, i) => labels[l] === undefined || labels[l] === v.labels[i])) n += v.count;
    return n;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const v of this.values.values()) {
      let cum = 0;
      this.buckets.forEach((le, i) => {
        cum += v.counts[i];
        lines.push(`${this.name}_bucket${renderLabels(this.labelNames, v.labels, `le="${le}"`)} ${cum}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, v.labels, 'le="+Inf"')} ${v.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, v.labels)} ${v.sum}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, v.labels)} ${v.count}`);
    }
    return lines.join("\n");
  }
}

/** The two series one request updates. */
interface RequestSeries {
  count: CounterSeries;
  duration: HistogramSeries;
}

/**
 * Every metric of the proxy. `source` and `destination` are `namespace/serviceAccount` and `namespace/service`.
 * `unimesh_requests_total` and `unimesh_request_duration_seconds` are what unimesh's golden metrics read for
 * the built-in proxy (src/metrics/golden.ts): at the caller's listener they carry the `route` that took the
 * request (its id, e.g. `TrafficPolicy/bookinfo/reviews-canary#/spec/routes/0`; no label when no route did,
 * and none inbound), added after `response_code` so that the earlier label sets read the same.
 */
export class ProxyMetrics {
  readonly requests = new Counter(
    "unimesh_requests_total",
    "Requests handled, by direction (outbound: at the caller's listener; inbound: at the destination instance), source identity, destination service, response code and (outbound) the route that took it.",
    ["direction", "source", "destination", "response_code", "route"],
  );
  readonly duration = new Histogram("unimesh_request_duration_seconds", "Time from request received to response complete, in seconds.", [
    "direction",
    "source",
    "destination",
    "response_code",
    "route",
  ]);
  readonly retries = new Counter("unimesh_retries_total", "Retries made by callers' listeners.", ["source", "destination"]);
  readonly ejections = new Counter("unimesh_outlier_ejections_total", "Instances ejected by outlier detection, per calling listener.", [
    "source",
    "destination",
    "instance",
  ]);
  readonly rateLimited = new Counter("unimesh_rate_limited_total", "Requests refused with 429 by a local rate limit.", ["source", "destination"]);
  readonly denied = new Counter("unimesh_access_denied_total", "Requests refused with 403 by access control.", ["source", "destination", "policy"]);
  readonly faults = new Counter("unimesh_faults_injected_total", "Faults injected, by kind (delay, abort).", ["source", "destination", "kind"]);
  readonly mirrored = new Counter("unimesh_mirrored_requests_total", "Request copies sent by mirroring.", ["source", "destination"]);
  readonly overflows = new Counter("unimesh_overflow_total", "Requests refused with 503 by connection-pool limits.", ["source", "destination"]);
  readonly upstreamFailures = new Counter(
    "unimesh_upstream_failures_total",
    "Tries that failed without a response, by reason (connect-failure, reset, refused-stream, timeout).",
    ["direction", "destination", "reason"],
  );
  readonly tlsRefused = new Counter(
    "unimesh_tls_refused_total",
    "Inbound connections refused, by reason: a mutual TLS handshake without a valid client certificate (no client certificate, untrusted client certificate), one that failed (handshake failed), took longer than handshakeTimeoutMs (handshake timeout) or that the client closed before it was done (closed by the client during the handshake), TLS on a plaintext port, or plaintext on a strict port.",
    ["listener", "reason"],
  );
  readonly reloads = new Counter("unimesh_config_reloads_total", "Configuration reloads, by result (ok, error).", ["result"]);
  readonly overloaded = new Counter(
    "unimesh_connections_dropped_total",
    "New connections refused because a listener reached maxConnections with every connection busy.",
    ["listener"],
  );
  readonly connectionsClosed = new Counter(
    "unimesh_connections_closed_total",
    "Connections the proxy closed to protect itself, by reason (idle-shed: an idle connection made room at maxConnections; http2-premature-resets: a client reset most of its streams; hop-premature-resets, hop-protocol-error: the same on a hop-protocol connection, and one that sent a malformed frame or did not complete one in time; HTTP/1.1 requests that did not parse or broke a limit, answered as Node answers them: http1-protocol-error, 400: malformed or ambiguous framing; http1-headers-too-large, 431: a request head over maxHeaderBytes; http1-chunk-extensions-too-large, 413: chunk extensions over 16 KiB; http1-request-timeout, 408: a request head not received within headersTimeoutMs or a request within requestTimeoutMs).",
    ["listener", "reason"],
  );
  private readonly gauges: Gauge[] = [];

  /**
   * The request series by direction, source, destination, route and status: label strings come from the
   * configuration (the same string objects request after request), so these lookups hash nothing new,
   * where a joined key would be built and hashed per request.
   */
  private readonly requestSeries = new Map<string, Map<string, Map<string, Map<string, Map<number, RequestSeries>>>>>();

  /** Counts one request and observes its duration (seconds); `route`: the id of the route that took it. */
  request(direction: string, source: string, destination: string, status: number, seconds: number, route = ""): void {
    let bySource = this.requestSeries.get(direction);
    if (!bySource) this.requestSeries.set(direction, (bySource = new Map()));
    let byDest = bySource.get(source);
    if (!byDest) bySource.set(source, (byDest = new Map()));
    let byRoute = byDest.get(destination);
    if (!byRoute) byDest.set(destination, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      const code = String(status);
      const k = `${direction}\u0000${source}\u0000${destination}\u0000${code}\u0000${route}`;
      const labels = [direction, source, destination, code, route];
      byStatus.set(status, (s = { count: this.requests.series(k, labels), duration: this.duration.series(k, labels) }));
    }
    s.count.value++;
    this.duration.observeSeries(s.duration, seconds);
  }

  addGauge(g: Gauge): void {
    this.gauges.push(g);
  }

  render(): string {
    return (
      [
        this.requests,
        this.duration,
        this.retries,
        this.ejections,
        this.rateLimited,
        this.denied,
        this.faults,
        this.mirrored,
        this.overflows,
        this.upstreamFailures,
        this.tlsRefused,
        this.reloads,
        this.overloaded,
        this.connectionsClosed,
        ...this.gauges,
      ]
        .map((m) => m.render())
        .join("\n") + "\n"
    );
  }
}
