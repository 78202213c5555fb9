// The proxy benchmark's arithmetic, apart from the processes it starts, so that a unit test can check it
// with fake numbers (test/bench-proxy-stats.test.ts): wrk's output parsed, CPU time from /proc, medians
// over interleaved rounds, the noise figure, ratios against two-hop nginx and the markdown table.

/** wrk's duration (`812.00us`, `1.61ms`, `2.00s`) in milliseconds; NaN when it is not one. */
export function toMs(v) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v ?? "");
  if (!m) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

/**
 * One wrk run (`wrk --latency`): requests, req/s, p50/p99 in ms, p99.9 and max in ms when the run used
 * bench/proxy-latency.lua (its `Latency tail:` line; NaN otherwise), non-2xx/3xx answers and socket errors
 * (connect, read, write, timeout: wrk counts a request as a timeout after 2 s). `errors` is their sum.
 */
export function parseWrk(out) {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50Ms = toMs(/\s50%\s+(\S+)/.exec(out)?.[1]);
  const p99Ms = toMs(/\s99%\s+(\S+)/.exec(out)?.[1]);
  const tail = /Latency tail: p99\.9 (\d+)us max (\d+)us/.exec(out);
  const p999Ms = tail ? Number(tail[1]) / 1000 : NaN;
  const maxMs = tail ? Number(tail[2]) / 1000 : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const s = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = s ? { connect: +s[1], read: +s[2], write: +s[3], timeout: +s[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  const errors = non2xx + socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout;
  return { requests, rps, p50Ms, p99Ms, p999Ms, maxMs, non2xx, socketErrors, errors };
}

/**
 * CPU time (user + system, in clock ticks) of a process and all its descendants (nginx's master and
 * worker; a Node.js process's threads are in its own figure), from the text of /proc/<pid>/stat files.
 * `stats` maps pid → that text.
 */
export function treeTicks(rootPid, stats) {
  const parsed = new Map();
  for (const [pid, text] of stats) {
    // The command name may hold spaces and parentheses: the fields start after the last ")".
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    parsed.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of parsed)
      if (!inTree.has(pid) && inTree.has(p.ppid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += parsed.get(pid)?.ticks ?? 0;
  return ticks;
}

/** Median (mean of the two middle values for an even count); NaN for none. */
export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Spread of a series around its median: (max - min) / median, e.g. 0.12 for ±6 %. */
export function spread(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  const m = median(v);
  return v.length && m ? (Math.max(...v) - Math.min(...v)) / m : NaN;
}

const round = (x, digits) => (Number.isFinite(x) ? +x.toFixed(digits) : null);

/**
 * Summarizes the rounds of one subject at one connection count. `runs` are its rounds, each
 * `{ rps, p50Ms, p99Ms, errors, non2xx, socketErrors, requests, cpuMs }` (cpuMs: the subject's CPU
 * time over the run). A subject with an error in any round has failed: its figures are kept for the
 * record but `failed` says so, and it gets no ratio (fast error answers are not speed).
 */
export function summarize(runs) {
  const errors = runs.reduce((n, r) => n + (r.errors ?? 0), 0);
  const non2xx = runs.reduce((n, r) => n + (r.non2xx ?? 0), 0);
  const cpuPerReqUs = runs.map((r) => (r.cpuMs !== undefined && r.requests > 0 ? (r.cpuMs * 1000) / r.requests : NaN));
  return {
    rounds: runs.length,
    rps: round(median(runs.map((r) => r.rps)), 0),
    p50Ms: round(median(runs.map((r) => r.p50Ms)), 3),
    p99Ms: round(median(runs.map((r) => r.p99Ms)), 3),
    // Only with wrk and bench/proxy-latency.lua; null otherwise.
    p999Ms: round(median(runs.map((r) => r.p999Ms)), 3),
    cpuUsPerReq: round(median(cpuPerReqUs), 1),
    rpsSpread: round(spread(runs.map((r) => r.rps)), 3),
    p99Spread: round(spread(runs.map((r) => r.p99Ms)), 3),
    errors,
    non2xx,
    failed: errors > 0,
  };
}

/** The reference every ratio is taken against. */
export const REFERENCE = "nginx-2hop-mtls";

/**
 * Ratios of each subject against {@link REFERENCE} at the same connection count: req/s and p99 (a
 * subject's p99 ÷ nginx's: lower is better). Undefined where either side failed or is missing.
 */
export function ratios(row) {
  const ref = row[REFERENCE];
  const out = {};
  for (const [name, s] of Object.entries(row)) {
    if (name === REFERENCE || !ref || ref.failed || s.failed) continue;
    out[name] = { rps: round(s.rps / ref.rps, 2), p99: round(s.p99Ms / ref.p99Ms, 2) };
  }
  return out;
}

/**
 * A/B: this build against the baseline build measured in the same rounds (`<name>@baseline`), req/s,
 * p99 and CPU per request as ratios (this ÷ baseline). Undefined where either failed.
 */
export function abRatios(row) {
  const out = {};
  for (const [name, s] of Object.entries(row)) {
    const b = row[`${name}@baseline`];
    if (!b || s.failed || b.failed) continue;
    out[name] = { rps: round(s.rps / b.rps, 2), p99: round(s.p99Ms / b.p99Ms, 2), cpu: round(s.cpuUsPerReq / b.cpuUsPerReq, 2) };
  }
  return out;
}

/**
 * The issue's goals (issue 17) checked against one run: default mode ≥ 0.5× two-hop nginx in req/s at 8
 * and 64 connections; its p99 ≤ 3× nginx's at 64 and ≤ 1.5× at 8; inline ≥ 1.0× nginx in req/s.
 * `byConnections` maps a connection count to its {@link ratios}. Each goal: `met` true/false, or null
 * when it could not be judged (a subject failed or is missing).
 */
export function goals(byConnections) {
  const list = [];
  const check = (goal, c, name, key, op, limit) => {
    const v = byConnections[c]?.[name]?.[key];
    list.push({ goal, connections: Number(c), value: v ?? null, met: v === undefined || v === null ? null : op === ">=" ? v >= limit : v <= limit });
  };
  for (const c of [8, 64]) check(`unimesh req/s ≥ 0.5× nginx (c=${c})`, c, "unimesh", "rps", ">=", 0.5);
  check("unimesh p99 ≤ 3× nginx (c=64)", 64, "unimesh", "p99", "<=", 3);
  check("unimesh p99 ≤ 1.5× nginx (c=8)", 8, "unimesh", "p99", "<=", 1.5);
  for (const c of [8, 64]) check(`unimesh-inline req/s ≥ 1.0× nginx (c=${c})`, c, "unimesh-inline", "rps", ">=", 1);
  return list;
}

const fmtInt = (x) => (x === null || x === undefined ? "—" : Math.round(x).toLocaleString("en-US"));
const fmtMs = (x) => (x === null || x === undefined ? "—" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtPct = (x) => (x === null || x === undefined ? "—" : `±${Math.round(x * 50)} %`);

/**
 * The markdown table of a report: one line per subject and connection count, with medians, CPU per
 * request, ratios to two-hop nginx, the spread of req/s across rounds and the errors; then the goals.
 * `report.results` is `[{ connections, subjects: { name: summary }, ratios }]`; `labels` names subjects.
 */
export function markdownTable(report, labels = {}) {
  const lines = [
    "| c | subject | req/s | p50 ms | p99 ms | CPU µs/req | req/s vs nginx 2-hop | p99 vs nginx 2-hop | req/s spread | errors |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of report.results) {
    for (const [name, s] of Object.entries(row.subjects)) {
      const r = row.ratios?.[name];
      lines.push(
        `| ${row.connections} | ${labels[name] ?? name} | ${s.failed ? `FAILED (${fmtInt(s.rps)})` : fmtInt(s.rps)} | ${fmtMs(s.p50Ms)} | ${fmtMs(s.p99Ms)} | ${s.cpuUsPerReq ?? "—"} | ${r ? `${r.rps}×` : name === REFERENCE ? "1×" : "—"} | ${r ? `${r.p99}×` : name === REFERENCE ? "1×" : "—"} | ${fmtPct(s.rpsSpread)} | ${s.errors}${s.non2xx ? ` (${s.non2xx} non-2xx)` : ""} |`,
      );
    }
  }
  const ab = report.results.flatMap((row) =>
    Object.entries(row.ab ?? {}).map(([name, r]) => `| ${row.connections} | ${labels[name] ?? name} | ${r.rps}× | ${r.p99}× | ${r.cpu}× |`),
  );
  if (ab.length) lines.push("", "| c | this build ÷ baseline (same rounds) | req/s | p99 | CPU/req |", "|---:|---|---:|---:|---:|", ...ab);
  if (report.goals?.length) {
    lines.push("", "| goal (issue 17) | value | met |", "|---|---:|---|");
    for (const g of report.goals) lines.push(`| ${g.goal} | ${g.value ?? "—"} | ${g.met === null ? "not judged" : g.met ? "yes" : "no"} |`);
  }
  return lines.join("\n");
}
