/**
 * A hostile or broken app cannot answer one caller's request with bytes meant to look like the answer to
 * another's (response desynchronisation, the class of undici's GHSA-35p6-xmwp-9g52): whatever an app sends
 * behind a complete answer — in the same write, or split so that a message begins there and ends later —
 * closes its connection to the proxy (src/proxy/upstream/h1pool.ts), and the next request, from this
 * caller or another, gets its own answer on a new connection. An answer whose framing is ambiguous, or
 * whose head is over 60 KiB, fails the try (503, UC) and is never passed on. Through both of the proxy's modes.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const SMUGGLED = "HTTP/1.1 200 OK\r\ncontent-length: 8\r\nx-smuggled: 1\r\n\r\nSMUGGLED";
const answer = (body: string) => `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

for (const colocatedHops of ["mtls", "inline"] as const) {
  describe(`an app sending bytes behind its answer (colocatedHops: ${colocatedHops})`, () => {
    let web: App, proxy: ProxyRuntime, server: net.Server;
    let connections = 0;
    beforeAll(async () => {
      // Answers each request with its own path; behind the answer to /poison-whole a whole second answer in the
      // same write, behind /poison-split the start of one (its head's end and body a turn later).
      server = net.createServer((s) => {
        connections++;
        s.on("error", () => {});
        let buf = "";
        s.on("data", (d: Buffer) => {
          buf += d.toString("latin1");
          let end: number;
          while ((end = buf.indexOf("\r\n\r\n")) >= 0) {
            const path = buf.slice(0, end).split(" ")[1]!;
            buf = buf.slice(end + 4);
            if (path === "/poison-whole") s.write(answer(path) + SMUGGLED);
            else if (path === "/cl-te") s.write("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n");
            else if (path === "/two-cl") s.write("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 8\r\n\r\nSMUGGLED");
            else if (path === "/big-head") s.write(`HTTP/1.1 200 OK\r\nx-big: ${"b".repeat(61 * 1024)}\r\ncontent-length: 3\r\n\r\nbig`);
            else if (path === "/poison-split") {
              s.write(answer(path) + SMUGGLED.slice(0, 20));
              setImmediate(() => s.write(SMUGGLED.slice(20)));
            } else s.write(answer(path));
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      web = await startApp("web");
      proxy = await startMesh(
        meshConfig(
          "",
          registry([
            { service: "api", namespace: "shop", port: (server.address() as AddressInfo).port, servicePort: 8080 },
            { service: "web", namespace: "shop", port: web.port, outbound: true },
          ]),
          { colocatedHops },
        ),
      );
    });
    afterAll(async () => {
      await proxy?.stop();
      await closeAgents();
      await new Promise((r) => server.close(r));
      await web?.close();
    });

    test("every request gets its own answer, never the smuggled one; the poisoned connection is not reused", async () => {
      const port = proxy.outboundPort("web", "shop");
      const paths = ["/a", "/poison-whole", "/b", "/c", "/poison-split", "/d", "/e", "/poison-whole", "/f"];
      for (const p of paths) {
        const r = await call(port, "api:8080", p);
        expect({ path: p, status: r.status, body: r.body, smuggled: r.headers["x-smuggled"] }).toEqual({ path: p, status: 200, body: p, smuggled: undefined });
      }
      // Concurrent callers too, with poison among them.
      const many = Array.from({ length: 24 }, (_, i) => (i % 6 === 0 ? (i % 12 === 0 ? "/poison-whole" : "/poison-split") : `/m${i}`));
      const answers = await Promise.all(many.map((p) => call(port, "api:8080", p)));
      expect(answers.map((r) => r.body)).toEqual(many);
      expect(answers.every((r) => r.status === 200 && r.headers["x-smuggled"] === undefined)).toBe(true);
      // Each poisoned answer cost its connection: at least one new connection per poison in the sequence.
      expect(connections).toBeGreaterThanOrEqual(4);
    });

    test("an answer with ambiguous framing (Content-Length with Transfer-Encoding, two Content-Lengths) or a head over 60 KiB is a 503, never passed on; the next request is served", async () => {
      const port = proxy.outboundPort("web", "shop");
      for (const p of ["/cl-te", "/two-cl", "/big-head"]) {
        const r = await call(port, "api:8080", p);
        expect({ path: p, status: r.status, smuggled: r.body.includes("SMUGGLED") || r.body === "big" }).toEqual({ path: p, status: 503, smuggled: false });
        expect((await call(port, "api:8080", `/after${p}`)).body).toBe(`/after${p}`);
      }
    });
  });
}
