/**
 * The hop protocol's client (src/proxy/upstream/hopClient.ts) against servers it meets: a server that
 * does not choose `unimesh-hop/1` by ALPN (an older proxy, `hopProtocol: http`) gets the requests over
 * HTTP through the fallback dispatcher; a server presenting another identity is refused (secure
 * naming); and a mesh whose inbound listeners close idle hop connections quickly (GOAWAY) serves
 * requests that keep arriving across those closes without a failure.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import https from "node:https";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Pool, type Dispatcher } from "undici";
import { CertificateAuthority } from "../../src/proxy/identity/ca.js";
import { CertStore } from "../../src/proxy/identity/certs.js";
import { HopClient } from "../../src/proxy/upstream/hopClient.js";
import { classifyError, failureReply } from "../../src/proxy/upstream/exchange.js";
import { call, closeAgents, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

/** A hop-protocol frame as raw bytes (src/proxy/net/hop.ts frame table), for servers written by hand. */
function frame(type: number, flags: number, id: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(10);
  h[0] = type;
  h[1] = flags;
  h.writeUInt32BE(id, 2);
  h.writeUInt32BE(p.length, 6);
  return Buffer.concat([h, p]);
}

/** One request through a dispatcher with undici's handler API (as upstream/exchange.ts uses it). */
function dispatch(d: { dispatch: Dispatcher["dispatch"] }, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    d.dispatch(
      { method: "GET", path, headers: { host: "orders" }, origin: "https://orders" },
      {
        onRequestStart: () => {},
        onResponseStart: (_c, s) => {
          status = s;
        },
        onResponseData: (_c, chunk) => {
          chunks.push(chunk);
        },
        onResponseEnd: () => resolve({ status, body: Buffer.concat(chunks).toString() }),
        onResponseError: (_c, e) => reject(e),
      },
    );
  });
}

describe("hop client", () => {
  let store: CertStore;
  let server: https.Server;
  let port = 0;
  const seen: string[] = [];
  beforeAll(async () => {
    const ca = await CertificateAuthority.create("cluster.local");
    store = new CertStore(ca, 3600_000);
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    // An HTTPS server with client certificates that offers only HTTP/1.1 by ALPN.
    server = https.createServer(
      { key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ["http/1.1"] },
      (req, res) => {
        seen.push(req.url!);
        res.end(`http/${req.httpVersion} ${req.url}`);
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    store?.close();
  });

  test("a server that does not choose the hop protocol gets the request over HTTP (the fallback), and the next ones too", async () => {
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const pool = new Pool(`https://127.0.0.1:${port}`, { connect: { secureContext: cert.secureContext, checkServerIdentity: () => undefined } as never });
    let fallbacks = 0;
    const client = new HopClient({ address: "127.0.0.1", port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/orders" }, () => {
      fallbacks++;
      return pool;
    });
    for (const path of ["/one", "/two"]) expect(await dispatch(client, path)).toEqual({ status: 200, body: `http/1.1 ${path}` });
    expect(fallbacks).toBe(2);
    expect(seen).toEqual(["/one", "/two"]);
    await client.close();
    await pool.close();
  });

  test("a response's DATA must match its content-length: bytes past it never reach the caller (they would be its next response)", async () => {
    const ca = store.ca;
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    const head = (status: number, h: Record<string, string>) => JSON.stringify({ s: status, h });
    // A hostile hop server holding the destination's identity: answers by path.
    const evil = tls.createServer({ key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, ALPNProtocols: ["unimesh-hop/1"] }, (s) => {
      s.on("error", () => {});
      s.write(frame(0, 0, 0, JSON.stringify({ maxStreams: 10, keepAliveMs: 60_000 })));
      let buf = Buffer.alloc(0);
      s.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 10 && buf.length >= 10 + buf.readUInt32BE(6)) {
          const [type, id, len] = [buf[0], buf.readUInt32BE(2), buf.readUInt32BE(6)];
          const payload = buf.subarray(10, 10 + len);
          buf = buf.subarray(10 + len);
          if (type !== 1) continue;
          const p = (JSON.parse(payload.toString()) as { p: string }).p;
          const out =
            p === "/over"
              ? [
                  frame(3, 0, id, head(200, { "content-length": "2" })),
                  frame(2, 0, id, "okHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nINJECTED"),
                  frame(4, 0, id),
                ]
              : p === "/short"
                ? [frame(3, 0, id, head(200, { "content-length": "10" })), frame(2, 0, id, "abc"), frame(4, 0, id)]
                : p === "/announced"
                  ? [frame(3, 1, id, head(200, { "content-length": "5" }))]
                  : p === "/no-content"
                    ? [frame(3, 0, id, head(204, {})), frame(2, 0, id, "x"), frame(4, 0, id)]
                    : p === "/head"
                      ? [frame(3, 1, id, head(200, { "content-length": "99" }))]
                      : [frame(3, 0, id, head(200, { "content-length": "4" })), frame(2, 0, id, "fi"), frame(2, 0, id, "ne"), frame(4, 0, id)];
          s.write(Buffer.concat(out));
        }
      });
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient(
      { address: "127.0.0.1", port: (evil.address() as AddressInfo).port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/orders" },
      () => {
        throw new Error("no fallback expected");
      },
    );
    const run = (path: string, method = "GET") =>
      new Promise<{ outcome: string; body: string }>((resolve) => {
        const chunks: Buffer[] = [];
        let status = 0;
        client.dispatch(
          { method, path, headers: { host: "orders" }, origin: "https://orders" },
          {
            onRequestStart: () => {},
            onResponseStart: (_c, s) => {
              status = s;
            },
            onResponseData: (_c, chunk) => {
              chunks.push(chunk);
            },
            onResponseEnd: () => resolve({ outcome: `end ${status}`, body: Buffer.concat(chunks).toString() }),
            onResponseError: (_c, e) => resolve({ outcome: `error ${e.message}`, body: Buffer.concat(chunks).toString() }),
          },
        );
      });
    try {
      const over = await run("/over");
      expect(over.outcome).toMatch(/error .*past the response's content-length/);
      expect(over.body).not.toContain("INJECTED");
      expect((await run("/short")).outcome).toMatch(/error .*shorter than its content-length/);
      expect((await run("/announced")).outcome).toMatch(/error .*without the body its content-length announces/);
      expect((await run("/no-content")).outcome).toMatch(/error .*past the response's content-length/);
      // HEAD: the content-length describes the body a GET would get; none follows.
      expect(await run("/head", "HEAD")).toEqual({ outcome: "end 200", body: "" });
      expect(await run("/fine")).toEqual({ outcome: "end 200", body: "fine" });
    } finally {
      await client.destroy();
      evil.close();
    }
  });

  test("a server's SETTINGS cannot overflow the keep-alive timer, and a connection whose stream ids ran out takes no new stream", async () => {
    const ca = store.ca;
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    let connections = 0;
    let closed = 0;
    // A server asking for a keep-alive of 1e400 ms (JSON's Infinity); it answers every stream with 200 "ok".
    const server = tls.createServer({ key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, ALPNProtocols: ["unimesh-hop/1"] }, (s) => {
      connections++;
      s.on("error", () => {});
      s.on("close", () => closed++);
      s.write(frame(0, 0, 0, '{"maxStreams":10,"keepAliveMs":1e400}'));
      let buf = Buffer.alloc(0);
      s.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 10 && buf.length >= 10 + buf.readUInt32BE(6)) {
          const [type, id, len] = [buf[0], buf.readUInt32BE(2), buf.readUInt32BE(6)];
          buf = buf.subarray(10 + len);
          if (type === 1)
            s.write(Buffer.concat([frame(3, 0, id, JSON.stringify({ s: 200, h: { "content-length": "2" } })), frame(2, 0, id, "ok"), frame(4, 0, id, "")]));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient(
      { address: "127.0.0.1", port: (server.address() as AddressInfo).port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/orders" },
      () => {
        throw new Error("no fallback expected");
      },
    );
    try {
      expect(await dispatch(client, "/one")).toEqual({ status: 200, body: "ok" });
      await new Promise((r) => setTimeout(r, 300));
      // The idle connection stays (a day's keep-alive at most, not Node's 1 ms for an overflowing timer).
      expect(closed).toBe(0);
      expect(warnings).not.toContain("TimeoutOverflowWarning");
      // Stream ids are 31 bits: the connection that hands out the last one takes no stream after it.
      (client as unknown as { conns: { nextId: number }[] }).conns[0].nextId = 0x7fffffff;
      expect(await dispatch(client, "/last-id")).toEqual({ status: 200, body: "ok" });
      expect(await dispatch(client, "/next")).toEqual({ status: 200, body: "ok" });
      expect(connections).toBe(2);
    } finally {
      process.off("warning", onWarning);
      await client.destroy();
      server.close();
    }
  });

  test("a server that chooses the hop protocol but never sends SETTINGS fails the request after the connect timeout", async () => {
    const ca = store.ca;
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    const mute = tls.createServer({ key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, ALPNProtocols: ["unimesh-hop/1"] }, (s) =>
      s.on("error", () => {}),
    );
    await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient(
      {
        address: "127.0.0.1",
        port: (mute.address() as AddressInfo).port,
        cert,
        expectServer: "spiffe://cluster.local/ns/shop/sa/orders",
        connectTimeoutMs: 300,
      },
      () => {
        throw new Error("no fallback expected");
      },
    );
    const t0 = Date.now();
    await expect(dispatch(client, "/x")).rejects.toThrow(/no hop-protocol SETTINGS/);
    expect(Date.now() - t0).toBeLessThan(5000);
    await client.destroy();
    mute.close();
  });

  test("a server that starts a frame and never completes it fails the connection's streams after frameTimeoutMs (a 503 for the caller); slow frames that complete do not", async () => {
    const ca = store.ca;
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    const closedAt: number[] = [];
    // Answers by path: /stall with the first 15 bytes of a RESPONSE frame of 100, then nothing; /trickle
    // with that frame a byte every 50 ms (never complete in time); /slow with six frames (head, four
    // bytes of body, END) each in two halves, 150 ms apart (every read ends inside a frame for 900 ms);
    // others not at all (they share the connection).
    const hostile = tls.createServer({ key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, ALPNProtocols: ["unimesh-hop/1"] }, (s) => {
      s.on("error", () => {});
      const timers: NodeJS.Timeout[] = [];
      s.on("close", () => {
        closedAt.push(Date.now());
        for (const t of timers) clearInterval(t);
      });
      s.write(frame(0, 0, 0, JSON.stringify({ maxStreams: 10, keepAliveMs: 60_000 })));
      let buf = Buffer.alloc(0);
      s.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 10 && buf.length >= 10 + buf.readUInt32BE(6)) {
          const [type, id, len] = [buf[0], buf.readUInt32BE(2), buf.readUInt32BE(6)];
          const payload = buf.subarray(10, 10 + len);
          buf = buf.subarray(10 + len);
          if (type !== 1) continue;
          const p = (JSON.parse(payload.toString()) as { p: string }).p;
          const big = frame(3, 0, id, JSON.stringify({ s: 200, h: { "x-pad": "p".repeat(100) } }));
          if (p === "/stall") s.write(big.subarray(0, 15));
          else if (p === "/trickle") {
            let i = 0;
            timers.push(setInterval(() => i < big.length - 1 && s.write(big.subarray(i, ++i)), 50));
          } else if (p === "/slow") {
            const frames = [
              frame(3, 0, id, JSON.stringify({ s: 200, h: { "content-length": "4" } })),
              ...[..."okok"].map((c) => frame(2, 0, id, c)),
              frame(4, 0, id),
            ];
            // Each write ends in the middle of a frame: the second half of one, the first half of the next.
            const writes: Buffer[] = frames.map((f, k) => Buffer.concat([k ? frames[k - 1].subarray(6) : Buffer.alloc(0), f.subarray(0, 6)]));
            writes.push(frames[frames.length - 1].subarray(6));
            let i = 0;
            timers.push(setInterval(() => i < writes.length && s.write(writes[i++]), 150));
          }
        }
      });
    });
    await new Promise<void>((r) => hostile.listen(0, "127.0.0.1", r));
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient(
      {
        address: "127.0.0.1",
        port: (hostile.address() as AddressInfo).port,
        cert,
        expectServer: "spiffe://cluster.local/ns/shop/sa/orders",
        frameTimeoutMs: 300,
      },
      () => {
        throw new Error("no fallback expected");
      },
    );
    /** A request's outcome: the caller's answer for an error (upstream/exchange.ts), or "hung" after 3 s. */
    const outcome = (path: string) =>
      Promise.race([
        dispatch(client, path).then(
          (r) => `${r.status} ${r.body}`,
          (e: Error & { code?: string }) => `${failureReply(classifyError(e))[0]} ${e.message}`,
        ),
        new Promise<string>((r) => setTimeout(() => r("hung"), 3000)),
      ]);
    try {
      const t0 = Date.now();
      const [stalled, neighbour] = await Promise.all([outcome("/stall"), outcome("/other")]);
      expect(stalled).toBe("503 hop protocol error from the server: a frame was not completed within 300 ms");
      expect(neighbour).toBe(stalled);
      expect(closedAt.length).toBe(1);
      expect(closedAt[0] - t0).toBeGreaterThanOrEqual(250);
      // A byte at a time does not keep a frame alive.
      expect(await outcome("/trickle")).toBe("503 hop protocol error from the server: a frame was not completed within 300 ms");
      // Every read ends inside a frame for 900 ms, three times the limit, but each frame completes within it.
      expect(await outcome("/slow")).toBe("200 okok");
      expect(closedAt.length).toBe(2);
    } finally {
      await client.destroy();
      hostile.close();
    }
  });

  test("an upload to a server that grants credit but does not read stays bounded in the caller's socket buffer", async () => {
    const ca = store.ca;
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    const sockets: tls.TLSSocket[] = [];
    // Chooses the hop protocol, sends SETTINGS and a 1 GiB window for stream 1, then stops reading.
    const greedy = tls.createServer({ key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, ALPNProtocols: ["unimesh-hop/1"] }, (s) => {
      sockets.push(s);
      s.on("error", () => {});
      const settings = Buffer.from(JSON.stringify({ maxStreams: 10, keepAliveMs: 60_000 }));
      const w = Buffer.alloc(4);
      w.writeUInt32BE(0x3fffffff);
      s.write(Buffer.concat([frame(0, 0, 0, settings), frame(6, 0, 1, w)]));
      s.pause();
    });
    await new Promise<void>((r) => greedy.listen(0, "127.0.0.1", r));
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient(
      { address: "127.0.0.1", port: (greedy.address() as AddressInfo).port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/orders" },
      () => {
        throw new Error("no fallback expected");
      },
    );
    client.dispatch(
      { method: "POST", path: "/upload", headers: { host: "orders" }, body: Buffer.alloc(64 * 1024 * 1024, "u"), origin: "https://orders" },
      { onRequestStart: () => {}, onResponseError: () => {} },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const conns = (client as unknown as { conns: { socket: tls.TLSSocket }[] }).conns;
    expect(conns.length).toBe(1);
    expect(conns[0].socket.writableLength).toBeLessThan(4 * 1024 * 1024);
    await client.destroy();
    for (const s of sockets) s.destroy();
    greedy.close();
  });

  test("a server presenting another SPIFFE ID is refused before any request is sent", async () => {
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient({ address: "127.0.0.1", port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/payments" }, () => {
      throw new Error("no fallback expected");
    });
    const before = seen.length;
    await expect(dispatch(client, "/x")).rejects.toThrow(/upstream identity spiffe:\/\/cluster.local\/ns\/shop\/sa\/orders is not the expected/);
    expect(seen.length).toBe(before);
    await client.destroy();
  });
});

describe("hop connections closed when idle (GOAWAY)", () => {
  let orders: App, web: App, proxy: ProxyRuntime;
  beforeAll(async () => {
    [orders, web] = await Promise.all([startApp("orders"), startApp("web")]);
    proxy = await startMesh(
      meshConfig(
        "",
        registry([
          { service: "orders", namespace: "shop", port: orders.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
        { hopProtocol: "multiplexed", limits: { peerKeepAliveTimeoutMs: 150 } },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await closeAgents();
    await Promise.all([orders, web].map((a) => a?.close()));
  });

  test("requests arriving around the server's idle close all succeed", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      statuses.push((await call(proxy.outboundPort("web", "shop"), "orders", `/r${i}`)).status);
      // Around the 150 ms idle timeout: before it, at it, after it.
      await new Promise((r) => setTimeout(r, 100 + (i % 4) * 25));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(orders.seen.length).toBe(24);
  });
});
