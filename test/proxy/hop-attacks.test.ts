/**
 * Attacks on the hop protocol (src/proxy/net/hop.ts) from a peer that holds a mesh certificate, with a
 * raw-frame client written from the frame table alone:
 *
 * 1. The access decision over the hop protocol is the decision over HTTP: a few hundred random requests
 *    (methods, paths with `..`, `%2e%2e`, `%2F`, `//`, `;`, `?`, `#`, case changes, trailing dots,
 *    non-ASCII, headers) get the same status, and the app sees the same request (or nothing), whether
 *    they go through a mesh with the hop protocol or one with `hopProtocol: http`; and sent as raw hop
 *    frames to an inbound listener, they get what HTTP over mutual TLS gets there for the same identity.
 * 2. Protocol abuse against an inbound listener (split frames, frames on closed or unknown streams,
 *    window abuse, floods of frames and headers, held streams, idle connections, TLS without a client
 *    certificate or with another CA's) ends in a refusal, a closed connection or a bounded cost, and
 *    other peers are still served.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import tls from "node:tls";
import net from "node:net";
import http2 from "node:http2";
import type http from "node:http";
import { CertificateAuthority } from "../../src/proxy/identity/ca.js";
import { CertStore } from "../../src/proxy/identity/certs.js";
import { HopClient } from "../../src/proxy/upstream/hopClient.js";
import { closeAgents, many, meshConfig, registry, startApp, startMesh, type App } from "./support.js";
import type { ProxyRuntime } from "../../src/proxy/runtime.js";
import { prng } from "../support/prng.js";

// The frame table of the hop protocol: type u8, flags u8, stream u32 BE, length u32 BE, payload.
const ALPN = "unimesh-hop/1";
const F = { SETTINGS: 0, REQUEST: 1, DATA: 2, RESPONSE: 3, END: 4, RESET: 5, WINDOW: 6, GOAWAY: 7 } as const;
const END_STREAM = 1;
const WINDOW = 256 * 1024;

interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

function encode(type: number, flags: number, id: number, payload: Buffer | string | object = Buffer.alloc(0)): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
  const h = Buffer.alloc(10);
  h.writeUInt8(type, 0);
  h.writeUInt8(flags, 1);
  h.writeUInt32BE(id, 2);
  h.writeUInt32BE(p.length, 6);
  return Buffer.concat([h, p]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hop-protocol peer: frames in, frames out, and the TLS socket underneath. */
class Peer {
  readonly frames: Frame[] = [];
  closed = false;
  /** DATA bytes received per stream. */
  readonly got = new Map<number, number>();
  private buf: Buffer = Buffer.alloc(0);
  constructor(readonly socket: tls.TLSSocket) {
    socket.on("data", (c: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
      while (this.buf.length >= 10) {
        const len = this.buf.readUInt32BE(6);
        if (this.buf.length < 10 + len) break;
        const f = { type: this.buf[0], flags: this.buf[1], id: this.buf.readUInt32BE(2), payload: Buffer.from(this.buf.subarray(10, 10 + len)) };
        this.buf = this.buf.subarray(10 + len);
        if (f.type === F.DATA) this.got.set(f.id, (this.got.get(f.id) ?? 0) + f.payload.length);
        this.frames.push(f);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => (this.closed = true));
  }
  send(type: number, flags: number, id: number, payload?: Buffer | string | object): void {
    if (!this.socket.destroyed) this.socket.write(encode(type, flags, id, payload));
  }
  request(id: number, m: string, p: string, h: Record<string, string | string[]>, end = true): void {
    this.send(F.REQUEST, end ? END_STREAM : 0, id, { m, p, h });
  }
  async until(pred: () => boolean, ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) return false;
      await sleep(10);
    }
    return true;
  }
  of(id: number): Frame[] {
    return this.frames.filter((f) => f.id === id);
  }
  /** The outcome of stream `id`: its status, or "reset"/"closed". */
  async outcome(id: number, ms = 5000): Promise<{ status: number | "reset" | "closed"; body: string }> {
    const complete = () => this.of(id).some((f) => f.type === F.END || f.type === F.RESET || (f.type === F.RESPONSE && (f.flags & END_STREAM) !== 0));
    await this.until(() => complete() || this.closed, ms);
    const head = this.of(id).find((f) => f.type === F.RESPONSE);
    if (!complete()) return { status: this.closed ? "closed" : "reset", body: "" };
    if (!head) return { status: "reset", body: "" };
    const body = Buffer.concat(this.of(id).flatMap((f) => (f.type === F.DATA ? [f.payload] : []))).toString();
    return { status: JSON.parse(head.payload.toString()).s as number, body };
  }
  close(): void {
    this.socket.destroy();
  }
}

interface Identity {
  certPem: string;
  keyPem: string;
}

/** A TLS connection to `port` offering `alpn`; resolves once the handshake is done (or rejects). */
function tlsConnect(port: number, ca: string, id: Identity | undefined, alpn: string[]): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      {
        host: "127.0.0.1",
        port,
        ca,
        ...(id ? { cert: id.certPem, key: id.keyPem } : {}),
        ALPNProtocols: alpn,
        checkServerIdentity: () => undefined,
      },
      () => resolve(s),
    );
    s.once("error", reject);
    s.once("close", () => reject(new Error("closed during the handshake")));
  });
}

/** A hop peer on `port` with identity `id`, once the server's SETTINGS arrived (TLS 1.3: the server may still refuse the certificate then). */
async function hopPeer(port: number, ca: string, id: Identity | undefined): Promise<Peer> {
  const s = await tlsConnect(port, ca, id, [ALPN]);
  const p = new Peer(s);
  await p.until(() => p.frames.some((f) => f.type === F.SETTINGS) || p.closed, 3000);
  return p;
}

/** One HTTP/1.1 request written byte for byte (plaintext, or TLS with `tlsTo`); the status, or "closed". */
function rawHttp(port: number, method: string, target: string, headers: [string, string][], tlsTo?: { ca: string; id: Identity }): Promise<number | "closed"> {
  const head = [`${method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`), "connection: close", "", ""].join("\r\n");
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s: net.Socket = tlsTo
      ? tls.connect(
          {
            host: "127.0.0.1",
            port,
            ca: tlsTo.ca,
            cert: tlsTo.id.certPem,
            key: tlsTo.id.keyPem,
            ALPNProtocols: ["http/1.1"],
            checkServerIdentity: () => undefined,
          },
          () => s.write(Buffer.from(head, "latin1")),
        )
      : net.connect(port, "127.0.0.1", () => s.write(Buffer.from(head, "latin1")));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", () => {});
    s.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString("latin1"));
      resolve(m ? Number(m[1]) : "closed");
    });
  });
}

const POLICIES = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api-callers, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - source: {serviceAccounts: [web]}
      methods: [GET, HEAD]
      paths: ["/public/*", "/items*", "*.png"]
    - source: {serviceAccounts: [web]}
      methods: [POST]
      paths: [/orders]
      headers: {x-tenant: [acme]}
    - source: {namespaces: [ops]}
    - source: {serviceAccounts: [batch]}
      notPaths: ["/private/*"]
      notMethods: [DELETE]
      notHeaders: {x-env: [prod]}
  deny:
    - paths: ["/admin/*"]
    - paths: ["*/secret"]
      notMethods: [GET]
    - headers: {x-debug: ["on"]}
`;

/** A random request: method, request target as sent on the wire (UTF-8 text), header lines. */
interface Case {
  caller: string;
  method: string;
  target: string;
  headers: [string, string][];
}

function randomCase(r: () => number, callers: string[]): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const segs = [
    "admin",
    "Admin",
    "ADMIN",
    "admin.",
    "admin;x=1",
    "%61dmin",
    "%41dmin",
    "public",
    "Public",
    "items",
    "items2",
    "private",
    "secret",
    "orders",
    "img.png",
    "a.PNG",
    "x.png.",
    "..",
    ".",
    "%2e%2e",
    "%2E%2e",
    ".%2e",
    "%2e",
    "%2F",
    "%2f",
    "%5C",
    "\\",
    "",
    "é",
    "%C3%A9",
    "ädmin",
    "x",
    "x;y",
    "%00",
    "~",
    "%7E",
  ];
  let target = "";
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) target += (r() < 0.1 ? "//" : "/") + pick(segs);
  if (r() < 0.15) target += "/";
  if (r() < 0.05) target += ".";
  if (r() < 0.2) target += pick(["?q=/admin/x", "?a=%2e%2e&b=1", "?", "?x#frag", "#frag", "#/admin/x", ";jsessionid=1", "?q=1;2"]);
  if (r() < 0.05) target = pick(["*", "/", "//admin/x", "/./admin/x", "/public/../admin/x", "/public/%2e%2e/admin/x", "/public%2F..%2Fadmin/x"]);
  const headers: [string, string][] = [["host", "api"]];
  if (r() < 0.3) headers.push(["x-tenant", pick(["acme", "ACME", "acme ", "evil", "acme,evil"])]);
  if (r() < 0.2) headers.push(["x-env", pick(["prod", "staging", "PROD"])]);
  if (r() < 0.15) headers.push(["x-debug", pick(["on", "On", "off"])]);
  if (r() < 0.08) headers.push(["x-debug", "on"]);
  if (r() < 0.08) headers.push(["x-tenant", "acme"]);
  if (r() < 0.05) headers.push(["X-Debug", "on"]);
  // A header the Connection header lists is hop-by-hop (RFC 9110 §7.6.1).
  if (r() < 0.1) headers.push(["connection", pick(["x-debug", "x-tenant", "x-env, x-debug", "keep-alive"])]);
  return { caller: pick(callers), method: pick(["GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]), target, headers };
}

/** What the app saw of one case (by its x-case header), for comparison. */
function seenOf(app: App, tag: string): string | undefined {
  const s = app.seen.find((x) => x.headers["x-case"] === tag);
  if (!s) return undefined;
  const h = s.headers as http.IncomingHttpHeaders;
  return JSON.stringify([s.method, s.url, h.host, h["x-tenant"], h["x-env"], h["x-debug"], h["x-forwarded-client-cert"]]);
}

describe("hop protocol: the access decision is the HTTP path's", () => {
  let hopApi: App, httpApi: App, hopMesh: ProxyRuntime, httpMesh: ProxyRuntime;
  const callers = ["web", "batch", "monitor", "intruder"];
  let apps: App[] = [];
  const reg = (api: App, callerApps: App[]) =>
    registry([
      { service: "api", namespace: "shop", serviceAccount: "api", port: api.port },
      { service: "web", namespace: "shop", serviceAccount: "web", port: callerApps[0].port, outbound: true },
      { service: "batch", namespace: "shop", serviceAccount: "batch", port: callerApps[1].port, outbound: true },
      { service: "monitor", namespace: "ops", serviceAccount: "monitor", port: callerApps[2].port, outbound: true },
      { service: "intruder", namespace: "shop", serviceAccount: "intruder", port: callerApps[3].port, outbound: true },
    ]);
  beforeAll(async () => {
    [hopApi, httpApi] = await Promise.all([startApp("api-hop"), startApp("api-http")]);
    apps = await Promise.all(callers.map((c) => startApp(c)));
    hopMesh = await startMesh(meshConfig(POLICIES, reg(hopApi, apps), { hopProtocol: "multiplexed", colocatedHops: "mtls" }));
    httpMesh = await startMesh(meshConfig(POLICIES, reg(httpApi, apps), { hopProtocol: "http", colocatedHops: "mtls" }));
  });
  afterAll(async () => {
    await hopMesh?.stop();
    await httpMesh?.stop();
    await closeAgents();
    await Promise.all([hopApi, httpApi, ...apps].map((a) => a?.close()));
  });

  const ns = (c: string) => (c === "monitor" ? "ops" : "shop");

  test("a few hundred random requests through the outbound listener: same status, same request at the app, hop protocol or HTTP", async () => {
    const seed = 17;
    const r = prng(seed);
    const cases = Array.from({ length: 300 }, () => randomCase(r, callers));
    const results = await many(cases.length, 6, async (i) => {
      const c = cases[i];
      const send = (rt: ProxyRuntime) =>
        rawHttp(
          rt.outboundPort(c.caller, ns(c.caller)),
          c.method,
          c.target,
          [...c.headers, ["x-case", `c${i}`]].map(([k, v]) => [k, Buffer.from(v).toString("latin1")]) as [string, string][],
        );
      // The target as UTF-8 bytes on the wire.
      c.target = Buffer.from(c.target).toString("latin1");
      const [a, b] = await Promise.all([send(hopMesh), send(httpMesh)]);
      return { a, b };
    });
    await sleep(100);
    const diffs: string[] = [];
    const statuses = new Map<string, number>();
    for (let i = 0; i < cases.length; i++) {
      const { a, b } = results[i];
      const sa = seenOf(hopApi, `c${i}`);
      const sb = seenOf(httpApi, `c${i}`);
      statuses.set(String(a), (statuses.get(String(a)) ?? 0) + 1);
      if (a !== b || sa !== sb) diffs.push(`seed ${seed} case ${i} ${JSON.stringify(cases[i])}: hop ${a} ${sa ?? "-"} / http ${b} ${sb ?? "-"}`);
    }
    expect(diffs).toEqual([]);
    // Not vacuous: allowed, denied and refused requests all occur.
    for (const s of ["200", "403", "400"]) expect(statuses.get(s) ?? 0, `status ${s} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(5);
    expect(hopApi.seen.filter((s) => /^\/admin(\/|$)/.test(s.url)).map((s) => s.url)).toEqual([]);
  });

  test("raw hop frames straight to the inbound listener get what HTTP over mutual TLS gets there, for an allowed and a refused identity", async () => {
    const port = hopMesh.inboundPort("api", "shop", hopApi.port);
    const ca = hopMesh.ca.certPem;
    const seed = 4242;
    const r = prng(seed);
    const diffs: string[] = [];
    const statuses = new Map<string, number>();
    for (const who of ["spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/intruder", "spiffe://cluster.local/ns/ops/sa/anyone"]) {
      const id = await hopMesh.ca.issue(who, 60_000);
      let peer = await hopPeer(port, ca, id);
      let next = 1;
      const fixed: Case[] = [
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["connection", "x-debug"],
            ["x-debug", "on"],
          ],
        },
        {
          caller: "",
          method: "POST",
          target: "/orders",
          headers: [
            ["host", "api"],
            ["x-tenant", "acme"],
            ["connection", "x-tenant"],
          ],
        },
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["x-debug", "off"],
            ["x-debug", "on"],
          ],
        },
        {
          caller: "",
          method: "POST",
          target: "/orders",
          headers: [
            ["host", "api"],
            ["x-tenant", "acme"],
            ["x-tenant", "acme"],
          ],
        },
        { caller: "", method: "GET", target: "/public/x", headers: [] },
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["te", "trailers"],
            ["x-env", "prod"],
            ["connection", "te, x-env"],
          ],
        },
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["upgrade", "h2c"],
            ["connection", "upgrade"],
          ],
        },
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["proxy-connection", "x-debug"],
            ["x-debug", "on"],
          ],
        },
        {
          caller: "",
          method: "GET",
          target: "/public/x",
          headers: [
            ["host", "api"],
            ["keep-alive", "timeout=5"],
            ["x-debug", "on"],
          ],
        },
      ];
      for (let i = 0; i < 120 + fixed.length; i++) {
        const c = i < fixed.length ? fixed[i] : randomCase(r, callers);
        const tag = `d${who.length}-${i}`;
        const lines: [string, string][] = [...c.headers.map(([k, v]) => [k, Buffer.from(v).toString("latin1")] as [string, string]), ["x-case", `${tag}-http`]];
        const target = Buffer.from(c.target).toString("latin1");
        const viaHttp = await rawHttp(port, c.method, target, lines, { ca, id });
        // The same request as a hop-protocol head: repeated header lines are one name with several values.
        const h: Record<string, string | string[]> = {};
        for (const [k0, v] of lines) {
          const k = k0.toLowerCase();
          const v2 = k === "x-case" ? `${tag}-hop` : v;
          h[k] = h[k] === undefined ? v2 : [...[h[k]].flat(), v2];
        }
        if (peer.closed) {
          peer = await hopPeer(port, ca, id);
          next = 1;
        }
        const sid = next;
        next += 2;
        peer.request(sid, c.method, target, h);
        const o = await peer.outcome(sid);
        // A head the hop protocol refuses closes the connection: HTTP must refuse it too (400).
        const viaHop = o.status === "closed" ? 400 : o.status;
        const sh = seenOf(hopApi, `${tag}-hop`);
        const sx = seenOf(hopApi, `${tag}-http`);
        statuses.set(String(viaHttp), (statuses.get(String(viaHttp)) ?? 0) + 1);
        if (viaHop !== viaHttp || sh !== sx)
          diffs.push(`seed ${seed} ${who} case ${i} ${JSON.stringify({ ...c, target })}: hop ${o.status} ${sh ?? "-"} / http ${viaHttp} ${sx ?? "-"}`);
      }
      peer.close();
    }
    expect(diffs).toEqual([]);
    for (const s of ["200", "403", "400"]) expect(statuses.get(s) ?? 0, `status ${s} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(5);
  });
});

describe("hop protocol: a hostile peer against an inbound listener", () => {
  const POLICY = `
apiVersion: unimesh.io/v1alpha1
kind: MTLSPolicy
metadata: {name: shop-strict, namespace: shop}
spec:
  mode: strict
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: api-callers, namespace: shop}
spec:
  destination: {service: api}
  allow:
    - source: {namespaces: [shop]}
  deny:
    - paths: ["/admin/*"]
    - headers: {x-debug: ["on"]}
---
apiVersion: unimesh.io/v1alpha1
kind: AccessPolicy
metadata: {name: lenient-no-delete, namespace: shop}
spec:
  destination: {service: lenient}
  allow: [{}]
  deny:
    - methods: [DELETE]
`;
  /** An app whose server takes any method token and upper-cases it (as Django and Werkzeug do): its request lines. */
  let lenient: { port: number; server: net.Server; lines: string[] };
  let api: App, web: App, mesh: ProxyRuntime, port: number, ca: string;
  let ops: Identity, other: Identity;
  /** Bytes the app has written of /flood responses, and requests on /hold waiting for release. */
  let flooded = 0;
  let floodDone = false;
  const held: (() => void)[] = [];
  let heldClosedEarly = 0;
  const SMALL = Buffer.alloc(200 * 1024, "s");
  beforeAll(async () => {
    api = await startApp("api", (req, res, body) => {
      if (req.url === "/flood") {
        // 64 MB in 64 KiB writes, each after the previous one was taken (the app is paused when the proxy is).
        const chunk = Buffer.alloc(64 * 1024, "f");
        let left = 1024;
        const write = () => {
          while (left > 0) {
            left--;
            flooded += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", write);
          }
          floodDone = true;
          res.end();
        };
        return write();
      }
      if (req.url === "/hold") {
        res.on("close", () => {
          if (!res.writableFinished) heldClosedEarly++;
        });
        return void held.push(() => res.end("released"));
      }
      if (req.url === "/small") return void res.end(SMALL);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ url: req.url, method: req.method, headers: req.headers, length: body.length }));
    });
    web = await startApp("web");
    const lines: string[] = [];
    const server = net.createServer((sock) => {
      sock.once("data", (c: Buffer) => {
        lines.push(c.toString("latin1").split("\r\n")[0]);
        sock.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
      });
      sock.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    lenient = { port: (server.address() as net.AddressInfo).port, server, lines };
    mesh = await startMesh(
      meshConfig(
        POLICY,
        registry([
          { service: "api", namespace: "shop", serviceAccount: "api", port: api.port },
          { service: "web", namespace: "shop", serviceAccount: "web", port: web.port, outbound: true },
          { service: "lenient", namespace: "shop", serviceAccount: "lenient", port: lenient.port },
        ]),
        {
          hopProtocol: "multiplexed",
          colocatedHops: "mtls",
          limits: { maxConcurrentStreams: 8, requestTimeoutMs: 3000, peerKeepAliveTimeoutMs: 1500 },
        },
      ),
    );
    port = mesh.inboundPort("api", "shop", api.port);
    ca = mesh.ca.certPem;
    ops = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/ops", 60_000);
    other = await mesh.ca.issue("spiffe://cluster.local/ns/shop/sa/other", 60_000);
  });
  afterAll(async () => {
    for (const r of held.splice(0)) r();
    await mesh?.stop();
    await closeAgents();
    await Promise.all([api, web].map((a) => a?.close()));
    lenient?.server.close();
  });

  const peer = (id: Identity = ops) => hopPeer(port, ca, id);
  const seen = (url: string) => api.seen.filter((s) => s.url === url).length;
  /** The connection still serves a request on stream `id`. */
  const usable = async (p: Peer, id: number) => {
    p.request(id, "GET", `/usable/${id}`, { host: "api" });
    expect((await p.outcome(id)).status).toBe(200);
  };

  test("frames split byte by byte across writes are reassembled", async () => {
    const p = await peer();
    const bytes = Buffer.concat([
      encode(F.REQUEST, 0, 1, { m: "POST", p: "/split", h: { host: "api", "content-length": "10" } }),
      encode(F.DATA, 0, 1, "01234"),
      encode(F.DATA, END_STREAM, 1, "56789"),
    ]);
    for (const b of bytes) {
      p.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    const o = await p.outcome(1);
    expect(o.status).toBe(200);
    expect(JSON.parse(o.body)).toMatchObject({ url: "/split", method: "POST", length: 10 });
    p.close();
  });

  test("DATA after a request that announced no body closes the connection, and the request does not reach the app", async () => {
    const p = await peer();
    p.socket.write(
      Buffer.concat([encode(F.REQUEST, END_STREAM, 1, { m: "POST", p: "/nobody", h: { host: "api" } }), encode(F.DATA, END_STREAM, 1, "smuggled")]),
    );
    expect(await p.until(() => p.closed)).toBe(true);
    await sleep(200);
    expect(seen("/nobody")).toBe(0);
    // On a request still in flight: the connection is closed and the app's request with it.
    const q = await peer();
    const early = heldClosedEarly;
    q.request(1, "GET", "/hold", { host: "api" });
    await q.until(() => held.length > 0);
    q.send(F.DATA, END_STREAM, 1, "late");
    expect(await q.until(() => q.closed)).toBe(true);
    expect(await q.until(() => heldClosedEarly === early + 1)).toBe(true);
    held.splice(0);
  });

  test("WINDOW, RESET, GOAWAY and SETTINGS on unknown, closed or idle streams are ignored; a WINDOW of 0 changes nothing", async () => {
    const p = await peer();
    await usable(p, 1);
    p.send(F.WINDOW, 0, 1, u32(1000)); // closed stream
    p.send(F.WINDOW, 0, 99, u32(1000)); // never opened
    p.send(F.WINDOW, 0, 0, u32(1000)); // connection
    p.send(F.RESET, 0, 1, Buffer.from([1])); // closed
    p.send(F.RESET, 0, 77, Buffer.from([1])); // never opened
    p.send(F.SETTINGS, 0, 0, { maxStreams: 1e9, keepAliveMs: -1 });
    p.send(F.SETTINGS, 0, 5, "not json");
    p.send(F.GOAWAY, 0, 0, u32(0));
    p.send(F.DATA, END_STREAM, 1, "after the end"); // a stream that ended, below the last id
    await usable(p, 3);
    // A WINDOW of 0 on a stream the server is sending: it still stops at one window.
    p.request(5, "GET", "/flood", { host: "api" });
    p.send(F.WINDOW, 0, 5, u32(0));
    await p.until(() => (p.got.get(5) ?? 0) >= WINDOW);
    await sleep(300);
    expect(p.got.get(5)).toBe(WINDOW);
    await usable(p, 7);
    p.close();
  });

  test("a WINDOW past the flow-control window (a 32-bit overflow) closes the connection", async () => {
    const p = await peer();
    p.request(1, "GET", "/flood", { host: "api" });
    await p.until(() => (p.got.get(1) ?? 0) > 0);
    p.send(F.WINDOW, 0, 1, u32(0xffffffff));
    p.send(F.WINDOW, 0, 1, u32(0xffffffff));
    expect(await p.until(() => p.closed)).toBe(true);
    // Closed for the overflow, not after the whole response and the keep-alive time.
    expect(p.of(1).some((f) => f.type === F.END)).toBe(false);
    expect(p.got.get(1)).toBeLessThan(8 * 1024 * 1024);
  });

  test("a client that reads nothing: the app is paused, the proxy does not buffer the 64 MB response", async () => {
    flooded = 0;
    floodDone = false;
    const p = await peer();
    p.request(1, "GET", "/flood", { host: "api" });
    // Honest credit for what it says it read, then it stops reading the socket.
    await p.until(() => (p.got.get(1) ?? 0) >= WINDOW);
    p.socket.pause();
    p.send(F.WINDOW, 0, 1, u32(WINDOW));
    // The app stops once the buffers between it and the caller are full.
    let at = -1;
    for (let i = 0; i < 20 && flooded !== at; i++) {
      at = flooded;
      await sleep(500);
    }
    expect(flooded).toBe(at);
    expect(floodDone).toBe(false);
    expect(flooded).toBeLessThan(32 * 1024 * 1024);
    p.close();
  });

  test("a client that sends requests and reads no responses: the proxy stops taking them, it does not buffer every answer", async () => {
    const before = seen("/small");
    const p = await peer();
    p.socket.pause();
    // 400 requests for 200 KiB answers (80 MB), 8 at a time (the stream limit), never reading.
    for (let i = 0; i < 50; i++) {
      for (let k = 0; k < 8; k++) p.request(2 * (8 * i + k) + 1, "GET", "/small", { host: "api" });
      await sleep(20);
    }
    await sleep(500);
    expect(seen("/small") - before).toBeLessThan(100);
    // Other peers are served meanwhile.
    const q = await peer(other);
    await usable(q, 1);
    q.close();
    p.close();
  });

  test("thousands of tiny DATA frames make one body; empty DATA frames carry nothing", async () => {
    const p = await peer();
    p.request(1, "POST", "/tiny", { host: "api" }, false);
    const frames: Buffer[] = [];
    for (let i = 0; i < 5000; i++) frames.push(encode(F.DATA, 0, 1, "x"));
    for (let i = 0; i < 5000; i++) frames.push(encode(F.DATA, 0, 1));
    frames.push(encode(F.DATA, END_STREAM, 1));
    p.socket.write(Buffer.concat(frames));
    const o = await p.outcome(1, 10_000);
    expect(o.status).toBe(200);
    expect(JSON.parse(o.body).length).toBe(5000);
    p.close();
  });

  test("a great many headers within the size limit are carried; over it, 431", async () => {
    const p = await peer();
    const h: Record<string, string> = { host: "api" };
    // 900: a Node app keeps the first 1000 header lines (maxHeadersCount 2000 entries).
    for (let i = 0; i < 900; i++) h[`h${i.toString(36)}`] = "";
    p.request(1, "GET", "/many", h);
    const o = await p.outcome(1);
    expect(o.status).toBe(200);
    expect(Object.keys(JSON.parse(o.body).headers).filter((k) => /^h[0-9a-z]{1,2}$/.test(k)).length).toBe(900);
    for (let i = 900; i < 4000; i++) h[`h${i.toString(36)}`] = "";
    p.request(3, "GET", "/too-many", h);
    expect((await p.outcome(3)).status).toBe(431);
    expect(seen("/too-many")).toBe(0);
    p.close();
  });

  test("duplicate names in a JSON head: access control decides on the value the app gets", async () => {
    const p = await peer();
    p.send(F.REQUEST, END_STREAM, 1, '{"m":"GET","p":"/dup","h":{"host":"api","x-debug":"off","x-debug":"on"}}');
    expect((await p.outcome(1)).status).toBe(403);
    p.send(F.REQUEST, END_STREAM, 3, '{"m":"GET","p":"/public/x","h":{"host":"api"},"p":"/admin/x"}');
    expect((await p.outcome(3)).status).toBe(403);
    p.send(F.REQUEST, END_STREAM, 5, '{"m":"GET","p":"/dup","h":{"host":"api","x-debug":"on","x-debug":"off"}}');
    const o = await p.outcome(5);
    expect(o.status).toBe(200);
    expect(JSON.parse(o.body).headers["x-debug"]).toBe("off");
    expect(api.seen.some((s) => s.url === "/admin/x" || (s.url === "/dup" && s.headers["x-debug"] === "on"))).toBe(false);
    p.close();
  });

  test("several host or content-length values, or none, close the connection before the app", async () => {
    const heads: Record<string, string | string[]>[] = [{ host: ["api", "evil"] }, { host: "api", "content-length": ["1", "10"] }, { "x-a": "1" }];
    for (const h of heads) {
      const p = await peer();
      p.request(1, "POST", "/ambiguous", h, false);
      p.send(F.DATA, END_STREAM, 1, "0123456789");
      expect(await p.until(() => p.closed), JSON.stringify(h)).toBe(true);
    }
    await sleep(100);
    expect(seen("/ambiguous")).toBe(0);
  });

  test("a body whose DATA does not add up to its content-length closes the connection, and the app never gets a complete request from it", async () => {
    // More than announced: the app would have had the whole 3-byte request before the rest came.
    const over = await peer();
    over.request(1, "POST", "/length-over", { host: "api", "content-length": "3" }, false);
    over.send(F.DATA, 0, 1, "012");
    await sleep(200);
    over.send(F.DATA, END_STREAM, 1, "3456789");
    expect(await over.until(() => over.closed), "over").toBe(true);
    const short = await peer();
    short.request(1, "POST", "/length-short", { host: "api", "content-length": "10" }, false);
    short.send(F.DATA, END_STREAM, 1, "abc");
    expect(await short.until(() => short.closed), "short").toBe(true);
    // A head that ends its stream carries no body, whatever its content-length says.
    const none = await peer();
    none.request(1, "POST", "/length-none", { host: "api", "content-length": "5" });
    expect(await none.until(() => none.closed), "none").toBe(true);
    // A body that adds up is served whole, its end on frames of its own (empty DATA carries nothing).
    const ok = await peer();
    ok.request(1, "POST", "/length-ok", { host: "api", "content-length": "10" }, false);
    ok.send(F.DATA, 0, 1, "01234");
    ok.send(F.DATA, 0, 1, "56789");
    ok.send(F.DATA, 0, 1, "");
    ok.send(F.DATA, END_STREAM, 1, "");
    const o = await ok.outcome(1);
    expect(o.status).toBe(200);
    expect(JSON.parse(o.body)).toMatchObject({ url: "/length-ok", length: 10, headers: { "content-length": "10" } });
    // A value that is not 1*DIGIT (RFC 9110 §8.6) is 400, as Node's parser answers it on the HTTP path.
    for (const [i, cl] of ["+3", "0x3", "3, 3", " 3"].entries()) {
      ok.request(3 + 2 * i, "POST", "/length-invalid", { host: "api", "content-length": cl }, false);
      ok.send(F.DATA, END_STREAM, 3 + 2 * i, "abc");
      expect(await ok.outcome(3 + 2 * i), cl).toEqual({ status: 400, body: "unimesh: an invalid content-length" });
    }
    ok.close();
    await sleep(100);
    expect(["/length-over", "/length-short", "/length-none", "/length-invalid"].map(seen)).toEqual([0, 0, 0, 0]);
  });

  test("a Host the HTTP/1.1 listeners refuse, and CONNECT, get their answers (400, 403), never the app", async () => {
    const p = await peer();
    let id = 1;
    for (const host of ["api/x", "api x", "api\\x"]) {
      p.request(id, "GET", "/hop-invalid", { host });
      expect(await p.outcome(id), host).toEqual({ status: 400, body: "unimesh: an invalid host header" });
      // What HTTP/1.1 over mutual TLS gets at the same listener.
      expect(await rawHttp(port, "GET", "/hop-invalid", [["host", host]], { ca, id: ops }), host).toBe(400);
      id += 2;
    }
    p.request(id, "CONNECT", "/hop-invalid", { host: "api" });
    expect(await p.outcome(id)).toEqual({ status: 403, body: "unimesh: CONNECT is not supported" });
    expect(await rawHttp(port, "CONNECT", "api:80", [["host", "api:80"]], { ca, id: ops })).toBe(403);
    await usable(p, id + 2);
    p.close();
    expect(seen("/hop-invalid")).toBe(0);
  });

  /** The status of one HTTP/2 request over mutual TLS to the lenient app's inbound listener. */
  const h2Status = async (lp: number, method: string): Promise<number> => {
    const s = http2.connect(`https://127.0.0.1:${lp}`, { ca, cert: ops.certPem, key: ops.keyPem, checkServerIdentity: () => undefined });
    s.on("error", () => {});
    try {
      return await new Promise<number>((resolve, reject) => {
        const r = s.request({ ":method": method, ":path": "/orders/1", ":authority": "lenient" });
        r.on("response", (h) => resolve(Number(h[":status"])));
        r.on("error", reject);
        r.resume();
        r.end();
      });
    } finally {
      s.close();
    }
  };

  test("a method with lower-case letters is refused (400) over the hop protocol and HTTP/2 as on the HTTP/1.1 path: a deny on DELETE cannot be passed as 'delete'", async () => {
    const lp = mesh.inboundPort("lenient", "shop", lenient.port);
    const p = await hopPeer(lp, ca, ops);
    p.request(1, "DELETE", "/orders/1", { host: "lenient" });
    expect((await p.outcome(1)).status).toBe(403);
    let id = 3;
    for (const m of ["delete", "Delete", "dELETE"]) {
      p.request(id, m, "/orders/1", { host: "lenient" });
      expect((await p.outcome(id)).status, m).toBe(400);
      expect(await rawHttp(lp, m, "/orders/1", [["host", "lenient"]], { ca, id: ops }), m).toBe(400);
      expect(await h2Status(lp, m), `${m} over HTTP/2`).toBe(400);
      id += 2;
    }
    p.request(id, "GET", "/orders/1", { host: "lenient" });
    expect((await p.outcome(id)).status).toBe(200);
    expect(lenient.lines).toEqual(["GET /orders/1 HTTP/1.1"]);
    p.close();
  });

  test("the asterisk form is refused for every method; very long paths get 431 or close the connection", async () => {
    const p = await peer();
    let id = 1;
    for (const m of ["GET", "POST", "DELETE", "OPTIONS"]) {
      p.request(id, m, "*", { host: "api" });
      expect((await p.outcome(id)).status, m).toBe(400);
      id += 2;
    }
    p.request(id, "GET", "/" + "a".repeat(20_000), { host: "api" });
    expect((await p.outcome(id)).status).toBe(431);
    p.request(id + 2, "GET", "/" + "a".repeat(70_000), { host: "api" });
    expect(await p.until(() => p.closed)).toBe(true);
    expect(api.seen.some((s) => s.url === "*" || s.url.length > 10_000)).toBe(false);
  });

  test("streams held up to the limit: more are refused on that connection, other connections and peers are served", async () => {
    const p = await peer();
    for (let i = 0; i < 8; i++) p.request(2 * i + 1, "GET", "/hold", { host: "api" });
    expect(await p.until(() => held.length === 8)).toBe(true);
    p.request(17, "GET", "/hold", { host: "api" });
    expect((await p.outcome(17)).status).toBe("reset");
    expect(p.of(17).find((f) => f.type === F.RESET)!.payload[0]).toBe(2);
    const q = await peer(other);
    await usable(q, 1);
    const q2 = await peer(ops);
    await usable(q2, 1);
    expect(await rawHttp(port, "GET", "/over-http", [["host", "api"]], { ca, id: other })).toBe(200);
    for (const r of held.splice(0)) r();
    expect((await p.outcome(1)).status).toBe(200);
    for (const x of [p, q, q2]) x.close();
  });

  test("a connection that sends nothing after the handshake gets GOAWAY and is closed after the keep-alive time", async () => {
    const p = await peer();
    expect(await p.until(() => p.closed, 5000)).toBe(true);
    expect(p.frames.some((f) => f.type === F.GOAWAY)).toBe(true);
  });

  test("the hop protocol without a client certificate, or with another CA's, is refused at the handshake", async () => {
    const before = api.seen.length;
    const noCert = await hopPeer(port, ca, undefined).catch(() => undefined);
    if (noCert) {
      noCert.request(1, "GET", "/nocert", { host: "api" });
      expect(await noCert.until(() => noCert.closed)).toBe(true);
      expect(noCert.frames).toEqual([]);
    }
    const rogue = await (await CertificateAuthority.create("cluster.local")).issue("spiffe://cluster.local/ns/shop/sa/ops", 60_000);
    const foreign = await hopPeer(port, ca, rogue).catch(() => undefined);
    if (foreign) {
      foreign.request(1, "GET", "/rogue", { host: "api" });
      expect(await foreign.until(() => foreign.closed)).toBe(true);
      expect(foreign.frames).toEqual([]);
    }
    expect(mesh.metrics.tlsRefused.get({ reason: "no client certificate" })).toBe(1);
    expect(mesh.metrics.tlsRefused.get({ reason: "untrusted client certificate" })).toBe(1);
    expect(api.seen.length).toBe(before);
  });
});

describe("hop protocol: a hostile server against the hop client", () => {
  test("a server that sends DATA past the stream's window (while the caller is paused) fails the stream: the caller's proxy does not buffer it", async () => {
    const ca = await CertificateAuthority.create("cluster.local");
    const store = new CertStore(ca, 3600_000);
    const srv = await ca.issue("spiffe://cluster.local/ns/shop/sa/orders", 3600_000);
    const server = tls.createServer(
      { key: srv.keyPem, cert: srv.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: [ALPN] },
      (s) => {
        s.on("error", () => {});
        s.write(encode(F.SETTINGS, 0, 0, { maxStreams: 10, keepAliveMs: 60_000 }));
        s.once("data", (c: Buffer) => {
          const id = c.readUInt32BE(2);
          s.write(encode(F.RESPONSE, 0, id, { s: 200, h: { "content-type": "application/octet-stream" } }));
          // 8 MB, ignoring the window: no WINDOW frame is awaited.
          const chunk = Buffer.alloc(64 * 1024, "d");
          for (let i = 0; i < 128 && !s.destroyed; i++) {
            s.write(encode(F.DATA, 0, id, chunk));
          }
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const cert = await store.get("spiffe://cluster.local/ns/shop/sa/web");
    const client = new HopClient({ address: "127.0.0.1", port, cert, expectServer: "spiffe://cluster.local/ns/shop/sa/orders" }, () => {
      throw new Error("no fallback expected");
    });
    let received = 0;
    const outcome = await new Promise<string>((resolve) => {
      client.dispatch(
        { method: "GET", path: "/big", headers: { host: "orders" }, origin: "https://orders" },
        {
          onRequestStart: () => {},
          // The caller's downstream is slow: the response is paused from its head on.
          onResponseStart: (c) => c.pause(),
          onResponseData: (_c, chunk) => {
            received += chunk.length;
          },
          onResponseEnd: () => resolve("end"),
          onResponseError: (_c, e) => resolve(e.message),
        },
      );
      setTimeout(() => resolve(`no outcome (${received} bytes)`), 5000);
    });
    expect(outcome).toMatch(/flow-control window/);
    expect(received).toBeLessThanOrEqual(WINDOW);
    await client.destroy();
    server.close();
    store.close();
  });
});
