/**
 * Review of the HTTP/1.1 listener's pipelining and clientError handling (224c088, a2850e0, 55abdd9, 878af83):
 * each test named R<n> shows one defect (it fails without its fix: R1a, R1b, R2, R3 on Node 20 and 26, R4 on Node 20
 * only); a test named "check" covers a case found right. Raw sockets against a real proxy, both modes.
 */
import { h1ServerSupported } from "../../src/proxy/net/h1server.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { closeAgents, inFlight, meshConfig, rawClient, registry, startMesh, statusLines, until } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

/** The listeners serve HTTP/1.1 on ./src/proxy/net/h1server.ts (D1-D8 differ from node:http). */
// The listeners' HTTP/1.1 server: src/proxy/net/h1server.ts by default, node:http with UNIMESH_H1_SERVER=node.
const H1_LLHTTP = process.env.UNIMESH_H1_SERVER !== "node" && h1ServerSupported();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The status lines of the answers a raw client got. */
const statuses = statusLines;
const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: api:8080\r\n${extra}\r\n`;
const CHUNKED = (path: string) => `POST ${path} HTTP/1.1\r\nHost: api:8080\r\nTransfer-Encoding: chunked\r\n\r\n`;

/**
 * An app: records the paths it is asked for (at the head); `/slow*` answers after 600 ms (`/vslow*` 1.5 s), `/stream*` sends its
 * head and a first part at once and the rest after 600 ms, `/early*` answers at once without reading the body;
 * every other path answers once its body is read.
 */
async function startReviewApp(): Promise<{ port: number; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url!);
    req.on("error", () => {});
    if (req.url!.startsWith("/slow") || req.url!.startsWith("/vslow")) {
      req.resume();
      setTimeout(() => res.end(`answer to ${req.url}`), req.url!.startsWith("/vslow") ? 1500 : 600);
    } else if (req.url!.startsWith("/stream")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first part\n");
      setTimeout(() => res.end("last part\n"), 600);
      req.resume();
    } else if (req.url!.startsWith("/early")) {
      res.end(`answer to ${req.url}`);
    } else {
      req.resume();
      req.on("end", () => res.end(`answer to ${req.url}`));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    asked,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

for (const colocatedHops of ["mtls", "inline"] as const) {
  describe(`listener review (colocatedHops: ${colocatedHops})`, () => {
    let api: Awaited<ReturnType<typeof startReviewApp>>, web: Awaited<ReturnType<typeof startReviewApp>>, proxy: ProxyRuntime;
    beforeAll(async () => {
      [api, web] = await Promise.all([startReviewApp(), startReviewApp()]);
      proxy = await startMesh(
        meshConfig(
          "",
          registry([
            { service: "api", namespace: "shop", port: api.port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops, limits: { headersTimeoutMs: 400 } },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await Promise.all([api, web].map((a) => a?.close()));
    });

    test("R1a: a bad chunk in the body of a request pipelined behind one still being answered: that one's answer comes first (node:http's 400 was read as its answer)", async () => {
      api.asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/slow-r1a") + CHUNKED("/r1a-body") + "zz\r\n");
      expect(await until(() => c.closed())).toBe(true);
      // /slow-r1a was complete and handed on; its answer must not be replaced by the 400 of the request behind it.
      expect(statuses(c.got())[0]).toBe("HTTP/1.1 200 ");
      expect(c.got()).toContain("answer to /slow-r1a");
      expect(await until(async () => (await inFlight(proxy, "outbound|")) === 0)).toBe(true);
    });

    test("R1b: a bad chunk in the body of a request pipelined behind an answer whose head has gone out: that answer is finished (node:http destroyed it mid-way)", async () => {
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/stream-r1b") + CHUNKED("/r1b-body") + "1\r\nx\r\n");
      expect(await until(() => c.got().includes("first part"))).toBe(true);
      c.s.write("zz\r\n");
      expect(await until(() => c.closed())).toBe(true);
      expect(c.got()).toContain("last part\n");
    });

    test("R2: a bad chunk in a body still being read after its answer was sent: no stray 400 after that answer (a client or a proxy in front reads it as the next request's answer)", async () => {
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(CHUNKED("/early-r2") + "1\r\nx\r\n");
      expect(await until(() => c.got().includes("answer to /early-r2"))).toBe(true);
      await sleep(100);
      c.s.write("zz\r\n");
      await until(() => c.closed(), 2000);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 "]);
    });

    test("R3: a request completed after its connection got a 408 (headersTimeout while an answer is on its way) is not sent to the app", async () => {
      api.asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write(GET("/vslow-r3"));
      await sleep(50);
      // Half a head, past headersTimeoutMs (400 ms; checked every 400 ms), then the rest of it.
      c.s.write("GET /r3-after-timeout HTTP/1.1\r\nHost: api:8080\r\n");
      await sleep(900);
      c.s.write("\r\n");
      expect(await until(() => c.closed())).toBe(true);
      expect(api.asked).toEqual(["/vslow-r3"]);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 200 ", "HTTP/1.1 408 "]);
    });

    test("R4: garbage behind a request answered at once (no route) and one still being answered: both answers, then the 400 (Node 20: the second answer lost)", async () => {
      api.asked.length = 0;
      const c = await rawClient(proxy.outboundPort("web", "shop"));
      c.s.write("GET /r4-nr HTTP/1.1\r\nHost: nosuch.shop\r\n\r\n" + GET("/slow-r4") + "BAD\r\n\r\n");
      expect(await until(() => c.closed())).toBe(true);
      expect(statuses(c.got())).toEqual(["HTTP/1.1 502 ", "HTTP/1.1 200 ", "HTTP/1.1 400 "]);
    });

    test("check (holds, not a defect): a peer over mTLS (HTTP/1.1 by ALPN) that pipelines two slow requests and goes away stops both; neither stays in flight", async () => {
      if (colocatedHops !== "mtls") return;
      api.asked.length = 0;
      const cert = await proxy.ca.issue("spiffe://cluster.local/ns/shop/sa/web", 60_000);
      const port = proxy.inboundPort("api", "shop", api.port);
      const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const c = tls.connect(
          {
            host: "127.0.0.1",
            port,
            cert: cert.certPem,
            key: cert.keyPem,
            ca: proxy.ca.certPem,
            ALPNProtocols: ["http/1.1"],
            checkServerIdentity: () => undefined,
          },
          () => resolve(c),
        );
        c.once("error", reject);
      });
      s.on("error", () => {});
      expect(s.alpnProtocol).toBe("http/1.1");
      const h = "Host: api\r\n";
      s.write(`GET /vslow-r5-1 HTTP/1.1\r\n${h}\r\nGET /vslow-r5-2 HTTP/1.1\r\n${h}\r\n`);
      // D3 (docs/design/h1-listener.md), UNIMESH_H1_SERVER=llhttp: one request handed on at a time, so only the
      // first reaches the app before the client goes away; the second is never sent.
      const n = H1_LLHTTP ? 1 : 2;
      expect(await until(() => api.asked.length === n)).toBe(true);
      expect(await inFlight(proxy, "inbound|shop/api/")).toBe(n);
      s.destroy();
      expect(await until(async () => (await inFlight(proxy, "inbound|shop/api/")) === 0, 1000)).toBe(true);
      expect(api.asked.length).toBe(n);
    });
  });
}
