/**
 * src/proxy/net/turnWrites.ts: whole messages written in one event-loop turn go out together at the turn's end
 * (the upstream request heads of H1Pool, the listeners' ended responses), so that a sleeping peer is woken once
 * per turn rather than once per message (issue 17). Each case asserts the socket is still corked, with the bytes
 * buffered, right after the write, and that everything arrives intact and in order after the turn.
 */
import net from "node:net";
import { setImmediate as turn } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { corkForTurn, flushHeld, uncorkAtTurnEnd } from "../../src/proxy/net/turnWrites.js";
import { H1Pool } from "../../src/proxy/upstream/h1pool.js";
import { closeServers, serve } from "./h1consumeSupport.js";

afterEach(closeServers);

/** A connected loopback pair: `client` (ours) and what its peer has received so far. */
async function pair(): Promise<{ client: net.Socket; received: () => string; ended: Promise<void>; close: () => void }> {
  let got = "";
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => (endedResolve = r));
  const server = net.createServer((s) => {
    s.setEncoding("latin1");
    s.on("data", (d: string) => (got += d));
    s.on("end", () => {
      endedResolve();
      s.end();
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  client.on("error", () => {});
  await new Promise<void>((r) => client.once("connect", () => r()));
  return {
    client,
    received: () => got,
    ended,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("turnWrites", () => {
  it("corkForTurn: the turn's writes of several sockets are held, each socket corked once, and go out in order at the turn's end", async () => {
    const a = await pair();
    const b = await pair();
    try {
      corkForTurn(a.client);
      a.client.write("one ");
      corkForTurn(a.client);
      a.client.write("two");
      corkForTurn(b.client);
      b.client.write("three");
      expect(a.client.writableCorked).toBe(1);
      expect(a.client.writableLength).toBe(7);
      expect(b.client.writableCorked).toBe(1);
      expect(b.client.writableLength).toBe(5);
      await turn();
      expect(a.client.writableCorked).toBe(0);
      expect(b.client.writableCorked).toBe(0);
      await until(() => a.received() === "one two" && b.received() === "three", "the held bytes");
      // The next turn holds again.
      corkForTurn(a.client);
      a.client.write("!");
      expect(a.client.writableLength).toBe(1);
      await until(() => a.received() === "one two!", "the next turn's bytes");
    } finally {
      a.close();
      b.close();
    }
  });

  it("uncorkAtTurnEnd keeps the caller's cork to the turn's end, or drops it at once when the turn already holds the socket", async () => {
    const a = await pair();
    try {
      a.client.cork();
      a.client.write("x");
      uncorkAtTurnEnd(a.client);
      expect(a.client.writableCorked).toBe(1);
      a.client.cork();
      a.client.write("y");
      uncorkAtTurnEnd(a.client);
      expect(a.client.writableCorked).toBe(1);
      expect(a.client.writableLength).toBe(2);
      await turn();
      expect(a.client.writableCorked).toBe(0);
      await until(() => a.received() === "xy", "the held bytes");
    } finally {
      a.close();
    }
  });

  it("flushHeld sends what a socket holds now and releases only this module's cork; an ended socket is uncorked by end(); a destroyed one is skipped", async () => {
    const a = await pair();
    const b = await pair();
    const c = await pair();
    try {
      corkForTurn(c.client);
      c.client.write("now");
      expect(c.client.writableCorked).toBe(1);
      flushHeld(c.client);
      expect(c.client.writableCorked).toBe(0);
      // A cork that is not this module's stays.
      c.client.cork();
      flushHeld(c.client);
      expect(c.client.writableCorked).toBe(1);
      c.client.uncork();
      await until(() => c.received() === "now", "the flushed bytes");
      // Writable.end uncorks at once: the turn's end then finds nothing to release.
      corkForTurn(a.client);
      a.client.write("last words");
      a.client.end();
      expect(a.client.writableCorked).toBe(0);
      corkForTurn(b.client);
      b.client.write("lost");
      b.client.destroy();
      expect(() => flushHeld(b.client)).not.toThrow();
      await turn();
      await a.ended;
      expect(a.received()).toBe("last words");
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });
});

describe("turnWrites in the listeners and the upstream pool", () => {
  it("an H1Server response ended by its handler stays corked for the turn, then arrives whole, before its 'finish'", async () => {
    const seen: { corked: number; buffered: number; finishedInTurn: boolean }[] = [];
    const { port } = await serve({
      request: (req, res) => {
        let finished = false;
        res.on("finish", () => (finished = true));
        res.end(`ok ${req.url}\n`);
        const s = res.socket!;
        seen.push({ corked: s.writableCorked, buffered: s.writableLength, finishedInTurn: finished });
      },
    });
    // Two pipelined requests, the second closing: everything the server sends until it closes.
    const answers = await new Promise<string>((resolve, reject) => {
      let got = "";
      const c = net.connect(port, "127.0.0.1", () => c.write("GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
      c.setEncoding("latin1");
      c.on("data", (d: string) => (got += d));
      c.on("end", () => resolve(got));
      c.on("error", reject);
    });
    expect(answers).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/a\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/b\n$/);
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.corked).toBe(1);
      expect(s.buffered).toBeGreaterThan(0);
      expect(s.finishedInTurn).toBe(false);
    }
  });

  it("H1Pool: a request head written on a connected keep-alive connection is held to the turn's end, then arrives whole", async () => {
    let got = "";
    const server = net.createServer((s) => {
      let answered = 0;
      s.setEncoding("latin1");
      s.on("data", (d: string) => {
        got += d;
        const heads = got.split("\r\n\r\n").length - 1;
        for (; answered < heads; answered++) s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      });
      s.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const pool = new H1Pool("127.0.0.1", (server.address() as net.AddressInfo).port);
    const one = (path: string) =>
      new Promise<string>((resolve, reject) => {
        let body = "";
        pool.dispatch({ origin: "http://127.0.0.1", method: "GET", path, headers: { "x-n": path } }, {
          onRequestStart() {},
          onResponseStart() {},
          onResponseData(_c: unknown, chunk: Buffer) {
            body += chunk.toString("latin1");
          },
          onResponseEnd() {
            resolve(body);
          },
          onResponseError(_c: unknown, e: Error) {
            reject(e);
          },
        } as never);
      });
    try {
      expect(await one("/first")).toBe("ok");
      await new Promise((r) => setTimeout(r, 20));
      const conns = [...(pool as unknown as { conns: Set<{ socket: net.Socket }> }).conns];
      expect(conns).toHaveLength(1);
      const socket = conns[0]!.socket;
      const second = one("/second");
      expect(socket.writableCorked).toBe(1);
      expect(socket.writableLength).toBeGreaterThan(0);
      expect(got).not.toContain("/second");
      expect(await second).toBe("ok");
      expect(socket.writableCorked).toBe(0);
      expect(got).toMatch(/^GET \/first HTTP\/1\.1\r\n[\s\S]*\r\n\r\nGET \/second HTTP\/1\.1\r\n[\s\S]*x-n: \/second\r\n\r\n$/);
    } finally {
      await pool.destroy().catch(() => {});
      server.close();
    }
  });
});
