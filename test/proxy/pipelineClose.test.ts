/**
 * HTTP/1.1 pipelining at the edges of a connection's life (src/proxy/net/listener.ts):
 * - a client that pipelines requests and goes away stops every one of them, the queued ones too: their
 *   exchanges end (the app's connections are closed), and they leave the in-flight count. On Node 20,
 *   node:http emits no `close` for a response still queued behind another (Node 24 does): the app kept
 *   serving it, and the request stayed in flight for good (`unimesh_requests_in_flight`, and every drain
 *   waited its whole timeout);
 * - a request pipelined behind one whose answer closes the connection (an `Upgrade: h2c` request, which the
 *   proxy ignores; any request while draining) is not sent to the app: its answer could never be sent.
 *   Node's parser reads on after such a request, and the app was called for nothing;
 * - bytes after a `Connection: close` request are ignored while its answer is on its way (RFC 9112 §9.6);
 *   node:http wrote a raw 400 over that answer and closed the connection, the app's answer lost;
 * - a request that does not parse, pipelined behind requests being answered, gets node's 400 after their
 *   answers, not in place of the first (which a client or a proxy in front would take for that request's).
 * Through both of the proxy's modes.
 */
import { h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeAgents, inFlight, meshConfig, rawClient, registry, startApp, startMesh, statusLines, until, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

/** The listeners serve HTTP/1.1 on ./src/proxy/net/h1server.ts (D1-D8 differ from node:http). */
// The listeners' HTTP/1.1 server: src/proxy/net/h1server.ts by default, node:http with UNIMESH_H1_SERVER=node.
const H1_LLHTTP = process.env.UNIMESH_H1_SERVER !== "node" && h1ServerSupported();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: api:8080\r\n${extra}\r\n`;

/** The status lines of the answers a raw client got. */
const statuses = statusLines;

for (const colocatedHops of ["mtls", "inline"] as const) {
  describe(`HTTP/1.1 pipelining when the connection ends (colocatedHops: ${colocatedHops})`, () => {
    let api: App, web: App, proxy: ProxyRuntime;
    /** Paths the app was asked for, and those whose connection closed before the app answered. */
    const asked: string[] = [];
    const abandoned: string[] = [];
    beforeAll(async () => {
      api = await startApp("api", (req, res) => {
        asked.push(req.url!);
        req.socket.once("close", () => {
          if (!res.writableFinished) abandoned.push(req.url!);
        });
        if (req.url!.startsWith("/broken")) {
          // A head and part of a body, then the connection is reset: the proxy breaks the answer off.
          res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
          res.write("0123456789");
          setTimeout(() => res.socket?.destroy(), 50);
          return;
        }
        setTimeout(() => res.end(`answer to ${req.url}`), req.url!.startsWith("/slow") ? 500 : 0);
      });
      web = await startApp("web");
      proxy = await startMesh(
        meshConfig(
          "",
          registry([
            { service: "api", namespace: "shop", port: api.port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await api?.close();
      await web?.close();
    });

    test("a client that pipelines two slow requests and goes away stops both; neither stays in flight", async () => {
      asked.length = 0;
      abandoned.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/slow-1") + GET("/slow-2"));
      // D3 (docs/design/h1-listener.md), UNIMESH_H1_SERVER=llhttp: one request handed on at a time, so only the
      // first reaches the app before the client goes away; the second is never sent.
      const n = H1_LLHTTP ? 1 : 2;
      expect(await until(() => asked.length === n)).toBe(true);
      expect(await inFlight(proxy, "outbound|")).toBe(n);
      c.s.destroy();
      // Both exchanges stopped: the app's connections for both requests closed before it answered.
      expect(await until(() => abandoned.length === n)).toBe(true);
      expect([...abandoned].sort()).toEqual(["/slow-1", "/slow-2"].slice(0, n));
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
      // And after the app's answers would have come, still nothing in flight.
      await sleep(600);
      expect(await inFlight(proxy, "outbound|")).toBe(0);
      expect(asked.length).toBe(n);
    });

    test("a request pipelined behind an `Upgrade: h2c` one is not sent to the app; the first is answered, then the connection closes", async () => {
      asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/slow-upgrade", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"));
      expect(await until(() => asked.length === 1)).toBe(true);
      // In another read, while the first is being answered.
      c.s.write(GET("/second"));
      expect(await until(() => c.closed())).toBe(true);
      expect(asked).toEqual(["/slow-upgrade"]);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 "]);
      expect(c.got()).toMatch(/\r\nconnection: close\r\n/i);
      expect(c.got()).toContain("answer to /slow-upgrade");
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
    });

    for (const split of [false, true])
      test(`bytes after a \`Connection: close\` request ${split ? "in a later read" : "in the same read"} are ignored: its answer is sent, then the connection closes`, async () => {
        asked.length = 0;
        const c = await rawClient(proxy.outboundPort("web", "shop"));
        const first = GET("/slow-close", "Connection: close\r\n");
        if (split) {
          c.s.write(first);
          expect(await until(() => asked.length === 1)).toBe(true);
          c.s.write(GET("/after"));
        } else c.s.write(first + GET("/after"));
        expect(await until(() => c.closed())).toBe(true);
        expect(asked).toEqual(["/slow-close"]);
        expect(statuses(c.got())).toEqual(["HTTP/1.1 200 "]);
        expect(c.got()).toContain("answer to /slow-close");
        expect(c.got()).toMatch(/\r\nconnection: close\r\n/i);
        expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
      });

    test("bytes after an HTTP/1.0 request without keep-alive are ignored the same way: its answer, then the close", async () => {
      asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write("GET /slow-10 HTTP/1.0\r\nHost: api:8080\r\n\r\n" + GET("/after-10"));
      expect(await until(() => c.closed())).toBe(true);
      expect(asked).toEqual(["/slow-10"]);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 "]);
      expect(c.got()).toContain("answer to /slow-10");
    });

    test("a request that does not parse, pipelined behind two whose answers are on their way: both answers, in order, then node's 400, then the close", async () => {
      asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/slow-a") + GET("/b") + "BAD\r\n\r\n");
      expect(await until(() => c.closed())).toBe(true);
      expect(asked).toEqual(["/slow-a", "/b"]);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 ", "HTTP/1.1 400 "]);
      expect(c.got().indexOf("answer to /slow-a")).toBeLessThan(c.got().indexOf("answer to /b"));
      expect(c.got().endsWith("answer to /bHTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")).toBe(true);
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
    });

    test("an answer broken off while queued behind another: the one before is sent whole, then the connection closes (it does not hang)", async () => {
      asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/slow-first") + GET("/broken"));
      expect(await until(() => asked.length === 2)).toBe(true);
      // Node 24+ no longer destroys the connection when a response destroyed while queued gets it (Node 20 did):
      // its buffered head went out and the connection stayed open until idleTimeoutMs, the client waiting for a
      // body that would never come.
      expect(await until(() => c.closed())).toBe(true);
      expect(c.got()).toContain("answer to /slow-first");
      expect(c.got()).not.toMatch(/0123456789[^]*HTTP\/1\.1/);
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
    });

    test("a request after a plain one on the same connection is still served (keep-alive unchanged)", async () => {
      asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/one") + GET("/two"));
      expect(await until(() => statuses(c.got()).length === 2)).toBe(true);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 200 "]);
      expect(asked).toEqual(["/one", "/two"]);
      expect(c.got().indexOf("answer to /one")).toBeLessThan(c.got().indexOf("answer to /two"));
      expect(c.closed()).toBe(false);
      c.s.destroy();
    });
  });

  describe(`HTTP/1.1 pipelining while draining (colocatedHops: ${colocatedHops})`, () => {
    let api: App, web: App, proxy: ProxyRuntime;
    const asked: string[] = [];
    beforeAll(async () => {
      api = await startApp("api", (req, res) => {
        asked.push(req.url!);
        setTimeout(() => res.end(`answer to ${req.url}`), req.url!.startsWith("/slow") ? 400 : 0);
      });
      web = await startApp("web");
      proxy = await startMesh(
        meshConfig(
          "",
          registry([
            { service: "api", namespace: "shop", port: api.port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await api?.close();
      await web?.close();
    });

    test("requests pipelined behind the first one that came during the drain are not sent to the app", async () => {
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      // A request in flight keeps the connection open when the drain starts.
      c.s.write(GET("/slow-before"));
      expect(await until(() => asked.length === 1)).toBe(true);
      const stopped = proxy.stop();
      await sleep(50);
      // Behind it: one that comes during the drain (its answer closes the connection), and one behind that.
      c.s.write(GET("/during") + GET("/behind"));
      expect(await until(() => c.closed())).toBe(true);
      await stopped;
      // "/during" is answered (in the default mode its hop to the draining inbound listener may fail: 503),
      // "/behind" never reaches the app, and the connection closes after the second answer.
      expect(asked).not.toContain("/behind");
      expect(asked[0]).toBe("/slow-before");
      expect(statuses(c.got())).toHaveLength(2);
      expect(statuses(c.got())[0]).toBe("HTTP/1.1 200 ");
      expect(c.got()).toContain("answer to /slow-before");
    });
  });
}
