/**
 * The HTTP/1.1 listener's differential (docs/design/h1-listener.md §4): every corpus case (test/proxy/h1diff/corpus)
 * sent to a proxy with `UNIMESH_H1_SERVER=node` (node:http) and to one with `UNIMESH_H1_SERVER=llhttp` (the default)
 * (test/proxy/h1diff/harness.ts), what the client read, what the app received and how the connection ended
 * compared after normalization. A difference fails unless the allowlist (h1diff/allowlist.ts) names it as one
 * of the deliberate ones (D1-D8), exactly. Until the llhttp server exists both sides are node:http: then this
 * is a self-check of the harness (its normalization must leave no difference).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { appendFileSync } from "node:fs";
import { closeAgents } from "./support.js";
import { Harness, describeDiff, differing, normalize, type Case, type Normalized, type Run } from "./h1diff/harness.js";
import { ALLOWLIST, RACES, judge } from "./h1diff/allowlist.js";
import llhttpCases from "./h1diff/corpus/llhttp.json" with { type: "json" };
import gardenCases from "./h1diff/corpus/garden.json" with { type: "json" };
import { NODE_CASES } from "./h1diff/corpus/node.js";
import { UNIMESH_CASES } from "./h1diff/corpus/unimesh.js";
import { GENERATED_CASES } from "./h1diff/corpus/generated.js";
import { ENVOY_CASES } from "./h1diff/corpus/envoy.js";

const CORPORA: [string, Case[]][] = [
  ["llhttp test/request/*.md", llhttpCases as Case[]],
  ["node test/parallel", NODE_CASES],
  ["HTTP Garden TROPHIES.md", gardenCases as Case[]],
  ["Envoy codec_impl_test.cc", ENVOY_CASES],
  ["unimesh test/proxy", UNIMESH_CASES],
  ["generated", GENERATED_CASES],
];

/** With UNIMESH_H1DIFF_DUMP=<file>: every run's normalized outcomes, as JSON lines appended to that file. */
const DUMP = process.env.UNIMESH_H1DIFF_DUMP;

/** One line per source: runs, how many reached the app, the first answers' statuses, how connections ended (node's side). */
function summary(source: string, runs: Run[]): string {
  const count = (xs: string[]) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {})).map(([k, n]) => `${k}×${n}`);
  const outs = runs.map((r) => normalize(r.outcomes.node));
  return [
    `${source}: ${runs.length} runs`,
    `${outs.filter((o) => o.app.length > 0).length} reached the app`,
    `first answer ${count(outs.map((o) => o.answers[0]?.status.split(" ")[1] ?? "none")).join(" ")}`,
    `close ${count(outs.map((o) => o.close)).join(" ")}`,
    `silent (no byte back, nothing at the app, still open) ${outs.filter((o) => o.answers.length === 0 && o.rest === "" && o.app.length === 0 && o.close === "open").length}`,
  ].join("; ");
}

/** Judges every run: the report lines of those that differ, and whether any difference is unexpected. */
function report(runs: Run[]): { unexpected: string[]; allowed: string[] } {
  const unexpected: string[] = [];
  const allowed: string[] = [];
  for (const run of runs) {
    const a = normalize(run.outcomes.node);
    const b = normalize(run.outcomes.llhttp);
    if (DUMP) appendFileSync(DUMP, JSON.stringify({ case: run.case.name, listener: run.listener, node: a, llhttp: b }) + "\n");
    const fields = differing(a, b);
    const v = judge(run.case.name, run.listener, fields, a, b);
    if (v.verdict === "unexpected") unexpected.push(`${describeDiff(run, fields, a, b)}\n  → ${v.why}`);
    else if (v.verdict === "allowed") allowed.push(`${run.case.name} @${run.listener}: ${v.allowance.d} (${fields.join(", ")})`);
    else if (v.verdict === "race") allowed.push(`${run.case.name} @${run.listener}: a race of the proxy, ${v.why} (${fields.join(", ")})`);
  }
  return { unexpected, allowed };
}

describe("the differential's allowlist", () => {
  const answer = (status: string) => ({ status, headers: [], framing: "length" as const, body: "" });
  const request = (url: string) => ({ method: "GET", url, httpVersion: "1.1", rawHeaders: [], body: "", rawTrailers: [], complete: true, aborted: false });
  const outcome = (answers: string[], app: string[], close: Normalized["close"] = "fin"): Normalized => ({
    answers: answers.map(answer),
    rest: "",
    close,
    sentAll: true,
    app: app.map(request),
  });
  const verdict = (name: string, a: Normalized, b: Normalized) => judge(name, "inbound", differing(a, b), a, b).verdict;

  test("a deliberate difference passes only as described; anything more is unexpected", () => {
    const d3 = "unimesh/pipelineClose/two-slow-then-reset";
    expect(verdict(d3, outcome([], ["/slow-1", "/slow-2"], "client"), outcome([], ["/slow-1"], "client"))).toBe("allowed");
    expect(verdict(d3, outcome([], ["/slow-1"], "client"), outcome([], ["/slow-1", "/slow-2"], "client"))).toBe("unexpected");
    expect(verdict(d3, outcome([], ["/slow-1", "/slow-2"], "client"), outcome([], ["/slow-2"], "client"))).toBe("unexpected");
    expect(verdict(d3, outcome([], ["/slow-1", "/slow-2"], "client"), outcome(["HTTP/1.1 200 OK"], ["/slow-1"], "client"))).toBe("unexpected");
    const d7 = "unimesh/requestHead/connect-pipelined";
    expect(verdict(d7, outcome([], ["/before-connect"]), outcome(["HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"], ["/before-connect"]))).toBe("allowed");
    expect(verdict(d7, outcome([], ["/before-connect"]), outcome(["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"], ["/before-connect"]))).toBe("unexpected");
    expect(verdict(d7, outcome([], ["/before-connect"]), outcome(["HTTP/1.1 502 Bad Gateway", "HTTP/1.1 403 Forbidden"], ["/before-connect"]))).toBe(
      "unexpected",
    );
    expect(verdict(d7, outcome([], ["/before-connect"]), outcome(["HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"], []))).toBe("unexpected");
    // D7 at the outbound listener: node:http aborted the request before the CONNECT on its way; llhttp served it.
    expect(verdict(d7, outcome([], []), outcome(["HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden"], ["/before-connect"]))).toBe("allowed");
    // D3, an answer broken off after its head: llhttp sends what came before the break, then closes.
    const d3b = "unimesh/pipelineClose/broken-behind-slow";
    const cut = (body: string, length: number, close: Normalized["close"] = "fin"): Normalized => ({
      ...outcome(["HTTP/1.1 200 OK"], ["/slow-first", "/broken"], close),
      answers: [answer("HTTP/1.1 200 OK"), { status: "HTTP/1.1 200 OK", headers: [["content-length", String(length)]], framing: "length", body }],
    });
    expect(verdict(d3b, outcome(["HTTP/1.1 200 OK"], ["/slow-first", "/broken"]), cut("0123456789", 100))).toBe("allowed");
    expect(verdict(d3b, outcome(["HTTP/1.1 200 OK"], ["/slow-first", "/broken"]), cut("0123456789", 10))).toBe("unexpected");
    expect(verdict(d3b, outcome(["HTTP/1.1 200 OK"], ["/slow-first", "/broken"]), cut("0123456789", 100, "open"))).toBe("unexpected");
    // Not in the allowlist: any difference is unexpected; no difference is the same.
    expect(verdict("unimesh/pipelineClose/two-plain", outcome(["HTTP/1.1 200 OK"], ["/one"]), outcome(["HTTP/1.1 200 OK"], ["/one"], "open"))).toBe(
      "unexpected",
    );
    expect(verdict("unimesh/pipelineClose/two-plain", outcome(["HTTP/1.1 200 OK"], ["/one"]), outcome(["HTTP/1.1 200 OK"], ["/one"]))).toBe("same");
    // A race: one more request at the app at the end, on either side, and nothing else.
    const race = "node/malformed-request/percent-99+host";
    expect(verdict(race, outcome([], []), outcome([], ["/hello?foo=%99bar"]))).toBe("race");
    expect(verdict(race, outcome([], ["/hello?foo=%99bar"]), outcome([], []))).toBe("race");
    expect(verdict(race, outcome([], []), outcome(["HTTP/1.1 200 OK"], ["/hello?foo=%99bar"]))).toBe("unexpected");
  });
});

describe("HTTP/1.1 listener differential: UNIMESH_H1_SERVER=node vs llhttp", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ lanes: 4 });
  });
  afterAll(async () => {
    await h?.stop();
    await closeAgents();
  });

  test("case names are unique and every allowlist and race entry names a case", () => {
    const names = CORPORA.flatMap(([, cases]) => cases.map((c) => c.name));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const known = new Set(CORPORA.flatMap(([, cases]) => cases.flatMap((c) => [c.name, ...(c.listeners ?? ["inbound"]).map((l) => `${c.name}@${l}`)])));
    expect([...Object.keys(ALLOWLIST), ...Object.keys(RACES)].filter((k) => !known.has(k))).toEqual([]);
  });

  test("the harness sees what node:http does (sentinels), and the comparison is not blind", async () => {
    const sentinel = (name: string) => CORPORA.flatMap(([, cases]) => cases).find((c) => c.name === name)!;
    const runs = await h.runAll([
      sentinel("unimesh/pipelineClose/two-plain"),
      sentinel("unimesh/requestHead/cl-and-te"),
      sentinel("node/header-overflow/one-byte-over"),
    ]);
    const [plain, clte, overflow] = runs.filter((r) => r.listener === "inbound").map((r) => normalize(r.outcomes.node));
    expect([plain.answers.map((a) => a.status), plain.app.map((r) => r.url), plain.close]).toEqual([
      ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"],
      ["/one", "/two"],
      "open",
    ]);
    expect(plain.answers.map((a) => a.body)).toEqual(["answer to /one", "answer to /two"]);
    expect([clte.answers.map((a) => a.status), clte.rest, clte.app, clte.close]).toEqual([["HTTP/1.1 400 Bad Request"], "", [], "fin"]);
    expect(overflow.answers.map((a) => a.status)).toEqual(["HTTP/1.1 431 Request Header Fields Too Large"]);
    // Each kind of change to one side is a difference in its field.
    const changed = (f: (o: ReturnType<typeof normalize>) => void) => {
      const o = structuredClone(plain);
      f(o);
      return differing(plain, o);
    };
    expect(changed((o) => (o.answers[1].status = "HTTP/1.1 400 Bad Request"))).toEqual(["answers"]);
    expect(changed((o) => o.answers[0].headers.push(["x-more", "1"]))).toEqual(["answers"]);
    expect(changed((o) => (o.answers[0].framing = "chunked"))).toEqual(["answers"]);
    expect(changed((o) => (o.rest = "HTTP/1.1 400 Bad Request\r\n"))).toEqual(["rest"]);
    expect(changed((o) => (o.close = "fin"))).toEqual(["close"]);
    expect(changed((o) => o.app.pop())).toEqual(["app"]);
    expect(changed((o) => o.app[0].rawHeaders.push("x-smuggled", "1"))).toEqual(["app"]);
    expect(changed((o) => (o.app[1].body = "x"))).toEqual(["app"]);
  });

  for (const [source, cases] of CORPORA)
    test(`${source}: ${cases.length} cases`, { timeout: 180_000 }, async () => {
      const runs = await h.runAll(cases);
      console.log(summary(source, runs));
      const { unexpected, allowed } = report(runs);
      if (allowed.length) console.log(`${source}: differences allowed\n${allowed.join("\n")}`);
      expect(unexpected.join("\n\n")).toBe("");
    });
});

/**
 * Timeouts (headersTimeout, requestTimeout, keep-alive), on proxies with short limits. Only the outcome is
 * compared (the answer, the close), never when it came (§4.4: within one sweep interval of the deadline on both).
 */
describe("HTTP/1.1 listener differential, timeouts", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ lanes: 4, limits: { headersTimeoutMs: 400, requestTimeoutMs: 1200, keepAliveTimeoutMs: 200 }, quietMs: 2500, maxMs: 8000 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const origin = "generated (test/proxy/h1diff.test.ts); headersTimeoutMs 400, requestTimeoutMs 1200, keepAliveTimeoutMs 200";
  const TIMEOUT_CASES: Case[] = [
    { name: "timeout/head-incomplete", origin, send: ["GET /t-head HTTP/1.1\r\nHost: {host}\r\n"], listeners: ["inbound", "outbound"] },
    {
      name: "timeout/head-trickled",
      origin,
      send: ["GET /t-trickle HTTP/1.1\r\n", { wait: 300 }, "Host: {host}\r\n", { wait: 300 }, "X-A: 1\r\n", { wait: 300 }, "\r\n"],
    },
    {
      name: "timeout/body-incomplete",
      origin,
      send: ["POST /t-body HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n01234"],
      listeners: ["inbound", "outbound"],
    },
    { name: "timeout/idle-after-answer", origin, send: ["GET /t-idle HTTP/1.1\r\nHost: {host}\r\n\r\n"], listeners: ["inbound", "outbound"] },
    {
      name: "timeout/second-head-incomplete-after-answer",
      origin: `${origin}; test-http-server-headers-timeout-keepalive.js (github:nodejs/node@0288844c8a2b) in spirit`,
      send: ["GET /t-first HTTP/1.1\r\nHost: {host}\r\n\r\n", { wait: 100 }, "GET /t-second HTTP/1.1\r\n"],
    },
    {
      name: "timeout/r3-head-timed-out-behind-answer",
      origin: `${origin}; this repository, test/proxy/listenerReview.test.ts:109 (R3)`,
      send: ["GET /slow-r3 HTTP/1.1\r\nHost: {host}\r\n\r\n", { wait: 50 }, "GET /r3-after HTTP/1.1\r\nHost: {host}\r\n", { wait: 900 }, "\r\n"],
    },
  ];

  test(`${TIMEOUT_CASES.length} cases: the same answers and closes`, { timeout: 120_000 }, async () => {
    const runs = await h.runAll(TIMEOUT_CASES);
    const { unexpected } = report(runs);
    expect(unexpected.join("\n\n")).toBe("");
  });
});
