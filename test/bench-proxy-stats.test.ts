/**
 * The proxy benchmark's arithmetic (bench/proxy-stats.mjs) on fake numbers: wrk's output parsed with its
 * errors, CPU time of a process tree from /proc/<pid>/stat texts, medians (not the best round), the
 * noise figure, a subject with errors marked failed and left out of the ratios, and the goals of issue 17.
 * No timing here: the figures themselves live in `npm run bench`.
 */
import { describe, expect, test } from "vitest";
// @ts-expect-error: a plain .mjs module of the bench, without types
import { parseWrk, treeTicks, median, spread, summarize, ratios, abRatios, goals, markdownTable } from "../bench/proxy-stats.mjs";

const WRK = `Running 5s test @ http://127.0.0.1:40000/reviews/0
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.48ms    2.10ms  40.22ms   80.00%
    Req/Sec     4.40k   300.00     4.90k    70.00%
  Latency Distribution
     50%  812.00us
     75%   15.00ms
     90%   16.00ms
     99%    1.02s
  22000 requests in 5.00s, 5.00MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   4400.00
Transfer/sec:      1.00MB
`;

describe("bench/proxy-stats", () => {
  test("parses wrk: requests, rate, p50/p99 in ms, non-2xx and socket errors summed", () => {
    expect(parseWrk(WRK)).toEqual({
      requests: 22000,
      rps: 4400,
      p50Ms: 0.812,
      p99Ms: 1020,
      p999Ms: NaN,
      maxMs: NaN,
      non2xx: 7,
      socketErrors: { connect: 0, read: 3, write: 0, timeout: 2 },
      errors: 12,
    });
    const clean = parseWrk(WRK.replace(/ {2}Socket errors.*\n/, "").replace(/ {2}Non-2xx.*\n/, ""));
    expect(clean.errors).toBe(0);
    expect(clean.non2xx).toBe(0);
    // bench/proxy-latency.lua's line (wrk runs done() after its own report).
    const tail = parseWrk(`${WRK}Latency tail: p99.9 4250us max 31020us\n`);
    expect([tail.p999Ms, tail.maxMs, tail.p99Ms]).toEqual([4.25, 31.02, 1020]);
  });

  test("CPU ticks of a process and its descendants (nginx master + worker), not of others", () => {
    // Fields after "(comm) ": state ppid ... utime (14th field) stime (15th).
    const stat = (pid: number, comm: string, ppid: number, utime: number, stime: number) =>
      `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 100 1000 100`;
    const stats = new Map([
      ["10", stat(10, "nginx", 1, 5, 1)],
      ["11", stat(11, "nginx: worker (x)", 10, 300, 100)], // parentheses and spaces in the name
      ["12", stat(12, "other", 1, 999, 999)],
      ["13", stat(13, "grandchild", 11, 2, 2)],
    ]);
    expect(treeTicks(10, stats)).toBe(5 + 1 + 300 + 100 + 2 + 2);
    expect(treeTicks(12, stats)).toBe(1998);
  });

  test("median and spread: the middle round, not the best", () => {
    expect(median([5, 1, 100])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spread([90, 100, 110])).toBeCloseTo(0.2);
  });

  test("summarize: medians, CPU per request, spread; any error in any round fails the subject", () => {
    const run = (rps: number, p99Ms: number, cpuMs: number, errors = 0) => ({ rps, p50Ms: 1, p99Ms, requests: rps * 5, cpuMs, errors, non2xx: errors });
    const ok = summarize([run(1000, 10, 500), run(3000, 30, 1500), run(2000, 20, 1000)]);
    expect(ok).toMatchObject({ rounds: 3, rps: 2000, p99Ms: 20, cpuUsPerReq: 100, rpsSpread: 1, failed: false, errors: 0 });
    const bad = summarize([run(9000, 1, 100), run(9000, 1, 100, 4), run(9000, 1, 100)]);
    expect(bad).toMatchObject({ failed: true, errors: 4, non2xx: 4 });
  });

  test("ratios against two-hop nginx; failed subjects get none; goals judged or 'not judged'", () => {
    const s = (rps: number, p99Ms: number, failed = false) => ({ rps, p99Ms, failed });
    const at64 = ratios({ "nginx-2hop-mtls": s(10000, 8), unimesh: s(6000, 20), "unimesh-inline": s(11000, 9, true) });
    expect(at64).toEqual({ unimesh: { rps: 0.6, p99: 2.5 } });
    const at8 = ratios({ "nginx-2hop-mtls": s(10000, 2), unimesh: s(4000, 2.5), "unimesh-inline": s(10000, 2) });
    const g = goals({ 8: at8, 64: at64 });
    const met = Object.fromEntries(g.map((x: { goal: string; met: boolean | null }) => [x.goal, x.met]));
    expect(met).toEqual({
      "unimesh req/s ≥ 0.5× nginx (c=8)": false,
      "unimesh req/s ≥ 0.5× nginx (c=64)": true,
      "unimesh p99 ≤ 3× nginx (c=64)": true,
      "unimesh p99 ≤ 1.5× nginx (c=8)": true,
      "unimesh-inline req/s ≥ 1.0× nginx (c=8)": true,
      "unimesh-inline req/s ≥ 1.0× nginx (c=64)": null,
    });
    // Without a successful reference nothing has a ratio.
    expect(ratios({ "nginx-2hop-mtls": s(10000, 8, true), unimesh: s(6000, 20) })).toEqual({});
  });

  test("A/B against a baseline build measured in the same rounds: this ÷ baseline; none where either failed", () => {
    const s = (rps: number, p99Ms: number, cpuUsPerReq: number, failed = false) => ({ rps, p99Ms, cpuUsPerReq, failed });
    expect(
      abRatios({
        unimesh: s(6000, 10, 150),
        "unimesh@baseline": s(5000, 20, 200),
        "unimesh-inline": s(9000, 5, 90, true),
        "unimesh-inline@baseline": s(8000, 5, 100),
        "nginx-2hop-mtls": s(10000, 8, 70),
      }),
    ).toEqual({ unimesh: { rps: 1.2, p99: 0.5, cpu: 0.75 } });
  });

  test("the markdown table shows medians, ratios, noise, and FAILED for a subject with errors", () => {
    const sum = (rps: number, p99Ms: number, errors = 0) => ({
      rps,
      p50Ms: 1.5,
      p99Ms,
      cpuUsPerReq: 80,
      rpsSpread: 0.1,
      errors,
      non2xx: errors,
      failed: errors > 0,
    });
    const subjects = { "nginx-2hop-mtls": sum(10000, 8), unimesh: sum(6000, 20, 3) };
    const table = markdownTable({ results: [{ connections: 64, subjects, ratios: ratios(subjects) }], goals: [] }, { unimesh: "unimesh default" });
    expect(table).toContain("| 64 | nginx-2hop-mtls | 10,000 | 1.50 | 8.00 | 80 | 1× | 1× | ±5 % | 0 |");
    expect(table).toContain("| 64 | unimesh default | FAILED (6,000) | 1.50 | 20.0 | 80 | — | — | ±5 % | 3 (3 non-2xx) |");
  });
});
