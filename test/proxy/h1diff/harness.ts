/**
 * Differential harness for the HTTP/1.1 listener (docs/design/h1-listener.md §4.1, mesh level): the same raw
 * bytes to two proxies started in this process from the same mesh, one with `UNIMESH_H1_SERVER=node`
 * (node:http) and one with `UNIMESH_H1_SERVER=llhttp` (the default; read by the Listener constructor: set for the start,
 * then restored), and what each one did with them compared after normalization.
 *
 * The mesh, per proxy: `lanes` services `api<k>` (namespace shop), each an inbound listener in front of an app
 * of its own that records every request it is sent, and a caller `web` with an outbound listener (routing by
 * Host to `api<k>.shop`). A lane runs one case at a time on both proxies at once, so what an app records
 * belongs to that case; lanes run in parallel.
 *
 * One case: a list of steps (raw bytes as latin1 strings, waits, a half-close, a reset), sent over a fresh
 * TCP connection to one listener. Collected per proxy: (a) the bytes the client received, until the
 * connection closed or nothing happened (no byte either way, no request at the app) for `quietMs`; (b) what
 * the app received, per request: method, url, httpVersion, rawHeaders, headers, body bytes, rawTrailers,
 * complete/aborted; (c) how the connection ended (FIN, reset, still open) and whether every write was
 * accepted. See {@link normalize} for what is normalized away before the comparison.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { meshConfig, registry, startMesh } from "../support.js";
import type { ProxyRuntime } from "../../../src/proxy/runtime.js";
import type { ProxyConfig } from "../../../src/api/generated/proxyConfig.js";

/** One step of a case: bytes to write (latin1; `{host}` is the listener's Host for the lane, `{HOST}` the same upper-case), a pause, a half-close (FIN), a reset (RST). */
export type Step = string | { wait: number } | { end: true } | { reset: true };

/** A case of the corpus. */
export interface Case {
  /** Unique, `<source>/<group>/<title>`. */
  name: string;
  /** Where the bytes come from: repository, path, commit (or URL), line. */
  origin: string;
  send: Step[];
  /** The listeners it is sent to (default: inbound only). */
  listeners?: readonly Listener[];
  note?: string;
}

export type Listener = "inbound" | "outbound";

/** A request as the app behind the listener received it. */
export interface AppRequest {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  /** latin1 */
  body: string;
  rawTrailers: string[];
  complete: boolean;
  aborted: boolean;
}

/** What happened to one case on one proxy. */
export interface Outcome {
  /** Everything the client read, latin1. */
  client: string;
  /** How the connection ended: FIN from the proxy, reset (ECONNRESET), or still open after the quiet period (the client then destroyed it). */
  close: "fin" | "reset" | "open" | "client";
  /** Every write of the case was made on a writable socket (the proxy had not closed it before). */
  sentAll: boolean;
  app: AppRequest[];
  /** Ports of this proxy and its apps (normalized to `<port>`). */
  ports: number[];
}

export type Side = "node" | "llhttp";
export const SIDES: readonly Side[] = ["node", "llhttp"];

/** The recording app of one lane. */
interface Recorder {
  port: number;
  requests: AppRequest[];
  /** Requests not answered yet (their response not closed). */
  pending: number;
  /** Of those, the ones whose body is whole: the app is working on them (the others wait for the client). */
  busy: number;
  last: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An app that records what it is sent and answers by path: `/slow…` 300 ms after its body; `/stream…` a head
 * and a first part at once, the rest 300 ms later; `/early…` at once, without reading its body; `/broken…` a
 * head (content-length 100) and 10 bytes, then its connection is destroyed; anything else once its body is
 * read, `answer to <url>`.
 */
async function startRecorder(): Promise<Recorder> {
  const rec: Recorder = { port: 0, requests: [], pending: 0, busy: 0, last: Date.now(), close: async () => {} };
  const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    const r: AppRequest = {
      method: req.method!,
      url: req.url!,
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      headers: req.headers,
      body: "",
      rawTrailers: [],
      complete: false,
      aborted: false,
    };
    rec.requests.push(r);
    rec.pending++;
    rec.last = Date.now();
    let done = false;
    let whole = false;
    res.on("close", () => {
      if (done) return;
      done = true;
      rec.pending--;
      if (whole) rec.busy--;
      rec.last = Date.now();
    });
    req.on("end", () => {
      if (done) return;
      whole = true;
      rec.busy++;
    });
    req.on("error", () => {});
    req.on("data", (c: Buffer) => {
      r.body += c.toString("latin1");
      rec.last = Date.now();
    });
    req.on("close", () => {
      r.complete = req.complete;
      r.aborted = !req.complete;
      r.rawTrailers = req.rawTrailers;
    });
    const url = req.url!;
    const answer = () => {
      res.setHeader("content-type", "text/plain");
      res.end(`answer to ${url}`);
    };
    if (url.startsWith("/early")) {
      answer();
      req.resume();
    } else if (url.startsWith("/stream")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first part\n");
      setTimeout(() => res.end("last part\n"), 300);
      req.resume();
    } else if (url.startsWith("/broken")) {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
      res.write("0123456789");
      setTimeout(() => res.socket?.destroy(), 50);
    } else req.on("end", () => (url.startsWith("/slow") ? setTimeout(answer, 300) : answer()));
  });
  server.maxHeadersCount = 0;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  rec.port = (server.address() as AddressInfo).port;
  rec.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return rec;
}

export interface HarnessOptions {
  /** Cases run in parallel (one per lane). Default 4. */
  lanes?: number;
  /** `spec.limits` of both proxies (for the timeout cases). */
  limits?: Partial<NonNullable<ProxyConfig["spec"]["limits"]>>;
  /** Quiet period that ends a case whose connection stays open, ms. Default 250. */
  quietMs?: number;
  /** Longest a case may take once its steps are sent, ms. Default 5000. */
  maxMs?: number;
}

interface Proxy {
  side: Side;
  runtime: ProxyRuntime;
  apps: Recorder[];
  web: Recorder;
  ports: number[];
}

/** The result of one case on one listener: both outcomes. */
export interface Run {
  case: Case;
  listener: Listener;
  outcomes: Record<Side, Outcome>;
}

/** Starts a proxy with `UNIMESH_H1_SERVER` as given for its start (its Listeners read it in their constructor), then restores it. */
async function startSide(side: Side, lanes: number, limits: HarnessOptions["limits"]): Promise<Proxy> {
  const apps = await Promise.all(Array.from({ length: lanes }, () => startRecorder()));
  const web = await startRecorder();
  const config = meshConfig(
    "",
    registry([
      ...apps.map((a, k) => ({ service: `api${k}`, namespace: "shop", port: a.port })),
      { service: "web", namespace: "shop", port: web.port, outbound: true },
    ]),
    limits ? { limits: limits as NonNullable<ProxyConfig["spec"]["limits"]> } : {},
  );
  const prev = process.env.UNIMESH_H1_SERVER;
  process.env.UNIMESH_H1_SERVER = side === "llhttp" ? "llhttp" : "node";
  let runtime: ProxyRuntime;
  try {
    runtime = await startMesh(config);
  } finally {
    if (prev === undefined) delete process.env.UNIMESH_H1_SERVER;
    else process.env.UNIMESH_H1_SERVER = prev;
  }
  const ports = [
    ...apps.map((a) => a.port),
    web.port,
    ...apps.map((a, k) => runtime.inboundPort(`api${k}`, "shop", a.port)),
    runtime.inboundPort("web", "shop", web.port),
    runtime.outboundPort("web", "shop"),
    runtime.port("admin"),
  ];
  return { side, runtime, apps, web, ports };
}

/** Two proxies, one per implementation, and the lanes to run cases on them. */
export class Harness {
  private constructor(
    private readonly proxies: Record<Side, Proxy>,
    private readonly lanes: number,
    private readonly quietMs: number,
    private readonly maxMs: number,
  ) {}

  static async start(opts: HarnessOptions = {}): Promise<Harness> {
    const lanes = opts.lanes ?? 4;
    // One after the other: each start sets the process's environment.
    const node = await startSide("node", lanes, opts.limits);
    const llhttp = await startSide("llhttp", lanes, opts.limits);
    return new Harness({ node, llhttp }, lanes, opts.quietMs ?? 250, opts.maxMs ?? 5000);
  }

  async stop(): Promise<void> {
    for (const p of Object.values(this.proxies)) {
      await p.runtime.stop();
      await Promise.all([...p.apps, p.web].map((a) => a.close()));
    }
  }

  /** Runs every case on each of its listeners, `lanes` at a time; results in corpus order. */
  async runAll(cases: readonly Case[], onRun?: (r: Run) => void): Promise<Run[]> {
    const items = cases.flatMap((c) => (c.listeners ?? ["inbound"]).map((listener) => ({ c, listener })));
    const out: Run[] = new Array(items.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.lanes, items.length) }, async (_, lane) => {
        while (next < items.length) {
          const i = next++;
          out[i] = await this.run(items[i].c, items[i].listener, lane);
          onRun?.(out[i]);
        }
      }),
    );
    return out;
  }

  /** One case on one listener of both proxies at once, on lane `lane`. */
  async run(c: Case, listener: Listener, lane = 0): Promise<Run> {
    const [node, llhttp] = await Promise.all(SIDES.map((s) => this.runOn(this.proxies[s], c, listener, lane)));
    return { case: c, listener, outcomes: { node, llhttp } };
  }

  private async runOn(p: Proxy, c: Case, listener: Listener, lane: number): Promise<Outcome> {
    const app = p.apps[lane];
    const port = listener === "inbound" ? p.runtime.inboundPort(`api${lane}`, "shop", app.port) : p.runtime.outboundPort("web", "shop");
    const host = listener === "inbound" ? `api${lane}` : `api${lane}.shop`;
    const first = app.requests.length;
    const s = net.connect(port, "127.0.0.1");
    s.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      s.once("connect", resolve);
      s.once("error", reject);
    });
    const got: Buffer[] = [];
    let last = Date.now();
    let ended = false;
    let closed = false;
    let error: string | undefined;
    let sentAll = true;
    let byClient = false;
    s.on("data", (d: Buffer) => {
      got.push(d);
      last = Date.now();
    });
    s.on("end", () => (ended = true));
    s.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    s.on("close", () => (closed = true));
    for (const step of c.send) {
      if (typeof step === "string") {
        if (s.destroyed || !s.writable) sentAll = false;
        else s.write(Buffer.from(step.replaceAll("{host}", host).replaceAll("{HOST}", host.toUpperCase()), "latin1"));
        last = Date.now();
      } else if ("wait" in step) await sleep(step.wait);
      else if ("end" in step) {
        if (!s.destroyed) s.end();
      } else if ("reset" in step) {
        byClient = true;
        if (!s.destroyed) s.resetAndDestroy();
      }
    }
    // Settled: nothing sent or received, nothing new at the app, for a while; and every request the app has is
    // answered, or (the connection still open) waits for body bytes the client will not send.
    // Quiet is judged on a running event loop: after a stall (a GC, another lane's heavy case), the timer comes
    // before the I/O that was held back, and the elapsed time would look like quiet.
    const start = Date.now();
    for (let prev = start; ;) {
      await sleep(20);
      await new Promise((r) => setImmediate(r));
      const now = Date.now();
      if (now - prev > 100) last = now;
      prev = now;
      const gone = closed || byClient;
      const quiet = now - Math.max(last, app.last) >= (gone ? 100 : this.quietMs);
      if (quiet && (gone ? app.pending : app.busy) === 0) break;
      if (now - start > this.maxMs) break;
    }
    const close = byClient ? "client" : !closed ? "open" : error === "ECONNRESET" ? "reset" : ended ? "fin" : "reset";
    // A copy: the app's records change when the connection is destroyed below.
    const seen = structuredClone(app.requests.slice(first));
    if (!closed) s.destroy();
    // The lane starts its next case with nothing left at the app from this one.
    for (let t = Date.now(); app.pending > 0 && Date.now() - t < 2000;) await sleep(20);
    return { client: Buffer.concat(got).toString("latin1"), close, sentAll, app: seen, ports: p.ports };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Normalization and comparison

/** An answer as the client read it, its framing undone. */
export interface Answer {
  status: string;
  /** Header lines in order, names as sent. */
  headers: [string, string][];
  framing: "length" | "chunked" | "close" | "none";
  body: string;
  /** The chunked trailer section, raw (from after the last chunk's size line to the end). */
  trailers?: string;
}

export interface Normalized {
  answers: Answer[];
  /** Bytes after the last answer that parses (a truncated or broken one), raw. */
  rest: string;
  close: Outcome["close"];
  sentAll: boolean;
  app: Omit<AppRequest, "headers">[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A string with this proxy's (and its apps') ports and every UUID replaced. */
function scrub(s: string, ports: number[]): string {
  let out = s.replace(UUID, "<uuid>");
  for (const p of ports) out = out.replace(new RegExp(`(?<=:)${p}(?!\\d)`, "g"), "<port>");
  return out;
}

/** Splits what the client read into answers (framing undone: chunk boundaries and TCP segmentation are not compared). */
export function parseAnswers(text: string): { answers: Answer[]; rest: string } {
  const answers: Answer[] = [];
  let i = 0;
  while (i < text.length && text.startsWith("HTTP/", i)) {
    const end = text.indexOf("\r\n\r\n", i);
    if (end < 0) break;
    const lines = text.slice(i, end).split("\r\n");
    const status = lines[0];
    const headers = lines.slice(1).map((l): [string, string] => {
      const c = l.indexOf(":");
      return c < 0 ? [l, ""] : [l.slice(0, c), l.slice(c + 1).trim()];
    });
    const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    const code = Number(status.split(" ")[1]);
    let at = end + 4;
    const a: Answer = { status, headers, framing: "none", body: "" };
    const te = get("transfer-encoding");
    const cl = get("content-length");
    if (code < 200 || code === 204 || code === 304) a.framing = "none";
    else if (te && /chunked/i.test(te)) {
      a.framing = "chunked";
      let ok = false;
      for (;;) {
        const e = text.indexOf("\r\n", at);
        if (e < 0) break;
        const n = parseInt(text.slice(at, e).split(";")[0], 16);
        if (Number.isNaN(n)) break;
        if (n === 0) {
          if (text.startsWith("\r\n", e + 2)) {
            a.trailers = "";
            at = e + 4;
          } else {
            const t = text.indexOf("\r\n\r\n", e + 2);
            if (t < 0) break;
            a.trailers = text.slice(e + 2, t + 2);
            at = t + 4;
          }
          ok = true;
          break;
        }
        if (text.length < e + 2 + n + 2) break;
        a.body += text.slice(e + 2, e + 2 + n);
        at = e + 2 + n + 2;
      }
      if (!ok) {
        answers.push(a);
        return { answers, rest: text.slice(at) };
      }
    } else if (cl !== undefined && /^\d+$/.test(cl)) {
      const n = Number(cl);
      // The answer to a HEAD: a length, no body (what follows is the next answer).
      if (n > 0 && text.startsWith("HTTP/1.", at)) a.framing = "none";
      else {
        a.framing = "length";
        a.body = text.slice(at, at + n);
        at += Math.min(n, text.length - at);
      }
    } else if (text.startsWith("HTTP/1.", at) || at === text.length) a.framing = "none";
    else {
      a.framing = "close";
      a.body = text.slice(at);
      at = text.length;
    }
    answers.push(a);
    i = at;
  }
  return { answers, rest: text.slice(i) };
}

/**
 * What is compared of an outcome. Normalized: the value of a `Date` header (any case) in an answer; every
 * UUID (`x-request-id`, generated per request) anywhere; this proxy's and its apps' ports after a colon;
 * chunk boundaries and TCP segmentation (answers are compared with their framing undone, the framing kind
 * kept); timing (nothing is timed). Not normalized: status lines, header names and order, bodies, trailers,
 * the app's rawHeaders, how the connection ended.
 */
export function normalize(o: Outcome): Normalized {
  const { answers, rest } = parseAnswers(o.client);
  for (const a of answers) {
    a.headers = a.headers.map(([k, v]) => [k, k.toLowerCase() === "date" ? "<date>" : scrub(v, o.ports)]);
    a.body = scrub(a.body, o.ports);
  }
  return {
    answers,
    rest: scrub(rest, o.ports),
    close: o.close,
    sentAll: o.sentAll,
    app: o.app.map((r) => ({
      method: r.method,
      url: scrub(r.url, o.ports),
      httpVersion: r.httpVersion,
      rawHeaders: r.rawHeaders.map((h) => scrub(h, o.ports)),
      body: r.body,
      rawTrailers: r.rawTrailers,
      complete: r.complete,
      aborted: r.aborted,
    })),
  };
}

/** The parts of an outcome compared, each as a whole. */
export type Field = "answers" | "rest" | "close" | "sentAll" | "app";
export const FIELDS: readonly Field[] = ["answers", "rest", "close", "sentAll", "app"];

/** The fields that differ. */
export function differing(a: Normalized, b: Normalized): Field[] {
  return FIELDS.filter((f) => !isDeepStrictEqual(a[f], b[f]));
}

const show = (v: unknown, max = 1200) => {
  // JSON.stringify(undefined) is undefined (a field one side lacks).
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
};

/** A readable account of the differences of one run. */
export function describeDiff(run: Run, fields: Field[], a: Normalized, b: Normalized): string {
  const lines = [`${run.case.name} @${run.listener} (${run.case.origin})`, `  sent: ${show(run.case.send, 400)}`];
  for (const f of fields) {
    lines.push(`  ${f}:`);
    if (f === "app" || f === "answers") {
      const n = Math.max(a[f].length, b[f].length);
      lines.push(`    count node ${a[f].length}, llhttp ${b[f].length}`);
      for (let i = 0; i < n; i++) {
        if (isDeepStrictEqual(a[f][i], b[f][i])) continue;
        lines.push(`    [${i}] node:   ${show(a[f][i])}`, `    [${i}] llhttp: ${show(b[f][i])}`);
      }
    } else lines.push(`    node:   ${show(a[f])}`, `    llhttp: ${show(b[f])}`);
  }
  return lines.join("\n");
}
