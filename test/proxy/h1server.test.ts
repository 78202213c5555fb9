/**
 * The HTTP/1.1 server on Node's parser (src/proxy/net/h1server.ts, `UNIMESH_H1_SERVER=llhttp`): what is new
 * against node:http (docs/design/h1-listener.md §1.4, D3, D7) and what it must keep (the header object, the
 * head size limit, headers/request timeouts). Every test runs against a Listener built with the variable set
 * (the Listener reads it in its constructor), with raw sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import net from "node:net";
import { Listener, type Req, type Res } from "../../src/proxy/net/listener.js";
import { H1Server, h1MethodTable, h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { DEFAULT_LIMITS } from "../../src/proxy/config/compile.js";
import { rawClient, statusLines, until } from "./support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A listener on the llhttp server (the variable set around its construction only), with its events recorded. */
async function start(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  limits: Partial<typeof DEFAULT_LIMITS> = {},
): Promise<{ listener: Listener; port: number; refused: number[]; protocol: [number, string][] }> {
  const refused: number[] = [];
  const protocol: [number, string][] = [];
  const before = process.env.UNIMESH_H1_SERVER;
  process.env.UNIMESH_H1_SERVER = "llhttp";
  let listener: Listener;
  try {
    listener = new Listener("test", { ...DEFAULT_LIMITS, ...limits }, handler as (req: Req, res: Res) => void, undefined, {
      refused: (_req, _res, status) => refused.push(status),
      protocolError: (status, code) => protocol.push([status, code]),
    });
  } finally {
    if (before === undefined) delete process.env.UNIMESH_H1_SERVER;
    else process.env.UNIMESH_H1_SERVER = before;
  }
  const port = await listener.listen("127.0.0.1", 0);
  return { listener, port, refused, protocol };
}

/** Sends `bytes` on a new connection and collects what comes back until the server closes it (or `ms`). */
async function exchange(port: number, bytes: string, ms = 3000): Promise<{ text: string; closed: boolean }> {
  const c = await rawClient(port);
  c.s.write(bytes, "latin1");
  await until(c.closed, ms);
  c.s.destroy();
  return { text: c.got(), closed: c.closed() };
}

describe.skipIf(!h1ServerSupported())("h1server (UNIMESH_H1_SERVER=llhttp)", () => {
  test("node:http's servers (and their connection-checking timers) are built only when they serve", async () => {
    const { listener } = await start((_req, res) => res.end("ok\n"));
    const inner = listener as unknown as { http1?: http.Server; http1Peers?: http.Server; h1?: object };
    expect(inner.h1).toBeDefined();
    expect(inner.http1).toBeUndefined();
    expect(inner.http1Peers).toBeUndefined();
    await listener.drain(100);
    const before = process.env.UNIMESH_H1_SERVER;
    process.env.UNIMESH_H1_SERVER = "node";
    try {
      const node = new Listener("test", DEFAULT_LIMITS, (_req: Req, res: Res) => res.end("ok\n")) as unknown as { http1?: http.Server; h1?: object };
      expect(node.h1).toBeUndefined();
      expect(node.http1).toBeInstanceOf(http.Server);
      (node.http1 as http.Server).close();
    } finally {
      if (before === undefined) delete process.env.UNIMESH_H1_SERVER;
      else process.env.UNIMESH_H1_SERVER = before;
    }
  });

  test("the method table: llhttp's numbers to names, QUERY at 46 where _http_common.methods has none", () => {
    const table = h1MethodTable();
    expect(table[46]).toBe("QUERY");
    expect(table.includes("SOURCE")).toBe(true);
    for (const m of http.METHODS) expect(table.includes(m), m).toBe(true);
  });

  test("the header object, on the server alone (no listener refusing two Host lines): host is the first one", async () => {
    let headers: http.IncomingHttpHeaders | undefined;
    const h1 = new H1Server(
      {
        maxHeaderBytes: 16_384,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 60_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: 120_000,
        answers: new Map(),
        statusOf: () => 400,
      },
      {
        head: () => undefined,
        request: (req, res) => {
          headers = req.headers;
          res.end("ok\n");
        },
        checkContinue: () => undefined,
        checkExpectation: () => undefined,
        connect: () => undefined,
        protocolError: () => undefined,
      },
    );
    const server = net.createServer((s) => h1.serve(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const { text } = await exchange(port, "GET / HTTP/1.1\r\nHost: first\r\nhost: second\r\nConnection: close\r\n\r\n");
      expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(headers?.host).toBe("first");
    } finally {
      h1.close();
      server.close();
    }
  });

  describe("through a listener", () => {
    let l: Awaited<ReturnType<typeof start>>;
    /** What the handler saw, by URL. */
    const seen = new Map<string, { method?: string; headers: http.IncomingHttpHeaders; raw: string[]; body: string }>();
    /** The order of dispatches and finishes (`dispatch /a`, `finish /a`). */
    const log: string[] = [];
    beforeAll(async () => {
      l = await start((req, res) => {
        log.push(`dispatch ${req.url}`);
        res.on("finish", () => log.push(`finish ${req.url}`));
        let body = "";
        req.setEncoding("latin1");
        req.on("data", (d: string) => (body += d));
        req.on("end", () => {
          seen.set(req.url!, { method: req.method, headers: req.headers, raw: req.rawHeaders, body });
          const delay = req.url!.startsWith("/slow") ? 300 : 0;
          setTimeout(() => {
            log.push(`end ${req.url}`);
            res.writeHead(200, { "content-type": "text/plain" });
            res.end(req.method === "HEAD" ? undefined : `answer to ${req.method} ${req.url}\n`);
          }, delay);
        });
      });
    });
    afterAll(async () => {
      await l?.listener.drain(100);
    });

    test("every method of http.METHODS reaches the handler with its own name (QUERY, SOURCE included); CONNECT gets its 403", async () => {
      const results = await Promise.all(
        http.METHODS.map(async (m) => {
          const target = m === "CONNECT" ? "api:80" : `/method/${m}`;
          const { text } = await exchange(l.port, `${m} ${target} HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n`);
          return [m, text] as const;
        }),
      );
      for (const [m, text] of results) {
        if (m === "CONNECT") {
          expect(text, m).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[^]*x-unimesh-flag: DPE/);
          expect(seen.has("api:80")).toBe(false);
        } else {
          expect(text, m).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
          expect(seen.get(`/method/${m}`)?.method, m).toBe(m);
        }
      }
    });

    test("D3: a request pipelined behind another is handed on only once the first answer has finished", async () => {
      log.length = 0;
      const c = await rawClient(l.port);
      c.s.write("GET /slow-d3 HTTP/1.1\r\nHost: api\r\n\r\nGET /d3-second HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
      await sleep(150);
      // The first is being answered (300 ms): the second waits, not handed on.
      expect(log).toEqual(["dispatch /slow-d3"]);
      expect(await until(c.closed)).toBe(true);
      // (The server's own `finish` listener, registered before the handler's, hands the next request on.)
      expect(log).toEqual(["dispatch /slow-d3", "end /slow-d3", "dispatch /d3-second", "finish /slow-d3", "end /d3-second", "finish /d3-second"]);
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      expect(c.got()).toContain("answer to GET /d3-second");
    });

    test("D7: a CONNECT pipelined behind an answer in flight gets its 403 after that answer, then the close", async () => {
      const refused = l.refused.length;
      const { text, closed } = await exchange(
        l.port,
        "GET /slow-d7 HTTP/1.1\r\nHost: api\r\n\r\nCONNECT api:80 HTTP/1.1\r\nHost: api:80\r\n\r\nGET /after-connect HTTP/1.1\r\nHost: api\r\n\r\n",
      );
      expect(closed).toBe(true);
      expect(statusLines(text)).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 403 "]);
      expect(text.indexOf("answer to GET /slow-d7")).toBeLessThan(text.indexOf("403 Forbidden"));
      expect(text).toMatch(/CONNECT is not supported\n\r\n0\r\n\r\n$/);
      expect(l.refused.slice(refused)).toEqual([403]);
      // Nothing after the CONNECT was parsed (D1).
      expect(seen.has("/after-connect")).toBe(false);
    });

    test("D8: a request whose body breaks while it waits its turn is not handed on: the answer before it, then node's 400 in its place", async () => {
      const before = l.protocol.length;
      const { text, closed } = await exchange(
        l.port,
        "GET /slow-d8 HTTP/1.1\r\nHost: api\r\n\r\nPOST /d8-broken HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      );
      expect(closed).toBe(true);
      expect(statusLines(text)).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 400 "]);
      expect(text).toMatch(/answer to GET \/slow-d8\n\r\n0\r\n\r\nHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
      expect(log).not.toContain("dispatch /d8-broken");
      expect(l.protocol.slice(before)).toEqual([[400, "HPE_INVALID_CHUNK_SIZE"]]);
    });

    test("a refused head whose body breaks in the same read still gets its refusal (501, as node:http answered it at its head), then the close", async () => {
      const refused = l.refused.length;
      const before = l.protocol.length;
      const { text, closed } = await exchange(l.port, "POST /te-gzip HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
      expect(closed).toBe(true);
      expect(text).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n[^]*transfer coding[^]*\r\n0\r\n\r\n$/);
      expect(l.refused.slice(refused)).toEqual([501]);
      expect(l.protocol.slice(before)).toEqual([[400, "HPE_INVALID_TRANSFER_ENCODING"]]);
      expect(log).not.toContain("dispatch /te-gzip");
    });

    test("an HTTP/2 preface pipelined behind a request: that request's answer, then node's 400 (llhttp stops at PRI with HPE_PAUSED_H2_UPGRADE; no head reaches the server)", async () => {
      const before = l.protocol.length;
      const { text, closed } = await exchange(l.port, "GET /before-pri HTTP/1.1\r\nHost: api\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      expect(closed).toBe(true);
      expect(statusLines(text)).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 400 "]);
      expect(l.protocol.slice(before)).toEqual([[400, "HPE_PAUSED_H2_UPGRADE"]]);
    });

    test("the header object: first wins for single-valued fields, cookie joined '; ', set-cookie an array, others ', ', __proto__ dropped; more than 32 lines whole", async () => {
      const lines = [
        "Host: api",
        "Content-Type: text/a",
        "content-type: text/b",
        "User-Agent: first",
        "User-Agent: second",
        "Cookie: a=1",
        "cookie: b=2",
        "Set-Cookie: s=1",
        "Set-Cookie: s=2",
        "X-List: one",
        "x-list: two",
        "__proto__: polluted",
        ...Array.from({ length: 40 }, (_, i) => `X-Many-${i}: v${i}`),
        "Content-Length: 3",
        "Connection: close",
      ];
      const { text } = await exchange(l.port, `POST /headers HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\nabc`);
      expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
      const s = seen.get("/headers")!;
      expect(s.headers.host).toBe("api");
      expect(s.headers["content-type"]).toBe("text/a");
      expect(s.headers["user-agent"]).toBe("first");
      expect(s.headers.cookie).toBe("a=1; b=2");
      expect(s.headers["set-cookie"]).toEqual(["s=1", "s=2"]);
      expect(s.headers["x-list"]).toBe("one, two");
      expect(Object.hasOwn(s.headers, "__proto__")).toBe(false);
      expect(Object.getPrototypeOf(s.headers)).toBe(Object.prototype);
      expect(s.raw).toContain("__proto__");
      for (let i = 0; i < 40; i++) expect(s.headers[`x-many-${i}`]).toBe(`v${i}`);
      expect(s.raw.length).toBe(lines.length * 2);
      expect(s.body).toBe("abc");
    });

    test("a head of maxHeaderBytes - 1 counted bytes (target, names, values) is accepted; maxHeaderBytes and + 1 get node's 431", async () => {
      const max = DEFAULT_LIMITS.maxHeaderBytes;
      // llhttp's binding counts the target and the header names and values (not the method, version, ": " or CRLF)
      // and refuses once the count reaches maxHeaderSize.
      const head = (counted: number) => {
        const url = "/size";
        const fixed = url.length + "Host".length + "api".length + "X-Fill".length;
        return `GET ${url} HTTP/1.1\r\nHost: api\r\nX-Fill: ${"a".repeat(counted - fixed)}\r\nConnection: close\r\n\r\n`;
      };
      // Connection: close counts too.
      const extra = "Connection".length + "close".length;
      const ok = await exchange(l.port, head(max - 1 - extra));
      expect(ok.text).toMatch(/^HTTP\/1\.1 200 OK/);
      const before = l.protocol.length;
      for (const n of [max, max + 1]) {
        const r = await exchange(l.port, head(n - extra));
        expect(r.text).toBe("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n");
        expect(r.closed).toBe(true);
      }
      expect(l.protocol.slice(before)).toEqual([
        [431, "HPE_HEADER_OVERFLOW"],
        [431, "HPE_HEADER_OVERFLOW"],
      ]);
    });
  });

  describe("timeouts", () => {
    let l: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      l = await start(
        (req, res) => {
          req.resume();
          req.on("end", () => res.end("done\n"));
        },
        { headersTimeoutMs: 300, requestTimeoutMs: 700 },
      );
    });
    afterAll(async () => {
      await l?.listener.drain(100);
    });

    test("a head not complete within headersTimeout gets node's 408 and the close (counted), even while it trickles", async () => {
      const c = await rawClient(l.port);
      const t0 = Date.now();
      c.s.write("GET /trickle HTTP/1.1\r\nHost: api\r\n");
      const trickle = setInterval(() => c.s.writable && c.s.write("X-A: b\r\n"), 50);
      expect(await until(c.closed, 3000)).toBe(true);
      clearInterval(trickle);
      const took = Date.now() - t0;
      expect(c.got()).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
      // Up to one sweep interval (min(1000, headersTimeoutMs)) after the deadline.
      expect(took).toBeGreaterThanOrEqual(280);
      expect(took).toBeLessThan(1500);
      expect(l.protocol).toContainEqual([408, "ERR_HTTP_REQUEST_TIMEOUT"]);
    });

    test("a body not complete within requestTimeout gets node's 408 in place of its answer, and the close", async () => {
      const c = await rawClient(l.port);
      const t0 = Date.now();
      c.s.write("POST /body HTTP/1.1\r\nHost: api\r\nContent-Length: 10\r\n\r\nabc");
      expect(await until(c.closed, 3000)).toBe(true);
      const took = Date.now() - t0;
      expect(c.got()).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
      expect(took).toBeGreaterThanOrEqual(680);
      expect(took).toBeLessThan(2000);
    });

    test("a complete request is not timed out while it is answered, and the keep-alive connection stays open", async () => {
      const c = await rawClient(l.port);
      c.s.write("GET /a HTTP/1.1\r\nHost: api\r\n\r\n");
      await sleep(900);
      expect(c.got()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(c.closed()).toBe(false);
      c.s.destroy();
    });
  });

  test("a large answer to a slow reader arrives whole: the response's drain comes from the socket's (node's socketOnDrain)", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 64;
    let drains = 0;
    const l = await start((req, res) => {
      req.resume();
      res.writeHead(200, { "content-length": String(chunk.length * total) });
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) {
            res.once("drain", () => {
              drains++;
              more();
            });
            return;
          }
        }
        res.end();
      };
      more();
    });
    try {
      const c = await rawClient(l.port);
      c.s.write("GET /big HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
      // Slow: reads paused for a while, so that the server's socket fills up.
      c.s.pause();
      await sleep(200);
      c.s.resume();
      expect(await until(c.closed, 10_000)).toBe(true);
      const [, body] = c.got().split("\r\n\r\n");
      expect(body.length).toBe(chunk.length * total);
      expect(drains).toBeGreaterThan(0);
    } finally {
      await l.listener.drain(100);
    }
  });

  test("keep-alive: an idle connection closes keepAliveTimeout + 1 s after its answer; a request before that resets it to the idle timeout", async () => {
    const l = await start(
      (req, res) => {
        req.resume();
        setTimeout(() => res.end("ok\n"), req.url === "/slow" ? 1500 : 0);
      },
      { keepAliveTimeoutMs: 200 },
    );
    try {
      const c = await rawClient(l.port);
      const t0 = Date.now();
      c.s.write("GET /a HTTP/1.1\r\nHost: api\r\n\r\n");
      expect(await until(() => c.got().includes("ok\n"))).toBe(true);
      expect(c.got()).toMatch(/Keep-Alive: timeout=0\r\n/);
      // A second request 800 ms later (before 1.2 s), answered after 1.5 s: the keep-alive timer does not cut it.
      await sleep(800);
      c.s.write("GET /slow HTTP/1.1\r\nHost: api\r\n\r\n");
      expect(await until(() => statusLines(c.got()).length === 2, 3000)).toBe(true);
      expect(c.closed()).toBe(false);
      const answered = Date.now();
      expect(await until(c.closed, 3000)).toBe(true);
      const idle = Date.now() - answered;
      expect(idle).toBeGreaterThanOrEqual(1100);
      expect(idle).toBeLessThan(2000);
      expect(answered - t0).toBeGreaterThanOrEqual(2200);
    } finally {
      await l.listener.drain(100);
    }
  });

  test("Expect: 100-continue on a request waiting its turn (D3): its 100 comes after the answer before it", async () => {
    const l = await start((req, res) => {
      let body = "";
      req.setEncoding("latin1");
      req.on("data", (d: string) => (body += d));
      req.on("end", () => setTimeout(() => res.end(`${req.url}:${body}\n`), req.url === "/slow" ? 300 : 0));
    });
    try {
      const c = await rawClient(l.port);
      c.s.write("GET /slow HTTP/1.1\r\nHost: api\r\n\r\nPOST /next HTTP/1.1\r\nHost: api\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
      expect(await until(() => c.got().includes("HTTP/1.1 100 Continue"), 3000)).toBe(true);
      expect(c.got().indexOf("/slow:")).toBeGreaterThan(0);
      expect(c.got().indexOf("/slow:")).toBeLessThan(c.got().indexOf("HTTP/1.1 100 Continue"));
      c.s.write("abc");
      expect(await until(() => c.got().includes("/next:abc"))).toBe(true);
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 100 ", "HTTP/1.1 200 "]);
      c.s.destroy();
    } finally {
      await l.listener.drain(100);
    }
  });

  test("the client's FIN in the middle of a head: node's 400 (HPE_INVALID_EOF_STATE), counted; after a complete request: no answer, the close", async () => {
    const l = await start((req, res) => {
      req.resume();
      res.end("ok\n");
    });
    try {
      const a = await rawClient(l.port);
      a.s.end("GET /cut HTTP/1.1\r\nHost: a");
      expect(await until(a.closed)).toBe(true);
      expect(a.got()).toBe("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      expect(l.protocol).toEqual([[400, "HPE_INVALID_EOF_STATE"]]);
      const b = await rawClient(l.port);
      b.s.write("GET /whole HTTP/1.1\r\nHost: api\r\n\r\n");
      expect(await until(() => b.got().includes("ok\n"))).toBe(true);
      b.s.end();
      expect(await until(b.closed)).toBe(true);
      expect(l.protocol.length).toBe(1);
    } finally {
      await l.listener.drain(100);
    }
  });

  test("a handler that throws destroys its connection, not the process; the listener goes on", async () => {
    const l = await start((req, res) => {
      if (req.url === "/throw") throw new Error("handler failure");
      res.end("ok\n");
    });
    try {
      const bad = await exchange(l.port, "GET /throw HTTP/1.1\r\nHost: api\r\n\r\n");
      expect(bad.closed).toBe(true);
      expect(bad.text).toBe("");
      const ok = await exchange(l.port, "GET /fine HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
      expect(ok.text).toMatch(/^HTTP\/1\.1 200 OK[^]*ok\n$/);
    } finally {
      await l.listener.drain(100);
    }
  });

  test("drain: an idle keep-alive connection is closed at once, one being answered after its answer", async () => {
    const l = await start((req, res) => {
      req.resume();
      setTimeout(() => res.end("late\n"), 300);
    });
    const idle = await rawClient(l.port);
    idle.s.write("GET /first HTTP/1.1\r\nHost: api\r\n\r\n");
    expect(await until(() => idle.got().includes("late"))).toBe(true);
    const busy = await rawClient(l.port);
    busy.s.write("GET /busy HTTP/1.1\r\nHost: api\r\n\r\n");
    await sleep(50);
    const drained = l.listener.drain(2000);
    expect(await until(idle.closed, 1000)).toBe(true);
    expect(busy.closed()).toBe(false);
    await drained;
    expect(await until(() => busy.got().includes("late"), 1000)).toBe(true);
    expect(busy.got()).toMatch(/^HTTP\/1\.1 200 OK[^]*late\n$/);
    expect(await until(busy.closed, 1000)).toBe(true);
    // The port is free: nothing is accepted any more.
    await expect(
      new Promise((resolve, reject) => {
        const s = net.connect(l.port, "127.0.0.1", () => resolve(s));
        s.on("error", reject);
      }),
    ).rejects.toThrow();
  });
});
