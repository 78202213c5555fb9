#!/usr/bin/env node
// `npm run bench` (proxy part): requests per second and p50/p99 latency added by unimesh's built-in
// proxy, side by side with nginx (1 worker, keep-alive upstream) and the http-proxy npm package, on
// loopback, at 8 and 64 connections, with Bookinfo's policies active in unimesh (see
// bench/proxy-unimesh.mjs: route table with header match and 90/10 canary, timeout, retries, outlier
// detection, strict mTLS, access control). unimesh is measured twice: with the hop between its two
// co-located listeners over loopback mutual TLS (the default, as two sidecars), and in-process
// (`colocatedHops: inline`).
//
// Load: wrk when installed (else bench/proxy-load.mjs, undici, in its own process). Upstream: nginx
// when installed (else bench/proxy-upstream.mjs). With taskset and 2+ CPUs, every proxy runs on CPU 1
// and the load generator and upstream on CPU 0, so each proxy gets one core, like nginx's one worker.
// Subjects are measured in rounds (each subject once per round) and the best round counts, since the
// machine may be shared. Prints one JSON object (last line).
// Environment: UNIMESH_BENCH_SECONDS (per run, default 5), UNIMESH_BENCH_ROUNDS (default 3).
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import net from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { upstreamConf, proxyConf } from "./proxy-upstream.conf.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.env.UNIMESH_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.UNIMESH_BENCH_ROUNDS ?? 3);
const CONNECTIONS = [8, 64];
const HOST = "reviews:9080";
const PATH = "/reviews/0";
const log = (s) => process.stderr.write(`bench/proxy: ${s}\n`);

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const nginxBin = ["nginx", "/usr/sbin/nginx"].find((b) => spawnSync(b, ["-v"]).status === 0);
const wrk = has("wrk");
const pin = has("taskset") && cpus().length >= 2;
const onCpu = (cpu, cmd, args) => (pin ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args]);

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
  const child = spawn(c, a, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    if (!readyLine) { setTimeout(() => resolve(child), 500); return; }
    child.stdout.on("data", (d) => { if (String(d).includes(readyLine)) resolve(child); });
    child.on("exit", (code) => reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}: ${err}`)));
  });
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => { const s = net.connect(port, "127.0.0.1", () => { s.destroy(); r(true); }); s.on("error", () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function toMs(v) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "ms" ? 1 : 1000) : NaN;
}

function load(port, connections) {
  if (wrk) {
    const [c, a] = onCpu(0, "wrk", ["-t1", `-c${connections}`, `-d${SECONDS}s`, "--latency", "-H", `Host: ${HOST}`, `http://127.0.0.1:${port}${PATH}`]);
    const out = execFileSync(c, a, { encoding: "utf8" });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
    const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const errors = /Socket errors: (.*)/.exec(out)?.[1];
    return { rps: Math.round(rps), p50Ms: +p50.toFixed(3), p99Ms: +p99.toFixed(3), non2xx, ...(errors ? { socketErrors: errors } : {}) };
  }
  const [c, a] = onCpu(0, process.execPath, [join(root, "bench/proxy-load.mjs"), `http://127.0.0.1:${port}${PATH}`, String(connections), String(SECONDS), HOST]);
  return JSON.parse(execFileSync(c, a, { cwd: root, encoding: "utf8" }).trim().split("\n").pop());
}

const dir = mkdtempSync(join(tmpdir(), "unimesh-bench-"));
const report = {
  tool: wrk ? "wrk (1 thread)" : "bench/proxy-load.mjs (undici, separate process)",
  upstream: nginxBin ? "nginx (1 worker), fixed 67-byte answer" : "bench/proxy-upstream.mjs (node), fixed 67-byte answer",
  pinning: pin ? "proxies on CPU 1; load generator and upstream on CPU 0 (taskset)" : "none",
  secondsPerRun: SECONDS, rounds: ROUNDS, request: `GET ${PATH} Host: ${HOST}`,
  results: [], skipped: [],
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

  const subjects = [{ name: "direct", port: up[0] }];
  if (nginxBin) {
    const port = await freePort();
    mkdirSync(join(dir, "px"));
    writeFileSync(join(dir, "px/nginx.conf"), proxyConf(join(dir, "px"), port, up[0]));
    await start(1, nginxBin, ["-p", join(dir, "px"), "-c", join(dir, "px/nginx.conf")]);
    await waitPort(port);
    subjects.push({ name: "nginx", port });
  } else report.skipped.push("nginx: not installed (apt-get install nginx)");
  {
    const port = await freePort();
    await start(1, process.execPath, [join(root, "bench/proxy-httpproxy.mjs"), String(port), String(up[0])], "ready");
    subjects.push({ name: "http-proxy", port });
  }
  for (const [name, extra] of [["unimesh", []], ["unimesh-inline", ["--inline"]]]) {
    const port = await freePort();
    await start(1, process.execPath, [join(root, "bench/proxy-unimesh.mjs"), String(port), ...up.map(String), ...extra], "ready");
    subjects.push({ name, port });
  }

  for (const connections of CONNECTIONS) {
    const best = {};
    for (const s of subjects) load(s.port, connections); // warm-up: connections, JIT, TLS sessions
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of subjects) {
        const r = load(s.port, connections);
        const failed = (r.non2xx ?? 0) > 0 || (r.errors ?? 0) > 0 || r.socketErrors !== undefined;
        log(`c=${connections} round ${round + 1} ${s.name}: ${r.rps} req/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms${failed ? ` INVALID (non-2xx ${r.non2xx ?? 0}, errors ${r.errors ?? r.socketErrors})` : ""}`);
        // A run with failed requests does not count (fast error answers would inflate the rate).
        if (failed) { (report.invalidRuns ??= []).push({ connections, subject: s.name, ...r }); continue; }
        if (!best[s.name] || r.rps > best[s.name].rps) best[s.name] = r;
      }
    }
    const direct = best.direct;
    const row = { connections, subjects: {} };
    for (const s of subjects) {
      const r = best[s.name];
      if (!r) { row.subjects[s.name] = { error: "every run had failed requests" }; continue; }
      row.subjects[s.name] = s.name === "direct" ? r : { ...r, addedP50Ms: +(r.p50Ms - direct.p50Ms).toFixed(3), addedP99Ms: +(r.p99Ms - direct.p99Ms).toFixed(3) };
    }
    const ratio = (a, b) => (row.subjects[a]?.rps && row.subjects[b]?.rps ? +(row.subjects[a].rps / row.subjects[b].rps).toFixed(2) : undefined);
    row.ratios = {
      "unimesh/nginx": ratio("unimesh", "nginx"), "unimesh-inline/nginx": ratio("unimesh-inline", "nginx"),
      "unimesh/http-proxy": ratio("unimesh", "http-proxy"), "unimesh-inline/http-proxy": ratio("unimesh-inline", "http-proxy"),
    };
    report.results.push(row);
  }
} catch (e) {
  report.error = String(e?.stack ?? e);
} finally {
  for (const c of children) { try { c.kill("SIGTERM"); } catch { /* gone */ } }
  await new Promise((r) => setTimeout(r, 500));
  for (const c of children) { try { if (c.exitCode === null) c.kill("SIGKILL"); } catch { /* gone */ } }
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
