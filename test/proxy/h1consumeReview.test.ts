/**
 * Review cases for the HTTP/1.1 server's consumed reads (src/proxy/net/h1server.ts `H1Conn.consumed`), in the
 * harness of h1consume.test.ts: raw sockets against an H1Server on a net.Server.
 */
import { afterEach, describe, expect, test } from "vitest";
import { h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { rawClient, until } from "./support.js";
import { closeServers, get, serve } from "./h1consumeSupport.js";

afterEach(closeServers);

describe.skipIf(!h1ServerSupported())("h1server: consumed reads (review)", () => {
  test("a response finished inside a consumed read (a request body's chunk runs the tick queue: on_body is a top-level MakeCallback) gives the stream back mid-read: the rest of that read, kept after HPE_PAUSED, is still parsed and answered", async () => {
    let bDispatched = false;
    const { port, conns } = await serve({
      request: (req, res) => {
        if (req.url === "/b") bDispatched = true;
        if (req.url === "/slow") setTimeout(() => res.end(`ok ${req.url}\n`), 100);
        else if (req.method === "POST") {
          req.on("data", () => undefined);
          req.on("end", () => res.end(`ok ${req.url}\n`));
        } else res.end(`ok ${req.url}\n`);
      },
    });
    const c = await rawClient(port);
    c.s.write("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n");
    await until(() => bDispatched, 2000);
    expect(conns()[0]!.consumed).toBe(process.env.UNIMESH_H1_CONSUME !== "0");
    // One read: /b's body ends (its 'end', then its answer's 'finish', are ticks), /slow waits, /c's body chunk
    // runs the ticks (/b finishes, /slow is handed on, /c waits: a hold), then /d, /e (the third waiting: paused), /f, /g.
    const after = ["/d", "/e", "/f", "/g"];
    c.s.write("x" + get("/slow") + "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\ny" + after.map(get).join(""));
    await until(() => c.got().includes("ok /g\n"), 3000);
    expect(c.got().match(/ok \/\w+\n/g)).toEqual(["ok /b\n", "ok /slow\n", "ok /c\n", ...after.map((u) => `ok ${u}\n`)]);
    c.s.destroy();
  });

  test("a hook that throws after the stream was given back in the middle of a consumed read (ticks run by a body chunk): that connection is destroyed, no uncaught exception", async () => {
    let bDispatched = false;
    const { port, conns } = await serve({
      head: (req) => {
        if (req.url === "/throw") throw new Error("hook failure");
        return undefined;
      },
      request: (req, res) => {
        if (req.url === "/b") bDispatched = true;
        if (req.url === "/slow") setTimeout(() => res.end(`ok ${req.url}\n`), 100);
        else if (req.method === "POST") {
          req.on("data", () => undefined);
          req.on("end", () => res.end(`ok ${req.url}\n`));
        } else res.end(`ok ${req.url}\n`);
      },
    });
    const c = await rawClient(port);
    c.s.write("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n");
    await until(() => bDispatched, 2000);
    expect(conns()[0]!.consumed).toBe(process.env.UNIMESH_H1_CONSUME !== "0");
    c.s.write("x" + get("/slow") + "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\ny" + get("/throw") + get("/never"));
    await until(c.closed, 2000);
    expect(c.closed()).toBe(true);
    expect(c.got()).not.toContain("/never");
    const d = await rawClient(port);
    d.s.write(get("/next"));
    await until(() => d.got().includes("ok /next\n"), 2000);
    d.s.destroy();
  });
});
