/**
 * One set of golden metrics for every mesh (issue 16, section 2): unimesh's normalized series, and per
 * mesh the Prometheus recording rules that compute them from what that mesh's proxies export.
 *
 * The normalized series (recorded by the rules; a dashboard queries only these):
 * - `unimesh:requests:rate<W>` — requests per second over the window W (default 5m), by
 *   {@link GOLDEN_LABELS} and `response_class` (`1xx`..`5xx`; absent when the mesh reports no HTTP status);
 * - `unimesh:request_success_ratio:rate<W>` — the share of those requests answered 1xx-4xx (0..1), by
 *   {@link GOLDEN_LABELS} (5xx and requests without a status are failures);
 * - `unimesh:request_duration_seconds:p50_<W>`, `:p90_<W>`, `:p99_<W>` — latency percentiles in seconds,
 *   by {@link GOLDEN_LABELS} (histogram_quantile over the mesh's own latency histogram, converted to seconds).
 *
 * Labels: `mesh` (the unimesh adapter: istio, linkerd, appmesh, kuma, builtin), `source_namespace`,
 * `source_workload`, `destination_namespace`, `destination_service`, `route` (only where the mesh's
 * request metric names the route: the built-in proxy). Each mesh's native metrics and the labels they are
 * read from are in {@link MESH_METRICS}, with the upstream document they follow.
 */
import type { KubeObject } from "../api/adapter.js";
import { UsageError } from "../api/diagnostics.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../api/ownership.js";
import { isDnsSubdomain } from "../api/names.js";

/** The labels every normalized series carries (besides `response_class` on the request rate). */
export const GOLDEN_LABELS = ["mesh", "source_namespace", "source_workload", "destination_namespace", "destination_service", "route"] as const;

/** The meshes unimesh writes recording rules for (adapter names). */
export const METRICS_MESHES = ["istio", "linkerd", "appmesh", "kuma", "builtin"] as const;
export type MetricsMesh = (typeof METRICS_MESHES)[number];

/** The latency percentiles recorded, as quantiles. */
export const PERCENTILES = [0.5, 0.9, 0.99] as const;

/** Names of the normalized series for a window (`5m`: `unimesh:requests:rate5m`, ...). */
export function goldenSeries(window = "5m"): { requests: string; successRatio: string; latency: Record<"p50" | "p90" | "p99", string> } {
  return {
    requests: `unimesh:requests:rate${window}`,
    successRatio: `unimesh:request_success_ratio:rate${window}`,
    latency: {
      p50: `unimesh:request_duration_seconds:p50_${window}`,
      p90: `unimesh:request_duration_seconds:p90_${window}`,
      p99: `unimesh:request_duration_seconds:p99_${window}`,
    },
  };
}

/** A label of the normalized series read from a label of the native series (whole value, or a regex group). */
interface LabelFrom {
  /** The normalized label. */
  to: string;
  /** The native label. */
  from: string;
  /** RE2 regex matching the whole native value; default `(.*)`. */
  regex?: string;
  /** Replacement; default `$1`. */
  replacement?: string;
}

/** Where a mesh's native metrics are and how they map to the normalized labels. */
export interface MeshMetrics {
  mesh: MetricsMesh;
  /** The counter of requests (with its selector), e.g. `istio_requests_total{reporter="destination"}`. */
  requests: string;
  /** The native labels that identify a series pair, aggregated over before normalizing. */
  requestLabels: string[];
  /** The native label holding the HTTP status (code or class) and how it becomes `response_class`. */
  status: LabelFrom;
  /** The latency histogram's `_bucket` series with its selector. */
  latencyBuckets: string;
  latencyLabels: string[];
  /** Divisor from the histogram's unit to seconds (1000 for milliseconds). */
  latencyToSeconds: number;
  /** Normalized labels from native ones, in order (label_replace, innermost first). */
  labels: LabelFrom[];
  /** The upstream documents the metric names and labels follow. */
  sources: string[];
  /** What the scrape configuration must provide, and what the series mean on this mesh. */
  notes: string;
}

/** The ms → s divisor. */
const MS = 1000;

/**
 * Each mesh's native request metrics, read on one side only (no request is counted twice): Istio at the
 * destination (`reporter="destination"`, Istio's recommendation), the others at the caller.
 */
export const MESH_METRICS: Readonly<Record<MetricsMesh, MeshMetrics>> = {
  istio: {
    mesh: "istio",
    requests: `istio_requests_total{reporter="destination"}`,
    requestLabels: ["source_workload_namespace", "source_workload", "destination_service_namespace", "destination_service_name", "response_code"],
    status: { to: "response_class", from: "response_code", regex: "([1-5])[0-9][0-9]", replacement: "${1}xx" },
    latencyBuckets: `istio_request_duration_milliseconds_bucket{reporter="destination"}`,
    latencyLabels: ["source_workload_namespace", "source_workload", "destination_service_namespace", "destination_service_name"],
    latencyToSeconds: MS,
    labels: [
      { to: "source_namespace", from: "source_workload_namespace" },
      { to: "destination_namespace", from: "destination_service_namespace" },
      { to: "destination_service", from: "destination_service_name" },
    ],
    sources: [
      "https://istio.io/latest/docs/reference/config/metrics/ (istio_requests_total, istio_request_duration_milliseconds; labels reporter, source_workload, source_workload_namespace, destination_service_name, destination_service_namespace, response_code)",
    ],
    notes:
      "Istio's standard metrics as its Prometheus integration scrapes them (no relabeling needed). Latency: the whole request, in milliseconds (istio_request_duration_milliseconds).",
  },
  linkerd: {
    mesh: "linkerd",
    requests: `response_total{direction="outbound"}`,
    requestLabels: ["namespace", "deployment", "dst_namespace", "dst_service", "status_code"],
    status: { to: "response_class", from: "status_code", regex: "([1-5])[0-9][0-9]", replacement: "${1}xx" },
    latencyBuckets: `response_latency_ms_bucket{direction="outbound"}`,
    latencyLabels: ["namespace", "deployment", "dst_namespace", "dst_service"],
    latencyToSeconds: MS,
    labels: [
      { to: "source_namespace", from: "namespace" },
      { to: "source_workload", from: "deployment" },
      { to: "destination_namespace", from: "dst_namespace" },
      { to: "destination_service", from: "dst_service" },
    ],
    sources: [
      "https://linkerd.io/2-edge/reference/proxy-metrics/ (response_total, response_latency_ms; labels direction, status_code; outbound labels dst_namespace, dst_service; namespace and deployment added at collection time from the pod and its linkerd.io/proxy-deployment label)",
    ],
    notes:
      'The caller\'s proxy (direction="outbound"), scraped as linkerd-viz does (namespace and deployment labels from the pod). Latency: time to first byte of the response (response_latency_ms), in milliseconds.',
  },
  appmesh: {
    mesh: "appmesh",
    requests: `envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"cds_egress_.+",envoy_cluster_name!~"cds_egress_[^_]+_amazonaws"}`,
    requestLabels: ["appmesh_virtual_node", "envoy_cluster_name", "envoy_response_code_class"],
    status: { to: "response_class", from: "envoy_response_code_class", regex: "([1-5])", replacement: "${1}xx" },
    latencyBuckets: `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"cds_egress_.+",envoy_cluster_name!~"cds_egress_[^_]+_amazonaws"}`,
    latencyLabels: ["appmesh_virtual_node", "envoy_cluster_name"],
    latencyToSeconds: MS,
    labels: [
      // cds_egress_<mesh>_<virtual node>_<protocol>_<port>; the controller names a VirtualNode <name>_<namespace>.
      { to: "destination_service", from: "envoy_cluster_name", regex: "cds_egress_[^_]+_(.+)_(?:http|http2|grpc|tcp)_[0-9]+" },
      { to: "destination_namespace", from: "destination_service", regex: "([^_]+)_([^_]+)", replacement: "$2" },
      { to: "destination_service", from: "destination_service", regex: "([^_]+)_([^_]+)", replacement: "$1" },
      // The caller: the appmesh.virtual_node stats tag (ENABLE_ENVOY_STATS_TAGS=1).
      { to: "source_workload", from: "appmesh_virtual_node", regex: "([^_]+)(?:_[^_]+)?" },
      { to: "source_namespace", from: "appmesh_virtual_node", regex: "[^_]+_([^_]+)" },
    ],
    sources: [
      "https://docs.aws.amazon.com/app-mesh/latest/userguide/envoy-metrics.html (cluster names cds_<direction>_<mesh>_<virtual node>_<protocol>_<port>; ENABLE_ENVOY_STATS_TAGS=1 adds appmesh.mesh and appmesh.virtual_node)",
      "https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats (upstream_rq_<xx>, upstream_rq_time in ms; Prometheus tags envoy_cluster_name, envoy_response_code_class)",
    ],
    notes:
      "The caller's Envoy egress clusters (/stats/prometheus on port 9901), with ENABLE_ENVOY_STATS_TAGS=1 on the Envoy containers for the caller's labels. A subset's routing VirtualNode (<service>-<subset>) is its own destination_service. Latency: upstream_rq_time, in milliseconds.",
  },
  kuma: {
    mesh: "kuma",
    requests: `envoy_cluster_upstream_rq_xx{envoy_cluster_name=~"kri_msvc_.+|.+_msvc_.+"}`,
    requestLabels: ["namespace", "kuma_workload", "envoy_cluster_name", "envoy_response_code_class"],
    status: { to: "response_class", from: "envoy_response_code_class", regex: "([1-5])", replacement: "${1}xx" },
    latencyBuckets: `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"kri_msvc_.+|.+_msvc_.+"}`,
    latencyLabels: ["namespace", "kuma_workload", "envoy_cluster_name"],
    latencyToSeconds: MS,
    labels: [
      { to: "source_namespace", from: "namespace" },
      { to: "source_workload", from: "kuma_workload" },
      // Unified naming: kri_msvc_<mesh>_<zone>_<namespace>_<name>_<section>.
      { to: "destination_namespace", from: "envoy_cluster_name", regex: "kri_msvc_[^_]*_[^_]*_([^_]*)_[^_]+_.*" },
      { to: "destination_service", from: "envoy_cluster_name", regex: "kri_msvc_[^_]*_[^_]*_[^_]*_([^_]+)_.*" },
      // Legacy naming: <mesh>_<name>_<namespace>_<zone>_msvc_<port>.
      { to: "destination_service", from: "envoy_cluster_name", regex: "[^_]+_([^_]+)_[^_]*_[^_]*_msvc_.*" },
      { to: "destination_namespace", from: "envoy_cluster_name", regex: "[^_]+_[^_]+_([^_]*)_[^_]*_msvc_.*" },
    ],
    sources: [
      'kumahq/kuma v2.14.3 dashboards/grafana/kuma-service-health.json and README.md (job kuma-dataplanes: /stats/prometheus on 9902 with mesh, namespace, kuma_workload labels; destinations envoy_cluster_name=~".*_m?svc_.*")',
      "kumahq/kuma v2.14.3 pkg/plugins/policies/meshhttproute/plugin/v1alpha1/testdata/basic-real-meshservice-and-mzms-labels*.clusters.golden.yaml (MeshService cluster names default_backend___msvc_80, kri_msvc_default___backend_80)",
      "https://www.envoyproxy.io/docs/envoy/latest/configuration/upstream/cluster_manager/cluster_stats",
    ],
    notes:
      "The caller's Envoy clusters to MeshServices, scraped as Kuma's dashboards expect (job kuma-dataplanes with namespace and kuma_workload labels). Latency: upstream_rq_time, in milliseconds.",
  },
  builtin: {
    mesh: "builtin",
    requests: `unimesh_requests_total{direction="outbound"}`,
    requestLabels: ["source", "destination", "route", "response_code"],
    status: { to: "response_class", from: "response_code", regex: "([1-5])[0-9][0-9]", replacement: "${1}xx" },
    latencyBuckets: `unimesh_request_duration_seconds_bucket{direction="outbound"}`,
    latencyLabels: ["source", "destination", "route"],
    latencyToSeconds: 1,
    labels: [
      // source: <namespace>/<service account> of the caller; destination: <namespace>/<service>.
      { to: "source_namespace", from: "source", regex: "([^/]*)/(.*)", replacement: "$1" },
      { to: "source_workload", from: "source", regex: "([^/]*)/(.*)", replacement: "$2" },
      { to: "destination_namespace", from: "destination", regex: "([^/]*)/(.*)", replacement: "$1" },
      { to: "destination_service", from: "destination", regex: "([^/]*)/(.*)", replacement: "$2" },
    ],
    sources: [
      "src/proxy/observe/metrics.ts (unimesh_requests_total, unimesh_request_duration_seconds; labels direction, source, destination, route, response_code)",
    ],
    notes:
      "The caller's listener of the built-in proxy (direction=\"outbound\"), scraped on the admin port's /metrics. source_workload is the caller's service account. Latency: the whole request, in seconds.",
  },
};

/** PromQL string literal. */
function q(s: string): string {
  return JSON.stringify(s);
}

/** Wraps `expr` in label_replace calls mapping native labels to normalized ones (in order). */
function relabel(expr: string, labels: readonly LabelFrom[]): string {
  let e = expr;
  for (const l of labels) e = `label_replace(${e}, ${q(l.to)}, ${q(l.replacement ?? "$1")}, ${q(l.from)}, ${q(l.regex ?? "(.*)")})`;
  return e;
}

/** The normalized labels kept by the request rate (the mesh label is the rule's). */
const KEPT = GOLDEN_LABELS.filter((l) => l !== "mesh");

/** A Prometheus rule group (the rules file format). */
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: { record: string; expr: string; labels?: Record<string, string> }[];
}

/** Options of {@link recordingRules}. */
export interface RulesOptions {
  /** The rate window (PromQL duration, e.g. `5m`, `30s`): part of the series names. @default "5m" */
  window?: string;
  /** The group's evaluation interval (PromQL duration); default: Prometheus' global one. */
  interval?: string;
}

/** A Prometheus duration (`30s`, `5m`, `1h30m`): what a rule window or interval must be. */
export const PROMETHEUS_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

function checkDuration(name: string, v: string | undefined): void {
  if (v !== undefined && !PROMETHEUS_DURATION.test(v)) throw new UsageError(`${name} ${JSON.stringify(v)} is not a Prometheus duration (e.g. 30s, 5m, 1h)`);
}

/**
 * The recording rules computing the normalized series from one mesh's native metrics: one group
 * `unimesh-golden-<mesh>`, request rate first (the success ratio reads it within the same evaluation).
 * @throws UsageError for an unknown mesh or a window/interval that is not a Prometheus duration.
 */
export function recordingRules(mesh: string, options: RulesOptions = {}): RuleGroup {
  const m = MESH_METRICS[mesh as MetricsMesh];
  if (!m) throw new UsageError(`no golden-metrics rules for mesh ${JSON.stringify(mesh)}; meshes: ${METRICS_MESHES.join(", ")}`);
  const window = options.window ?? "5m";
  checkDuration("window", window);
  checkDuration("interval", options.interval);
  const names = goldenSeries(window);
  const keep = (withClass: boolean) => [...KEPT, ...(withClass ? ["response_class"] : [])].join(", ");
  const rate = `sum by (${m.requestLabels.join(", ")}) (rate(${m.requests}[${window}]))`;
  const requests = `sum by (${keep(true)}) (${relabel(rate, [...m.labels, m.status])})`;
  const mine = `${names.requests}{mesh=${q(m.mesh)}}`;
  const all = `sum without (response_class) (${mine})`;
  // 1xx-4xx over all; a pair with requests but no success is 0 (the `or` keeps it), not absent.
  const ratio = `(sum without (response_class) (${names.requests}{mesh=${q(m.mesh)},response_class=~"[1-4]xx"}) or 0 * ${all}) / ${all}`;
  const latency = (quantile: number) => {
    const h = `histogram_quantile(${quantile}, sum by (le, ${m.latencyLabels.join(", ")}) (rate(${m.latencyBuckets}[${window}])))`;
    const seconds = m.latencyToSeconds === 1 ? h : `${h} / ${m.latencyToSeconds}`;
    return `max by (${keep(false)}) (${relabel(seconds, m.labels)})`;
  };
  const labels = { mesh: m.mesh };
  return {
    name: `unimesh-golden-${m.mesh}`,
    ...(options.interval ? { interval: options.interval } : {}),
    rules: [
      { record: names.requests, expr: requests, labels },
      { record: names.successRatio, expr: ratio, labels },
      { record: names.latency.p50, expr: latency(0.5), labels },
      { record: names.latency.p90, expr: latency(0.9), labels },
      { record: names.latency.p99, expr: latency(0.99), labels },
    ],
  };
}

/** A plain Prometheus rules file (`rule_files:`): `{groups: [...]}` for the given meshes. */
export function rulesFile(meshes: readonly string[], options: RulesOptions = {}): { groups: RuleGroup[] } {
  return { groups: meshes.map((m) => recordingRules(m, options)) };
}

/** Options of {@link prometheusRule}. */
export interface PrometheusRuleOptions extends RulesOptions {
  /** metadata.name. @default "unimesh-golden-metrics" */
  name?: string;
  /** metadata.namespace. @default "monitoring" */
  namespace?: string;
  /** Extra labels, e.g. what the Prometheus object's ruleSelector selects (`release: prometheus`). */
  labels?: Record<string, string>;
}

/**
 * The rules as a prometheus-operator `PrometheusRule` (monitoring.coreos.com/v1, `spec.groups`, the
 * CRD of prometheus-operator v0.93.0), with unimesh's ownership labels.
 * @throws UsageError as {@link recordingRules}, or for a name or namespace that is not a DNS name.
 */
export function prometheusRule(meshes: readonly string[], options: PrometheusRuleOptions = {}): KubeObject {
  const name = options.name ?? "unimesh-golden-metrics";
  const namespace = options.namespace ?? "monitoring";
  if (!isDnsSubdomain(name)) throw new UsageError(`PrometheusRule name ${JSON.stringify(name)} is not a DNS-1123 subdomain`);
  if (!isDnsSubdomain(namespace) || namespace.includes(".")) throw new UsageError(`namespace ${JSON.stringify(namespace)} is not a DNS-1123 label`);
  const metadata = { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, ...options.labels } };
  return { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata, spec: rulesFile(meshes, options) };
}
