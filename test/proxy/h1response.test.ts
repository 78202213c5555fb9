/**
 * `H1Response` (src/proxy/net/h1response.ts) against node's own `http.ServerResponse` as the oracle.
 *
 * Each case is a script (writeHead, write, end, addTrailers, writeContinue, destroy, assignSocket, a turn of
 * the event loop, a back-pressured pump, the socket corked by someone else, the client resetting, the end of
 * a response it is pipelined behind) run on both over a real loopback socket pair: the server side gets
 * `new http.IncomingMessage(socket)` with the case's method and version, the response is given the server's
 * keep-alive verdict (`shouldKeepAlive`), `_keepAliveTimeout` and `_expect_continue`, and the harness plays
 * node:http's part around it (on `finish`: `detachSocket`, `close` on the next tick, srv resOnFinish/emitCloseNT;
 * for ServerResponse also srv socketOnDrain, which H1Response does itself). Compared: the bytes the client
 * read (the `Date` value normalized), byte for byte; where only chunk boundaries differ (H1Response
 * coalesces a tick's writes into one chunk, as Node 24+ does only while it holds an uncorked socket) the
 * status lines, header lines in order, de-chunked bodies, trailers and what follows; the events (`socket`,
 * `finish`, `close`, `drain`, `error:<code>`; consecutive `drain`s as one); the errors thrown, by class, code
 * and message; what `write` returned; `_last`. The deliberate differences (module comment of h1response.ts)
 * are listed in {@link allowed}, by Node version; anything else fails. No timing is asserted.
 * `H1RESPONSE_DUMP=<part of a case name>` prints both outcomes of the matching cases.
 * Other Node versions: `<node> node_modules/vitest/vitest.mjs run test/proxy/h1response.test.ts`.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { H1Response, type H1Socket } from "../../src/proxy/net/h1response.js";

const MAJOR = Number(process.versions.node.split(".")[0]);

type Headers = http.OutgoingHttpHeaders;
type Op =
  | { op: "head"; status: number; headers?: Headers }
  | { op: "status"; status: number }
  | { op: "write"; data: string | Buffer }
  | { op: "end"; data?: string | Buffer }
  | { op: "trailers"; trailers: Record<string, string | string[] | undefined> }
  | { op: "continue" }
  | { op: "destroy" }
  | { op: "assign" }
  | { op: "tick" }
  /** The socket corked / uncorked by someone else. */
  | { op: "cork" }
  | { op: "uncork" }
  /** The client goes away (reset); waits for the server socket's close. */
  | { op: "hangup" }
  /** The response before this one on the connection (a case with `behind`) ends; its finish hands the socket over. */
  | { op: "first" }
  /** Waits for `drain` (at most 10 s: then "no drain"). */
  | { op: "drain" }
  /** Writes `size`-byte chunks until `write` returns false (at most 64), `rounds` times, each time waiting for `drain` unless queued. */
  | { op: "pump"; size: number; rounds: number };

interface Case {
  name: string;
  method?: string;
  version?: "1.1" | "1.0";
  /** The server's keep-alive verdict (default: true on 1.1, false on 1.0). */
  keepAlive?: boolean;
  /** ms (default 5000, node:http's default). */
  keepAliveTimeout?: number;
  expectContinue?: boolean;
  reqHeaders?: http.IncomingHttpHeaders;
  /** The socket is given by an `assign` op (pipelining) rather than at once. */
  queued?: boolean;
  /**
   * Pipelined behind another response of the same kind, which holds the socket until a `first` op ends it
   * (`first`, 5 bytes); its finish hands the socket over as srv resOnFinish does.
   */
  behind?: boolean;
  ops: Op[];
}

interface Outcome {
  bytes: Buffer;
  events: string[];
  /** Per op: what it returned or threw. */
  results: unknown[];
  last: boolean;
  settled: boolean;
}

let server: net.Server;
const pending: ((s: net.Socket) => void)[] = [];
beforeAll(async () => {
  server = net.createServer((s) => pending.shift()!(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** A connected pair: the server side and a client that collects everything until the connection ends. */
async function pair(): Promise<{ socket: net.Socket; client: net.Socket; received: Promise<Buffer> }> {
  const accepted = new Promise<net.Socket>((r) => pending.push(r));
  const client = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
  const chunks: Buffer[] = [];
  client.on("data", (c: Buffer) => chunks.push(c));
  client.on("error", () => {});
  client.on("end", () => client.end());
  const received = new Promise<Buffer>((r) => client.on("close", () => r(Buffer.concat(chunks))));
  const socket = await accepted;
  socket.on("error", () => {});
  return { socket, client, received };
}

const tick = () => new Promise((r) => setImmediate(r));
const errorOf = (e: unknown) => {
  const x = e as Error & { code?: string };
  return { threw: x.constructor.name, code: x.code, message: x.message };
};

type AnyRes = (http.ServerResponse | H1Response) & { _last: boolean; _closed: boolean; _keepAliveTimeout: number; _expect_continue: boolean };

async function run(kind: "node" | "h1", c: Case): Promise<Outcome> {
  const { socket, client, received } = await pair();
  const req = new http.IncomingMessage(socket);
  req.method = c.method ?? "GET";
  const v = c.version ?? "1.1";
  req.httpVersion = v;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = v === "1.1" ? 1 : 0;
  // As node:http fills it (_http_common parserOnHeadersComplete): Node 26 reads `te` from rawHeaders.
  const raw = Object.entries(c.reqHeaders ?? {}).flatMap(([k, v]) => [k, String(v)]);
  (req as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(raw, raw.length);
  const res = (
    kind === "node"
      ? new (http.ServerResponse as unknown as new (r: http.IncomingMessage, o: object) => http.ServerResponse)(req, {
          highWaterMark: socket.writableHighWaterMark,
        })
      : new H1Response(req)
  ) as AnyRes;
  res.shouldKeepAlive = c.keepAlive ?? v === "1.1";
  res._keepAliveTimeout = c.keepAliveTimeout ?? 5000;
  if (c.expectContinue) res._expect_continue = true;
  const events: string[] = [];
  let closed!: () => void;
  const closedP = new Promise<void>((r) => (closed = r));
  res.on("socket", () => events.push("socket"));
  res.on("drain", () => events.push("drain"));
  res.on("error", (e: Error & { code?: string }) => events.push(`error:${e.code}`));
  res.on("close", () => {
    events.push("close");
    closed();
  });
  // node:http's part (srv resOnFinish, emitCloseNT).
  res.on("finish", () => {
    events.push("finish");
    if (res.socket) res.detachSocket(res.socket);
    process.nextTick(() => {
      if (!res._closed) {
        res.destroyed = true;
        res._closed = true;
        res.emit("close");
      }
    });
  });
  if (kind === "node") {
    // srv socketOnDrain (v20:758, v24:876, v26:897).
    const kNeedDrain = () => Object.getOwnPropertySymbols(res).find((s) => s.description === "kNeedDrain")!;
    socket.on("drain", () => {
      const m = (socket as H1Socket)._httpMessage as (http.ServerResponse & Record<symbol, boolean>) | null;
      if (m && !m.finished && m[kNeedDrain()] && (MAJOR < 24 || m.writableLength === 0)) {
        m[kNeedDrain()] = false;
        m.emit("drain");
      }
    });
  }
  let first: AnyRes | undefined;
  if (c.behind) {
    const req0 = new http.IncomingMessage(socket);
    req0.method = "GET";
    req0.httpVersion = "1.1";
    req0.httpVersionMajor = 1;
    req0.httpVersionMinor = 1;
    const r0 = (kind === "node" ? new http.ServerResponse(req0) : new H1Response(req0)) as AnyRes;
    r0._keepAliveTimeout = 5000;
    r0.on("finish", () => {
      r0.detachSocket(socket);
      process.nextTick(() => {
        r0.destroyed = true;
        r0._closed = true;
        r0.emit("close");
      });
      res.assignSocket(socket);
    });
    r0.assignSocket(socket);
    first = r0;
  } else if (!c.queued) res.assignSocket(socket);
  const results: unknown[] = [];
  for (const o of c.ops) {
    try {
      switch (o.op) {
        case "head":
          res.writeHead(o.status, o.headers);
          results.push("ok");
          break;
        case "status":
          res.statusCode = o.status;
          results.push("ok");
          break;
        case "write":
          results.push(res.write(o.data));
          break;
        case "end":
          res.end(o.data);
          results.push("ok");
          break;
        case "trailers":
          res.addTrailers(o.trailers as Record<string, string>);
          results.push("ok");
          break;
        case "continue":
          res.writeContinue();
          results.push("ok");
          break;
        case "destroy":
          res.destroy();
          results.push("ok");
          break;
        case "assign":
          res.assignSocket(socket);
          results.push("ok");
          break;
        case "cork":
          socket.cork();
          results.push("ok");
          break;
        case "uncork":
          socket.uncork();
          results.push("ok");
          break;
        case "hangup":
          client.resetAndDestroy();
          await new Promise((r) => (socket.destroyed ? r(null) : socket.once("close", r)));
          results.push("ok");
          break;
        case "first":
          first!.writeHead(200, { "content-length": "5" });
          first!.end("first");
          results.push("ok");
          break;
        case "tick":
          await tick();
          results.push("ok");
          break;
        case "drain":
          results.push(
            await Promise.race([new Promise((d) => res.once("drain", () => d("drain"))), new Promise((d) => setTimeout(() => d("no drain"), 10_000).unref())]),
          );
          break;
        case "pump": {
          const returns: boolean[] = [];
          for (let r = 0; r < o.rounds; r++) {
            let ok = true;
            for (let i = 0; i < 64 && ok; i++) ok = res.write(Buffer.alloc(o.size, 97 + r));
            returns.push(ok);
            if (!ok && res.socket) await new Promise((d) => res.once("drain", d));
          }
          results.push(returns);
          break;
        }
      }
    } catch (e) {
      results.push(errorOf(e));
    }
  }
  const settled = await Promise.race([closedP.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
  const last = res._last;
  if (!socket.destroyed) socket.end();
  const bytes = await received;
  return { bytes, events, results, last, settled };
}

/** One HTTP/1.1 message as read: its head (Date normalized), body, trailers, chunk sizes. */
interface Parsed {
  head: string;
  body?: string;
  trailers?: string;
  chunks?: number[];
}

/** The responses in `bytes` (interim ones too, pipelined ones), and what follows the last that is not one. */
function parse(bytes: Buffer, method: string): { messages: Parsed[]; rest: string } {
  const messages: Parsed[] = [];
  let off = 0;
  for (;;) {
    const end = bytes.indexOf("\r\n\r\n", off);
    if (end < 0) return { messages, rest: bytes.subarray(off).toString("latin1") };
    const head = normalize(bytes.subarray(off, end + 4).toString("latin1"));
    off = end + 4;
    const status = Number(head.split(" ")[1]);
    if (status >= 100 && status < 200) {
      messages.push({ head });
      continue;
    }
    const field = (name: string) =>
      head
        .split("\r\n")
        .find((l) => l.toLowerCase().startsWith(name + ":"))
        ?.slice(name.length + 1)
        .trim();
    if (method === "HEAD" || status === 204 || status === 304) messages.push({ head });
    else if (/chunked/i.test(field("transfer-encoding") ?? "")) {
      const chunks: number[] = [];
      let body = "";
      for (;;) {
        const eol = bytes.indexOf("\r\n", off);
        if (eol < 0) return { messages: [...messages, { head, body, chunks, trailers: "<cut>" }], rest: "" };
        const size = parseInt(bytes.subarray(off, eol).toString("latin1"), 16);
        off = eol + 2;
        if (size === 0) {
          const t = bytes.indexOf("\r\n\r\n", off - 2);
          const trailers = t < 0 ? "<cut>" : bytes.subarray(off, t + 2).toString("latin1");
          off = t < 0 ? bytes.length : t + 4;
          messages.push({ head, body, chunks, trailers });
          break;
        }
        chunks.push(size);
        body += bytes.subarray(off, off + size).toString("latin1");
        off += size + 2;
      }
    } else if (field("content-length") !== undefined && !field("transfer-encoding")) {
      const n = Number(field("content-length"));
      messages.push({ head, body: bytes.subarray(off, off + n).toString("latin1") });
      off += n;
    } else {
      messages.push({ head, body: bytes.subarray(off).toString("latin1") });
      off = bytes.length;
    }
    if (off >= bytes.length) return { messages, rest: "" };
  }
}

const normalize = (s: string) => s.replace(/\r\nDate: [^\r]*\r\n/g, "\r\nDate: <date>\r\n");
const collapse = (events: string[]) => events.filter((e, i) => e !== "drain" || events[i - 1] !== "drain");

/** Deliberate differences (see h1response.ts), by case name and Node version: what may differ. */
function allowed(name: string): { bytes?: boolean; events?: boolean; results?: boolean; last?: boolean } {
  // Node 20 closes a response destroyed while queued only when it gets the socket (then destroyed).
  if (name.startsWith("destroy queued") && MAJOR < 24) return { events: true };
  // Node 24+ writes what a response destroyed while queued had buffered (and emits finish after its close),
  // and keeps the connection.
  if (name.startsWith("destroy queued after") && MAJOR >= 24) return { bytes: true, events: true };
  // Node 20 writes 100 Continue after a head (in the middle of the answer); Node 24+ throws, as H1Response.
  if (name === "writeContinue after head" && MAJOR < 24) return { bytes: true, results: true };
  // Node keeps the flags of the headers before the bad one: its second head is framed as chunked.
  if (name === "writeHead throws, then again (node keeps chunkedEncoding)") return { bytes: true };
  // Node keeps `_last` of a writeHead that threw after `connection: close`: it closes after a head saying keep-alive.
  if (name === "writeHead throws after connection: close, then again") return { last: true };
  // An ended response goes out at the event-loop turn's end (src/proxy/net/turnWrites.ts): its 'finish' comes
  // after the errors of writes made after end() in the same tick, node's before them. Bytes are the same.
  if (name === "write after end") return { events: true };
  // How many drains and which write returns false: thresholds differ (coalesced chunks are counted whole).
  if (name.startsWith("back-pressure")) return { results: true };
  return {};
}

const STATUSES = [200, 204, 304, 404, 502, 999];
const CONNS = [
  { version: "1.1", keepAlive: true },
  { version: "1.1", keepAlive: false },
  { version: "1.0", keepAlive: false },
  { version: "1.0", keepAlive: true },
] as const;
const SHAPES: { name: string; ops: (s: number) => Op[] }[] = [
  {
    name: "end(body) without head",
    ops: (s) => [
      { op: "status", status: s },
      { op: "end", data: "hello" },
    ],
  },
  { name: "end() without head", ops: (s) => [{ op: "status", status: s }, { op: "end" }] },
  {
    name: "head with content-length, end(body)",
    ops: (s) => [
      { op: "head", status: s, headers: { "content-type": "text/plain", "content-length": "5" } },
      { op: "end", data: "hello" },
    ],
  },
  {
    name: "head, end(Buffer)",
    ops: (s) => [
      { op: "head", status: s, headers: { "x-a": "1" } },
      { op: "end", data: Buffer.from("hello") },
    ],
  },
  { name: "head, end()", ops: (s) => [{ op: "head", status: s, headers: { "x-a": "1" } }, { op: "end" }] },
  {
    name: "head, write, write, end(body)",
    ops: (s) => [
      { op: "head", status: s, headers: {} },
      { op: "write", data: "ab" },
      { op: "write", data: Buffer.from("cd") },
      { op: "end", data: "ef" },
    ],
  },
  {
    name: "head, write, tick, write, tick, end()",
    ops: (s) => [
      { op: "head", status: s },
      { op: "write", data: "ab" },
      { op: "tick" },
      { op: "write", data: Buffer.from("cd") },
      { op: "tick" },
      { op: "end" },
    ],
  },
  {
    name: "connection: close given",
    ops: (s) => [
      { op: "head", status: s, headers: { connection: "close", "content-length": "5" } },
      { op: "end", data: "hello" },
    ],
  },
  {
    name: "connection: keep-alive given",
    ops: (s) => [
      { op: "head", status: s, headers: { connection: "keep-alive" } },
      { op: "end", data: "hello" },
    ],
  },
  {
    name: "transfer-encoding: chunked given",
    ops: (s) => [{ op: "head", status: s, headers: { "transfer-encoding": "chunked" } }, { op: "write", data: "abc" }, { op: "end" }],
  },
  {
    name: "transfer-encoding: gzip given",
    ops: (s) => [{ op: "head", status: s, headers: { "transfer-encoding": "gzip" } }, { op: "write", data: "abc" }, { op: "end" }],
  },
  {
    name: "keep-alive given",
    ops: (s) => [
      { op: "head", status: s, headers: { "keep-alive": "timeout=9", "content-length": "2" } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "trailers, chunked",
    ops: (s) => [
      { op: "head", status: s, headers: { trailer: "x-t" } },
      { op: "write", data: "a" },
      { op: "trailers", trailers: { "x-t": "v", "x-u": ["1", "2"] } },
      { op: "end" },
    ],
  },
  {
    name: "trailers with content-length",
    ops: (s) => [
      { op: "head", status: s, headers: { "content-length": "1" } },
      { op: "trailers", trailers: { "x-t": "v" } },
      { op: "end", data: "a" },
    ],
  },
  {
    name: "trailer header with content-length",
    ops: (s) => [
      { op: "head", status: s, headers: { trailer: "x-t", "content-length": "1" } },
      { op: "head", status: 502, headers: { "content-length": "0" } },
      { op: "end" },
    ],
  },
];

const MATRIX: Case[] = [];
for (const s of STATUSES)
  for (const method of ["GET", "HEAD"])
    for (const conn of CONNS)
      for (const shape of SHAPES)
        MATRIX.push({ name: `${shape.name} ${s} ${method} HTTP/${conn.version} keepAlive=${conn.keepAlive}`, method, ...conn, ops: shape.ops(s) });

const big = "v".repeat(8192);
const SPECIAL: Case[] = [
  // Statuses.
  {
    name: "writeContinue, then 200",
    expectContinue: true,
    ops: [{ op: "continue" }, { op: "head", status: 200, headers: { "content-length": "2" } }, { op: "end", data: "ok" }],
  },
  {
    name: "expect-continue without 100",
    expectContinue: true,
    ops: [
      { op: "head", status: 200, headers: { "content-length": "2" } },
      { op: "end", data: "ok" },
    ],
  },
  { name: "writeContinue after head", ops: [{ op: "head", status: 200, headers: { "content-length": "2" } }, { op: "continue" }, { op: "end", data: "ok" }] },
  { name: "writeHead(100)", ops: [{ op: "head", status: 100 }, { op: "end" }] },
  {
    name: "writeHead(103) with a link",
    ops: [
      { op: "head", status: 103, headers: { link: "</a>; rel=preload" } },
      { op: "end", data: "x" },
    ],
  },
  ...[1000, 99, NaN, -1, 0, 1e10].map((s): Case => ({
    name: `invalid status ${s}`,
    ops: [{ op: "head", status: s, headers: { a: "b" } }, { op: "head", status: 500, headers: { "content-length": "0" } }, { op: "end" }],
  })),
  { name: "status as a string", ops: [{ op: "head", status: "201" as unknown as number }, { op: "end" }] },
  { name: "status 200.7", ops: [{ op: "head", status: 200.7 }, { op: "end" }] },
  {
    name: "statusCode 1000, end(body)",
    ops: [
      { op: "status", status: 1000 },
      { op: "end", data: "x" },
      { op: "status", status: 500 },
      { op: "end", data: "y" },
    ],
  },
  { name: "writeHead twice", ops: [{ op: "head", status: 200 }, { op: "head", status: 201 }, { op: "end" }] },
  // Header names and values.
  ...["bad name", "", "x\r\n", "é", "a:b", "(x)"].map((n): Case => ({
    name: `invalid name ${JSON.stringify(n)}`,
    ops: [{ op: "head", status: 200, headers: { ok: "1", [n]: "v" } }, { op: "head", status: 502, headers: { "content-length": "0" } }, { op: "end" }],
  })),
  ...[undefined, "a\r\nb", "a\nb", "\u0100", "\x00", "\x7f", ["ok", "a\nb"]].map((v): Case => ({
    name: `invalid value ${JSON.stringify(v) ?? "undefined"}`,
    ops: [
      { op: "head", status: 200, headers: { ok: "1", "x-v": v as string } },
      { op: "head", status: 502, headers: { "content-length": "0" } },
      { op: "end" },
    ],
  })),
  {
    name: "latin1 value, Buffer body",
    ops: [
      { op: "head", status: 200, headers: { "x-v": "caf\u00e9\t!" } },
      { op: "end", data: Buffer.from("b") },
    ],
  },
  {
    name: "latin1 value, string body (node writes the head in the body's encoding)",
    ops: [
      { op: "head", status: 200, headers: { "x-v": "caf\u00e9" } },
      { op: "end", data: "b\u00e9" },
    ],
  },
  {
    name: "latin1 value, write(string)",
    ops: [
      { op: "head", status: 200, headers: { "x-v": "caf\u00e9", "content-length": "2" } },
      { op: "write", data: "b" },
      { op: "end", data: "c" },
    ],
  },
  {
    name: "number value",
    ops: [
      { op: "head", status: 200, headers: { "content-length": 2, "x-n": 7 } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "array values",
    ops: [
      { op: "head", status: 200, headers: { "x-a": ["1", "2", "3"], "x-e": [], "x-one": ["1"] } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "set-cookie array",
    ops: [
      { op: "head", status: 200, headers: { "set-cookie": ["a=1; Path=/", "b=2"] } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "cookie array joined",
    ops: [
      { op: "head", status: 200, headers: { cookie: ["a=1", "b=2"], Cookie: ["c=3"] } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "date given",
    ops: [
      { op: "head", status: 200, headers: { date: "Thu, 01 Jan 1970 00:00:00 GMT" } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "capitalized names",
    ops: [
      { op: "head", status: 200, headers: { "Content-Length": "2", Connection: "Keep-Alive", Date: "x" } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "connection: upgrade, close",
    ops: [
      { op: "head", status: 200, headers: { connection: "upgrade, close" } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "transfer-encoding: gzip, chunked",
    ops: [{ op: "head", status: 200, headers: { "transfer-encoding": "gzip, chunked" } }, { op: "write", data: "abc" }, { op: "end" }],
  },
  { name: "transfer-encoding chunked on 204", ops: [{ op: "head", status: 204, headers: { "transfer-encoding": "chunked" } }, { op: "end" }] },
  {
    name: "content-length and transfer-encoding given",
    ops: [
      { op: "head", status: 200, headers: { "content-length": "3", "transfer-encoding": "chunked" } },
      { op: "end", data: "abc" },
    ],
  },
  {
    name: "content-disposition after content-length (latin1 re-read)",
    ops: [
      { op: "head", status: 200, headers: { "content-length": "1", "content-disposition": 'attachment; filename="\u00e9"' } },
      { op: "head", status: 502, headers: { "content-length": "0" } },
      { op: "end", data: "x" },
    ],
  },
  {
    name: "content-disposition, ascii, after content-length",
    ops: [
      { op: "head", status: 200, headers: { "content-length": "1", "content-disposition": "attachment" } },
      { op: "end", data: "x" },
    ],
  },
  {
    name: "content-disposition latin1 without content-length",
    ops: [
      { op: "head", status: 200, headers: { "content-disposition": 'attachment; filename="\u00e9"' } },
      { op: "end", data: "x" },
    ],
  },
  {
    name: "expect header in the response (head at once)",
    ops: [{ op: "head", status: 200, headers: { expect: "x" } }, { op: "tick" }, { op: "end", data: "hi" }],
  },
  {
    name: "a big header",
    ops: [
      { op: "head", status: 200, headers: { "x-big": big } },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "writeHead throws, then again (node keeps chunkedEncoding)",
    ops: [
      { op: "head", status: 200, headers: { "transfer-encoding": "chunked", "bad name": "x" } },
      { op: "head", status: 502, headers: { "content-length": "3" } },
      { op: "end", data: "bad" },
    ],
  },
  {
    name: "writeHead throws after connection: close, then again",
    ops: [
      { op: "head", status: 200, headers: { connection: "close", "x-v": "a\nb" } },
      { op: "head", status: 502, headers: { "content-length": "3" } },
      { op: "end", data: "bad" },
    ],
  },
  // Keep-alive.
  ...[0, 500, 1999, 65_000].map((t): Case => ({
    name: `keepAliveTimeout ${t}`,
    keepAliveTimeout: t,
    ops: [
      { op: "head", status: 200, headers: { "content-length": "2" } },
      { op: "end", data: "ok" },
    ],
  })),
  {
    name: "HTTP/1.0 asking TE: chunked",
    version: "1.0",
    keepAlive: true,
    reqHeaders: { te: "chunked" },
    ops: [{ op: "head", status: 200 }, { op: "write", data: "ab" }, { op: "end" }],
  },
  {
    name: "HTTP/1.0 keep-alive, content-length",
    version: "1.0",
    keepAlive: true,
    ops: [
      { op: "head", status: 200, headers: { "content-length": "2" } },
      { op: "end", data: "ok" },
    ],
  },
  // Bodies.
  { name: "utf-8 body", ops: [{ op: "end", data: "h\u00e9llo \u{1f600}" }] },
  { name: "empty Buffer end", ops: [{ op: "end", data: Buffer.alloc(0) }] },
  { name: "empty string end", ops: [{ op: "end", data: "" }] },
  { name: "write('') then end", ops: [{ op: "head", status: 200 }, { op: "write", data: "" }, { op: "tick" }, { op: "end" }] },
  {
    name: "write without head",
    ops: [
      { op: "write", data: "a" },
      { op: "end", data: "b" },
    ],
  },
  { name: "write after end", ops: [{ op: "end", data: "a" }, { op: "write", data: "b" }, { op: "end", data: "c" }, { op: "end" }] },
  {
    name: "write on HEAD",
    method: "HEAD",
    ops: [
      { op: "head", status: 200, headers: { "content-length": "10" } },
      { op: "write", data: "a" },
      { op: "end", data: "b" },
    ],
  },
  {
    name: "invalid trailer name",
    ops: [{ op: "head", status: 200 }, { op: "write", data: "a" }, { op: "trailers", trailers: { "x-ok": "1", "bad name": "v" } }, { op: "end" }],
  },
  {
    name: "invalid trailer value",
    ops: [{ op: "head", status: 200 }, { op: "write", data: "a" }, { op: "trailers", trailers: { "x-ok": "1", "x-b": "a\r\nb" } }, { op: "end" }],
  },
  {
    name: "trailers replaced",
    ops: [
      { op: "head", status: 200 },
      { op: "trailers", trailers: { a: "1" } },
      { op: "trailers", trailers: { b: "2", c: undefined } },
      { op: "end", data: "x" },
    ],
  },
  // Pipelining: written before the socket.
  {
    name: "queued: head, end(body), assign",
    queued: true,
    ops: [{ op: "head", status: 200, headers: { "content-length": "5" } }, { op: "end", data: "hello" }, { op: "tick" }, { op: "assign" }],
  },
  { name: "queued: end(body), assign at once", queued: true, ops: [{ op: "end", data: "hello" }, { op: "assign" }] },
  {
    name: "queued: chunked writes, assign",
    queued: true,
    ops: [
      { op: "head", status: 200 },
      { op: "write", data: "ab" },
      { op: "write", data: "cd" },
      { op: "tick" },
      { op: "write", data: "ef" },
      { op: "end" },
      { op: "tick" },
      { op: "assign" },
    ],
  },
  {
    name: "queued: write, assign, write, end",
    queued: true,
    ops: [{ op: "head", status: 200 }, { op: "write", data: "ab" }, { op: "tick" }, { op: "assign" }, { op: "write", data: "cd" }, { op: "end" }],
  },
  {
    name: "queued: continue, assign, head, end",
    queued: true,
    expectContinue: true,
    ops: [{ op: "continue" }, { op: "assign" }, { op: "head", status: 200, headers: { "content-length": "2" } }, { op: "end", data: "ok" }],
  },
  // destroy.
  { name: "destroy before head", ops: [{ op: "destroy" }, { op: "end", data: "x" }] },
  {
    name: "destroy after head and body",
    ops: [{ op: "head", status: 200 }, { op: "write", data: "partial" }, { op: "tick" }, { op: "destroy" }, { op: "write", data: "more" }],
  },
  { name: "destroy queued before head", queued: true, ops: [{ op: "destroy" }, { op: "tick" }, { op: "assign" }] },
  {
    name: "destroy queued after head and body",
    queued: true,
    ops: [{ op: "head", status: 200 }, { op: "write", data: "partial" }, { op: "destroy" }, { op: "tick" }, { op: "assign" }],
  },
  {
    name: "destroy after end, same tick",
    ops: [{ op: "head", status: 200, headers: { "content-length": "2" } }, { op: "end", data: "ok" }, { op: "destroy" }],
  },
  {
    name: "destroy after end(chunked), same tick",
    ops: [{ op: "head", status: 200 }, { op: "write", data: "ab" }, { op: "end", data: "cd" }, { op: "destroy" }],
  },
  { name: "destroy after finish", ops: [{ op: "end", data: "ok" }, { op: "tick" }, { op: "tick" }, { op: "destroy" }] },
  { name: "destroy queued after end", queued: true, ops: [{ op: "end", data: "ok" }, { op: "destroy" }, { op: "tick" }, { op: "assign" }] },
  { name: "destroy twice", ops: [{ op: "head", status: 200 }, { op: "destroy" }, { op: "destroy" }] },
  {
    name: "inherited header keys are not sent",
    ops: [
      { op: "head", status: 200, headers: Object.assign(Object.create({ inherited: "x" }) as Headers, { own: "y" }) },
      { op: "end", data: "ok" },
    ],
  },
  {
    name: "many headers",
    ops: [
      { op: "head", status: 200, headers: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, `v${i}`])) },
      { op: "end", data: "ok" },
    ],
  },
  // Pipelined behind a response holding the socket, handed over by its finish (srv resOnFinish).
  { name: "behind: end(body) before the first ends", behind: true, ops: [{ op: "end", data: "hello" }, { op: "tick" }, { op: "first" }] },
  { name: "behind: end(body) in the tick the first ends", behind: true, ops: [{ op: "first" }, { op: "end", data: "hello" }] },
  {
    name: "behind: head, write, first, write, end",
    behind: true,
    ops: [
      { op: "head", status: 200 },
      { op: "write", data: "ab" },
      { op: "tick" },
      { op: "first" },
      { op: "tick" },
      { op: "tick" },
      { op: "write", data: "cd" },
      { op: "end" },
    ],
  },
  {
    name: "behind: continue, first, head, end",
    behind: true,
    expectContinue: true,
    ops: [{ op: "continue" }, { op: "first" }, { op: "tick" }, { op: "head", status: 200 }, { op: "end", data: "ok" }],
  },
  {
    name: "behind: chunked writes in the tick the socket comes",
    behind: true,
    ops: [{ op: "head", status: 200 }, { op: "write", data: "ab" }, { op: "first" }, { op: "write", data: "cd" }, { op: "end", data: "ef" }],
  },
  {
    name: "behind: back-pressured while waiting, drain after the hand-over",
    behind: true,
    ops: [
      { op: "head", status: 200, headers: { "content-length": String(64 * 65536 + 1) } },
      { op: "pump", size: 65536, rounds: 1 },
      { op: "first" },
      { op: "drain" },
      { op: "end", data: "z" },
    ],
  },
  // Someone else corks the socket; the client goes away.
  {
    name: "socket corked by another",
    ops: [
      { op: "cork" },
      { op: "head", status: 200 },
      { op: "write", data: "ab" },
      { op: "write", data: "cd" },
      { op: "tick" },
      { op: "uncork" },
      { op: "end" },
    ],
  },
  {
    name: "client hangs up after the head",
    ops: [{ op: "head", status: 200 }, { op: "write", data: "ab" }, { op: "tick" }, { op: "hangup" }, { op: "write", data: "cd" }, { op: "end" }],
  },
  {
    name: "client hangs up before anything",
    ops: [{ op: "hangup" }, { op: "head", status: 200, headers: { "content-length": "2" } }, { op: "end", data: "ok" }],
  },
  // Back-pressure.
  {
    name: "back-pressure, content-length",
    ops: [{ op: "head", status: 200, headers: { "content-length": String(3 * 64 * 65536) } }, { op: "pump", size: 65536, rounds: 3 }, { op: "end" }],
  },
  { name: "back-pressure, chunked", ops: [{ op: "head", status: 200 }, { op: "pump", size: 65536, rounds: 3 }, { op: "end" }] },
  {
    name: "back-pressure, queued then assigned",
    queued: true,
    ops: [{ op: "head", status: 200 }, { op: "pump", size: 8192, rounds: 1 }, { op: "tick" }, { op: "assign" }, { op: "end" }],
  },
  {
    name: "back-pressure, queued, assigned, drain",
    queued: true,
    ops: [
      { op: "head", status: 200, headers: { "content-length": String(64 * 65536 + 1) } },
      { op: "pump", size: 65536, rounds: 1 },
      { op: "tick" },
      { op: "assign" },
      { op: "drain" },
      { op: "end", data: "z" },
    ],
  },
];

interface Diff {
  name: string;
  what: string;
  node: unknown;
  h1: unknown;
}

/** Runs the cases on both and returns the differences not allowed, and counts. */
async function differential(cases: Case[]): Promise<{ diffs: Diff[]; exact: number; chunking: number; allowedDiffs: number }> {
  const diffs: Diff[] = [];
  let exact = 0;
  let chunking = 0;
  let allowedDiffs = 0;
  for (const c of cases) {
    const [a, b] = await Promise.all([run("node", c), run("h1", c)]);
    const ok = allowed(c.name);
    if (process.env.H1RESPONSE_DUMP && c.name.includes(process.env.H1RESPONSE_DUMP))
      console.log(
        c.name,
        JSON.stringify(
          { node: { ...a, bytes: a.bytes.toString("latin1").slice(0, 600) }, h1: { ...b, bytes: b.bytes.toString("latin1").slice(0, 600) } },
          null,
          1,
        ),
      );
    let differs = false;
    // Node keeps the reason phrase of a writeHead that threw (statusMessage is set before the headers are
    // checked): its next head says "502 OK". H1Response derives it from the status it sends.
    const threwBefore = c.ops.some((o, i) => o.op === "head" && typeof a.results[i] === "object" && c.ops.slice(i + 1).some((p) => p.op === "head"));
    const aBytes = threwBefore
      ? Buffer.from(
          a.bytes.toString("latin1").replace(/^HTTP\/1\.1 (\d+) [^\r]*/m, (_, code: string) => `HTTP/1.1 ${code} ${http.STATUS_CODES[code] || "unknown"}`),
          "latin1",
        )
      : a.bytes;
    const na = normalize(aBytes.toString("latin1"));
    const nb = normalize(b.bytes.toString("latin1"));
    if (na === nb) exact++;
    else {
      const method = c.method ?? "GET";
      const pa = parse(aBytes, method);
      const pb = parse(b.bytes, method);
      const strip = (p: ReturnType<typeof parse>) => JSON.stringify({ ...p, messages: p.messages.map((m) => ({ ...m, chunks: undefined })) });
      if (strip(pa) === strip(pb)) chunking++;
      else if (ok.bytes) differs = true;
      else diffs.push({ name: c.name, what: "bytes", node: na, h1: nb });
    }
    if (JSON.stringify(collapse(a.events)) !== JSON.stringify(collapse(b.events))) {
      if (ok.events) differs = true;
      else diffs.push({ name: c.name, what: "events", node: a.events, h1: b.events });
    }
    if (JSON.stringify(a.results) !== JSON.stringify(b.results)) {
      if (ok.results) differs = true;
      else diffs.push({ name: c.name, what: "results", node: a.results, h1: b.results });
    }
    if (a.last !== b.last && !ok.last) diffs.push({ name: c.name, what: "_last", node: a.last, h1: b.last });
    if (!b.settled) diffs.push({ name: c.name, what: "H1Response never closed", node: a.settled, h1: b.settled });
    else if (a.settled !== b.settled) diffs.push({ name: c.name, what: "settled", node: a.settled, h1: b.settled });
    if (differs) allowedDiffs++;
  }
  return { diffs, exact, chunking, allowedDiffs };
}

describe(`H1Response against http.ServerResponse (Node ${process.versions.node})`, () => {
  test(`matrix: ${MATRIX.length} cases (status × method × version × keep-alive × shape)`, async () => {
    const r = await differential(MATRIX);
    console.log(
      `h1response matrix on Node ${process.versions.node}: ${MATRIX.length} cases, ${r.exact} byte-identical, ${r.chunking} same but for chunk boundaries, ${r.allowedDiffs} allowed differences, ${r.diffs.length} differences`,
    );
    expect(r.diffs).toEqual([]);
  }, 120_000);

  test(`special cases: ${SPECIAL.length}`, async () => {
    const r = await differential(SPECIAL);
    console.log(
      `h1response special cases on Node ${process.versions.node}: ${SPECIAL.length} cases, ${r.exact} byte-identical, ${r.chunking} same but for chunk boundaries, ${r.allowedDiffs} allowed differences, ${r.diffs.length} differences`,
    );
    expect(r.diffs).toEqual([]);
  }, 120_000);
});

describe("H1Response on its own", () => {
  test("the chunked writes of one tick are one chunk; each tick its own", async () => {
    const out = await run("h1", {
      name: "chunks",
      ops: [
        { op: "head", status: 200 },
        { op: "write", data: "ab" },
        { op: "write", data: "cd" },
        { op: "tick" },
        { op: "write", data: "ef" },
        { op: "end", data: "gh" },
      ],
    });
    const p = parse(out.bytes, "GET");
    expect(p.messages[0].chunks).toEqual([4, 4]);
    expect(p.messages[0].body).toBe("abcdefgh");
  });

  test("one write to the kernel for a head and a small body (at the event-loop turn's end), and for the chunked writes of a tick", async () => {
    const { socket, received } = await pair();
    const calls: string[] = [];
    const s = socket as net.Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const w = s._write.bind(s);
    const wv = s._writev.bind(s);
    s._write = (...a: unknown[]) => (calls.push("write"), w(...a));
    s._writev = (...a: unknown[]) => (calls.push(`writev ${(a[0] as unknown[]).length}`), wv(...a));
    const req = new http.IncomingMessage(socket);
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const a = new H1Response(req);
    a.on("finish", () => a.detachSocket(socket));
    a.assignSocket(socket);
    a.writeHead(200, { "content-type": "text/plain", "content-length": "5" });
    const finished = new Promise((r) => a.once("finish", r));
    a.end(Buffer.from("hello"));
    // Held to the turn's end (src/proxy/net/turnWrites.ts), then one writev.
    expect(calls).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["writev 2"]);
    await finished;
    const b = new H1Response(req);
    b.assignSocket(socket);
    b.writeHead(200);
    b.write("ab");
    b.write(Buffer.from("cd"));
    expect(calls).toEqual(["writev 2"]);
    await new Promise((r) => process.nextTick(r));
    // head + "4\r\n", "ab", "cd", "\r\n"
    expect(calls).toEqual(["writev 2", "writev 4"]);
    b.end();
    expect(calls).toEqual(["writev 2", "writev 4"]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["writev 2", "writev 4", "write"]);
    socket.end();
    expect((await received).toString()).toMatch(/\r\n\r\n4\r\nabcd\r\n0\r\n\r\n$/);
  });

  test("destroy() while queued: close on the next tick, the socket destroyed when it is handed over, nothing written", async () => {
    const { socket, received } = await pair();
    const req = new http.IncomingMessage(socket);
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const res = new H1Response(req);
    const events: string[] = [];
    res.on("close", () => events.push("close"));
    res.on("socket", () => events.push("socket"));
    res.on("finish", () => events.push("finish"));
    res.writeHead(200, { "content-type": "text/plain" });
    expect(res.write("partial")).toBe(true);
    res.destroy();
    expect(res.destroyed).toBe(true);
    expect(events).toEqual([]);
    await new Promise((r) => process.nextTick(r));
    expect(events).toEqual(["close"]);
    res.assignSocket(socket);
    expect(socket.destroyed).toBe(true);
    expect(events).toEqual(["close", "socket"]);
    expect((await received).length).toBe(0);
    await tick();
    expect(events).toEqual(["close", "socket"]);
  });

  test("close exactly once: the socket closing while it holds it", async () => {
    const { socket, received } = await pair();
    const req = new http.IncomingMessage(socket);
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const res = new H1Response(req);
    let closes = 0;
    res.on("close", () => closes++);
    res.assignSocket(socket);
    res.writeHead(200);
    res.write("x");
    socket.destroy();
    await received;
    await tick();
    res.destroy();
    await tick();
    expect(closes).toBe(1);
    expect(res.destroyed).toBe(true);
  });

  test("assignSocket on a socket already serving a response throws node's error", async () => {
    const { socket, received } = await pair();
    const req = new http.IncomingMessage(socket);
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const a = new H1Response(req);
    const b = new H1Response(req);
    a.assignSocket(socket);
    expect(() => b.assignSocket(socket)).toThrow(expect.objectContaining({ code: "ERR_HTTP_SOCKET_ASSIGNED" }));
    socket.destroy();
    await received;
  });

  test("errors look like node's (class, code, stack's first line)", () => {
    const req = new http.IncomingMessage(new net.Socket());
    req.method = "GET";
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const res = new H1Response(req);
    let e: (Error & { code?: string }) | undefined;
    try {
      res.writeHead(1000);
    } catch (x) {
      e = x as Error & { code?: string };
    }
    expect(e).toBeInstanceOf(RangeError);
    expect(e!.code).toBe("ERR_HTTP_INVALID_STATUS_CODE");
    expect(e!.name).toBe("RangeError");
    expect(e!.stack!.split("\n")[0]).toBe("RangeError [ERR_HTTP_INVALID_STATUS_CODE]: Invalid status code: 1000");
  });

  test("the members src/proxy uses exist (compile-time)", () => {
    type Used = Pick<
      H1Response,
      | "writeHead"
      | "write"
      | "end"
      | "addTrailers"
      | "destroy"
      | "headersSent"
      | "writableEnded"
      | "writableFinished"
      | "destroyed"
      | "shouldKeepAlive"
      | "writeContinue"
      | "assignSocket"
      | "detachSocket"
      | "socket"
      | "req"
      | "finished"
      | "statusCode"
      | "_headerSent"
      | "_last"
      | "_closed"
      | "_keepAliveTimeout"
      | "_expect_continue"
      | "on"
      | "once"
      | "off"
      | "emit"
    >;
    const keys: (keyof Used)[] = ["writeHead", "write", "end"];
    expect(keys.length).toBe(3);
  });
});
