/**
 * src/proxy/observe/metrics.ts: the request series (`unimesh_requests_total`,
 * `unimesh_request_duration_seconds`) that ProxyMetrics.request keeps by label values without building
 * a key per request: each distinct label set is its own series, counted and observed in the right
 * bucket, and the exposition reads as Prometheus expects (no `route` label when there was no route).
 */
import { describe, expect, test } from "vitest";
import { ProxyMetrics } from "../../src/proxy/observe/metrics.js";

describe("ProxyMetrics.request", () => {
  test("one series per label set, counted and observed", () => {
    const m = new ProxyMetrics();
    m.request("outbound", "ns/a", "ns/b", 200, 0.0004, "TrafficPolicy/ns/p#/spec/routes/0");
    m.request("outbound", "ns/a", "ns/b", 200, 0.003, "TrafficPolicy/ns/p#/spec/routes/0");
    m.request("outbound", "ns/a", "ns/b", 503, 0.2, "TrafficPolicy/ns/p#/spec/routes/0");
    m.request("outbound", "ns/a", "ns/b", 200, 0.02, "TrafficPolicy/ns/p#/spec/routes/1");
    m.request("outbound", "ns/a", "ns/b", 404, 0.001);
    m.request("inbound", "ns/a", "ns/b", 200, 0.001);
    // Label values that are equal strings but not the same string objects are the same series.
    m.request(["in", "bound"].join(""), "ns/" + "a", ["ns", "b"].join("/"), 200, 0.001);

    expect(m.requests.get({ direction: "outbound" })).toBe(5);
    expect(m.requests.get({ direction: "outbound", response_code: "200" })).toBe(3);
    expect(m.requests.get({ route: "TrafficPolicy/ns/p#/spec/routes/0" })).toBe(3);
    expect(m.requests.get({ direction: "inbound", response_code: "200" })).toBe(2);
    expect(m.duration.count({ direction: "outbound", response_code: "200", route: "TrafficPolicy/ns/p#/spec/routes/0" })).toBe(2);

    const text = m.render();
    const route0 = 'direction="outbound",source="ns/a",destination="ns/b",response_code="200",route="TrafficPolicy/ns/p#/spec/routes/0"';
    expect(text).toContain(`unimesh_requests_total{${route0}} 2\n`);
    expect(text).toContain('unimesh_requests_total{direction="inbound",source="ns/a",destination="ns/b",response_code="200"} 2\n');
    expect(text).toContain('unimesh_requests_total{direction="outbound",source="ns/a",destination="ns/b",response_code="404"} 1\n');
    // 0.4 ms and 3 ms: cumulative buckets 1 at le=0.0005, 1 at le=0.0025, 2 at le=0.005 and above.
    expect(text).toContain(`unimesh_request_duration_seconds_bucket{${route0},le="0.0005"} 1\n`);
    expect(text).toContain(`unimesh_request_duration_seconds_bucket{${route0},le="0.0025"} 1\n`);
    expect(text).toContain(`unimesh_request_duration_seconds_bucket{${route0},le="0.005"} 2\n`);
    expect(text).toContain(`unimesh_request_duration_seconds_bucket{${route0},le="+Inf"} 2\n`);
    const sum = text.split("\n").find((l) => l.startsWith(`unimesh_request_duration_seconds_sum{${route0}} `));
    expect(Number(sum?.split(" ").at(-1))).toBeCloseTo(0.0034, 10);
    expect(text).toContain(`unimesh_request_duration_seconds_count{${route0}} 2\n`);
    // Exactly the label sets requested: 5 request series (two inbound calls share one).
    expect(text.match(/^unimesh_requests_total\{/gm)).toHaveLength(5);
  });
});
