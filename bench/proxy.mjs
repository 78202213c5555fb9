#!/usr/bin/env node
// `npm run bench` (proxy part, `--only=proxy`): the built-in proxy like for like (issue 17). Subjects:
//
//   nginx-2hop-mtls     nginx, 1 worker, two hops in one process: hop 1 proxies over TLS with a client
//                       certificate (proxy_ssl_certificate, server verified) to hop 2, which requires it
//                       (ssl_verify_client on); keep-alive everywhere, proxy_ssl_session_reuse on. The
//                       reference: every ratio is against it, measured in the same run.
//   httpproxy-2hop-tls  the http-proxy npm package, the same two hops over TLS with client certificates.
//   unimesh             unimesh's default mode: productpage's outbound listener → mutual TLS → a reviews
//                       instance's inbound listener, Bookinfo's policies enforced (bench/proxy-unimesh.mjs).
//   unimesh-inline      the same with `colocatedHops: inline` (the hop handed over in process).
//   nginx-1hop, httpproxy-1hop   one plaintext hop each, for reference.
//   node-floor-2hop-tls, node-floor-1hop   Node's floor (bench/proxy-floor.mjs): node:http + undici +
//                       node:tls with no policy at all, two hops over TLS with client certificates (the
//                       default mode's parts) and one plaintext hop (inline's): what unimesh costs above
//                       them is its own, what they cost above nginx is Node's.
//   node-floor-2hop-hop the two hops with unimesh's own hop protocol (HopClient, HopServerConnection from
//                       dist/) between them and no policy: the floor of the default mode's architecture.
//   node-floor-1hop-h1pool, node-floor-2hop-hop-h1pool   the same floors with the app reached through
//                       unimesh's H1Pool (src/proxy/upstream/h1pool.ts, Node's own parser) as the proxy
//                       does for a plaintext app, instead of undici: the floor of the parts unimesh uses.
//   direct              wrk straight to the upstream: what the load generator's core can do.
//
// Method: wrk (1 thread) and the upstream (nginx, 1 worker, 67-byte answer) on CPU 0, each subject on
// CPU 1 (taskset), so a subject has one core like nginx's one worker. Rounds are interleaved (every
// subject once per round and connection count, in an order rotated each round, after a warm-up) and the
// MEDIAN of the rounds counts. CPU per request: user + system time of the subject's processes
// (/proc/<pid>/stat, the process and its descendants) over a run ÷ the requests wrk completed. Noise: the
// spread of req/s across rounds, and the load average before and after. A subject with any error in any
// round (non-2xx answer, wrk socket error or timeout) is marked FAILED and gets no ratio. Certificates
// are made anew for each run (bench/proxy-certs.mjs; unimesh issues its own from its built-in CA).
//
// Prints a markdown table, then one JSON object (last line). Environment: UNIMESH_BENCH_SECONDS (per run,
// default 5), UNIMESH_BENCH_ROUNDS (default 5), UNIMESH_BENCH_CONNECTIONS (default "8,64"),
// UNIMESH_BENCH_SUBJECTS (comma-separated subset of the names above), UNIMESH_BENCH_BASELINE (the dist/
// directory of another checkout, e.g. /work/main/dist after its npm run build — it reads its ../schemas: adds `unimesh@baseline` and `unimesh-inline@baseline`,
// measured in the same interleaved rounds, and their A/B ratios: a before/after figure on a shared machine),
// UNIMESH_BENCH_VARIANTS ("name=node flags;name2=flags": adds `unimesh~name`, the default mode started with
// those node flags, e.g. "semi16=--max-semi-space-size=16 --min-semi-space-size=16": a V8 flag A/B in one run).
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { upstreamConf, proxyConf, twoHopConf } from "./proxy-upstream.conf.mjs";
import { makeCerts } from "./proxy-certs.mjs";
import { parseWrk, treeTicks, summarize, ratios, abRatios, goals, markdownTable } from "./proxy-stats.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.UNIMESH_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.UNIMESH_BENCH_ROUNDS ?? 5);
const CONNECTIONS = (process.env.UNIMESH_BENCH_CONNECTIONS ?? "8,64").split(",").map(Number);
const ONLY = process.env.UNIMESH_BENCH_SUBJECTS?.split(",");
const BASELINE = process.env.UNIMESH_BENCH_BASELINE;
const HOST = "reviews:9080";
const PATH = "/reviews/0";
const log = (s) => process.stderr.write(`bench/proxy: ${s}\n`);

const LABELS = {
  "nginx-2hop-mtls": "nginx, 1 worker, two hops, mTLS between them",
  "httpproxy-2hop-tls": "http-proxy, two hops, TLS with client certificates",
  unimesh: "**unimesh default mode** (two listeners, mTLS)",
  "unimesh-inline": "unimesh `colocatedHops: inline`",
  "nginx-1hop": "nginx, one plaintext hop (reference)",
  "node-floor-2hop-tls": "Node's floor: node:http + undici, two hops, TLS with client certificates, no policy",
  "node-floor-1hop": "Node's floor: node:http + undici, one plaintext hop, no policy",
  "node-floor-1hop-h1pool": "Node's floor: node:http + unimesh's H1Pool (Node's parser), one plaintext hop, no policy",
  "node-floor-2hop-hop-h1pool": "Node's floor with unimesh's hop protocol, the app through H1Pool, no policy",
  "node-floor-2hop-hop": "Node's floor with unimesh's hop protocol between the two hops (mTLS), no policy",
  "httpproxy-1hop": "http-proxy, one plaintext hop (reference)",
  direct: "direct to the upstream (load generator's ceiling)",
  "unimesh@baseline": "unimesh default mode, baseline build",
  "unimesh-inline@baseline": "unimesh inline, baseline build",
  "unimesh-node": "unimesh default mode, listeners on node:http (UNIMESH_H1_SERVER=node)",
  "unimesh-inline-node": "unimesh inline, listeners on node:http (UNIMESH_H1_SERVER=node)",
};

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const nginxBin = ["nginx", "/usr/sbin/nginx"].find((b) => spawnSync(b, ["-v"]).status === 0);
const wrk = has("wrk");
const pin = has("taskset") && cpus().length >= 2;
const onCpu = (cpu, cmd, args) => (pin ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args]);
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

if (!existsSync(join(root, "dist/index.js"))) {
  console.log(JSON.stringify({ error: "dist/ is missing: run `npm run build` first (npm run bench does)" }));
  process.exit(1);
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const children = [];
function start(cpu, cmd, args, readyLine) {
  const [c, a] = onCpu(cpu, cmd, args);
  // taskset execs the command: the child's pid is the subject's.
  const child = spawn(c, a, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}: ${err}`)));
    if (!readyLine) {
      setTimeout(() => resolve(child), 500);
      return;
    }
    child.stdout.on("data", (d) => {
      if (String(d).includes(readyLine)) {
        child.readyLine = String(d);
        resolve(child);
      }
    });
  });
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        r(true);
      });
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** One request through a subject: it must answer 200 with the upstream's body before it is measured. */
function check(name, port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: PATH, headers: { host: HOST } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        res.statusCode === 200 && body.startsWith("reviews:") ? resolve() : reject(new Error(`${name}: ${res.statusCode} ${body.slice(0, 200)}`)),
      );
    });
    req.on("error", (e) => reject(new Error(`${name}: ${e.message}`)));
  });
}

/** CPU time (ms) of a process and its descendants so far. */
function cpuMs(pid) {
  const stats = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      stats.set(d, readFileSync(`/proc/${d}/stat`, "utf8"));
    } catch {
      /* gone */
    }
  }
  return (treeTicks(pid, stats) * 1000) / CLK_TCK;
}

function load(port, connections, seconds) {
  if (wrk) {
    const [c, a] = onCpu(0, "wrk", [
      "-t1",
      `-c${connections}`,
      `-d${seconds}s`,
      "--latency",
      "-s",
      join(root, "bench/proxy-latency.lua"),
      "-H",
      `Host: ${HOST}`,
      `http://127.0.0.1:${port}${PATH}`,
    ]);
    return parseWrk(execFileSync(c, a, { encoding: "utf8" }));
  }
  const [c, a] = onCpu(0, process.execPath, [
    join(root, "bench/proxy-load.mjs"),
    `http://127.0.0.1:${port}${PATH}`,
    String(connections),
    String(seconds),
    HOST,
  ]);
  const r = JSON.parse(execFileSync(c, a, { cwd: root, encoding: "utf8" }).trim().split("\n").pop());
  return { ...r, errors: (r.errors ?? 0) + (r.non2xx ?? 0) };
}

const load1 = () => +loadavg()[0].toFixed(2);
const dir = mkdtempSync(join(tmpdir(), "unimesh-bench-"));
const report = {
  date: new Date().toISOString(),
  // The Node that runs every Node subject (they are started with process.execPath): figures differ by Node
  // version (bench/proxy-results.md, 21:07 and 23:11: Node's own floor is 0.73x nginx on Node 20, 1.12-1.33x on 26).
  node: process.version,
  tool: wrk ? "wrk (1 thread)" : "bench/proxy-load.mjs (undici, separate process)",
  upstream: nginxBin ? "nginx (1 worker), fixed 67-byte answer" : "bench/proxy-upstream.mjs (node), fixed 67-byte answer",
  pinning: pin ? "subjects on CPU 1; load generator and upstream on CPU 0 (taskset)" : "none",
  secondsPerRun: SECONDS,
  rounds: ROUNDS,
  statistic: "median of interleaved rounds",
  request: `GET ${PATH} Host: ${HOST}`,
  loadAverage: { before: loadavg().map((l) => +l.toFixed(2)) },
  results: [],
  skipped: [],
};
try {
  const up = [await freePort(), await freePort(), await freePort()];
  if (nginxBin) {
    mkdirSync(join(dir, "up"));
    writeFileSync(join(dir, "up/nginx.conf"), upstreamConf(join(dir, "up"), up));
    await start(0, nginxBin, ["-p", join(dir, "up"), "-c", join(dir, "up/nginx.conf")]);
  } else {
    await start(0, process.execPath, [join(root, "bench/proxy-upstream.mjs"), ...up.map(String)], "ready");
  }
  await waitPort(up[0]);

  const certsDir = join(dir, "certs");
  mkdirSync(certsDir);
  const certs = makeCerts(certsDir);

  const want = (name) => !ONLY || ONLY.includes(name);
  const subjects = [];
  if (want("direct")) subjects.push({ name: "direct", port: up[0] });
  const nginxSubject = async (name, conf) => {
    if (!want(name)) return;
    if (!nginxBin) {
      report.skipped.push(`${name}: nginx is not installed (apt-get install nginx)`);
      return;
    }
    const port = await freePort();
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, "nginx.conf"), await conf(d, port));
    const child = await start(1, nginxBin, ["-p", d, "-c", join(d, "nginx.conf")]);
    await waitPort(port);
    subjects.push({ name, port, pid: child.pid });
  };
  const nodeSubject = async (name, script, args, nodeFlags = []) => {
    if (!want(name)) return;
    const port = await freePort();
    const child = await start(1, process.execPath, [...nodeFlags, join(root, script), String(port), ...args], "ready");
    const admin = /admin=(\d+)/.exec(child.readyLine ?? "")?.[1];
    subjects.push({ name, port, pid: child.pid, ...(admin ? { admin: Number(admin) } : {}) });
  };
  await nginxSubject("nginx-2hop-mtls", async (d, port) => twoHopConf(d, port, await freePort(), up[0], certs));
  await nodeSubject("httpproxy-2hop-tls", "bench/proxy-httpproxy.mjs", [String(up[0]), "--two-hop", certsDir]);
  await nodeSubject("node-floor-2hop-tls", "bench/proxy-floor.mjs", [String(up[0]), "--two-hop", certsDir]);
  await nodeSubject("node-floor-2hop-hop", "bench/proxy-floor.mjs", [String(up[0]), "--hop-protocol", certsDir]);
  await nodeSubject("node-floor-2hop-hop-h1pool", "bench/proxy-floor.mjs", [String(up[0]), "--hop-protocol", certsDir, "--h1pool"]);
  await nodeSubject("unimesh", "bench/proxy-unimesh.mjs", up.map(String));
  await nodeSubject("unimesh-inline", "bench/proxy-unimesh.mjs", [...up.map(String), "--inline"]);
  // The listeners on node:http (UNIMESH_H1_SERVER=node) rather than their default server on Node's parser
  // (src/proxy/net/h1server.ts): only when named in UNIMESH_BENCH_SUBJECTS.
  if (ONLY?.includes("unimesh-node")) await nodeSubject("unimesh-node", "bench/proxy-unimesh.mjs", [...up.map(String), "--h1-server=node"]);
  if (ONLY?.includes("unimesh-inline-node"))
    await nodeSubject("unimesh-inline-node", "bench/proxy-unimesh.mjs", [...up.map(String), "--inline", "--h1-server=node"]);
  if (BASELINE) {
    if (!existsSync(join(BASELINE, "index.js"))) throw new Error(`UNIMESH_BENCH_BASELINE: no index.js in ${BASELINE} (give a dist/ directory)`);
    await nodeSubject("unimesh@baseline", "bench/proxy-unimesh.mjs", [...up.map(String), `--dist=${BASELINE}`]);
    await nodeSubject("unimesh-inline@baseline", "bench/proxy-unimesh.mjs", [...up.map(String), "--inline", `--dist=${BASELINE}`]);
  }
  for (const v of (process.env.UNIMESH_BENCH_VARIANTS ?? "").split(";").filter(Boolean)) {
    const [name, flags = ""] = v.split(/=(.*)/s);
    LABELS[`unimesh~${name}`] = `unimesh default mode, node ${flags}`;
    if (ONLY) ONLY.push(`unimesh~${name}`);
    await nodeSubject(`unimesh~${name}`, "bench/proxy-unimesh.mjs", up.map(String), flags.split(" ").filter(Boolean));
  }
  await nginxSubject("nginx-1hop", (d, port) => proxyConf(d, port, up[0]));
  await nodeSubject("httpproxy-1hop", "bench/proxy-httpproxy.mjs", [String(up[0])]);
  await nodeSubject("node-floor-1hop", "bench/proxy-floor.mjs", [String(up[0])]);
  await nodeSubject("node-floor-1hop-h1pool", "bench/proxy-floor.mjs", [String(up[0]), "--h1pool"]);
  for (const s of subjects) await check(s.name, s.port);

  // Warm-up (connections, JIT, TLS sessions), then interleaved rounds.
  for (const c of CONNECTIONS) for (const s of subjects) load(s.port, c, Math.min(2, SECONDS));
  const runs = Object.fromEntries(CONNECTIONS.map((c) => [c, Object.fromEntries(subjects.map((s) => [s.name, []]))]));
  const loads = [];
  for (let round = 0; round < ROUNDS; round++) {
    loads.push(load1());
    for (const c of CONNECTIONS) {
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
      for (const s of order) {
        const cpu0 = s.pid ? cpuMs(s.pid) : undefined;
        const r = load(s.port, c, SECONDS);
        if (s.pid) r.cpuMs = cpuMs(s.pid) - cpu0;
        runs[c][s.name].push(r);
        const cpu = r.cpuMs !== undefined && r.requests ? ` ${((r.cpuMs * 1000) / r.requests).toFixed(1)} µs CPU/req` : "";
        log(
          `round ${round + 1}/${ROUNDS} c=${c} ${s.name}: ${Math.round(r.rps)} req/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms${Number.isFinite(r.p999Ms) ? ` p99.9 ${r.p999Ms} ms` : ""}${cpu}${r.errors ? ` ERRORS ${r.errors} (non-2xx ${r.non2xx}, socket ${JSON.stringify(r.socketErrors ?? {})})` : ""}`,
        );
      }
    }
  }
  loads.push(load1());
  const byConnections = {};
  for (const c of CONNECTIONS) {
    const row = { connections: c, subjects: {} };
    for (const s of subjects) row.subjects[s.name] = summarize(runs[c][s.name]);
    row.ratios = ratios(row.subjects);
    if (BASELINE) row.ab = abRatios(row.subjects);
    byConnections[c] = row.ratios;
    row.runs = runs[c];
    report.results.push(row);
  }
  report.goals = goals(byConnections);
  // unimesh's own account of the run (admin /metrics): answers other than 200, retries, failed tries,
  // ejections, refusals — what explains errors or a tail.
  for (const s of subjects.filter((x) => x.admin)) {
    const text = await fetch(`http://127.0.0.1:${s.admin}/metrics`)
      .then((r) => r.text())
      .catch((e) => `# ${e.message}`);
    (report.proxyMetrics ??= {})[s.name] = text
      .split("\n")
      .filter(
        (l) => l && !l.startsWith("#") && !/_bucket|_sum|_count|certificate_expiry|in_flight/.test(l) && !/ 0$/.test(l) && !/response_code="200"/.test(l),
      );
  }
  report.loadAverage.perRound = loads;
} catch (e) {
  report.error = String(e?.stack ?? e);
} finally {
  for (const c of children) {
    try {
      c.kill("SIGTERM");
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) {
    try {
      if (c.exitCode === null) c.kill("SIGKILL");
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
report.loadAverage.after = loadavg().map((l) => +l.toFixed(2));
if (report.results.length) {
  console.log(
    `\nProxy benchmark ${report.date}, Node ${report.node}, ${report.tool}, ${SECONDS} s × ${ROUNDS} interleaved rounds, medians; load average before ${report.loadAverage.before.join(" ")}, after ${report.loadAverage.after.join(" ")}\n`,
  );
  console.log(
    markdownTable(
      { results: report.results.map((r) => ({ connections: r.connections, subjects: r.subjects, ratios: r.ratios, ab: r.ab })), goals: report.goals },
      LABELS,
    ),
  );
  for (const [name, lines] of Object.entries(report.proxyMetrics ?? {})) {
    if (lines.length) console.log(`\n${name}: answers other than 200, retries, failures (admin /metrics)\n${lines.map((l) => `    ${l}`).join("\n")}`);
  }
  console.log("");
}
console.log(JSON.stringify(report));
