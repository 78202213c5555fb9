/**
 * Review of src/proxy/net/turnWrites.ts (5f9f7be): a response ended and held to the turn's end must not be lost
 * by a destroy of its socket in the same turn that, before the change, came after the answer had been written.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeServers, get, serve } from "./h1consumeSupport.js";

afterEach(closeServers);

/** Sends `bytes`, returns everything received until the server closes. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const c = net.connect(port, "127.0.0.1", () => c.write(bytes));
    c.setEncoding("latin1");
    c.on("data", (d: string) => (got += d));
    c.on("close", () => resolve(got));
    c.on("error", reject);
    setTimeout(() => c.destroy(), 2000).unref();
  });
}

describe("turnWrites review: held answers and destroys in the same turn", () => {
  it("an answer ended in a timer callback survives the socket's idle timer expiring in the same timers phase, and the connection stays open", async () => {
    const { port } = await serve(
      {
        request: (req, res) => {
          if (req.url !== "/slow") return void res.end(`ok ${req.url}\n`);
          // The app answers from a timer; the loop is then blocked past the connection's idle timeout, so the
          // answer's timer and the socket's idle timer both run in the next timers phase, the answer's first.
          // Unheld, the answer's write refreshed the idle timer: no timeout, the connection kept alive.
          setTimeout(() => res.end("late answer\n"), 20);
          const t = Date.now();
          while (Date.now() - t < 250);
        },
      },
      { idleTimeoutMs: 150 },
    );
    const got = await new Promise<string>((resolve, reject) => {
      let all = "";
      let second = false;
      const c = net.connect(port, "127.0.0.1", () => c.write(get("/slow")));
      c.setEncoding("latin1");
      c.on("data", (d: string) => {
        all += d;
        if (!second && all.endsWith("late answer\n")) {
          second = true;
          c.write(get("/b").replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n"));
        }
      });
      c.on("close", () => resolve(all));
      c.on("error", reject);
      setTimeout(() => c.destroy(), 2000).unref();
    });
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nlate answer\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok \/b\n$/);
  });

  it("an answer ended by a request hook that then throws still reaches the client before the connection is destroyed", async () => {
    const { port } = await serve({
      request: (_req, res) => {
        res.end("answered\n");
        throw new Error("a hook's bug after the answer");
      },
    });
    const got = await exchange(port, get("/x"));
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nanswered\n$/);
  });

  it("the raw 400 of a pipelined bad request, after an answer whose end() wrote nothing (its 'finish' on the next tick), is not lost", async () => {
    const { port, protocol } = await serve({
      request: (_req, res) => {
        // The body written in one turn, end() with nothing left in a later one: 'finish' comes on the next tick,
        // while the socket is still corked for the turn's end.
        res.writeHead(200, { "content-length": "3" });
        res.write("ok\n");
        setTimeout(() => res.end(), 20);
      },
    });
    const got = await exchange(port, get("/a") + "BAD\x01 / HTTP/1.1\r\n\r\n");
    expect(protocol).toHaveLength(1);
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok\nHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n\r\n$/);
  });
});
