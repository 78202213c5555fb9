/**
 * Bodies: large request and response bodies stream through both proxies intact (with back-pressure);
 * a body over the retry buffer is streamed once (no retry), one under it is replayed on retry.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { request } from "undici";
import net from "node:net";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: TrafficPolicy
metadata: {name: upload-retries, namespace: shop}
spec:
  destination: {service: files}
  retries: {attempts: 2, retryOn: ["503"], backoff: 1ms}
`;

const big = Buffer.alloc(5 * 1024 * 1024, "unimesh ");
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("streaming", () => {
  let files: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    files = await startApp("files", (req, res, body) => {
      if (req.url === "/download") {
        res.end(big);
        return;
      }
      // /trickle: a content-length body whose last byte comes 300 ms after the rest.
      if (req.url === "/trickle") {
        res.writeHead(200, { "content-length": "10" });
        res.write("123456789");
        setTimeout(() => res.end("0"), 300);
        return;
      }
      // A `Trailer` field announced on an answer that cannot carry trailers (a Content-Length body), and on a
      // chunked one that does carry them.
      if (req.url === "/announced-trailer") {
        // Raw: node:http's own writeHead refuses to send it.
        const body = req.method === "HEAD" ? "" : "hello";
        req.socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTrailer: x-checksum\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      if (req.url === "/chunked-trailer") {
        res.writeHead(200, { trailer: "x-checksum" });
        res.write("hel");
        res.addTrailers({ "x-checksum": "abc" });
        res.end("lo");
        return;
      }
      // The first request to /upload and to /small fails with 503.
      const first = files.seen.filter((s) => s.url === req.url).length === 1;
      if (first && (req.url === "/upload" || req.url === "/small")) {
        res.writeHead(503).end();
        return;
      }
      res.end(sha(body));
    });
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "files", namespace: "shop", port: files.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([files, web].map((a) => a?.close()));
  });
  const url = (path: string) => `http://127.0.0.1:${proxy.outboundPort("web", "shop")}${path}`;

  test("a 5 MB response arrives intact, read slowly", async () => {
    const r = await request(url("/download"), { headers: { host: "files" } });
    const chunks: Buffer[] = [];
    for await (const c of r.body) {
      chunks.push(c as Buffer);
      if (chunks.length % 20 === 0) await new Promise((x) => setTimeout(x, 5));
    }
    expect(sha(Buffer.concat(chunks))).toBe(sha(big));
  });

  test("a content-length body streams as it comes: the bytes before its last are not held back", async () => {
    const t0 = performance.now();
    const r = await request(url("/trickle"), { headers: { host: "files" } });
    expect(r.headers["content-length"]).toBe("10");
    const seen: [string, number][] = [];
    for await (const c of r.body) seen.push([(c as Buffer).toString(), performance.now() - t0]);
    expect(seen.map(([c]) => c).join("")).toBe("1234567890");
    // The first nine bytes arrive before the app sends the last one (300 ms later), which then ends it.
    expect(seen[0][0]).toBe("123456789");
    expect(seen.at(-1)![1] - seen[0][1]).toBeGreaterThanOrEqual(250);
  });

  test("HEAD of a content-length answer: its head, no body", async () => {
    const r = await request(url("/trickle"), { method: "HEAD", headers: { host: "files" } });
    expect([r.statusCode, r.headers["content-length"]]).toEqual([200, "10"]);
    expect((await r.body.arrayBuffer()).byteLength).toBe(0);
  });

  test("an upstream answer announcing a Trailer it cannot carry (Content-Length, HEAD, an HTTP/1.0 caller) is passed on without it, not broken off", async () => {
    // node:http's writeHead throws ERR_HTTP_TRAILER_INVALID for a `trailer` header on an answer that is not
    // chunked; the exchange had committed, so the caller's connection was reset for a legal answer.
    const get = await request(url("/announced-trailer"), { headers: { host: "files" } });
    expect([get.statusCode, get.headers["content-length"], get.headers.trailer, await get.body.text()]).toEqual([200, "5", undefined, "hello"]);
    const head = await request(url("/announced-trailer"), { method: "HEAD", headers: { host: "files" } });
    expect([head.statusCode, head.headers["content-length"], head.headers.trailer]).toEqual([200, "5", undefined]);
    await head.body.dump();
    // Chunked with real trailers: HTTP/1.1 gets the announcement and the trailers; HTTP/1.0 (no chunked
    // coding, the body runs to the close) gets the body without either.
    const chunked = await request(url("/chunked-trailer"), { headers: { host: "files" } });
    expect([chunked.statusCode, chunked.headers.trailer, await chunked.body.text(), chunked.trailers]).toEqual([
      200,
      "x-checksum",
      "hello",
      { "x-checksum": "abc" },
    ]);
    const raw = await new Promise<string>((resolve, reject) => {
      let text = "";
      const s = net.connect(proxy.outboundPort("web", "shop"), "127.0.0.1", () => s.write("GET /chunked-trailer HTTP/1.0\r\nHost: files\r\n\r\n"));
      s.on("data", (c: Buffer) => (text += c.toString("latin1")));
      s.on("error", reject);
      s.on("close", () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw.toLowerCase()).not.toContain("\r\ntrailer:");
    expect(raw.split("\r\n\r\n")[1]).toBe("hello");
  });

  test("a body over the retry buffer is streamed once: the 503 is not retried", async () => {
    const r = await request(url("/upload"), { method: "POST", headers: { host: "files" }, body: big });
    expect(r.statusCode).toBe(503);
    await r.body.dump();
    expect(files.seen.filter((s) => s.url === "/upload").length).toBe(1);
  });

  test("a body under the buffer is replayed on retry, intact", async () => {
    const small = "x".repeat(100_000);
    const r = await request(url("/small"), { method: "POST", headers: { host: "files" }, body: small });
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe(sha(small));
    expect(files.seen.filter((s) => s.url === "/small").map((s) => s.body.length)).toEqual([100_000, 100_000]);
  });

  test("a large upload streams through both proxies intact", async () => {
    const r = await request(url("/upload2"), { method: "PUT", headers: { host: "files" }, body: big });
    expect(await r.body.text()).toBe(sha(big));
  });
});

describe("back-pressure", () => {
  const TOTAL = 100 * 1024 * 1024;
  let app: http.Server, appPort: number, web: App, proxy: ProxyRuntime;
  let release: () => void = () => {};
  let received = 0;
  beforeAll(async () => {
    // An app that takes the upload but does not read it until released (a paused upstream).
    app = http.createServer((req, res) => {
      req.pause();
      release = () => {
        req.on("data", (c: Buffer) => {
          received += c.length;
        });
        req.on("end", () => res.end(String(received)));
        req.resume();
      };
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    appPort = (app.address() as AddressInfo).port;
    web = await startApp("web");
    proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "files", namespace: "shop", port: appPort },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await web?.close();
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
  });

  test("a paused upstream slows the client down over the default mTLS hop: a 100 MB upload is not buffered", { timeout: 60_000 }, async () => {
    const s = net.connect(proxy.outboundPort("web", "shop"), "127.0.0.1");
    await new Promise((r) => s.once("connect", r));
    let answer = "";
    s.on("data", (d) => (answer += d));
    s.write(`PUT /upload HTTP/1.1\r\nhost: files\r\ncontent-length: ${TOTAL}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 120);
    let sent = 0;
    let stop = false;
    // The client writes as fast as the connection takes it.
    const writer = (async () => {
      while (sent < TOTAL && !stop) {
        const ok = s.write(chunk);
        sent += chunk.length;
        if (!ok) await new Promise((r) => s.once("drain", r));
      }
    })();
    // Until the client is held back: no progress over a few polls.
    let last = -1;
    for (let still = 0; still < 5 && sent < TOTAL;) {
      await new Promise((r) => setTimeout(r, 100));
      still = sent === last ? still + 1 : 0;
      last = sent;
    }
    // What the client got rid of is what the kernel buffers and each hop's bounded buffers hold
    // (well under the 100 MB); the app has read nothing yet.
    expect(received).toBe(0);
    expect(sent).toBeLessThan(24 * 1024 * 1024);
    // Released, the app gets every byte.
    release();
    await writer;
    while (!answer.includes("\r\n\r\n" + String(TOTAL)) && !s.destroyed) await new Promise((r) => setTimeout(r, 50));
    stop = true;
    s.destroy();
    expect(received).toBe(TOTAL);
  });
});
