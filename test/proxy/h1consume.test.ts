/**
 * The HTTP/1.1 server's consumed reads (src/proxy/net/h1server.ts `H1Conn.consumed`): a plaintext connection is
 * read by the parser itself (`parser.consume(socket._handle)`, as node:http), and given back to `'data'` reads at
 * the first hold. Each case drives the server alone (H1Server on a net.Server) with raw sockets and checks both
 * what the client gets and which read path the connection is on, so that a regression in either shows.
 */
import { afterEach, describe, expect, test } from "vitest";
import type http from "node:http";
import { createHash } from "node:crypto";
import { getDefaultHighWaterMark } from "node:stream";
import { h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { rawClient, statusLines, until } from "./support.js";
import { closeServers, get, serve, sleep } from "./h1consumeSupport.js";

afterEach(closeServers);

describe.skipIf(!h1ServerSupported())("h1server: consumed reads", () => {
  test("a plaintext keep-alive connection is read by the parser itself, request after request; UNIMESH_H1_CONSUME=0 reads it through 'data' events", async () => {
    for (const env of [undefined, "0"]) {
      const { port, conns } = await serve({}, { env });
      const c = await rawClient(port);
      for (let i = 0; i < 3; i++) {
        c.s.write(get(`/r${i}`));
        await until(() => c.got().includes(`ok /r${i}\n`), 2000);
      }
      expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      expect(conns()).toHaveLength(1);
      expect(conns()[0]!.consumed, `UNIMESH_H1_CONSUME=${env}`).toBe(env === undefined);
      c.s.destroy();
    }
  });

  test("requests pipelined into a consumed connection: the parser pauses at the third waiting one and the rest of that read is kept; all answered in order, one at a time", async () => {
    let inApp = 0;
    let most = 0;
    const seen: string[] = [];
    const { port, conns } = await serve({
      request: (req, res) => {
        inApp++;
        most = Math.max(most, inApp);
        seen.push(req.url!);
        setTimeout(() => {
          inApp--;
          res.end(`ok ${req.url}\n`);
        }, 5);
      },
    });
    const c = await rawClient(port);
    c.s.write(get("/first"));
    await until(() => c.got().includes("ok /first\n"), 2000);
    expect(conns()[0]!.consumed).toBe(true);
    // One write, one read: eight requests, more than the three parsed ahead.
    const urls = Array.from({ length: 8 }, (_, i) => `/p${i}`);
    c.s.write(urls.map(get).join(""));
    await until(() => c.got().includes("ok /p7\n"), 3000);
    expect(seen).toEqual(["/first", ...urls]);
    expect(most).toBe(1);
    expect(c.got().match(/ok \/\w+\n/g)).toEqual(["ok /first\n", ...urls.map((u) => `ok ${u}\n`)]);
    // Given back to 'data' reads at the first hold, for good.
    expect(conns()[0]!.consumed).toBe(false);
    c.s.write(get("/after"));
    await until(() => c.got().includes("ok /after\n"), 2000);
    c.s.destroy();
  });

  test("a request body the app does not read yet: reading stops (the socket's pause alone would not stop a consumed parser), then every byte arrives in order", async () => {
    const size = 8 * 1024 * 1024;
    let request: http.IncomingMessage | undefined;
    let response: http.ServerResponse | undefined;
    const { port, conns } = await serve({
      request: (req, res) => {
        request = req;
        response = res;
      },
    });
    const c = await rawClient(port);
    c.s.write(get("/warm"));
    await until(() => request !== undefined, 2000);
    response!.end("ok\n");
    await until(() => c.got().includes("ok\n"), 2000);
    request = undefined;
    expect(conns()[0]!.consumed).toBe(true);
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7 + (i >> 10)) & 0xff;
    c.s.write(`POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
    c.s.write(body);
    await until(() => request !== undefined, 2000);
    // The app has not read the body: after a while the server has read a bounded part of it, not all 8 MiB.
    await sleep(300);
    const server = conns()[0]!.socket;
    expect(server.bytesRead).toBeLessThan(size / 2);
    expect(conns()[0]!.consumed).toBe(false);
    const hash = createHash("sha256");
    let got = 0;
    request!.on("data", (d: Buffer) => {
      got += d.length;
      hash.update(d);
    });
    await new Promise((r) => request!.on("end", r));
    response!.end("done\n");
    expect(got).toBe(size);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
    await until(() => c.got().includes("done\n"), 2000);
    c.s.destroy();
  });

  // Node 22+ buffers 64 KiB per stream (getDefaultHighWaterMark), more than one read can bring after a head.
  test.skipIf(getDefaultHighWaterMark(false) > 48 * 1024)(
    "a first read (handed over with the socket) whose body already fills the request's buffer: the connection is not consumed, reading stops at once",
    async () => {
      let request: http.IncomingMessage | undefined;
      const { port, conns } = await serve({ request: (req) => void (request = req) }, { sniff: true });
      const c = await rawClient(port);
      const size = 4 * 1024 * 1024;
      // Head and 60 KiB of body in one write (one read, usually), the rest after.
      const body = Buffer.alloc(size, 0x61);
      c.s.write(Buffer.concat([Buffer.from(`POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`), body.subarray(0, 60 * 1024)]));
      await until(() => request !== undefined, 2000);
      c.s.write(body.subarray(60 * 1024));
      await sleep(300);
      const conn = conns()[0]!;
      expect(request!.readableLength).toBeGreaterThanOrEqual(request!.readableHighWaterMark);
      expect(conn.consumed).toBe(false);
      // The first read, then at most one more (a stream paused while flowing reads until its buffer is full;
      // libuv reads 64 KiB at a time): consumed, the parser would have taken one more read before giving it back.
      expect(conn.socket.bytesRead).toBeLessThan(60 * 1024 + 64 * 1024 + 32 * 1024);
      c.s.destroy();
    },
  );

  test("reads refresh the inactivity timeout while consumed: a body trickling slower than nothing but faster than the timeout is served", async () => {
    const { port, conns } = await serve(
      {
        request: (req, res) => {
          let n = 0;
          req.on("data", (d: Buffer) => (n += d.length));
          req.on("end", () => res.end(`got ${n}\n`));
        },
      },
      { idleTimeoutMs: 400 },
    );
    const c = await rawClient(port);
    c.s.write("POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n");
    await until(() => conns().length === 1, 1000);
    expect(conns()[0]!.consumed).toBe(true);
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      expect(c.closed(), `closed after ${i} bytes`).toBe(false);
      c.s.write("x");
    }
    await until(() => c.got().includes("got 8\n"), 2000);
    expect(statusLines(c.got())).toEqual(["HTTP/1.1 200 "]);
    c.s.destroy();
  });

  test("a hook that throws inside a consumed read destroys that connection only (no uncaught exception); the next connection is served", async () => {
    const { port, conns } = await serve({
      head: (req) => {
        if (req.url === "/throw") throw new Error("hook failure");
        return undefined;
      },
    });
    const c = await rawClient(port);
    c.s.write(get("/fine"));
    await until(() => c.got().includes("ok /fine\n"), 2000);
    expect(conns()[0]!.consumed).toBe(true);
    c.s.write(get("/throw") + get("/never"));
    await until(c.closed, 2000);
    expect(c.closed()).toBe(true);
    expect(c.got()).not.toContain("/never");
    const d = await rawClient(port);
    d.s.write(get("/next"));
    await until(() => d.got().includes("ok /next\n"), 2000);
    d.s.destroy();
  });

  test("the client's FIN in the middle of a head on a consumed connection: node's 400 and the close, as read through 'data' events", async () => {
    for (const env of [undefined, "0"]) {
      const { port, conns, protocol } = await serve({}, { env });
      const c = await rawClient(port);
      c.s.write(get("/a"));
      await until(() => c.got().includes("ok /a\n"), 2000);
      expect(conns()[0]!.consumed).toBe(env === undefined);
      c.s.end("GET /b HTTP/1.1\r\nHost: a\r\n");
      await until(c.closed, 2000);
      expect(statusLines(c.got()), `UNIMESH_H1_CONSUME=${env}`).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 400 "]);
      expect(protocol.map(([s]) => s)).toEqual([400]);
    }
  });

  test("many consumed connections opened and closed: each is given back before its parser is closed, none left", async () => {
    const { port, h1, conns } = await serve();
    // Each connection's parser calls, in order: a consumed parser closed first would leave the handle a freed listener.
    const calls: string[][] = [];
    for (let i = 0; i < 50; i++) {
      const c = await rawClient(port);
      c.s.write(get(`/c${i}`));
      await until(() => c.got().includes(`ok /c${i}\n`), 2000);
      const conn = conns()[0] as unknown as { consumed: boolean; parser: Record<string, (...a: unknown[]) => unknown> };
      expect(conn.consumed).toBe(true);
      const seen: string[] = [];
      calls.push(seen);
      for (const m of ["unconsume", "close"]) {
        const f = conn.parser[m]!;
        conn.parser[m] = function (this: unknown, ...a: unknown[]) {
          seen.push(m);
          return f.apply(this, a);
        };
      }
      if (i % 2) c.s.destroy();
      else c.s.end();
      await until(() => h1.conns.size === 0, 2000);
    }
    expect(h1.conns.size).toBe(0);
    await sleep(20);
    expect(calls).toEqual(Array.from({ length: 50 }, () => ["unconsume", "close"]));
    // Then a new connection is still served.
    const c = await rawClient(port);
    c.s.write(get("/last"));
    await until(() => c.got().includes("ok /last\n"), 2000);
    c.s.destroy();
  });
});
