/**
 * Review of the HTTP/1.1 server on Node's parser (src/proxy/net/h1server.ts, src/proxy/net/h1response.ts,
 * `UNIMESH_H1_SERVER=llhttp`): each case is a defect found by reading the state machine, proven on a Listener
 * built with the variable set (as test/proxy/h1server.test.ts does), with raw sockets.
 */
import { describe, expect, test } from "vitest";
import type http from "node:http";
import { Listener, type Req, type Res } from "../../src/proxy/net/listener.js";
import { h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { DEFAULT_LIMITS } from "../../src/proxy/config/compile.js";
import { rawClient, statusLines, until } from "./support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A listener on the llhttp server (the variable set around its construction only; `node`: node:http, for parity), with its events recorded. */
async function start(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  limits: Partial<typeof DEFAULT_LIMITS> = {},
  mode: "llhttp" | "node" = "llhttp",
): Promise<{ listener: Listener; port: number; protocol: [number, string][] }> {
  const protocol: [number, string][] = [];
  const before = process.env.UNIMESH_H1_SERVER;
  if (mode === "llhttp") process.env.UNIMESH_H1_SERVER = "llhttp";
  else process.env.UNIMESH_H1_SERVER = "node";
  let listener: Listener;
  try {
    listener = new Listener("review", { ...DEFAULT_LIMITS, ...limits }, handler as (req: Req, res: Res) => void, undefined, {
      protocolError: (status, code) => protocol.push([status, code]),
    });
  } finally {
    if (before === undefined) delete process.env.UNIMESH_H1_SERVER;
    else process.env.UNIMESH_H1_SERVER = before;
  }
  const port = await listener.listen("127.0.0.1", 0);
  return { listener, port, protocol };
}

describe.skipIf(!h1ServerSupported()).each(["llhttp", "node"] as const)("h1server review (listener on %s)", (mode) => {
  test("keep-alive sweep: a request whose head began before the answer in front of it finished is not cut off keepAliveTimeout + 1 s later while it is answered", async () => {
    // keepAliveTimeout 100 ms: the sweep closes a connection idle for 1.1 s. /slow is answered after 2.5 s.
    const l = await start(
      (req, res) => {
        req.resume();
        req.on("end", () => setTimeout(() => res.end(`answer ${req.url}\n`), req.url === "/slow" ? 2500 : 0));
      },
      { keepAliveTimeoutMs: 100 },
      mode,
    );
    try {
      const c = await rawClient(l.port);
      // Pipelined: /a whole and the first bytes of /slow's head (its message begins before /a's answer).
      c.s.write("GET /a HTTP/1.1\r\nHost: api\r\n\r\nGET /slow HTTP/1.1\r\nHo");
      expect(await until(() => c.got().includes("answer /a"), 2000)).toBe(true);
      await sleep(50);
      c.s.write("st: api\r\n\r\n");
      await until(() => c.got().includes("answer /slow") || c.closed(), 5000);
      expect(c.closed()).toBe(false);
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      c.s.destroy();
    } finally {
      await l.listener.drain(100);
    }
  });

  // node:http lets the answer's header win and keeps the connection until its keep-alive timeout (`fails` there).
  (mode === "node" ? test.fails : test)(
    "a request that closes the connection (Connection: close) closes it after its answer even when the answer says keep-alive: nothing is read after it (D1), so nothing else would end it",
    async () => {
      // An explicit `connection: keep-alive` on the answer (the proxy strips hop-by-hop headers, a handler may not).
      const l = await start(
        (req, res) => {
          req.resume();
          res.writeHead(200, { connection: "keep-alive", "content-length": "3" });
          res.end("ok\n");
        },
        { keepAliveTimeoutMs: 5000 },
        mode,
      );
      try {
        const c = await rawClient(l.port);
        c.s.write("GET /close HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
        expect(await until(() => c.got().includes("ok\n"), 2000)).toBe(true);
        // Closed at once, not after keepAliveTimeout + 1 s (or never: reading stopped after this request).
        expect(await until(() => c.closed(), 1000)).toBe(true);
        c.s.destroy();
      } finally {
        await l.listener.drain(100);
      }
    },
  );

  test("keep-alive sweep: a body still arriving after its early answer (dumped, as node:http reads it on) is not cut off keepAliveTimeout + 1 s later; the request behind it is served", async () => {
    const l = await start(
      (req, res) => {
        if (req.url === "/early") {
          // Answered before its body is read: the server dumps the rest.
          res.end("early\n");
          return;
        }
        req.resume();
        req.on("end", () => res.end(`answer ${req.url}\n`));
      },
      { keepAliveTimeoutMs: 100 },
      mode,
    );
    try {
      const c = await rawClient(l.port);
      c.s.write(`POST /early HTTP/1.1\r\nHost: api\r\nContent-Length: 30000\r\n\r\n${"x".repeat(1000)}`);
      expect(await until(() => c.got().includes("early"), 2000)).toBe(true);
      // The rest of the body over 2.9 s, then a request behind it.
      for (let i = 0; i < 29 && !c.closed(); i++) {
        await sleep(100);
        c.s.write("x".repeat(1000));
      }
      c.s.write("GET /after HTTP/1.1\r\nHost: api\r\n\r\n");
      await until(() => c.got().includes("answer /after") || c.closed(), 3000);
      expect(c.closed()).toBe(false);
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      c.s.destroy();
    } finally {
      await l.listener.drain(100);
    }
  });

  // node:http: an empty line resets its keep-alive timer (the CRLF-trickle gap h1serverAttacks.test.ts marks).
  (mode === "node" ? test.fails : test)(
    "keep-alive sweep: once the dumped body of an early answer is complete, the connection is idle: empty lines do not keep it open",
    async () => {
      const l = await start((_req, res) => res.end("early\n"), { keepAliveTimeoutMs: 100 }, mode);
      try {
        const c = await rawClient(l.port);
        c.s.write(`POST /early HTTP/1.1\r\nHost: api\r\nContent-Length: 2000\r\n\r\n${"x".repeat(1000)}`);
        expect(await until(() => c.got().includes("early"), 2000)).toBe(true);
        await sleep(300);
        c.s.write("x".repeat(1000));
        const t0 = Date.now();
        // CRLF every 300 ms (each resets the socket's inactivity timer): the sweep closes it after 1.1 s idle.
        while (!c.closed() && Date.now() - t0 < 6000) {
          await sleep(300);
          c.s.write("\r\n");
        }
        expect(c.closed()).toBe(true);
        expect(Date.now() - t0).toBeLessThan(3500);
      } finally {
        await l.listener.drain(100);
      }
    },
  );

  test("D8: a body that breaks while its answer's head is only stored (writeHead, nothing written yet) gets node's 400, as in node:http mode", async () => {
    const l = await start(
      (req, res) => {
        // The head is stored at once (it goes out with the first body bytes or end()); the body is read.
        res.writeHead(200, { "content-type": "text/plain" });
        req.resume();
        req.on("end", () => res.end("done\n"));
        req.on("error", () => {});
      },
      {},
      mode,
    );
    try {
      const c = await rawClient(l.port);
      c.s.write("POST /stored HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
      await sleep(200);
      c.s.write("zz\r\n");
      await until(c.closed, 3000);
      expect(c.closed()).toBe(true);
      expect(c.got()).toBe("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      expect(l.protocol).toEqual([[400, "HPE_INVALID_CHUNK_SIZE"]]);
    } finally {
      await l.listener.drain(100);
    }
  });
});
