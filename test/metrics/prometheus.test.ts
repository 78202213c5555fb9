/**
 * The golden metrics from a real Prometheus (Debian's `prometheus` package): started by the test on
 * 127.0.0.1 (a free port, a temporary directory, stopped afterwards), it scrapes the built-in proxy's
 * /metrics while Bookinfo-like traffic runs (productpage → reviews → ratings, ratings answering 503 to
 * every fourth request) and evaluates `unimesh metrics rules --mesh builtin`'s recording rules; the
 * normalized series must give the request counts, success ratios and latencies the traffic had, and
 * `unimesh top --once` must show them per service pair. A second case scrapes `unimesh up examples/bookinfo`.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { dumpYaml } from "../../src/index.js";
import { goldenSeries, rulesFile } from "../../src/metrics/golden.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";
import { call, closeAgents, freePort, meshConfig, registry, registryOnFreePorts, startApp, startMesh, type App } from "../proxy/support.js";
import { run } from "../../src/cli/main.js";
import { PROMETHEUS, missing } from "./support.js";
import { cli } from "../cli/helpers.js";

const ROOT = join(import.meta.dirname, "../..");

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: reviews-routes, namespace: bookinfo}
spec:
  destination: {service: reviews, port: 9080}
  routes:
    - name: reviews
      match: {path: {prefix: /reviews/}}
      timeout: 2s
`;
const WINDOW = "30s";
const S = goldenSeries(WINDOW);
const ROUTE = "TrafficPolicy/bookinfo/reviews-routes#/spec/routes/0";

/** A Prometheus on 127.0.0.1 (free port, files in `dir`) scraping `target`'s /metrics every second with the builtin rules. */
interface Prom {
  port: number;
  /** An instant query; the result's samples as {labels, value}. */
  query(q: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

async function startPrometheus(dir: string, job: string, target: string): Promise<Prom> {
  writeFileSync(join(dir, "rules.yaml"), dumpYaml(rulesFile(["builtin"], { window: WINDOW })));
  writeFileSync(
    join(dir, "prometheus.yml"),
    dumpYaml({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: ["rules.yaml"],
      scrape_configs: [{ job_name: job, metrics_path: "/metrics", static_configs: [{ targets: [target] }] }],
    }),
  );
  const port = await freePort();
  const prom = spawn(
    PROMETHEUS!,
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  prom.stderr!.on("data", (c) => {
    log += c;
  });
  const stop = async () => {
    if (prom.exitCode !== null) return;
    const exited = new Promise((r) => prom.once("exit", r));
    prom.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (prom.exitCode === null) prom.kill("SIGKILL");
  };
  const query: Prom["query"] = async (q) => {
    const r = await request(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.body.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    expect(body.status).toBe("success");
    return body.data.result.map((x) => ({ metric: x.metric, value: Number(x.value[1]) }));
  };
  for (let i = 0; i < 100; i++) {
    const ready = await request(`http://127.0.0.1:${port}/-/ready`).then(
      (r) => (r.body.dump(), r.statusCode === 200),
      () => false,
    );
    if (ready) return { port, query, stop };
    if (prom.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`prometheus did not start: ${log}`);
}

describe("a real Prometheus computes the golden metrics of the built-in proxy", () => {
  const skip = missing("prometheus");
  let reviews: App,
    ratings: App,
    productpage: App,
    proxy: ProxyRuntime,
    prom: Prom | undefined,
    promPort = 0;
  const dir = mkdtempSync(join(tmpdir(), "unimesh-prometheus-"));

  beforeAll(async () => {
    if (skip) return;
    productpage = await startApp("productpage");
    reviews = await startApp("reviews");
    // Ratings takes 30 ms and answers 503 to every fourth request.
    ratings = await startApp("ratings", (_req, res, _body, n) =>
      setTimeout(() => {
        res.statusCode = n % 4 === 0 ? 503 : 200;
        res.end("ratings");
      }, 30),
    );
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "productpage", namespace: "bookinfo", serviceAccount: "bookinfo-productpage", port: productpage.port, servicePort: 9080, outbound: true },
          { service: "reviews", namespace: "bookinfo", serviceAccount: "bookinfo-reviews", port: reviews.port, servicePort: 9080, outbound: true },
          { service: "ratings", namespace: "bookinfo", serviceAccount: "bookinfo-ratings", port: ratings.port, servicePort: 9080 },
        ]),
      ),
    );
    prom = await startPrometheus(dir, "unimesh-proxy", `127.0.0.1:${proxy.port("admin")}`);
    promPort = prom.port;
  }, 30_000);

  afterAll(async () => {
    await prom?.stop();
    await proxy?.stop();
    await closeAgents();
    await Promise.all([productpage, reviews, ratings].map((a) => a?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const query: Prom["query"] = (q) => prom!.query(q);

  test.skipIf(!!skip)("request counts, success ratios and latency percentiles per service pair", { timeout: 60_000 }, async () => {
    const fromProductpage = proxy.outboundPort("productpage", "bookinfo");
    const fromReviews = proxy.outboundPort("reviews", "bookinfo");
    // First a few requests (ratings' fourth is a 503), until Prometheus has scraped every series: the
    // requests after that are what the window's increase holds.
    const statuses = { reviews: [] as number[], ratings: [] as number[] };
    for (let i = 0; i < 4; i++) {
      statuses.reviews.push((await call(fromProductpage, "reviews:9080", "/reviews/1")).status);
      statuses.ratings.push((await call(fromReviews, "ratings:9080", "/ratings/1")).status);
    }
    for (let i = 0; i < 100 && (await query(`unimesh_requests_total{direction="outbound"}`)).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const before = { ok: statuses.ratings.filter((s) => s === 200).length, failed: statuses.ratings.filter((s) => s === 503).length };
    expect(before).toEqual({ ok: 3, failed: 1 });
    // ~12 s of traffic, each round a page (productpage → reviews) and a rating (reviews → ratings).
    const end = performance.now() + 12_000;
    while (performance.now() < end) {
      const [a, b] = await Promise.all([call(fromProductpage, "reviews:9080", "/reviews/1"), call(fromReviews, "ratings:9080", "/ratings/1")]);
      statuses.reviews.push(a.status);
      statuses.ratings.push(b.status);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(statuses.reviews.every((s) => s === 200)).toBe(true);
    expect(statuses.ratings.filter((s) => s === 503).length).toBe(Math.floor(statuses.ratings.length / 4));
    // Scrapes and rule evaluations after the last request (1 s each).
    await new Promise((r) => setTimeout(r, 3500));

    const pair = (dest: string) => `{mesh="builtin",destination_namespace="bookinfo",destination_service="${dest}"}`;
    const rates = await query(`${S.requests}${pair("ratings")}`);
    expect(rates.map((x) => x.metric).sort((a, b) => a.response_class.localeCompare(b.response_class))).toEqual([
      {
        __name__: S.requests,
        mesh: "builtin",
        source_namespace: "bookinfo",
        source_workload: "bookinfo-reviews",
        destination_namespace: "bookinfo",
        destination_service: "ratings",
        route: "default",
        response_class: "2xx",
      },
      {
        __name__: S.requests,
        mesh: "builtin",
        source_namespace: "bookinfo",
        source_workload: "bookinfo-reviews",
        destination_namespace: "bookinfo",
        destination_service: "ratings",
        route: "default",
        response_class: "5xx",
      },
    ]);
    // Request counts: the recorded rate over the 30 s window (which holds all the traffic) times 30 s is
    // the number of requests after the first scrape, within Prometheus' extrapolation at the window's edges.
    const counted = (cls: string) => rates.find((x) => x.metric.response_class === cls)!.value * 30;
    const ok = statuses.ratings.filter((s) => s === 200).length - before.ok;
    const failed = statuses.ratings.filter((s) => s === 503).length - before.failed;
    expect(ok).toBeGreaterThan(50);
    expect(Math.abs(counted("2xx") - ok) / ok).toBeLessThan(0.15);
    expect(Math.abs(counted("5xx") - failed) / failed).toBeLessThan(0.15);
    // Success ratio: 3 in 4 of ratings' answers, 1 for reviews (on its named route).
    const [ratio] = await query(`${S.successRatio}${pair("ratings")}`);
    expect(ratio.value).toBeGreaterThan(0.7);
    expect(ratio.value).toBeLessThan(0.8);
    const [reviewsRatio] = await query(`${S.successRatio}${pair("reviews")}`);
    expect(reviewsRatio.metric).toMatchObject({ source_workload: "bookinfo-productpage", route: ROUTE });
    expect(reviewsRatio.value).toBe(1);
    // Latency: ratings takes 30 ms (its p50 in the 25-50 ms bucket); reviews answers at once (its p50 under
    // 25 ms; its p99 holds the first requests' TLS handshakes, under the route's 2 s timeout).
    const [ratingsP50] = await query(`${S.latency.p50}${pair("ratings")}`);
    expect(ratingsP50.value).toBeGreaterThanOrEqual(0.025);
    expect(ratingsP50.value).toBeLessThanOrEqual(0.05);
    const [reviewsP99] = await query(`${S.latency.p99}${pair("reviews")}`);
    expect(reviewsP99.metric.route).toBe(ROUTE);
    expect(reviewsP99.value).toBeGreaterThan(0);
    expect(reviewsP99.value).toBeLessThan(2);
    const [reviewsP50] = await query(`${S.latency.p50}${pair("reviews")}`);
    expect(reviewsP50.value).toBeLessThan(0.025);
    expect(reviewsP50.value).toBeLessThanOrEqual(reviewsP99.value);
    // `unimesh top` reads the same series through the HTTP API: one row per pair, ratings' success 3 in 4.
    const top = await cli(["top", "--prometheus", `http://127.0.0.1:${promPort}`, "--window", WINDOW, "--once", "-o", "json"]);
    expect(top.stderr).toBe("");
    expect(top.code).toBe(0);
    const rows = JSON.parse(top.stdout).rows as {
      source: { workload: string };
      destination: { service: string };
      route: string;
      requestsPerSecond: number;
      successRatio: number;
      latencySeconds: { p50: number; p99: number };
    }[];
    expect(rows.map((r) => [r.source.workload, r.destination.service, r.route]).sort()).toEqual([
      ["bookinfo-productpage", "reviews", ROUTE],
      ["bookinfo-reviews", "ratings", "default"],
    ]);
    const topRatings = rows.find((r) => r.destination.service === "ratings")!;
    expect(topRatings.successRatio).toBeGreaterThan(0.7);
    expect(topRatings.successRatio).toBeLessThan(0.8);
    expect(Math.abs(topRatings.requestsPerSecond * 30 - (ok + failed)) / (ok + failed)).toBeLessThan(0.15);
    expect(topRatings.latencySeconds.p50).toBeGreaterThanOrEqual(0.025);
    expect(topRatings.latencySeconds.p50).toBeLessThanOrEqual(0.05);
    const topReviews = rows.find((r) => r.destination.service === "reviews")!;
    expect(topReviews.successRatio).toBe(1);
    expect(topReviews.latencySeconds.p99).toBeGreaterThan(0);
    expect(topReviews.latencySeconds.p99).toBeLessThan(2);
    const table = await cli(["top", "--prometheus", `http://127.0.0.1:${promPort}`, "--window", WINDOW, "--once"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^builtin {2}bookinfo\/bookinfo-reviews {6}bookinfo\/ratings {2}default {2}.*\s7\d\.\d%\s/m);
    // The rule group ran without errors.
    const rules = (await (await request(`http://127.0.0.1:${promPort}/api/v1/rules`)).body.json()) as {
      data: { groups: { name: string; rules: { health: string; lastError?: string }[] }[] };
    };
    expect(rules.data.groups.map((g) => [g.name, g.rules.every((r) => r.health === "ok")])).toEqual([["unimesh-golden-builtin", true]]);
  });
});

/**
 * The same from `unimesh up examples/bookinfo` as a user runs it (the bundled example's apps, policies and
 * registry, on free ports): Prometheus scrapes its admin /metrics while a bounded load (one request at a
 * time to the ingress's /productpage, ~8 s) runs, and the success ratio and p99 of reviews come out of a
 * PromQL query of the recorded series. Ratings has the example's 10% injected 503s
 * (examples/bookinfo/fault-injection.yaml, route `flaky`), so its success ratio is below 1.
 */
describe("a real Prometheus scraping `unimesh up` on the bundled Bookinfo", () => {
  const skip = missing("prometheus");
  const dir = mkdtempSync(join(tmpdir(), "unimesh-prometheus-up-"));
  let prom: Prom | undefined,
    ingress = 0,
    admin = 0;
  let upExited: Promise<number> | undefined;
  let upErr = "";

  beforeAll(async () => {
    if (skip) return;
    const reg = await registryOnFreePorts(dir);
    ingress = reg.ingress;
    admin = reg.admin;
    const running = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`unimesh up did not start:\n${upErr}`)), 25_000);
      const io = {
        stdout: { write: () => true },
        stderr: {
          write: (s: string) => {
            upErr += s;
            if (upErr.includes("local mesh running")) {
              clearTimeout(timer);
              resolve();
            }
            return true;
          },
        },
        readStdin: () => "",
        env: {},
        cwd: ROOT,
      };
      upExited = run(["up", "examples/bookinfo", "-s", reg.file, "--no-access-log", "--no-watch"], io);
      upExited.then((code) => reject(new Error(`unimesh up exited ${code}:\n${upErr}`)), reject);
    });
    await running;
    prom = await startPrometheus(dir, "unimesh-up", `127.0.0.1:${reg.admin}`);
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    if (admin)
      await request(`http://127.0.0.1:${admin}/quitquitquit`, { method: "POST" }).then(
        (r) => r.body.dump(),
        () => undefined,
      );
    await Promise.race([upExited?.catch(() => 1), new Promise((r) => setTimeout(r, 10_000))]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const query: Prom["query"] = (q) => prom!.query(q);

  test.skipIf(!!skip)("the success ratio and p99 of reviews (and ratings' injected 503s) from PromQL", { timeout: 90_000 }, async () => {
    const statuses: number[] = [];
    const page = async () => {
      const r = await request(`http://127.0.0.1:${ingress}/productpage`, { headers: { "user-agent": "prometheus-test" } });
      await r.body.dump();
      statuses.push(r.statusCode);
    };
    // Until Prometheus has scraped reviews' series, then ~8 s of bounded load (one request at a time).
    for (let i = 0; i < 100; i++) {
      await page();
      if ((await query(`unimesh_requests_total{destination_service="reviews"}`)).length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const end = performance.now() + 8_000;
    while (performance.now() < end) await page();
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s === 200).length / statuses.length).toBeGreaterThan(0.95);
    await new Promise((r) => setTimeout(r, 3500)); // scrapes and rule evaluations after the last request

    const reviews = `{mesh="builtin",destination_namespace="bookinfo",destination_service="reviews"}`;
    const ratios = await query(`${S.successRatio}${reviews}`);
    expect(ratios.map((x) => x.metric.source_workload)).toContain("bookinfo-productpage");
    for (const r of ratios) {
      expect(r.value).toBeGreaterThan(0.9);
      expect(r.value).toBeLessThanOrEqual(1);
    }
    const p99 = await query(`${S.latency.p99}${reviews}`);
    expect(p99.length).toBeGreaterThan(0);
    for (const r of p99) {
      expect(r.value).toBeGreaterThan(0);
      expect(r.value).toBeLessThan(10); // under the example's reviews timeouts
    }
    // ratings: the example's route `flaky` aborts 10% with 503 (reviews v2 and v3 call ratings).
    const ratings = await query(`${S.successRatio}{mesh="builtin",destination_service="ratings"}`);
    expect(ratings.length).toBeGreaterThan(0);
    const worst = Math.min(...ratings.map((r) => r.value));
    expect(worst).toBeLessThan(1);
    expect(worst).toBeGreaterThan(0.6);
  });
});
