/**
 * One Grafana dashboard for every mesh: it queries only unimesh's normalized series (golden.ts), so the
 * same JSON shows Istio, Linkerd, App Mesh, Kuma and the built-in proxy once their recording rules run.
 * Grafana dashboard JSON model (schemaVersion 39), a Prometheus data source variable, and variables for
 * mesh, destination namespace and service, and source workload.
 * @see https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */
import { goldenSeries } from "./golden.js";

/** Options of {@link grafanaDashboard}. */
export interface DashboardOptions {
  /** The rate window of the recording rules (their series names). @default "5m" */
  window?: string;
  /** Dashboard title. @default "unimesh golden metrics" */
  title?: string;
  /** Dashboard uid (stable across imports). @default "unimesh-golden" */
  uid?: string;
}

/**
 * The dashboard JSON (an object; serialize with JSON.stringify). Panels: request rate per source and
 * destination, success ratio, latency p50/p90/p99, requests by response class, and a table of the pairs.
 */
export function grafanaDashboard(options: DashboardOptions = {}): Record<string, unknown> {
  const s = goldenSeries(options.window ?? "5m");
  const ds = { type: "prometheus", uid: "${datasource}" };
  const sel = `mesh=~"$mesh",destination_namespace=~"$destination_namespace",destination_service=~"$destination_service",source_workload=~"$source_workload"`;
  const pair = "source_workload, destination_namespace, destination_service";
  let id = 0;
  const panel = (
    title: string,
    description: string,
    gridPos: { x: number; y: number; w: number; h: number },
    targets: { expr: string; legendFormat: string }[],
    unit: string,
    extra: Record<string, unknown> = {},
  ) => ({
    id: ++id,
    type: "timeseries",
    title,
    description,
    datasource: ds,
    gridPos,
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi" } },
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: ds, expr: t.expr, legendFormat: t.legendFormat })),
    ...extra,
  });
  const variable = (name: string, label: string, query: string) => ({
    name,
    label,
    type: "query",
    datasource: ds,
    query: { query, refId: name },
    definition: query,
    includeAll: true,
    multi: true,
    allValue: ".*",
    current: { text: "All", value: "$__all" },
    refresh: 2,
    sort: 1,
  });
  return {
    title: options.title ?? "unimesh golden metrics",
    uid: options.uid ?? "unimesh-golden",
    description:
      "Requests, success ratio and latency percentiles per source and destination, from unimesh's normalized series (`unimesh metrics rules`), the same for every mesh.",
    tags: ["unimesh", "service-mesh", "golden-signals"],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    timepicker: {},
    annotations: { list: [] },
    templating: {
      list: [
        { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {}, hide: 0 },
        variable("mesh", "Mesh", `label_values(${s.requests}, mesh)`),
        variable("destination_namespace", "Destination namespace", `label_values(${s.requests}{mesh=~"$mesh"}, destination_namespace)`),
        variable(
          "destination_service",
          "Destination service",
          `label_values(${s.requests}{mesh=~"$mesh",destination_namespace=~"$destination_namespace"}, destination_service)`,
        ),
        variable(
          "source_workload",
          "Source workload",
          `label_values(${s.requests}{mesh=~"$mesh",destination_namespace=~"$destination_namespace",destination_service=~"$destination_service"}, source_workload)`,
        ),
      ],
    },
    panels: [
      panel(
        "Requests per second",
        "unimesh:requests: requests per second, per source workload and destination service.",
        { x: 0, y: 0, w: 12, h: 8 },
        [
          {
            expr: `sum by (mesh, ${pair}) (${s.requests}{${sel}})`,
            legendFormat: "{{source_workload}} → {{destination_service}}.{{destination_namespace}} ({{mesh}})",
          },
        ],
        "reqps",
      ),
      panel(
        "Success ratio",
        "unimesh:request_success_ratio: the share of requests answered 1xx-4xx.",
        { x: 12, y: 0, w: 12, h: 8 },
        [{ expr: `${s.successRatio}{${sel}}`, legendFormat: "{{source_workload}} → {{destination_service}}.{{destination_namespace}} {{route}} ({{mesh}})" }],
        "percentunit",
        { fieldConfig: { defaults: { unit: "percentunit", min: 0, max: 1 }, overrides: [] } },
      ),
      panel(
        "Latency p50 / p90 / p99",
        "unimesh:request_duration_seconds percentiles (each mesh's own latency: see the README's notes per mesh).",
        { x: 0, y: 8, w: 12, h: 8 },
        (["p50", "p90", "p99"] as const).map((p) => ({
          expr: `${s.latency[p]}{${sel}}`,
          legendFormat: `${p} {{source_workload}} → {{destination_service}}.{{destination_namespace}} {{route}}`,
        })),
        "s",
      ),
      panel(
        "Requests by response class",
        "unimesh:requests per response class (1xx..5xx).",
        { x: 12, y: 8, w: 12, h: 8 },
        [{ expr: `sum by (response_class) (${s.requests}{${sel}})`, legendFormat: "{{response_class}}" }],
        "reqps",
        { options: { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" }, stacking: { mode: "normal" } } },
      ),
      {
        id: ++id,
        type: "table",
        title: "Service pairs",
        description: "Every source and destination pair: rate, success ratio and p99 now.",
        datasource: ds,
        gridPos: { x: 0, y: 16, w: 24, h: 10 },
        targets: [
          { refId: "A", datasource: ds, expr: `sum by (mesh, ${pair}) (${s.requests}{${sel}})`, format: "table", instant: true },
          { refId: "B", datasource: ds, expr: `min by (mesh, ${pair}) (${s.successRatio}{${sel}})`, format: "table", instant: true },
          { refId: "C", datasource: ds, expr: `max by (mesh, ${pair}) (${s.latency.p99}{${sel}})`, format: "table", instant: true },
        ],
        transformations: [
          { id: "merge", options: {} },
          {
            id: "organize",
            options: { excludeByName: { Time: true }, renameByName: { "Value #A": "requests/s", "Value #B": "success ratio", "Value #C": "p99 (s)" } },
          },
        ],
        fieldConfig: { defaults: {}, overrides: [] },
        options: { showHeader: true },
      },
    ],
  };
}
