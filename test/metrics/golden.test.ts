/**
 * The golden-metrics recording rules (issue 16, section 2): every generated rules file passes
 * `promtool check rules`; `promtool test rules` feeds each mesh's rules synthetic series named and
 * labelled as that mesh really exports them (from the upstream documents cited per mesh below and in
 * src/metrics/golden.ts MESH_METRICS) and checks the normalized series' values; the PrometheusRule passes
 * the prometheus-operator CRD; the dashboard queries only normalized series.
 */
import { describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { UsageError, dumpYaml } from "../../src/index.js";
import { METRICS_MESHES, goldenSeries, prometheusRule, recordingRules, rulesFile, type MetricsMesh } from "../../src/metrics/golden.js";
import { grafanaDashboard } from "../../src/metrics/dashboard.js";
import { validatorFromCrdDocuments } from "../support/crd-validator.js";
import { missing, promtool } from "./support.js";

const ROOT = join(import.meta.dirname, "../..");

function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "unimesh-rules-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("promtool check rules", () => {
  const skip = missing("promtool");
  test.skipIf(!!skip)("every mesh's rules file, all meshes in one file, and the PrometheusRule's groups are valid", () => {
    const { dir, done } = tempDir();
    try {
      const files: [string, unknown][] = [
        ...METRICS_MESHES.map((m): [string, unknown] => [`${m}.rules.yaml`, rulesFile([m])]),
        ["all.rules.yaml", rulesFile(METRICS_MESHES)],
        ["window.rules.yaml", rulesFile(METRICS_MESHES, { window: "30s", interval: "10s" })],
        ["operator.rules.yaml", prometheusRule(METRICS_MESHES).spec],
      ];
      for (const [name, content] of files) {
        writeFileSync(join(dir, name), dumpYaml(content));
        const r = promtool(["check", "rules", name], dir);
        expect({ name, status: r.status, output: r.output }).toMatchObject({ name, status: 0 });
        expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
      }
      // promtool's lint would flag a broken rule: it can fail (a rule with a syntax error is refused).
      writeFileSync(join(dir, "bad.rules.yaml"), dumpYaml({ groups: [{ name: "x", rules: [{ record: "unimesh:x", expr: "sum by (a (b)" }] }] }));
      expect(promtool(["check", "rules", "bad.rules.yaml"], dir).status).not.toBe(0);
    } finally {
      done();
    }
  });
});

/** One synthetic native series: its labels and its increase per minute. */
interface Native {
  metric: string;
  labels: Record<string, string>;
  perMinute: number;
}

/** A mesh's synthetic series: request counters and a latency histogram, plus series the rules must ignore. */
interface Fixture {
  /** The upstream document the names and labels are taken from. */
  source: string;
  requests: Native[];
  /** Histogram buckets: `le` (in the mesh's unit) → increase per minute (cumulative). */
  buckets: { metric: string; labels: Record<string, string>; le: Record<string, number> };
  /** The normalized labels expected for the pair (besides mesh and response_class). */
  pair: Record<string, string>;
  /** A second pair (another naming the rules must read), if any. */
  other?: { requests: Native[]; pair: Record<string, string> };
}

const OK = 90;
const FAIL = 10;
/** Cumulative bucket increases per minute: 50 under 10 ms, 99 under 100 ms, 100 in all. */
const MS_BUCKETS = { "10": 50, "100": 99, "+Inf": 100 };
const S_BUCKETS = { "0.01": 50, "0.1": 99, "+Inf": 100 };

const FIXTURES: Record<MetricsMesh, Fixture> = {
  // https://istio.io/latest/docs/reference/config/metrics/: istio_requests_total and
  // istio_request_duration_milliseconds, reported by both sides (reporter source/destination).
  istio: (() => {
    const base = {
      reporter: "destination",
      source_workload: "productpage-v1",
      source_workload_namespace: "bookinfo",
      source_principal: "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage",
      source_app: "productpage",
      source_version: "v1",
      destination_workload: "reviews-v1",
      destination_workload_namespace: "bookinfo",
      destination_app: "reviews",
      destination_version: "v1",
      destination_service: "reviews.bookinfo.svc.cluster.local",
      destination_service_name: "reviews",
      destination_service_namespace: "bookinfo",
      destination_principal: "spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews",
      request_protocol: "http",
      response_flags: "-",
      connection_security_policy: "mutual_tls",
      destination_cluster: "Kubernetes",
      source_cluster: "Kubernetes",
    };
    return {
      source: "istio.io/latest/docs/reference/config/metrics",
      requests: [
        { metric: "istio_requests_total", labels: { ...base, response_code: "200" }, perMinute: OK },
        { metric: "istio_requests_total", labels: { ...base, response_code: "503", response_flags: "UF" }, perMinute: FAIL },
        // The caller's report of the same requests: not counted twice.
        { metric: "istio_requests_total", labels: { ...base, reporter: "source", response_code: "200", connection_security_policy: "unknown" }, perMinute: OK },
      ],
      buckets: { metric: "istio_request_duration_milliseconds_bucket", labels: { ...base, response_code: "200" }, le: MS_BUCKETS },
      pair: { source_namespace: "bookinfo", source_workload: "productpage-v1", destination_namespace: "bookinfo", destination_service: "reviews" },
    };
  })(),
  // https://linkerd.io/2-edge/reference/proxy-metrics/: response_total and response_latency_ms (ms),
  // direction inbound/outbound, status_code, classification, outbound dst_* labels; namespace, pod and
  // deployment added at collection time.
  linkerd: (() => {
    const base = {
      direction: "outbound",
      namespace: "bookinfo",
      pod: "productpage-v1-6b746f74dc-2c7nj",
      deployment: "productpage-v1",
      pod_template_hash: "6b746f74dc",
      app: "productpage",
      control_plane_ns: "linkerd",
      job: "linkerd-proxy",
      instance: "10.1.3.93:4191",
      authority: "reviews.bookinfo.svc.cluster.local:9080",
      dst_namespace: "bookinfo",
      dst_service: "reviews",
      dst_deployment: "reviews-v1",
      dst_pod_template_hash: "7d8d8f5c5b",
      tls: "true",
    };
    return {
      source: "linkerd.io/2-edge/reference/proxy-metrics",
      requests: [
        { metric: "response_total", labels: { ...base, status_code: "200", classification: "success" }, perMinute: OK },
        { metric: "response_total", labels: { ...base, status_code: "503", classification: "failure" }, perMinute: FAIL },
        // The destination's inbound side of the same requests: not counted twice.
        {
          metric: "response_total",
          labels: { direction: "inbound", namespace: "bookinfo", deployment: "reviews-v1", status_code: "200", classification: "success", tls: "true" },
          perMinute: OK,
        },
      ],
      buckets: { metric: "response_latency_ms_bucket", labels: { ...base, status_code: "200" }, le: MS_BUCKETS },
      pair: { source_namespace: "bookinfo", source_workload: "productpage-v1", destination_namespace: "bookinfo", destination_service: "reviews" },
    };
  })(),
  // docs.aws.amazon.com/app-mesh/latest/userguide/envoy-metrics.html: clusters
  // cds_<direction>_<mesh>_<virtual node>_<protocol>_<port> (VirtualNode <name>_<namespace> as the
  // controller names it), ENABLE_ENVOY_STATS_TAGS=1 adds appmesh.mesh and appmesh.virtual_node; Envoy's
  // upstream_rq_<xx> (tag envoy_response_code_class) and upstream_rq_time (ms).
  appmesh: (() => {
    const base = {
      appmesh_mesh: "bookinfo-mesh",
      appmesh_virtual_node: "productpage_bookinfo",
      envoy_cluster_name: "cds_egress_bookinfo-mesh_reviews_bookinfo_http_9080",
      job: "appmesh-envoy",
    };
    return {
      source: "docs.aws.amazon.com/app-mesh/latest/userguide/envoy-metrics.html",
      requests: [
        { metric: "envoy_cluster_upstream_rq_xx", labels: { ...base, envoy_response_code_class: "2" }, perMinute: OK },
        { metric: "envoy_cluster_upstream_rq_xx", labels: { ...base, envoy_response_code_class: "5" }, perMinute: FAIL },
        // The ingress cluster (to the pod's own container) and the AWS-services cluster are not service pairs.
        {
          metric: "envoy_cluster_upstream_rq_xx",
          labels: {
            ...base,
            appmesh_virtual_node: "reviews_bookinfo",
            envoy_cluster_name: "cds_ingress_bookinfo-mesh_reviews_bookinfo_http_9080",
            envoy_response_code_class: "2",
          },
          perMinute: OK,
        },
        {
          metric: "envoy_cluster_upstream_rq_xx",
          labels: { ...base, envoy_cluster_name: "cds_egress_bookinfo-mesh_amazonaws", envoy_response_code_class: "2" },
          perMinute: 5,
        },
      ],
      buckets: { metric: "envoy_cluster_upstream_rq_time_bucket", labels: base, le: MS_BUCKETS },
      pair: { source_namespace: "bookinfo", source_workload: "productpage", destination_namespace: "bookinfo", destination_service: "reviews" },
    };
  })(),
  // kumahq/kuma v2.14.3 dashboards/grafana/kuma-service-health.json (labels mesh, namespace, kuma_workload;
  // destinations envoy_cluster_name=~".*_m?svc_.*") and the MeshService cluster names of
  // pkg/plugins/policies/meshhttproute/plugin/v1alpha1/testdata (default_backend___msvc_80,
  // kri_msvc_default___backend_80).
  kuma: (() => {
    const base = {
      mesh: "default",
      namespace: "bookinfo",
      kuma_workload: "productpage",
      kuma_io_zone: "zone-1",
      pod: "productpage-v1-6b746f74dc-2c7nj",
      job: "kuma-dataplanes",
      envoy_cluster_name: "default_reviews_bookinfo_zone-1_msvc_9080",
    };
    return {
      source: "kumahq/kuma v2.14.3 dashboards/grafana",
      requests: [
        { metric: "envoy_cluster_upstream_rq_xx", labels: { ...base, envoy_response_code_class: "2" }, perMinute: OK },
        { metric: "envoy_cluster_upstream_rq_xx", labels: { ...base, envoy_response_code_class: "5" }, perMinute: FAIL },
        // The sidecar's inbound cluster (to its own app) is not a service pair.
        { metric: "envoy_cluster_upstream_rq_xx", labels: { ...base, envoy_cluster_name: "localhost_9080", envoy_response_code_class: "2" }, perMinute: OK },
      ],
      buckets: { metric: "envoy_cluster_upstream_rq_time_bucket", labels: base, le: MS_BUCKETS },
      pair: { source_namespace: "bookinfo", source_workload: "productpage", destination_namespace: "bookinfo", destination_service: "reviews" },
      // Kuma's unified naming (KRI): kri_msvc_<mesh>_<zone>_<namespace>_<name>_<section>.
      other: {
        requests: [
          {
            metric: "envoy_cluster_upstream_rq_xx",
            labels: { ...base, kuma_workload: "reviews", envoy_cluster_name: "kri_msvc_default_zone-1_bookinfo_ratings_9080", envoy_response_code_class: "2" },
            perMinute: 60,
          },
        ],
        pair: { source_namespace: "bookinfo", source_workload: "reviews", destination_namespace: "bookinfo", destination_service: "ratings" },
      },
    };
  })(),
  // src/proxy/observe/metrics.ts: unimesh_requests_total / unimesh_request_duration_seconds at the
  // caller's listener (direction outbound) and the destination's (inbound).
  builtin: (() => {
    const base = {
      direction: "outbound",
      source: "bookinfo/bookinfo-productpage",
      destination: "bookinfo/reviews",
      route: "TrafficPolicy/bookinfo/reviews-canary#/spec/routes/1",
    };
    return {
      source: "src/proxy/observe/metrics.ts",
      requests: [
        { metric: "unimesh_requests_total", labels: { ...base, response_code: "200" }, perMinute: OK },
        { metric: "unimesh_requests_total", labels: { ...base, response_code: "503" }, perMinute: FAIL },
        {
          metric: "unimesh_requests_total",
          labels: { direction: "inbound", source: "bookinfo/bookinfo-productpage", destination: "bookinfo/reviews", response_code: "200" },
          perMinute: OK,
        },
      ],
      buckets: { metric: "unimesh_request_duration_seconds_bucket", labels: { ...base, response_code: "200" }, le: S_BUCKETS },
      pair: {
        source_namespace: "bookinfo",
        source_workload: "bookinfo-productpage",
        destination_namespace: "bookinfo",
        destination_service: "reviews",
        route: "TrafficPolicy/bookinfo/reviews-canary#/spec/routes/1",
      },
    };
  })(),
};

/** `name{a="b",...}` with labels sorted (promtool parses it; the order does not matter). */
function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;
}

/** A promtool unit-test file for one mesh's rules (window 5m, evaluated at 10m over 1m samples). */
function unitTest(mesh: MetricsMesh, rulesFileName: string): string {
  const f = FIXTURES[mesh];
  const s = goldenSeries("5m");
  const input = [...f.requests, ...(f.other?.requests ?? [])].map((n) => ({ series: series(n.metric, n.labels), values: `0+${n.perMinute}x15` }));
  for (const [le, perMinute] of Object.entries(f.buckets.le))
    input.push({ series: series(f.buckets.metric, { ...f.buckets.labels, le }), values: `0+${perMinute}x15` });
  const pair = { mesh, ...f.pair };
  // Rates per second over 5m of per-minute increases; the success ratio 90 / (90 + 10).
  // Values are compared in millionths (promtool compares floats exactly): round(x * 1e6).
  const micro = (labels: Record<string, string>, value: number) => ({ labels: series("", labels), value: Math.round(value * 1e6) });
  const requests = [micro({ ...pair, response_class: "2xx" }, OK / 60), micro({ ...pair, response_class: "5xx" }, FAIL / 60)];
  const ratios = [micro(pair, OK / (OK + FAIL))];
  if (f.other) {
    const otherPair = { mesh, ...f.other.pair };
    requests.push(micro({ ...otherPair, response_class: "2xx" }, 1));
    ratios.push(micro(otherPair, 1));
  }
  // histogram_quantile over the buckets (10, 100] ms: p50 = 10 ms, p90 = 10 + 90 * 40/49 ms, p99 = 100 ms.
  const latency = { p50: 0.01, p90: (10 + (90 * 40) / 49) / 1000, p99: 0.1 };
  const rounded = (name: string) => `round(${name} * 1000000)`;
  return dumpYaml({
    rule_files: [rulesFileName],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: input,
        promql_expr_test: [
          { expr: rounded(s.requests), eval_time: "10m", exp_samples: requests },
          { expr: rounded(s.successRatio), eval_time: "10m", exp_samples: ratios },
          ...(["p50", "p90", "p99"] as const).map((p) => ({ expr: rounded(s.latency[p]), eval_time: "10m", exp_samples: [micro(pair, latency[p])] })),
        ],
      },
    ],
  });
}

describe("promtool test rules: each mesh's rules on the series that mesh exports", () => {
  const skip = missing("promtool");
  for (const mesh of METRICS_MESHES) {
    test.skipIf(!!skip)(`${mesh} (${FIXTURES[mesh].source})`, () => {
      const { dir, done } = tempDir();
      try {
        writeFileSync(join(dir, "rules.yaml"), dumpYaml(rulesFile([mesh])));
        writeFileSync(join(dir, "test.yaml"), unitTest(mesh, "rules.yaml"));
        const r = promtool(["test", "rules", "test.yaml"], dir);
        expect(r.output).toContain("SUCCESS");
        expect(r.status).toBe(0);
      } finally {
        done();
      }
    });
  }

  test.skipIf(!!skip)("the unit tests can fail: another mesh's rules on these series record nothing", () => {
    const { dir, done } = tempDir();
    try {
      writeFileSync(join(dir, "rules.yaml"), dumpYaml(rulesFile(["linkerd"])));
      writeFileSync(join(dir, "test.yaml"), unitTest("istio", "rules.yaml"));
      const r = promtool(["test", "rules", "test.yaml"], dir);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/FAILED/);
    } finally {
      done();
    }
  });
});

describe("PrometheusRule and the library API", () => {
  test("the PrometheusRule passes prometheus-operator v0.93.0's CRD (test/crds/prometheus-operator)", () => {
    const text = readFileSync(join(ROOT, "test/crds/prometheus-operator/v0.93.0/monitoring.coreos.com_prometheusrules.yaml"), "utf8");
    const crds = validatorFromCrdDocuments(yaml.loadAll(text), "prometheus-operator v0.93.0");
    const rule = prometheusRule(METRICS_MESHES, { namespace: "observability", labels: { release: "prometheus" } });
    expect(rule.metadata).toEqual({
      name: "unimesh-golden-metrics",
      namespace: "observability",
      labels: { "app.kubernetes.io/managed-by": "unimesh", release: "prometheus" },
    });
    expect(crds.validate(rule)).toEqual([]);
    // The validator rejects what the CRD rejects (a rule without expr).
    expect(crds.validate({ ...rule, spec: { groups: [{ name: "x", rules: [{ record: "a" }] }] } })).not.toEqual([]);
  });

  test("one group per mesh, request rate first; bad meshes, windows and names are usage errors", () => {
    const g = recordingRules("istio", { window: "1m", interval: "30s" });
    expect(g.name).toBe("unimesh-golden-istio");
    expect(g.interval).toBe("30s");
    expect(g.rules.map((r) => r.record)).toEqual([
      "unimesh:requests:rate1m",
      "unimesh:request_success_ratio:rate1m",
      "unimesh:request_duration_seconds:p50_1m",
      "unimesh:request_duration_seconds:p90_1m",
      "unimesh:request_duration_seconds:p99_1m",
    ]);
    expect(g.rules.every((r) => r.labels?.mesh === "istio")).toBe(true);
    expect(() => recordingRules("consul")).toThrow(UsageError);
    expect(() => recordingRules("istio", { window: "5 minutes" })).toThrow(/not a Prometheus duration/);
    expect(() => recordingRules("istio", { window: "5m}[1m]) or vector(1" })).toThrow(UsageError);
    expect(() => prometheusRule(["istio"], { name: "Not_A_Name" })).toThrow(UsageError);
    // Deterministic output.
    expect(dumpYaml(rulesFile(METRICS_MESHES))).toBe(dumpYaml(rulesFile(METRICS_MESHES)));
  });
});

describe("Grafana dashboard", () => {
  test("queries only the normalized series, for every mesh (a mesh variable)", () => {
    const d = grafanaDashboard() as any;
    const exprs: string[] = [];
    const walk = (panels: any[]) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) exprs.push(t.expr);
        walk(p.panels ?? []);
      }
    };
    walk(d.panels);
    for (const v of d.templating.list) if (v.type === "query") exprs.push(v.query.query ?? v.query);
    expect(exprs.length).toBeGreaterThan(5);
    const s = goldenSeries("5m");
    const normalized = new Set([s.requests, s.successRatio, ...Object.values(s.latency)]);
    for (const e of exprs) {
      // Every recorded-series name in the expression (a name with colons) is a normalized series, and no
      // mesh's native metric appears.
      const names = [...e.replace(/"[^"]*"/g, '""').matchAll(/[a-zA-Z_][a-zA-Z0-9_]*(?::[a-zA-Z0-9_]+)+/g)].map((m) => m[0]);
      expect(names.length, e).toBeGreaterThan(0);
      for (const n of names) expect(normalized.has(n), `${n} in ${e}`).toBe(true);
      expect(e).not.toMatch(/\b(istio_|envoy_|response_total|response_latency_ms|unimesh_request)/);
    }
    expect(d.templating.list.map((v: any) => v.name)).toEqual(["datasource", "mesh", "destination_namespace", "destination_service", "source_workload"]);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});
