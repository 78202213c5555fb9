/**
 * The hop protocol between proxies (src/proxy/net/hop.ts, `hopProtocol: multiplexed`, the default):
 * requests between a caller's outbound listener and an instance's inbound listener travel as streams
 * of one mutual-TLS connection, with the same enforcement as over HTTP (the identity is the
 * certificate's, access control, x-forwarded-client-cert, hop-by-hop headers dropped), large bodies
 * both ways under flow control, and cancellation; `hopProtocol: http` turns it off on both sides.
 * A peer holding a valid mesh certificate is still hostile input: malformed heads, header injection,
 * oversized frames, bad stream ids, window overruns, too many streams, a body that never ends — each
 * ends in a refusal or a closed connection, never in a request the app sees.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import tls from "node:tls";
import net from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, closeAgents, countAccepted, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";

const ALPN = "unimesh-hop/1";
const [SETTINGS, REQUEST, DATA, RESPONSE, END, RESET, WINDOW] = [0, 1, 2, 3, 4, 5, 6];
const END_STREAM = 1;

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: orders-callers, namespace: shop}
spec:
  destination: {service: orders}
  allow:
    - source: {serviceAccounts: [web, ops]}
  deny:
    - paths: ["/admin/*"]
`;

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** A raw hop-protocol client written from the frame table in src/proxy/net/hop.ts (not from its code). */
class RawHop {
  frames: Frame[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(readonly socket: tls.TLSSocket) {
    socket.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      while (this.buf.length >= 10) {
        const len = this.buf.readUInt32BE(6);
        if (this.buf.length < 10 + len) break;
        this.frames.push({ type: this.buf[0], flags: this.buf[1], id: this.buf.readUInt32BE(2), payload: Buffer.from(this.buf.subarray(10, 10 + len)) });
        this.buf = this.buf.subarray(10 + len);
      }
      this.wake();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  send(type: number, flags: number, id: number, payload: Buffer | string | object = Buffer.alloc(0)): void {
    const p = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
    const h = Buffer.alloc(10);
    h[0] = type;
    h[1] = flags;
    h.writeUInt32BE(id, 2);
    h.writeUInt32BE(p.length, 6);
    this.socket.write(Buffer.concat([h, p]));
  }
  /** Waits until `pred` holds (checked on every frame and on close), up to `ms`. */
  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${this.frames.map((f) => `${f.type}/${f.id}`).join(" ")}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  of(id: number): Frame[] {
    return this.frames.filter((f) => f.id === id);
  }
  /** The response on stream `id`: status, headers, body. */
  async response(id: number): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    await this.until(() => this.of(id).some((f) => f.type === END || f.type === RESET || (f.type === RESPONSE && (f.flags & END_STREAM) !== 0)) || this.closed);
    const head = this.of(id).find((f) => f.type === RESPONSE);
    if (!head)
      throw new Error(
        `no response on stream ${id}: ${this.of(id)
          .map((f) => f.type)
          .join(",")}${this.closed ? " (closed)" : ""}`,
      );
    const { s, h } = JSON.parse(head.payload.toString());
    const body = Buffer.concat(
      this.of(id)
        .filter((f) => f.type === DATA)
        .map((f) => f.payload),
    ).toString();
    return { status: s, headers: h, body };
  }
  close(): void {
    this.socket.destroy();
  }
}

describe("hop protocol", () => {
  let orders: App, web: App, proxy: ProxyRuntime, httpOnly: ProxyRuntime, slowOrders: App;
  /** An app that accepts connections and never reads them. */
  let sink: { port: number; server: net.Server };
  let dir: string;
  let slowClosedEarly = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "unimesh-hop-"));
    orders = await startApp("orders", (req, res, body) => {
      if (req.url === "/big") {
        res.setHeader("content-type", "application/octet-stream");
        res.end(Buffer.alloc(5 * 1024 * 1024, "z"));
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          length: body.length,
          sum: [...body].reduce((a, c) => (a + c.charCodeAt(0)) % 65521, 0),
        }),
      );
    });
    // Answers after 2 s, in pieces; counts requests closed before their answer.
    slowOrders = await startApp("slow", (req, res) => {
      let closed = false;
      res.on("close", () => {
        if (!res.writableFinished) {
          closed = true;
          slowClosedEarly++;
        }
      });
      res.write("begin ");
      setTimeout(() => {
        if (!closed) res.end("end");
      }, 2000);
    });
    web = await startApp("web");
    const server = net.createServer((sock) => sock.pause());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    sink = { port: (server.address() as net.AddressInfo).port, server };
    proxy = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "orders", namespace: "shop", port: orders.port },
          { service: "slow", namespace: "shop", port: slowOrders.port },
          { service: "sink", namespace: "shop", port: sink.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
        {
          hopProtocol: "multiplexed",
          colocatedHops: "mtls",
          accessLog: { enabled: true, path: join(dir, "access.log") },
          limits: { maxConcurrentStreams: 4, maxHeaderBytes: 4096, requestTimeoutMs: 1500, headersTimeoutMs: 1000 },
        },
      ),
    );
    httpOnly = await startMesh(
      meshConfig(
        POLICIES,
        registry([
          { service: "orders", namespace: "shop", port: orders.port },
          { service: "web", namespace: "shop", port: web.port, outbound: true },
        ]),
        { accessLog: { enabled: true, path: join(dir, "access-http.log") }, hopProtocol: "http", colocatedHops: "mtls" },
      ),
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await httpOnly?.stop();
    await closeAgents();
    await Promise.all([orders, web, slowOrders].map((a) => a?.close()));
    sink?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A raw hop connection to the orders instance's inbound listener with a mesh certificate of `sa`. */
  async function connect(rt = proxy, sa = "ops", port = orders.port): Promise<{ hop: RawHop; alpn: string | false }> {
    const cert = await rt.ca.issue(`spiffe://cluster.local/ns/shop/sa/${sa}`, 60_000);
    const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect(
        {
          host: "127.0.0.1",
          port: rt.inboundPort(port === orders.port ? "orders" : port === sink.port ? "sink" : "slow", "shop", port),
          cert: cert.certPem,
          key: cert.keyPem,
          ca: rt.ca.certPem,
          ALPNProtocols: [ALPN, "http/1.1"],
          checkServerIdentity: () => undefined,
        },
        () => resolve(s),
      );
      s.once("error", reject);
    });
    const hop = new RawHop(socket);
    if (socket.alpnProtocol === ALPN) await hop.until(() => hop.frames.some((f) => f.type === SETTINGS));
    return { hop, alpn: socket.alpnProtocol ?? false };
  }

  const inboundLog = (file: string) =>
    readFileSync(join(dir, file), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((e) => e.direction === "inbound");

  test("the default mode carries requests between proxies as hop-protocol streams, enforced as over HTTP", async () => {
    const a = await call(proxy.outboundPort("web", "shop"), "orders", "/hello?x=1");
    expect(a.status).toBe(200);
    const seen = JSON.parse(a.body);
    expect(seen.url).toBe("/hello?x=1");
    expect(seen.headers["x-forwarded-client-cert"]).toBe("By=spiffe://cluster.local/ns/shop/sa/orders;URI=spiffe://cluster.local/ns/shop/sa/web");
    expect((await call(proxy.outboundPort("web", "shop"), "orders", "/admin/x")).status).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    const log = inboundLog("access.log");
    expect(log.map((e) => [e.protocol, e.path, e.status])).toEqual(
      expect.arrayContaining([
        ["unimesh-hop/1", "/hello", 200],
        ["unimesh-hop/1", "/admin/x", 403],
      ]),
    );
  });

  test("hopProtocol: http — HTTP/1.1 between the proxies, and the inbound listener does not offer the hop protocol", async () => {
    const a = await call(httpOnly.outboundPort("web", "shop"), "orders", "/plain");
    expect(a.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(inboundLog("access-http.log").find((e) => e.path === "/plain")?.protocol).toBe("HTTP/1.1");
    const { hop, alpn } = await connect(httpOnly);
    expect(alpn).toBe("http/1.1");
    hop.close();
  });

  test("large bodies both ways arrive whole (several flow-control windows), and concurrent requests share connections", async () => {
    const body = "abcdefghij".repeat(300_000); // 3 MB
    const a = await call(proxy.outboundPort("web", "shop"), "orders", "/upload", { method: "POST", body });
    expect(a.status).toBe(200);
    const seen = JSON.parse(a.body);
    expect(seen.length).toBe(body.length);
    expect(seen.sum).toBe([...body].reduce((x, c) => (x + c.charCodeAt(0)) % 65521, 0));
    const big = await call(proxy.outboundPort("web", "shop"), "orders", "/big");
    expect(big.status).toBe(200);
    expect(big.body.length).toBe(5 * 1024 * 1024);
    expect(big.body.replace(/z/g, "")).toBe("");
    // 40 requests at once: over the hop protocol they share the caller's connections to the instance,
    // 4 streams each (maxConcurrentStreams); over HTTP/1.1 (the control, the `hopProtocol: http` mesh)
    // one request per connection at a time. New connections are counted where
    // the inbound listener accepts them (Node's net.server.socket diagnostics channel).
    const burst = async (rt: ProxyRuntime) => {
      const { accepted, result: all } = await countAccepted(rt.inboundPort("orders", "shop", orders.port), () =>
        Promise.all(Array.from({ length: 40 }, (_, i) => call(rt.outboundPort("web", "shop"), "orders", `/c/${i}`))),
      );
      expect(all.map((r) => JSON.parse(r.body).url)).toEqual(Array.from({ length: 40 }, (_, i) => `/c/${i}`));
      return accepted;
    };
    const hopNew = await burst(proxy);
    const httpNew = await burst(httpOnly);
    // The burst was concurrent enough to tell (HTTP needed several connections; 8 here), and the hop
    // protocol needed far fewer (1 here; 4 streams a connection): at most half.
    expect(httpNew).toBeGreaterThanOrEqual(4);
    expect(hopNew).toBeLessThanOrEqual(Math.ceil(httpNew / 2));
  });

  test("a caller that goes away cancels the stream: the app's request is closed, not answered", async () => {
    const early = slowClosedEarly;
    const ctl = new AbortController();
    const { request } = await import("undici");
    const p = request(`http://127.0.0.1:${proxy.outboundPort("web", "shop")}/slow`, { headers: { host: "slow" }, signal: ctl.signal }).then((r) =>
      r.body.text(),
    );
    setTimeout(() => ctl.abort(), 300);
    await expect(p).rejects.toThrow();
    const t0 = Date.now();
    while (slowClosedEarly === early && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
    expect(slowClosedEarly).toBe(early + 1);
  });

  describe("a hostile peer with a valid mesh certificate", () => {
    test("its identity is its certificate's: a forged x-forwarded-client-cert is replaced, access control applies", async () => {
      const { hop } = await connect(proxy, "ops");
      hop.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/who", h: { host: "orders", "x-forwarded-client-cert": "URI=spiffe://cluster.local/ns/shop/sa/web" } });
      const r = await hop.response(1);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).headers["x-forwarded-client-cert"]).toBe(
        "By=spiffe://cluster.local/ns/shop/sa/orders;URI=spiffe://cluster.local/ns/shop/sa/ops",
      );
      hop.close();
      const { hop: intruder } = await connect(proxy, "intruder");
      const before = orders.seen.length;
      intruder.send(REQUEST, END_STREAM, 1, {
        m: "GET",
        p: "/who",
        h: { host: "orders", "x-forwarded-client-cert": "URI=spiffe://cluster.local/ns/shop/sa/web" },
      });
      expect((await intruder.response(1)).status).toBe(403);
      expect(orders.seen.length).toBe(before);
      intruder.close();
    });

    test("hop-by-hop and framing headers are dropped: the app gets the body the frames carried, framed by the proxy", async () => {
      const { hop } = await connect();
      hop.send(REQUEST, 0, 1, {
        m: "POST",
        p: "/smuggle",
        h: { host: "orders", "transfer-encoding": "chunked", connection: "x-secret", "x-secret": "1", upgrade: "h2c" },
      });
      hop.send(DATA, END_STREAM, 1, "0\r\n\r\nGET /admin/x HTTP/1.1\r\n\r\n");
      const r = await hop.response(1);
      expect(r.status).toBe(200);
      const seen = JSON.parse(r.body);
      expect(seen.url).toBe("/smuggle");
      expect(seen.length).toBe("0\r\n\r\nGET /admin/x HTTP/1.1\r\n\r\n".length);
      expect(seen.headers["x-secret"]).toBeUndefined();
      expect(seen.headers.upgrade).toBeUndefined();
      expect(orders.seen.some((s) => s.url === "/admin/x")).toBe(false);
      hop.close();
    });

    const closes = async (name: string, send: (hop: RawHop) => void): Promise<void> => {
      const before = orders.seen.length;
      const { hop } = await connect();
      send(hop);
      await hop
        .until(() => hop.closed)
        .catch((e) => {
          throw new Error(`${name}: the connection stayed open: ${(e as Error).message}`);
        });
      expect(orders.seen.length, name).toBe(before);
    };

    test("malformed input closes the connection before anything reaches the app", async () => {
      await closes("CRLF in a header value", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { host: "orders", "x-a": "1\r\nx-injected: 1" } }));
      await closes("NUL in a header value", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { host: "orders", "x-a": "a\u0000b" } }));
      await closes("upper-case header name", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { Host: "orders" } }));
      await closes("header name with a colon", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { host: "orders", ":path": "/admin/x" } }));
      await closes("space in the path", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/a b", h: { host: "orders" } }));
      await closes("absolute-form path", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "http://evil/", h: { host: "orders" } }));
      await closes("method that is not a token", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET /admin/x HTTP/1.1\r\n", p: "/", h: {} }));
      await closes("head that is not JSON", (h) => h.send(REQUEST, END_STREAM, 1, "{not json"));
      await closes("head that is an array", (h) => h.send(REQUEST, END_STREAM, 1, "[1,2]"));
      await closes("non-string header value", (h) => h.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { host: { a: 1 } } }));
      await closes("even stream id", (h) => h.send(REQUEST, END_STREAM, 2, { m: "GET", p: "/", h: { host: "orders" } }));
      await closes("stream id going back", (h) => {
        // Stream 5's body never completes, so the app cannot have seen it when stream 3 closes the connection.
        h.send(REQUEST, 0, 5, { m: "POST", p: "/five", h: { host: "orders" } });
        h.send(REQUEST, END_STREAM, 3, { m: "GET", p: "/", h: { host: "orders" } });
      });
      await closes("a __proto__ header (would set the header map's prototype)", (h) =>
        h.send(REQUEST, END_STREAM, 1, '{"m":"GET","p":"/","h":{"host":"orders","__proto__":["x"]}}'),
      );
      await closes("unknown frame type", (h) => h.send(42, 0, 1));
      await closes("DATA on a stream never opened", (h) => h.send(DATA, END_STREAM, 7, "x"));
      await closes("a frame over the size limit", (h) => {
        const hdr = Buffer.alloc(10);
        hdr[0] = DATA;
        hdr.writeUInt32BE(1, 2);
        hdr.writeUInt32BE(0x7fffffff, 6);
        h.socket.write(hdr);
      });
    });

    test("DATA past the flow-control window (an app that does not read) closes the connection", async () => {
      const { hop } = await connect(proxy, "ops", sink.port);
      hop.send(REQUEST, 0, 1, { m: "POST", p: "/", h: { host: "sink" } });
      // Far more than the socket buffers to the app and one window hold, without waiting for WINDOW frames.
      const chunk = Buffer.alloc(60 * 1024, "x");
      for (let i = 0; i < 400 && !hop.closed; i++) {
        hop.send(DATA, 0, 1, chunk);
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10));
      }
      await hop.until(() => hop.closed, 10_000);
    });

    test("rapid reset: streams reset in the same read never reach the app, and a caller resetting most of its streams gets GOAWAY and is disconnected", async () => {
      const { hop } = await connect();
      const before = orders.seen.length;
      const frames: Buffer[] = [];
      const frame = (type: number, flags: number, id: number, payload: Buffer) => {
        const h = Buffer.alloc(10);
        h[0] = type;
        h[1] = flags;
        h.writeUInt32BE(id, 2);
        h.writeUInt32BE(payload.length, 6);
        frames.push(h, payload);
      };
      for (let i = 0; i < 150; i++) {
        const id = 2 * i + 1;
        frame(REQUEST, END_STREAM, id, Buffer.from(JSON.stringify({ m: "GET", p: `/rapid/${i}`, h: { host: "orders" } })));
        frame(RESET, 0, id, Buffer.from([1]));
      }
      const shed = proxy.metrics.connectionsClosed.get({ reason: "hop-premature-resets" });
      hop.socket.write(Buffer.concat(frames));
      await hop.until(() => hop.closed, 5000);
      expect(hop.frames.some((f) => f.type === 7)).toBe(true);
      expect(proxy.metrics.connectionsClosed.get({ reason: "hop-premature-resets" })).toBe(shed + 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(orders.seen.slice(before).filter((x) => x.url.startsWith("/rapid/")).length).toBeLessThan(5);
    });

    test("a frame trickled in byte by byte (slow loris) closes the connection after headersTimeoutMs", async () => {
      const { hop } = await connect();
      const before = orders.seen.length;
      const head = Buffer.from(JSON.stringify({ m: "GET", p: "/loris", h: { host: "orders" } }));
      const frame = Buffer.alloc(10 + head.length);
      frame[0] = REQUEST;
      frame[1] = END_STREAM;
      frame.writeUInt32BE(1, 2);
      frame.writeUInt32BE(head.length, 6);
      head.copy(frame, 10);
      const t0 = Date.now();
      for (let i = 0; i < frame.length - 1 && !hop.closed; i++) {
        hop.socket.write(frame.subarray(i, i + 1));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(hop.closed).toBe(true);
      expect(Date.now() - t0).toBeLessThan(4000);
      expect(orders.seen.length).toBe(before);
    });

    test("a caller whose reads keep ending inside frames while frames complete is not cut off after headersTimeoutMs", async () => {
      const { hop } = await connect();
      const frames = [1, 3, 5, 7, 9, 11, 13, 15].map((id) => {
        const head = Buffer.from(JSON.stringify({ m: "GET", p: `/split/${id}`, h: { host: "orders" } }));
        const f = Buffer.alloc(10 + head.length);
        f[0] = REQUEST;
        f[1] = END_STREAM;
        f.writeUInt32BE(id, 2);
        f.writeUInt32BE(head.length, 6);
        head.copy(f, 10);
        return f;
      });
      // Each write is the second half of one request frame and the first half of the next, 300 ms apart:
      // every read ends inside a frame for 2.4 s (headersTimeoutMs is 1 s), but no frame takes over 300 ms.
      for (let k = 0; k <= frames.length && !hop.closed; k++) {
        hop.socket.write(Buffer.concat([k ? frames[k - 1].subarray(20) : Buffer.alloc(0), k < frames.length ? frames[k].subarray(0, 20) : Buffer.alloc(0)]));
        await new Promise((r) => setTimeout(r, 300));
      }
      const answers = await Promise.all([1, 3, 5, 7, 9, 11, 13, 15].map((id) => hop.response(id)));
      expect(answers.map((a) => `${a.status} ${JSON.parse(a.body).url}`)).toEqual([1, 3, 5, 7, 9, 11, 13, 15].map((id) => `200 /split/${id}`));
      expect(hop.closed).toBe(false);
      hop.close();
    });

    test("a request head over maxHeaderBytes gets 431; it does not reach the app", async () => {
      const { hop } = await connect();
      const before = orders.seen.length;
      hop.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/", h: { host: "orders", "x-big": "a".repeat(5000) } });
      expect((await hop.response(1)).status).toBe(431);
      expect(orders.seen.length).toBe(before);
      hop.close();
    });

    test("streams beyond maxConcurrentStreams are refused (REFUSED, retriable), the others are served", async () => {
      const { hop } = await connect(proxy, "ops", slowOrders.port);
      for (let i = 0; i < 6; i++) hop.send(REQUEST, END_STREAM, 2 * i + 1, { m: "GET", p: `/s${i}`, h: { host: "slow" } });
      await hop.until(() => hop.frames.filter((f) => f.type === RESET).length >= 2);
      const resets = hop.frames.filter((f) => f.type === RESET);
      expect(resets.map((f) => f.id).sort((a, b) => a - b)).toEqual([9, 11]);
      expect(resets.every((f) => f.payload[0] === 2 && f.payload.subarray(1).toString().includes("REFUSED_STREAM"))).toBe(true);
      expect((await hop.response(1)).status).toBe(200);
      hop.close();
    });

    test("a request body that never ends is reset after requestTimeoutMs, and the app's request closed", async () => {
      const { hop } = await connect();
      hop.send(REQUEST, 0, 1, { m: "POST", p: "/never", h: { host: "orders", "content-length": "100" } });
      hop.send(DATA, 0, 1, "partial");
      await hop.until(() => hop.of(1).some((f) => f.type === RESET), 5000);
      expect(orders.seen.some((s) => s.url === "/never")).toBe(false);
      // The connection stays usable.
      hop.send(REQUEST, END_STREAM, 3, { m: "GET", p: "/after", h: { host: "orders" } });
      expect((await hop.response(3)).status).toBe(200);
      hop.close();
    });

    test("the client's WINDOW frames pace a large response: without them the server stops at one window", async () => {
      const { hop } = await connect();
      hop.send(REQUEST, END_STREAM, 1, { m: "GET", p: "/big", h: { host: "orders" } });
      await hop.until(() => hop.of(1).some((f) => f.type === DATA));
      await new Promise((r) => setTimeout(r, 500));
      const got = () =>
        hop
          .of(1)
          .filter((f) => f.type === DATA)
          .reduce((n, f) => n + f.payload.length, 0);
      expect(got()).toBe(256 * 1024);
      const w = Buffer.alloc(4);
      w.writeUInt32BE(5 * 1024 * 1024);
      hop.send(WINDOW, 0, 1, w);
      await hop.until(() => hop.of(1).some((f) => f.type === END));
      expect(got()).toBe(5 * 1024 * 1024);
      hop.close();
    });
  });
});
