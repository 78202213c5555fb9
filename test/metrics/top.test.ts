/**
 * `unimesh top` against a fake Prometheus (a local HTTP server answering the HTTP API as Prometheus
 * documents it: https://prometheus.io/docs/prometheus/latest/querying/api/), hostile answers included.
 * The real Prometheus is in prometheus.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MissingRulesError, PrometheusError, readTop, renderTopTable, topJson } from "../../src/metrics/top.js";
import { refreshTop } from "../../src/cli/commands/top.js";
import type { CliIO } from "../../src/cli/io.js";
import { cli } from "../cli/helpers.js";

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
let server: Server;
let base = "";
let handler: Handler;
const seen: { path: string; query: string | null; authorization?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    seen.push({ path: url.pathname, query: url.searchParams.get("query"), authorization: req.headers.authorization });
    handler(req, res, url);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);
afterEach(() => {
  seen.length = 0;
});

const T = 1796000000.123;
const L = (dest: string, src = "bookinfo-productpage", route?: string) => ({
  mesh: "builtin",
  source_namespace: "bookinfo",
  source_workload: src,
  destination_namespace: "bookinfo",
  destination_service: dest,
  ...(route ? { route } : {}),
});
const vector = (samples: [Record<string, string>, string][]) => ({
  status: "success",
  data: { resultType: "vector", result: samples.map(([metric, v]) => ({ metric, value: [T, v] })) },
});
const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const RULES_5M = [
  "unimesh:requests:rate5m",
  "unimesh:request_success_ratio:rate5m",
  "unimesh:request_duration_seconds:p50_5m",
  "unimesh:request_duration_seconds:p90_5m",
  "unimesh:request_duration_seconds:p99_5m",
];
const rules = (names: string[]) => ({
  status: "success",
  data: {
    groups: [{ name: "unimesh-golden-builtin", file: "rules.yaml", rules: names.map((name) => ({ name, type: "recording", query: "x", health: "ok" })) }],
  },
});

/** Bookinfo: reviews (route named) and ratings (a 503 in four, no p90/p99 yet: NaN). */
function bookinfo(series: Partial<Record<string, [Record<string, string>, string][]>> = {}): Handler {
  const R = "TrafficPolicy/bookinfo/reviews-routes#/spec/routes/0";
  const data: Record<string, [Record<string, string>, string][]> = {
    "sum without (response_class) (unimesh:requests:rate5m)": [
      [L("ratings", "bookinfo-reviews", "default"), "4.5"],
      [L("reviews", undefined, R), "12.25"],
    ],
    "unimesh:request_success_ratio:rate5m": [
      [{ __name__: "x", ...L("ratings", "bookinfo-reviews", "default") }, "0.75"],
      [L("reviews", undefined, R), "1"],
    ],
    "unimesh:request_duration_seconds:p50_5m": [
      [L("ratings", "bookinfo-reviews", "default"), "0.0375"],
      [L("reviews", undefined, R), "0.0042"],
    ],
    "unimesh:request_duration_seconds:p90_5m": [
      [L("ratings", "bookinfo-reviews", "default"), "NaN"],
      [L("reviews", undefined, R), "0.009"],
    ],
    "unimesh:request_duration_seconds:p99_5m": [
      [L("ratings", "bookinfo-reviews", "default"), "NaN"],
      [L("reviews", undefined, R), "1.5"],
    ],
    ...series,
  };
  return (_req, res, url) => {
    if (url.pathname.endsWith("/api/v1/query")) return json(res, vector(data[url.searchParams.get("query")!] ?? []));
    if (url.pathname.endsWith("/api/v1/rules")) return json(res, rules(RULES_5M));
    json(res, { status: "error", errorType: "not_found", error: "no such path" }, 404);
  };
}

describe("unimesh top against a fake Prometheus", () => {
  test("--once: one row per service pair and route, busiest first; success in percent, latency in ms/s, - where Prometheus has NaN", async () => {
    handler = bookinfo();
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "MESH     SOURCE                         DESTINATION       ROUTE                                                   RPS  SUCCESS     P50    P99",
        "builtin  bookinfo/bookinfo-productpage  bookinfo/reviews  TrafficPolicy/bookinfo/reviews-routes#/spec/routes/0  12.25   100.0%  4.20ms  1.50s",
        "builtin  bookinfo/bookinfo-reviews      bookinfo/ratings  default                                                4.50    75.0%  37.5ms      -",
        "",
      ].join("\n"),
    );
    // The five recorded series of window 5m, each an instant query.
    expect(seen.map((s) => s.query).sort()).toEqual([
      "sum without (response_class) (unimesh:requests:rate5m)",
      "unimesh:request_duration_seconds:p50_5m",
      "unimesh:request_duration_seconds:p90_5m",
      "unimesh:request_duration_seconds:p99_5m",
      "unimesh:request_success_ratio:rate5m",
    ]);
  });

  test("not a terminal: prints once without --once; -o json: nulls where there is no value, the sample time", async () => {
    handler = bookinfo();
    const plain = await cli(["top", "--prometheus", base]);
    expect(plain.code).toBe(0);
    expect(plain.stdout.split("\n")[0]).toMatch(/^MESH\s+SOURCE\s+DESTINATION\s+ROUTE\s+RPS\s+SUCCESS\s+P50\s+P99$/);
    const r = await cli(["top", "--prometheus", base, "-o", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ prometheus: base, window: "5m", time: new Date(T * 1000).toISOString(), warnings: [] });
    expect(doc.rows[1]).toEqual({
      mesh: "builtin",
      source: { namespace: "bookinfo", workload: "bookinfo-reviews" },
      destination: { namespace: "bookinfo", service: "ratings" },
      route: "default",
      requestsPerSecond: 4.5,
      successRatio: 0.75,
      latencySeconds: { p50: 0.0375, p90: null, p99: null },
    });
  });

  test("--window 30s queries that window's series; a base URL with a path prefix and credentials (basic auth, not in messages)", async () => {
    handler = (_req, res, url) => {
      if (!url.pathname.startsWith("/prom/api/v1/")) return json(res, { status: "error", errorType: "not_found", error: "wrong path" }, 404);
      if (url.pathname.endsWith("/query")) return json(res, vector(url.searchParams.get("query")!.includes("rate30s)") ? [[L("reviews"), "1"]] : []));
      return json(res, rules(RULES_5M.map((n) => n.replace("5m", "30s"))));
    };
    const r = await cli(["top", "--prometheus", `${base.replace("http://", "http://ops:s%3Acret@")}/prom`, "--window", "30s", "--once", "-o", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows.map((x: any) => [x.destination.service, x.requestsPerSecond])).toEqual([["reviews", 1]]);
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set([`Basic ${Buffer.from("ops:s:cret").toString("base64")}`]));
    expect(seen.some((s) => s.query === "sum without (response_class) (unimesh:requests:rate30s)")).toBe(true);
    expect(r.stdout + r.stderr).not.toContain("cret");
  });

  test("rules loaded but no requests in the window: an empty table, exit 0", async () => {
    handler = bookinfo(Object.fromEntries(["sum without (response_class) (unimesh:requests:rate5m)", ...RULES_5M.slice(1)].map((q) => [q, []])));
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("MESH  SOURCE  DESTINATION  RPS  SUCCESS  P50  P99\n(no requests in the last 5m)\n");
  });

  test("no recording rules: exit 3 naming every missing series (and the window this Prometheus has)", async () => {
    handler = (_req, res, url) => json(res, url.pathname.endsWith("/rules") ? rules(["job:up:sum"]) : vector([]));
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `unimesh: Prometheus at ${base} has no recording rules ${RULES_5M.join(", ")}; load them: unimesh metrics rules --mesh <mesh> --window 5m (a rules file for rule_files:, or -o prometheusrule)\n`,
    );
    handler = (_req, res, url) => json(res, url.pathname.endsWith("/rules") ? rules(RULES_5M.map((n) => n.replace("5m", "1m"))) : vector([]));
    const other = await cli(["top", "--prometheus", base, "--once"]);
    expect(other.code).toBe(3);
    expect(other.stderr).toContain("(this Prometheus has the rules of window 1m: pass --window 1m)");
  });

  test("no series and no rules API (404): exit 3, the series named", async () => {
    handler = (_req, res, url) =>
      url.pathname.endsWith("/rules") ? json(res, { status: "error", errorType: "not_found", error: "" }, 404) : json(res, vector([]));
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`has no series ${RULES_5M.join(", ")}, and does not list its rules (GET /api/v1/rules)`);
  });

  test("some rules missing (latency): a warning naming them, the columns empty", async () => {
    const none = Object.fromEntries(RULES_5M.slice(2).map((q) => [q, []]));
    handler = (req, res, url) => (url.pathname.endsWith("/rules") ? json(res, rules(RULES_5M.slice(0, 2))) : bookinfo(none)(req, res, url));
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `unimesh: warning: Prometheus at ${base} has no recording rules ${RULES_5M.slice(2).join(", ")}: their columns stay empty; load every rule of unimesh metrics rules --window 5m\n`,
    );
    expect(r.stdout.split("\n")[1]).toMatch(/12\.25\s+100\.0%\s+-\s+-$/);
  });

  test("Prometheus unreachable: exit 3 with the URL and the reason", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await cli(["top", "--prometheus", `http://127.0.0.1:${port}`, "--once"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^unimesh: Prometheus at http://127\\.0\\.0\\.1:${port} could not be reached: connect ECONNREFUSED`));
  });

  test("usage errors (exit 2): not a URL, not http, a query in the URL, a bad interval or window", async () => {
    for (const [args, message] of [
      [["--prometheus", "localhost:9090"], /only http and https URLs/],
      [["--prometheus", "prometheus"], /is not a URL/],
      [["--prometheus", `${base}/?x=1`], /without a query or fragment/],
      [["--prometheus", base, "--interval", "0"], /--interval "0": expected seconds between 0.5 and 3600/],
      [["--prometheus", base, "--interval", "soon"], /--interval "soon"/],
      [["--prometheus", base, "--window", "5 minutes"], /--window "5 minutes" is not a Prometheus duration/],
    ] as const) {
      const r = await cli(["top", ...args, "--once"]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("hostile or broken answers: a clear error (exit 3), never a crash or a terminal escape", () => {
  const cases: [string, Handler, RegExp][] = [
    [
      "an HTML page",
      (_q, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body>Grafana login</body></html>");
      },
      /answered api\/v1\/query with something that is not JSON: <html><body>Grafana login<\/body><\/html> \(is it a Prometheus HTTP API\?\)/,
    ],
    [
      "HTTP 502 without JSON",
      (_q, res) => {
        res.writeHead(502);
        res.end("Bad Gateway");
      },
      /with HTTP 502: Bad Gateway/,
    ],
    [
      "a query error with terminal escapes",
      (_q, res) => json(res, { status: "error", errorType: "bad_data", error: "parse error \u001b[2J\u001b]0;pwned\u0007" }, 400),
      /refused the query .* \(HTTP 400, bad_data: parse error \?\[2J\?\]0;pwned\?\)$/m,
    ],
    ["JSON that is no API answer", (_q, res) => json(res, [1, 2, 3]), /JSON that is not a Prometheus API answer/],
    [
      "a matrix instead of a vector",
      (_q, res) => json(res, { status: "success", data: { resultType: "matrix", result: [] } }),
      /resultType "matrix", expected "vector"/,
    ],
    ["no result list", (_q, res) => json(res, { status: "success", data: { resultType: "vector", result: {} } }), /result is not a list/],
    [
      "a label that is not a string",
      (_q, res) => json(res, { status: "success", data: { resultType: "vector", result: [{ metric: { mesh: 7 }, value: [T, "1"] }] } }),
      /result\[0\]\.metric\.mesh is not a string/,
    ],
    [
      "a value that is not a pair",
      (_q, res) => json(res, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: "1" }] } }),
      /result\[0\]\.value is not \[<unix time>, "<number>"\]/,
    ],
    [
      "a sample that is not a number",
      (_q, res) => json(res, { status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [T, "0x1F"] }] } }),
      /result\[0\]\.value "0x1F" is not a number/,
    ],
    ["a null sample", (_q, res) => json(res, { status: "success", data: { resultType: "vector", result: [null] } }), /result\[0\] has no metric object/],
    [
      "an answer cut off",
      (_q, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"status":"success","data":{"resultType":"vec');
      },
      /not JSON: \{"status":"success"/,
    ],
  ];
  test.each(cases)("%s", async (_name, h, message) => {
    handler = h;
    const r = await cli(["top", "--prometheus", base, "--once"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  test("an answer larger than 16 MiB is refused, announced or streamed", async () => {
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(64 * 1024 * 1024) });
      res.end();
    };
    await expect(readTop({ prometheus: base })).rejects.toThrow(/with 67108864 bytes, more than unimesh reads \(16777216\)/);
    handler = (_q, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let n = 0;
      const more = () => {
        while (n < 20) {
          n++;
          if (!res.write(chunk)) return res.once("drain", more);
        }
        res.end();
      };
      res.on("error", () => {});
      more();
    };
    await expect(readTop({ prometheus: base })).rejects.toThrow(/with more than 16777216 bytes/);
  });

  test("a Prometheus that never answers: a PrometheusError after the time limit", async () => {
    handler = () => {}; // never answers
    const e = await readTop({ prometheus: base, timeoutMs: 300 }).catch((x) => x);
    expect(e).toBeInstanceOf(PrometheusError);
    expect(e.message).toMatch(/could not be reached: no answer within 0\.3 s/);
  });

  test("label values with terminal escapes are printed as ? in the table (JSON keeps them, escaped)", async () => {
    handler = bookinfo({ "sum without (response_class) (unimesh:requests:rate5m)": [[{ ...L("evil\u001b[31m"), source_workload: "x\u009b2J" }, "1"]] });
    const snap = await readTop({ prometheus: base });
    const table = renderTopTable(snap);
    expect(table).toContain("bookinfo/x?2J  bookinfo/evil?[31m");
    // eslint-disable-next-line no-control-regex
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(JSON.parse(topJson(snap)).rows[0].destination.service).toBe("evil\u001b[31m");
  });

  test("MissingRulesError lists the missing series", async () => {
    handler = (_req, res, url) => json(res, url.pathname.endsWith("/rules") ? rules(RULES_5M.slice(0, 1)) : vector([]));
    const e = await readTop({ prometheus: base }).catch((x) => x);
    expect(e).toBeInstanceOf(MissingRulesError);
    expect(e.missing).toEqual(RULES_5M.slice(1));
  });
});

describe("the refreshing display (a terminal)", () => {
  test("redraws every interval, shows a failed read above the last table and recovers; the ROUTE column fits the width; Ctrl-C ends it", async () => {
    let fail = false;
    const ok = bookinfo();
    handler = (req, res, url) => (fail ? json(res, { status: "error", errorType: "unavailable", error: "TSDB not ready" }, 503) : ok(req, res, url));
    const first = await readTop({ prometheus: base });
    const frames: string[] = [];
    const controller = new AbortController();
    const io: CliIO = {
      stdout: {
        write: (s: string) => {
          frames.push(s);
          if (frames.length === 1) fail = true;
          if (frames.length === 2) fail = false;
          if (frames.length === 3) controller.abort();
        },
      },
      stderr: { write: () => {} },
      readStdin: () => "",
      env: {},
      cwd: "/",
      terminal: () => ({ columns: 100, rows: 24 }),
    };
    await refreshTop({ prometheus: base, window: "5m", intervalMs: 50, first }, io, controller.signal);
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(f.startsWith("\u001b[H\u001b[2J")).toBe(true);
    expect(frames[0]).toContain(`unimesh top — ${base} — window 5m — ${first.time} (every 0.05 s, Ctrl-C to quit)`);
    expect(frames[0]).not.toContain("! ");
    expect(frames[1]).toMatch(/! \d{4}-\d\d-\d\dT.*Prometheus at .* refused the query .*\(HTTP 503, unavailable: TSDB not ready\)/);
    expect(frames[1]).toContain("bookinfo/reviews"); // the last table stays
    expect(frames[2]).not.toContain("! ");
    const lines = frames[2].split("\n").filter((l) => l.startsWith("builtin"));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(100);
    expect(lines[0]).toBe("builtin  bookinfo/bookinfo-productpage  bookinfo/reviews  TrafficPol…  12.25   100.0%  4.20ms  1.50s");
  });

  test("rows beyond the terminal's height are cut, with how many more", () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      mesh: "istio",
      source: { namespace: "a", workload: `w${i}` },
      destination: { namespace: "b", service: "s" },
      route: "",
      requestsPerSecond: 30 - i,
      latencySeconds: {},
    }));
    const t = renderTopTable({ prometheus: base, window: "5m", time: "", rows, warnings: [] }, { maxRows: 10 });
    expect(t.trimEnd().split("\n")).toHaveLength(12);
    expect(t).toContain("… 20 more\n");
  });
});
